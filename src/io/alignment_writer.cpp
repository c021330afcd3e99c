// Aligned FASTA output of encoded alignments: ">id\nSEQUENCE\n" per row, letters of the Potts
// states (gap as '-').
#include "pottsrbm/io/alignment_writer.hpp"

#include "pottsrbm/core/alphabet.hpp"
#include "pottsrbm/core/error.hpp"

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace pottsrbm::io {

void write_fasta(std::ostream& out, const msa::Alignment& alignment) {
    const auto rows = alignment.states.rows();
    const auto length = alignment.states.cols();
    if (static_cast<Eigen::Index>(alignment.ids.size()) != rows) {
        throw std::invalid_argument(
            fmt::format("write_fasta: {} ids for {} sequences", alignment.ids.size(), static_cast<long long>(rows)));
    }
    std::string line;
    line.reserve(static_cast<std::size_t>(length) + 1);
    for (Eigen::Index i = 0; i < rows; ++i) {
        line.clear();
        for (Eigen::Index j = 0; j < length; ++j) {
            const int state = alignment.states(i, j);
            if (state >= q_states) {
                throw std::invalid_argument(
                    fmt::format("write_fasta: state {} of sequence {} is not a Potts state", state, i + 1));
            }
            line.push_back(letter_of(state));
        }
        line.push_back('\n');
        out << '>' << alignment.ids[static_cast<std::size_t>(i)] << '\n';
        out.write(line.data(), static_cast<std::streamsize>(line.size()));
        if (!out) throw RuntimeFailure(fmt::format("writing FASTA failed at sequence {}", i + 1));
    }
}

}  // namespace pottsrbm::io
