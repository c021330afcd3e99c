// libFuzzer target for the alignment readers: io::parse_alignment on the raw input bytes and on
// the same bytes gzipped. Reading options (forced format, non-standard policy) and the file name
// (whose extension breaks format ties) are derived from the input size so that every reader
// path is reached. pottsrbm::Error is the only acceptable
// failure; the plain and gzipped readings must agree, and a parsed alignment must be consistent.
#include "pottsrbm/core/alphabet.hpp"
#include "pottsrbm/core/error.hpp"
#include "pottsrbm/io/alignment_reader.hpp"

#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace {

using pottsrbm::msa::Alignment;

std::string gzip(std::string_view data) {
    z_stream zs{};
    if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
    std::string out(deflateBound(&zs, static_cast<uLong>(data.size())) + 64, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) std::abort();
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

struct Outcome {
    std::optional<Alignment> alignment;
    std::string error;
};

void require(bool condition, const char* what) {
    if (!condition) {
        std::fprintf(stderr, "fuzz_alignment_reader: %s\n", what);
        std::abort();
    }
}

Outcome parse(std::string_view bytes, const std::string& name, const pottsrbm::io::ReadOptions& options) {
    Outcome outcome;
    try {
        outcome.alignment = pottsrbm::io::parse_alignment(bytes, name, options);
    } catch (const pottsrbm::Error& e) {
        outcome.error = e.what();
        require(outcome.error.rfind(name + ": ", 0) == 0, "error message does not start with the file name");
        require(outcome.error.find('\n') == std::string::npos, "error message spans several lines");
        // SeqAn3 only sees text that scan_fasta validated: any SeqAn3 failure is a reader bug.
        require(outcome.error.find("SeqAn3 could not read the record") == std::string::npos &&
                    outcome.error.find("SeqAn3 read ") == std::string::npos,
                outcome.error.c_str());
        return outcome;
    }
    const Alignment& a = *outcome.alignment;
    require(a.states.rows() > 0 && a.states.cols() > 0, "empty alignment returned");
    require(static_cast<std::size_t>(a.states.rows()) == a.ids.size(), "ids and rows differ");
    require(static_cast<std::size_t>(a.states.cols()) == a.columns.size(), "columns and states differ");
    require(a.original_length == a.length(), "original_length differs from N");
    require(a.states.maxCoeff() < pottsrbm::q_states, "state out of range");
    for (const auto& id : a.ids) require(!id.empty(), "empty id");
    return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    pottsrbm::io::ReadOptions options;
    switch (size % 5) {
        case 1: options.format = pottsrbm::msa::Format::fasta; break;
        case 2: options.format = pottsrbm::msa::Format::a2m; break;
        case 3: options.format = pottsrbm::msa::Format::a3m; break;
        case 4: options.format = pottsrbm::msa::Format::stockholm; break;
        default: break;
    }
    if ((size / 5) % 2 == 1) options.nonstandard = pottsrbm::io::NonstandardPolicy::drop_sequence;
    static const std::string names[] = {"input", "input.a2m", "input.A3M.gz", "input.sto", "input.fasta"};
    const std::string& name = names[(size / 10) % 5];

    const Outcome plain = parse(bytes, name, options);
    const bool is_gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    if (size == 0 || is_gzip) return 0;  // an empty gzip stream is reported differently; gzip of gzip is binary

    const Outcome zipped = parse(gzip(bytes), name, options);
    require(plain.error == zipped.error, "plain and gzipped input give different errors");
    require(plain.alignment.has_value() == zipped.alignment.has_value(), "plain and gzipped outcomes differ");
    if (plain.alignment) {
        require(plain.alignment->ids == zipped.alignment->ids, "plain and gzipped ids differ");
        require(plain.alignment->states == zipped.alignment->states, "plain and gzipped states differ");
        require(plain.alignment->format == zipped.alignment->format, "plain and gzipped formats differ");
    }
    return 0;
}
