// gzip decompression with zlib: one or more concatenated members (as written by gzip, bgzip,
// or `cat a.gz b.gz`). Truncated and corrupt streams are InputErrors naming the file.
#include "reader_detail.hpp"

#include "pottsrbm/core/error.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <climits>

namespace pottsrbm::io::detail {

bool is_gzip(std::string_view bytes) {
    return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
           static_cast<unsigned char>(bytes[1]) == 0x8b;
}

namespace {

class Inflater {
public:
    Inflater() {
        if (inflateInit2(&stream_, 16 + MAX_WBITS) != Z_OK) throw RuntimeFailure("zlib: cannot initialise inflate");
    }
    ~Inflater() { inflateEnd(&stream_); }
    Inflater(const Inflater&) = delete;
    Inflater& operator=(const Inflater&) = delete;
    z_stream& stream() { return stream_; }

private:
    z_stream stream_{};
};

}  // namespace

std::string gunzip(std::string_view compressed, const std::string& name) {
    Inflater inflater;
    z_stream& zs = inflater.stream();
    const auto* input = reinterpret_cast<const Bytef*>(compressed.data());
    std::size_t consumed = 0;  // input bytes handed to zlib so far
    std::string out;
    out.resize(std::max<std::size_t>(compressed.size() * 4, 1 << 16));
    std::size_t produced = 0;
    zs.next_in = const_cast<Bytef*>(input);  // zlib's API is not const-correct; it never writes the input
    zs.avail_in = 0;

    for (;;) {
        if (zs.avail_in == 0 && consumed < compressed.size()) {
            const std::size_t chunk = std::min<std::size_t>(compressed.size() - consumed, UINT_MAX);
            zs.next_in = const_cast<Bytef*>(input + consumed);
            zs.avail_in = static_cast<uInt>(chunk);
            consumed += chunk;
        }
        if (produced == out.size()) out.resize(out.size() * 2);
        const std::size_t room = std::min<std::size_t>(out.size() - produced, UINT_MAX);
        zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
        zs.avail_out = static_cast<uInt>(room);

        const int status = inflate(&zs, Z_NO_FLUSH);
        produced += room - zs.avail_out;
        const std::size_t position = consumed - zs.avail_in;  // compressed bytes used so far

        if (status == Z_STREAM_END) {
            const std::string_view rest = compressed.substr(position);
            if (rest.empty()) break;
            if (!is_gzip(rest)) {
                throw InputError(fmt::format("{}: corrupt gzip data: {} bytes of trailing garbage after the gzip "
                                             "stream ends at byte {}",
                                             name, rest.size(), position));
            }
            inflateReset(&zs);  // next member
            continue;
        }
        if (status == Z_OK) continue;
        if (status == Z_BUF_ERROR && zs.avail_in == 0 && consumed == compressed.size()) {
            throw InputError(fmt::format("{}: truncated gzip data: the compressed stream ends after {} bytes "
                                         "before its end marker",
                                         name, compressed.size()));
        }
        if (status == Z_MEM_ERROR) throw RuntimeFailure(fmt::format("{}: out of memory while decompressing", name));
        throw InputError(fmt::format("{}: corrupt gzip data at compressed byte {} (zlib: {})", name, position,
                                     zs.msg != nullptr ? zs.msg : "invalid data"));
    }
    out.resize(produced);
    return out;
}

}  // namespace pottsrbm::io::detail
