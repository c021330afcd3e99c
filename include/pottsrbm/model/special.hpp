// Special functions behind the hidden-unit potentials (double precision throughout).
//
// Notation: phi and Phi are the standard normal density and CDF; M(a) = (1 - Phi(a)) / phi(a) is
// the Mills ratio. The one-sided Gaussian law with drift z is the density proportional to
// exp(-v^2/2 + z v) on v >= 0, i.e. N(z, 1) truncated to v >= 0. Its normalizer is
//   R(z) = int_0^inf exp(-v^2/2 + z v) dv = Phi(z) / phi(z) = M(-z),
// and with a = -z its mean and variance are
//   mean(z) = z + 1/R(z),   var(z) = 1 - (1/R(z)) mean(z),
// both of which cancel catastrophically for z -> -inf (mean ~ 1/a, var ~ 1/a^2): they are
// evaluated from their own tables and continued fraction there (see docs/hidden-units.md).
//
// Evaluation scheme for a >= 0: piecewise degree-7 polynomials in y = 4/(4+a) on 89 intervals of
// width 0.01 (a <= 32), fitted at first use to long-double references (erfc for a < 2, Laplace's
// continued fraction otherwise); Laplace's continued fraction with 12 terms for a > 32. Relative
// error about 1e-15 for M, mean and variance.
//
// Sampling: a ziggurat standard normal (Doornik 2005, 128 layers, exact), and an exact sampler of
// the one-sided law: normal proposals with rejection of v < 0 when the mode is inside or near the
// support (acceptance >= Phi(-0.6) = 0.27), Robert's (1995) exponential-proposal rejection in the
// tail (acceptance >= 0.84). Both have bounded expected iteration counts for every z.
#pragma once

#include "pottsrbm/core/rng.hpp"

#include <array>
#include <cmath>
#include <cstdint>

namespace pottsrbm::model::special {

inline constexpr double sqrt_2pi = 2.50662827463100050241576528481;
inline constexpr double inv_sqrt_2pi = 0.398942280401432677939946059934;
inline constexpr double half_log_2pi = 0.918938533204672741780329736406;

namespace detail {

/// Interpolation tables of M(a), mean(-a) and var(-a) for 0 <= a <= 32.
struct MillsTable {
    static constexpr int intervals = 100;  ///< in y = scale / (scale + a), y in (0, 1]
    static constexpr int first = 11;       ///< first interval used (y >= 0.11, a <= 32.36)
    static constexpr double scale = 4.0;
    static constexpr double table_limit = 32.0;  ///< continued fraction above
    static constexpr int degree = 7;
    /// coefficients[j - first][f][k]: function f (0 = M, 1 = mean, 2 = var), power t^k of the local
    /// variable t = 2 (intervals * y - j) - 1 in [-1, 1].
    std::array<std::array<std::array<double, degree + 1>, 3>, intervals - first> coefficients{};
};

/// The tables, built on first use (thread-safe).
const MillsTable& mills_table();

/// Layer boundaries of the 128-layer ziggurat for exp(-x^2/2).
struct ZigguratTable {
    static constexpr int layers = 128;
    static constexpr double tail_start = 3.442619855896652;  ///< R (closes the top layer exactly)
    std::array<double, layers + 1> x{};                   ///< x[0] = V / f(R), x[1] = R, x[layers] = 0
    std::array<double, layers> ratio{};                   ///< x[i+1] / x[i]
};

const ZigguratTable& ziggurat_table();

/// Laplace's continued fraction tail q(a) = 2/(a + 3/(a + 4/(a + ...))), `terms` levels.
inline double laplace_tail(double a, int terms) {
    double q = 0;
    for (int k = terms + 1; k >= 2; --k) q = k / (a + q);
    return q;
}

enum : unsigned { want_mills = 1, want_mean = 2, want_var = 4 };

struct MillsValues {
    double mills = 0;     ///< M(a)
    double mean = 0;      ///< mean of the one-sided law with z = -a
    double variance = 0;  ///< its variance
};

/// M(a), mean(-a), var(-a) for a >= 0 (the requested ones, by `Want` bit mask).
template <unsigned Want>
inline MillsValues mills_values(const MillsTable& table, double a) {
    MillsValues out;
    if (a <= MillsTable::table_limit) {
        const double y = MillsTable::scale / (MillsTable::scale + a);
        const double u = y * MillsTable::intervals;
        int j = static_cast<int>(u);
        if (j > MillsTable::intervals - 1) j = MillsTable::intervals - 1;
        const double t = 2.0 * (u - j) - 1.0;
        const auto& c = table.coefficients[static_cast<std::size_t>(j - MillsTable::first)];
        const auto horner = [t](const std::array<double, MillsTable::degree + 1>& p) {
            double s = p[MillsTable::degree];
            for (int k = MillsTable::degree - 1; k >= 0; --k) s = std::fma(s, t, p[static_cast<std::size_t>(k)]);
            return s;
        };
        if constexpr ((Want & want_mills) != 0) out.mills = horner(c[0]);
        if constexpr ((Want & want_mean) != 0) out.mean = horner(c[1]);
        if constexpr ((Want & want_var) != 0) out.variance = horner(c[2]);
        return out;
    }
    // M = 1/(a + r), r = 1/(a + q): r is the mean; the variance is 1 - (a + r) r = (q (a+q) - 1)/(a+q)^2.
    const double q = laplace_tail(a, 12);
    const double aq = a + q;
    const double r = 1.0 / aq;
    out.mills = 1.0 / (a + r);
    out.mean = r;
    out.variance = (q * aq - 1.0) * r * r;
    return out;
}

/// exp(z^2 / 2) without the rounding error of z^2 (two-product with FMA).
inline double exp_half_square(double z) {
    const double hi = z * z;
    const double lo = std::fma(z, z, -hi);
    return std::exp(0.5 * hi) * (1.0 + 0.5 * lo);
}

/// R(z) = Phi(z)/phi(z); +inf beyond z ~ 37.6.
inline double one_sided_integral(const MillsTable& table, double z) {
    if (z <= 0) return mills_values<want_mills>(table, -z).mills;
    if (z > 37.7) return HUGE_VAL;
    return sqrt_2pi * exp_half_square(z) - mills_values<want_mills>(table, z).mills;
}

/// log R(z) for every z.
inline double one_sided_log_integral(const MillsTable& table, double z) {
    if (z <= 0) return std::log(mills_values<want_mills>(table, -z).mills);
    const double density = inv_sqrt_2pi * std::exp(-0.5 * z * z);
    const double upper_tail = mills_values<want_mills>(table, z).mills * density;  // 1 - Phi(z)
    return 0.5 * z * z + half_log_2pi + std::log1p(-upper_tail);
}

/// Mean (and variance when `with_variance`) of the one-sided law with drift z.
template <bool WithVariance>
inline MillsValues one_sided_moments(const MillsTable& table, double z) {
    if (z <= 0) return mills_values<WithVariance ? (want_mean | want_var) : want_mean>(table, -z);
    // lambda = phi(z) / Phi(z) <= 0.80: no cancellation in z + lambda or in 1 - lambda (z + lambda).
    const double upper_tail_ratio = mills_values<want_mills>(table, z).mills;
    const double density = inv_sqrt_2pi * std::exp(-0.5 * z * z);
    const double lambda = density / (1.0 - upper_tail_ratio * density);
    MillsValues out;
    out.mean = z + lambda;
    if constexpr (WithVariance) out.variance = 1.0 - lambda * out.mean;
    return out;
}

/// A ziggurat word: the layer from its low 7 bits, u in [-1, 1) from its top 53.
struct ZigguratWord {
    std::size_t layer;
    double u;
};

inline ZigguratWord ziggurat_word(std::uint64_t bits) {
    return {static_cast<std::size_t>(bits & (ZigguratTable::layers - 1)),
            2.0 * (static_cast<double>(bits >> 11) * 0x1.0p-53) - 1.0};
}

/// The ziggurat's fast test on the 64-bit word `bits`: true, with the normal deviate in `out`,
/// for ~98.8% of the words.
inline bool ziggurat_fast(const ZigguratTable& zig, std::uint64_t bits, double& out) {
    const auto [layer, u] = ziggurat_word(bits);
    out = u * zig.x[layer];
    return std::fabs(u) < zig.ratio[layer];
}

/// The ziggurat's slow path for a word that failed the fast test: the tail beyond R (always a
/// deviate) or the wedge test (false when it rejects: the caller draws a new word).
inline bool ziggurat_slow(const ZigguratTable& zig, std::uint64_t bits, Rng& rng, double& out) {
    const auto [layer, u] = ziggurat_word(bits);
    if (layer == 0) {
        // Marsaglia's tail algorithm beyond R.
        double e = 0, y = 0;
        do {
            e = -std::log(rng.uniform_open()) / ZigguratTable::tail_start;
            y = -std::log(rng.uniform_open());
        } while (2.0 * y < e * e);
        out = u < 0 ? -(ZigguratTable::tail_start + e) : ZigguratTable::tail_start + e;
        return true;
    }
    const double x = u * zig.x[layer];
    const double f0 = std::exp(-0.5 * (zig.x[layer] * zig.x[layer] - x * x));
    const double f1 = std::exp(-0.5 * (zig.x[layer + 1] * zig.x[layer + 1] - x * x));
    out = x;
    return f1 + rng.uniform() * (f0 - f1) < 1.0;
}

/// Ziggurat standard normal (exact; one 64-bit draw in ~98.8% of the calls).
inline double standard_normal(const ZigguratTable& zig, Rng& rng) {
    for (;;) {
        const std::uint64_t bits = rng();
        double out = 0;
        if (ziggurat_fast(zig, bits, out) || ziggurat_slow(zig, bits, rng, out)) return out;
    }
}

/// Below this a = -z the one-sided sampler uses normal proposals, above Robert's exponential ones.
inline constexpr double normal_proposal_limit = 0.6;

/// Exact draw of v >= 0 from the one-sided law with drift z (NaN for a NaN drift).
inline double sample_one_sided(const ZigguratTable& zig, double z, Rng& rng) {
    if (std::isnan(z)) return z;  // would otherwise reject forever
    const double a = -z;
    if (a < normal_proposal_limit) {
        for (;;) {
            const double u = standard_normal(zig, rng);
            if (u >= a) return u - a;  // exact: u >= a implies fl(u - a) >= 0
        }
    }
    // Robert (1995): x = a + e, e ~ Exp(lambda), lambda = (a + sqrt(a^2 + 4))/2, accepted with
    // probability exp(-(x - lambda)^2 / 2). The excess e is the draw of v (no cancellation).
    const double root = a < 1e150 ? std::sqrt(a * a + 4.0) : a;
    const double lambda = 0.5 * (a + root);
    const double gap = 2.0 / (a + root);  // lambda - a
    for (;;) {
        const double e = -std::log(rng.uniform_open()) / lambda;
        const double d = e - gap;
        const double half_d2 = 0.5 * d * d;
        const double u = rng.uniform();
        if (u < 1.0 - half_d2 || u < std::exp(-half_d2)) return e;  // 1 - x <= exp(-x): cheap squeeze
    }
}

}  // namespace detail

/// Mills ratio M(a) = (1 - Phi(a)) / phi(a); overflows to +inf for a < -37.6.
[[nodiscard]] double mills_ratio(double a);
/// log M(a), finite for every finite a.
[[nodiscard]] double log_mills_ratio(double a);
/// Scaled complementary error function exp(x^2) erfc(x); overflows to +inf for x < -26.6.
[[nodiscard]] double erfcx(double x);
/// log(erfc(x)), finite for every finite x.
[[nodiscard]] double log_erfc(double x);

/// Normalizer, mean and variance of the one-sided law with drift z.
struct OneSidedMoments {
    double log_integral = 0;  ///< log R(z) = log int_0^inf exp(-v^2/2 + z v) dv
    double mean = 0;
    double variance = 0;
};
[[nodiscard]] OneSidedMoments one_sided_moments(double z);

/// Exact draw of v >= 0 with density proportional to exp(-v^2/2 + z v).
[[nodiscard]] double sample_one_sided(double z, Rng& rng);
/// Exact standard normal draw (ziggurat).
[[nodiscard]] double standard_normal(Rng& rng);

}  // namespace pottsrbm::model::special
