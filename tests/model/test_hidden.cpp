// Tests of the hidden-unit potentials (hidden.hpp) and their special functions (special.hpp).
//
// Oracle: the exact conditional law of h given I, p(h) ~ exp(-U(h) + h I), integrated numerically
// in long double (adaptive Gauss-Kronrod 7/15) piece by piece (h >= 0 and h <= 0 for dReLU). Each
// piece is shifted to its constrained mode h* and written in d = h - h*, where the exponent is
// f(h*) + f'(h*) d - gamma d^2 / 2 exactly, so that |I| = 1e4 with gamma = 2^-10 (modes ~ 1e7,
// log-normalizers ~ 5e10) integrates as accurately as I = 0; the range is cut where the exponent
// has dropped by 60 below its maximum. Parameters are dyadic (gamma = 2^-10 ~ 1e-3 and 2^10 ~ 1e3
// for the extremes) so that finite-difference steps are exact in float.
#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/rng.hpp"
#include "pottsrbm/core/threads.hpp"
#include "pottsrbm/model/hidden.hpp"
#include "pottsrbm/model/special.hpp"

#include <boost/math/distributions/chi_squared.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace pottsrbm;
using namespace pottsrbm::model;

namespace {

using real = long double;

// ---- Adaptive Gauss-Kronrod quadrature in long double -----------------------------------------

constexpr std::array<real, 8> kronrod_nodes = {
    0.991455371120812639206854697526329L, 0.949107912342758524526189684047851L, 0.864864423359769072789712788640926L,
    0.741531185599394439863864773280788L, 0.586087235467691130294144845693013L, 0.405845151377397166906606412076961L,
    0.207784955007898467600689403773245L, 0.0L};
constexpr std::array<real, 8> kronrod_weights = {
    0.022935322010529224963732008058970L, 0.063092092629978553290700663189204L, 0.104790010322250183839876322541518L,
    0.140653259715525918745189590510238L, 0.169004726639267902826583426598550L, 0.190350578064785409913256402421014L,
    0.204432940075298892414161999234649L, 0.209482141084727828012999174891714L};
constexpr std::array<real, 4> gauss_weights = {0.129484966168869693270611432679082L,
                                               0.279705391489276667901467771423780L,
                                               0.381830050505118944950369775488975L,
                                               0.417959183673469387755102040816327L};

struct Estimate {
    real kronrod;
    real error;
};

template <class F>
Estimate gauss_kronrod_15(const F& f, real a, real b) {
    const real center = (a + b) / 2, half = (b - a) / 2;
    const real fc = f(center);
    real kronrod = fc * kronrod_weights[7];
    real gauss = fc * gauss_weights[3];
    for (std::size_t k = 0; k < 7; ++k) {
        const real sum = f(center - half * kronrod_nodes[k]) + f(center + half * kronrod_nodes[k]);
        kronrod += kronrod_weights[k] * sum;
        if (k % 2 == 1) gauss += gauss_weights[k / 2] * sum;
    }
    return {kronrod * half, std::fabs((kronrod - gauss) * half)};
}

template <class F>
real adaptive(const F& f, real a, real b, real tolerance, int depth) {
    const Estimate whole = gauss_kronrod_15(f, a, b);
    if (whole.error <= tolerance || depth == 0) return whole.kronrod;
    const real middle = (a + b) / 2;
    return adaptive(f, a, middle, tolerance / 2, depth - 1) + adaptive(f, middle, b, tolerance / 2, depth - 1);
}

/// int_a^b f: 64 Gauss-Kronrod panels, each refined until |K15 - G7| < 1e-14 of the total (the
/// Kronrod result is then accurate to far better, ~|K15 - G7|^1.5 for smooth integrands).
template <class F>
real integrate(const F& f, real a, real b) {
    if (!(b > a)) return 0;
    constexpr int panels = 64;
    std::array<Estimate, panels> first{};
    real scale = 0;
    for (int k = 0; k < panels; ++k) {
        const real lo = a + (b - a) * k / panels, hi = a + (b - a) * (k + 1) / panels;
        first[static_cast<std::size_t>(k)] = gauss_kronrod_15(f, lo, hi);
        scale += std::fabs(first[static_cast<std::size_t>(k)].kronrod);
    }
    real total = 0;
    for (int k = 0; k < panels; ++k) {
        const real lo = a + (b - a) * k / panels, hi = a + (b - a) * (k + 1) / panels;
        const Estimate& e = first[static_cast<std::size_t>(k)];
        total += e.error <= 1e-14L * scale / panels ? e.kronrod : adaptive(f, lo, hi, 1e-14L * scale / panels, 12);
    }
    return total;
}

// ---- The exact conditional law of h given I ---------------------------------------------------

/// One concave piece of the log-density, f(h) = -gamma h^2/2 + x h on [support_lo, support_hi],
/// stored around its constrained mode: h = anchor + d, exponent = offset + slope d - gamma d^2/2.
struct Piece {
    real anchor = 0, slope = 0, gamma = 0, top = 0, offset = 0;
    real lo = 0, hi = 0;  ///< range of d
    [[nodiscard]] real exponent(real d) const { return offset + slope * d - gamma * d * d / 2; }
};

Piece make_piece(real gamma, real x, real support_lo, real support_hi) {
    constexpr real drop = 60;  // integrate where the exponent is within 60 of its maximum
    Piece piece;
    piece.gamma = gamma;
    piece.anchor = std::clamp(x / gamma, support_lo, support_hi);
    piece.slope = x - gamma * piece.anchor;
    piece.top = -gamma * piece.anchor * piece.anchor / 2 + x * piece.anchor;
    // Distance at which slope |d| + gamma d^2 / 2 reaches `drop`.
    const real s = std::fabs(piece.slope);
    const real reach = 2 * drop / (s + std::sqrt(s * s + 2 * gamma * drop));
    piece.hi = std::min(reach, support_hi - piece.anchor);
    piece.lo = -std::min(reach, piece.anchor - support_lo);
    return piece;
}

struct Law {
    bool bernoulli = false;
    real p_one = 0;             ///< Bernoulli: P(h = 1)
    real cgf = 0;               ///< Gamma(I)
    real mean = 0, variance = 0;
    std::array<real, 4> gradient{};  ///< -E[dU/dparam]
    std::vector<Piece> pieces;  ///< continuous types, in increasing h
    std::vector<real> masses;   ///< probability of each piece

    /// P(h <= t) for a continuous law.
    [[nodiscard]] real cdf(real t) const {
        real total = 0;
        for (std::size_t k = 0; k < pieces.size(); ++k) {
            const Piece& p = pieces[k];
            const real upper = std::min(t - p.anchor, p.hi);
            if (upper <= p.lo) continue;
            if (upper >= p.hi) {
                total += masses[k];
                continue;
            }
            total += integrate([&](real d) { return std::exp(p.exponent(d)); }, p.lo, upper) / norm;
        }
        return total;
    }
    real norm = 1;  ///< sum of the shifted piece integrals
};

Law exact_law(const HiddenLayer& layer, int mu, double input) {
    const real gp = layer.gamma_plus[mu], tp = layer.theta_plus[mu];
    const real gm = layer.gamma_minus[mu], tm = layer.theta_minus[mu];
    const real in = input;
    constexpr real inf = std::numeric_limits<real>::infinity();
    Law law;
    if (layer.type == HiddenType::bernoulli) {
        const real x = in - tp;
        law.bernoulli = true;
        law.cgf = x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
        law.p_one = 1 / (1 + std::exp(-x));
        law.mean = law.p_one;
        law.variance = law.p_one / (1 + std::exp(x));  // p (1 - p) without cancellation
        law.gradient = {0, -law.p_one, 0, 0};
        return law;
    }
    switch (layer.type) {
        case HiddenType::gaussian: law.pieces = {make_piece(gp, in - tp, -inf, inf)}; break;
        case HiddenType::relu: law.pieces = {make_piece(gp, in - tp, 0, inf)}; break;
        default: law.pieces = {make_piece(gm, in - tm, -inf, 0), make_piece(gp, in - tp, 0, inf)}; break;
    }
    real shift = -inf;
    for (const Piece& p : law.pieces) shift = std::max(shift, p.top);
    for (Piece& p : law.pieces) p.offset = p.top - shift;

    std::vector<real> z, first, second;  // per piece: int e^E, int h e^E, int h^2 e^E
    for (const Piece& p : law.pieces) {
        const real z0 = integrate([&](real d) { return std::exp(p.exponent(d)); }, p.lo, p.hi);
        const real z1 = integrate([&](real d) { return d * std::exp(p.exponent(d)); }, p.lo, p.hi);
        const real z2 = integrate([&](real d) { return d * d * std::exp(p.exponent(d)); }, p.lo, p.hi);
        z.push_back(z0);
        first.push_back(p.anchor * z0 + z1);
        second.push_back(p.anchor * p.anchor * z0 + 2 * p.anchor * z1 + z2);
    }
    law.norm = 0;
    for (real v : z) law.norm += v;
    law.cgf = shift + std::log(law.norm);
    law.mean = 0;
    for (real v : first) law.mean += v / law.norm;
    law.variance = 0;
    for (const Piece& p : law.pieces) {
        const real c = p.anchor - law.mean;
        law.variance += integrate([&](real d) { return (c + d) * (c + d) * std::exp(p.exponent(d)); }, p.lo, p.hi) /
                        law.norm;
    }
    for (real v : z) law.masses.push_back(v / law.norm);
    const std::size_t plus = law.pieces.size() - 1;
    law.gradient = {-second[plus] / law.norm / 2, -first[plus] / law.norm, 0, 0};
    if (layer.type == HiddenType::drelu) {
        law.gradient[2] = -second[0] / law.norm / 2;
        law.gradient[3] = -first[0] / law.norm;
    }
    return law;
}

// ---- Test cases -------------------------------------------------------------------------------

struct UnitParameters {
    float gamma_plus, theta_plus, gamma_minus, theta_minus;
};

HiddenLayer one_unit(HiddenType type, const UnitParameters& u) {
    HiddenLayer layer = HiddenLayer::make(type, 1);
    layer.gamma_plus[0] = u.gamma_plus;
    layer.theta_plus[0] = u.theta_plus;
    layer.gamma_minus[0] = u.gamma_minus;
    layer.theta_minus[0] = u.theta_minus;
    layer.validate();
    return layer;
}

constexpr float tiny_gamma = 0x1.0p-10f;  // ~1e-3
constexpr float huge_gamma = 0x1.0p10f;   // ~1e3

std::vector<UnitParameters> parameter_sets(HiddenType type) {
    switch (type) {
        case HiddenType::bernoulli: return {{1, 0, 1, 0}, {1, 2.5f, 1, 0}, {1, -40, 1, 0}};
        case HiddenType::gaussian:
        case HiddenType::relu:
            return {{1, 0, 1, 0}, {tiny_gamma, 3.5f, 1, 0}, {huge_gamma, -50, 1, 0}, {0.25f, 50, 1, 0},
                    {huge_gamma, 50, 1, 0}};
        case HiddenType::drelu:
            return {{1, 0, 1, 0},
                    {tiny_gamma, 50, huge_gamma, -50},
                    {huge_gamma, -50, tiny_gamma, 50},
                    {2, -4, 0.5f, 4},
                    {0.25f, 1.5f, 4, -2.5f},
                    {tiny_gamma, -50, tiny_gamma, 50},
                    {huge_gamma, 0.75f, huge_gamma, -0.75f}};
    }
    return {};
}

const std::vector<double> test_inputs = {0.0,   0.37,   -0.37, 3.0,   -3.0,  30.0,   -30.0,
                                         250.5, -250.5, 1e3,   -1e3,  1e4,   -1e4};

std::string describe(HiddenType type, const UnitParameters& u, double input) {
    return std::string(to_string(type)) + " gamma+=" + std::to_string(u.gamma_plus) +
           " theta+=" + std::to_string(u.theta_plus) + " gamma-=" + std::to_string(u.gamma_minus) +
           " theta-=" + std::to_string(u.theta_minus) + " I=" + std::to_string(input);
}

constexpr HiddenType all_types[] = {HiddenType::bernoulli, HiddenType::gaussian, HiddenType::relu, HiddenType::drelu};

/// Derivative of g at x by the 5-point central stencil (error O(step^4)).
template <class G>
double derivative(const G& g, double x, double step) {
    return (8 * (g(x + step) - g(x - step)) - (g(x + 2 * step) - g(x - 2 * step))) / (12 * step);
}

/// Largest power of two <= x.
double power_of_two_below(double x) { return std::exp2(std::floor(std::log2(x))); }

}  // namespace

TEST_CASE("the Gauss-Kronrod oracle integrates known functions to long-double accuracy", "[hidden][oracle]") {
    const real e_minus_1 = integrate([](real x) { return std::exp(x); }, 0, 1);
    CHECK(std::fabs(e_minus_1 - (std::exp(1.0L) - 1)) < 1e-17L);
    const real gauss = integrate([](real x) { return std::exp(-x * x / 2); }, -12, 12);
    CHECK(std::fabs(gauss / std::sqrt(2 * std::acos(-1.0L)) - 1) < 1e-17L);
    // The one-sided law with drift z = -1: R(-1) = M(1) = (1 - Phi(1)) / phi(1).
    const real r = integrate([](real v) { return std::exp(-v * v / 2 - v); }, 0, 40);
    const real m1 = std::erfc(1 / std::sqrt(2.0L)) / 2 * std::sqrt(2 * std::acos(-1.0L)) * std::exp(0.5L);
    CHECK(std::fabs(r / m1 - 1) < 1e-17L);
}

TEST_CASE("special functions agree with long-double references", "[hidden][special]") {
    double worst_erfcx = 0, worst_mills = 0, worst_log_erfc = 0;
    for (double x = -26.5; x <= 26.5; x += 0.01237) {
        const real xl = x;
        const real erfcx_ref = std::erfc(xl) * std::exp(xl * xl);
        worst_erfcx = std::max(worst_erfcx, static_cast<double>(std::fabs(special::erfcx(x) / erfcx_ref - 1)));
        const real mills_ref = std::erfc(xl / std::sqrt(2.0L)) / 2 * std::sqrt(2 * std::acos(-1.0L)) * std::exp(xl * xl / 2);
        worst_mills = std::max(worst_mills, static_cast<double>(std::fabs(special::mills_ratio(x) / mills_ref - 1)));
        const real log_ref = std::log(std::erfc(xl));
        worst_log_erfc = std::max(worst_log_erfc,
                                  static_cast<double>(std::fabs(special::log_erfc(x) - log_ref) / std::max(1.0L, std::fabs(log_ref))));
    }
    // Beyond x = 26.5 erfcx follows its asymptotic series (error far below 1e-16 there).
    for (double x = 26.5; x < 1e7; x *= 1.37) {
        const real u = 1 / (2.0L * x * x);
        real term = 1, sum = 1;
        for (int n = 1; n < 12; ++n) {
            term *= -(2 * n - 1) * u;
            sum += term;
        }
        const real ref = sum / (x * std::sqrt(std::acos(-1.0L)));
        worst_erfcx = std::max(worst_erfcx, static_cast<double>(std::fabs(special::erfcx(x) / ref - 1)));
        const real log_ref = std::log(ref) - static_cast<real>(x) * x;
        worst_log_erfc = std::max(worst_log_erfc, static_cast<double>(std::fabs(special::log_erfc(x) / log_ref - 1)));
    }
    INFO("worst relative errors: erfcx " << worst_erfcx << ", Mills ratio " << worst_mills << ", log erfc "
                                         << worst_log_erfc);
    CHECK(worst_erfcx < 1e-14);
    CHECK(worst_mills < 1e-14);
    CHECK(worst_log_erfc < 1e-14);
    CHECK(std::isinf(special::erfcx(-27.0)));
    CHECK(std::isfinite(special::log_mills_ratio(-1e5)));
    CHECK(special::log_mills_ratio(-1e5) == Approx(0.5e10 + 0.5 * std::log(2 * M_PI)).epsilon(1e-15));
    // M(a) = (1 - 1/a^2 + 3/a^4 - ...) / a
    CHECK(special::log_mills_ratio(1e5) == Approx(-std::log(1e5) + std::log1p(-1e-10 + 3e-20)).epsilon(1e-15));
}

TEST_CASE("one-sided moments agree with quadrature across the whole drift range", "[hidden][special]") {
    // Dense grid across the table intervals, the table/continued-fraction switch (a = 32) and the
    // sign change of z.
    std::vector<double> drifts;
    for (double z = -40; z <= 8; z += 0.173) drifts.push_back(z);
    for (double a : {1e-8, 31.99, 32.0, 32.01, 32.4, 100.0, 1e3, 3.2e5}) drifts.push_back(-a);
    for (double z : drifts) {
        const real zl = z;
        const Piece p = make_piece(1, zl, 0, std::numeric_limits<real>::infinity());
        const real z0 = integrate([&](real d) { return std::exp(p.exponent(d)); }, p.lo, p.hi);
        const real mean = (p.anchor * z0 + integrate([&](real d) { return d * std::exp(p.exponent(d)); }, p.lo, p.hi)) / z0;
        const real c = p.anchor - mean;
        const real var = integrate([&](real d) { return (c + d) * (c + d) * std::exp(p.exponent(d)); }, p.lo, p.hi) / z0;
        const auto m = special::one_sided_moments(z);
        INFO("z = " << z);
        CHECK(std::fabs(m.log_integral - (p.top + std::log(z0))) <= 1e-13 * std::max(1.0L, std::fabs(p.top + std::log(z0))));
        CHECK(std::fabs(m.mean / mean - 1) < 1e-13);
        CHECK(std::fabs(m.variance / var - 1) < 1e-12);
    }
}

TEST_CASE("cgf, mean and variance agree with quadrature of the exact law", "[hidden][moments]") {
    for (HiddenType type : all_types) {
        for (const UnitParameters& u : parameter_sets(type)) {
            const HiddenLayer layer = one_unit(type, u);
            for (double input : test_inputs) {
                const Law law = exact_law(layer, 0, input);
                const HiddenMoments m = hidden_moments(layer, 0, input);
                const double sd = std::sqrt(static_cast<double>(law.variance));
                INFO(describe(type, u, input) << ": cgf " << m.cgf << " vs " << static_cast<double>(law.cgf) << ", mean "
                                              << m.mean << " vs " << static_cast<double>(law.mean) << ", variance "
                                              << m.variance << " vs " << static_cast<double>(law.variance));
                // Required: 1e-10 (observed: below 1e-13 for Gamma and the mean, 1e-12 for the variance).
                // Gamma is a log-normalizer: relative error of the normalizer, or of Gamma when |Gamma| > 1.
                CHECK(std::fabs(m.cgf - law.cgf) <= 1e-10L * std::max(1.0L, std::fabs(law.cgf)));
                CHECK(hidden_cgf(layer, 0, input) == m.cgf);
                // The mean of a dReLU unit is a difference of the branch means: error relative to |mean| + sd.
                // (1e-300: Bernoulli moments below the normal double range, e.g. e^-1000, underflow.)
                CHECK(std::fabs(m.mean - law.mean) <= 1e-10L * (std::fabs(law.mean) + sd) + 1e-300L);
                CHECK(std::fabs(m.variance - law.variance) <= 1e-10L * law.variance + 1e-300L);
                CHECK((type == HiddenType::bernoulli ? m.variance >= 0 : m.variance > 0));
            }
        }
    }
}

TEST_CASE("the mean is the derivative of the cgf and the variance that of the mean", "[hidden][moments]") {
    for (HiddenType type : all_types) {
        for (const UnitParameters& u : parameter_sets(type)) {
            const HiddenLayer layer = one_unit(type, u);
            for (double input : test_inputs) {
                const HiddenMoments m = hidden_moments(layer, 0, input);
                const double sd = std::sqrt(m.variance);
                // Step 1e-2 / sd: the cumulants of the continuous laws scale as sd^n, so the O(step^4)
                // error is ~1e-9 relative; Bernoulli cumulants are all O(p (1 - p)) on the scale 1 of I.
                const double step = type == HiddenType::bernoulli ? 1e-2 : 1e-2 / sd;
                const double d_cgf = derivative([&](double x) { return hidden_cgf(layer, 0, x); }, input, step);
                const double d_mean = derivative([&](double x) { return hidden_moments(layer, 0, x).mean; }, input, step);
                INFO(describe(type, u, input) << ": mean " << m.mean << " vs dGamma/dI " << d_cgf << ", variance "
                                              << m.variance << " vs dmean/dI " << d_mean);
                // Rounding of Gamma (eps |Gamma|) divided by the step adds eps |Gamma| sd / 1e-2.
                const double rounding = 1e-15 * std::fabs(m.cgf) / step;
                CHECK(std::fabs(d_cgf - m.mean) <= 1e-7 * (std::fabs(m.mean) + sd) + rounding);
                CHECK(std::fabs(d_mean - m.variance) <= 1e-6 * m.variance + 1e-15 * std::fabs(m.mean) / step);
            }
        }
    }
}

TEST_CASE("cgf gradients equal -E[dU/dparam] and finite differences", "[hidden][gradient]") {
    int difference_checks = 0, unresolved = 0;
    for (HiddenType type : all_types) {
        for (const UnitParameters& u : parameter_sets(type)) {
            HiddenLayer layer = one_unit(type, u);
            for (double input : test_inputs) {
                const Law law = exact_law(layer, 0, input);
                const auto gradient = hidden_cgf_gradient(layer, 0, input);
                const double sd = std::sqrt(static_cast<double>(law.variance));
                for (std::size_t k = 0; k < 4; ++k) {
                    INFO(describe(type, u, input) << ": parameter " << k << " gradient " << gradient[k] << " vs "
                                                  << static_cast<double>(law.gradient[k]));
                    const real scale = std::fabs(law.gradient[k]) + (k % 2 == 1 ? sd : sd * (std::fabs(law.mean) + sd));
                    CHECK(std::fabs(gradient[k] - law.gradient[k]) <= 1e-10L * scale + 1e-300L);
                }
                // Central differences in the float parameters, with dyadic steps so that p +- step is exact.
                Eigen::VectorXf* parameters[4] = {&layer.gamma_plus, &layer.theta_plus, &layer.gamma_minus,
                                                  &layer.theta_minus};
                for (std::size_t k = 0; k < 4; ++k) {
                    const bool used = type == HiddenType::drelu || k == 1 || (k == 0 && type != HiddenType::bernoulli);
                    if (!used) {
                        CHECK(gradient[k] == 0);
                        continue;
                    }
                    float& p = (*parameters[k])[0];
                    const float original = p;
                    // Length on which Gamma varies with the parameter (the O(step^4) error of the
                    // stencil is ~(1e-2)^4 of the derivative): theta moves the law by ~ its sd (1 for
                    // Bernoulli units); Gamma is smooth in log gamma, except that in a dReLU mixture
                    // gamma+ also moves the branch log-odds, at the rate E[h^2 | h > 0] / 2.
                    const double magnitude = std::fabs(static_cast<double>(original));
                    double natural = type == HiddenType::bernoulli ? 1.0 : k % 2 == 1 ? 1 / sd : magnitude;
                    if (type == HiddenType::drelu && k % 2 == 0 && law.masses[0] > 1e-30L && law.masses[1] > 1e-30L) {
                        const std::size_t branch = k == 0 ? 1 : 0;  // pieces: 0 = h <= 0, 1 = h >= 0
                        const real second = -2 * law.gradient[k] / law.masses[branch];  // E[h^2 | branch]
                        const real balance = std::sqrt(law.masses[0] * law.masses[1]);
                        natural = std::min(natural, static_cast<double>(2 / (balance * second)));
                    }
                    // Steps below 2^-16 |p| are not resolved by float parameters (p +- 2 step must be
                    // exact): such cases are left to the quadrature check above (e.g. modes at +-5e4
                    // where 1/sd ~ 2e-5).
                    const double step_wanted = 1e-2 * natural;
                    ++difference_checks;
                    if (step_wanted < std::ldexp(magnitude, -16)) {
                        ++unresolved;
                        continue;
                    }
                    const double step = power_of_two_below(step_wanted);
                    const auto cgf_at = [&](double value) {
                        p = static_cast<float>(value);
                        return hidden_cgf(layer, 0, input);
                    };
                    const double fd = derivative(cgf_at, original, step);
                    p = original;
                    const double rounding = 1e-15 * std::fabs(hidden_cgf(layer, 0, input)) / step;
                    INFO(describe(type, u, input) << ": parameter " << k << " gradient " << gradient[k]
                                                  << " vs finite difference " << fd << " (step " << step << ")");
                    const double scale = k % 2 == 1 ? sd : sd * (std::fabs(static_cast<double>(law.mean)) + sd);
                    CHECK(std::fabs(fd - gradient[k]) <= 1e-6 * (std::fabs(gradient[k]) + scale) + rounding);
                }
            }
        }
    }
    INFO(unresolved << " of " << difference_checks << " finite differences below the float resolution");
    CHECK(unresolved * 10 < difference_checks);
}

namespace {

/// Upper-tail probability of Pearson's statistic for `counts` against `probabilities`.
double chi_square_p_value(const std::vector<long>& counts, const std::vector<double>& probabilities, long draws) {
    double statistic = 0;
    for (std::size_t k = 0; k < counts.size(); ++k) {
        const double expected = probabilities[k] * static_cast<double>(draws);
        statistic += (static_cast<double>(counts[k]) - expected) * (static_cast<double>(counts[k]) - expected) / expected;
    }
    const boost::math::chi_squared law(static_cast<double>(counts.size() - 1));
    return boost::math::cdf(boost::math::complement(law, statistic));
}

/// Bin edges at the quantiles k / bins of a continuous law (bisection on the exact CDF).
std::vector<double> quantile_edges(const Law& law, int bins) {
    const real lowest = law.pieces.front().anchor + law.pieces.front().lo;
    const real highest = law.pieces.back().anchor + law.pieces.back().hi;
    std::vector<double> edges;
    for (int k = 1; k < bins; ++k) {
        const real target = static_cast<real>(k) / bins;
        real lo = lowest, hi = highest;
        for (int iteration = 0; iteration < 64; ++iteration) {
            const real middle = (lo + hi) / 2;
            (law.cdf(middle) < target ? lo : hi) = middle;
        }
        edges.push_back(static_cast<double>((lo + hi) / 2));
    }
    return edges;
}

struct SamplerCase {
    HiddenType type;
    UnitParameters unit;
    double input;
};

}  // namespace

TEST_CASE("samplers follow the exact conditional law (chi-square, p > 0.001)", "[hidden][sampling]") {
    const std::vector<SamplerCase> cases = {
        {HiddenType::gaussian, {1, 0.5f, 1, 0}, 0.3},
        {HiddenType::gaussian, {tiny_gamma, 3.5f, 1, 0}, 1e4},
        {HiddenType::relu, {1, 0, 1, 0}, 30},     // I - theta = +30: a shifted normal
        {HiddenType::relu, {1, 0, 1, 0}, -30},    // I - theta = -30: far tail, mass within ~1/30 of 0
        {HiddenType::relu, {1, 0, 1, 0}, 0},
        {HiddenType::relu, {1, 0, 1, 0}, -0.5},   // last normal-proposal drift
        {HiddenType::relu, {1, 0, 1, 0}, -0.7},   // first exponential-proposal drift
        {HiddenType::relu, {1, -1, 1, 0}, 1.5},
        {HiddenType::relu, {tiny_gamma, 0, 1, 0}, -1e4},  // z = -3.2e5
        {HiddenType::relu, {huge_gamma, 0, 1, 0}, -3},
        {HiddenType::relu, {huge_gamma, -50, 1, 0}, 1e3},
        {HiddenType::drelu, {1, 0, 1, 0}, 0},         // two half-normals, equal weights
        {HiddenType::drelu, {1, -4, 1, 4}, 0},        // bimodal, equal weights
        {HiddenType::drelu, {1, 0, 4, 0}, 0},         // p+ = 2/3, different widths
        {HiddenType::drelu, {0.25f, 1.5f, 4, -2.5f}, 0},
        {HiddenType::drelu, {2, -4, 0.5f, 4}, -3},
        {HiddenType::drelu, {huge_gamma, 0.75f, huge_gamma, -0.75f}, 0.25},
        {HiddenType::drelu, {tiny_gamma, 50, huge_gamma, -50}, 1e3},
        {HiddenType::drelu, {tiny_gamma, 50, huge_gamma, -50}, -1e3},
        {HiddenType::drelu, {tiny_gamma, -50, tiny_gamma, 50}, -1e4},
    };
    constexpr int bins = 20;
    constexpr long draws = 100000;
    std::uint64_t stream = 0;
    for (const SamplerCase& c : cases) {
        const HiddenLayer layer = one_unit(c.type, c.unit);
        const Law law = exact_law(layer, 0, c.input);
        const std::vector<double> edges = quantile_edges(law, bins);
        std::vector<long> counts(bins, 0);
        Rng rng(20240611, stream++);
        bool finite = true, in_support = true;
        for (long n = 0; n < draws; ++n) {
            const double h = sample_hidden(layer, 0, c.input, rng);
            finite = finite && std::isfinite(h);
            in_support = in_support && (c.type != HiddenType::relu || h >= 0);
            ++counts[static_cast<std::size_t>(std::lower_bound(edges.begin(), edges.end(), h) - edges.begin())];
        }
        const double p = chi_square_p_value(counts, std::vector<double>(bins, 1.0 / bins), draws);
        INFO(describe(c.type, c.unit, c.input) << ": chi-square p-value " << p);
        CHECK(finite);
        CHECK(in_support);
        CHECK(p > 0.001);
    }
}

TEST_CASE("Bernoulli units are sampled with probability sigmoid(I - theta)", "[hidden][sampling]") {
    const HiddenLayer layer = one_unit(HiddenType::bernoulli, {1, 0.3f, 1, 0});
    for (double input : {1.0, -2.0, 40.0}) {
        const double p_one = 1 / (1 + std::exp(-(input - 0.3)));
        Rng rng(99, 1);
        constexpr long draws = 100000;
        std::vector<long> counts(2, 0);
        bool binary = true;
        for (long n = 0; n < draws; ++n) {
            const double h = sample_hidden(layer, 0, input, rng);
            binary = binary && (h == 0.0 || h == 1.0);
            ++counts[h == 1.0 ? 1 : 0];
        }
        CHECK(binary);
        if (p_one < 1 - 1e-9) {
            CHECK(chi_square_p_value(counts, {1 - p_one, p_one}, draws) > 0.001);
        } else {
            CHECK(counts[0] == 0);
        }
    }
}

TEST_CASE("samplers return finite values in the support for extreme inputs and parameters", "[hidden][sampling]") {
    std::vector<double> inputs = {0.0};
    for (double e = -3; e <= 4.001; e += 0.25) {
        inputs.push_back(std::pow(10.0, e));
        inputs.push_back(-std::pow(10.0, e));
    }
    Rng rng(5, 5);
    for (HiddenType type : all_types) {
        for (const UnitParameters& u : parameter_sets(type)) {
            const HiddenLayer layer = one_unit(type, u);
            for (double input : inputs) {
                bool ok = true;
                for (int n = 0; n < 200; ++n) {
                    const double h = sample_hidden(layer, 0, input, rng);
                    ok = ok && std::isfinite(h) && (type != HiddenType::relu || h >= 0) &&
                         (type != HiddenType::bernoulli || h == 0.0 || h == 1.0);
                }
                const HiddenMoments m = hidden_moments(layer, 0, input);
                const auto g = hidden_cgf_gradient(layer, 0, input);
                INFO(describe(type, u, input));
                CHECK(ok);
                CHECK((std::isfinite(m.cgf) && std::isfinite(m.mean) && std::isfinite(m.variance)));
                CHECK((type == HiddenType::bernoulli ? m.variance >= 0 : m.variance > 0));
                CHECK(std::all_of(g.begin(), g.end(), [](double v) { return std::isfinite(v); }));
            }
        }
    }
}

TEST_CASE("a NaN input gives a NaN draw instead of an endless rejection loop", "[hidden][sampling]") {
    Rng rng(1, 2);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (HiddenType type : {HiddenType::gaussian, HiddenType::relu, HiddenType::drelu})
        CHECK(std::isnan(sample_hidden(HiddenLayer::make(type, 1), 0, nan, rng)));
    CHECK(std::isnan(special::sample_one_sided(nan, rng)));
}

TEST_CASE("the ziggurat standard normal follows N(0, 1)", "[hidden][special][sampling]") {
    std::vector<double> edges;
    for (int k = 1; k < 50; ++k) {
        const double target = k / 50.0;
        double lo = -10, hi = 10;
        for (int iteration = 0; iteration < 80; ++iteration) {
            const double middle = (lo + hi) / 2;
            (0.5 * std::erfc(-middle / std::sqrt(2.0)) < target ? lo : hi) = middle;
        }
        edges.push_back((lo + hi) / 2);
    }
    // Edges at the ziggurat's tail start and deep in the tails.
    for (double e : {special::detail::ZigguratTable::tail_start, 4.0, 5.0}) {
        edges.push_back(e);
        edges.push_back(-e);
    }
    std::sort(edges.begin(), edges.end());
    std::vector<double> probabilities;
    double previous = 0;
    for (double e : edges) {
        const double cdf = 0.5 * std::erfc(-e / std::sqrt(2.0));
        probabilities.push_back(cdf - previous);
        previous = cdf;
    }
    probabilities.push_back(1 - previous);
    constexpr long draws = 2000000;
    std::vector<long> counts(probabilities.size(), 0);
    Rng rng(31337, 0);
    double sum = 0, sum_squares = 0;
    for (long n = 0; n < draws; ++n) {
        const double x = special::standard_normal(rng);
        sum += x;
        sum_squares += x * x;
        ++counts[static_cast<std::size_t>(std::lower_bound(edges.begin(), edges.end(), x) - edges.begin())];
    }
    CHECK(chi_square_p_value(counts, probabilities, draws) > 0.001);
    // Mean and variance within 3.3 standard errors (two-sided p ~ 0.001).
    CHECK(std::fabs(sum / draws) < 3.3 / std::sqrt(static_cast<double>(draws)));
    CHECK(std::fabs(sum_squares / draws - 1) < 3.3 * std::sqrt(2.0 / draws));
    // The top of the ziggurat closes at f(0) = 1 (consistent layer areas).
    const auto& zig = special::detail::ziggurat_table();
    const double top = zig.x[zig.layers - 1];
    const double area = zig.x[0] * std::exp(-0.5 * zig.tail_start * zig.tail_start);
    CHECK(top * (1 - std::exp(-0.5 * top * top)) == Approx(area).epsilon(1e-12));
}

TEST_CASE("the one-sided sampler follows its law on both sides of the proposal switch", "[hidden][special][sampling]") {
    for (double z : {2.0, 0.0, -special::detail::normal_proposal_limit + 1e-9, -special::detail::normal_proposal_limit,
                     -5.0, -300.0}) {
        const Piece p = make_piece(1, z, 0, std::numeric_limits<real>::infinity());
        Law law;
        law.pieces = {p};
        law.pieces[0].offset = 0;
        law.norm = integrate([&](real d) { return std::exp(law.pieces[0].exponent(d)); }, p.lo, p.hi);
        law.masses = {1};
        constexpr int bins = 20;
        const auto edges = quantile_edges(law, bins);
        constexpr long draws = 100000;
        std::vector<long> counts(bins, 0);
        Rng rng(77, static_cast<std::uint64_t>(std::fabs(z) * 1000));
        bool support = true;
        for (long n = 0; n < draws; ++n) {
            const double v = special::sample_one_sided(z, rng);
            support = support && v >= 0 && std::isfinite(v);
            ++counts[static_cast<std::size_t>(std::lower_bound(edges.begin(), edges.end(), v) - edges.begin())];
        }
        INFO("z = " << z);
        CHECK(support);
        CHECK(chi_square_p_value(counts, std::vector<double>(bins, 1.0 / bins), draws) > 0.001);
    }
}

TEST_CASE("hidden potentials follow the documented parametrization", "[hidden]") {
    constexpr double inf = std::numeric_limits<double>::infinity();
    const HiddenLayer bernoulli = one_unit(HiddenType::bernoulli, {1, 2.5f, 1, 0});
    CHECK(hidden_potential(bernoulli, 0, 0.0) == 0);
    CHECK(hidden_potential(bernoulli, 0, 1.0) == 2.5);
    CHECK(hidden_potential(bernoulli, 0, 0.5) == inf);
    const HiddenLayer gaussian = one_unit(HiddenType::gaussian, {2, -1, 1, 0});
    CHECK(hidden_potential(gaussian, 0, 3.0) == 6.0);
    CHECK(hidden_potential(gaussian, 0, -2.0) == 6.0);
    const HiddenLayer relu = one_unit(HiddenType::relu, {2, -1, 1, 0});
    CHECK(hidden_potential(relu, 0, 3.0) == 6.0);
    CHECK(hidden_potential(relu, 0, -1e-9) == inf);
    CHECK(hidden_potential(relu, 0, 0.0) == 0.0);
    const HiddenLayer drelu = one_unit(HiddenType::drelu, {2, 1, 0.5f, 3});
    CHECK(hidden_potential(drelu, 0, 2.0) == 6.0);    // 2 * 4 / 2 + 1 * 2
    CHECK(hidden_potential(drelu, 0, -2.0) == -5.0);  // 0.5 * 4 / 2 + 3 * (-2)
    // Gamma(I) = log int exp(-U(h) + h I) dh with U from hidden_potential.
    for (double input : {-1.3, 0.0, 2.2}) {
        const auto integrand = [&](real h) { return std::exp(-hidden_potential(drelu, 0, static_cast<double>(h)) + h * input); };
        const real z = integrate(integrand, -40, 0) + integrate(integrand, 0, 40);
        CHECK(std::fabs(hidden_cgf(drelu, 0, input) - std::log(z)) < 1e-12);
    }
}

TEST_CASE("batched functions equal the scalar ones and do not depend on the thread count", "[hidden][batched]") {
    constexpr int rows = 41, units = 300;  // 300 units: several blocks of precomputed constants
    Rng rng(8, 8);
    RowMatrixXf inputs(rows, units);
    for (Eigen::Index i = 0; i < inputs.size(); ++i) {
        const double u = rng.uniform();
        inputs.data()[i] = static_cast<float>(u < 0.9 ? 5 * rng.normal() : (u < 0.95 ? 1e3 : 1e4) * rng.normal());
    }
    const int saved_threads = pottsrbm::threads();
    for (HiddenType type : all_types) {
        HiddenLayer layer = HiddenLayer::make(type, units);
        for (int mu = 0; mu < units; ++mu) {
            layer.gamma_plus[mu] = static_cast<float>(std::exp2(-10 + 20 * rng.uniform()));
            layer.gamma_minus[mu] = static_cast<float>(std::exp2(-10 + 20 * rng.uniform()));
            layer.theta_plus[mu] = static_cast<float>(-50 + 100 * rng.uniform());
            layer.theta_minus[mu] = static_cast<float>(-50 + 100 * rng.uniform());
        }
        INFO(to_string(type));
        RowMatrixXd cgf[2];
        RowMatrixXf mean[2], samples[2];
        for (int t = 0; t < 2; ++t) {
            pottsrbm::set_threads(t + 1);
            cgf[t].resize(rows, units);
            mean[t].resize(rows, units);
            samples[t].resize(rows, units);
            std::vector<Rng> rngs;
            for (int b = 0; b < rows; ++b) rngs.emplace_back(123, static_cast<std::uint64_t>(b));
            hidden_cgf(layer, inputs, cgf[t]);
            hidden_mean(layer, inputs, mean[t]);
            sample_hidden(layer, inputs, rngs.data(), samples[t]);
        }
        pottsrbm::set_threads(saved_threads);
        CHECK(cgf[0] == cgf[1]);
        CHECK(mean[0] == mean[1]);
        CHECK(samples[0] == samples[1]);

        bool cgf_equal = true, mean_equal = true, samples_equal = true;
        for (int b = 0; b < rows; ++b) {
            Rng stream(123, static_cast<std::uint64_t>(b));
            for (int mu = 0; mu < units; ++mu) {
                const double input = inputs(b, mu);
                // The dReLU batch evaluates exp and log in vector lanes: equal up to a few ulp.
                const double expected_cgf = hidden_cgf(layer, mu, input);
                cgf_equal = cgf_equal && std::fabs(expected_cgf - cgf[0](b, mu)) <= 1e-14 * (1 + std::fabs(expected_cgf));
                const double m = hidden_moments(layer, mu, input).mean;
                mean_equal = mean_equal && std::fabs(mean[0](b, mu) - m) <= 0x1.0p-23 * std::fabs(m) + 1e-37;
                samples_equal = samples_equal && static_cast<float>(sample_hidden(layer, mu, input, stream)) ==
                                                     samples[0](b, mu);
            }
        }
        CHECK(cgf_equal);
        CHECK(mean_equal);
        CHECK(samples_equal);
        CHECK(samples[0].allFinite());
        CHECK(mean[0].allFinite());
        CHECK(cgf[0].allFinite());
    }
}

TEST_CASE("batched functions check the shapes of their arguments", "[hidden][batched]") {
    const HiddenLayer layer = HiddenLayer::make(HiddenType::drelu, 4);
    RowMatrixXf inputs = RowMatrixXf::Zero(3, 4);
    RowMatrixXf wrong_out(3, 5);
    RowMatrixXd wrong_cgf(2, 4);
    RowMatrixXf wrong_inputs = RowMatrixXf::Zero(3, 5);
    CHECK_THROWS_AS(hidden_mean(layer, inputs, wrong_out), RuntimeFailure);
    CHECK_THROWS_AS(hidden_cgf(layer, inputs, wrong_cgf), RuntimeFailure);
    std::vector<Rng> rngs(3);
    CHECK_THROWS_AS(sample_hidden(layer, wrong_inputs, rngs.data(), wrong_out), RuntimeFailure);
}

TEST_CASE("the row kernel's cgf sum and gradient equal the scalar functions for every unit", "[hidden][batched]") {
    // 203 units: vector groups of four plus a scalar remainder; inputs mostly in the range where the
    // four-lane dReLU code applies, some far outside (scalar fallback within a group).
    constexpr int units = 203;
    Rng rng(21, 4);
    for (HiddenType type : all_types) {
        HiddenLayer layer = HiddenLayer::make(type, units);
        for (int mu = 0; mu < units; ++mu) {
            layer.gamma_plus[mu] = static_cast<float>(std::exp2(-4 + 8 * rng.uniform()));
            layer.gamma_minus[mu] = static_cast<float>(std::exp2(-4 + 8 * rng.uniform()));
            layer.theta_plus[mu] = static_cast<float>(-5 + 10 * rng.uniform());
            layer.theta_minus[mu] = static_cast<float>(-5 + 10 * rng.uniform());
        }
        const HiddenRowKernel kernel(layer);
        INFO(to_string(type));
        double worst = 0;
        for (int row = 0; row < 50; ++row) {
            std::vector<float> inputs(units);
            for (auto& x : inputs) {
                const double u = rng.uniform();
                x = static_cast<float>(u < 0.97 ? 4 * rng.normal() : 200 * rng.normal());
            }
            const double weight = 0.25 + rng.uniform();
            std::vector<double> means(units), terms(4 * units);
            kernel.gradient(inputs.data(), weight, means.data(), terms.data());
            const std::vector<double> inputs_double(inputs.begin(), inputs.end());
            double cgf_sum = 0, cgf_scale = 0;
            for (int mu = 0; mu < units; ++mu) {
                const double cgf = hidden_cgf(layer, mu, inputs_double[static_cast<std::size_t>(mu)]);
                cgf_sum += cgf;
                cgf_scale += std::fabs(cgf);
            }
            worst = std::max(worst, std::fabs(kernel.cgf_sum(inputs_double.data()) - cgf_sum) / cgf_scale);
            for (int mu = 0; mu < units; ++mu) {
                const auto expected = hidden_cgf_gradient(layer, mu, inputs[static_cast<std::size_t>(mu)]);
                const double mean = hidden_moments(layer, mu, inputs[static_cast<std::size_t>(mu)]).mean;
                const auto relative = [](double got, double want) {
                    return std::fabs(got - want) / std::max(std::fabs(want), 1e-300);
                };
                // The mean is t1 + t3 with terms of opposite signs: its error is relative to their size.
                const double mean_scale = weight * (std::fabs(expected[1]) + std::fabs(expected[3]));
                worst = std::max(worst, std::fabs(means[static_cast<std::size_t>(mu)] - weight * mean) /
                                            std::max(mean_scale, 1e-300));
                for (std::size_t k = 0; k < 4; ++k)
                    if (expected[k] != 0.0)
                        worst = std::max(worst, relative(terms[4 * static_cast<std::size_t>(mu) + k], weight * expected[k]));
            }
        }
        INFO("worst relative error " << std::scientific << worst);
        CHECK(worst < 1e-13);
    }
}

TEST_CASE("dReLU draws in vector lanes equal the scalar draws at typical training parameters", "[hidden][batched]") {
    // Moderate curvatures, thresholds and inputs: most groups of units take the vector branch
    // parts and most groups of rows the lane sampler, with both proposal kinds and, over 80,000
    // draws, the ziggurat's slow path (~1% of the normal proposals). 203 units: a scalar tail of
    // branch parts in each row; 403 rows: a last partial group; a few NaN and infinite inputs.
    constexpr int rows = 403, units = 203;
    Rng rng(31, 4);
    HiddenLayer layer = HiddenLayer::make(HiddenType::drelu, units);
    for (int mu = 0; mu < units; ++mu) {
        layer.gamma_plus[mu] = static_cast<float>(0.5 + 1.5 * rng.uniform());
        layer.gamma_minus[mu] = static_cast<float>(0.5 + 1.5 * rng.uniform());
        layer.theta_plus[mu] = static_cast<float>(-2 + 4 * rng.uniform());
        layer.theta_minus[mu] = static_cast<float>(-2 + 4 * rng.uniform());
    }
    RowMatrixXf inputs(rows, units);
    for (Eigen::Index i = 0; i < inputs.size(); ++i) inputs.data()[i] = static_cast<float>(3 * rng.normal());
    inputs(5, 17) = std::numeric_limits<float>::quiet_NaN();
    inputs(9, 40) = std::numeric_limits<float>::infinity();
    inputs(13, 41) = -std::numeric_limits<float>::infinity();
    RowMatrixXf samples(rows, units);
    std::vector<Rng> rngs;
    for (int b = 0; b < rows; ++b) rngs.emplace_back(77, static_cast<std::uint64_t>(b));
    sample_hidden(layer, inputs, rngs.data(), samples);
    long long mismatches = 0, positive = 0;
    for (int b = 0; b < rows; ++b) {
        Rng stream(77, static_cast<std::uint64_t>(b));
        for (int mu = 0; mu < units; ++mu) {
            const auto expected = static_cast<float>(sample_hidden(layer, mu, inputs(b, mu), stream));
            const bool both_nan = std::isnan(expected) && std::isnan(samples(b, mu));
            mismatches += expected != samples(b, mu) && !both_nan;
            positive += samples(b, mu) > 0;
        }
        // The streams end where the scalar draws leave them.
        CHECK(stream.state() == rngs[static_cast<std::size_t>(b)].state());
    }
    CHECK(mismatches == 0);
    CHECK(std::isnan(samples(5, 17)));
    CHECK(samples(9, 40) == std::numeric_limits<float>::infinity());
    CHECK(positive > rows * units / 10);
    CHECK(positive < rows * units * 9 / 10);
}
