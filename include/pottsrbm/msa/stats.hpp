// Alignment statistics for `pottsrbm stats`: sizes, M_eff, gap fractions per sequence and per
// column, per-column (weighted) entropy, duplicates, non-standard symbols; text and JSON output.
#pragma once

#include "pottsrbm/msa/alignment.hpp"
#include "pottsrbm/msa/filter.hpp"

#include <Eigen/Core>

#include <array>
#include <cstdint>
#include <ostream>
#include <string>

namespace pottsrbm::msa {

struct AlignmentStats {
    std::int64_t sequences = 0;        ///< M after filters
    int columns = 0;                   ///< N kept
    int original_columns = 0;          ///< N in the input (match columns)
    double effective_sequences = 0;    ///< M_eff
    double identity_threshold = 0.8;   ///< theta used for the weights (0 when uniform)
    bool weighted = true;
    std::int64_t duplicates = 0;
    Eigen::VectorXd sequence_gap_fraction;  ///< M
    /// Sequences per gap-fraction bin [0, 0.1), [0.1, 0.2), ..., [0.9, 1.0] (from exact counts).
    std::array<std::int64_t, 10> sequence_gap_histogram{};
    Eigen::VectorXd column_gap_fraction;    ///< N (unweighted)
    Eigen::VectorXd column_entropy;         ///< N, weighted, natural log (nats), gap = one of the q states
    Eigen::MatrixXd frequencies;            ///< N x q weighted one-site frequencies
    NonstandardReport nonstandard;
    FilterReport filters;
};

/// Computes the statistics of a filtered alignment with its weights.
[[nodiscard]] AlignmentStats compute_stats(const Alignment& alignment, const Eigen::VectorXd& weights,
                                           const FilterReport& filters, double identity_threshold, bool weighted);

/// Human-readable report (header with version; columns in original 1-based numbering).
void write_stats_text(std::ostream& out, const Alignment& alignment, const AlignmentStats& stats);
/// Machine-readable JSON with the same numbers.
void write_stats_json(std::ostream& out, const Alignment& alignment, const AlignmentStats& stats);

}  // namespace pottsrbm::msa
