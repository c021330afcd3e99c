// The numbered content lines of small line-based text files (mutant tables, column maps, labels,
// distance lists), so that every reader can name the 1-based line of a bad entry.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pottsrbm::io {

struct TextLine {
    long number = 0;   ///< 1-based line number in the file
    std::string text;  ///< the line without its '\n' and a '\r' before it
};

/// The lines of `bytes` (split at '\n') that hold more than white space and whose first character
/// other than white space is not '#'.
[[nodiscard]] std::vector<TextLine> content_lines(std::string_view bytes);

/// content_lines of a file read by read_file_bytes (gzip is read transparently; InputError when the
/// file cannot be read).
[[nodiscard]] std::vector<TextLine> read_content_lines(const std::string& path);

}  // namespace pottsrbm::io
