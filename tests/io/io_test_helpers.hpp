// Helpers of the io tests: gzip in memory, alignments as letter rows, error messages of calls.
#pragma once

#include "support/test_support.hpp"

#include "pottsrbm/core/alphabet.hpp"
#include "pottsrbm/core/error.hpp"
#include "pottsrbm/io/alignment_reader.hpp"
#include "pottsrbm/msa/alignment.hpp"

#include <zlib.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace pottsrbm::test {

/// `data` compressed as one gzip member.
inline std::string gzip(const std::string& data, int level = 6) {
    z_stream zs{};
    if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::runtime_error("deflateInit2 failed");
    std::string out(deflateBound(&zs, static_cast<uLong>(data.size())) + 64, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    const int status = deflate(&zs, Z_FINISH);
    deflateEnd(&zs);
    if (status != Z_STREAM_END) throw std::runtime_error("deflate failed");
    out.resize(zs.total_out);
    return out;
}

/// Rows of an alignment as letters of their Potts states.
inline std::vector<std::string> letter_rows(const msa::Alignment& alignment) {
    std::vector<std::string> rows;
    for (Eigen::Index i = 0; i < alignment.states.rows(); ++i) {
        std::string row;
        for (Eigen::Index j = 0; j < alignment.states.cols(); ++j) row.push_back(letter_of(alignment.states(i, j)));
        rows.push_back(row);
    }
    return rows;
}

/// what() of the InputError `call` throws, or "(no error)".
template <typename Call>
std::string input_error_of(Call&& call) {
    try {
        call();
    } catch (const InputError& e) {
        return e.what();
    }
    return "(no error)";
}

/// Writes `content` as `name` into a fresh scratch directory and returns the path.
inline std::string write_input(const std::string& name, const std::string& content) {
    return write_file(scratch_dir("io") / name, content).string();
}

}  // namespace pottsrbm::test
