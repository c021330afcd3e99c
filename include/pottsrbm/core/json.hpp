// Pieces of JSON text (RFC 8259) for the reports that write JSON by hand: string literals and numbers.
#pragma once

#include <string>
#include <string_view>

namespace pottsrbm::json {

/// `text` as a JSON string literal, quotes included: " and \ escaped, control characters as \b \f \n
/// \r \t or \u00XX, valid UTF-8 passed through, each byte of an invalid UTF-8 sequence as \ufffd.
[[nodiscard]] std::string quote(std::string_view text);

/// `value` as a JSON number, the shortest text that reads back to the same double; null when not finite.
[[nodiscard]] std::string number(double value);

/// `value` as a JSON number with at most `significant_digits` significant digits (printf %g); null
/// when not finite.
[[nodiscard]] std::string number(double value, int significant_digits);

}  // namespace pottsrbm::json
