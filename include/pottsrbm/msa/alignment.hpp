// An encoded multiple sequence alignment: M sequences x N kept columns of Potts states 0..20
// (see core/alphabet.hpp), plus what later outputs need to speak in the user's terms.
//
// Shapes: states is M x N (row-major, one row per sequence); columns has N entries, the 0-based
// column of the original alignment (match columns after insert removal) that each kept column
// came from; ids has M entries. Every later output reports columns as columns[j] + 1.
#pragma once

#include <Eigen/Core>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace pottsrbm::msa {

using StateMatrix = Eigen::Matrix<std::uint8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

enum class Format { fasta, a2m, a3m, stockholm };

/// Counts of the non-standard symbols B Z J X U O * seen in match columns (index = position in
/// core::nonstandard_residues), and how many sequences contained at least one.
struct NonstandardReport {
    std::array<std::int64_t, 7> counts{};
    std::int64_t sequences = 0;
    [[nodiscard]] std::int64_t total() const {
        std::int64_t sum = 0;
        for (auto c : counts) sum += c;
        return sum;
    }
};

struct Alignment {
    std::string source;                ///< file the alignment was read from
    Format format = Format::fasta;     ///< detected input format
    std::vector<std::string> ids;      ///< sequence identifiers (first word of the header)
    StateMatrix states;                ///< M x N Potts states
    std::vector<int> columns;          ///< original 0-based column of each kept column
    int original_length = 0;           ///< number of match columns in the input
    NonstandardReport nonstandard;     ///< non-standard symbols mapped to the gap

    [[nodiscard]] std::int64_t sequences() const { return states.rows(); }
    [[nodiscard]] int length() const { return static_cast<int>(states.cols()); }
};

}  // namespace pottsrbm::msa
