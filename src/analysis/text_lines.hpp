// Private to the analysis module: the numbered lines of a text file's bytes, for the line-based
// readers (labels files, distance files), so that every error names the 1-based line.
#pragma once

#include <string_view>
#include <vector>

namespace pottsrbm::analysis::detail {

struct TextLine {
    long number = 0;        ///< 1-based
    std::string_view text;  ///< without the '\n' (a '\r' before it is kept; callers trim)
};

/// Every line of `bytes`, split at '\n'; views into `bytes`.
inline std::vector<TextLine> text_lines(std::string_view bytes) {
    std::vector<TextLine> lines;
    std::size_t start = 0;
    long number = 0;
    while (start < bytes.size()) {
        std::size_t end = bytes.find('\n', start);
        if (end == std::string_view::npos) end = bytes.size();
        lines.push_back({++number, bytes.substr(start, end - start)});
        start = end + 1;
    }
    return lines;
}

}  // namespace pottsrbm::analysis::detail
