// Sequence weights w_m = 1 / #{n : identity(m, n) >= theta} (n = m included), where identity is
// the fraction of the N kept columns at which the two sequences have the same Potts state, the
// gap counting as a state. M_eff = sum_m w_m.
//
// compute_weights is the fast implementation (exact duplicates merged, states in transposed
// 32-row panels compared with AVX2, symmetric pairs, early exit once the threshold is decided,
// OpenMP over panels; docs/algorithms.md); compute_weights_reference is the plain O(M^2 N) loop
// kept as the test oracle. Both return exactly the same neighbour counts, for any thread count.
// With N = 0 columns every pair counts as identical.
#pragma once

#include "pottsrbm/msa/alignment.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <istream>
#include <ostream>
#include <string>

namespace pottsrbm::msa {

/// Smallest number of identical columns (out of `length`) with identity >= theta.
[[nodiscard]] int min_identical_columns(int length, double theta);

/// Neighbour counts #{n : identity(m, n) >= theta} for each sequence (fast). Shows a progress
/// bar when it takes long. theta in [0, 1].
[[nodiscard]] Eigen::VectorXi neighbour_counts(const Alignment& alignment, double theta);
/// The reference implementation of neighbour_counts (plain loops, single thread).
[[nodiscard]] Eigen::VectorXi neighbour_counts_reference(const Alignment& alignment, double theta);

/// w_m = 1 / neighbour_counts(m).
[[nodiscard]] Eigen::VectorXd compute_weights(const Alignment& alignment, double theta);
[[nodiscard]] Eigen::VectorXd compute_weights_reference(const Alignment& alignment, double theta);

/// Reads one weight per line (blank lines and '#' comments ignored) for `expected` sequences.
/// InputError naming the file and line for a non-number, a negative or non-finite weight, or a
/// count different from `expected`.
[[nodiscard]] Eigen::VectorXd read_weights(std::istream& in, const std::string& name, std::int64_t expected);
/// Writes one weight per line, in input order, with full precision.
void write_weights(std::ostream& out, const Eigen::VectorXd& weights);

}  // namespace pottsrbm::msa
