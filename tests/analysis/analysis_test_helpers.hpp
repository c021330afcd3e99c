// Helpers of the analysis tests: tiny protein models (q = 21) with hand-set or random weights,
// weighted sequence sets, and every configuration with its exact probability.
#pragma once

#include "model/model_test_utils.hpp"
#include "pottsrbm/analysis/units.hpp"
#include "pottsrbm/core/alphabet.hpp"
#include "pottsrbm/model/exact.hpp"

#include <fmt/format.h>

#include <string>
#include <vector>

namespace pottsrbm::analysis::testing {

/// A q = 21 model with zero parameters, identity columns offset by `first_column`.
inline model::Rbm blank_model(int sites, int units, model::HiddenType type = model::HiddenType::drelu,
                              int first_column = 0) {
    model::Rbm rbm = model::Rbm::make(sites, 21, units, type);
    for (int i = 0; i < sites; ++i) rbm.columns[static_cast<std::size_t>(i)] = first_column + i;
    return rbm;
}

inline void set_weight(model::Rbm& rbm, int site, char letter, int mu, float value) {
    rbm.weights(static_cast<Eigen::Index>(site) * rbm.states + state_of(letter), mu) = value;
}

/// Sequences given as strings over the model's sites (letters of "-ACDEFGHIKLMNPQRSTVWY").
inline WeightedSequences sequences(const std::vector<std::string>& rows, const std::vector<double>& weights = {},
                                   const std::vector<std::string>& ids = {}) {
    WeightedSequences set;
    set.states.resize(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(rows.front().size()));
    for (std::size_t m = 0; m < rows.size(); ++m)
        for (std::size_t i = 0; i < rows[m].size(); ++i)
            set.states(static_cast<Eigen::Index>(m), static_cast<Eigen::Index>(i)) = state_of(rows[m][i]);
    set.weights = Eigen::VectorXd::Ones(static_cast<Eigen::Index>(rows.size()));
    for (std::size_t m = 0; m < weights.size(); ++m) set.weights(static_cast<Eigen::Index>(m)) = weights[m];
    set.ids = ids;
    if (set.ids.empty())
        for (std::size_t m = 0; m < rows.size(); ++m) set.ids.push_back(fmt::format("seq{}", m + 1));
    return set;
}

/// Random data: `count` sequences drawn uniformly, weights in [0.2, 1].
inline WeightedSequences random_sequences(int sites, int count, std::uint64_t seed) {
    Rng rng(seed, 3);
    WeightedSequences set;
    set.states.resize(count, sites);
    set.weights.resize(count);
    for (int m = 0; m < count; ++m) {
        for (int i = 0; i < sites; ++i) set.states(m, i) = static_cast<std::uint8_t>(rng.below(21));
        set.weights(m) = 0.2 + 0.8 * rng.uniform();
        set.ids.push_back(fmt::format("r{}", m));
    }
    return set;
}

/// Every configuration of `rbm` weighted by its exact probability (no sampling error).
inline WeightedSequences exact_ensemble(const model::Rbm& rbm) {
    const model::ExactDistribution exact = model::enumerate_exact(rbm);
    WeightedSequences set;
    set.states = model::testing::all_configurations(rbm.sites, rbm.states);
    set.weights = exact.probabilities;
    return set;
}

}  // namespace pottsrbm::analysis::testing
