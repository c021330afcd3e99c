// Writing alignments: aligned FASTA of the encoded states (one line per sequence).
#pragma once

#include "pottsrbm/msa/alignment.hpp"

#include <ostream>

namespace pottsrbm::io {

/// Writes every sequence of `alignment` as ">id\nSEQUENCE\n" over its kept columns.
void write_fasta(std::ostream& out, const msa::Alignment& alignment);

}  // namespace pottsrbm::io
