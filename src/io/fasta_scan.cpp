// Validation scan of FASTA-family text (aligned FASTA, A2M, A3M) before SeqAn3 parses it, and the
// choice among the three formats. SeqAn3 silently skips digits and whitespace inside sequences
// and starts a new record at any '>' or ';', so everything it would not read verbatim is
// reported here with file, record, id, column and line.
#include "reader_detail.hpp"

#include "pottsrbm/core/alphabet.hpp"

#include <fmt/format.h>

namespace pottsrbm::io::detail {

FastaScan scan_fasta(std::string_view bytes, const std::string& name) {
    FastaScan scan;
    LineCursor lines(bytes);
    std::string_view line;
    std::string_view id;            // id of the current record
    std::int64_t header_line = 0;   // line of the current record's header
    std::int64_t raw_length = 0;    // sequence bytes of the current record
    std::int64_t first_length = -1; // sequence bytes of the first record

    const auto close_record = [&]() -> bool {
        if (scan.records == 0) return true;
        if (raw_length == 0) {
            scan.error = fmt::format("{}: record {} ({}): empty sequence (header at line {})", name, scan.records, id,
                                     header_line);
            return false;
        }
        if (first_length < 0) first_length = raw_length;
        if (raw_length != first_length) scan.equal_raw_lengths = false;
        return true;
    };

    while (lines.next(line)) {
        if (!line.empty() && line[0] == '>') {
            if (!close_record()) return scan;
            ++scan.records;
            if (scan.records == 1) scan.first_header = lines.offset();
            id = header_id(line);
            header_line = lines.number();
            raw_length = 0;
            if (id.empty()) {
                scan.error = fmt::format("{}: record {}: header without a sequence id (line {})", name, scan.records,
                                         header_line);
                return scan;
            }
            continue;
        }
        const auto text = trim_line_end(line);
        if (text.empty()) continue;
        if (scan.records == 0) {
            if (text[0] == '#') continue;  // comment line before the first header
            scan.error = fmt::format("{}: line {}: sequence data before the first '>' header", name, lines.number());
            return scan;
        }
        for (std::size_t i = 0; i < text.size(); ++i) {
            const char c = text[i];
            const auto cls = classify_symbol(c);
            if (cls == SymbolClass::invalid) {
                scan.error = fmt::format("{}: record {} ({}): invalid {} at column {} (line {})", name, scan.records, id,
                                         describe_byte(static_cast<unsigned char>(c)),
                                         raw_length + static_cast<std::int64_t>(i) + 1, lines.number());
                return scan;
            }
            if (c >= 'a' && c <= 'z') {
                scan.lowercase = true;
            } else if (c >= 'A' && c <= 'Z') {
                scan.uppercase = true;
            } else if (c == '.') {
                scan.dots = true;
            }
        }
        raw_length += static_cast<std::int64_t>(text.size());
    }
    if (!close_record()) return scan;
    if (scan.records == 0) scan.error = fmt::format("{}: no sequences (no '>' header line)", name);
    return scan;
}

msa::Format choose_fasta_format(const FastaScan& scan, std::optional<msa::Format> hint) {
    const bool hint_a2m = hint == msa::Format::a2m;
    const bool hint_a3m = hint == msa::Format::a3m;
    if (!scan.lowercase && !scan.dots) {
        // Nothing tells the formats apart; they read identically.
        return hint_a2m || hint_a3m ? *hint : msa::Format::fasta;
    }
    if (scan.lowercase && !scan.uppercase) return msa::Format::fasta;  // an all-lowercase aligned FASTA
    if (!scan.lowercase) {
        // '.' without lowercase: gaps of an aligned FASTA when the rows are equally long.
        return scan.equal_raw_lengths && !hint_a2m && !hint_a3m ? msa::Format::fasta : msa::Format::a2m;
    }
    if (scan.dots) return msa::Format::a2m;  // A3M has no '.'
    if (scan.equal_raw_lengths) return hint_a3m ? msa::Format::a3m : msa::Format::a2m;
    return hint_a2m ? msa::Format::a2m : msa::Format::a3m;
}

}  // namespace pottsrbm::io::detail
