// Exact enumeration for tiny models (q^N up to ~1e6 configurations): log Z, P(v) of every
// configuration, one- and two-site marginals. The oracle of the test suite.
//
// Configuration index: v_0 is the most significant digit in base q (index = sum_i v_i q^(N-1-i)).
#pragma once

#include "pottsrbm/model/rbm.hpp"

#include <Eigen/Core>

#include <cstdint>

namespace pottsrbm::model {

struct ExactDistribution {
    double log_z = 0;
    Eigen::VectorXd probabilities;  ///< q^N entries, P(v) in configuration-index order
    Eigen::MatrixXd single;         ///< N x q one-site marginals
    Eigen::MatrixXd pair;           ///< (N*q) x (N*q) two-site marginals P(v_i = a, v_j = b)
};

/// Throws UsageError when q^N exceeds `max_configurations`.
[[nodiscard]] ExactDistribution enumerate_exact(const Rbm& rbm, double beta = 1.0, std::int64_t max_configurations = 2'000'000);

/// The configuration with index `index` (N states).
void configuration_from_index(std::int64_t index, int sites, int states, std::uint8_t* out);
[[nodiscard]] std::int64_t index_of_configuration(const std::uint8_t* sequence, int sites, int states);

}  // namespace pottsrbm::model
