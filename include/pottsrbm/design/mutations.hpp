// Mutational effects: mutant notation, the map from a wild type's residue numbering to alignment
// columns, Delta F = F(mutant) - F(wild type), and rank correlation with deep mutational scans.
//
// Notation: a substitution is WT letter, position, mutant letter ("H24A"); a multiple mutant joins
// substitutions with ':' ("H24A:K30R"). Letters are the 20 amino acids (either case); positions
// are in the wild type's own residue numbering (e.g. UniProt), positive integers.
//
// Position -> original 1-based alignment column, one of:
//   - a column map: a TSV/CSV file with a header naming at least `msa_col` (1-based original
//     alignment column) and `dms_pos` (residue number), optionally `wt_aa` (wild-type letter);
//     positions absent from the map are "unaligned";
//   - an offset K: column = position - K (K = 0: positions are alignment columns); a column outside
//     1..last known column is an error ("position out of range").
// A position whose column is not one of the model's columns (removed by a column filter, or not
// in the map) is reported with its status, never dropped.
#pragma once

#include "pottsrbm/model/rbm.hpp"

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pottsrbm::design {

struct Substitution {
    char wild_type = 'A';  ///< uppercase letter
    int position = 0;      ///< residue number (>= 1)
    char mutant = 'A';     ///< uppercase letter
};

struct Mutant {
    std::string name;                         ///< as written in the input
    std::vector<Substitution> substitutions;  ///< in input order, distinct positions
    [[nodiscard]] bool synonymous() const;    ///< every substitution keeps its residue
};

/// Parses "H24A" or "H24A:K30R". `context` (e.g. "dms.csv: line 12") prefixes InputError
/// messages: malformed text, a letter that is not one of the 20 amino acids, a position < 1 or a
/// position given twice.
[[nodiscard]] Mutant parse_mutant(std::string_view text, std::string_view context);

/// The map from residue positions to original 0-based alignment columns.
class PositionMap {
public:
    /// column = position - offset (1-based); columns above `last_column` (1-based) are out of range.
    static PositionMap from_offset(long long offset, int last_column);
    /// Reads a column-map file (see the file comment). InputError naming the file and line for a
    /// missing header field, a bad number, a position or column given twice.
    static PositionMap read(const std::string& path);

    /// 0-based original column of `position`; nullopt when the map has no column for it. Throws
    /// InputError "<context>: position P ... out of range" in offset mode.
    [[nodiscard]] std::optional<int> column(int position, std::string_view context) const;
    /// Position of a 0-based original column (nullopt when none, or when an offset puts it below 1).
    [[nodiscard]] std::optional<int> position(int column) const;
    /// Wild-type letter at `position` given by the map's wt_aa field ('\0' when unknown).
    [[nodiscard]] char wild_type(int position) const;
    [[nodiscard]] bool has_wild_type() const { return !wild_type_.empty(); }
    [[nodiscard]] bool is_table() const { return table_; }
    [[nodiscard]] const std::string& source() const { return source_; }
    /// (position, 0-based column) pairs of a table, in position order.
    [[nodiscard]] const std::map<int, int>& entries() const { return column_of_position_; }

private:
    bool table_ = false;
    long long offset_ = 0;
    int last_column_ = std::numeric_limits<int>::max();
    std::string source_;
    std::map<int, int> column_of_position_;
    std::map<int, int> position_of_column_;
    std::map<int, char> wild_type_;
};

/// The wild type over the model's sites built from a column map with wt_aa: its letter at each
/// mapped model column, the gap elsewhere (what hmmalign writes for a deletion). Also returns the
/// number of model sites that hold a residue. InputError when the map has no wt_aa field.
[[nodiscard]] std::vector<std::uint8_t> wild_type_from_map(const PositionMap& map, const std::vector<int>& model_columns,
                                                           int* residues = nullptr);

/// Checks that a wild type over the model's sites agrees with the map's wt_aa letters (InputError
/// naming the map file, the position, both letters).
void check_wild_type_against_map(const std::vector<std::uint8_t>& wild_type, const PositionMap& map,
                                 const std::vector<int>& model_columns, std::string_view wild_type_name);

enum class MutantStatus { scored, outside_model, unaligned };
[[nodiscard]] std::string_view to_string(MutantStatus status);

struct MutantScore {
    Mutant mutant;
    MutantStatus status = MutantStatus::scored;
    std::vector<int> columns;  ///< 0-based original column per substitution (-1: unaligned)
    double delta_f = std::numeric_limits<double>::quiet_NaN();  ///< F(mutant) - F(wt) when scored
};

/// Scores mutants against `wild_type` (N states over the model's sites). For each substitution:
/// the map gives the column (InputError when out of range); a column that is not a model site makes
/// the mutant `outside_model`, a position without column `unaligned`; otherwise the wild type's
/// residue there must be the substitution's wild-type letter (and the map's wt_aa, when present),
/// else InputError "<context of mutant k>: ... wild type has X at position P". `contexts` has one
/// entry per mutant (file and line) for the messages.
[[nodiscard]] std::vector<MutantScore> score_mutants(const model::Rbm& rbm, const std::vector<std::uint8_t>& wild_type,
                                                     const PositionMap& map, const std::vector<Mutant>& mutants,
                                                     const std::vector<std::string>& contexts);

/// Every single substitution of the wild type at the model sites where it has a residue (19 per
/// site, gaps excluded), named in the map's numbering; sites without a position are skipped and
/// counted in *skipped.
[[nodiscard]] std::vector<MutantScore> score_all_single_mutants(const model::Rbm& rbm,
                                                                const std::vector<std::uint8_t>& wild_type,
                                                                const PositionMap& map, int* skipped = nullptr);

/// A table of mutants read from a CSV/TSV file (delimiter from the header line; gzip allowed), or a
/// plain list with one mutant per line when `mutant_column` is not a header field and the file has
/// one field per line. '#' lines and blank lines are skipped.
struct MutantTable {
    std::vector<std::string> mutants;
    std::vector<std::string> contexts;  ///< "FILE: line K" per row
    std::vector<double> scores;         ///< per row (NaN for an empty cell); empty without a score column
};
/// InputError naming the file (and line) for a missing column, a short row or a non-numeric score.
[[nodiscard]] MutantTable read_mutant_table(const std::string& path, const std::string& mutant_column,
                                            const std::string& score_column);

/// Spearman rank correlation (average ranks for ties); NaN with fewer than 3 pairs or constant data.
/// UsageError when x and y differ in length.
[[nodiscard]] double spearman(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace pottsrbm::design
