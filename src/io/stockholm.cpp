// Stockholm 1.0 reader: '# STOCKHOLM 1.0' header, #=GF/#=GS/#=GR/#=GC annotation lines and
// comments, interleaved blocks of "ID SEQUENCE" lines separated by blank lines, '//' at the end.
// Every block lists the sequences of the first block in the same order; lines of one block
// (and its #=GC RF line) have equal widths.
//
// Match columns: those the #=GC RF line marks with a non-gap character when the file has one
// (then residues of either case in them are read and everything in the other columns is
// dropped); otherwise the columns holding an uppercase letter, '-' or '*' in some sequence, so
// that lowercase letters and '.' in the remaining columns are inserts (Pfam/hmmalign output).
// A '.' in a match column is a gap, as in Pfam seed alignments.
//
// The sequence text is kept as views into the input: pieces[b * M + k] is record k in block b.
#include "reader_detail.hpp"

#include "pottsrbm/core/alphabet.hpp"
#include "pottsrbm/core/error.hpp"

#include <fmt/format.h>

#include <unordered_map>

namespace pottsrbm::io::detail {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }

// Splits off the next whitespace-separated field of `text`.
std::string_view next_field(std::string_view& text) {
    std::size_t begin = 0;
    while (begin < text.size() && is_blank(text[begin])) ++begin;
    std::size_t end = begin;
    while (end < text.size() && !is_blank(text[end])) ++end;
    const auto field = text.substr(begin, end - begin);
    text.remove_prefix(end);
    return field;
}

class StockholmParser {
public:
    StockholmParser(std::string_view bytes, const std::string& name) : bytes_(bytes), name_(name) {}

    msa::Alignment parse(NonstandardPolicy policy) {
        read_lines();
        return encode(policy);
    }

private:
    template <typename... Args>
    [[noreturn]] void fail_at(std::int64_t line, fmt::format_string<Args...> format, Args&&... args) const {
        throw InputError(fmt::format("{}: line {}: {}", name_, line, fmt::format(format, std::forward<Args>(args)...)));
    }

    std::int64_t records() const { return static_cast<std::int64_t>(ids_.size()); }

    void read_lines() {
        LineCursor lines(bytes_);
        std::string_view line;
        bool header_seen = false;
        std::int64_t end_line = 0;  // line of '//'
        while (lines.next(line)) {
            const auto text = trim_line_end(line);
            const auto number = lines.number();
            if (!header_seen) {
                if (text.empty()) continue;
                if (text.substr(0, 11) != "# STOCKHOLM")
                    fail_at(number, "missing '# STOCKHOLM 1.0' header (is this a Stockholm file?)");
                header_seen = true;
                continue;
            }
            if (end_line > 0) {
                if (!text.empty()) {
                    fail_at(number,
                            "text after the '//' of line {} that ends the alignment (one alignment per file is "
                            "supported)",
                            end_line);
                }
                continue;
            }
            if (text.empty()) {
                end_block();
            } else if (text == "//") {
                end_block();
                end_line = number;
            } else if (text[0] == '#') {
                annotation_line(text, number);
            } else {
                sequence_line(text, number);
            }
        }
        if (end_line == 0) fail_at(lines.number(), "missing '//' at the end of the alignment");
        if (records() == 0) throw InputError(fmt::format("{}: no sequences (no 'ID SEQUENCE' line)", name_));
        if (!rf_.empty() && rf_blocks_ != blocks_) {
            fail_at(first_block_without_rf_,
                    "this block has no #=GC RF line, but {} of the {} blocks have one; give it in every block or in "
                    "none",
                    rf_blocks_, blocks_);
        }
    }

    void annotation_line(std::string_view text, std::int64_t number) {
        std::string_view rest = text;
        if (next_field(rest) != "#=GC" || next_field(rest) != "RF") return;  // other annotation: ignored
        const auto rf = next_field(rest);
        if (rf.empty() || !next_field(rest).empty()) fail_at(number, "expected '#=GC RF TEXT'");
        if (rf_line_ > 0) fail_at(number, "second #=GC RF line in this block (first at line {})", rf_line_);
        rf_line_ = number;
        block_rf_ = rf;
    }

    void sequence_line(std::string_view text, std::int64_t number) {
        std::string_view rest = text;
        const auto id = next_field(rest);
        const auto sequence = next_field(rest);
        if (!next_field(rest).empty()) fail_at(number, "expected 'ID SEQUENCE', found more than two fields");

        std::int64_t k = in_block_;  // record index of this line
        if (blocks_ == 0) {
            const auto [it, inserted] = index_of_.emplace(id, records());
            if (!inserted) {
                fail_at(number, "duplicate sequence id '{}' in the block (first at line {})", id,
                        lines_[static_cast<std::size_t>(it->second)]);
            }
            ids_.push_back(id);
            seen_in_block_.push_back(0);
        } else if (k >= records() || ids_[static_cast<std::size_t>(k)] != id) {
            const auto it = index_of_.find(id);
            if (it == index_of_.end()) fail_at(number, "sequence '{}' (block {}) is not in the first block", id, blocks_ + 1);
            const auto j = static_cast<std::size_t>(it->second);
            if (seen_in_block_[j] == blocks_) {
                fail_at(number, "duplicate sequence id '{}' in block {} (first at line {})", id, blocks_ + 1,
                        lines_[static_cast<std::size_t>(blocks_ * records()) + j]);
            }
            fail_at(number,
                    "block {} has '{}' where the first block has '{}' (line {}); every block must list the same "
                    "sequences in the same order",
                    blocks_ + 1, id, ids_[static_cast<std::size_t>(k)], lines_[static_cast<std::size_t>(k)]);
        }
        seen_in_block_[static_cast<std::size_t>(k)] = blocks_;
        if (sequence.empty()) fail_at(number, "record {} ({}): empty sequence (expected 'ID SEQUENCE')", k + 1, id);
        for (std::size_t i = 0; i < sequence.size(); ++i) {
            if (classify_symbol(sequence[i]) == SymbolClass::invalid) {
                fail_at(number, "record {} ({}): invalid {} at column {}", k + 1, id,
                        describe_byte(static_cast<unsigned char>(sequence[i])), width_ + static_cast<std::int64_t>(i) + 1);
            }
        }
        const auto width = static_cast<std::int64_t>(sequence.size());
        if (in_block_ == 0) {
            block_width_ = width;
            block_first_line_ = number;
        } else if (width != block_width_) {
            fail_at(number, "record {} ({}): {} columns in this block, expected {} as in line {} ({})", k + 1, id,
                    width, block_width_, block_first_line_, ids_[0]);
        }
        pieces_.push_back(sequence);
        lines_.push_back(number);
        last_line_ = number;
        ++in_block_;
    }

    void end_block() {
        if (in_block_ == 0) {
            if (rf_line_ > 0) fail_at(rf_line_, "#=GC RF line outside a block of sequences");
            return;
        }
        if (blocks_ > 0 && in_block_ < records()) {
            fail_at(last_line_, "block {} ends after {} of the {} sequences of the first block (missing '{}')",
                    blocks_ + 1, in_block_, records(), ids_[static_cast<std::size_t>(in_block_)]);
        }
        if (rf_line_ > 0) {
            if (static_cast<std::int64_t>(block_rf_.size()) != block_width_) {
                fail_at(rf_line_, "#=GC RF has {} columns, the sequences of this block have {}", block_rf_.size(),
                        block_width_);
            }
            rf_.append(block_rf_);
            ++rf_blocks_;
        } else if (first_block_without_rf_ == 0) {
            first_block_without_rf_ = block_first_line_;
        }
        block_start_.push_back(width_);
        width_ += block_width_;
        ++blocks_;
        in_block_ = 0;
        rf_line_ = 0;
    }

    msa::Alignment encode(NonstandardPolicy policy) {
        const auto m = records();
        const auto width = static_cast<std::size_t>(width_);
        std::vector<char> match(width, 0);
        const bool has_rf = !rf_.empty();
        if (has_rf) {
            for (std::size_t c = 0; c < width; ++c) {
                const char r = rf_[c];
                match[c] = r != '.' && r != '-' && r != '_' && r != '~';
            }
        } else {
            for (std::size_t p = 0; p < pieces_.size(); ++p) {
                const auto base = static_cast<std::size_t>(block_start_[p / static_cast<std::size_t>(m)]);
                const auto piece = pieces_[p];
                for (std::size_t i = 0; i < piece.size(); ++i) {
                    const char c = piece[i];
                    if (is_upper(c) || c == '-' || c == '*') match[base + i] = 1;
                }
            }
        }
        if (std::find(match.begin(), match.end(), 1) == match.end()) {
            throw InputError(fmt::format(
                "{}: no match columns ({})", name_,
                has_rf ? "the #=GC RF line marks none" : "every column holds only lowercase insert residues and '.'"));
        }

        AlignmentBuilder builder(name_, msa::Format::stockholm, policy, m);
        std::string row;
        for (std::int64_t k = 0; k < m; ++k) {
            row.clear();
            for (std::int64_t b = 0; b < blocks_; ++b) {
                const auto p = static_cast<std::size_t>(b * m + k);
                const auto piece = pieces_[p];
                const auto base = static_cast<std::size_t>(block_start_[static_cast<std::size_t>(b)]);
                for (std::size_t i = 0; i < piece.size(); ++i) {
                    if (!match[base + i]) continue;
                    const char c = piece[i];
                    if (!has_rf && is_lower(c)) {
                        fail_at(lines_[p],
                                "record {} ({}): lowercase insert residue '{}' at column {}, where other sequences "
                                "have uppercase residues or '-' (a match column)",
                                k + 1, ids_[static_cast<std::size_t>(k)], c, base + i + 1);
                    }
                    row.push_back(c);
                }
            }
            builder.add_record(ids_[static_cast<std::size_t>(k)], row, match_only_table(), k + 1);
        }
        return builder.finish();
    }

    std::string_view bytes_;
    const std::string& name_;
    std::vector<std::string_view> ids_;                       // M, in first-block order
    std::unordered_map<std::string_view, std::int64_t> index_of_;
    std::vector<std::int64_t> seen_in_block_;                 // M: last block listing each record
    std::vector<std::string_view> pieces_;                    // blocks x M
    std::vector<std::int64_t> lines_;                         // blocks x M: line of each piece
    std::vector<std::int64_t> block_start_;                   // first column of each block
    std::string rf_;                                          // #=GC RF of all blocks
    std::int64_t width_ = 0;                                  // columns in completed blocks
    std::int64_t blocks_ = 0;                                 // completed blocks
    std::int64_t rf_blocks_ = 0;                              // completed blocks with an RF line
    std::int64_t first_block_without_rf_ = 0;                // first line of the first such block
    // The block being read:
    std::int64_t in_block_ = 0;
    std::int64_t block_width_ = 0;
    std::int64_t block_first_line_ = 0;
    std::int64_t last_line_ = 0;
    std::int64_t rf_line_ = 0;
    std::string_view block_rf_;
};

}  // namespace

msa::Alignment parse_stockholm(std::string_view bytes, const std::string& name, NonstandardPolicy policy) {
    return StockholmParser(bytes, name).parse(policy);
}

}  // namespace pottsrbm::io::detail
