// Tables and public entry points of the special functions (see special.hpp): the Mills-ratio
// interpolation tables, fitted once to long-double references, and the ziggurat layers.
#include "pottsrbm/model/special.hpp"

#include <cmath>
#include <numbers>

namespace pottsrbm::model::special {
namespace detail {
namespace {

struct Reference {
    long double mills, mean, variance;
};

/// M(a), mean(-a) and var(-a) in long double for a >= 0.
Reference reference(long double a) {
    if (a < 2) {
        // Direct form: the cancellation in lambda - a and 1 - lambda * mean costs < 10 ulp here.
        const long double mills = std::sqrt(std::numbers::pi_v<long double> / 2) *
                                  std::erfc(a / std::numbers::sqrt2_v<long double>) * std::exp(a * a / 2);
        const long double lambda = 1 / mills;
        const long double mean = lambda - a;
        return {mills, mean, 1 - lambda * mean};
    }
    // Laplace's continued fraction: M = 1/(a + r), r = 1/(a + q), q = 2/(a + 3/(a + ...)); the
    // truncation error is below 1e-18 with this many levels for a >= 2.
    const int levels = 20 + static_cast<int>(700 / (a * a));
    long double q = 0;
    for (int k = levels + 1; k >= 2; --k) q = k / (a + q);
    const long double aq = a + q;
    const long double r = 1 / aq;
    return {1 / (a + r), r, (q * aq - 1) * r * r};
}

MillsTable build_mills_table() {
    constexpr int n = MillsTable::degree + 1;
    // Power-basis coefficients of the Chebyshev polynomials T_0..T_degree.
    long double chebyshev[n][n] = {};
    chebyshev[0][0] = 1;
    chebyshev[1][1] = 1;
    for (int m = 2; m < n; ++m)
        for (int k = 0; k < n; ++k)
            chebyshev[m][k] = (k > 0 ? 2 * chebyshev[m - 1][k - 1] : 0) - chebyshev[m - 2][k];

    MillsTable table;
    for (int j = MillsTable::first; j < MillsTable::intervals; ++j) {
        long double values[3][n];
        long double nodes[n];
        for (int k = 0; k < n; ++k) {
            nodes[k] = std::cos(std::numbers::pi_v<long double> * (k + 0.5L) / n);
            const long double y = (j + 0.5L * (nodes[k] + 1)) / MillsTable::intervals;
            const long double a = MillsTable::scale * (1 - y) / y;
            const Reference ref = reference(a);
            values[0][k] = ref.mills;
            values[1][k] = ref.mean;
            values[2][k] = ref.variance;
        }
        for (int f = 0; f < 3; ++f) {
            long double power[n] = {};
            for (int m = 0; m < n; ++m) {
                long double c = 0;
                for (int k = 0; k < n; ++k)
                    c += values[f][k] * std::cos(std::numbers::pi_v<long double> * m * (k + 0.5L) / n);
                c *= (m == 0 ? 1.0L : 2.0L) / n;
                for (int k = 0; k < n; ++k) power[k] += c * chebyshev[m][k];
            }
            for (int k = 0; k < n; ++k)
                table.coefficients[static_cast<std::size_t>(j - MillsTable::first)][static_cast<std::size_t>(f)]
                                  [static_cast<std::size_t>(k)] = static_cast<double>(power[k]);
        }
    }
    return table;
}

ZigguratTable build_ziggurat_table() {
    ZigguratTable zig;
    constexpr int layers = ZigguratTable::layers;
    const double r = ZigguratTable::tail_start;
    double f = std::exp(-0.5 * r * r);
    // Common area of the layers: the base block [0, R] x [0, f(R)] plus the tail beyond R.
    const double area = r * f + std::sqrt(std::numbers::pi / 2) * std::erfc(r / std::numbers::sqrt2);
    zig.x[0] = area / f;
    zig.x[1] = r;
    for (int i = 2; i < layers; ++i) {
        zig.x[static_cast<std::size_t>(i)] = std::sqrt(-2.0 * std::log(area / zig.x[static_cast<std::size_t>(i - 1)] + f));
        f = std::exp(-0.5 * zig.x[static_cast<std::size_t>(i)] * zig.x[static_cast<std::size_t>(i)]);
    }
    zig.x[layers] = 0;
    for (std::size_t i = 0; i < static_cast<std::size_t>(layers); ++i) zig.ratio[i] = zig.x[i + 1] / zig.x[i];
    return zig;
}

}  // namespace

const MillsTable& mills_table() {
    static const MillsTable table = build_mills_table();
    return table;
}

const ZigguratTable& ziggurat_table() {
    static const ZigguratTable table = build_ziggurat_table();
    return table;
}

}  // namespace detail

double mills_ratio(double a) {
    const auto& table = detail::mills_table();
    if (a >= 0) return detail::mills_values<detail::want_mills>(table, a).mills;
    return detail::one_sided_integral(table, -a);
}

double log_mills_ratio(double a) { return detail::one_sided_log_integral(detail::mills_table(), -a); }

double erfcx(double x) {
    // erfcx(x) = sqrt(2/pi) M(sqrt(2) x); for x < 0, erfcx(x) = 2 exp(x^2) - erfcx(-x).
    constexpr double sqrt_2_over_pi = 0.797884560802865355879892119869;
    const auto& table = detail::mills_table();
    if (x >= 0) return sqrt_2_over_pi * detail::mills_values<detail::want_mills>(table, std::numbers::sqrt2 * x).mills;
    if (x < -26.7) return HUGE_VAL;
    const double hi = x * x;
    const double lo = std::fma(x, x, -hi);
    const double twice_exp_square = 2.0 * std::exp(hi) * (1.0 + lo);
    return twice_exp_square -
           sqrt_2_over_pi * detail::mills_values<detail::want_mills>(table, -std::numbers::sqrt2 * x).mills;
}

double log_erfc(double x) {
    if (x >= 0) return std::log(erfcx(x)) - x * x;
    // erfc(x) = 2 - erfc(-x), erfc(-x) <= 1.
    return std::numbers::ln2 + std::log1p(-0.5 * erfcx(-x) * std::exp(-x * x));
}

OneSidedMoments one_sided_moments(double z) {
    const auto& table = detail::mills_table();
    const auto moments = detail::one_sided_moments<true>(table, z);
    return {detail::one_sided_log_integral(table, z), moments.mean, moments.variance};
}

double sample_one_sided(double z, Rng& rng) { return detail::sample_one_sided(detail::ziggurat_table(), z, rng); }

double standard_normal(Rng& rng) { return detail::standard_normal(detail::ziggurat_table(), rng); }

}  // namespace pottsrbm::model::special
