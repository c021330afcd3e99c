// JSON string literals and numbers (see json.hpp).
#include "pottsrbm/core/json.hpp"

#include <fmt/format.h>

#include <cmath>

namespace pottsrbm::json {
namespace {

/// Length of the valid UTF-8 sequence starting at text[i], or 0 when it is not valid
/// (overlong forms, UTF-16 surrogates and code points above U+10FFFF are invalid).
std::size_t utf8_length(std::string_view text, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xbf;  // allowed range of the second byte
    if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3;
        if (lead == 0xe0) low = 0xa0;
        if (lead == 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4;
        if (lead == 0xf0) low = 0x90;
        if (lead == 0xf4) high = 0x8f;
    } else {
        return 0;
    }
    if (i + length > text.size()) return 0;
    if (byte(i + 1) < low || byte(i + 1) > high) return 0;
    for (std::size_t k = 2; k < length; ++k)
        if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
    return length;
}

}  // namespace

std::string quote(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    out += '"';
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    out += fmt::format("\\u{:04x}", c);
                } else if (c < 0x80) {
                    out += static_cast<char>(c);
                } else if (const std::size_t length = utf8_length(text, i); length > 0) {
                    out.append(text.substr(i, length));
                    i += length - 1;
                } else {
                    out += "\\ufffd";
                }
        }
    }
    out += '"';
    return out;
}

std::string number(double value) { return std::isfinite(value) ? fmt::format("{}", value) : std::string("null"); }

std::string number(double value, int significant_digits) {
    return std::isfinite(value) ? fmt::format("{:.{}g}", value, significant_digits) : std::string("null");
}

}  // namespace pottsrbm::json
