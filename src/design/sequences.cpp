// Projection of alignments onto model columns and Hamming nearest neighbours (see sequences.hpp).
#include "pottsrbm/design/sequences.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/threads.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace pottsrbm::design {

model::StateMatrix project_onto_model(const msa::Alignment& alignment, const std::vector<int>& model_columns) {
    const auto sites = static_cast<int>(model_columns.size());
    int largest = std::max(alignment.original_length, 0);
    for (const int original : alignment.columns) largest = std::max(largest, original + 1);
    std::vector<int> position(static_cast<std::size_t>(largest), -1);
    for (std::size_t c = 0; c < alignment.columns.size(); ++c)
        if (alignment.columns[c] >= 0) position[static_cast<std::size_t>(alignment.columns[c])] = static_cast<int>(c);
    const auto column_of = [&](int original) {
        return original >= 0 && original < largest ? position[static_cast<std::size_t>(original)] : -1;
    };
    const auto missing = std::find_if(model_columns.begin(), model_columns.end(), [&](int c) { return column_of(c) < 0; });
    if (missing == model_columns.end()) {
        model::StateMatrix out(alignment.sequences(), sites);
        for (int i = 0; i < sites; ++i) out.col(i) = alignment.states.col(column_of(model_columns[static_cast<std::size_t>(i)]));
        return out;
    }
    if (alignment.length() == sites) return alignment.states;
    throw InputError(fmt::format("{}: {} columns, without the model's column {}: the model needs {} columns (one per "
                                 "model site) or full alignment rows",
                                 alignment.source, alignment.length(), *missing + 1, sites));
}

NearestNeighbours::NearestNeighbours(const model::StateMatrix& reference)
    : rows_(reference.rows()), sites_(static_cast<int>(reference.cols())) {
    stride_ = std::max(32, (sites_ + 31) / 32 * 32);
    // Reference rows and queries are both padded with zeros, so padding bytes always match.
    data_.assign(static_cast<std::size_t>(rows_) * static_cast<std::size_t>(stride_), 0);
    for (std::int64_t m = 0; m < rows_; ++m)
        std::copy_n(&reference(m, 0), sites_, data_.data() + static_cast<std::size_t>(m) * static_cast<std::size_t>(stride_));
}

namespace {

// Number of differing bytes of a[0 .. 32*blocks) and b[0 .. 32*blocks); stops as soon as the count
// reaches `bound` (the row cannot beat the best one found so far).
inline int differences(const std::uint8_t* a, const std::uint8_t* b, int blocks, int bound) {
    int mismatches = 0;
#if defined(__AVX2__)
    for (int k = 0; k < blocks; ++k) {
        const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + 32 * k));
        const __m256i y = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 32 * k));
        const auto equal = static_cast<unsigned>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, y)));
        mismatches += 32 - __builtin_popcount(equal);
        if (mismatches >= bound) return mismatches;
    }
#else
    for (int k = 0; k < blocks; ++k) {
        for (int s = 0; s < 32; ++s) mismatches += a[32 * k + s] != b[32 * k + s] ? 1 : 0;
        if (mismatches >= bound) return mismatches;
    }
#endif
    return mismatches;
}

}  // namespace

NearestNeighbours::Hit NearestNeighbours::nearest(const std::uint8_t* query, std::int64_t exclude) const {
    alignas(32) std::uint8_t padded[4096];
    std::vector<std::uint8_t> heap;
    std::uint8_t* q = padded;
    if (stride_ > static_cast<int>(sizeof(padded))) {
        heap.assign(static_cast<std::size_t>(stride_), 0);
        q = heap.data();
    }
    std::fill_n(q, stride_, std::uint8_t{0});
    std::copy_n(query, sites_, q);
    const int blocks = stride_ / 32;
    Hit best{std::numeric_limits<int>::max(), -1};
    for (std::int64_t m = 0; m < rows_; ++m) {
        if (m == exclude) continue;
        const int d = differences(q, data_.data() + static_cast<std::size_t>(m) * static_cast<std::size_t>(stride_), blocks,
                                  best.distance);
        if (d < best.distance) {
            best = {d, m};
            if (d == 0) break;
        }
    }
    if (best.index < 0) best.distance = sites_;
    return best;
}

std::vector<int> NearestNeighbours::distances(const model::StateMatrix& queries, bool exclude_same_index) const {
    if (queries.cols() != sites_)
        throw UsageError(fmt::format("NearestNeighbours: queries have {} sites, the reference has {}", queries.cols(), sites_));
    std::vector<int> out(static_cast<std::size_t>(queries.rows()));
    const auto count = static_cast<std::int64_t>(queries.rows());
#pragma omp parallel for schedule(dynamic, 16) num_threads(pottsrbm::threads())
    for (std::int64_t m = 0; m < count; ++m)
        out[static_cast<std::size_t>(m)] = nearest(&queries(m, 0), exclude_same_index ? m : -1).distance;
    return out;
}

}  // namespace pottsrbm::design
