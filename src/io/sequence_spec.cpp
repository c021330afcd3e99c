// Resolution of sequences named on the command line onto model columns (see sequence_spec.hpp).
#include "pottsrbm/io/sequence_spec.hpp"

#include "pottsrbm/core/alphabet.hpp"
#include "pottsrbm/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace pottsrbm::io {

namespace {

/// One of the 20 amino acids, either case (not B Z J X U O, which a literal must not contain).
bool is_residue(char c) { return state_of(c) != 0; }

std::vector<std::uint8_t> from_alignment_row(std::string_view option, const std::string& id,
                                             const msa::Alignment& alignment, long row,
                                             const std::vector<int>& model_columns) {
    // Original column -> column of the (possibly filtered) alignment.
    std::vector<int> position(static_cast<std::size_t>(std::max(alignment.original_length, 1)), -1);
    for (std::size_t c = 0; c < alignment.columns.size(); ++c) {
        const int original = alignment.columns[c];
        if (original >= 0 && original < static_cast<int>(position.size())) position[static_cast<std::size_t>(original)] = static_cast<int>(c);
    }
    std::vector<std::uint8_t> states(model_columns.size());
    for (std::size_t i = 0; i < model_columns.size(); ++i) {
        const int original = model_columns[i];
        const int column = original < static_cast<int>(position.size()) ? position[static_cast<std::size_t>(original)] : -1;
        if (column < 0) {
            throw UsageError(fmt::format("{} {}: the alignment {} has no column {} of the model", option, id,
                                         alignment.source, original + 1));
        }
        states[i] = alignment.states(row, column);
    }
    return states;
}

}  // namespace

NamedSequence resolve_sequence(std::string_view option, const std::string& spec, const std::vector<int>& model_columns,
                               const msa::Alignment* alignment) {
    if (spec.empty()) throw UsageError(fmt::format("{}: empty sequence", option));
    if (alignment != nullptr) {
        const auto found = std::find(alignment->ids.begin(), alignment->ids.end(), spec);
        if (found != alignment->ids.end()) {
            const long row = static_cast<long>(found - alignment->ids.begin());
            return {spec, from_alignment_row(option, spec, *alignment, row, model_columns)};
        }
    }
    const std::size_t sites = model_columns.size();
    const int last_column = model_columns.empty() ? -1 : *std::max_element(model_columns.begin(), model_columns.end());
    const bool per_site = spec.size() == sites;
    const bool looks_like_id =
        std::any_of(spec.begin(), spec.end(), [](char c) { return !is_residue(c) && c != '-' && c != '.'; });
    if (alignment != nullptr && looks_like_id) {
        throw UsageError(fmt::format("{} '{}': no sequence with this id in {}", option, spec, alignment->source));
    }
    if (!per_site && static_cast<long>(spec.size()) <= last_column) {
        throw UsageError(fmt::format(
            "{}: '{}' is {} characters long; a literal sequence needs {} (one per model site) or at least {} "
            "(a full alignment row){}",
            option, spec.size() > 40 ? spec.substr(0, 40) + "..." : spec, spec.size(), sites, last_column + 1,
            alignment == nullptr ? "" : fmt::format(", and it is not an id of {}", alignment->source)));
    }
    std::vector<std::uint8_t> states(sites);
    for (std::size_t i = 0; i < sites; ++i) {
        const std::size_t position = per_site ? i : static_cast<std::size_t>(model_columns[i]);
        const char letter = spec[position];
        if (letter == '-' || letter == '.') {
            states[i] = 0;
            continue;
        }
        if (!is_residue(letter)) {
            throw UsageError(fmt::format("{}: position {} holds '{}', not one of the 20 amino acids or a gap{}", option,
                                         position + 1, letter,
                                         alignment == nullptr ? "" : fmt::format(" (and '{}' is not an id of {})",
                                                                                  spec.size() > 40 ? spec.substr(0, 40) + "..." : spec,
                                                                                  alignment->source)));
        }
        states[i] = state_of(letter);
    }
    return {"literal", std::move(states)};
}

}  // namespace pottsrbm::io
