// Exact enumeration of the paths of a tiny model (see paths/exact.hpp).
#include "pottsrbm/paths/exact.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/model/exact.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace pottsrbm::paths {

namespace {

struct Enumerator {
    const PathSpec& spec;
    int sites;
    int states;
    std::int64_t count;                     // q^N
    model::StateMatrix configurations;      // q^N x N
    Eigen::VectorXd free_energy;            // q^N
    std::int64_t target = -1;               // index of B, -1 with a free end
    std::int64_t max_paths;
    std::vector<std::int64_t> current;
    std::vector<std::vector<std::int64_t>> paths;
    std::vector<double> log_weights;

    int distance(std::int64_t x, std::int64_t y) const {
        return hamming(configurations.row(x).data(), configurations.row(y).data(), sites);
    }
    bool allowed(int d) const { return spec.max_distance == 0 || d <= spec.max_distance; }

    void extend(int t, double log_weight) {
        const std::int64_t previous = current[static_cast<std::size_t>(t - 1)];
        if (t == spec.steps && target >= 0) {
            const int d = distance(previous, target);
            if (!allowed(d)) return;
            current[static_cast<std::size_t>(t)] = target;
            add(log_weight - spec.lambda * d);
            return;
        }
        for (std::int64_t x = 0; x < count; ++x) {
            const int d = distance(previous, x);
            if (!allowed(d)) continue;
            // Prune slices from which B can no longer be reached.
            if (target >= 0 && spec.max_distance > 0 &&
                static_cast<long long>(spec.steps - t) * spec.max_distance < distance(x, target))
                continue;
            current[static_cast<std::size_t>(t)] = x;
            const double w = log_weight - spec.beta * free_energy[x] - spec.lambda * d;
            if (t == spec.steps)
                add(w);
            else
                extend(t + 1, w);
        }
    }

    void add(double log_weight) {
        if (static_cast<std::int64_t>(paths.size()) >= max_paths)
            throw UsageError(fmt::format("enumerate_paths: more than {} paths", max_paths));
        paths.push_back(current);
        log_weights.push_back(log_weight);
    }
};

}  // namespace

ExactPaths enumerate_paths(const model::Rbm& rbm, const PathSpec& spec, std::int64_t max_paths) {
    spec.validate(rbm);
    std::int64_t count = 1;
    for (int i = 0; i < rbm.sites; ++i) {
        count *= rbm.states;
        if (count > 100000)
            throw UsageError(fmt::format("enumerate_paths: q^N = {}^{} configurations are too many", rbm.states, rbm.sites));
    }
    Enumerator e{spec, rbm.sites, rbm.states, count, model::StateMatrix(count, rbm.sites), Eigen::VectorXd(count), -1,
                 max_paths, std::vector<std::int64_t>(static_cast<std::size_t>(spec.steps + 1)), {}, {}};
    for (std::int64_t k = 0; k < count; ++k)
        model::configuration_from_index(k, rbm.sites, rbm.states, e.configurations.row(k).data());
    model::free_energy(rbm, e.configurations, e.free_energy);
    e.current[0] = model::index_of_configuration(spec.from.data(), rbm.sites, rbm.states);
    if (!spec.free_end()) e.target = model::index_of_configuration(spec.to.data(), rbm.sites, rbm.states);
    e.extend(1, 0.0);

    ExactPaths result;
    const auto n = static_cast<Eigen::Index>(e.paths.size());
    double largest = -std::numeric_limits<double>::infinity();
    for (double w : e.log_weights) largest = std::max(largest, w);
    double sum = 0;
    for (double w : e.log_weights) sum += std::exp(w - largest);
    result.log_z = largest + std::log(sum);
    result.probabilities.resize(n);
    for (Eigen::Index k = 0; k < n; ++k)
        result.probabilities[k] = std::exp(e.log_weights[static_cast<std::size_t>(k)] - result.log_z);
    result.marginals.assign(static_cast<std::size_t>(spec.steps + 1), Eigen::MatrixXd::Zero(rbm.sites, rbm.states));
    for (Eigen::Index k = 0; k < n; ++k) {
        const auto& path = e.paths[static_cast<std::size_t>(k)];
        for (int t = 0; t <= spec.steps; ++t)
            for (int i = 0; i < rbm.sites; ++i)
                result.marginals[static_cast<std::size_t>(t)](i, e.configurations(path[static_cast<std::size_t>(t)], i)) +=
                    result.probabilities[k];
    }
    result.paths = std::move(e.paths);
    return result;
}

}  // namespace pottsrbm::paths
