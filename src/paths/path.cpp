// Paths, their energies, the greedy direct path and the mutation lists (see paths/path.hpp).
#include "pottsrbm/paths/path.hpp"

#include "pottsrbm/core/alphabet.hpp"
#include "pottsrbm/core/error.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace pottsrbm::paths {

namespace {

void check_sequence(const model::Rbm& rbm, const Sequence& sequence, const char* option) {
    if (static_cast<int>(sequence.size()) != rbm.sites)
        throw UsageError(fmt::format("{}: the sequence has {} sites, the model has N = {}", option, sequence.size(),
                                     rbm.sites));
    for (std::size_t i = 0; i < sequence.size(); ++i)
        if (sequence[i] >= rbm.states)
            throw UsageError(fmt::format("{}: state {} at site {} is outside the model's q = {} states", option,
                                         static_cast<int>(sequence[i]), i + 1, rbm.states));
}

}  // namespace

void PathSpec::validate(const model::Rbm& rbm) const {
    check_sequence(rbm, from, "--from");
    if (!free_end()) check_sequence(rbm, to, "--to");
    if (steps < 1) throw UsageError(fmt::format("--steps: expected a value >= 1, got {}", steps));
    if (!(beta >= 0) || !std::isfinite(beta))
        throw UsageError(fmt::format("--beta: expected a finite value >= 0, got {}", beta));
    if (!(lambda >= 0) || !std::isfinite(lambda))
        throw UsageError(fmt::format("--lambda: expected a finite value >= 0, got {}", lambda));
    if (max_distance < 0)
        throw UsageError(fmt::format("--max-distance: expected a value >= 0 (0 = no hard constraint), got {}",
                                     max_distance));
    if (!free_end() && max_distance > 0) {
        const int distance = hamming(from, to);
        if (static_cast<long long>(steps) * max_distance < distance)
            throw UsageError(fmt::format(
                "--steps: {} steps of at most {} mutation(s) (--max-distance) cannot join sequences at Hamming "
                "distance {}; use --steps {} or more",
                steps, max_distance, distance, (distance + max_distance - 1) / max_distance));
    }
}

int default_steps(int distance) {
    if (distance < 0) return 10;
    return distance + std::max(2, (distance + 4) / 5);
}

int hamming(const std::uint8_t* a, const std::uint8_t* b, int n) {
    int d = 0;
    for (int i = 0; i < n; ++i) d += a[i] != b[i] ? 1 : 0;
    return d;
}

int hamming(const Sequence& a, const Sequence& b) {
    if (a.size() != b.size()) throw UsageError(fmt::format("hamming: lengths {} and {} differ", a.size(), b.size()));
    return hamming(a.data(), b.data(), static_cast<int>(a.size()));
}

Path make_path(const model::Rbm& rbm, const model::StateMatrix& states) {
    Path path;
    path.states = states;
    path.free_energy.resize(states.rows());
    model::free_energy(rbm, path.states, path.free_energy);
    return path;
}

double path_energy(const PathSpec& spec, const Path& path, double beta_eval) {
    constexpr double infinity = std::numeric_limits<double>::infinity();
    const int steps = path.steps();
    const int sites = static_cast<int>(path.states.cols());
    if (steps != spec.steps || sites != static_cast<int>(spec.from.size())) return infinity;
    if (hamming(path.states.row(0).data(), spec.from.data(), sites) != 0) return infinity;
    if (!spec.free_end() && hamming(path.states.row(steps).data(), spec.to.data(), sites) != 0) return infinity;
    double energy = 0;
    for (int t = 1; t <= spec.last_free_slice(); ++t) energy += beta_eval * path.free_energy[t];
    for (int t = 0; t < steps; ++t) {
        const int d = hamming(path.states.row(t).data(), path.states.row(t + 1).data(), sites);
        if (spec.max_distance > 0 && d > spec.max_distance) return infinity;
        energy += spec.lambda * d;
    }
    return energy;
}

Path greedy_direct_path(const model::Rbm& rbm, const Sequence& from, const Sequence& to) {
    check_sequence(rbm, from, "--from");
    check_sequence(rbm, to, "--to");
    const int sites = rbm.sites;
    const int distance = hamming(from, to);
    model::StateMatrix states(distance + 1, sites);
    for (int i = 0; i < sites; ++i) states(0, i) = from[static_cast<std::size_t>(i)];
    std::vector<int> remaining;
    for (int i = 0; i < sites; ++i)
        if (from[static_cast<std::size_t>(i)] != to[static_cast<std::size_t>(i)]) remaining.push_back(i);
    // I(x) in double, updated by one weight-row difference per candidate.
    const int units = rbm.units();
    Eigen::VectorXd inputs = Eigen::VectorXd::Zero(units);
    double field_sum = 0;
    for (int i = 0; i < sites; ++i) {
        inputs += rbm.weights.row(static_cast<Eigen::Index>(i) * rbm.states + from[static_cast<std::size_t>(i)])
                      .transpose()
                      .cast<double>();
        field_sum += rbm.fields(i, from[static_cast<std::size_t>(i)]);
    }
    Eigen::VectorXd trial(units);
    Eigen::VectorXd best_inputs(units);
    const model::HiddenRowKernel kernel(rbm.hidden);
    for (int step = 1; step <= distance; ++step) {
        states.row(step) = states.row(step - 1);
        double best = std::numeric_limits<double>::infinity();
        std::size_t best_k = 0;
        double best_fields = 0;
        for (std::size_t k = 0; k < remaining.size(); ++k) {
            const int i = remaining[k];
            const int a = states(step - 1, i);
            const int b = to[static_cast<std::size_t>(i)];
            const Eigen::Index base = static_cast<Eigen::Index>(i) * rbm.states;
            trial = inputs + rbm.weights.row(base + b).transpose().cast<double>() -
                    rbm.weights.row(base + a).transpose().cast<double>();
            const double fields = field_sum - rbm.fields(i, a) + rbm.fields(i, b);
            const double f = -fields - kernel.cgf_sum(trial.data());
            if (f < best) {
                best = f;
                best_k = k;
                best_fields = fields;
                best_inputs = trial;
            }
        }
        const int site = remaining[best_k];
        states(step, site) = to[static_cast<std::size_t>(site)];
        inputs = best_inputs;
        field_sum = best_fields;
        remaining.erase(remaining.begin() + static_cast<std::ptrdiff_t>(best_k));
    }
    return make_path(rbm, states);
}

std::vector<Mutation> mutations(const Path& path) {
    std::vector<Mutation> list;
    const auto sites = static_cast<int>(path.states.cols());
    for (int t = 1; t <= path.steps(); ++t)
        for (int i = 0; i < sites; ++i)
            if (path.states(t - 1, i) != path.states(t, i)) list.push_back({t, i, path.states(t - 1, i), path.states(t, i)});
    return list;
}

std::string mutation_label(int site, int from, int to, const std::vector<int>& columns) {
    const int column = site < static_cast<int>(columns.size()) ? columns[static_cast<std::size_t>(site)] + 1 : site + 1;
    const auto symbol = [](int state) {
        return state < q_states ? std::string(1, letter_of(state)) : fmt::format("[{}]", state);
    };
    return fmt::format("{}{}{}", symbol(from), column, symbol(to));
}

Barrier barrier(const Path& path, bool free_end) {
    Barrier result;
    const int steps = path.steps();
    result.max_free_energy = -std::numeric_limits<double>::infinity();
    for (int t = 0; t <= steps; ++t) {
        if (path.free_energy[t] > result.max_free_energy) {
            result.max_free_energy = path.free_energy[t];
            result.argmax = t;
        }
    }
    const double ends = free_end ? path.free_energy[0] : std::max(path.free_energy[0], path.free_energy[steps]);
    result.height = result.max_free_energy - ends;
    return result;
}

}  // namespace pottsrbm::paths
