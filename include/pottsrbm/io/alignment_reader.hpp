// Alignment readers: aligned FASTA (one-line or wrapped records, '>>' headers), A2M (lowercase
// and '.' are insert states, dropped), A3M (lowercase inserts, no dots) and Stockholm 1.0
// (interleaved blocks, #=GF/#=GS/#=GR/#=GC lines, '//'), each optionally gzipped. The format
// is detected from the content; the file extension is only a hint.
//
// Match columns hold A-Z (uppercase), '-' and '.' (a gap). The 20 amino acids map to Potts
// states; B Z J X U O and '*' map to the gap by default and are counted, or drop the sequence
// that contains them. Any other byte is an InputError naming file, record number, id and column.
#pragma once

#include "pottsrbm/msa/alignment.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace pottsrbm::io {

enum class NonstandardPolicy { map_to_gap, drop_sequence };

struct ReadOptions {
    std::optional<msa::Format> format;  ///< nullopt: detect from content
    NonstandardPolicy nonstandard = NonstandardPolicy::map_to_gap;
};

/// "fasta", "a2m", "a3m", "stockholm".
[[nodiscard]] std::string_view to_string(msa::Format format);
/// Parses a format name; UsageError naming `option` and the value when unknown.
[[nodiscard]] msa::Format parse_format(std::string_view name, std::string_view option = "--format");

/// Reads a whole file, transparently gunzipping it (InputError for unreadable or truncated gzip).
[[nodiscard]] std::string read_file_bytes(const std::string& path);

/// Detects the format of decompressed `bytes`; `path_hint` (the file name) breaks ties.
[[nodiscard]] msa::Format detect_format(std::string_view bytes, std::string_view path_hint);

/// Reads and encodes an alignment file. InputError "PATH: record K (ID): ..." on bad input.
[[nodiscard]] msa::Alignment read_alignment(const std::string& path, const ReadOptions& options = {});

/// Same, from bytes already in memory (`name` appears in error messages). Used by the fuzzer.
[[nodiscard]] msa::Alignment parse_alignment(std::string_view bytes, const std::string& name,
                                             const ReadOptions& options = {});

}  // namespace pottsrbm::io
