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

inline double sample_drelu(const MillsTable& table, const ZigguratTable& zig, const Unit& unit, double input,
                           Rng& rng) {
    using special::detail::one_sided_integral;
    using special::detail::one_sided_log_integral;
    const double z_plus = (input - unit.theta_plus) * unit.s_plus;
    const double z_minus = (unit.theta_minus - input) * unit.s_minus;
    double p_plus = 0;
    if (z_plus <= ratio_limit && z_minus <= ratio_limit) {
        const double weight_plus = unit.s_plus * one_sided_integral(table, z_plus);
        const double weight_minus = unit.s_minus * one_sided_integral(table, z_minus);
        p_plus = weight_plus / (weight_plus + weight_minus);
    } else {
        const double log_plus = one_sided_log_integral(table, z_plus) + unit.log_s_plus;
        const double log_minus = one_sided_log_integral(table, z_minus) + unit.log_s_minus;
        p_plus = 1.0 / (1.0 + std::exp(log_minus - log_plus));
    }
    if (rng.uniform() < p_plus) return unit.s_plus * special::detail::sample_one_sided(zig, z_plus, rng);
    return -unit.s_minus * special::detail::sample_one_sided(zig, z_minus, rng);
}

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
}

HiddenRowKernel::~HiddenRowKernel() = default;

double HiddenRowKernel::cgf_sum(const double* inputs) const {
    double total = 0;
    for (std::size_t mu = 0; mu < constants_.size(); ++mu) total += cgf(layer_, constants_[mu], inputs[mu]);
    return total;
}

void HiddenRowKernel::gradient(const float* inputs, double weight, double* means, double* terms) const {
    const auto& table = special::detail::mills_table();
    const auto units = constants_.size();
    if (layer_.type == HiddenType::drelu) {
        for (std::size_t mu = 0; mu < units; ++mu) {
            const DreluParts p = drelu_parts<false, true>(table, constants_[mu], static_cast<double>(inputs[mu]));
            const double plus = p.p_plus * p.mean_plus;
            const double minus = p.p_minus * p.mean_minus;
            double* t = terms + 4 * mu;
            t[0] = -0.5 * weight * p.p_plus * (p.var_plus + p.mean_plus * p.mean_plus);
            t[1] = -weight * plus;
            t[2] = -0.5 * weight * p.p_minus * (p.var_minus + p.mean_minus * p.mean_minus);
            t[3] = -weight * minus;
            means[mu] = weight * (plus + minus);
        }
        return;
    }
    for (std::size_t mu = 0; mu < units; ++mu) {
        const auto d = cgf_gradient(layer_, constants_[mu], static_cast<double>(inputs[mu]));
        for (std::size_t k = 0; k < 4; ++k) terms[4 * mu + k] = weight * d[k];
        // U is linear in theta_plus with coefficient h (theta_minus unused): E[h | I] = -dGamma/dtheta_plus.
        means[mu] = -weight * d[1];
    }
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
        case HiddenType::drelu:
            for_each_element(layer, inputs, out,
                             [&table](const Unit& u, double x, Eigen::Index) { return drelu_cgf(table, u, x); });
            break;
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
    const auto& table = special::detail::mills_table();
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
            for_each_element(layer, inputs, out, [rngs, &table, &zig](const Unit& u, double x, Eigen::Index b) {
                return sample_drelu(table, zig, u, x, rngs[b]);
            });
            break;
    }
}

}  // namespace pottsrbm::model
