// Alternating Gibbs sampling of a batch of Potts-RBM chains (see sampling.hpp).
//
// Hidden half-step: I = gather of weight rows (hidden_inputs), then h ~ P(h | I) by the hidden
// layer's exact sampler; at inverse temperature beta the unit parameters and inputs are scaled by
// beta (hidden.hpp).
// Visible half-step, per fixed block of chains (independent of the thread count, so every chain's
// arithmetic is the same for any number of threads):
//   field(b, i*q + a) = g_i(a) + sum_mu W(i*q + a, mu) h(b, mu)     (one (n x H) x (H x Nq) GEMM)
//   P(v_i = a | h) = softmax_a(beta * field(b, i*q + a))            (max subtracted, float exp)
// and v_i is drawn by inverse CDF with one uniform per site from the chain's own stream.
#include "pottsrbm/model/sampling.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/threads.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace pottsrbm::model {
namespace {

using Index = Eigen::Index;

// Most chains per block of the visible half-step: large enough for an efficient GEMM, small
// enough that a block's fields stay in cache between the product and the sampling. The chains
// are split into ceil(B / 64) blocks of equal size (100 chains: two of 50, not 64 + 36, which
// left one of two threads idle a quarter of the time); the split does not depend on the
// thread count.
constexpr Index visible_block = 64;

void check_batch(const Rbm& rbm, const ChainBatch& batch, const GibbsOptions& options, const char* function) {
    const Index chains = batch.visible.rows();
    const Index width = static_cast<Index>(rbm.sites) * rbm.states;
    if (batch.visible.cols() != rbm.sites || batch.hidden.rows() != chains || batch.hidden.cols() != rbm.units() ||
        batch.inputs.rows() != chains || batch.inputs.cols() != rbm.units() || batch.visible_field.rows() != chains ||
        batch.visible_field.cols() != width || static_cast<Index>(batch.rngs.size()) != chains)
        throw UsageError(fmt::format("{}: the chain batch does not match the model (N={}, q={}, H={})", function,
                                     rbm.sites, rbm.states, rbm.units()));
    if (!(options.beta > 0) || !std::isfinite(options.beta))
        throw UsageError(fmt::format("{}: inverse temperature must be > 0 and finite, got {}", function, options.beta));
}

// Draws v_i ~ softmax(beta * field[i*q .. i*q+q)) for every site; `scratch` holds N*q floats.
// Portable form: per-site maximum, one vectorized exp over the row, sequential inverse CDF.
void sample_sites_portable(const float* field, int sites, int states, float beta, Rng& rng, float* scratch,
                           std::uint8_t* out) {
    const Index width = static_cast<Index>(sites) * states;
    for (int i = 0; i < sites; ++i) {
        const float* f = field + static_cast<Index>(i) * states;
        float* s = scratch + static_cast<Index>(i) * states;
        float largest = f[0];
        for (int a = 1; a < states; ++a) largest = std::max(largest, f[a]);
        for (int a = 0; a < states; ++a) s[a] = beta * (f[a] - largest);
    }
    Eigen::Map<Eigen::ArrayXf> weights(scratch, width);
    weights = weights.exp();
    for (int i = 0; i < sites; ++i) {
        const float* w = scratch + static_cast<Index>(i) * states;
        float total = 0;
        for (int a = 0; a < states; ++a) total += w[a];
        const float u = rng.uniform_float() * total;
        // The same additions as `total`, so the scan ends at `total`; if rounding made u == total,
        // take the last state of positive probability.
        int chosen = -1;
        int last_positive = 0;
        float cumulative = 0;
        for (int a = 0; a < states; ++a) {
            cumulative += w[a];
            if (w[a] > 0) last_positive = a;
            if (u < cumulative) {
                chosen = a;
                break;
            }
        }
        out[i] = static_cast<std::uint8_t>(chosen >= 0 ? chosen : last_positive);
    }
}

#if defined(__AVX2__) && defined(__FMA__)

// 2^y for y <= 0 in 8 lanes: y = n + r with n = round(y), |r| <= 1/2, and a degree-5 minimax
// polynomial for 2^r (relative error 7.5e-8, 2.1e-7 with float rounding); 0 below -126 and for NaN.
inline __m256 exp2_nonpositive(__m256 y) {
    const __m256 lowest = _mm256_set1_ps(-126.0f);
    const __m256 representable = _mm256_cmp_ps(y, lowest, _CMP_GE_OQ);
    y = _mm256_max_ps(y, lowest);
    const __m256 n = _mm256_round_ps(y, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m256 r = _mm256_sub_ps(y, n);
    __m256 p = _mm256_set1_ps(1.327647198e-03f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(9.675541334e-03f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.550713274e-02f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(2.402211972e-01f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(6.931469671e-01f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.000000072e+00f));
    const __m256i scale = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_and_ps(_mm256_mul_ps(p, _mm256_castsi256_ps(scale)), representable);
}

// Inclusive prefix sum of the 8 lanes.
inline __m256 prefix_sum(__m256 x) {
    x = _mm256_add_ps(x, _mm256_castsi256_ps(_mm256_slli_si256(_mm256_castps_si256(x), 4)));
    x = _mm256_add_ps(x, _mm256_castsi256_ps(_mm256_slli_si256(_mm256_castps_si256(x), 8)));
    const __m256 low_total = _mm256_permute_ps(x, 0xFF);                          // lanes 3 and 7 everywhere
    return _mm256_add_ps(x, _mm256_permute2f128_ps(low_total, low_total, 0x08));  // lane 3 to the upper half
}

inline __m256 broadcast_last(__m256 x) { return _mm256_permute_ps(_mm256_permute2f128_ps(x, x, 0x11), 0xFF); }

inline __m256 horizontal_max(__m256 x) {
    x = _mm256_max_ps(x, _mm256_permute2f128_ps(x, x, 0x01));
    x = _mm256_max_ps(x, _mm256_permute_ps(x, 0x4E));
    return _mm256_max_ps(x, _mm256_permute_ps(x, 0xB1));
}

inline __m256i lanes_below(int count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// One site with its own maximum, in double: the exact path for sites whose weights relative to
// the row maximum are too small for float (see sample_sites_avx2). `u` is the site's uniform.
int sample_site_exact(const float* field, int states, float beta, float u) {
    double weights[256];
    const float largest = *std::max_element(field, field + states);
    double total = 0;
    for (int a = 0; a < states; ++a) total += weights[a] = std::exp(static_cast<double>(beta) * (field[a] - largest));
    const double target = static_cast<double>(u) * total;
    double cumulative = 0;
    for (int a = 0; a < states; ++a) {
        cumulative += weights[a];
        if (target < cumulative) return a;
    }
    return static_cast<int>(std::max_element(field, field + states) - field);
}

// AVX2 form for q <= 8 * vectors. The row is shifted by its overall maximum M (not per site) and
// exponentiated in one pass, w = 2^(beta log2(e) (f - M)), into `scratch`; then per site the
// weights sit in `vectors` registers (lanes past q masked to 0), their in-register prefix sums
// (monotone up to float rounding) give the cumulative weights and v_i = the number of cumulative
// weights <= u * total, i.e. the first state whose cumulative weight exceeds u * total. A site
// whose total is below 2^-80 (all its fields far below M, where float loses them) is redrawn
// exactly by sample_site_exact with the same uniform.
template <int vectors>
void sample_sites_avx2(const float* field, int sites, int states, float beta, Rng& rng, float* scratch,
                       std::uint8_t* out) {
    const int width = sites * states;
    __m256 m0 = _mm256_set1_ps(-std::numeric_limits<float>::infinity()), m1 = m0, m2 = m0, m3 = m0;
    int k = 0;
    for (; k + 32 <= width; k += 32) {
        m0 = _mm256_max_ps(m0, _mm256_loadu_ps(field + k));
        m1 = _mm256_max_ps(m1, _mm256_loadu_ps(field + k + 8));
        m2 = _mm256_max_ps(m2, _mm256_loadu_ps(field + k + 16));
        m3 = _mm256_max_ps(m3, _mm256_loadu_ps(field + k + 24));
    }
    float top = _mm256_cvtss_f32(horizontal_max(_mm256_max_ps(_mm256_max_ps(m0, m1), _mm256_max_ps(m2, m3))));
    for (; k < width; ++k) top = std::max(top, field[k]);

    const float log2_scale = beta * std::numbers::log2e_v<float>;
    const __m256 scale = _mm256_set1_ps(log2_scale);
    const __m256 offset = _mm256_set1_ps(top * log2_scale);
    for (k = 0; k + 8 <= width; k += 8)
        _mm256_storeu_ps(scratch + k, exp2_nonpositive(_mm256_fmsub_ps(_mm256_loadu_ps(field + k), scale, offset)));
    if (k < width) {
        const __m256i rest = lanes_below(width - k);
        _mm256_maskstore_ps(scratch + k, rest,
                            exp2_nonpositive(_mm256_fmsub_ps(_mm256_maskload_ps(field + k, rest), scale, offset)));
    }

    const __m256i tail = lanes_below(states - 8 * (vectors - 1));
    for (int i = 0; i < sites; ++i) {
        const float* w = scratch + static_cast<Index>(i) * states;
        __m256 cumulative[vectors];
        __m256 carry = _mm256_setzero_ps();
        for (int v = 0; v < vectors; ++v) {
            const __m256 x = v + 1 < vectors ? _mm256_loadu_ps(w + 8 * v) : _mm256_maskload_ps(w + 8 * v, tail);
            cumulative[v] = _mm256_add_ps(prefix_sum(x), carry);
            carry = broadcast_last(cumulative[v]);
        }
        const float total = _mm256_cvtss_f32(carry);
        const float uniform = rng.uniform_float();
        if (!(total >= 0x1p-80f)) {
            out[i] = static_cast<std::uint8_t>(
                sample_site_exact(field + static_cast<Index>(i) * states, states, beta, uniform));
            continue;
        }
        const __m256 u = _mm256_set1_ps(uniform * total);
        int count = 0;
        for (int v = 0; v < vectors; ++v)
            count += __builtin_popcount(static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(cumulative[v], u, _CMP_LE_OQ))));
        if (count >= states) {  // u * total rounded up to total: the last state of positive weight
            count = states - 1;
            while (count > 0 && !(w[count] > 0)) --count;
        }
        out[i] = static_cast<std::uint8_t>(count);
    }
}

#endif

void sample_sites(const float* field, int sites, int states, float beta, Rng& rng, float* scratch,
                  std::uint8_t* out) {
#if defined(__AVX2__) && defined(__FMA__)
    if (states <= 8) return sample_sites_avx2<1>(field, sites, states, beta, rng, scratch, out);
    if (states <= 16) return sample_sites_avx2<2>(field, sites, states, beta, rng, scratch, out);
    if (states <= 24) return sample_sites_avx2<3>(field, sites, states, beta, rng, scratch, out);
#endif
    sample_sites_portable(field, sites, states, beta, rng, scratch, out);
}

}  // namespace

ChainBatch ChainBatch::make(const Rbm& rbm, int chains, std::uint64_t seed, std::uint64_t first_stream) {
    return make(rbm, chains, seed, first_stream, 1.0);
}

ChainBatch ChainBatch::make(const Rbm& rbm, int chains, std::uint64_t seed, std::uint64_t first_stream,
                            double beta) {
    if (chains < 0) throw UsageError(fmt::format("ChainBatch::make: number of chains must be >= 0, got {}", chains));
    if (!(beta >= 0) || !std::isfinite(beta))
        throw UsageError(fmt::format("ChainBatch::make: inverse temperature must be >= 0 and finite, got {}", beta));
    const Index width = static_cast<Index>(rbm.sites) * rbm.states;
    ChainBatch batch;
    batch.visible.resize(chains, rbm.sites);
    batch.hidden = RowMatrixXf::Zero(chains, rbm.units());
    batch.inputs.resize(chains, rbm.units());
    batch.visible_field = RowMatrixXf::Zero(chains, width);
    batch.rngs.reserve(static_cast<std::size_t>(chains));
    for (int b = 0; b < chains; ++b) batch.rngs.emplace_back(seed, first_stream + static_cast<std::uint64_t>(b));

    const auto beta_f = static_cast<float>(beta);
#pragma omp parallel num_threads(pottsrbm::threads())
    {
        std::vector<float> scratch(static_cast<std::size_t>(width));
#pragma omp for schedule(static)
        for (int b = 0; b < chains; ++b)
            sample_sites(rbm.fields.data(), rbm.sites, rbm.states, beta_f, batch.rngs[static_cast<std::size_t>(b)],
                         scratch.data(), &batch.visible(b, 0));
    }
    hidden_inputs(rbm, batch.visible, batch.inputs);
    return batch;
}

namespace {

// h ~ P(h | v) from batch.inputs, which must hold I(v) at the current parameters.
void hidden_step(const Rbm& rbm, ChainBatch& batch, const GibbsOptions& options) {
    if (options.beta == 1.0) {
        sample_hidden(rbm.hidden, batch.inputs, batch.rngs.data(), batch.hidden);
        return;
    }
    const auto beta = static_cast<float>(options.beta);
    const HiddenLayer layer = rbm.hidden.scaled(beta);
    batch.scaled_inputs.resize(batch.inputs.rows(), batch.inputs.cols());
    batch.scaled_inputs.noalias() = beta * batch.inputs;
    sample_hidden(layer, batch.scaled_inputs, batch.rngs.data(), batch.hidden);
}

// v ~ P(v | h); with `gather_inputs`, also batch.inputs = I(v) of the new v, row by row in the
// same parallel region (each chain's inputs are gathered right after its visible draw).
void visible_step(const Rbm& rbm, ChainBatch& batch, const GibbsOptions& options, bool gather_inputs) {
    const Index chains = batch.chains();
    const Index width = static_cast<Index>(rbm.sites) * rbm.states;
    const Index blocks = (chains + visible_block - 1) / visible_block;
    const Index block_rows = blocks > 0 ? (chains + blocks - 1) / blocks : 0;
    const auto beta = static_cast<float>(options.beta);
    const Eigen::Map<const Eigen::RowVectorXf> fields(rbm.fields.data(), width);
    // With one thread this is not a parallel region and Eigen may parallelize the GEMM itself with
    // omp_get_max_threads() threads, which pottsrbm::set_threads keeps equal to threads() = 1.
#pragma omp parallel num_threads(pottsrbm::threads())
    {
        // Per thread and kept between calls: no allocation per sweep.
        thread_local std::vector<float> scratch;
        scratch.resize(static_cast<std::size_t>(width));
        // Static: a block stays with one thread from sweep to sweep, and its fields, chains and
        // inputs in that thread's cache.
#pragma omp for schedule(static)
        for (Index block = 0; block < blocks; ++block) {
            const Index first = block * block_rows;
            const Index rows = std::min(block_rows, chains - first);
            auto field = batch.visible_field.middleRows(first, rows);
            field.rowwise() = fields;
            if (rbm.units() > 0) field.noalias() += batch.hidden.middleRows(first, rows) * rbm.weights.transpose();
            for (Index r = 0; r < rows; ++r) {
                const Index b = first + r;
                sample_sites(&batch.visible_field(b, 0), rbm.sites, rbm.states, beta,
                             batch.rngs[static_cast<std::size_t>(b)], scratch.data(), &batch.visible(b, 0));
                if (gather_inputs) hidden_inputs_row(rbm, &batch.visible(b, 0), &batch.inputs(b, 0));
            }
        }
    }
}

}  // namespace

void sample_hidden_given_visible(const Rbm& rbm, ChainBatch& batch, const GibbsOptions& options) {
    check_batch(rbm, batch, options, "sample_hidden_given_visible");
    hidden_inputs(rbm, batch.visible, batch.inputs);
    hidden_step(rbm, batch, options);
}

void sample_visible_given_hidden(const Rbm& rbm, ChainBatch& batch, const GibbsOptions& options) {
    check_batch(rbm, batch, options, "sample_visible_given_hidden");
    visible_step(rbm, batch, options, false);
}

void gibbs_sweeps(const Rbm& rbm, ChainBatch& batch, int sweeps, const GibbsOptions& options) {
    if (sweeps < 0) throw UsageError(fmt::format("gibbs_sweeps: number of sweeps must be >= 0, got {}", sweeps));
    check_batch(rbm, batch, options, "gibbs_sweeps");
    if (sweeps == 0) return;
    // The same draws as sweeps x (sample_hidden_given_visible, sample_visible_given_hidden), with
    // the inputs of each new v gathered in its visible half-step (they are the next hidden
    // half-step's and, after the last, the ones left in batch.inputs).
    hidden_inputs(rbm, batch.visible, batch.inputs);
    for (int s = 0; s < sweeps; ++s) {
        hidden_step(rbm, batch, options);
        visible_step(rbm, batch, options, true);
    }
}

}  // namespace pottsrbm::model
