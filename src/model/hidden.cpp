// Hidden-unit potentials: cumulant generating functions Gamma(I), conditional moments, parameter
// gradients and exact conditional sampling (see hidden.hpp for the parametrization and
// docs/hidden-units.md for the derivations).
//
// Every continuous unit reduces to the one-sided law with drift z (special.hpp): a ReLU unit
// (gamma, theta) at input I is h = s v with s = 1/sqrt(gamma) and z = (I - theta) s; a dReLU unit is
// a two-component mixture of such laws, h = s+ v+ (z+ = (I - theta+) s+) and h = -s- v-
// (z- = (theta- - I) s-), weighted by s+ R(z+) and s- R(z-).
#include "pottsrbm/model/hidden.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/threads.hpp"
#include "pottsrbm/model/special.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <limits>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define POTTSRBM_HIDDEN_AVX2 1
#endif

namespace pottsrbm::model {

/// Per-unit constants in double (computed once per call of a batched function).
struct detail::UnitConstants {
    double theta_plus = 0;
    double theta_minus = 0;
    double s_plus = 1;  ///< 1/sqrt(gamma_plus)
    double s_minus = 1;
    double log_s_plus = 0;
    double log_s_minus = 0;
    double inv_gamma_plus = 1;
    double inv_gamma_minus = 1;
};

namespace {

using Unit = detail::UnitConstants;

using special::detail::MillsTable;
using special::detail::ZigguratTable;


Unit unit_constants(const HiddenLayer& layer, int mu) {
    assert(mu >= 0 && mu < layer.units());
    const auto i = static_cast<Eigen::Index>(mu);
    Unit unit;
    unit.theta_plus = layer.theta_plus[i];
    if (layer.type == HiddenType::bernoulli) return unit;
    const double gamma_plus = layer.gamma_plus[i];
    unit.s_plus = 1.0 / std::sqrt(gamma_plus);
    unit.log_s_plus = -0.5 * std::log(gamma_plus);
    unit.inv_gamma_plus = 1.0 / gamma_plus;
    if (layer.type != HiddenType::drelu) return unit;
    const double gamma_minus = layer.gamma_minus[i];
    unit.theta_minus = layer.theta_minus[i];
    unit.s_minus = 1.0 / std::sqrt(gamma_minus);
    unit.log_s_minus = -0.5 * std::log(gamma_minus);
    unit.inv_gamma_minus = 1.0 / gamma_minus;
    return unit;
}

// ---- Bernoulli ---------------------------------------------------------------------------

inline double softplus(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::fabs(x))); }

/// 1/(1 + e^-x): relative error of a few ulp for every x (e^-x = inf gives 0).
inline double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

inline HiddenMoments bernoulli_moments(const Unit& unit, double input) {
    const double x = input - unit.theta_plus;
    const double p = sigmoid(x);
    return {softplus(x), p, p * sigmoid(-x)};
}

// ---- Gaussian ----------------------------------------------------------------------------

inline HiddenMoments gaussian_moments(const Unit& unit, double input) {
    const double x = input - unit.theta_plus;
    return {0.5 * x * x * unit.inv_gamma_plus + unit.log_s_plus + special::half_log_2pi, x * unit.inv_gamma_plus,
            unit.inv_gamma_plus};
}

// ---- One-sided laws (ReLU, dReLU branches) -----------------------------------------------

/// Above this drift R(z) is handled in logs (R(26) ~ 1e147, far from overflow).
constexpr double ratio_limit = 26.0;

/// Normalizer (R(z) itself, or log R(z)) and moments of the one-sided law with drift z.
struct Side {
    double normalizer = 0;
    double mean = 0;
    double variance = 0;
};

/// R(z) (z <= ratio_limit), mean and, when `WithVariance`, variance.
template <bool WithVariance>
inline Side side_ratio(const MillsTable& table, double z) {
    using namespace special::detail;
    Side side;
    if (z <= 0) {
        const auto values = mills_values<want_mills | want_mean | (WithVariance ? want_var : 0U)>(table, -z);
        side.normalizer = values.mills;
        side.mean = values.mean;
        side.variance = values.variance;
        return side;
    }
    side.normalizer = special::sqrt_2pi * exp_half_square(z) - mills_values<want_mills>(table, z).mills;
    const double lambda = 1.0 / side.normalizer;  // phi(z) / Phi(z)
    side.mean = z + lambda;
    if constexpr (WithVariance) side.variance = 1.0 - lambda * side.mean;
    return side;
}

/// log R(z) (every z), mean and, when `WithVariance`, variance.
template <bool WithVariance>
inline Side side_log(const MillsTable& table, double z) {
    using namespace special::detail;
    Side side;
    if (z <= 0) {
        const auto values = mills_values<want_mills | want_mean | (WithVariance ? want_var : 0U)>(table, -z);
        side.normalizer = std::log(values.mills);
        side.mean = values.mean;
        side.variance = values.variance;
        return side;
    }
    const double density = special::inv_sqrt_2pi * std::exp(-0.5 * z * z);
    const double upper_tail = mills_values<want_mills>(table, z).mills * density;  // 1 - Phi(z)
    side.normalizer = 0.5 * z * z + special::half_log_2pi + std::log1p(-upper_tail);
    const double lambda = density / (1.0 - upper_tail);
    side.mean = z + lambda;
    if constexpr (WithVariance) side.variance = 1.0 - lambda * side.mean;
    return side;
}

/// Mean and variance only: beyond ratio_limit, lambda = phi(z)/Phi(z) < 1e-147 and the law is
/// N(z, 1) to double precision.
template <bool WithVariance>
inline Side side_moments(const MillsTable& table, double z) {
    if (z > ratio_limit) return {0.0, z, 1.0};
    return side_ratio<WithVariance>(table, z);
}

template <bool WithCgf, bool WithVariance>
inline HiddenMoments relu_moments(const MillsTable& table, const Unit& unit, double input) {
    const double z = (input - unit.theta_plus) * unit.s_plus;
    const Side side = WithCgf ? side_log<WithVariance>(table, z) : side_moments<WithVariance>(table, z);
    HiddenMoments out;
    if constexpr (WithCgf) out.cgf = side.normalizer + unit.log_s_plus;
    out.mean = unit.s_plus * side.mean;
    if constexpr (WithVariance) out.variance = unit.inv_gamma_plus * side.variance;
    return out;
}

/// The two branches of a dReLU unit at one input: probabilities, conditional moments in h units.
struct DreluParts {
    double cgf = 0;
    double p_plus = 0;
    double p_minus = 0;
    double mean_plus = 0;  ///< E[h | h >= 0] >= 0
    double mean_minus = 0; ///< E[h | h < 0] <= 0
    double var_plus = 0;
    double var_minus = 0;
};

template <bool WithCgf, bool WithVariance>
inline DreluParts drelu_parts(const MillsTable& table, const Unit& unit, double input) {
    const double z_plus = (input - unit.theta_plus) * unit.s_plus;
    const double z_minus = (unit.theta_minus - input) * unit.s_minus;
    DreluParts parts;
    Side plus, minus;
    if (z_plus <= ratio_limit && z_minus <= ratio_limit) {
        plus = side_ratio<WithVariance>(table, z_plus);
        minus = side_ratio<WithVariance>(table, z_minus);
        const double weight_plus = unit.s_plus * plus.normalizer;
        const double weight_minus = unit.s_minus * minus.normalizer;
        const double total = weight_plus + weight_minus;
        const double inverse_total = 1.0 / total;
        parts.p_plus = weight_plus * inverse_total;
        parts.p_minus = weight_minus * inverse_total;
        if constexpr (WithCgf) parts.cgf = std::log(total);
    } else {
        plus = side_log<WithVariance>(table, z_plus);
        minus = side_log<WithVariance>(table, z_minus);
        const double log_plus = plus.normalizer + unit.log_s_plus;
        const double log_minus = minus.normalizer + unit.log_s_minus;
        const double ratio = std::exp(-std::fabs(log_plus - log_minus));  // smaller / larger weight
        const double larger = 1.0 / (1.0 + ratio);
        const double smaller = ratio / (1.0 + ratio);
        parts.p_plus = log_plus >= log_minus ? larger : smaller;
        parts.p_minus = log_plus >= log_minus ? smaller : larger;
        if constexpr (WithCgf) parts.cgf = std::max(log_plus, log_minus) + std::log1p(ratio);
    }
    parts.mean_plus = unit.s_plus * plus.mean;
    parts.mean_minus = -unit.s_minus * minus.mean;
    if constexpr (WithVariance) {
        parts.var_plus = unit.inv_gamma_plus * plus.variance;
        parts.var_minus = unit.inv_gamma_minus * minus.variance;
    }
    return parts;
}

template <bool WithCgf, bool WithVariance>
inline HiddenMoments drelu_moments(const MillsTable& table, const Unit& unit, double input) {
    const DreluParts parts = drelu_parts<WithCgf, WithVariance>(table, unit, input);
    HiddenMoments out;
    out.cgf = parts.cgf;
    out.mean = parts.p_plus * parts.mean_plus + parts.p_minus * parts.mean_minus;
    if constexpr (WithVariance) {
        // Law of total variance: every term is >= 0.
        const double gap = parts.mean_plus - parts.mean_minus;
        out.variance = parts.p_plus * parts.var_plus + parts.p_minus * parts.var_minus +
                       parts.p_plus * parts.p_minus * gap * gap;
    }
    return out;
}

inline double drelu_cgf(const MillsTable& table, const Unit& unit, double input) {
    const double z_plus = (input - unit.theta_plus) * unit.s_plus;
    const double z_minus = (unit.theta_minus - input) * unit.s_minus;
    if (z_plus <= ratio_limit && z_minus <= ratio_limit)
        return std::log(unit.s_plus * special::detail::one_sided_integral(table, z_plus) +
                        unit.s_minus * special::detail::one_sided_integral(table, z_minus));
    const double log_plus = special::detail::one_sided_log_integral(table, z_plus) + unit.log_s_plus;
    const double log_minus = special::detail::one_sided_log_integral(table, z_minus) + unit.log_s_minus;
    return std::max(log_plus, log_minus) + std::log1p(std::exp(-std::fabs(log_plus - log_minus)));
}

// ---- Sampling ------------------------------------------------------------------------------

inline double sample_bernoulli(const Unit& unit, double input, Rng& rng) {
    return rng.uniform() < sigmoid(input - unit.theta_plus) ? 1.0 : 0.0;
}

inline double sample_gaussian(const ZigguratTable& zig, const Unit& unit, double input, Rng& rng) {
    return (input - unit.theta_plus) * unit.inv_gamma_plus +
           unit.s_plus * special::detail::standard_normal(zig, rng);
}

inline double sample_relu(const ZigguratTable& zig, const Unit& unit, double input, Rng& rng) {
    return unit.s_plus * special::detail::sample_one_sided(zig, (input - unit.theta_plus) * unit.s_plus, rng);
}

/// The drifts z+ = (I - theta+) s+, z- = (theta- - I) s- and the probability of the positive
/// branch of a dReLU unit at input I.
struct DreluBranch {
    double p_plus, z_plus, z_minus;
};

inline DreluBranch drelu_branch(const MillsTable& table, const Unit& unit, double input) {
    using special::detail::one_sided_integral;
    using special::detail::one_sided_log_integral;
    DreluBranch out{0, (input - unit.theta_plus) * unit.s_plus, (unit.theta_minus - input) * unit.s_minus};
    if (out.z_plus <= ratio_limit && out.z_minus <= ratio_limit) {
        const double weight_plus = unit.s_plus * one_sided_integral(table, out.z_plus);
        const double weight_minus = unit.s_minus * one_sided_integral(table, out.z_minus);
        out.p_plus = weight_plus / (weight_plus + weight_minus);
    } else {
        const double log_plus = one_sided_log_integral(table, out.z_plus) + unit.log_s_plus;
        const double log_minus = one_sided_log_integral(table, out.z_minus) + unit.log_s_minus;
        out.p_plus = 1.0 / (1.0 + std::exp(log_minus - log_plus));
    }
    return out;
}

inline double sample_drelu(const MillsTable& table, const ZigguratTable& zig, const Unit& unit, double input,
                           Rng& rng) {
    const DreluBranch branch = drelu_branch(table, unit, input);
    if (rng.uniform() < branch.p_plus) return unit.s_plus * special::detail::sample_one_sided(zig, branch.z_plus, rng);
    return -unit.s_minus * special::detail::sample_one_sided(zig, branch.z_minus, rng);
}

// ---- dReLU in four lanes (AVX2) ---------------------------------------------------------
//
// The same evaluation as drelu_parts, drelu_cgf and the ratio branch of sample_drelu, four units
// at a time: the Mills-table coefficients of each lane's interval are assembled from 128-bit loads,
// exp is evaluated by Cody-Waite reduction and a degree-13 Taylor polynomial, log by an atanh
// series (relative errors ~2e-16). A group of four is done in lanes only
// when every lane is in the ratio branch with both |z| inside the table (|z| <= 26); otherwise the
// caller falls back to the scalar code for that group, so results never depend on grouping beyond
// the last few ulp.

/// Per-unit constants as arrays (structure of arrays) for vector loads; `count` entries each.
struct UnitArrays {
    const double* theta_plus;
    const double* theta_minus;
    const double* s_plus;
    const double* s_minus;
    const double* inv_gamma_plus;
    const double* inv_gamma_minus;
};

/// The six arrays of `count` units stored one after the other in `storage`.
UnitArrays unit_arrays(const double* storage, std::size_t count) {
    return {storage, storage + count, storage + 2 * count, storage + 3 * count, storage + 4 * count,
            storage + 5 * count};
}

/// Writes the constants of `count` units into `storage` (6 * count doubles) as UnitArrays.
UnitArrays fill_unit_arrays(const Unit* units, std::size_t count, double* storage) {
    for (std::size_t mu = 0; mu < count; ++mu) {
        storage[mu] = units[mu].theta_plus;
        storage[count + mu] = units[mu].theta_minus;
        storage[2 * count + mu] = units[mu].s_plus;
        storage[3 * count + mu] = units[mu].s_minus;
        storage[4 * count + mu] = units[mu].inv_gamma_plus;
        storage[5 * count + mu] = units[mu].inv_gamma_minus;
    }
    return unit_arrays(storage, count);
}

#if POTTSRBM_HIDDEN_AVX2

/// e^x for |x| <= 700 in four lanes.
inline __m256d exp4(__m256d x) {
    const __m256d n = _mm256_round_pd(_mm256_mul_pd(x, _mm256_set1_pd(1.4426950408889634)),
                                      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256d r = _mm256_fnmadd_pd(n, _mm256_set1_pd(6.93147180369123816490e-01), x);
    r = _mm256_fnmadd_pd(n, _mm256_set1_pd(1.90821492927058770002e-10), r);
    // Taylor coefficients 1/k!, k = 13 .. 0 (|r| <= 0.347: truncation below 4e-18).
    static constexpr double inverse_factorials[] = {
        1.6059043836821613e-10, 2.08767569878681e-09, 2.505210838544172e-08, 2.755731922398589e-07,
        2.7557319223985893e-06, 2.48015873015873e-05, 1.984126984126984e-04, 1.388888888888889e-03,
        8.333333333333333e-03,  4.1666666666666664e-02, 0.16666666666666666, 0.5, 1.0, 1.0};
    __m256d p = _mm256_set1_pd(inverse_factorials[0]);
    for (std::size_t k = 1; k < std::size(inverse_factorials); ++k)
        p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(inverse_factorials[k]));
    const __m256i exponent = _mm256_slli_epi64(
        _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_cvtpd_epi32(n)), _mm256_set1_epi64x(1023)), 52);
    return _mm256_mul_pd(p, _mm256_castsi256_pd(exponent));
}

/// log x for positive normal x in four lanes: x = m 2^e with m in (sqrt(1/2), sqrt(2)],
/// log m = 2 atanh(f), f = (m - 1)/(m + 1), |f| <= 0.172, by its series to f^23 (relative error ~2e-16).
inline __m256d log4(__m256d x) {
    const __m256i bits = _mm256_castpd_si256(x);
    __m256d m = _mm256_castsi256_pd(_mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi64x(0x000FFFFFFFFFFFFF)),
                                                    _mm256_set1_epi64x(0x3FF0000000000000)));
    // The biased exponent k as a double: the bits of 2^52 + k, minus 2^52 + 1023.
    __m256d e = _mm256_sub_pd(
        _mm256_castsi256_pd(_mm256_or_si256(_mm256_srli_epi64(bits, 52), _mm256_set1_epi64x(0x4330000000000000))),
        _mm256_set1_pd(4503599627370496.0 + 1023.0));
    const __m256d large = _mm256_cmp_pd(m, _mm256_set1_pd(1.4142135623730951), _CMP_GT_OQ);
    m = _mm256_blendv_pd(m, _mm256_mul_pd(m, _mm256_set1_pd(0.5)), large);
    e = _mm256_add_pd(e, _mm256_and_pd(large, _mm256_set1_pd(1.0)));
    const __m256d one = _mm256_set1_pd(1.0);
    const __m256d f = _mm256_div_pd(_mm256_sub_pd(m, one), _mm256_add_pd(m, one));
    const __m256d f2 = _mm256_mul_pd(f, f);
    __m256d series = _mm256_set1_pd(2.0 / 23.0);
    for (int k = 21; k >= 1; k -= 2) series = _mm256_fmadd_pd(series, f2, _mm256_set1_pd(2.0 / k));
    const __m256d log_m = _mm256_mul_pd(f, series);
    return _mm256_fmadd_pd(e, _mm256_set1_pd(6.93147180369123816490e-01),
                           _mm256_fmadd_pd(e, _mm256_set1_pd(1.90821492927058770002e-10), log_m));
}

struct Side4 {
    __m256d normalizer;  ///< R(z)
    __m256d mean;
    __m256d variance;
};

/// side_ratio in four lanes, for |z| <= MillsTable::table_limit and z <= ratio_limit.
template <bool WithMoments>
inline Side4 side_ratio4(const MillsTable& table, __m256d z) {
    const __m256d sign_bit = _mm256_set1_pd(-0.0);
    const __m256d a = _mm256_andnot_pd(sign_bit, z);
    const __m256d y = _mm256_div_pd(_mm256_set1_pd(MillsTable::scale), _mm256_add_pd(_mm256_set1_pd(MillsTable::scale), a));
    const __m256d u = _mm256_mul_pd(y, _mm256_set1_pd(MillsTable::intervals));
    const __m256d j = _mm256_min_pd(_mm256_floor_pd(u), _mm256_set1_pd(MillsTable::intervals - 1));
    const __m256d t = _mm256_sub_pd(_mm256_mul_pd(_mm256_set1_pd(2.0), _mm256_sub_pd(u, j)), _mm256_set1_pd(1.0));
    // Each lane's interval has 3 x 8 contiguous coefficients; coefficient k of the four lanes is
    // assembled from 128-bit loads (two coefficients of two lanes) and one unpack, which is much
    // cheaper than a gather per coefficient.
    constexpr int stride = 3 * (MillsTable::degree + 1);
    alignas(16) std::int32_t interval[4];
    _mm_store_si128(reinterpret_cast<__m128i*>(interval), _mm256_cvttpd_epi32(j));
    const double* base = table.coefficients[0][0].data();
    const double* lane[4];
    for (int l = 0; l < 4; ++l) lane[l] = base + (interval[l] - MillsTable::first) * stride;
    const auto polynomial = [&](int function) {
        const int first = function * (MillsTable::degree + 1);
        __m256d s = _mm256_setzero_pd();
        for (int k = MillsTable::degree - 1; k >= 0; k -= 2) {
            // (p0[k], p0[k+1], p2[k], p2[k+1]) and (p1[k], p1[k+1], p3[k], p3[k+1]).
            const __m256d even = _mm256_insertf128_pd(_mm256_castpd128_pd256(_mm_loadu_pd(lane[0] + first + k)),
                                                      _mm_loadu_pd(lane[2] + first + k), 1);
            const __m256d odd = _mm256_insertf128_pd(_mm256_castpd128_pd256(_mm_loadu_pd(lane[1] + first + k)),
                                                     _mm_loadu_pd(lane[3] + first + k), 1);
            // Horner: s = (s t + c[k+1]) t + c[k]; at the top s = 0 gives c[degree] exactly.
            s = _mm256_fmadd_pd(s, t, _mm256_unpackhi_pd(even, odd));
            s = _mm256_fmadd_pd(s, t, _mm256_unpacklo_pd(even, odd));
        }
        return s;
    };
    const __m256d mills = polynomial(0);
    const __m256d positive = _mm256_cmp_pd(z, _mm256_setzero_pd(), _CMP_GT_OQ);
    const int positive_lanes = _mm256_movemask_pd(positive);
    Side4 side;
    if (positive_lanes == 0) {  // every lane from the table alone (often: drifts of sparse units)
        side.normalizer = mills;
        if constexpr (WithMoments) {
            side.mean = polynomial(1);
            side.variance = polynomial(2);
        }
        return side;
    }
    // z > 0: R = sqrt(2 pi) exp(z^2/2) - M(z), with z^2 split exactly (exp_half_square).
    const __m256d hi = _mm256_mul_pd(z, z);
    const __m256d lo = _mm256_fmsub_pd(z, z, hi);
    const __m256d half = _mm256_set1_pd(0.5);
    const __m256d growth =
        _mm256_mul_pd(exp4(_mm256_mul_pd(half, hi)), _mm256_fmadd_pd(half, lo, _mm256_set1_pd(1.0)));
    const __m256d ratio_positive = _mm256_fmsub_pd(_mm256_set1_pd(special::sqrt_2pi), growth, mills);
    side.normalizer = _mm256_blendv_pd(mills, ratio_positive, positive);
    if constexpr (WithMoments) {
        const __m256d lambda = _mm256_div_pd(_mm256_set1_pd(1.0), ratio_positive);
        const __m256d mean_positive = _mm256_add_pd(z, lambda);
        const __m256d var_positive = _mm256_fnmadd_pd(lambda, mean_positive, _mm256_set1_pd(1.0));
        if (positive_lanes == 0xF) {
            side.mean = mean_positive;
            side.variance = var_positive;
        } else {
            side.mean = _mm256_blendv_pd(polynomial(1), mean_positive, positive);
            side.variance = _mm256_blendv_pd(polynomial(2), var_positive, positive);
        }
    }
    return side;
}

/// The drifts z+ = (I - theta+) s+ and z- = (theta- - I) s- of units mu..mu+3; false unless every
/// lane is in the ratio branch of drelu_parts with both |z| inside the Mills table.
inline bool drelu_drifts4(const UnitArrays& u, std::size_t mu, __m256d input, __m256d& z_plus, __m256d& z_minus) {
    z_plus = _mm256_mul_pd(_mm256_sub_pd(input, _mm256_loadu_pd(u.theta_plus + mu)), _mm256_loadu_pd(u.s_plus + mu));
    z_minus = _mm256_mul_pd(_mm256_sub_pd(_mm256_loadu_pd(u.theta_minus + mu), input), _mm256_loadu_pd(u.s_minus + mu));
    const __m256d upper = _mm256_set1_pd(ratio_limit);
    const __m256d lower = _mm256_set1_pd(-MillsTable::table_limit);
    const __m256d inside = _mm256_and_pd(
        _mm256_and_pd(_mm256_cmp_pd(z_plus, upper, _CMP_LE_OQ), _mm256_cmp_pd(z_minus, upper, _CMP_LE_OQ)),
        _mm256_and_pd(_mm256_cmp_pd(z_plus, lower, _CMP_GE_OQ), _mm256_cmp_pd(z_minus, lower, _CMP_GE_OQ)));
    return _mm256_movemask_pd(inside) == 0xF;
}

/// drelu_cgf of units mu..mu+3 at `input` (false: a lane needs the scalar code).
inline bool drelu_cgf4(const MillsTable& table, const UnitArrays& u, std::size_t mu, __m256d input, __m256d& out) {
    __m256d z_plus, z_minus;
    if (!drelu_drifts4(u, mu, input, z_plus, z_minus)) return false;
    const __m256d weight_plus = _mm256_mul_pd(_mm256_loadu_pd(u.s_plus + mu), side_ratio4<false>(table, z_plus).normalizer);
    const __m256d weight_minus =
        _mm256_mul_pd(_mm256_loadu_pd(u.s_minus + mu), side_ratio4<false>(table, z_minus).normalizer);
    out = log4(_mm256_add_pd(weight_plus, weight_minus));
    return true;
}

struct DreluParts4 {
    __m256d z_plus, z_minus;
    __m256d p_plus, p_minus;
    __m256d mean_plus, mean_minus;
    __m256d var_plus, var_minus;
};

/// drelu_parts (without Gamma) of units mu..mu+3 at `input`; false when a lane needs the scalar
/// code (a drift beyond the ratio branch or the table, or NaN). With WithMoments false only z and
/// the branch probabilities are set.
template <bool WithMoments>
inline bool drelu_parts4(const MillsTable& table, const UnitArrays& u, std::size_t mu, __m256d input,
                         DreluParts4& out) {
    const __m256d s_plus = _mm256_loadu_pd(u.s_plus + mu);
    const __m256d s_minus = _mm256_loadu_pd(u.s_minus + mu);
    if (!drelu_drifts4(u, mu, input, out.z_plus, out.z_minus)) return false;
    const Side4 plus = side_ratio4<WithMoments>(table, out.z_plus);
    const Side4 minus = side_ratio4<WithMoments>(table, out.z_minus);
    const __m256d weight_plus = _mm256_mul_pd(s_plus, plus.normalizer);
    const __m256d weight_minus = _mm256_mul_pd(s_minus, minus.normalizer);
    const __m256d inverse_total = _mm256_div_pd(_mm256_set1_pd(1.0), _mm256_add_pd(weight_plus, weight_minus));
    out.p_plus = _mm256_mul_pd(weight_plus, inverse_total);
    out.p_minus = _mm256_mul_pd(weight_minus, inverse_total);
    if constexpr (WithMoments) {
        out.mean_plus = _mm256_mul_pd(s_plus, plus.mean);
        out.mean_minus = _mm256_mul_pd(_mm256_sub_pd(_mm256_setzero_pd(), s_minus), minus.mean);
        out.var_plus = _mm256_mul_pd(_mm256_loadu_pd(u.inv_gamma_plus + mu), plus.variance);
        out.var_minus = _mm256_mul_pd(_mm256_loadu_pd(u.inv_gamma_minus + mu), minus.variance);
    }
    return true;
}

/// Four xoshiro256++ streams, one per lane (the streams of four rows), stepped together; a masked
/// step advances only the lanes of the mask, so each lane draws exactly the words its scalar
/// stream would.
struct RngLanes {
    __m256i s0, s1, s2, s3;

    static __m256i rotl(__m256i x, int k) {
        return _mm256_or_si256(_mm256_slli_epi64(x, k), _mm256_srli_epi64(x, 64 - k));
    }

    void load(const Rng* rngs) {
        alignas(32) std::uint64_t words[4][4];
        for (int l = 0; l < 4; ++l)
            for (int w = 0; w < 4; ++w) words[w][l] = rngs[l].state()[static_cast<std::size_t>(w)];
        s0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(words[0]));
        s1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(words[1]));
        s2 = _mm256_load_si256(reinterpret_cast<const __m256i*>(words[2]));
        s3 = _mm256_load_si256(reinterpret_cast<const __m256i*>(words[3]));
    }

    void store(Rng* rngs) const {
        alignas(32) std::uint64_t words[4][4];
        _mm256_store_si256(reinterpret_cast<__m256i*>(words[0]), s0);
        _mm256_store_si256(reinterpret_cast<__m256i*>(words[1]), s1);
        _mm256_store_si256(reinterpret_cast<__m256i*>(words[2]), s2);
        _mm256_store_si256(reinterpret_cast<__m256i*>(words[3]), s3);
        for (int l = 0; l < 4; ++l) rngs[l].set_state({words[0][l], words[1][l], words[2][l], words[3][l]});
    }

    /// The next word of every lane; lanes outside `mask` (all-ones 64-bit lanes) keep their state.
    __m256i next(__m256i mask) {
        const __m256i result = _mm256_add_epi64(rotl(_mm256_add_epi64(s0, s3), 23), s0);
        const __m256i t = _mm256_slli_epi64(s1, 17);
        __m256i n2 = _mm256_xor_si256(s2, s0);
        __m256i n3 = _mm256_xor_si256(s3, s1);
        const __m256i n1 = _mm256_xor_si256(s1, n2);
        const __m256i n0 = _mm256_xor_si256(s0, n3);
        n2 = _mm256_xor_si256(n2, t);
        n3 = rotl(n3, 45);
        s0 = _mm256_blendv_epi8(s0, n0, mask);
        s1 = _mm256_blendv_epi8(s1, n1, mask);
        s2 = _mm256_blendv_epi8(s2, n2, mask);
        s3 = _mm256_blendv_epi8(s3, n3, mask);
        return result;
    }
};

/// static_cast<double>(word >> 11) of each lane, exactly (53 bits assembled from two halves).
inline __m256d top53(__m256i word) {
    const __m256i v = _mm256_srli_epi64(word, 11);
    const __m256i magic = _mm256_set1_epi64x(0x4330000000000000);  // the bits of 2^52
    const __m256d two52 = _mm256_set1_pd(4503599627370496.0);
    const __m256d high = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(_mm256_srli_epi64(v, 32), magic)), two52);
    const __m256d low = _mm256_sub_pd(
        _mm256_castsi256_pd(_mm256_or_si256(_mm256_and_si256(v, _mm256_set1_epi64x(0xFFFFFFFF)), magic)), two52);
    return _mm256_fmadd_pd(high, _mm256_set1_pd(4294967296.0), low);  // exact: < 2^53
}

/// sample_one_sided of four rows' drifts `z` with their own streams, in lanes: a lane draws its
/// words in the scalar order (normal proposals through the ziggurat's fast test, or Robert's
/// exponential proposals with their acceptance test) and rounds every operation as the scalar
/// code does (Robert's log and exp are std::log and std::exp per lane), so the draws are the
/// scalar sampler's, bit for bit. A lane whose word fails the ziggurat's fast test (~1.2%)
/// finishes on its own stream in scalar code.
inline __m256d sample_one_sided4(const ZigguratTable& zig, __m256d z, RngLanes& lanes, Rng* rngs) {
    const __m256d a = _mm256_sub_pd(_mm256_setzero_pd(), z);
    const __m256d is_nan = _mm256_cmp_pd(z, z, _CMP_UNORD_Q);
    const __m256d normal = _mm256_cmp_pd(a, _mm256_set1_pd(special::detail::normal_proposal_limit), _CMP_LT_OQ);
    const __m256d root = _mm256_blendv_pd(a, _mm256_sqrt_pd(_mm256_add_pd(_mm256_mul_pd(a, a), _mm256_set1_pd(4.0))),
                                          _mm256_cmp_pd(a, _mm256_set1_pd(1e150), _CMP_LT_OQ));
    const __m256d sum = _mm256_add_pd(a, root);
    const __m256d lambda = _mm256_mul_pd(_mm256_set1_pd(0.5), sum);
    const __m256d gap = _mm256_div_pd(_mm256_set1_pd(2.0), sum);
    const __m256d unit = _mm256_set1_pd(0x1.0p-53);
    __m256d result = z;  // NaN lanes return z
    __m256d pending = _mm256_andnot_pd(is_nan, _mm256_castsi256_pd(_mm256_set1_epi64x(-1)));
    while (_mm256_movemask_pd(pending) != 0) {
        const __m256i pending_mask = _mm256_castpd_si256(pending);
        const __m256i word = lanes.next(pending_mask);
        const __m256d top = top53(word);
        const __m256d normal_pending = _mm256_and_pd(pending, normal);
        __m256d done = _mm256_setzero_pd();
        if (_mm256_movemask_pd(normal_pending) != 0) {
            const __m256i layer = _mm256_and_si256(word, _mm256_set1_epi64x(ZigguratTable::layers - 1));
            const __m256d u = _mm256_sub_pd(_mm256_mul_pd(_mm256_set1_pd(2.0), _mm256_mul_pd(top, unit)),
                                            _mm256_set1_pd(1.0));
            const __m256d x = _mm256_mul_pd(u, _mm256_i64gather_pd(zig.x.data(), layer, 8));
            const __m256d magnitude = _mm256_andnot_pd(_mm256_set1_pd(-0.0), u);
            const __m256d fast = _mm256_cmp_pd(magnitude, _mm256_i64gather_pd(zig.ratio.data(), layer, 8), _CMP_LT_OQ);
            const __m256d accepted = _mm256_and_pd(_mm256_and_pd(normal_pending, fast), _mm256_cmp_pd(x, a, _CMP_GE_OQ));
            result = _mm256_blendv_pd(result, _mm256_sub_pd(x, a), accepted);
            done = accepted;
            const int slow = _mm256_movemask_pd(_mm256_andnot_pd(fast, normal_pending));
            if (slow != 0) {
                alignas(32) std::uint64_t words[4];
                alignas(32) double values[4];
                alignas(32) double drifts[4];
                _mm256_store_si256(reinterpret_cast<__m256i*>(words), word);
                _mm256_store_pd(values, result);
                _mm256_store_pd(drifts, a);
                lanes.store(rngs);
                for (int l = 0; l < 4; ++l) {
                    if (((slow >> l) & 1) == 0) continue;
                    double n = 0;
                    if (!special::detail::ziggurat_slow(zig, words[l], rngs[l], n))
                        n = special::detail::standard_normal(zig, rngs[l]);
                    while (n < drifts[l]) n = special::detail::standard_normal(zig, rngs[l]);
                    values[l] = n - drifts[l];
                }
                lanes.load(rngs);
                result = _mm256_load_pd(values);
                done = _mm256_or_pd(done, _mm256_andnot_pd(fast, normal_pending));
            }
        }
        const __m256d robert_pending = _mm256_andnot_pd(normal, pending);
        const int robert = _mm256_movemask_pd(robert_pending);
        if (robert != 0) {
            // std::log and std::exp lane by lane, as the scalar sampler rounds them.
            alignas(32) double lane_values[4];
            _mm256_store_pd(lane_values, _mm256_mul_pd(_mm256_add_pd(top, _mm256_set1_pd(0.5)), unit));
            for (int l = 0; l < 4; ++l) lane_values[l] = ((robert >> l) & 1) != 0 ? std::log(lane_values[l]) : 0.0;
            const __m256d e = _mm256_div_pd(_mm256_sub_pd(_mm256_setzero_pd(), _mm256_load_pd(lane_values)), lambda);
            const __m256d u = _mm256_mul_pd(top53(lanes.next(_mm256_castpd_si256(robert_pending))), unit);
            const __m256d d = _mm256_sub_pd(e, gap);
            const __m256d half_d2 = _mm256_mul_pd(_mm256_mul_pd(_mm256_set1_pd(0.5), d), d);
            __m256d accepted = _mm256_and_pd(
                robert_pending, _mm256_cmp_pd(u, _mm256_sub_pd(_mm256_set1_pd(1.0), half_d2), _CMP_LT_OQ));
            const int exact_test = robert & ~_mm256_movemask_pd(accepted);
            if (exact_test != 0) {
                alignas(32) double bound[4];
                _mm256_store_pd(bound, half_d2);
                for (int l = 0; l < 4; ++l) bound[l] = ((exact_test >> l) & 1) != 0 ? std::exp(-bound[l]) : 0.0;
                accepted = _mm256_or_pd(accepted, _mm256_cmp_pd(u, _mm256_load_pd(bound), _CMP_LT_OQ));
            }
            result = _mm256_blendv_pd(result, e, accepted);
            done = _mm256_or_pd(done, accepted);
        }
        pending = _mm256_andnot_pd(done, pending);
    }
    return result;
}
#endif

// ---- Batched driver ------------------------------------------------------------------------

/// Units per block of precomputed constants (kept on the stack: no allocation).
constexpr int unit_block = 128;
/// Below this many elements a batched call stays on the calling thread.
constexpr Eigen::Index parallel_threshold = 4096;

template <class Inputs, class Outputs>
void check_shapes(const char* function, const HiddenLayer& layer, const Inputs& inputs, const Outputs& out) {
    if (inputs.cols() != layer.units() || out.rows() != inputs.rows() || out.cols() != inputs.cols())
        throw RuntimeFailure(fmt::format("{}: inputs are {}x{} and outputs {}x{} for a layer of {} units", function,
                                         inputs.rows(), inputs.cols(), out.rows(), out.cols(), layer.units()));
}

/// out(b, mu) = kernel(unit mu, inputs(b, mu), b) for every element; rows in parallel, each row
/// visited unit by unit in increasing order.
template <class Output, class Kernel>
void for_each_element(const HiddenLayer& layer, const Eigen::Ref<const RowMatrixXf>& inputs, Output& out,
                      const Kernel& kernel) {
    const Eigen::Index rows = inputs.rows();
    const int units = layer.units();
    std::array<Unit, unit_block> constants;
    for (int first = 0; first < units; first += unit_block) {
        const int count = std::min(unit_block, units - first);
        for (int k = 0; k < count; ++k) constants[static_cast<std::size_t>(k)] = unit_constants(layer, first + k);
#pragma omp parallel for num_threads(pottsrbm::threads()) schedule(static) if (rows * count >= parallel_threshold)
        for (Eigen::Index b = 0; b < rows; ++b) {
            for (int k = 0; k < count; ++k) {
                const Eigen::Index mu = first + k;
                out(b, mu) = static_cast<typename Output::Scalar>(
                    kernel(constants[static_cast<std::size_t>(k)], static_cast<double>(inputs(b, mu)), b));
            }
        }
    }
}

/// row_kernel(b, first, count, constants, arrays) for every row b (every RowsPerTask-th row when
/// the kernel takes rows b..b+RowsPerTask-1 together) and every block of up to unit_block units
/// [first, first + count), with the block's constants as structures and as arrays (on the stack:
/// no allocation); tasks in parallel.
template <int RowsPerTask = 1, class RowKernel>
void for_each_row_block(const HiddenLayer& layer, Eigen::Index rows, const RowKernel& row_kernel) {
    const int units = layer.units();
    std::array<Unit, unit_block> constants;
    std::array<double, 6 * unit_block> storage;
    for (int first = 0; first < units; first += unit_block) {
        const int count = std::min(unit_block, units - first);
        for (int k = 0; k < count; ++k) constants[static_cast<std::size_t>(k)] = unit_constants(layer, first + k);
        const UnitArrays arrays = fill_unit_arrays(constants.data(), static_cast<std::size_t>(count), storage.data());
        const Eigen::Index tasks = (rows + RowsPerTask - 1) / RowsPerTask;
#pragma omp parallel for num_threads(pottsrbm::threads()) schedule(static) if (rows * count >= parallel_threshold)
        for (Eigen::Index t = 0; t < tasks; ++t) row_kernel(t * RowsPerTask, first, count, constants.data(), arrays);
    }
}

/// hidden_cgf for a dReLU layer, four units at a time in vector lanes where they apply.
void drelu_cgf_rows(const HiddenLayer& layer, const Eigen::Ref<const RowMatrixXf>& inputs,
                    Eigen::Ref<RowMatrixXd> out) {
    const auto& table = special::detail::mills_table();
    for_each_row_block(layer, inputs.rows(), [&](Eigen::Index b, int first, int count, const Unit* constants,
                                                 [[maybe_unused]] const UnitArrays& arrays) {
        const float* input = inputs.row(b).data() + first;
        double* cgf = out.row(b).data() + first;
        int k = 0;
#if POTTSRBM_HIDDEN_AVX2
        for (; k + 4 <= count; k += 4) {
            __m256d cgf4;
            if (drelu_cgf4(table, arrays, static_cast<std::size_t>(k), _mm256_cvtps_pd(_mm_loadu_ps(input + k)), cgf4)) {
                _mm256_storeu_pd(cgf + k, cgf4);
            } else {
                for (int l = k; l < k + 4; ++l) cgf[l] = drelu_cgf(table, constants[l], input[l]);
            }
        }
#endif
        for (; k < count; ++k) cgf[k] = drelu_cgf(table, constants[k], input[k]);
    });
}

/// sample_hidden for a dReLU layer: the same draws as sample_drelu element by element (each row
/// unit by unit with its own stream: a uniform for the branch, then the one-sided draw). Rows go
/// in groups of four: the branch probabilities of each row four units at a time in vector lanes,
/// then the draws of the four rows in lanes (sample_one_sided4); a last partial group row by row.
void sample_drelu_rows(const HiddenLayer& layer, const Eigen::Ref<const RowMatrixXf>& inputs, Rng* rngs,
                       Eigen::Ref<RowMatrixXf> out) {
    const auto& table = special::detail::mills_table();
    const auto& zig = special::detail::ziggurat_table();
    const Eigen::Index rows = inputs.rows();
    for_each_row_block<4>(layer, rows, [&](Eigen::Index b0, int first, int count, const Unit* constants,
                                           [[maybe_unused]] const UnitArrays& arrays) {
#if POTTSRBM_HIDDEN_AVX2
        if (b0 + 4 <= rows) {
            // Branch parts of unit k, row b0 + l at [4 k + l].
            alignas(32) std::array<double, 4 * unit_block> p_plus;
            alignas(32) std::array<double, 4 * unit_block> z_plus;
            alignas(32) std::array<double, 4 * unit_block> z_minus;
            for (int l = 0; l < 4; ++l) {
                const float* input = inputs.row(b0 + l).data() + first;
                const auto set = [&](int k, const DreluBranch& branch) {
                    const auto at = static_cast<std::size_t>(4 * k + l);
                    p_plus[at] = branch.p_plus;
                    z_plus[at] = branch.z_plus;
                    z_minus[at] = branch.z_minus;
                };
                const auto set_scalar = [&](int k) {
                    set(k, drelu_branch(table, constants[static_cast<std::size_t>(k)], input[k]));
                };
                int k = 0;
                DreluParts4 parts;
                for (; k + 4 <= count; k += 4) {
                    if (!drelu_parts4<false>(table, arrays, static_cast<std::size_t>(k),
                                             _mm256_cvtps_pd(_mm_loadu_ps(input + k)), parts)) {
                        for (int j = k; j < k + 4; ++j) set_scalar(j);
                        continue;
                    }
                    alignas(32) double lanes[3][4];
                    _mm256_store_pd(lanes[0], parts.p_plus);
                    _mm256_store_pd(lanes[1], parts.z_plus);
                    _mm256_store_pd(lanes[2], parts.z_minus);
                    for (int j = 0; j < 4; ++j) set(k + j, {lanes[0][j], lanes[1][j], lanes[2][j]});
                }
                for (; k < count; ++k) set_scalar(k);
            }
            RngLanes lanes;
            lanes.load(rngs + b0);
            const __m256i all = _mm256_set1_epi64x(-1);
            for (int k = 0; k < count; ++k) {
                const auto at = static_cast<std::size_t>(4 * k);
                const __m256d branch_uniform = _mm256_mul_pd(top53(lanes.next(all)), _mm256_set1_pd(0x1.0p-53));
                const __m256d plus = _mm256_cmp_pd(branch_uniform, _mm256_load_pd(&p_plus[at]), _CMP_LT_OQ);
                const __m256d z = _mm256_blendv_pd(_mm256_load_pd(&z_minus[at]), _mm256_load_pd(&z_plus[at]), plus);
                const __m256d v = sample_one_sided4(zig, z, lanes, rngs + b0);
                const Unit& unit = constants[static_cast<std::size_t>(k)];
                const __m256d scale = _mm256_blendv_pd(_mm256_set1_pd(-unit.s_minus), _mm256_set1_pd(unit.s_plus), plus);
                alignas(16) float h[4];
                _mm_store_ps(h, _mm256_cvtpd_ps(_mm256_mul_pd(scale, v)));
                for (int l = 0; l < 4; ++l) out(b0 + l, first + k) = h[l];
            }
            lanes.store(rngs + b0);
            return;
        }
#endif
        for (Eigen::Index b = b0; b < std::min(rows, b0 + 4); ++b) {
            const float* input = inputs.row(b).data() + first;
            float* h = out.row(b).data() + first;
            for (int k = 0; k < count; ++k)
                h[k] = static_cast<float>(sample_drelu(table, zig, constants[k], input[k], rngs[b]));
        }
    });
}

}  // namespace

HiddenMoments hidden_moments(const HiddenLayer& layer, int mu, double input) {
    const Unit unit = unit_constants(layer, mu);
    switch (layer.type) {
        case HiddenType::bernoulli: return bernoulli_moments(unit, input);
        case HiddenType::gaussian: return gaussian_moments(unit, input);
        case HiddenType::relu: return relu_moments<true, true>(special::detail::mills_table(), unit, input);
        case HiddenType::drelu: return drelu_moments<true, true>(special::detail::mills_table(), unit, input);
    }
    return {};
}

namespace {

double cgf(const HiddenLayer& layer, const Unit& unit, double input) {
    switch (layer.type) {
        case HiddenType::bernoulli: return softplus(input - unit.theta_plus);
        case HiddenType::gaussian: return gaussian_moments(unit, input).cgf;
        case HiddenType::relu:
            return special::detail::one_sided_log_integral(special::detail::mills_table(),
                                                           (input - unit.theta_plus) * unit.s_plus) +
                   unit.log_s_plus;
        case HiddenType::drelu: return drelu_cgf(special::detail::mills_table(), unit, input);
    }
    return 0;
}

}  // namespace

double hidden_cgf(const HiddenLayer& layer, int mu, double input) { return cgf(layer, unit_constants(layer, mu), input); }

namespace {

std::array<double, 4> cgf_gradient(const HiddenLayer& layer, const Unit& unit, double input) {
    switch (layer.type) {
        case HiddenType::bernoulli: return {0.0, -sigmoid(input - unit.theta_plus), 0.0, 0.0};
        case HiddenType::gaussian:
        case HiddenType::relu: {
            const HiddenMoments m = layer.type == HiddenType::gaussian
                                        ? gaussian_moments(unit, input)
                                        : relu_moments<false, true>(special::detail::mills_table(), unit, input);
            return {-0.5 * (m.variance + m.mean * m.mean), -m.mean, 0.0, 0.0};
        }
        case HiddenType::drelu: {
            const DreluParts p = drelu_parts<false, true>(special::detail::mills_table(), unit, input);
            return {-0.5 * p.p_plus * (p.var_plus + p.mean_plus * p.mean_plus), -p.p_plus * p.mean_plus,
                    -0.5 * p.p_minus * (p.var_minus + p.mean_minus * p.mean_minus), -p.p_minus * p.mean_minus};
        }
    }
    return {};
}

}  // namespace

std::array<double, 4> hidden_cgf_gradient(const HiddenLayer& layer, int mu, double input) {
    return cgf_gradient(layer, unit_constants(layer, mu), input);
}

HiddenRowKernel::HiddenRowKernel(const HiddenLayer& layer) : layer_(layer) {
    constants_.reserve(static_cast<std::size_t>(layer.units()));
    for (int mu = 0; mu < layer.units(); ++mu) constants_.push_back(unit_constants(layer, mu));
    unit_arrays_.resize(6 * constants_.size());
    fill_unit_arrays(constants_.data(), constants_.size(), unit_arrays_.data());
}

HiddenRowKernel::~HiddenRowKernel() = default;

double HiddenRowKernel::cgf_sum(const double* inputs) const {
    double total = 0;
    std::size_t mu = 0;
#if POTTSRBM_HIDDEN_AVX2
    if (layer_.type == HiddenType::drelu) {
        const auto& table = special::detail::mills_table();
        const UnitArrays arrays = unit_arrays(unit_arrays_.data(), constants_.size());
        alignas(32) double values[4];
        for (; mu + 4 <= constants_.size(); mu += 4) {
            __m256d cgf4;
            if (drelu_cgf4(table, arrays, mu, _mm256_loadu_pd(inputs + mu), cgf4)) {
                _mm256_store_pd(values, cgf4);
            } else {
                for (std::size_t l = 0; l < 4; ++l) values[l] = drelu_cgf(table, constants_[mu + l], inputs[mu + l]);
            }
            for (double value : values) total += value;  // unit order, as below
        }
    }
#endif
    for (; mu < constants_.size(); ++mu) total += cgf(layer_, constants_[mu], inputs[mu]);
    return total;
}

void HiddenRowKernel::gradient(const float* inputs, double weight, double* means, double* terms) const {
    const auto& table = special::detail::mills_table();
    const auto units = constants_.size();
    if (layer_.type == HiddenType::drelu) {
        std::size_t mu = 0;
#if POTTSRBM_HIDDEN_AVX2
        const UnitArrays arrays = unit_arrays(unit_arrays_.data(), constants_.size());
        const __m256d w = _mm256_set1_pd(weight);
        const __m256d minus_w = _mm256_set1_pd(-weight);
        const __m256d minus_half_w = _mm256_set1_pd(-0.5 * weight);
        DreluParts4 p;
        for (; mu + 4 <= units; mu += 4) {
            if (!drelu_parts4<true>(table, arrays, mu, _mm256_cvtps_pd(_mm_loadu_ps(inputs + mu)), p)) {
                for (std::size_t k = mu; k < mu + 4; ++k) drelu_gradient_scalar(table, k, inputs[k], weight, means, terms);
                continue;
            }
            const __m256d plus = _mm256_mul_pd(p.p_plus, p.mean_plus);
            const __m256d minus = _mm256_mul_pd(p.p_minus, p.mean_minus);
            const __m256d t0 = _mm256_mul_pd(_mm256_mul_pd(minus_half_w, p.p_plus),
                                             _mm256_fmadd_pd(p.mean_plus, p.mean_plus, p.var_plus));
            const __m256d t1 = _mm256_mul_pd(minus_w, plus);
            const __m256d t2 = _mm256_mul_pd(_mm256_mul_pd(minus_half_w, p.p_minus),
                                             _mm256_fmadd_pd(p.mean_minus, p.mean_minus, p.var_minus));
            const __m256d t3 = _mm256_mul_pd(minus_w, minus);
            _mm256_storeu_pd(means + mu, _mm256_mul_pd(w, _mm256_add_pd(plus, minus)));
            // 4 x 4 transpose: lane l of t0..t3 goes to terms[4 (mu + l) .. 4 (mu + l) + 3].
            const __m256d t01_low = _mm256_unpacklo_pd(t0, t1);
            const __m256d t01_high = _mm256_unpackhi_pd(t0, t1);
            const __m256d t23_low = _mm256_unpacklo_pd(t2, t3);
            const __m256d t23_high = _mm256_unpackhi_pd(t2, t3);
            double* out = terms + 4 * mu;
            _mm256_storeu_pd(out, _mm256_permute2f128_pd(t01_low, t23_low, 0x20));
            _mm256_storeu_pd(out + 4, _mm256_permute2f128_pd(t01_high, t23_high, 0x20));
            _mm256_storeu_pd(out + 8, _mm256_permute2f128_pd(t01_low, t23_low, 0x31));
            _mm256_storeu_pd(out + 12, _mm256_permute2f128_pd(t01_high, t23_high, 0x31));
        }
#endif
        for (; mu < units; ++mu) drelu_gradient_scalar(table, mu, inputs[mu], weight, means, terms);
        return;
    }
    for (std::size_t mu = 0; mu < units; ++mu) {
        const auto d = cgf_gradient(layer_, constants_[mu], static_cast<double>(inputs[mu]));
        for (std::size_t k = 0; k < 4; ++k) terms[4 * mu + k] = weight * d[k];
        // U is linear in theta_plus with coefficient h (theta_minus unused): E[h | I] = -dGamma/dtheta_plus.
        means[mu] = -weight * d[1];
    }
}

void HiddenRowKernel::drelu_gradient_scalar(const special::detail::MillsTable& table, std::size_t mu, float input,
                                            double weight, double* means, double* terms) const {
    const DreluParts p = drelu_parts<false, true>(table, constants_[mu], static_cast<double>(input));
    const double plus = p.p_plus * p.mean_plus;
    const double minus = p.p_minus * p.mean_minus;
    double* t = terms + 4 * mu;
    t[0] = -0.5 * weight * p.p_plus * (p.var_plus + p.mean_plus * p.mean_plus);
    t[1] = -weight * plus;
    t[2] = -0.5 * weight * p.p_minus * (p.var_minus + p.mean_minus * p.mean_minus);
    t[3] = -weight * minus;
    means[mu] = weight * (plus + minus);
}

double sample_hidden(const HiddenLayer& layer, int mu, double input, Rng& rng) {
    const Unit unit = unit_constants(layer, mu);
    const auto& zig = special::detail::ziggurat_table();
    switch (layer.type) {
        case HiddenType::bernoulli: return sample_bernoulli(unit, input, rng);
        case HiddenType::gaussian: return sample_gaussian(zig, unit, input, rng);
        case HiddenType::relu: return sample_relu(zig, unit, input, rng);
        case HiddenType::drelu: return sample_drelu(special::detail::mills_table(), zig, unit, input, rng);
    }
    return 0;
}

double hidden_potential(const HiddenLayer& layer, int mu, double h) {
    const auto i = static_cast<Eigen::Index>(mu);
    const double gamma_plus = layer.gamma_plus[i];
    const double theta_plus = layer.theta_plus[i];
    constexpr double infinity = std::numeric_limits<double>::infinity();
    switch (layer.type) {
        case HiddenType::bernoulli: return h == 0.0 ? 0.0 : (h == 1.0 ? theta_plus : infinity);
        case HiddenType::gaussian: return 0.5 * gamma_plus * h * h + theta_plus * h;
        case HiddenType::relu: return h < 0 ? infinity : 0.5 * gamma_plus * h * h + theta_plus * h;
        case HiddenType::drelu:
            if (h >= 0) return 0.5 * gamma_plus * h * h + theta_plus * h;
            return 0.5 * static_cast<double>(layer.gamma_minus[i]) * h * h +
                   static_cast<double>(layer.theta_minus[i]) * h;
    }
    return infinity;
}

void hidden_cgf(const HiddenLayer& layer, const Eigen::Ref<const RowMatrixXf>& inputs, Eigen::Ref<RowMatrixXd> out) {
    check_shapes("hidden_cgf", layer, inputs, out);
    const auto& table = special::detail::mills_table();
    switch (layer.type) {
        case HiddenType::bernoulli:
            for_each_element(layer, inputs, out, [](const Unit& u, double x, Eigen::Index) {
                return softplus(x - u.theta_plus);
            });
            break;
        case HiddenType::gaussian:
            for_each_element(layer, inputs, out,
                             [](const Unit& u, double x, Eigen::Index) { return gaussian_moments(u, x).cgf; });
            break;
        case HiddenType::relu:
            for_each_element(layer, inputs, out, [&table](const Unit& u, double x, Eigen::Index) {
                return special::detail::one_sided_log_integral(table, (x - u.theta_plus) * u.s_plus) + u.log_s_plus;
            });
            break;
        case HiddenType::drelu: drelu_cgf_rows(layer, inputs, out); break;
    }
}

void hidden_mean(const HiddenLayer& layer, const Eigen::Ref<const RowMatrixXf>& inputs, Eigen::Ref<RowMatrixXf> out) {
    check_shapes("hidden_mean", layer, inputs, out);
    const auto& table = special::detail::mills_table();
    switch (layer.type) {
        case HiddenType::bernoulli:
            for_each_element(layer, inputs, out,
                             [](const Unit& u, double x, Eigen::Index) { return sigmoid(x - u.theta_plus); });
            break;
        case HiddenType::gaussian:
            for_each_element(layer, inputs, out, [](const Unit& u, double x, Eigen::Index) {
                return (x - u.theta_plus) * u.inv_gamma_plus;
            });
            break;
        case HiddenType::relu:
            for_each_element(layer, inputs, out, [&table](const Unit& u, double x, Eigen::Index) {
                return relu_moments<false, false>(table, u, x).mean;
            });
            break;
        case HiddenType::drelu:
            for_each_element(layer, inputs, out, [&table](const Unit& u, double x, Eigen::Index) {
                return drelu_moments<false, false>(table, u, x).mean;
            });
            break;
    }
}

void sample_hidden(const HiddenLayer& layer, const Eigen::Ref<const RowMatrixXf>& inputs, Rng* rngs,
                   Eigen::Ref<RowMatrixXf> out) {
    check_shapes("sample_hidden", layer, inputs, out);
    const auto& zig = special::detail::ziggurat_table();
    switch (layer.type) {
        case HiddenType::bernoulli:
            for_each_element(layer, inputs, out, [rngs](const Unit& u, double x, Eigen::Index b) {
                return sample_bernoulli(u, x, rngs[b]);
            });
            break;
        case HiddenType::gaussian:
            for_each_element(layer, inputs, out, [rngs, &zig](const Unit& u, double x, Eigen::Index b) {
                return sample_gaussian(zig, u, x, rngs[b]);
            });
            break;
        case HiddenType::relu:
            for_each_element(layer, inputs, out, [rngs, &zig](const Unit& u, double x, Eigen::Index b) {
                return sample_relu(zig, u, x, rngs[b]);
            });
            break;
        case HiddenType::drelu:
            sample_drelu_rows(layer, inputs, rngs, out);
            break;
    }
}

}  // namespace pottsrbm::model
