// Mutational paths between two sequences under a Potts-RBM (docs/paths.md).
//
// A path is x_0 = A, x_1, ..., x_T = B: T steps over the model's N sites. Its weight is
//   P(path) ∝ exp( -beta * sum_{t=1..T-1} F(x_t) - lambda * sum_{t=0..T-1} d(x_t, x_{t+1}) )
// with d the Hamming distance over the N sites and, when max_distance > 0, the hard constraint
// d(x_t, x_{t+1}) <= max_distance (default 1: one mutation per step, pauses allowed). With a free
// end (anchored exploration from A) x_T is sampled too and the sum of F runs to t = T.
//
// Shapes: a Path holds (T+1) x N states (row t = x_t) and T+1 free energies F(x_t).
// Steps are numbered 1..T: step s turns x_{s-1} into x_s.
#pragma once

#include "pottsrbm/model/rbm.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <string>
#include <vector>

namespace pottsrbm::paths {

using Sequence = std::vector<std::uint8_t>;

/// The path distribution: end points, length and weights.
struct PathSpec {
    Sequence from;          ///< A (N states)
    Sequence to;            ///< B (N states), empty for anchored exploration (free end)
    int steps = 0;          ///< T
    double beta = 1.0;      ///< weight of the landscape
    double lambda = 1.0;    ///< cost of each mutation
    int max_distance = 1;   ///< hard constraint d(x_t, x_{t+1}) <= max_distance; 0 = none

    [[nodiscard]] bool free_end() const { return to.empty(); }
    /// Last sampled slice: T-1 with both ends fixed, T with a free end.
    [[nodiscard]] int last_free_slice() const { return free_end() ? steps : steps - 1; }
    /// Throws UsageError naming the option (--from/--to lengths and states, --steps, --beta,
    /// --lambda, --max-distance) when the spec does not fit `rbm` or admits no path
    /// (T * max_distance < d(A, B)).
    void validate(const model::Rbm& rbm) const;
};

/// Default T for end points at Hamming distance d: d plus room for a few detours,
/// d + max(2, ceil(d / 5)); 10 for anchored exploration (d unknown).
[[nodiscard]] int default_steps(int distance);

/// Hamming distance over n sites.
[[nodiscard]] int hamming(const std::uint8_t* a, const std::uint8_t* b, int n);
[[nodiscard]] int hamming(const Sequence& a, const Sequence& b);

struct Path {
    model::StateMatrix states;     ///< (T+1) x N, row t = x_t
    Eigen::VectorXd free_energy;   ///< T+1, F(x_t)
    [[nodiscard]] int steps() const { return static_cast<int>(states.rows()) - 1; }
};

/// A path with its free energies computed (states: (T+1) x N).
[[nodiscard]] Path make_path(const model::Rbm& rbm, const model::StateMatrix& states);

/// beta_eval * sum F(x_t) over the sampled slices + lambda * sum_t d(x_t, x_{t+1}); +infinity when
/// the path breaks the hard constraint or does not match the spec's end points.
[[nodiscard]] double path_energy(const PathSpec& spec, const Path& path, double beta_eval);

/// The baseline a user would try by hand: from A, replace A's residues by B's one at a time,
/// each time choosing the remaining replacement that gives the lowest F (ties: lowest site).
/// d(A, B) steps, no pauses.
[[nodiscard]] Path greedy_direct_path(const model::Rbm& rbm, const Sequence& from, const Sequence& to);

/// One change of one site: x_{step-1}(site) = from -> x_step(site) = to.
struct Mutation {
    int step = 0;
    int site = 0;
    std::uint8_t from = 0;
    std::uint8_t to = 0;
};
/// Every site change along the path, by step then site.
[[nodiscard]] std::vector<Mutation> mutations(const Path& path);
/// "K12R": letters of the states in "-ACDEFGHIKLMNPQRSTVWY" ("[k]" for a state k > 20) and the
/// original 1-based alignment column columns[site] + 1.
[[nodiscard]] std::string mutation_label(int site, int from, int to, const std::vector<int>& columns);

/// Barrier of a path: max_t F(x_t) - max(F(x_0), F(x_T)) with both ends fixed, max_t F(x_t) - F(x_0)
/// with a free end.
struct Barrier {
    double max_free_energy = 0;
    int argmax = 0;   ///< the step t of the maximum (first one)
    double height = 0;
};
[[nodiscard]] Barrier barrier(const Path& path, bool free_end);

}  // namespace pottsrbm::paths
