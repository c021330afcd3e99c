// Alignment filters, applied in this order (documented in docs/user-guide.md):
//   1. focus sequence: keep the columns where the named sequence has a residue (EVcouplings);
//   2. sequences whose gap fraction over the remaining columns exceeds max_sequence_gap;
//   3. columns whose gap fraction over the remaining sequences exceeds max_column_gap;
//   4. exact duplicate sequences (over the kept columns; the first occurrence is kept).
// Alignment::columns keeps the map from kept columns back to original columns.
#pragma once

#include "pottsrbm/msa/alignment.hpp"

#include <cstdint>
#include <string>

namespace pottsrbm::msa {

struct FilterParams {
    double max_sequence_gap = 1.0;  ///< --max-seq-gap, in [0, 1]
    double max_column_gap = 1.0;    ///< --max-col-gap, in [0, 1]
    bool drop_duplicates = false;   ///< --drop-duplicates
    std::string focus;              ///< --focus ID ("" = none)
    /// UsageError naming the option and the bad value.
    void validate() const;
};

struct FilterReport {
    std::int64_t input_sequences = 0;
    int input_columns = 0;
    int removed_by_focus = 0;             ///< columns
    std::int64_t removed_gappy_sequences = 0;
    int removed_gappy_columns = 0;
    std::int64_t removed_duplicates = 0;
};

/// Applies the filters in place. InputError when the focus id is absent or nothing is left.
FilterReport apply_filters(Alignment& alignment, const FilterParams& params);

/// Number of exact duplicate sequences (rows equal to an earlier row).
[[nodiscard]] std::int64_t count_duplicates(const Alignment& alignment);

}  // namespace pottsrbm::msa
