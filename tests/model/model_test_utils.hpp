// Helpers shared by the Potts-RBM core tests: random tiny models from a fixed seed, the list of
// all q^N configurations, 1-D quadrature of a log-integrand, chi-square critical values.
#pragma once

#include "pottsrbm/core/rng.hpp"
#include "pottsrbm/model/exact.hpp"
#include "pottsrbm/model/rbm.hpp"

#include <boost/math/distributions/chi_squared.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

namespace pottsrbm::model::testing {

inline constexpr HiddenType all_hidden_types[] = {HiddenType::bernoulli, HiddenType::gaussian, HiddenType::relu,
                                                  HiddenType::drelu};

struct RandomModelOptions {
    double field_scale = 0.5;   ///< fields ~ N(0, field_scale^2)
    double weight_scale = 0.5;  ///< weights ~ N(0, weight_scale^2)
    double gamma_low = 0.5;     ///< gammas uniform in [gamma_low, gamma_high]
    double gamma_high = 2.0;
    double theta_scale = 0.5;   ///< thetas uniform in [-theta_scale, theta_scale]
    /// Round every parameter to a multiple of 2^-8, so that p +- 2^-10 is exact in float.
    bool dyadic = false;
};

/// A random model with every parameter (including the unused ones of the type) drawn from `seed`.
inline Rbm random_model(HiddenType type, int sites, int states, int units, std::uint64_t seed,
                        const RandomModelOptions& options = {}) {
    Rng rng(seed, 7);
    const auto round = [&](double x) {
        return static_cast<float>(options.dyadic ? std::round(x * 256.0) / 256.0 : x);
    };
    const auto uniform = [&](double low, double high) { return low + (high - low) * rng.uniform(); };
    Rbm rbm = Rbm::make(sites, states, units, type);
    for (int i = 0; i < sites; ++i)
        for (int a = 0; a < states; ++a) rbm.fields(i, a) = round(options.field_scale * rng.normal());
    for (Eigen::Index r = 0; r < rbm.weights.rows(); ++r)
        for (Eigen::Index mu = 0; mu < rbm.weights.cols(); ++mu)
            rbm.weights(r, mu) = round(options.weight_scale * rng.normal());
    for (int mu = 0; mu < units; ++mu) {
        rbm.hidden.gamma_plus[mu] = round(uniform(options.gamma_low, options.gamma_high));
        rbm.hidden.gamma_minus[mu] = round(uniform(options.gamma_low, options.gamma_high));
        rbm.hidden.theta_plus[mu] = round(uniform(-options.theta_scale, options.theta_scale));
        rbm.hidden.theta_minus[mu] = round(uniform(-options.theta_scale, options.theta_scale));
    }
    rbm.validate();
    return rbm;
}

/// All q^N configurations, row k = configuration of index k.
inline StateMatrix all_configurations(int sites, int states) {
    std::int64_t count = 1;
    for (int i = 0; i < sites; ++i) count *= states;
    StateMatrix all(count, sites);
    for (std::int64_t k = 0; k < count; ++k) configuration_from_index(k, sites, states, all.row(k).data());
    return all;
}

/// log int_lo^hi exp(phi(h)) dh by composite Simpson on `intervals` (even) pieces, with the
/// maximum of phi on the grid factored out. phi may return -inf.
inline double log_simpson(const std::function<double(double)>& phi, double lo, double hi, int intervals = 20000) {
    const double step = (hi - lo) / intervals;
    std::vector<double> values(static_cast<std::size_t>(intervals) + 1);
    double largest = -std::numeric_limits<double>::infinity();
    for (int k = 0; k <= intervals; ++k) {
        values[static_cast<std::size_t>(k)] = phi(lo + k * step);
        largest = std::max(largest, values[static_cast<std::size_t>(k)]);
    }
    if (!std::isfinite(largest)) return -std::numeric_limits<double>::infinity();
    double sum = 0;
    for (int k = 0; k <= intervals; ++k) {
        const double weight = (k == 0 || k == intervals) ? 1.0 : (k % 2 == 1 ? 4.0 : 2.0);
        sum += weight * std::exp(values[static_cast<std::size_t>(k)] - largest);
    }
    return largest + std::log(sum * step / 3.0);
}

/// log int exp(phi(h)) dh over the support of a hidden unit of `type` (a sum over {0,1} for
/// Bernoulli units); continuous integrals are split at the kink h = 0 and truncated at |h| = 40,
/// far in the Gaussian tails for gamma >= 0.5 and inputs of order 1.
inline double log_integral_over_h(HiddenType type, const std::function<double(double)>& phi) {
    if (type == HiddenType::bernoulli) {
        const double a = phi(0.0), b = phi(1.0);
        const double m = std::max(a, b);
        return m + std::log(std::exp(a - m) + std::exp(b - m));
    }
    const double positive = log_simpson(phi, 0.0, 40.0);
    if (type == HiddenType::relu) return positive;
    const double negative = log_simpson(phi, -40.0, 0.0);
    const double m = std::max(positive, negative);
    return m + std::log(std::exp(positive - m) + std::exp(negative - m));
}

/// Critical value of the chi-square distribution with `dof` degrees of freedom at level `p`.
inline double chi_square_critical(int dof, double p = 0.001) {
    return boost::math::quantile(boost::math::complement(boost::math::chi_squared(dof), p));
}

/// Pearson chi-square statistic of `counts` against probabilities `expected` (sum 1) for `total`
/// draws; cells with expected count < 5 are pooled into one cell. Returns {statistic, dof}.
inline std::pair<double, int> chi_square(const std::vector<double>& counts, const std::vector<double>& expected,
                                         double total) {
    double statistic = 0, pooled_count = 0, pooled_expected = 0;
    int cells = 0;
    for (std::size_t k = 0; k < counts.size(); ++k) {
        const double e = expected[k] * total;
        if (e < 5) {
            pooled_count += counts[k];
            pooled_expected += e;
            continue;
        }
        statistic += (counts[k] - e) * (counts[k] - e) / e;
        ++cells;
    }
    if (pooled_expected > 0) {
        statistic += (pooled_count - pooled_expected) * (pooled_count - pooled_expected) / std::max(pooled_expected, 1e-300);
        ++cells;
    }
    return {statistic, cells - 1};
}

/// A copy of `rbm` with every parameter multiplied by `beta` (P_beta of rbm = P_1 of the copy).
inline Rbm scaled_model(const Rbm& rbm, float beta) {
    Rbm scaled = rbm;
    scaled.fields *= beta;
    scaled.weights *= beta;
    scaled.hidden.gamma_plus *= beta;
    scaled.hidden.theta_plus *= beta;
    scaled.hidden.gamma_minus *= beta;
    scaled.hidden.theta_minus *= beta;
    return scaled;
}

}  // namespace pottsrbm::model::testing
