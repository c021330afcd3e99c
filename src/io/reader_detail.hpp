// Private pieces shared by the alignment readers: byte tables of the reading modes, the
// row-by-row alignment builder (encoding, non-standard symbols, equal-length check), the text
// scanners of each format and the gzip layer.
//
// Byte tables map each input byte to an action: a Potts state 0..20, a non-standard symbol
// (nonstandard_flag | index into core::nonstandard_residues, encoded as the gap), an insert
// to skip, or an invalid byte.
#pragma once

#include "pottsrbm/io/alignment_reader.hpp"
#include "pottsrbm/msa/alignment.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pottsrbm::io::detail {

inline constexpr std::uint8_t nonstandard_flag = 0x80;
inline constexpr std::uint8_t skip_byte = 0xFF;
inline constexpr std::uint8_t invalid_byte = 0xFE;
using ByteTable = std::array<std::uint8_t, 256>;

/// A2M/A3M: uppercase residues, '-', uppercase B Z J X U O and '*' are match columns;
/// lowercase letters and '.' are inserts (skipped).
[[nodiscard]] const ByteTable& insert_aware_table();
/// Aligned FASTA and Stockholm match columns: every letter in either case is a residue of
/// that column, '-' and '.' are gaps.
[[nodiscard]] const ByteTable& match_only_table();

/// Text shown for a byte in messages: 'c' for printable ASCII, 0xNN otherwise.
[[nodiscard]] std::string describe_byte(unsigned char byte);
/// 1-based line number of byte `offset` in `bytes`.
[[nodiscard]] std::int64_t line_of_offset(std::string_view bytes, std::size_t offset);
/// InputError when `bytes` holds a control byte other than tab, CR and LF (binary data).
void check_text(std::string_view bytes, const std::string& name);
/// `line` without a trailing CR and trailing blanks.
[[nodiscard]] std::string_view trim_line_end(std::string_view line);
/// Identifier of a FASTA header: its first word after the leading '>' and blank characters.
[[nodiscard]] std::string_view header_id(std::string_view header);
/// The format a file name suggests by its extension (".gz" stripped), if any.
[[nodiscard]] std::optional<msa::Format> format_from_extension(std::string_view path);

/// Walks text line by line; a line excludes its '\n' (a CR before it is kept).
class LineCursor {
public:
    explicit LineCursor(std::string_view bytes) : bytes_(bytes) {}
    /// Next line; false at the end of the text.
    bool next(std::string_view& line) {
        if (pos_ >= bytes_.size()) return false;
        const std::size_t end = bytes_.find('\n', pos_);
        const std::size_t stop = end == std::string_view::npos ? bytes_.size() : end;
        line = bytes_.substr(pos_, stop - pos_);
        offset_ = pos_;
        pos_ = stop + 1;
        ++number_;
        return true;
    }
    /// 1-based number of the line last returned.
    [[nodiscard]] std::int64_t number() const { return number_; }
    /// Offset of the line last returned.
    [[nodiscard]] std::size_t offset() const { return offset_; }

private:
    std::string_view bytes_;
    std::size_t pos_ = 0;
    std::size_t offset_ = 0;
    std::int64_t number_ = 0;
};

/// Gathers encoded rows into an Alignment; every row must have the length of the first.
class AlignmentBuilder {
public:
    AlignmentBuilder(std::string name, msa::Format format, NonstandardPolicy policy, std::int64_t expected_rows);
    /// Encodes `bytes` (one record, 1-based number `record`) through `table`. InputError for an
    /// invalid byte (its column is its 1-based position in `bytes`) or a row whose number of
    /// columns differs from the first row.
    void add_record(std::string_view id, std::string_view bytes, const ByteTable& table, std::int64_t record);
    /// The alignment; InputError when no row is left.
    [[nodiscard]] msa::Alignment finish();

private:
    std::string name_;
    msa::Format format_;
    NonstandardPolicy policy_;
    std::vector<std::uint8_t> states_;  // rows x length_, row-major
    std::vector<std::string> ids_;
    std::int64_t length_ = -1;
    std::string first_id_;
    std::int64_t first_record_ = 0;
    std::int64_t records_ = 0;
    msa::NonstandardReport nonstandard_;
};

/// What a scan of FASTA-family text found (see scan_fasta).
struct FastaScan {
    std::size_t first_header = 0;   ///< offset of the first '>' header line
    std::int64_t records = 0;       ///< records seen (up to the first problem)
    bool lowercase = false;         ///< a sequence line holds a lowercase letter
    bool uppercase = false;         ///< a sequence line holds an uppercase letter
    bool dots = false;              ///< a sequence line holds '.'
    bool equal_raw_lengths = true;  ///< every record has the same number of sequence bytes
    std::string error;              ///< first problem found, as a full one-line message; empty if none
};

/// Validates FASTA/A2M/A3M text line by line (headers, sequence bytes, empty records, data
/// before the first header) and gathers what format detection needs. Lines starting with '#'
/// before the first header are comments (as in ColabFold A3M files). Never throws.
[[nodiscard]] FastaScan scan_fasta(std::string_view bytes, const std::string& name);
/// Chooses among fasta, a2m and a3m from a scan; `hint` (a format named by the file
/// extension, if any) breaks ties.
[[nodiscard]] msa::Format choose_fasta_format(const FastaScan& scan, std::optional<msa::Format> hint);
/// Reads validated FASTA-family text (from scan.first_header on) with SeqAn3 and encodes it.
[[nodiscard]] msa::Alignment read_fasta_records(std::string_view bytes, const FastaScan& scan, const std::string& name,
                                                msa::Format format, NonstandardPolicy policy);

/// Parses Stockholm 1.0 text.
[[nodiscard]] msa::Alignment parse_stockholm(std::string_view bytes, const std::string& name, NonstandardPolicy policy);

/// True when `bytes` starts with the gzip magic bytes 1f 8b.
[[nodiscard]] bool is_gzip(std::string_view bytes);
/// Decompresses gzip data (several members allowed). InputError "NAME: truncated gzip data ..."
/// or "NAME: corrupt gzip data ...".
[[nodiscard]] std::string gunzip(std::string_view compressed, const std::string& name);

}  // namespace pottsrbm::io::detail
