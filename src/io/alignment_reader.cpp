// Alignment reading entry points (format names, file bytes, format detection, dispatch to the
// FASTA-family and Stockholm readers) and the shared pieces of reader_detail.hpp: byte tables,
// text checks and the row-by-row AlignmentBuilder.
#include "pottsrbm/io/alignment_reader.hpp"

#include "reader_detail.hpp"

#include "pottsrbm/core/alphabet.hpp"
#include "pottsrbm/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <numeric>

namespace pottsrbm::io {

std::string_view to_string(msa::Format format) {
    switch (format) {
        case msa::Format::fasta: return "fasta";
        case msa::Format::a2m: return "a2m";
        case msa::Format::a3m: return "a3m";
        case msa::Format::stockholm: return "stockholm";
    }
    return "unknown";
}

msa::Format parse_format(std::string_view name, std::string_view option) {
    for (auto format : {msa::Format::fasta, msa::Format::a2m, msa::Format::a3m, msa::Format::stockholm}) {
        if (name == to_string(format)) return format;
    }
    throw UsageError(
        fmt::format("{}: unknown alignment format '{}' (expected fasta, a2m, a3m or stockholm)", option, name));
}

namespace {

// The bytes of a file as stored (no decompression).
std::string read_raw_bytes(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw InputError(fmt::format("{}: is a directory", path));
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!file) throw InputError(fmt::format("{}: cannot open ({})", path, std::strerror(errno)));
    std::string bytes;
    const auto size = std::filesystem::file_size(path, ec);
    if (!ec) bytes.reserve(static_cast<std::size_t>(size));
    std::string chunk(1 << 20, '\0');
    for (;;) {
        const std::size_t n = std::fread(chunk.data(), 1, chunk.size(), file.get());
        bytes.append(chunk.data(), n);
        if (n < chunk.size()) break;
    }
    if (std::ferror(file.get())) throw InputError(fmt::format("{}: read error ({})", path, std::strerror(errno)));
    return bytes;
}


bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

}  // namespace

std::string read_file_bytes(const std::string& path) {
    std::string bytes = read_raw_bytes(path);
    if (detail::is_gzip(bytes)) return detail::gunzip(bytes, path);
    return bytes;
}

namespace {

// The first line that is neither blank nor (before any header) a '#' comment other than the
// Stockholm header, or an empty view.
std::string_view first_content_line(std::string_view bytes) {
    detail::LineCursor lines(bytes);
    std::string_view line;
    while (lines.next(line)) {
        const auto text = detail::trim_line_end(line);
        if (text.empty()) continue;
        if (text[0] == '#' && !starts_with(text, "# STOCKHOLM")) continue;
        return text;
    }
    return {};
}

// Detects the format of decompressed text; `scan` receives the FASTA scan when one was made.
msa::Format detect(std::string_view bytes, const std::string& name, std::optional<detail::FastaScan>& scan) {
    const auto hint = detail::format_from_extension(name);
    const auto first = first_content_line(bytes);
    if (starts_with(first, "# STOCKHOLM")) return msa::Format::stockholm;
    if (starts_with(first, ">")) {
        scan = detail::scan_fasta(bytes, name);
        return detail::choose_fasta_format(*scan, hint);
    }
    return hint.value_or(msa::Format::fasta);
}

}  // namespace

msa::Format detect_format(std::string_view bytes, std::string_view path_hint) {
    std::optional<detail::FastaScan> scan;
    return detect(bytes, std::string(path_hint), scan);
}

msa::Alignment parse_alignment(std::string_view bytes, const std::string& name, const ReadOptions& options) {
    if (bytes.empty()) throw InputError(fmt::format("{}: empty file", name));
    std::string decompressed;
    std::string_view text = bytes;
    if (detail::is_gzip(bytes)) {
        decompressed = detail::gunzip(bytes, name);
        text = decompressed;
        if (text.empty()) throw InputError(fmt::format("{}: empty file (after gzip decompression)", name));
    }
    detail::check_text(text, name);
    if (std::all_of(text.begin(), text.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }))
        throw InputError(fmt::format("{}: no sequences (the file holds only blank lines)", name));

    std::optional<detail::FastaScan> scan;
    const msa::Format format = options.format ? *options.format : detect(text, name, scan);
    if (format == msa::Format::stockholm) return detail::parse_stockholm(text, name, options.nonstandard);
    if (!scan) scan = detail::scan_fasta(text, name);
    if (!scan->error.empty()) throw InputError(scan->error);
    return detail::read_fasta_records(text, *scan, name, format, options.nonstandard);
}

msa::Alignment read_alignment(const std::string& path, const ReadOptions& options) {
    return parse_alignment(read_raw_bytes(path), path, options);
}

namespace detail {

namespace {

ByteTable make_table(bool insert_aware) {
    ByteTable table{};
    table.fill(invalid_byte);
    for (int byte = 0; byte < 256; ++byte) {
        const char c = static_cast<char>(byte);
        const bool lower = c >= 'a' && c <= 'z';
        const char upper = lower ? static_cast<char>(c - 'a' + 'A') : c;
        if (insert_aware && (lower || c == '.')) {
            table[static_cast<std::size_t>(byte)] = skip_byte;
            continue;
        }
        const auto cls = classify_symbol(upper);
        if (cls == SymbolClass::residue || cls == SymbolClass::gap || c == '.') {
            table[static_cast<std::size_t>(byte)] = state_of(upper);
        } else if (cls == SymbolClass::nonstandard) {
            const auto index = nonstandard_residues.find(upper);
            table[static_cast<std::size_t>(byte)] = static_cast<std::uint8_t>(nonstandard_flag | index);
        }
    }
    return table;
}

}  // namespace

const ByteTable& insert_aware_table() {
    static const ByteTable table = make_table(true);
    return table;
}

const ByteTable& match_only_table() {
    static const ByteTable table = make_table(false);
    return table;
}

std::string describe_byte(unsigned char byte) {
    if (byte == ' ') return "character ' ' (space)";
    if (byte > 0x20 && byte < 0x7f) return fmt::format("character '{}'", static_cast<char>(byte));
    return fmt::format("byte 0x{:02X}", byte);
}

std::int64_t line_of_offset(std::string_view bytes, std::size_t offset) {
    const auto end = bytes.begin() + static_cast<std::ptrdiff_t>(std::min(offset, bytes.size()));
    return 1 + std::count(bytes.begin(), end, '\n');
}

void check_text(std::string_view bytes, const std::string& name) {
    static const auto control = [] {
        std::array<bool, 256> table{};
        for (int c = 0; c < 0x20; ++c) table[static_cast<std::size_t>(c)] = c != '\t' && c != '\n' && c != '\r';
        table[0x7f] = true;
        return table;
    }();
    const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (control[data[i]]) {
            throw InputError(fmt::format("{}: line {}: binary data ({} at byte offset {}); not a text alignment file",
                                         name, line_of_offset(bytes, i), describe_byte(data[i]), i));
        }
    }
}

std::string_view trim_line_end(std::string_view line) {
    std::size_t end = line.size();
    while (end > 0 && (line[end - 1] == '\r' || line[end - 1] == ' ' || line[end - 1] == '\t')) --end;
    return line.substr(0, end);
}

std::string_view header_id(std::string_view header) {
    std::size_t begin = 0;
    while (begin < header.size() && (header[begin] == '>' || header[begin] == ' ' || header[begin] == '\t')) ++begin;
    std::size_t end = begin;
    while (end < header.size() && header[end] != ' ' && header[end] != '\t' && header[end] != '\r') ++end;
    return header.substr(begin, end - begin);
}

std::optional<msa::Format> format_from_extension(std::string_view path) {
    std::string name(path.substr(path.find_last_of('/') + 1));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
    for (std::string_view gz : {".gz", ".gzip"}) {
        if (name.size() > gz.size() && name.compare(name.size() - gz.size(), gz.size(), gz) == 0) {
            name.resize(name.size() - gz.size());
            break;
        }
    }
    const auto dot = name.find_last_of('.');
    if (dot == std::string::npos) return std::nullopt;
    const std::string_view ext = std::string_view(name).substr(dot + 1);
    if (ext == "sto" || ext == "stk" || ext == "sth" || ext == "stockholm") return msa::Format::stockholm;
    if (ext == "a2m") return msa::Format::a2m;
    if (ext == "a3m") return msa::Format::a3m;
    if (ext == "fasta" || ext == "fa" || ext == "fas" || ext == "faa" || ext == "afa" || ext == "afasta" ||
        ext == "aln" || ext == "mfa")
        return msa::Format::fasta;
    return std::nullopt;
}

AlignmentBuilder::AlignmentBuilder(std::string name, msa::Format format, NonstandardPolicy policy,
                                   std::int64_t expected_rows)
    : name_(std::move(name)), format_(format), policy_(policy) {
    ids_.reserve(static_cast<std::size_t>(std::max<std::int64_t>(expected_rows, 0)));
}

void AlignmentBuilder::add_record(std::string_view id, std::string_view bytes, const ByteTable& table,
                                  std::int64_t record) {
    ++records_;
    const std::size_t start = states_.size();
    states_.resize(start + bytes.size());  // upper bound; shrunk below
    std::uint8_t* out = states_.data() + start;
    std::size_t n = 0;
    std::array<std::int64_t, 7> counts{};
    bool nonstandard = false;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        const std::uint8_t action = table[static_cast<unsigned char>(bytes[i])];
        if (action < q_states) {
            out[n++] = action;
        } else if (action == skip_byte) {
            continue;
        } else if (action == invalid_byte) {
            states_.resize(start);
            throw InputError(fmt::format("{}: record {} ({}): invalid {} at column {}", name_, record, id,
                                         describe_byte(static_cast<unsigned char>(bytes[i])), i + 1));
        } else {
            out[n++] = gap_state;
            ++counts[action & ~nonstandard_flag];
            nonstandard = true;
        }
    }
    states_.resize(start + n);
    const auto length = static_cast<std::int64_t>(n);
    const char* columns_word = format_ == msa::Format::fasta ? "columns" : "match columns";
    if (length_ < 0) {
        if (length == 0) {
            throw InputError(fmt::format("{}: record {} ({}): no match columns (every residue is a lowercase or '.' "
                                         "insert state; use --format fasta to read lowercase letters as residues)",
                                         name_, record, id));
        }
        if (length > std::numeric_limits<int>::max())
            throw InputError(fmt::format("{}: record {} ({}): {} columns are too many", name_, record, id, length));
        length_ = length;
        first_id_ = std::string(id);
        first_record_ = record;
    } else if (length != length_) {
        throw InputError(fmt::format("{}: record {} ({}): {} {}, expected {} as in record {} ({})", name_, record, id,
                                     length, columns_word, length_, first_record_, first_id_));
    }
    if (nonstandard) {
        for (std::size_t s = 0; s < counts.size(); ++s) nonstandard_.counts[s] += counts[s];
        ++nonstandard_.sequences;
        if (policy_ == NonstandardPolicy::drop_sequence) {
            states_.resize(start);
            return;
        }
    }
    if (ids_.size() == 1) states_.reserve(static_cast<std::size_t>(length_) * ids_.capacity());
    ids_.emplace_back(id);
}

msa::Alignment AlignmentBuilder::finish() {
    if (records_ == 0) throw InputError(fmt::format("{}: no sequences", name_));
    if (ids_.empty()) {
        throw InputError(fmt::format("{}: all {} sequences contain non-standard symbols (B Z J X U O *) and were "
                                     "dropped; no sequence is left",
                                     name_, records_));
    }
    msa::Alignment alignment;
    alignment.source = name_;
    alignment.format = format_;
    const auto rows = static_cast<Eigen::Index>(ids_.size());
    alignment.states = Eigen::Map<const msa::StateMatrix>(states_.data(), rows, static_cast<Eigen::Index>(length_));
    alignment.ids = std::move(ids_);
    alignment.columns.resize(static_cast<std::size_t>(length_));
    std::iota(alignment.columns.begin(), alignment.columns.end(), 0);
    alignment.original_length = static_cast<int>(length_);
    alignment.nonstandard = nonstandard_;
    states_.clear();
    states_.shrink_to_fit();
    return alignment;
}

}  // namespace detail
}  // namespace pottsrbm::io
