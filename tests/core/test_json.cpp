// JSON string literals and numbers: escaping of every control character, UTF-8 validation, null for non-finite.
#include "pottsrbm/core/json.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <string>

using namespace pottsrbm;

TEST_CASE("json::quote escapes quotes, backslashes and control characters") {
    CHECK(json::quote("") == "\"\"");
    CHECK(json::quote("plain text / 1.5") == "\"plain text / 1.5\"");
    CHECK(json::quote(R"(say "hi" \ bye)") == R"("say \"hi\" \\ bye")");
    CHECK(json::quote("a\nb\rc\td\be\ff") == R"("a\nb\rc\td\be\ff")");
    CHECK(json::quote(std::string("nul\0x", 5)) == R"("nul\u0000x")");
    CHECK(json::quote("\x1b[0m") == R"("\u001b[0m")");
    CHECK(json::quote("\x1f\x7f") == "\"\\u001f\x7f\"");  // DEL needs no escape
    for (int c = 0; c < 0x20; ++c) {
        const std::string quoted = json::quote(std::string(1, static_cast<char>(c)));
        const bool short_form = c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t';
        CHECK(quoted.size() == (short_form ? 4u : 8u));
        if (!short_form) CHECK(quoted == fmt::format("\"\\u{:04x}\"", c));
    }
}

TEST_CASE("json::quote passes valid UTF-8 and replaces invalid bytes with U+FFFD") {
    CHECK(json::quote("caf\xc3\xa9 \xe2\x88\x92 \xf0\x9f\xa7\xac") == "\"caf\xc3\xa9 \xe2\x88\x92 \xf0\x9f\xa7\xac\"");
    CHECK(json::quote("a\xff" "b") == R"("a\ufffdb")");
    CHECK(json::quote("\xc0\xaf") == R"("\ufffd\ufffd")");          // overlong '/'
    CHECK(json::quote("\xed\xa0\x80") == R"("\ufffd\ufffd\ufffd")");  // UTF-16 surrogate
    CHECK(json::quote("\xf4\x90\x80\x80") == R"("\ufffd\ufffd\ufffd\ufffd")");  // above U+10FFFF
    CHECK(json::quote("\xe2\x88") == R"("\ufffd\ufffd")");          // cut at the end
}

TEST_CASE("json::number writes finite values and null otherwise") {
    CHECK(json::number(0.0) == "0");
    CHECK(json::number(-2.5) == "-2.5");
    CHECK(json::number(0.1) == "0.1");
    CHECK(std::stod(json::number(1.0 / 3.0)) == 1.0 / 3.0);
    CHECK(std::stod(json::number(6.02214076e23)) == 6.02214076e23);
    CHECK(json::number(std::numeric_limits<double>::quiet_NaN()) == "null");
    CHECK(json::number(std::numeric_limits<double>::infinity()) == "null");
    CHECK(json::number(-std::numeric_limits<double>::infinity()) == "null");

    CHECK(json::number(1.0 / 3.0, 4) == "0.3333");
    CHECK(json::number(123456789.0, 6) == "1.23457e+08");
    CHECK(json::number(2.0, 8) == "2");
    CHECK(json::number(std::nan(""), 6) == "null");
    CHECK(json::number(-std::numeric_limits<double>::infinity(), 8) == "null");
}
