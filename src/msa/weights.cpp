// Sequence weights (see weights.hpp and docs/algorithms.md, "Sequence weights").
//
// Fast neighbour counts. Exact duplicate rows are merged first (U unique rows with multiplicities
// mult_u), so the work is U^2 N / 2 instead of M^2 N: count_u = sum_v mult_v [identity(u, v) >= theta]
// and every copy of u gets count_u. Unique rows are stored transposed in panels of 32 rows:
// panel p holds bytes panel[p][j][lane] = state of row 32p + lane at column j (one 32-byte AVX2
// vector per column), padded with rows of multiplicity 0. For a group of R rows of panel p (their
// states pre-broadcast to vectors) and a panel q >= p, one pass over the columns does, per column,
// one load and R (compare, subtract) pairs, counting the identical columns of R x 32 pairs in byte
// lanes; early exit when no pair of the block can still reach the threshold. The neighbour masks
// add mult_v to the row sums of the R rows and (q > p only) mult_u to the counts of the 32 rows of
// q, in per-thread integer arrays summed at the end, so results are exact and independent of the
// thread count. N > 255 columns are counted in chunks of 255 widened to 32-bit lanes.
#include "pottsrbm/msa/weights.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/interrupt.hpp"
#include "pottsrbm/core/progress.hpp"
#include "pottsrbm/core/threads.hpp"

#include <fmt/format.h>
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace pottsrbm::msa {
namespace {

void check_theta(double theta) {
    if (!(theta >= 0.0 && theta <= 1.0))
        throw UsageError(fmt::format("--identity: expected a value in [0, 1], got {}", theta));
}

struct AlignedFree {
    void operator()(void* p) const noexcept { std::free(p); }
};
template <typename T>
using AlignedArray = std::unique_ptr<T[], AlignedFree>;

template <typename T>
AlignedArray<T> aligned_zeros(std::size_t count) {
    const std::size_t bytes = std::max<std::size_t>(64, (count * sizeof(T) + 63) / 64 * 64);
    void* p = std::aligned_alloc(64, bytes);
    if (p == nullptr) throw std::bad_alloc();
    std::memset(p, 0, bytes);
    return AlignedArray<T>(static_cast<T*>(p));
}

/// Unique rows of the alignment: representative row and multiplicity of each, and the unique
/// index of every row.
struct UniqueRows {
    std::vector<std::int64_t> representative;
    std::vector<std::int32_t> multiplicity;
    std::vector<std::int64_t> index_of_row;
};

UniqueRows unique_rows(const Alignment& alignment) {
    const std::int64_t m_total = alignment.sequences();
    const auto n = static_cast<std::size_t>(alignment.length());
    const auto* data = reinterpret_cast<const char*>(alignment.states.data());
    UniqueRows unique;
    unique.index_of_row.resize(static_cast<std::size_t>(m_total));
    std::unordered_map<std::string_view, std::int64_t> seen;
    seen.reserve(static_cast<std::size_t>(m_total));
    for (std::int64_t m = 0; m < m_total; ++m) {
        const std::string_view row(data + static_cast<std::size_t>(m) * n, n);
        const auto [it, inserted] = seen.emplace(row, static_cast<std::int64_t>(unique.representative.size()));
        if (inserted) {
            unique.representative.push_back(m);
            unique.multiplicity.push_back(0);
        }
        ++unique.multiplicity[static_cast<std::size_t>(it->second)];
        unique.index_of_row[static_cast<std::size_t>(m)] = it->second;
    }
    return unique;
}

constexpr int lanes = 32;        // rows per panel (bytes per AVX2 vector)
constexpr int group_rows = 8;    // rows of panel p compared at once (register blocking)
constexpr int exit_step = 16;    // columns between early-exit checks
constexpr int byte_chunk = 255;  // columns a byte counter can hold

/// Counts identical columns j0..j1-1 of the `group_rows` broadcast rows against a panel, adding
/// to byte counters.
inline void count_identical(const std::uint8_t* panel, const __m256i* broadcast, int j0, int j1, __m256i* acc) {
    for (int j = j0; j < j1; ++j) {
        const __m256i column =
            _mm256_load_si256(reinterpret_cast<const __m256i*>(panel + static_cast<std::size_t>(j) * lanes));
        const __m256i* b = broadcast + static_cast<std::size_t>(j) * group_rows;
        for (int r = 0; r < group_rows; ++r) acc[r] = _mm256_sub_epi8(acc[r], _mm256_cmpeq_epi8(column, b[r]));
    }
}

/// True when some byte lane of some counter is >= need (need in 1..255).
inline bool any_at_least(const __m256i* acc, int need) {
    __m256i top = acc[0];
    for (int r = 1; r < group_rows; ++r) top = _mm256_max_epu8(top, acc[r]);
    const __m256i below = _mm256_set1_epi8(static_cast<char>(need - 1));
    return _mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_max_epu8(top, below), below)) != -1;
}

/// Expands a 32-byte 0/0xFF mask into four 8 x int32 0/-1 masks (lanes 0-7, 8-15, 16-23, 24-31).
inline void expand_mask(__m256i mask, __m256i* out) {
    const __m128i lo = _mm256_castsi256_si128(mask);
    const __m128i hi = _mm256_extracti128_si256(mask, 1);
    out[0] = _mm256_cvtepi8_epi32(lo);
    out[1] = _mm256_cvtepi8_epi32(_mm_srli_si128(lo, 8));
    out[2] = _mm256_cvtepi8_epi32(hi);
    out[3] = _mm256_cvtepi8_epi32(_mm_srli_si128(hi, 8));
}

/// Neighbour masks of `group_rows` rows against one panel: masks[r][c] holds -1 in the int32
/// lanes (8c .. 8c+7 of the panel) whose identical-column count is >= k. Returns false when
/// there is no neighbour at all.
inline bool neighbour_masks(const std::uint8_t* panel, const __m256i* broadcast, int n, int k,
                            __m256i (&masks)[group_rows][4]) {
    __m256i acc[group_rows];
    if (n <= byte_chunk) {
        for (auto& a : acc) a = _mm256_setzero_si256();
        int j = 0;
        while (j < n) {
            const int next = std::min(n, j + exit_step);
            count_identical(panel, broadcast, j, next, acc);
            j = next;
            const int need = k - (n - j);
            if (need > 0 && !any_at_least(acc, need)) return false;
        }
        const __m256i kv = _mm256_set1_epi8(static_cast<char>(k));
        bool any = false;
        for (int r = 0; r < group_rows; ++r) {
            const __m256i mask = _mm256_cmpeq_epi8(_mm256_max_epu8(acc[r], kv), acc[r]);
            any |= _mm256_movemask_epi8(mask) != 0;
            expand_mask(mask, masks[r]);
        }
        return any;
    }
    __m256i wide[group_rows][4];
    for (auto& row : wide)
        for (auto& w : row) w = _mm256_setzero_si256();
    for (int j = 0; j < n;) {
        const int next = std::min(n, j + byte_chunk);
        for (auto& a : acc) a = _mm256_setzero_si256();
        count_identical(panel, broadcast, j, next, acc);
        j = next;
        const __m128i zero = _mm_setzero_si128();
        for (int r = 0; r < group_rows; ++r) {
            const __m128i lo = _mm256_castsi256_si128(acc[r]);
            const __m128i hi = _mm256_extracti128_si256(acc[r], 1);
            wide[r][0] = _mm256_add_epi32(wide[r][0], _mm256_cvtepu8_epi32(lo));
            wide[r][1] = _mm256_add_epi32(wide[r][1], _mm256_cvtepu8_epi32(_mm_unpackhi_epi64(lo, zero)));
            wide[r][2] = _mm256_add_epi32(wide[r][2], _mm256_cvtepu8_epi32(hi));
            wide[r][3] = _mm256_add_epi32(wide[r][3], _mm256_cvtepu8_epi32(_mm_unpackhi_epi64(hi, zero)));
        }
        const int need = k - (n - j);
        if (need > 0) {
            const __m256i below = _mm256_set1_epi32(need - 1);
            __m256i any = _mm256_setzero_si256();
            for (auto& row : wide)
                for (auto& w : row) any = _mm256_or_si256(any, _mm256_cmpgt_epi32(w, below));
            if (_mm256_testz_si256(any, any)) return false;
        }
    }
    const __m256i below = _mm256_set1_epi32(k - 1);
    __m256i any = _mm256_setzero_si256();
    for (int r = 0; r < group_rows; ++r)
        for (int c = 0; c < 4; ++c) {
            masks[r][c] = _mm256_cmpgt_epi32(wide[r][c], below);
            any = _mm256_or_si256(any, masks[r][c]);
        }
    return !_mm256_testz_si256(any, any);
}

inline std::int64_t horizontal_sum(__m256i v) {
    alignas(32) std::int32_t values[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(values), v);
    std::int64_t sum = 0;
    for (auto x : values) sum += x;
    return sum;
}

}  // namespace

int min_identical_columns(int length, double theta) {
    check_theta(theta);
    if (length <= 0) return 0;
    // identity(k) = k / length rounded to double, exactly as the reference computes it; the
    // rounding makes a decimal theta such as 0.8 agree with 8 / 10 (both round to the same double).
    const auto identity = [length](int k) { return static_cast<double>(k) / static_cast<double>(length); };
    int k = std::clamp(static_cast<int>(std::ceil(theta * length)), 0, length);
    while (k > 0 && identity(k - 1) >= theta) --k;
    while (k < length && identity(k) < theta) ++k;
    return k;
}

Eigen::VectorXi neighbour_counts_reference(const Alignment& alignment, double theta) {
    check_theta(theta);
    const std::int64_t m_total = alignment.sequences();
    const int n = alignment.length();
    Eigen::VectorXi counts = Eigen::VectorXi::Zero(m_total);
    for (std::int64_t a = 0; a < m_total; ++a) {
        for (std::int64_t b = a; b < m_total; ++b) {  // each unordered pair once, (a, a) included
            int identical = 0;
            for (int j = 0; j < n; ++j) identical += alignment.states(a, j) == alignment.states(b, j) ? 1 : 0;
            // With no columns every pair is identical.
            if (n == 0 || static_cast<double>(identical) / static_cast<double>(n) >= theta) {
                ++counts(a);
                if (b != a) ++counts(b);
            }
        }
    }
    return counts;
}

Eigen::VectorXi neighbour_counts(const Alignment& alignment, double theta) {
    const int k = min_identical_columns(alignment.length(), theta);
    const std::int64_t m_total = alignment.sequences();
    const int n = alignment.length();
    if (m_total == 0) return {};

    const UniqueRows unique = unique_rows(alignment);
    const auto u_total = static_cast<std::int64_t>(unique.representative.size());
    const std::int64_t panels = (u_total + lanes - 1) / lanes;
    const auto padded_rows = static_cast<std::size_t>(panels * lanes);

    // panel[p][j][lane] and the multiplicity of every padded row (0 for padding).
    auto panel_states = aligned_zeros<std::uint8_t>(padded_rows * static_cast<std::size_t>(n));
    auto multiplicity = aligned_zeros<std::int32_t>(padded_rows);
    for (std::int64_t u = 0; u < u_total; ++u) {
        const std::int64_t p = u / lanes;
        const std::int64_t lane = u % lanes;
        const std::uint8_t* row = alignment.states.data() + unique.representative[static_cast<std::size_t>(u)] * n;
        std::uint8_t* dst = panel_states.get() + static_cast<std::size_t>(p) * n * lanes + lane;
        for (int j = 0; j < n; ++j) dst[static_cast<std::size_t>(j) * lanes] = row[j];
        multiplicity[static_cast<std::size_t>(u)] = unique.multiplicity[static_cast<std::size_t>(u)];
    }

    // One thread for small work (below about a millisecond): waking and joining threads would
    // cost more, and much more when other processes occupy the cores.
    const double comparisons = 0.5 * static_cast<double>(padded_rows) * static_cast<double>(padded_rows) * n;
    const int thread_count = comparisons < 1e8 ? 1 : threads();
    // Per-thread workspaces, allocated here: nothing may throw inside the parallel region.
    std::vector<std::vector<std::int64_t>> thread_counts(static_cast<std::size_t>(thread_count),
                                                         std::vector<std::int64_t>(padded_rows, 0));
    std::vector<AlignedArray<std::uint8_t>> thread_broadcast;  // n x group_rows vectors of 32 bytes
    for (int t = 0; t < thread_count; ++t)
        thread_broadcast.push_back(
            aligned_zeros<std::uint8_t>(static_cast<std::size_t>(n) * group_rows * sizeof(__m256i)));
    Progress progress("sequence weights", panels * (panels + 1) / 2);
    const std::atomic<bool>& interrupted = interrupt_requested();

#pragma omp parallel num_threads(thread_count)
    {
        const auto thread = static_cast<std::size_t>(omp_get_thread_num());
        auto& counts = thread_counts[thread];
        auto* broadcast = reinterpret_cast<__m256i*>(thread_broadcast[thread].get());

#pragma omp for schedule(dynamic, 1)
        for (std::int64_t p = 0; p < panels; ++p) {
            if (interrupted.load(std::memory_order_relaxed)) continue;
            const std::uint8_t* own_panel = panel_states.get() + static_cast<std::size_t>(p) * n * lanes;
            for (int g = 0; g < lanes; g += group_rows) {
                for (int j = 0; j < n; ++j)
                    for (int r = 0; r < group_rows; ++r)
                        broadcast[static_cast<std::size_t>(j) * group_rows + r] =
                            _mm256_set1_epi8(static_cast<char>(own_panel[static_cast<std::size_t>(j) * lanes + g + r]));
                __m256i row_sums[group_rows];
                for (auto& s : row_sums) s = _mm256_setzero_si256();
                const std::int32_t* own_multiplicity = multiplicity.get() + p * lanes + g;

                for (std::int64_t q = p; q < panels; ++q) {
                    const std::uint8_t* other_panel = panel_states.get() + static_cast<std::size_t>(q) * n * lanes;
                    __m256i masks[group_rows][4];
                    if (!neighbour_masks(other_panel, broadcast, n, k, masks)) continue;
                    const auto* other_multiplicity = reinterpret_cast<const __m256i*>(multiplicity.get() + q * lanes);
                    __m256i column_sums[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                                              _mm256_setzero_si256()};
                    for (int r = 0; r < group_rows; ++r) {
                        const __m256i mult_r = _mm256_set1_epi32(own_multiplicity[r]);
                        for (int c = 0; c < 4; ++c) {
                            row_sums[r] = _mm256_add_epi32(
                                row_sums[r], _mm256_and_si256(masks[r][c], _mm256_load_si256(other_multiplicity + c)));
                            column_sums[c] = _mm256_add_epi32(column_sums[c], _mm256_and_si256(masks[r][c], mult_r));
                        }
                    }
                    // Within the diagonal block both (u, v) and (v, u) are visited: row sums only.
                    if (q != p) {
                        alignas(32) std::int32_t sums[lanes];
                        for (int c = 0; c < 4; ++c)
                            _mm256_store_si256(reinterpret_cast<__m256i*>(sums + 8 * c), column_sums[c]);
                        std::int64_t* dst = counts.data() + q * lanes;
                        for (int lane = 0; lane < lanes; ++lane) dst[lane] += sums[lane];
                    }
                }
                // Row sums fit int32 lanes: each lane sums multiplicities of distinct rows (<= M).
                for (int r = 0; r < group_rows; ++r)
                    counts[static_cast<std::size_t>(p * lanes + g + r)] += horizontal_sum(row_sums[r]);
            }
            progress.add(panels - p);
        }
    }
    progress.finish();
    if (interrupted.load()) throw Interrupted("interrupted while computing the sequence weights");

    Eigen::VectorXi result(m_total);
    for (std::int64_t m = 0; m < m_total; ++m) {
        const auto u = static_cast<std::size_t>(unique.index_of_row[static_cast<std::size_t>(m)]);
        std::int64_t total = 0;
        for (const auto& counts : thread_counts) total += counts[u];
        result(m) = static_cast<int>(total);
    }
    return result;
}

Eigen::VectorXd compute_weights(const Alignment& alignment, double theta) {
    return neighbour_counts(alignment, theta).cast<double>().cwiseInverse();
}

Eigen::VectorXd compute_weights_reference(const Alignment& alignment, double theta) {
    return neighbour_counts_reference(alignment, theta).cast<double>().cwiseInverse();
}

Eigen::VectorXd read_weights(std::istream& in, const std::string& name, std::int64_t expected) {
    std::vector<double> values;
    std::string line;
    std::int64_t line_number = 0;
    while (std::getline(in, line)) {
        ++line_number;
        std::string_view text(line);
        if (const auto hash = text.find('#'); hash != std::string_view::npos) text = text.substr(0, hash);
        const auto first = text.find_first_not_of(" \t\r");
        if (first == std::string_view::npos) continue;
        text = text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
        const std::string_view number = text.size() > 1 && text.front() == '+' ? text.substr(1) : text;
        double value = 0;
        const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value);
        if (error != std::errc() || end != number.data() + number.size())
            throw InputError(
                fmt::format("{}: line {}: expected one weight (a number), got '{}'", name, line_number, text));
        if (!std::isfinite(value) || value < 0)
            throw InputError(
                fmt::format("{}: line {}: a weight must be finite and non-negative, got {}", name, line_number, text));
        if (static_cast<std::int64_t>(values.size()) == expected)
            throw InputError(fmt::format("{}: line {}: more weights than the {} sequences left after filtering", name,
                                         line_number, expected));
        values.push_back(value);
    }
    if (in.bad()) throw InputError(fmt::format("{}: read error after line {}", name, line_number));
    if (static_cast<std::int64_t>(values.size()) != expected)
        throw InputError(fmt::format("{}: line {} (end of file): {} weights for the {} sequences left after filtering",
                                     name, line_number, values.size(), expected));
    return Eigen::Map<const Eigen::VectorXd>(values.data(), static_cast<Eigen::Index>(values.size()));
}

void write_weights(std::ostream& out, const Eigen::VectorXd& weights) {
    for (Eigen::Index m = 0; m < weights.size(); ++m) out << fmt::format("{:.17g}\n", weights(m));
    if (!out) throw RuntimeFailure("cannot write the sequence weights");
}

}  // namespace pottsrbm::msa
