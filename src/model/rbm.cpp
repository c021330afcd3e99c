// Potts-RBM energies and their gradients (see rbm.hpp): hidden inputs by gathering weight rows,
// free and joint energies, the gradient of the weighted log unnormalized probability, and the
// zero-sum gauge.
//
// Precision: hidden_inputs (the sampling path) sums weight rows in float; free_energy and the
// gradient sum them in double so that F(v) and its finite differences are exact functions of the
// float parameters. Gamma and its derivatives are always evaluated in double.
//
// Determinism: every parallel loop writes disjoint outputs (rows of a batch, or the rows of one
// site of the gradient), and each sum runs over sequences in their batch order, so the results
// do not depend on the number of threads or on scheduling.
#include "pottsrbm/model/rbm.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/threads.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <vector>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace pottsrbm::model {
namespace {

using Index = Eigen::Index;

void check_sequences(const Rbm& rbm, const Eigen::Ref<const StateMatrix>& sequences, const char* function) {
    if (sequences.cols() != rbm.sites)
        throw UsageError(fmt::format("{}: sequences have {} sites, the model has N = {}", function, sequences.cols(),
                                     rbm.sites));
    for (Index b = 0; b < sequences.rows(); ++b)
        for (Index i = 0; i < sequences.cols(); ++i)
            if (sequences(b, i) >= rbm.states)
                throw UsageError(fmt::format("{}: sequence {} has state {} at site {}, the model has q = {} states",
                                             function, b + 1, static_cast<int>(sequences(b, i)), i + 1, rbm.states));
}

// out[c0 .. c0+width) = sum_i weights.row(i*q + v_i)[c0 .. c0+width), accumulated in registers.
template <int width>
inline void gather_block(const float* weights, Index stride, const std::uint8_t* sequence, int sites, int states,
                         Index c0, float* out) {
    float acc[width];
    const float* first = weights + static_cast<Index>(sequence[0]) * stride + c0;
    for (int k = 0; k < width; ++k) acc[k] = first[k];
    for (int i = 1; i < sites; ++i) {
        const float* row = weights + (static_cast<Index>(i) * states + sequence[i]) * stride + c0;
        for (int k = 0; k < width; ++k) acc[k] += row[k];
    }
    for (int k = 0; k < width; ++k) out[c0 + k] = acc[k];
}

// The rows of a site grouped by state: the rows of state present[k] are the set bits of
// masks[k] (bit r % 64 of word r / 64), visited in increasing row order; the states in increasing
// order. At most `scatter_rows` rows, states below `state_count` (<= 256). Built by comparing a
// copy of the site's column with each state (no per-row read-modify-write: at a conserved site
// those would wait on one another).
constexpr Index scatter_rows = 512;
struct SiteBuckets {
    static constexpr int max_words = static_cast<int>(scatter_rows / 64);
    std::array<std::array<std::uint64_t, max_words>, 256> masks;
    std::array<std::uint8_t, 256> present;
    int states = 0;  ///< number of distinct states
    int words = 0;   ///< words per mask in use

    void build(const std::uint8_t* state, Index stride, Index count, int state_count) {
        alignas(32) std::array<std::uint8_t, scatter_rows> column;
        for (Index r = 0; r < count; ++r) column[static_cast<std::size_t>(r)] = state[r * stride];
        words = static_cast<int>((count + 63) / 64);
        const auto padded = static_cast<std::size_t>(words) * 64;
        // Padding rows get a state that is never compared with (the last word is masked below).
        std::fill(column.begin() + count, column.begin() + static_cast<std::ptrdiff_t>(padded), std::uint8_t{0});
        const std::uint64_t last_word = count % 64 == 0 ? ~std::uint64_t{0} : (std::uint64_t{1} << (count % 64)) - 1;
        states = 0;
        for (int a = 0; a < state_count; ++a) {
            auto& mask = masks[static_cast<std::size_t>(states)];
            std::uint64_t any = 0;
            for (int w = 0; w < words; ++w) {
                const std::uint8_t* chunk = column.data() + 64 * w;
#if defined(__AVX2__)
                const __m256i value = _mm256_set1_epi8(static_cast<char>(a));
                const auto low = static_cast<std::uint32_t>(_mm256_movemask_epi8(
                    _mm256_cmpeq_epi8(_mm256_load_si256(reinterpret_cast<const __m256i*>(chunk)), value)));
                const auto high = static_cast<std::uint32_t>(_mm256_movemask_epi8(
                    _mm256_cmpeq_epi8(_mm256_load_si256(reinterpret_cast<const __m256i*>(chunk + 32)), value)));
                std::uint64_t bits = low | (static_cast<std::uint64_t>(high) << 32);
#else
                std::uint64_t bits = 0;
                for (int r = 0; r < 64; ++r) bits |= static_cast<std::uint64_t>(chunk[r] == a) << r;
#endif
                if (w == words - 1) bits &= last_word;
                mask[static_cast<std::size_t>(w)] = bits;
                any |= bits;
            }
            if (any != 0) present[static_cast<std::size_t>(states++)] = static_cast<std::uint8_t>(a);
        }
    }

    /// visit(r) for the rows of present state k, in increasing order.
    template <class Visit>
    void for_each_row(int k, const Visit& visit) const {
        const auto& mask = masks[static_cast<std::size_t>(k)];
        for (int w = 0; w < words; ++w)
            for (std::uint64_t bits = mask[static_cast<std::size_t>(w)]; bits != 0; bits &= bits - 1)
                visit(static_cast<Index>(64 * w + std::countr_zero(bits)));
    }
};

#if defined(__AVX2__)

// The same for `vectors` AVX registers, the last one holding only the lanes set in `tail`.
template <int vectors>
inline void gather_block_avx2(const float* weights, Index stride, const std::uint8_t* sequence, int sites, int states,
                              Index c0, __m256i tail, float* out) {
    __m256 acc[vectors];
    const float* first = weights + static_cast<Index>(sequence[0]) * stride + c0;
#pragma GCC unroll 16
    for (int k = 0; k + 1 < vectors; ++k) acc[k] = _mm256_loadu_ps(first + 8 * k);
    acc[vectors - 1] = _mm256_maskload_ps(first + 8 * (vectors - 1), tail);
    for (int i = 1; i < sites; ++i) {
        const float* row = weights + (static_cast<Index>(i) * states + sequence[i]) * stride + c0;
#pragma GCC unroll 16
        for (int k = 0; k + 1 < vectors; ++k) acc[k] = _mm256_add_ps(acc[k], _mm256_loadu_ps(row + 8 * k));
        acc[vectors - 1] = _mm256_add_ps(acc[vectors - 1], _mm256_maskload_ps(row + 8 * (vectors - 1), tail));
    }
#pragma GCC unroll 16
    for (int k = 0; k + 1 < vectors; ++k) _mm256_storeu_ps(out + c0 + 8 * k, acc[k]);
    _mm256_maskstore_ps(out + c0 + 8 * (vectors - 1), tail, acc[vectors - 1]);
}

// block.template operator()<vectors>(c0, tail) for the H columns in blocks of up to 12 AVX
// registers (96 floats; 12 accumulators + loads fit the 16 registers), the last register of a
// block holding only the lanes set in `tail`.
template <class Block>
void for_each_register_block(Index units, const Block& block) {
    for (Index c = 0; c < units; c += 96) {
        const auto width = static_cast<int>(std::min<Index>(96, units - c));
        const int vectors = (width + 7) / 8;
        const __m256i tail = _mm256_cmpgt_epi32(_mm256_set1_epi32(width - 8 * (vectors - 1)),
                                                _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        switch (vectors) {
#define POTTSRBM_REGISTER_CASE(n) \
    case n: block.template operator()<n>(c, tail); break;
            POTTSRBM_REGISTER_CASE(1) POTTSRBM_REGISTER_CASE(2) POTTSRBM_REGISTER_CASE(3) POTTSRBM_REGISTER_CASE(4)
            POTTSRBM_REGISTER_CASE(5) POTTSRBM_REGISTER_CASE(6) POTTSRBM_REGISTER_CASE(7) POTTSRBM_REGISTER_CASE(8)
            POTTSRBM_REGISTER_CASE(9) POTTSRBM_REGISTER_CASE(10) POTTSRBM_REGISTER_CASE(11) POTTSRBM_REGISTER_CASE(12)
#undef POTTSRBM_REGISTER_CASE
            default: break;
        }
    }
}

// One row of hidden_inputs, one pass over the N weight rows per register block.
void gather_row(const RowMatrixXf& weights, const std::uint8_t* sequence, int sites, int states, float* out) {
    const Index units = weights.cols();
    const float* data = weights.data();
    for_each_register_block(units, [&]<int vectors>(Index c0, __m256i tail) {
        gather_block_avx2<vectors>(data, units, sequence, sites, states, c0, tail, out);
    });
}

// Columns [c0, c0 + width) of the gradient rows of one site (q rows of `row_stride` floats): row a
// += the sum of the means rows of state a, summed in row order in registers and added once (a
// load-add-store per row would wait on the previous row's store, and a branch per change of
// state mispredicts at variable sites).
template <int vectors>
inline void scatter_buckets_avx2(const float* means, Index means_stride, const SiteBuckets& buckets, float* rows,
                                 Index row_stride, Index c0, __m256i tail) {
    for (int k = 0; k < buckets.states; ++k) {
        __m256 acc[vectors];
#pragma GCC unroll 16
        for (int v = 0; v < vectors; ++v) acc[v] = _mm256_setzero_ps();
        buckets.for_each_row(k, [&](Index r) {
            const float* m = means + r * means_stride + c0;
#pragma GCC unroll 16
            for (int v = 0; v + 1 < vectors; ++v) acc[v] = _mm256_add_ps(acc[v], _mm256_loadu_ps(m + 8 * v));
            acc[vectors - 1] = _mm256_add_ps(acc[vectors - 1], _mm256_maskload_ps(m + 8 * (vectors - 1), tail));
        });
        float* g = rows + static_cast<Index>(buckets.present[static_cast<std::size_t>(k)]) * row_stride + c0;
#pragma GCC unroll 16
        for (int v = 0; v + 1 < vectors; ++v) _mm256_storeu_ps(g + 8 * v, _mm256_add_ps(_mm256_loadu_ps(g + 8 * v), acc[v]));
        _mm256_maskstore_ps(g + 8 * (vectors - 1), tail,
                            _mm256_add_ps(_mm256_maskload_ps(g + 8 * (vectors - 1), tail), acc[vectors - 1]));
    }
}

// Adds the rows of `means` (count x H, row-major) into the gradient rows of one site, grouped by
// state in `buckets`: per state, its rows summed in row order, then added to the state's row;
// register block by register block.
void scatter_site(const float* means, Index units, const SiteBuckets& buckets, float* rows) {
    for_each_register_block(units, [&]<int vectors>(Index c0, __m256i tail) {
        scatter_buckets_avx2<vectors>(means, units, buckets, rows, units, c0, tail);
    });
}

#else

// One row of hidden_inputs: the H columns in blocks of 64, 32 and 8 floats, then a scalar rest.
void gather_row(const RowMatrixXf& weights, const std::uint8_t* sequence, int sites, int states, float* out) {
    const Index units = weights.cols();
    const float* data = weights.data();
    Index c = 0;
    for (; c + 64 <= units; c += 64) gather_block<64>(data, units, sequence, sites, states, c, out);
    for (; c + 32 <= units; c += 32) gather_block<32>(data, units, sequence, sites, states, c, out);
    for (; c + 8 <= units; c += 8) gather_block<8>(data, units, sequence, sites, states, c, out);
    for (; c < units; ++c) gather_block<1>(data, units, sequence, sites, states, c, out);
}

// Adds the rows of `means` (count x H, row-major) into the gradient rows of one site, grouped by
// state in `buckets`: per state, its rows summed in row order, then added to the state's row (the
// order of the AVX2 version).
void scatter_site(const float* means, Index units, const SiteBuckets& buckets, float* rows) {
    thread_local std::vector<float> sum;
    sum.resize(static_cast<std::size_t>(units));
    for (int k = 0; k < buckets.states; ++k) {
        std::fill(sum.begin(), sum.end(), 0.0F);
        buckets.for_each_row(k, [&](Index r) {
            const float* m = means + r * units;
            for (Index c = 0; c < units; ++c) sum[static_cast<std::size_t>(c)] += m[c];
        });
        float* g = rows + static_cast<Index>(buckets.present[static_cast<std::size_t>(k)]) * units;
        for (Index c = 0; c < units; ++c) g[c] += sum[static_cast<std::size_t>(c)];
    }
}

#endif

// I(v) in double.
void gather_row_double(const Rbm& rbm, const std::uint8_t* sequence, Eigen::Ref<Eigen::VectorXd> out) {
    out.setZero();
    for (int i = 0; i < rbm.sites; ++i)
        out += rbm.weights.row(static_cast<Index>(i) * rbm.states + sequence[i]).transpose().cast<double>();
}

double free_energy_of(const Rbm& rbm, const HiddenRowKernel& kernel, const std::uint8_t* sequence,
                      Eigen::Ref<Eigen::VectorXd> inputs) {
    gather_row_double(rbm, sequence, inputs);
    double energy = 0;
    for (int i = 0; i < rbm.sites; ++i) energy -= rbm.fields(i, sequence[i]);
    return energy - kernel.cgf_sum(inputs.data());
}

// Sequences per block of accumulate_log_prob_gradient (bounds the B x H workspaces).
constexpr Index gradient_block = 512;
static_assert(gradient_block <= scatter_rows, "scatter_site takes at most scatter_rows rows");
// Rows per group of the hidden-parameter sums: each group's terms are summed by the thread that
// computes them, then the groups are added in order. Fixed, so the sums do not depend on the
// thread count; small, so that a piece's groups split across threads as its rows did in the
// Gibbs sweep (the chains' inputs are read where they were written).
constexpr Index term_group = 4;

}  // namespace

void hidden_inputs(const Rbm& rbm, const Eigen::Ref<const StateMatrix>& sequences, Eigen::Ref<RowMatrixXf> inputs) {
    check_sequences(rbm, sequences, "hidden_inputs");
    if (inputs.rows() != sequences.rows() || inputs.cols() != rbm.units())
        throw UsageError(fmt::format("hidden_inputs: output is {}x{}, expected {}x{}", inputs.rows(), inputs.cols(),
                                     sequences.rows(), rbm.units()));
    const Index rows = sequences.rows();
    if (rbm.units() == 0) return;
#pragma omp parallel for schedule(static) num_threads(pottsrbm::threads())
    for (Index b = 0; b < rows; ++b) gather_row(rbm.weights, sequences.row(b).data(), rbm.sites, rbm.states, &inputs(b, 0));
}

void hidden_inputs_row(const Rbm& rbm, const std::uint8_t* sequence, float* out) {
    if (rbm.units() > 0) gather_row(rbm.weights, sequence, rbm.sites, rbm.states, out);
}

void free_energy(const Rbm& rbm, const Eigen::Ref<const StateMatrix>& sequences, Eigen::Ref<Eigen::VectorXd> out) {
    check_sequences(rbm, sequences, "free_energy");
    if (out.size() != sequences.rows())
        throw UsageError(fmt::format("free_energy: output has {} entries for {} sequences", out.size(), sequences.rows()));
    const Index rows = sequences.rows();
    const HiddenRowKernel kernel(rbm.hidden);
#pragma omp parallel num_threads(pottsrbm::threads())
    {
        Eigen::VectorXd inputs(rbm.units());
#pragma omp for schedule(static)
        for (Index b = 0; b < rows; ++b) out[b] = free_energy_of(rbm, kernel, sequences.row(b).data(), inputs);
    }
}

double free_energy(const Rbm& rbm, const std::uint8_t* sequence) {
    const Eigen::Map<const StateMatrix> row(sequence, 1, rbm.sites);
    check_sequences(rbm, row, "free_energy");
    Eigen::VectorXd inputs(rbm.units());
    return free_energy_of(rbm, HiddenRowKernel(rbm.hidden), sequence, inputs);
}

double joint_energy(const Rbm& rbm, const std::uint8_t* sequence, const Eigen::Ref<const Eigen::VectorXd>& h) {
    const Eigen::Map<const StateMatrix> row(sequence, 1, rbm.sites);
    check_sequences(rbm, row, "joint_energy");
    if (h.size() != rbm.units())
        throw UsageError(fmt::format("joint_energy: h has {} entries, the model has H = {}", h.size(), rbm.units()));
    Eigen::VectorXd inputs(rbm.units());
    gather_row_double(rbm, sequence, inputs);
    double energy = -inputs.dot(h);
    for (int i = 0; i < rbm.sites; ++i) energy -= rbm.fields(i, sequence[i]);
    for (int mu = 0; mu < rbm.units(); ++mu) energy += hidden_potential(rbm.hidden, mu, h[mu]);
    return energy;
}

void Gradient::resize_like(const Rbm& rbm) {
    fields.resize(rbm.sites, rbm.states);
    weights.resize(rbm.weights.rows(), rbm.weights.cols());
    hidden.resize(rbm.units(), 4);
    set_zero();
}

void Gradient::set_zero() {
    fields.setZero();
    weights.setZero();
    hidden.setZero();
}

namespace {

// d(-F)/dg_i(a) = [v_i = a], d(-F)/dW_{i mu}(a) = [v_i = a] E[h_mu | I], d(-F)/dtheta = dGamma/dtheta.
// The terms' rows are processed in blocks (below) inside one parallel region: groups of 4 rows
// in parallel (inputs gathered in float unless given, E[h|I] and dGamma/dtheta in double, the
// weighted means stored in float, the group's dGamma/dtheta summed by its thread), then the
// scatter in parallel over sites, each adding the block's rows term by term into its q rows of
// the float weight gradient, per state the rows of that state summed in row order first (they
// stay in L1; the float sums carry a relative rounding error of order sqrt(rows) 6e-8, far below
// the sampling noise of a minibatch gradient), and the field weights into double sums, then the
// hidden sums of each term's groups in order, in parallel over columns: any thread count gives
// the same result, and the result equals that of one call per term in the same order.
// One term, checked: `rows` sequences of N states `stride` apart, their weights, and their hidden
// inputs (row b at inputs + b * inputs_stride) or null.
struct TermView {
    const std::uint8_t* sequences = nullptr;
    Index stride = 0;
    Index rows = 0;
    const double* weights = nullptr;
    const float* inputs = nullptr;
    Index inputs_stride = 0;
};

TermView checked_term(const Rbm& rbm, const Eigen::Ref<const StateMatrix>& sequences,
                      const Eigen::Ref<const Eigen::VectorXd>& weights, const float* inputs, Index inputs_stride,
                      Index inputs_rows, Index inputs_cols) {
    check_sequences(rbm, sequences, "accumulate_log_prob_gradient");
    if (weights.size() != sequences.rows())
        throw UsageError(fmt::format("accumulate_log_prob_gradient: {} weights for {} sequences", weights.size(),
                                     sequences.rows()));
    if (inputs != nullptr && (inputs_rows != sequences.rows() || inputs_cols != rbm.units()))
        throw UsageError(fmt::format("accumulate_log_prob_gradient: inputs are {}x{}, expected {}x{}", inputs_rows,
                                     inputs_cols, sequences.rows(), rbm.units()));
    return {sequences.data(), sequences.outerStride(), sequences.rows(), weights.data(), inputs, inputs_stride};
}

void accumulate_gradient(const Rbm& rbm, std::span<const TermView> terms, Gradient& gradient, bool overwrite) {
    const int units = rbm.units();
    const int states = rbm.states;
    Index rows = 0;
    for (const TermView& term : terms) rows += term.rows;
    if (overwrite) {
        gradient.fields.resize(rbm.sites, states);
        gradient.weights.resize(rbm.weights.rows(), units);
        gradient.hidden.setZero(units, 4);
        if (rows == 0) {  // no batch below zeroes the sites
            gradient.fields.setZero();
            gradient.weights.setZero();
        }
    }
    if (gradient.fields.rows() != rbm.sites || gradient.fields.cols() != states ||
        gradient.weights.rows() != rbm.weights.rows() || gradient.weights.cols() != units ||
        gradient.hidden.rows() != units)
        throw UsageError("accumulate_log_prob_gradient: the gradient does not have the model's shape (resize_like)");
    if (rows == 0) return;

    // Each term is cut into blocks of at most gradient_block rows from its first row, as a call
    // per term would; consecutive blocks are then processed together while their rows fit in one
    // block (the data and chain minibatches of an update: one pass). Piece p: rows [lo, hi) of
    // term `term`, at row `offset` of its batch's workspaces.
    struct Piece {
        std::size_t term;
        Index lo, hi, offset;
    };
    std::vector<Piece> pieces;
    std::vector<std::size_t> batch_first;  // batch k: pieces [batch_first[k], batch_first[k + 1])
    Index batch_rows = 0;
    for (std::size_t t = 0; t < terms.size(); ++t) {
        for (Index lo = 0; lo < terms[t].rows; lo += gradient_block) {
            const Index hi = std::min(lo + gradient_block, terms[t].rows);
            if (batch_first.empty() || batch_rows + (hi - lo) > gradient_block) {
                batch_first.push_back(pieces.size());
                batch_rows = 0;
            }
            pieces.push_back({t, lo, hi, batch_rows});
            batch_rows += hi - lo;
        }
    }
    batch_first.push_back(pieces.size());

    const Index block = std::min(rows, gradient_block);
    // Kept per calling thread between calls (at most 512 x 36 H bytes): no allocation per update.
    thread_local RowMatrixXf means;         // w_b E[h | I(v_b)]
    thread_local RowMatrixXd hidden_terms;  // per row group: sum of w_b dGamma_mu/dparam_k, column 4 mu + k
    means.resize(block, units);
    hidden_terms.resize(block / term_group + static_cast<Index>(terms.size()) + 1, 4 * units);
    // Inside the parallel region these names must be used: there `means` would name each worker
    // thread's own (empty) thread_local copy.
    RowMatrixXf& block_means = means;
    RowMatrixXd& block_terms = hidden_terms;
    const HiddenRowKernel kernel(rbm.hidden);

#pragma omp parallel num_threads(pottsrbm::threads())
    {
        Eigen::VectorXf inputs(units);
        Eigen::VectorXd row_means(units);
        Eigen::VectorXd row_terms(4 * units);
        thread_local SiteBuckets buckets;  // 16 KB: per thread, not on the stack
        for (std::size_t k = 0; k + 1 < batch_first.size(); ++k) {
            const Piece* begin = pieces.data() + batch_first[k];
            const Piece* end = pieces.data() + batch_first[k + 1];
            // Each piece's row groups in contiguous ranges per thread (the static split of its
            // rows that the Gibbs sweep used for the chains); group g of the batch at row g of
            // block_terms.
            Index first_group = 0;
            for (const Piece* piece = begin; piece != end; ++piece) {
                const TermView& term = terms[piece->term];
                const Index n = piece->hi - piece->lo;
                const Index groups = (n + term_group - 1) / term_group;
#pragma omp for schedule(static) nowait
                for (Index g = 0; g < groups; ++g) {
                    double* group_terms = block_terms.row(first_group + g).data();
                    for (Index r = g * term_group; r < std::min(n, (g + 1) * term_group); ++r) {
                        const Index b = piece->lo + r;
                        const float* row_inputs = inputs.data();
                        if (term.inputs != nullptr)
                            row_inputs = term.inputs + b * term.inputs_stride;
                        else
                            gather_row(rbm.weights, term.sequences + b * term.stride, rbm.sites, states, inputs.data());
                        if (r == g * term_group) {
                            kernel.gradient(row_inputs, term.weights[b], row_means.data(), group_terms);
                        } else {
                            kernel.gradient(row_inputs, term.weights[b], row_means.data(), row_terms.data());
                            Eigen::Map<Eigen::RowVectorXd>(group_terms, 4 * units) += row_terms.transpose();
                        }
                        block_means.row(piece->offset + r) = row_means.transpose().cast<float>();
                    }
                }
                first_group += groups;
            }
#pragma omp barrier
            // Sites in the static split of the optimizer step (Trainer::apply_update), so that a
            // site's gradient rows are written and read by the same thread.
#pragma omp for schedule(static)
            for (int i = 0; i < rbm.sites; ++i) {
                const Index site_row = static_cast<Index>(i) * states;
                if (overwrite && k == 0) {
                    gradient.weights.middleRows(site_row, states).setZero();
                    gradient.fields.row(i).setZero();
                }
                for (const Piece* piece = begin; piece != end; ++piece) {
                    const TermView& term = terms[piece->term];
                    const Index n = piece->hi - piece->lo;
                    buckets.build(term.sequences + piece->lo * term.stride + i, term.stride, n, states);
                    scatter_site(block_means.row(piece->offset).data(), units, buckets,
                                 gradient.weights.row(site_row).data());
                    // The weights of each state's rows, in row order.
                    const double* row_weights = term.weights + piece->lo;
                    for (int k2 = 0; k2 < buckets.states; ++k2) {
                        double field_sum = 0;
                        buckets.for_each_row(k2, [&](Index r) { field_sum += row_weights[r]; });
                        if (field_sum != 0)
                            gradient.fields(i, buckets.present[static_cast<std::size_t>(k2)]) += static_cast<float>(field_sum);
                    }
                }
            }
            // Hidden sums: column chunks in parallel, each adding a piece's row groups in order
            // (per piece, as a call per term would).
            constexpr Index chunk = 64;
            const Index columns = 4 * static_cast<Index>(units);
#pragma omp for schedule(static)
            for (Index c0 = 0; c0 < columns; c0 += chunk) {
                const Index width = std::min(chunk, columns - c0);
                Index group = 0;
                for (const Piece* piece = begin; piece != end; ++piece) {
                    const Index piece_groups = (piece->hi - piece->lo + term_group - 1) / term_group;
                    std::array<double, chunk> sums{};
                    for (Index g = 0; g < piece_groups; ++g, ++group) {
                        const double* row = &block_terms(group, c0);
                        for (Index k2 = 0; k2 < width; ++k2) sums[static_cast<std::size_t>(k2)] += row[k2];
                    }
                    for (Index k2 = 0; k2 < width; ++k2)
                        gradient.hidden((c0 + k2) / 4, (c0 + k2) % 4) += sums[static_cast<std::size_t>(k2)];
                }
            }
        }
    }
}

}  // namespace

void accumulate_log_prob_gradient(const Rbm& rbm, const Eigen::Ref<const StateMatrix>& sequences,
                                  const Eigen::Ref<const Eigen::VectorXd>& sample_weights, Gradient& gradient) {
    const TermView term = checked_term(rbm, sequences, sample_weights, nullptr, 0, 0, 0);
    accumulate_gradient(rbm, std::span(&term, 1), gradient, false);
}

void accumulate_log_prob_gradient(const Rbm& rbm, const Eigen::Ref<const StateMatrix>& sequences,
                                  const Eigen::Ref<const Eigen::VectorXd>& sample_weights,
                                  const Eigen::Ref<const RowMatrixXf>& inputs, Gradient& gradient) {
    const TermView term =
        checked_term(rbm, sequences, sample_weights, inputs.data(), inputs.outerStride(), inputs.rows(), inputs.cols());
    accumulate_gradient(rbm, std::span(&term, 1), gradient, false);
}

void accumulate_log_prob_gradient(const Rbm& rbm, std::span<const GradientTerm> terms, Gradient& gradient,
                                  bool overwrite) {
    constexpr std::size_t most = 8;
    if (terms.size() > most)
        throw UsageError(fmt::format("accumulate_log_prob_gradient: at most {} terms, got {}", most, terms.size()));
    std::array<TermView, most> views;
    for (std::size_t t = 0; t < terms.size(); ++t) {
        const GradientTerm& term = terms[t];
        if (term.sequences == nullptr || term.weights == nullptr)
            throw UsageError(fmt::format("accumulate_log_prob_gradient: term {} has no sequences or no weights", t));
        if (term.inputs == nullptr)
            views[t] = checked_term(rbm, *term.sequences, *term.weights, nullptr, 0, 0, 0);
        else
            views[t] = checked_term(rbm, *term.sequences, *term.weights, term.inputs->data(),
                                    term.inputs->outerStride(), term.inputs->rows(), term.inputs->cols());
    }
    accumulate_gradient(rbm, std::span<const TermView>(views.data(), terms.size()), gradient, overwrite);
}

// Gauge shift c_mu = sum_i mean_a W_{i mu}(a): I_mu -> I_mu - c_mu. Gamma_new(I - c) = Gamma_old(I)
// holds when U_new(h) = U_old(h) - c h, since Gamma_old(J + c) = log int exp(-(U(h) - c h) + h J) dh:
// theta_plus -= c for every type, and theta_minus -= c too for dReLU (h = h+ + h-).
void apply_zero_sum_gauge(Rbm& rbm) {
    const int units = rbm.units();
    const int states = rbm.states;
    Eigen::VectorXd shift = Eigen::VectorXd::Zero(units);
    for (int i = 0; i < rbm.sites; ++i) {
        auto block = rbm.weights.middleRows(static_cast<Index>(i) * states, states);
        const Eigen::RowVectorXf mean = block.cast<double>().colwise().mean().cast<float>();
        block.rowwise() -= mean;
        shift += mean.transpose().cast<double>();
        const double field_mean = rbm.fields.row(i).cast<double>().mean();
        rbm.fields.row(i).array() -= static_cast<float>(field_mean);
    }
    for (int mu = 0; mu < units; ++mu) {
        rbm.hidden.theta_plus[mu] = static_cast<float>(rbm.hidden.theta_plus[mu] - shift[mu]);
        if (rbm.hidden.type == HiddenType::drelu)
            rbm.hidden.theta_minus[mu] = static_cast<float>(rbm.hidden.theta_minus[mu] - shift[mu]);
    }
}

void rescale_hidden_units(Rbm& rbm, const Eigen::Ref<const Eigen::VectorXf>& scale) {
    if (rbm.hidden.type == HiddenType::bernoulli)
        throw UsageError("rescale_hidden_units: Bernoulli units have a fixed scale");
    if (scale.size() != rbm.units())
        throw UsageError(fmt::format("rescale_hidden_units: {} scales for H = {}", scale.size(), rbm.units()));
    if (!(scale.array() > 0).all()) throw UsageError("rescale_hidden_units: scales must be > 0");
    auto& hidden = rbm.hidden;
    const bool drelu = hidden.type == HiddenType::drelu;
    for (Index r = 0; r < rbm.weights.rows(); ++r) rbm.weights.row(r).array() *= scale.transpose().array();
    hidden.gamma_plus.array() *= scale.array().square();
    hidden.theta_plus.array() *= scale.array();
    if (drelu) {
        hidden.gamma_minus.array() *= scale.array().square();
        hidden.theta_minus.array() *= scale.array();
    }
}

}  // namespace pottsrbm::model
