// Numbered content lines of text files (see text_lines.hpp).
#include "pottsrbm/io/text_lines.hpp"

#include "pottsrbm/io/alignment_reader.hpp"

#include <cctype>

namespace pottsrbm::io {

std::vector<TextLine> content_lines(std::string_view bytes) {
    std::vector<TextLine> lines;
    long number = 0;
    std::size_t start = 0;
    while (start < bytes.size()) {
        std::size_t end = bytes.find('\n', start);
        if (end == std::string_view::npos) end = bytes.size();
        std::string_view line = bytes.substr(start, end - start);
        start = end + 1;
        ++number;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        std::size_t first = 0;
        while (first < line.size() && std::isspace(static_cast<unsigned char>(line[first])) != 0) ++first;
        if (first == line.size() || line[first] == '#') continue;
        lines.push_back({number, std::string(line)});
    }
    return lines;
}

std::vector<TextLine> read_content_lines(const std::string& path) { return content_lines(read_file_bytes(path)); }

}  // namespace pottsrbm::io
