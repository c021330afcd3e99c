// Markov chain Monte Carlo over whole paths (docs/paths.md), for the distribution of PathSpec.
//
// Moves, each a Metropolis step that leaves P(path) invariant:
//   single-site: one site of one sampled slice x_t takes a uniformly drawn other state; rejected
//                outright when it breaks d <= max_distance with x_{t-1} or x_{t+1};
//   exchange:    sites of x_t that hold x_{t-1}'s state take x_{t+1}'s and vice versa: all of
//                them (half of the proposals), which swaps the steps t-1 -> t and t -> t+1 (the
//                order of two mutations, or a mutation and a pause), or one or two of them (a
//                mutation moves to the other step; needed when several mutations share a step).
//                The sum of the distances is unchanged, so beta * dF decides (after the constraint).
// A sweep visits every sampled slice, alternately forward and backward in time; at each slice it
// makes N single-site proposals and one exchange proposal.
//
// Each chain owns one RNG stream (seed, chain index): results are identical for any thread count.
#pragma once

#include "pottsrbm/core/rng.hpp"
#include "pottsrbm/model/rbm.hpp"
#include "pottsrbm/paths/path.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <vector>

namespace pottsrbm::paths {

/// One Markov chain over the paths of a spec. Keeps x_t, I(x_t) (double), F(x_t) and the
/// distances d(x_t, x_{t+1}) up to date incrementally.
class PathChain {
public:
    /// Starts from a random direct path (see randomize()). `spec` must be valid for `rbm`.
    PathChain(const model::Rbm& rbm, const PathSpec& spec, Rng rng);

    /// A random direct path: A's differing sites, in random order, are set to B's states at
    /// distinct random steps (one per step while T >= d(A, B)); with a free end, x_t = A for all t.
    void randomize();
    /// Starts from `states` ((T+1) x N; UsageError unless it is a valid path of the spec).
    void set_states(const model::StateMatrix& states);
    /// One sweep at inverse temperature `beta` (the spec's lambda and constraint).
    void sweep(double beta);
    /// Recomputes I and F from the states (removes rounding drift of the incremental updates).
    void refresh();

    [[nodiscard]] const model::StateMatrix& states() const { return states_; }
    [[nodiscard]] const Eigen::VectorXd& free_energies() const { return free_energy_; }
    [[nodiscard]] Path path() const { return {states_, free_energy_}; }
    /// beta * sum F(x_t) over the sampled slices + lambda * sum_t d(x_t, x_{t+1}).
    [[nodiscard]] double energy(double beta) const;

    struct Counts {
        std::int64_t single_proposed = 0;   ///< single-site proposals (including those the constraint forbids)
        std::int64_t single_allowed = 0;    ///< ... that respected the constraint
        std::int64_t single_accepted = 0;
        std::int64_t exchange_proposed = 0; ///< exchanges that change x_t
        std::int64_t exchange_accepted = 0;
    };
    [[nodiscard]] const Counts& counts() const { return counts_; }

private:
    void single_site(int t, double beta);
    void exchange(int t, double beta);
    [[nodiscard]] double free_energy_from(double field_sum, const Eigen::VectorXd& inputs) const;

    const model::Rbm& rbm_;
    model::HiddenRowKernel kernel_;  // sum_mu Gamma_mu(I_mu), as model::free_energy computes it
    PathSpec spec_;
    Rng rng_;
    int steps_;
    int sites_;
    int last_;                      // last sampled slice
    model::StateMatrix states_;     // (T+1) x N
    model::RowMatrixXd inputs_;     // (T+1) x H, I(x_t) in double
    Eigen::VectorXd field_sum_;     // T+1, sum_i g_i(x_t,i)
    Eigen::VectorXd free_energy_;   // T+1
    std::vector<int> distance_;     // T, d(x_t, x_{t+1})
    Eigen::VectorXd trial_;         // H workspace
    std::vector<int> reflectable_;  // sites an exchange may reflect
    std::vector<int> changed_;      // sites changed by an exchange proposal
    bool forward_ = true;
    Counts counts_;
};

struct SamplerParams {
    int paths = 8;                   ///< independent chains
    long long burn_in = 500;         ///< sweeps at beta before the first sample
    long long sweeps = 2000;         ///< sampling sweeps at beta per chain
    long long spacing = 10;          ///< sweeps between recorded samples
    long long anneal_sweeps = 1000;  ///< sweeps from beta to beta_max (geometric) after sampling
    double beta_max = 10;            ///< final inverse temperature of the annealing
    std::uint64_t seed = 1;
    /// UsageError naming the option (--paths, --burn-in, --sweeps, --spacing, --anneal-sweeps,
    /// --beta-max) and the value; beta_max must be >= the spec's beta when annealing.
    void validate(double beta) const;
};

/// How often a mutation (site, from -> to) occurs in the sampled paths and when.
struct MutationStatistic {
    int site = 0;
    std::uint8_t from = 0;
    std::uint8_t to = 0;
    double path_fraction = 0;  ///< fraction of sampled paths with at least one occurrence
    double mean_count = 0;     ///< mean occurrences per sampled path
    double mean_step = 0;      ///< mean step of the occurrences (1..T)
    double mean_rank = 0;      ///< mean rank among the path's mutations (1 = first)
};

struct SamplingResult {
    Path best;                 ///< lowest energy at beta_max seen in any chain (ties: lowest chain)
    double best_energy = 0;    ///< its path_energy at beta_max
    int best_chain = 0;
    std::vector<Path> chain_best;            ///< per chain, its lowest-energy path
    std::vector<double> chain_best_energy;
    std::vector<MutationStatistic> statistics;  ///< sorted by decreasing path_fraction, then site
    long long samples = 0;                   ///< recorded sampled paths (all chains)
    Eigen::VectorXd mean_free_energy;        ///< T+1, mean F(x_t) over the samples
    Eigen::VectorXd sd_free_energy;          ///< T+1
    std::vector<double> sample_barriers;     ///< barrier height of each sample, chain by chain
    double mean_mutations = 0;               ///< mean number of site changes per sampled path
    PathChain::Counts counts;                ///< summed over chains and phases
};

/// Runs params.paths independent chains: burn-in and sampling at spec.beta (statistics recorded
/// every `spacing` sweeps), then annealing to beta_max; tracks each chain's best path.
/// Parallel over chains; deterministic for a seed whatever the thread count.
[[nodiscard]] SamplingResult sample_paths(const model::Rbm& rbm, const PathSpec& spec, const SamplerParams& params);

}  // namespace pottsrbm::paths
