// Alignment filters (see filter.hpp and docs/algorithms.md, "Filters"). The four filters work on
// index lists (kept rows, kept columns) of the input matrix; the filtered matrix is built once,
// then exact duplicates are found by hashing its rows.
#include "pottsrbm/msa/filter.hpp"

#include "pottsrbm/core/alphabet.hpp"
#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/log.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace pottsrbm::msa {
namespace {

void check_fraction(double value, const char* option) {
    if (!(value >= 0.0 && value <= 1.0))
        throw UsageError(fmt::format("{}: expected a fraction in [0, 1], got {}", option, value));
}

/// True when gaps / total exceeds `limit` (the quotient rounded to double, so that e.g. 2 / 10
/// equals a limit of 0.2 written in decimal).
bool exceeds(std::int64_t gaps, std::int64_t total, double limit) {
    return static_cast<double>(gaps) / static_cast<double>(total) > limit;
}

std::string_view row_view(const StateMatrix& states, Eigen::Index row) {
    return {reinterpret_cast<const char*>(states.data()) +
                static_cast<std::size_t>(row) * static_cast<std::size_t>(states.cols()),
            static_cast<std::size_t>(states.cols())};
}

/// first_copy[m] is false for every row equal to an earlier row.
std::vector<bool> first_copies(const StateMatrix& states) {
    std::vector<bool> first(static_cast<std::size_t>(states.rows()), true);
    std::unordered_set<std::string_view> seen;
    seen.reserve(static_cast<std::size_t>(states.rows()));
    for (Eigen::Index m = 0; m < states.rows(); ++m)
        first[static_cast<std::size_t>(m)] = seen.insert(row_view(states, m)).second;
    return first;
}

}  // namespace

void FilterParams::validate() const {
    check_fraction(max_sequence_gap, "--max-seq-gap");
    check_fraction(max_column_gap, "--max-col-gap");
}

FilterReport apply_filters(Alignment& alignment, const FilterParams& params) {
    params.validate();
    const std::int64_t m_input = alignment.sequences();
    const int n_input = alignment.length();
    if (static_cast<std::int64_t>(alignment.ids.size()) != m_input)
        throw RuntimeFailure(
            fmt::format("{}: {} ids for {} sequences", alignment.source, alignment.ids.size(), m_input));
    if (alignment.columns.empty()) {
        alignment.columns.resize(static_cast<std::size_t>(n_input));
        std::iota(alignment.columns.begin(), alignment.columns.end(), 0);
    }
    if (static_cast<int>(alignment.columns.size()) != n_input)
        throw RuntimeFailure(fmt::format("{}: column map of {} entries for {} columns", alignment.source,
                                         alignment.columns.size(), n_input));

    FilterReport report;
    report.input_sequences = m_input;
    report.input_columns = n_input;
    if (m_input == 0) throw InputError(fmt::format("{}: the alignment has no sequences", alignment.source));
    if (n_input == 0) throw InputError(fmt::format("{}: the alignment has no match columns", alignment.source));
    const StateMatrix& states = alignment.states;

    // 1. Focus sequence.
    std::vector<int> columns;
    if (params.focus.empty()) {
        columns.resize(static_cast<std::size_t>(n_input));
        std::iota(columns.begin(), columns.end(), 0);
    } else {
        const auto found = std::find(alignment.ids.begin(), alignment.ids.end(), params.focus);
        if (found == alignment.ids.end())
            throw InputError(
                fmt::format("{}: focus sequence '{}' (--focus) not found", alignment.source, params.focus));
        if (std::count(found, alignment.ids.end(), params.focus) > 1)
            log::warn("{}: several sequences are named '{}'; the first one is the focus", alignment.source,
                      params.focus);
        const auto focus_row = static_cast<Eigen::Index>(found - alignment.ids.begin());
        for (int j = 0; j < n_input; ++j)
            if (states(focus_row, j) != gap_state) columns.push_back(j);
        report.removed_by_focus = n_input - static_cast<int>(columns.size());
        if (columns.empty())
            throw InputError(fmt::format("{}: no column left: the focus sequence '{}' (--focus) has only gaps",
                                         alignment.source, params.focus));
    }

    // 2. Gappy sequences, over the focus columns.
    std::vector<Eigen::Index> rows;
    rows.reserve(static_cast<std::size_t>(m_input));
    for (Eigen::Index m = 0; m < m_input; ++m) {
        if (params.max_sequence_gap < 1.0) {
            std::int64_t gaps = 0;
            for (int j : columns) gaps += states(m, j) == gap_state ? 1 : 0;
            if (exceeds(gaps, static_cast<std::int64_t>(columns.size()), params.max_sequence_gap)) continue;
        }
        rows.push_back(m);
    }
    report.removed_gappy_sequences = m_input - static_cast<std::int64_t>(rows.size());
    if (rows.empty())
        throw InputError(
            fmt::format("{}: no sequence left: all {} sequences have a gap fraction above {} (--max-seq-gap)",
                        alignment.source, m_input, params.max_sequence_gap));

    // 3. Gappy columns, over the remaining sequences.
    if (params.max_column_gap < 1.0) {
        std::vector<std::int64_t> column_gaps(columns.size(), 0);
        for (Eigen::Index m : rows)
            for (std::size_t c = 0; c < columns.size(); ++c)
                column_gaps[c] += states(m, columns[c]) == gap_state ? 1 : 0;
        std::vector<int> kept;
        for (std::size_t c = 0; c < columns.size(); ++c)
            if (!exceeds(column_gaps[c], static_cast<std::int64_t>(rows.size()), params.max_column_gap))
                kept.push_back(columns[c]);
        report.removed_gappy_columns = static_cast<int>(columns.size() - kept.size());
        if (kept.empty())
            throw InputError(
                fmt::format("{}: no column left: all {} columns have a gap fraction above {} (--max-col-gap)",
                            alignment.source, columns.size(), params.max_column_gap));
        columns = std::move(kept);
    }

    if (static_cast<std::int64_t>(rows.size()) != m_input || static_cast<int>(columns.size()) != n_input) {
        StateMatrix kept(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(columns.size()));
        for (std::size_t r = 0; r < rows.size(); ++r)
            for (std::size_t c = 0; c < columns.size(); ++c)
                kept(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c)) = states(rows[r], columns[c]);
        alignment.states = std::move(kept);
        std::vector<std::string> ids(rows.size());
        for (std::size_t r = 0; r < rows.size(); ++r)
            ids[r] = std::move(alignment.ids[static_cast<std::size_t>(rows[r])]);
        alignment.ids = std::move(ids);
        std::vector<int> original(columns.size());
        for (std::size_t c = 0; c < columns.size(); ++c)
            original[c] = alignment.columns[static_cast<std::size_t>(columns[c])];
        alignment.columns = std::move(original);
    }

    // 4. Exact duplicates over the kept columns (the first copy stays).
    if (params.drop_duplicates) {
        const std::vector<bool> first = first_copies(alignment.states);
        const auto n = static_cast<std::size_t>(alignment.length());
        std::uint8_t* data = alignment.states.data();
        Eigen::Index out = 0;
        for (Eigen::Index m = 0; m < alignment.sequences(); ++m) {
            if (!first[static_cast<std::size_t>(m)]) continue;
            if (out != m) {
                std::memcpy(data + static_cast<std::size_t>(out) * n, data + static_cast<std::size_t>(m) * n, n);
                alignment.ids[static_cast<std::size_t>(out)] = std::move(alignment.ids[static_cast<std::size_t>(m)]);
            }
            ++out;
        }
        report.removed_duplicates = alignment.sequences() - out;
        if (out != alignment.sequences()) {
            alignment.states.conservativeResize(out, Eigen::NoChange);
            alignment.ids.resize(static_cast<std::size_t>(out));
        }
    }
    return report;
}

std::int64_t count_duplicates(const Alignment& alignment) {
    const std::vector<bool> first = first_copies(alignment.states);
    return static_cast<std::int64_t>(std::count(first.begin(), first.end(), false));
}

}  // namespace pottsrbm::msa
