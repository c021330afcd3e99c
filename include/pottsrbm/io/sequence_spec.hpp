// Sequences named on the command line (--from, --to, --mutants, ...): an id of an alignment, or a
// literal aligned sequence, resolved onto a model's columns.
//
// model_columns: the N original 0-based alignment columns of the model's sites (Rbm::columns).
// A literal is either N letters (one per model site) or a full alignment row (longer than the
// largest model column), projected onto the model columns. '-' and '.' are gaps; lowercase is
// accepted as the residue.
#pragma once

#include "pottsrbm/msa/alignment.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pottsrbm::io {

struct NamedSequence {
    std::string name;                  ///< the id, or "literal" for a literal sequence
    std::vector<std::uint8_t> states;  ///< N Potts states over the model's columns
};

/// Resolves `spec` (see the file comment). `alignment` (may be null) must be read unfiltered, so
/// that its columns are the original match columns. UsageError naming `option` for an unknown id,
/// a wrong length or a bad letter (with its 1-based position).
[[nodiscard]] NamedSequence resolve_sequence(std::string_view option, const std::string& spec,
                                             const std::vector<int>& model_columns, const msa::Alignment* alignment);

}  // namespace pottsrbm::io
