// NumPy .npz archives via libzip (see npz.hpp).
//
// A .npy v1.0 member is: "\x93NUMPY" 0x01 0x00, uint16 LE header length, the header (a Python
// dict literal padded with spaces and ending in '\n' so that 10 + length is a multiple of 64),
// then the payload in C order. Versions 2.0 and 3.0 differ only by a uint32 header length.
#include "pottsrbm/core/npz.hpp"

#include "pottsrbm/core/error.hpp"

#include <fmt/format.h>
#include <zip.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <set>
#include <stdexcept>

namespace pottsrbm::npz {
namespace {

constexpr std::string_view npy_magic = "\x93NUMPY";
constexpr std::string_view member_suffix = ".npy";
constexpr std::size_t max_rank = 32;  // numpy's NPY_MAXDIMS before numpy 2
/// No array of this toolkit comes near this; larger claims are treated as corruption.
constexpr std::uint64_t max_payload_bytes = std::uint64_t{1} << 46;
/// Deflate cannot expand data by more than 1032:1; a member claiming more is corrupt.
constexpr std::uint64_t max_deflate_ratio = 1032;

// ---- UTF-8 <-> code points ---------------------------------------------------------------------

void append_utf8(std::string& out, char32_t c) {
    if (c < 0x80) {
        out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (c >> 6)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (c >> 12)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (c >> 18)));
        out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
}

/// Decodes one UTF-8 sequence at text[pos]; returns false (and advances by one byte) when it is
/// invalid: a stray continuation byte, a truncated or overlong sequence, a surrogate, > U+10FFFF.
bool next_code_point(std::string_view text, std::size_t& pos, char32_t& out) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(pos);
    int extra = 0;
    char32_t c = 0;
    if (lead < 0x80) {
        out = lead;
        ++pos;
        return true;
    }
    if ((lead & 0xE0) == 0xC0) extra = 1, c = lead & 0x1F;
    else if ((lead & 0xF0) == 0xE0) extra = 2, c = lead & 0x0F;
    else if ((lead & 0xF8) == 0xF0) extra = 3, c = lead & 0x07;
    else {
        ++pos;
        return false;
    }
    if (pos + static_cast<std::size_t>(extra) >= text.size()) {
        ++pos;
        return false;
    }
    for (int k = 1; k <= extra; ++k) {
        const unsigned char b = byte(pos + static_cast<std::size_t>(k));
        if ((b & 0xC0) != 0x80) {
            ++pos;
            return false;
        }
        c = (c << 6) | (b & 0x3F);
    }
    static constexpr char32_t smallest[4] = {0, 0x80, 0x800, 0x10000};
    if (c < smallest[extra] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
        ++pos;
        return false;
    }
    pos += static_cast<std::size_t>(extra) + 1;
    out = c;
    return true;
}

bool is_valid_utf8(std::string_view text) {
    char32_t c = 0;
    for (std::size_t pos = 0; pos < text.size();)
        if (!next_code_point(text, pos, c)) return false;
    return true;
}

/// Code points of a UTF-8 string; invalid sequences become U+FFFD.
std::vector<char32_t> to_code_points(std::string_view text) {
    std::vector<char32_t> points;
    points.reserve(text.size());
    for (std::size_t pos = 0; pos < text.size();) {
        char32_t c = 0;
        points.push_back(next_code_point(text, pos, c) ? c : char32_t{0xFFFD});
    }
    return points;
}

std::uint32_t load_u32le(const unsigned char* p) {
    return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[3]} << 24);
}

// ---- dtypes ----------------------------------------------------------------------------------

/// A dtype as found in a header: element type and, for text, bytes per element.
struct ParsedType {
    DType dtype = DType::float64;
    std::uint64_t item_bytes = 0;
    bool utf32 = false;  ///< '<U{n}' (4 bytes per character) rather than '|S{n}'
};

/// Parses a numpy descr; returns an error message, or "" on success.
std::string parse_descr(const std::string& descr, ParsedType& type) {
    if (descr.size() < 2) return fmt::format("unsupported dtype '{}'", descr);
    const char order = descr[0];
    const std::string body = descr.substr(1);
    if (order != '<' && order != '>' && order != '|' && order != '=')
        return fmt::format("unsupported dtype '{}' (no byte-order character)", descr);
    struct Fixed {
        const char* body;
        DType dtype;
        std::uint64_t bytes;
    };
    static constexpr Fixed fixed[] = {{"f4", DType::float32, 4}, {"f8", DType::float64, 8}, {"i4", DType::int32, 4},
                                      {"i8", DType::int64, 8},   {"u1", DType::uint8, 1},   {"u8", DType::uint64, 8},
                                      {"b1", DType::boolean, 1}};
    for (const auto& f : fixed) {
        if (body != f.body) continue;
        if (f.bytes > 1 && order == '>')
            return fmt::format("big-endian dtype '{}' is not supported (save it as '<{}')", descr, body);
        if (f.bytes > 1 && order != '<') return fmt::format("unsupported dtype '{}' (expected '<{}')", descr, body);
        if (f.bytes == 1 && order != '|' && order != '<')
            return fmt::format("unsupported dtype '{}' (expected '|{}')", descr, body);
        type = {f.dtype, f.bytes, false};
        return "";
    }
    if (body[0] == 'U' || body[0] == 'S') {
        const bool utf32 = body[0] == 'U';
        const std::string digits = body.substr(1);
        if (digits.empty() || digits.size() > 18 || !std::all_of(digits.begin(), digits.end(), [](char c) {
                return c >= '0' && c <= '9';
            }))
            return fmt::format("unsupported dtype '{}'", descr);
        const std::uint64_t length = std::stoull(digits);
        if (utf32 && order == '>') return fmt::format("big-endian dtype '{}' is not supported", descr);
        if (utf32 && order != '<') return fmt::format("unsupported dtype '{}' (expected '<{}')", descr, body);
        if (!utf32 && order != '|') return fmt::format("unsupported dtype '{}' (expected '|{}')", descr, body);
        type = {DType::text, utf32 ? 4 * length : length, utf32};
        return "";
    }
    return fmt::format("unsupported dtype '{}' (supported: <f4 <f8 <i4 <i8 |u1 <u8 |b1 <U |S)", descr);
}

// ---- the .npy header: a Python dict literal --------------------------------------------------

struct Header {
    std::string descr;
    bool fortran_order = false;
    std::vector<std::int64_t> shape;
};

/// Parser of the restricted dict literal numpy writes: string keys; string, bool and
/// integer-tuple values. Returns "" on success or an error message.
class HeaderParser {
public:
    explicit HeaderParser(std::string_view text) : text_(text) {}

    std::string parse(Header& header) {
        skip_space();
        if (!take('{')) return "header is not a Python dict";
        bool has_descr = false, has_order = false, has_shape = false;
        while (true) {
            skip_space();
            if (take('}')) break;
            std::string key;
            if (!string_literal(key)) return "header dict has a key that is not a string";
            skip_space();
            if (!take(':')) return fmt::format("header dict: ':' expected after key '{}'", key);
            skip_space();
            if (key == "descr") {
                if (has_descr) return "header dict repeats key 'descr'";
                has_descr = true;
                if (peek() == '[') return "structured dtypes are not supported";
                if (!string_literal(header.descr)) return "header 'descr' is not a string";
            } else if (key == "fortran_order") {
                if (has_order) return "header dict repeats key 'fortran_order'";
                has_order = true;
                if (!boolean(header.fortran_order)) return "header 'fortran_order' is not True or False";
            } else if (key == "shape") {
                if (has_shape) return "header dict repeats key 'shape'";
                has_shape = true;
                const std::string error = shape(header.shape);
                if (!error.empty()) return error;
            } else {
                return fmt::format("header dict has an unexpected key '{}'", key);
            }
            skip_space();
            if (take(',')) continue;
            skip_space();
            if (take('}')) break;
            return "header dict: ',' or '}' expected";
        }
        skip_space();
        if (pos_ != text_.size()) return "header has trailing characters after the dict";
        if (!has_descr) return "header dict lacks the key 'descr'";
        if (!has_order) return "header dict lacks the key 'fortran_order'";
        if (!has_shape) return "header dict lacks the key 'shape'";
        return "";
    }

private:
    char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
    bool take(char c) {
        if (peek() != c || pos_ >= text_.size()) return false;
        ++pos_;
        return true;
    }
    void skip_space() {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' ||
                                      text_[pos_] == '\r' || text_[pos_] == '\0'))
            ++pos_;
    }
    bool string_literal(std::string& out) {
        const char quote = peek();
        if (quote != '\'' && quote != '"') return false;
        const std::size_t end = text_.find(quote, pos_ + 1);
        if (end == std::string_view::npos) return false;
        out.assign(text_.substr(pos_ + 1, end - pos_ - 1));
        if (out.find('\\') != std::string::npos) return false;
        pos_ = end + 1;
        return true;
    }
    bool word(std::string_view w) {
        if (text_.substr(pos_, w.size()) != w) return false;
        pos_ += w.size();
        return true;
    }
    bool boolean(bool& out) {
        if (word("True")) return out = true, true;
        if (word("False")) return out = false, true;
        return false;
    }
    std::string shape(std::vector<std::int64_t>& out) {
        if (!take('(')) return "header 'shape' is not a tuple";
        bool trailing_comma = false;
        while (true) {
            skip_space();
            if (take(')')) break;
            bool negative = take('-');
            if (peek() < '0' || peek() > '9') return "header 'shape' is not a tuple of integers";
            std::int64_t value = 0;
            while (peek() >= '0' && peek() <= '9') {
                if (__builtin_mul_overflow(value, 10, &value) || __builtin_add_overflow(value, peek() - '0', &value))
                    return "header 'shape' has a dimension that overflows 64 bits";
                ++pos_;
            }
            take('L');  // Python 2 long literals, written by old numpy versions
            if (negative) return fmt::format("header 'shape' has a negative dimension -{}", value);
            if (out.size() == max_rank) return fmt::format("header 'shape' has more than {} dimensions", max_rank);
            out.push_back(value);
            skip_space();
            trailing_comma = take(',');
            if (trailing_comma) continue;
            skip_space();
            if (take(')')) break;
            return "header 'shape' is not a tuple of integers";
        }
        if (out.size() == 1 && !trailing_comma) return "header 'shape' is not a tuple (use '(n,)')";
        return "";
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

// ---- writing ---------------------------------------------------------------------------------

std::string header_dict(std::string_view descr_text, const std::vector<std::int64_t>& shape) {
    return fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}", descr_text, shape_string(shape));
}

/// The bytes of a .npy v1.0 file holding `array`, byte for byte what numpy.save writes.
std::vector<unsigned char> encode_npy(const std::string& name, const Array& array) {
    std::string descr_text(descr(array.dtype));
    std::vector<unsigned char> payload;
    const std::vector<unsigned char>* body = &array.data;
    if (array.dtype == DType::text) {
        if (!array.shape.empty())
            throw std::invalid_argument(fmt::format("npz: text array '{}' must be a scalar", name));
        auto points = to_code_points(std::string_view(reinterpret_cast<const char*>(array.data.data()), array.data.size()));
        if (points.empty()) points.push_back(0);  // numpy stores '' as '<U1'
        descr_text += std::to_string(points.size());
        payload.reserve(points.size() * 4);
        for (char32_t c : points)
            for (int k = 0; k < 4; ++k) payload.push_back(static_cast<unsigned char>(c >> (8 * k)));
        body = &payload;
    } else {
        if (array.shape.size() > max_rank)
            throw std::invalid_argument(fmt::format("npz: array '{}' has more than {} dimensions", name, max_rank));
        for (auto extent : array.shape)
            if (extent < 0) throw std::invalid_argument(fmt::format("npz: array '{}' has a negative extent", name));
        if (array.data.size() != static_cast<std::uint64_t>(array.size()) * item_size(array.dtype))
            throw std::invalid_argument(fmt::format("npz: array '{}' has {} bytes, shape {} of {} needs {}", name,
                                                    array.data.size(), shape_string(array.shape),
                                                    descr(array.dtype), array.size() * item_size(array.dtype)));
    }
    std::string header = header_dict(descr_text, array.shape);
    const std::size_t prefix = npy_magic.size() + 4;
    header.append(64 - (prefix + header.size() + 1) % 64, ' ');  // numpy pads by 1..64
    header.push_back('\n');
    unsigned char lead[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,  // magic, version 1.0
                              static_cast<unsigned char>(header.size() & 0xFF),
                              static_cast<unsigned char>(header.size() >> 8)};
    std::vector<unsigned char> bytes;
    bytes.reserve(prefix + header.size() + body->size());
    bytes.assign(lead, lead + prefix);
    for (char c : header) bytes.push_back(static_cast<unsigned char>(c));
    bytes.insert(bytes.end(), body->begin(), body->end());
    return bytes;
}

// ---- reading ---------------------------------------------------------------------------------

struct ZipCloser {
    void operator()(zip_t* archive) const { zip_discard(archive); }
};
struct ZipFileCloser {
    void operator()(zip_file_t* file) const { zip_fclose(file); }
};

/// Reads one member of an open archive; errors through `fail(message)`.
class MemberReader {
public:
    MemberReader(zip_t* archive, std::uint64_t index, const std::string& label, const std::string& name,
                 std::uint64_t archive_bytes)
        : archive_(archive), index_(index), label_(label), name_(name), archive_bytes_(archive_bytes) {}

    Array read() {
        zip_stat_t stat;
        zip_stat_init(&stat);
        if (zip_stat_index(archive_, index_, 0, &stat) != 0) fail(fmt::format("cannot stat member: {}", zip_strerror(archive_)));
        if (!(stat.valid & ZIP_STAT_SIZE) || !(stat.valid & ZIP_STAT_COMP_SIZE) || !(stat.valid & ZIP_STAT_COMP_METHOD))
            fail("member sizes are unknown");
        if ((stat.valid & ZIP_STAT_ENCRYPTION_METHOD) && stat.encryption_method != ZIP_EM_NONE)
            fail("member is encrypted");
        if (!zip_compression_method_supported(stat.comp_method, 0))
            fail(fmt::format("member uses unsupported zip compression method {}", stat.comp_method));
        if (stat.comp_size > archive_bytes_)
            fail(fmt::format("member claims {} compressed bytes in a {}-byte archive", stat.comp_size, archive_bytes_));
        const std::uint64_t ratio = stat.comp_method == ZIP_CM_STORE ? 1 : max_deflate_ratio;
        if (stat.size / ratio > stat.comp_size + 1024)
            fail(fmt::format("member claims {} bytes from only {} compressed bytes", stat.size, stat.comp_size));
        remaining_ = stat.size;

        file_.reset(zip_fopen_index(archive_, index_, 0));
        if (!file_) fail(fmt::format("cannot open member: {}", zip_strerror(archive_)));

        unsigned char prefix[12];
        read_exact(prefix, 8, "the .npy magic");
        if (std::string_view(reinterpret_cast<const char*>(prefix), npy_magic.size()) != npy_magic)
            fail("not a .npy file (bad magic)");
        const int major = prefix[6], minor = prefix[7];
        if ((major != 1 && major != 2 && major != 3) || minor != 0)
            fail(fmt::format("unsupported .npy format version {}.{} (supported: 1.0, 2.0, 3.0)", major, minor));
        std::uint64_t header_length = 0;
        if (major == 1) {
            read_exact(prefix + 8, 2, "the header length");
            header_length = prefix[8] | (std::uint32_t{prefix[9]} << 8);
        } else {
            read_exact(prefix + 8, 4, "the header length");
            header_length = load_u32le(prefix + 8);
        }
        if (header_length > remaining_)
            fail(fmt::format("header length {} exceeds the member size", header_length));
        std::string header_text(header_length, '\0');
        read_exact(reinterpret_cast<unsigned char*>(header_text.data()), header_length, "the header");
        if (major < 3) {
            for (char c : header_text)
                if (static_cast<unsigned char>(c) >= 0x80) fail("header is not ASCII");
        } else if (!is_valid_utf8(header_text)) {
            fail("header is not valid UTF-8");
        }

        Header header;
        if (const std::string error = HeaderParser(header_text).parse(header); !error.empty()) fail(error);
        ParsedType type;
        if (const std::string error = parse_descr(header.descr, type); !error.empty()) fail(error);
        if (header.fortran_order) fail("fortran_order is True (only C-order arrays are supported)");

        Array array;
        array.dtype = type.dtype;
        array.shape = header.shape;
        if (type.dtype == DType::text && !header.shape.empty())
            fail(fmt::format("text arrays must be scalars (shape ()), got shape {}", shape_string(header.shape)));
        std::uint64_t expected = type.item_bytes;
        for (auto extent : header.shape) {
            if (__builtin_mul_overflow(expected, static_cast<std::uint64_t>(extent), &expected) ||
                expected > max_payload_bytes)
                fail(fmt::format("shape {} of {} is absurdly large", shape_string(header.shape), header.descr));
        }
        if (expected > max_payload_bytes)
            fail(fmt::format("dtype {} with shape {} is absurdly large", header.descr, shape_string(header.shape)));
        for (auto extent : header.shape)  // also when another extent is 0
            if (static_cast<std::uint64_t>(extent) > max_payload_bytes)
                fail(fmt::format("shape {} is absurdly large", shape_string(header.shape)));
        if (remaining_ != expected)
            fail(fmt::format("payload has {} bytes but dtype {} with shape {} needs {} ({})", remaining_,
                             header.descr, shape_string(header.shape), expected,
                             remaining_ < expected ? "truncated" : "extra bytes"));

        std::vector<unsigned char> payload(expected);
        read_exact(payload.data(), expected, "the payload");
        unsigned char extra = 0;
        const zip_int64_t tail = zip_fread(file_.get(), &extra, 1);  // reaching EOF makes libzip check the CRC
        if (tail < 0) fail(fmt::format("cannot read member: {}", zip_file_strerror(file_.get())));
        if (tail > 0) fail("payload is longer than its header and the zip directory say");

        if (type.dtype == DType::text) {
            array.data = decode_text(payload, type, header.descr);
        } else {
            if (type.dtype == DType::boolean)
                for (auto b : payload)
                    if (b > 1) fail(fmt::format("bool value {} is neither 0 nor 1", int{b}));
            array.data = std::move(payload);
        }
        return array;
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw InputError(fmt::format("{}: array '{}': {}", label_, name_, what));
    }

    void read_exact(unsigned char* out, std::uint64_t count, std::string_view what) {
        if (count > remaining_) fail(fmt::format("member too short for {}", what));
        std::uint64_t done = 0;
        while (done < count) {
            const std::uint64_t chunk = std::min<std::uint64_t>(count - done, std::uint64_t{1} << 30);
            const zip_int64_t got = zip_fread(file_.get(), out + done, chunk);
            if (got < 0) fail(fmt::format("cannot read member: {}", zip_file_strerror(file_.get())));
            if (got == 0) fail(fmt::format("member ends inside {}", what));
            done += static_cast<std::uint64_t>(got);
        }
        remaining_ -= count;
    }

    std::vector<unsigned char> decode_text(const std::vector<unsigned char>& payload, const ParsedType& type,
                                           const std::string& descr_text) const {
        std::string text;
        if (type.utf32) {
            std::size_t units = payload.size() / 4;
            while (units > 0 && load_u32le(payload.data() + 4 * (units - 1)) == 0) --units;  // numpy strips NULs
            for (std::size_t k = 0; k < units; ++k) {
                const std::uint32_t c = load_u32le(payload.data() + 4 * k);
                if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
                    fail(fmt::format("{} text holds an invalid code point U+{:X}", descr_text, c));
                append_utf8(text, static_cast<char32_t>(c));
            }
        } else {
            text.assign(payload.begin(), payload.end());
            while (!text.empty() && text.back() == '\0') text.pop_back();
            if (!is_valid_utf8(text)) fail(fmt::format("{} text is not valid UTF-8", descr_text));
        }
        return {text.begin(), text.end()};
    }

    zip_t* archive_;
    std::uint64_t index_;
    const std::string& label_;
    const std::string& name_;
    std::uint64_t archive_bytes_;
    std::uint64_t remaining_ = 0;  ///< bytes of the member not read yet
    std::unique_ptr<zip_file_t, ZipFileCloser> file_;
};

std::string describe_zip_error(int code) {
    zip_error_t error;
    zip_error_init_with_code(&error, code);
    std::string text = zip_error_strerror(&error);
    zip_error_fini(&error);
    return text;
}

}  // namespace

std::string_view descr(DType dtype) {
    switch (dtype) {
        case DType::float32: return "<f4";
        case DType::float64: return "<f8";
        case DType::int32: return "<i4";
        case DType::int64: return "<i8";
        case DType::uint8: return "|u1";
        case DType::uint64: return "<u8";
        case DType::boolean: return "|b1";
        case DType::text: return "<U";
    }
    return "?";
}

std::size_t item_size(DType dtype) {
    switch (dtype) {
        case DType::float32:
        case DType::int32: return 4;
        case DType::float64:
        case DType::int64:
        case DType::uint64: return 8;
        case DType::uint8:
        case DType::boolean: return 1;
        case DType::text: return 0;
    }
    return 0;
}

std::string shape_string(const std::vector<std::int64_t>& shape) {
    std::string text = "(";
    for (std::size_t k = 0; k < shape.size(); ++k) text += (k == 0 ? "" : ", ") + std::to_string(shape[k]);
    if (shape.size() == 1) text += ",";
    return text + ")";
}

std::int64_t Array::size() const {
    std::int64_t count = 1;
    if (dtype == DType::text) return count;
    for (auto extent : shape)
        if (__builtin_mul_overflow(count, extent, &count)) return std::numeric_limits<std::int64_t>::max();
    return count;
}

Array make_text(std::string_view utf8) {
    Array array;
    array.dtype = DType::text;
    array.data.assign(utf8.begin(), utf8.end());
    return array;
}

void write(const std::string& path, const Archive& archive, Compression compression) {
    // Encode first: a malformed array must not leave a half-written file behind.
    std::vector<std::pair<std::string, std::vector<unsigned char>>> members;
    members.reserve(archive.size());
    for (const auto& [name, array] : archive) {
        if (name.empty() || name.find('\0') != std::string::npos)
            throw std::invalid_argument(fmt::format("npz: invalid array name '{}'", name));
        members.emplace_back(name + std::string(member_suffix), encode_npy(name, array));
    }

    int error_code = 0;
    std::unique_ptr<zip_t, ZipCloser> zip(zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error_code));
    if (!zip) throw RuntimeFailure(fmt::format("cannot create '{}': {}", path, describe_zip_error(error_code)));
    const auto failure = [&](std::string_view what) {
        return RuntimeFailure(fmt::format("cannot write '{}': {}: {}", path, what, zip_strerror(zip.get())));
    };
    for (const auto& [member, bytes] : members) {
        zip_source_t* source = zip_source_buffer(zip.get(), bytes.data(), bytes.size(), 0);
        if (!source) throw failure(member);
        const zip_int64_t index = zip_file_add(zip.get(), member.c_str(), source, ZIP_FL_ENC_UTF_8);
        if (index < 0) {
            zip_source_free(source);
            throw failure(member);
        }
        const zip_int32_t method = compression == Compression::deflate ? ZIP_CM_DEFLATE : ZIP_CM_STORE;
        // Level 1: parameters are noisy floats that deflate barely shrinks at any level, while
        // zeros and small integers (sequences, counts) compress well even at level 1.
        if (zip_set_file_compression(zip.get(), static_cast<zip_uint64_t>(index), method, 1) != 0)
            throw failure(member);
    }
    if (zip_close(zip.get()) != 0) throw failure("closing the archive");
    (void)zip.release();  // zip_close freed it
}

Archive read(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw InputError(fmt::format("{}: is a directory, not an .npz file", path));
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) throw InputError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
    const std::streamoff length = in.tellg();
    if (length < 0) throw InputError(fmt::format("{}: cannot determine the file size", path));
    std::string bytes(static_cast<std::size_t>(length), '\0');
    in.seekg(0);
    if (!in.read(bytes.data(), length)) throw InputError(fmt::format("{}: read error", path));
    return read_memory(bytes, path);
}

Archive read_memory(std::string_view bytes, const std::string& label) {
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
    if (!source) {
        const std::string text = zip_error_strerror(&error);
        zip_error_fini(&error);
        throw RuntimeFailure(fmt::format("{}: {}", label, text));
    }
    std::unique_ptr<zip_t, ZipCloser> zip(zip_open_from_source(source, ZIP_RDONLY, &error));
    if (!zip) {
        zip_source_free(source);
        const std::string text = zip_error_strerror(&error);
        zip_error_fini(&error);
        throw InputError(fmt::format("{}: not a valid NumPy .npz (zip) archive: {}", label, text));
    }
    zip_error_fini(&error);

    const zip_int64_t count = zip_get_num_entries(zip.get(), 0);
    if (count <= 0) throw InputError(fmt::format("{}: the .npz archive contains no arrays", label));
    Archive archive;
    std::set<std::string> seen;
    for (zip_int64_t index = 0; index < count; ++index) {
        const char* raw_name = zip_get_name(zip.get(), static_cast<zip_uint64_t>(index), 0);
        if (!raw_name)
            throw InputError(fmt::format("{}: zip member {} has no readable name: {}", label, index + 1,
                                         zip_strerror(zip.get())));
        const std::string member = raw_name;
        if (member.size() <= member_suffix.size() || !member.ends_with(member_suffix))
            throw InputError(fmt::format("{}: member '{}' is not an array (its name does not end in .npy)", label, member));
        std::string name = member.substr(0, member.size() - member_suffix.size());
        if (!seen.insert(name).second)
            throw InputError(fmt::format("{}: array '{}': the archive holds two members named '{}'", label, name, member));
        archive.emplace(name, MemberReader(zip.get(), static_cast<std::uint64_t>(index), label, name, bytes.size()).read());
    }
    return archive;
}

// ---- Reader ----------------------------------------------------------------------------------

namespace {
std::string dtype_name(DType dtype) {
    return dtype == DType::text ? std::string("text (<U)") : std::string(descr(dtype));
}
}  // namespace

void Reader::fail(const std::string& name, std::string_view what) const {
    throw InputError(fmt::format("{}: array '{}': {}", path_, name, what));
}

const Array& Reader::at(const std::string& name) const {
    const auto found = archive_.find(name);
    if (found == archive_.end()) throw InputError(fmt::format("{}: missing required array '{}'", path_, name));
    return found->second;
}

const Array& Reader::at(const std::string& name, DType dtype, const std::vector<std::int64_t>& expected) const {
    const Array& array = at(name);
    if (array.dtype != dtype)
        fail(name, fmt::format("dtype is {}, expected {}", dtype_name(array.dtype), dtype_name(dtype)));
    if (array.shape != expected)
        fail(name, fmt::format("shape is {}, expected {}", shape_string(array.shape), shape_string(expected)));
    return array;
}

const std::vector<std::int64_t>& Reader::shape(const std::string& name, DType dtype, std::size_t rank) const {
    const Array& array = at(name);
    if (array.dtype != dtype)
        fail(name, fmt::format("dtype is {}, expected {}", dtype_name(array.dtype), dtype_name(dtype)));
    if (array.shape.size() != rank)
        fail(name, fmt::format("shape is {}, expected {} dimension{}", shape_string(array.shape), rank,
                               rank == 1 ? "" : "s"));
    return array.shape;
}

const Array& Reader::scalar(const std::string& name) const {
    const Array& array = at(name);
    if (!array.shape.empty()) fail(name, fmt::format("shape is {}, expected a scalar ()", shape_string(array.shape)));
    return array;
}

std::string Reader::text(const std::string& name) const {
    const Array& array = scalar(name);
    if (array.dtype != DType::text) fail(name, fmt::format("dtype is {}, expected text (<U)", dtype_name(array.dtype)));
    return {array.data.begin(), array.data.end()};
}

namespace {
template <typename T>
T load(const Array& array) {
    T value;
    std::memcpy(&value, array.data.data(), sizeof(T));
    return value;
}
}  // namespace

std::int64_t Reader::integer(const std::string& name) const {
    const Array& array = scalar(name);
    switch (array.dtype) {
        case DType::int32: return load<std::int32_t>(array);
        case DType::int64: return load<std::int64_t>(array);
        case DType::uint8: return load<std::uint8_t>(array);
        case DType::uint64: {
            const auto value = load<std::uint64_t>(array);
            if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
                fail(name, fmt::format("value {} is too large", value));
            return static_cast<std::int64_t>(value);
        }
        default: fail(name, fmt::format("dtype is {}, expected an integer", dtype_name(array.dtype)));
    }
}

std::uint64_t Reader::unsigned_integer(const std::string& name) const {
    const Array& array = scalar(name);
    if (array.dtype == DType::uint64) return load<std::uint64_t>(array);
    const std::int64_t value = integer(name);
    if (value < 0) fail(name, fmt::format("value {} is negative", value));
    return static_cast<std::uint64_t>(value);
}

double Reader::real(const std::string& name) const {
    const Array& array = scalar(name);
    if (array.dtype == DType::float64) return load<double>(array);
    if (array.dtype == DType::float32) return load<float>(array);
    fail(name, fmt::format("dtype is {}, expected <f8", dtype_name(array.dtype)));
}

bool Reader::boolean(const std::string& name) const {
    const Array& array = scalar(name);
    if (array.dtype == DType::boolean) return load<std::uint8_t>(array) != 0;
    if (array.dtype == DType::text || array.dtype == DType::float32 || array.dtype == DType::float64)
        fail(name, fmt::format("dtype is {}, expected |b1", dtype_name(array.dtype)));
    const std::int64_t value = integer(name);
    if (value != 0 && value != 1) fail(name, fmt::format("value {} is not a boolean (0 or 1)", value));
    return value == 1;
}

}  // namespace pottsrbm::npz
