// FASTA, A2M and A3M records read with SeqAn3 (the only file of the project that includes it;
// it costs about 10 s to compile). Sequences are read as raw `char`: SeqAn3's amino-acid
// alphabets would silently recode unknown residues. The text was validated by scan_fasta first,
// so SeqAn3 sees well-formed records; its own errors are still turned into InputErrors.

// GCC 12 reports false -Wnull-dereference warnings from libstdc++'s streambuf inlined into
// SeqAn3's stream setup; the pragma precedes every include because the warning is located there.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wnull-dereference"
#endif

#include "reader_detail.hpp"

#include "pottsrbm/core/error.hpp"

#include <fmt/format.h>
#include <seqan3/io/exception.hpp>
#include <seqan3/io/sequence_file/input.hpp>

#include <algorithm>
#include <istream>
#include <streambuf>

namespace pottsrbm::io::detail {
namespace {

struct RawCharTraits : seqan3::sequence_file_input_default_traits_aa {
    using sequence_alphabet = char;
    using sequence_legal_alphabet = char;
    template <typename alphabet>
    using sequence_container = std::basic_string<alphabet>;
    using id_alphabet = char;
    template <typename alphabet>
    using id_container = std::basic_string<alphabet>;
};

using FastaInput = seqan3::sequence_file_input<RawCharTraits, seqan3::fields<seqan3::field::id, seqan3::field::seq>,
                                               seqan3::type_list<seqan3::format_fasta>>;

// A read-only stream buffer over bytes already in memory (no copy), with the positioning that
// SeqAn3 uses (tellg, unget).
class MemoryBuffer : public std::streambuf {
public:
    explicit MemoryBuffer(std::string_view bytes) {
        char* begin = const_cast<char*>(bytes.data());  // never written: no put area, no pbackfail override
        setg(begin, begin, begin + bytes.size());
    }

protected:
    pos_type seekoff(off_type offset, std::ios_base::seekdir direction, std::ios_base::openmode which) override {
        if (!(which & std::ios_base::in)) return pos_type(off_type(-1));
        off_type target = offset;
        if (direction == std::ios_base::cur) target += gptr() - eback();
        if (direction == std::ios_base::end) target += egptr() - eback();
        if (target < 0 || target > egptr() - eback()) return pos_type(off_type(-1));
        setg(eback(), eback() + target, egptr());
        return pos_type(target);
    }
    pos_type seekpos(pos_type position, std::ios_base::openmode which) override {
        return seekoff(off_type(position), std::ios_base::beg, which);
    }
};

// Lets SeqAn3 recognise A2M and aligned-FASTA file names when it opens files by name.
void register_extensions() {
    static const bool registered = [] {
        auto& extensions = seqan3::format_fasta::file_extensions;
        for (const char* extension : {"a2m", "afa", "a3m"}) {
            if (std::find(extensions.begin(), extensions.end(), extension) == extensions.end())
                extensions.emplace_back(extension);
        }
        return true;
    }();
    (void)registered;
}

}  // namespace

msa::Alignment read_fasta_records(std::string_view bytes, const FastaScan& scan, const std::string& name,
                                  msa::Format format, NonstandardPolicy policy) {
    register_extensions();
    MemoryBuffer buffer(bytes.substr(scan.first_header));
    std::istream stream(&buffer);
    const ByteTable& table = format == msa::Format::fasta ? match_only_table() : insert_aware_table();
    AlignmentBuilder builder(name, format, policy, scan.records);
    std::int64_t record = 0;
    // After scan_fasta, these would be reader bugs; the fuzzer treats "SeqAn3" in a message as one.
    const auto seqan3_failure = [&](const char* what) {
        return InputError(fmt::format("{}: record {}: SeqAn3 could not read the record: {}", name, record + 1, what));
    };
    try {
        FastaInput input{stream, seqan3::format_fasta{}};
        for (auto& entry : input) {
            ++record;
            builder.add_record(header_id(entry.id()), entry.sequence(), table, record);
        }
    } catch (const Error&) {
        throw;
    } catch (const seqan3::parse_error& e) {
        throw seqan3_failure(e.what());
    } catch (const seqan3::unexpected_end_of_input& e) {
        throw seqan3_failure(e.what());
    } catch (const seqan3::file_open_error& e) {
        throw seqan3_failure(e.what());
    } catch (const seqan3::format_error& e) {
        throw seqan3_failure(e.what());
    } catch (const std::ios_base::failure& e) {
        throw seqan3_failure(e.what());
    }
    if (record != scan.records) {
        throw InputError(
            fmt::format("{}: SeqAn3 read {} records where the validation scan found {}", name, record, scan.records));
    }
    return builder.finish();
}

}  // namespace pottsrbm::io::detail
