// Helpers for the msa tests: alignments built in memory from strings, random alignments with a
// spread of pairwise identities, and a strict JSON parser to check the stats output.
#pragma once

#include "pottsrbm/core/alphabet.hpp"
#include "pottsrbm/core/rng.hpp"
#include "pottsrbm/msa/alignment.hpp"

#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pottsrbm::test {

/// Alignment from equal-length rows of letters of "-ACDEFGHIKLMNPQRSTVWY" (ids s1, s2, ...).
inline msa::Alignment make_alignment(const std::vector<std::string>& rows, std::vector<std::string> ids = {}) {
    msa::Alignment alignment;
    alignment.source = "test.fasta";
    const auto n = rows.empty() ? 0 : static_cast<Eigen::Index>(rows.front().size());
    alignment.states.resize(static_cast<Eigen::Index>(rows.size()), n);
    for (std::size_t m = 0; m < rows.size(); ++m) {
        if (static_cast<Eigen::Index>(rows[m].size()) != n) throw std::invalid_argument("rows of unequal length");
        for (Eigen::Index j = 0; j < n; ++j)
            alignment.states(static_cast<Eigen::Index>(m), j) = state_of(rows[m][static_cast<std::size_t>(j)]);
    }
    if (ids.empty())
        for (std::size_t m = 0; m < rows.size(); ++m) {
            std::string id = "s";  // (not "s" + ...: GCC 12 -Wrestrict false positive)
            id += std::to_string(m + 1);
            ids.push_back(id);
        }
    alignment.ids = std::move(ids);
    alignment.columns.resize(static_cast<std::size_t>(n));
    std::iota(alignment.columns.begin(), alignment.columns.end(), 0);
    alignment.original_length = static_cast<int>(n);
    return alignment;
}

/// Rows of the alignment as letters.
inline std::vector<std::string> rows_of(const msa::Alignment& alignment) {
    std::vector<std::string> rows;
    for (Eigen::Index m = 0; m < alignment.states.rows(); ++m) {
        std::string row;
        for (Eigen::Index j = 0; j < alignment.states.cols(); ++j) row += letter_of(alignment.states(m, j));
        rows.push_back(row);
    }
    return rows;
}

struct RandomAlignmentShape {
    double duplicate_probability = 0.1;  ///< row copied from an earlier row
    double all_gap_probability = 0.02;   ///< row of gaps only
    int families = 4;                    ///< ancestors the rows descend from
};

/// M x N alignment of rows descended from a few random ancestors, each row with its own mutation
/// rate in [0, 0.7], so that pairwise identities cover the whole range [0, 1].
inline msa::Alignment random_alignment(std::int64_t m_total, int n, std::uint64_t seed,
                                       RandomAlignmentShape shape = {}) {
    Rng rng(seed, 0);
    std::vector<std::vector<std::uint8_t>> ancestors(static_cast<std::size_t>(shape.families),
                                                     std::vector<std::uint8_t>(static_cast<std::size_t>(n)));
    for (auto& ancestor : ancestors)
        for (auto& a : ancestor) a = static_cast<std::uint8_t>(1 + rng.below(q_states - 1));
    msa::Alignment alignment;
    alignment.source = "random.fasta";
    alignment.states.resize(m_total, n);
    for (std::int64_t m = 0; m < m_total; ++m) {
        const double u = rng.uniform();
        if (m > 0 && u < shape.duplicate_probability) {
            alignment.states.row(m) =
                alignment.states.row(static_cast<Eigen::Index>(rng.below(static_cast<std::uint64_t>(m))));
        } else if (u < shape.duplicate_probability + shape.all_gap_probability) {
            alignment.states.row(m).setZero();
        } else {
            const auto& ancestor = ancestors[rng.below(ancestors.size())];
            const double rate = 0.7 * rng.uniform();
            for (int j = 0; j < n; ++j)
                alignment.states(m, j) = rng.uniform() < rate ? static_cast<std::uint8_t>(rng.below(q_states))
                                                              : ancestor[static_cast<std::size_t>(j)];
        }
        std::string id = "r";
        id += std::to_string(m);
        alignment.ids.push_back(id);
    }
    alignment.columns.resize(static_cast<std::size_t>(n));
    std::iota(alignment.columns.begin(), alignment.columns.end(), 0);
    alignment.original_length = n;
    return alignment;
}

/// A parsed JSON value.
struct JsonValue {
    using Array = std::vector<JsonValue>;
    using Object = std::map<std::string, JsonValue>;
    std::variant<std::nullptr_t, bool, double, std::string, std::shared_ptr<Array>, std::shared_ptr<Object>> value;

    [[nodiscard]] bool is_null() const { return std::holds_alternative<std::nullptr_t>(value); }
    [[nodiscard]] double number() const { return std::get<double>(value); }
    [[nodiscard]] const std::string& string() const { return std::get<std::string>(value); }
    [[nodiscard]] bool boolean() const { return std::get<bool>(value); }
    [[nodiscard]] const Array& array() const { return *std::get<std::shared_ptr<Array>>(value); }
    [[nodiscard]] const Object& object() const { return *std::get<std::shared_ptr<Object>>(value); }
    [[nodiscard]] const JsonValue& operator[](const std::string& key) const {
        const auto& o = object();
        const auto it = o.find(key);
        if (it == o.end()) throw std::runtime_error("JSON: no key " + key);
        return it->second;
    }
    [[nodiscard]] const JsonValue& operator[](std::size_t i) const { return array().at(i); }
};

/// Strict RFC 8259 parser (rejects trailing commas, NaN, raw control characters in strings,
/// invalid escapes, duplicate keys, trailing garbage). Throws std::runtime_error.
class JsonParser {
public:
    static JsonValue parse(std::string_view text) {
        JsonParser parser(text);
        parser.whitespace();
        JsonValue value = parser.value();
        parser.whitespace();
        if (parser.pos_ != text.size()) parser.fail("trailing characters");
        return value;
    }

private:
    explicit JsonParser(std::string_view text) : text_(text) {}

    [[noreturn]] void fail(const std::string& what) const {
        throw std::runtime_error("JSON: " + what + " at offset " + std::to_string(pos_));
    }
    [[nodiscard]] char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
    void expect(char c) {
        if (peek() != c) fail(std::string("expected '") + c + "'");
        ++pos_;
    }
    void whitespace() {
        while (pos_ < text_.size() &&
               (text_[pos_] == ' ' || text_[pos_] == '\n' || text_[pos_] == '\r' || text_[pos_] == '\t'))
            ++pos_;
    }
    void literal(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) fail("bad literal");
        pos_ += word.size();
    }
    JsonValue value() {
        JsonValue v;
        switch (peek()) {
            case '{': v.value = object(); break;
            case '[': v.value = array(); break;
            case '"': v.value = string(); break;
            case 't':
                literal("true");
                v.value = true;
                break;
            case 'f':
                literal("false");
                v.value = false;
                break;
            case 'n':
                literal("null");
                v.value = nullptr;
                break;
            default: v.value = number();
        }
        return v;
    }
    std::shared_ptr<JsonValue::Object> object() {
        auto o = std::make_shared<JsonValue::Object>();
        expect('{');
        whitespace();
        if (peek() == '}') {
            ++pos_;
            return o;
        }
        while (true) {
            whitespace();
            std::string key = string();
            whitespace();
            expect(':');
            whitespace();
            if (!o->emplace(key, value()).second) fail("duplicate key " + key);
            whitespace();
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            expect('}');
            return o;
        }
    }
    std::shared_ptr<JsonValue::Array> array() {
        auto a = std::make_shared<JsonValue::Array>();
        expect('[');
        whitespace();
        if (peek() == ']') {
            ++pos_;
            return a;
        }
        while (true) {
            whitespace();
            a->push_back(value());
            whitespace();
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            expect(']');
            return a;
        }
    }
    static void put_utf8(std::string& out, std::uint32_t cp) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xc0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xe0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        } else {
            out += static_cast<char>(0xf0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        }
    }
    std::uint32_t hex4() {
        if (pos_ + 4 > text_.size()) fail("short \\u escape");
        std::uint32_t cp = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = text_[pos_++];
            cp <<= 4;
            if (c >= '0' && c <= '9')
                cp |= static_cast<std::uint32_t>(c - '0');
            else if (c >= 'a' && c <= 'f')
                cp |= static_cast<std::uint32_t>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                cp |= static_cast<std::uint32_t>(c - 'A' + 10);
            else
                fail("bad hex digit");
        }
        return cp;
    }
    std::string string() {
        expect('"');
        std::string out;
        while (true) {
            if (pos_ >= text_.size()) fail("unterminated string");
            const auto c = static_cast<unsigned char>(text_[pos_++]);
            if (c == '"') return out;
            if (c < 0x20) fail("raw control character in string");
            if (c >= 0x80) {
                // Raw UTF-8 must be valid: lead byte plus the right number of continuation bytes.
                const int extra = c >= 0xf0 && c <= 0xf4 ? 3 : c >= 0xe0 ? 2 : c >= 0xc2 && c <= 0xdf ? 1 : -1;
                if (extra < 0 || c > 0xf4) fail("invalid UTF-8 lead byte");
                out += static_cast<char>(c);
                for (int k = 0; k < extra; ++k) {
                    const auto d = static_cast<unsigned char>(peek());
                    if (d < 0x80 || d > 0xbf) fail("invalid UTF-8 continuation byte");
                    out += static_cast<char>(d);
                    ++pos_;
                }
                continue;
            }
            if (c != '\\') {
                out += static_cast<char>(c);
                continue;
            }
            const char e = text_[pos_++];
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    std::uint32_t cp = hex4();
                    if (cp >= 0xd800 && cp <= 0xdbff) {
                        if (text_.substr(pos_, 2) != "\\u") fail("lone high surrogate");
                        pos_ += 2;
                        const std::uint32_t low = hex4();
                        if (low < 0xdc00 || low > 0xdfff) fail("bad low surrogate");
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
                    } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                        fail("lone low surrogate");
                    }
                    put_utf8(out, cp);
                    break;
                }
                default: fail("bad escape");
            }
        }
    }
    double number() {
        const std::size_t start = pos_;
        if (peek() == '-') ++pos_;
        if (peek() == '0') {
            ++pos_;
        } else if (peek() >= '1' && peek() <= '9') {
            while (peek() >= '0' && peek() <= '9') ++pos_;
        } else {
            fail("bad value");
        }
        if (peek() == '.') {
            ++pos_;
            if (!(peek() >= '0' && peek() <= '9')) fail("digit expected after '.'");
            while (peek() >= '0' && peek() <= '9') ++pos_;
        }
        if (peek() == 'e' || peek() == 'E') {
            ++pos_;
            if (peek() == '+' || peek() == '-') ++pos_;
            if (!(peek() >= '0' && peek() <= '9')) fail("digit expected in exponent");
            while (peek() >= '0' && peek() <= '9') ++pos_;
        }
        const std::string digits(text_.substr(start, pos_ - start));
        return std::strtod(digits.c_str(), nullptr);
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

}  // namespace pottsrbm::test
