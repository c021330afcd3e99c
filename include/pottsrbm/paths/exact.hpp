// Exact enumeration of every path of a tiny model (q^N configurations, a few steps): the oracle
// of the path sampler and of the mean-field approximation in the test suite.
//
// A path is listed as T+1 configuration indices (model/exact.hpp numbering: v_0 is the most
// significant digit in base q).
#pragma once

#include "pottsrbm/model/rbm.hpp"
#include "pottsrbm/paths/path.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <vector>

namespace pottsrbm::paths {

struct ExactPaths {
    std::vector<std::vector<std::int64_t>> paths;  ///< every admissible path, T+1 indices each
    Eigen::VectorXd probabilities;                 ///< P(path), same order
    std::vector<Eigen::MatrixXd> marginals;        ///< T+1 entries, N x q: P(x_{t,i} = a)
    double log_z = 0;                              ///< log of the sum of the path weights
};

/// Enumerates all admissible paths of `spec` (depth-first over the sampled slices) and their
/// probabilities. UsageError when q^N exceeds 100000 or the paths exceed `max_paths`.
[[nodiscard]] ExactPaths enumerate_paths(const model::Rbm& rbm, const PathSpec& spec, std::int64_t max_paths = 2'000'000);

}  // namespace pottsrbm::paths
