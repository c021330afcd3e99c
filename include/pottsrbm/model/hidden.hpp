// Hidden-unit potentials U_mu(h) of the Potts-RBM, their cumulant generating functions
//   Gamma(I) = log  int exp(-U(h) + h I) dh     (a sum over h in {0,1} for Bernoulli units),
// the conditional mean and variance of h given the input I (Gamma' and Gamma''), gradients of
// Gamma with respect to the unit parameters, and exact sampling of h given I.
//
// Parametrization (all four arrays have H entries; unused arrays are ignored by a type):
//   bernoulli: h in {0,1},      U(h) = theta_plus * h
//   gaussian:  h real,          U(h) = gamma_plus h^2/2 + theta_plus h          (gamma_plus > 0)
//   relu:      h >= 0,          U(h) = gamma_plus h^2/2 + theta_plus h          (gamma_plus > 0)
//   drelu:     h real,          U(h) = gamma_plus h+^2/2 + theta_plus h+ + gamma_minus h-^2/2 + theta_minus h-
//              with h+ = max(h,0) and h- = min(h,0) <= 0 (gamma_plus, gamma_minus > 0).
//              PGM (Tubiana et al. 2019) writes h- = max(-h,0) >= 0: its theta_minus is the
//              negative of ours, gammas are the same.
//
// Temperature: at inverse temperature beta the conditional law of h is that of a unit with all
// four parameters multiplied by beta and input beta*I; callers scale, these functions do not.
//
// Precision: parameters and inputs are float in the model; every function here computes in
// double and must stay finite and accurate (relative error ~1e-12 where representable) for
// |I| up to 1e4, using scaled erfc (erfcx) and log-sum-exp forms, never exp(I^2) directly.
#pragma once

#include "pottsrbm/core/rng.hpp"

#include <Eigen/Core>

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace pottsrbm::model {

enum class HiddenType { bernoulli, gaussian, relu, drelu };

/// "bernoulli", "gaussian", "relu", "drelu".
[[nodiscard]] std::string_view to_string(HiddenType type);
/// Parses a type name; throws UsageError naming `option` and the value when unknown.
[[nodiscard]] HiddenType parse_hidden_type(std::string_view name, std::string_view option = "--hidden");

/// Parameters of one layer of H hidden units (structure of arrays).
struct HiddenLayer {
    HiddenType type = HiddenType::drelu;
    Eigen::VectorXf gamma_plus;   ///< H
    Eigen::VectorXf theta_plus;   ///< H
    Eigen::VectorXf gamma_minus;  ///< H
    Eigen::VectorXf theta_minus;  ///< H

    /// A layer of `units` units with the documented default start: gamma = 1, theta = 0.
    static HiddenLayer make(HiddenType type, int units);
    [[nodiscard]] int units() const { return static_cast<int>(gamma_plus.size()); }
    /// Number of learnable parameters per unit for this type (1, 2, 2, 4).
    [[nodiscard]] int parameters_per_unit() const;
    /// Throws InputError naming the unit when a parameter is out of its domain or not finite.
    void validate() const;
    /// The layer at inverse temperature beta: all four parameter arrays times beta (in float).
    [[nodiscard]] HiddenLayer scaled(double beta) const;
};

/// Value and first two derivatives of Gamma_mu at input I.
struct HiddenMoments {
    double cgf = 0;       ///< Gamma(I)
    double mean = 0;      ///< E[h | I]   = Gamma'(I)
    double variance = 0;  ///< Var[h | I] = Gamma''(I)
};

/// Gamma, mean and variance of unit `mu` at input `input` (double precision).
[[nodiscard]] HiddenMoments hidden_moments(const HiddenLayer& layer, int mu, double input);

/// Gamma only (cheaper for free energies).
[[nodiscard]] double hidden_cgf(const HiddenLayer& layer, int mu, double input);

/// Gradient of Gamma_mu(I) with respect to the unit's parameters, in the order
/// (gamma_plus, theta_plus, gamma_minus, theta_minus); entries unused by the type are 0.
/// Equals -E[dU/dparam | I].
[[nodiscard]] std::array<double, 4> hidden_cgf_gradient(const HiddenLayer& layer, int mu, double input);

/// Exact draw of h_mu given input I (no rejection loop that can stall in the tails).
[[nodiscard]] double sample_hidden(const HiddenLayer& layer, int mu, double input, Rng& rng);

/// Potential U_mu(h) (infinite for h outside the support, e.g. h < 0 for ReLU).
[[nodiscard]] double hidden_potential(const HiddenLayer& layer, int mu, double h);

// Batched forms over a B x H matrix of inputs (row-major rows = configurations). Shapes of the
// outputs equal the shape of `inputs`. Parallel over rows; no allocation.
using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// out(b, mu) = Gamma_mu(inputs(b, mu)).
void hidden_cgf(const HiddenLayer& layer, const Eigen::Ref<const RowMatrixXf>& inputs, Eigen::Ref<RowMatrixXd> out);
/// out(b, mu) = E[h_mu | inputs(b, mu)] (float output: it feeds float kernels).
void hidden_mean(const HiddenLayer& layer, const Eigen::Ref<const RowMatrixXf>& inputs, Eigen::Ref<RowMatrixXf> out);
/// Samples h(b, mu) | inputs(b, mu), row b with rngs[b] (one stream per chain).
void sample_hidden(const HiddenLayer& layer, const Eigen::Ref<const RowMatrixXf>& inputs, Rng* rngs,
                   Eigen::Ref<RowMatrixXf> out);

namespace detail {
struct UnitConstants;
}
namespace special::detail {
struct MillsTable;
}

/// Row-wise kernels over all units of a layer, with the per-unit constants (1/sqrt(gamma), logs)
/// computed once, so that each call costs one evaluation per unit. The layer must outlive the
/// kernel and stay unchanged.
class HiddenRowKernel {
public:
    explicit HiddenRowKernel(const HiddenLayer& layer);
    ~HiddenRowKernel();
    HiddenRowKernel(const HiddenRowKernel&) = delete;
    HiddenRowKernel& operator=(const HiddenRowKernel&) = delete;

    /// sum_mu Gamma_mu(inputs[mu]) (H inputs).
    [[nodiscard]] double cgf_sum(const double* inputs) const;
    /// The hidden part of the log-probability gradient of one configuration with inputs I (H floats)
    /// and weight w: means[mu] = w E[h_mu | I_mu], terms[4 mu + k] = w dGamma_mu/dparam_k in the order
    /// of hidden_cgf_gradient.
    void gradient(const float* inputs, double weight, double* means, double* terms) const;

private:
    void drelu_gradient_scalar(const special::detail::MillsTable& table, std::size_t mu, float input, double weight,
                               double* means, double* terms) const;

    const HiddenLayer& layer_;
    std::vector<detail::UnitConstants> constants_;
    std::vector<double> unit_arrays_;  ///< the same constants as six arrays of H (vector loads)
};

}  // namespace pottsrbm::model
