// The Potts-RBM: N Potts visible sites with q states, H hidden units.
//   E(v,h) = - sum_i g_i(v_i) - sum_{i,mu} W_{i mu}(v_i) h_mu + sum_mu U_mu(h_mu)
//   F(v)   = - sum_i g_i(v_i) - sum_mu Gamma_mu(I_mu(v)),   I_mu(v) = sum_i W_{i mu}(v_i)
//   P(v)   = exp(-F(v)) / Z
//
// Shapes and layouts (float parameters):
//   fields   N x q          fields(i, a) = g_i(a)
//   weights  (N*q) x H      row-major; row i*q + a holds W_{i .}(a) for all mu, so that
//                           I(v) = sum_i weights.row(i*q + v_i) is a gather of N contiguous rows.
//   sequences (B x N uint8 states, row-major) are the visible configurations.
#pragma once

#include "pottsrbm/core/rng.hpp"
#include "pottsrbm/model/hidden.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace pottsrbm::model {

using StateMatrix = Eigen::Matrix<std::uint8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using FieldMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Where a model came from (stored in the model file, printed in output headers).
struct Provenance {
    std::string version;       ///< pottsrbm version and git revision that wrote it
    std::string command_line;  ///< command that trained it
    std::uint64_t seed = 0;
    std::string training_data;  ///< alignment file name
    double effective_sequences = 0;  ///< M_eff of the training data
    std::string created;        ///< ISO 8601 time
};

struct Rbm {
    int sites = 0;   ///< N
    int states = 0;  ///< q
    FieldMatrix fields;   ///< N x q
    RowMatrixXf weights;  ///< (N*q) x H
    HiddenLayer hidden;   ///< H units
    std::vector<int> columns;  ///< N original 0-based alignment columns (identity when unknown)
    Provenance provenance;
    double log_z = 0;          ///< AIS estimate of log Z, when has_log_z
    double log_z_error = 0;    ///< its standard error
    bool has_log_z = false;

    /// A model with zero fields and weights, default hidden units, columns 0..N-1.
    static Rbm make(int sites, int states, int hidden_units, HiddenType type);
    [[nodiscard]] int units() const { return static_cast<int>(weights.cols()); }
    /// Throws InputError naming the field when shapes disagree or a value is not finite.
    void validate() const;
};

/// inputs(b, mu) = I_mu(sequences.row(b)) by gathering rows of the weight matrix.
/// inputs must be B x H; sequences B x N. Parallel over rows.
void hidden_inputs(const Rbm& rbm, const Eigen::Ref<const StateMatrix>& sequences, Eigen::Ref<RowMatrixXf> inputs);
/// One row of hidden_inputs without checks: out[mu] = I_mu(v) for the N states at `sequence`
/// (each < q), H floats. For kernels that checked the shapes once.
void hidden_inputs_row(const Rbm& rbm, const std::uint8_t* sequence, float* out);

/// Free energy F(v) (double) of each row of `sequences`; out has B entries.
void free_energy(const Rbm& rbm, const Eigen::Ref<const StateMatrix>& sequences, Eigen::Ref<Eigen::VectorXd> out);
[[nodiscard]] double free_energy(const Rbm& rbm, const std::uint8_t* sequence);

/// Joint energy E(v, h) of one configuration (h has H entries).
[[nodiscard]] double joint_energy(const Rbm& rbm, const std::uint8_t* sequence, const Eigen::Ref<const Eigen::VectorXd>& h);

/// Gradient of sum_b w_b * (-F(v_b)) with respect to every parameter (the weighted average of
/// -dF/dtheta when the weights sum to 1). Shapes equal the model's.
struct Gradient {
    FieldMatrix fields;                  ///< N x q
    RowMatrixXf weights;                 ///< (N*q) x H
    Eigen::Matrix<double, Eigen::Dynamic, 4> hidden;  ///< H x 4 (gamma+, theta+, gamma-, theta-)
    /// Resizes to the shapes of `rbm` and sets every entry to zero.
    void resize_like(const Rbm& rbm);
    void set_zero();
};
/// Accumulates into `gradient` (does not zero it). weights: B entries.
void accumulate_log_prob_gradient(const Rbm& rbm, const Eigen::Ref<const StateMatrix>& sequences,
                                  const Eigen::Ref<const Eigen::VectorXd>& sample_weights, Gradient& gradient);
/// The same with the hidden inputs I(v_b) of the sequences given (B x H, as hidden_inputs computes
/// them, e.g. ChainBatch::inputs after gibbs_sweeps) instead of gathered again.
void accumulate_log_prob_gradient(const Rbm& rbm, const Eigen::Ref<const StateMatrix>& sequences,
                                  const Eigen::Ref<const Eigen::VectorXd>& sample_weights,
                                  const Eigen::Ref<const RowMatrixXf>& inputs, Gradient& gradient);
/// One set of weighted sequences for the multi-term overload (the references must outlive the call).
struct GradientTerm {
    const StateMatrix* sequences = nullptr;  ///< B x N
    const Eigen::VectorXd* weights = nullptr;  ///< B
    const RowMatrixXf* inputs = nullptr;       ///< B x H hidden inputs, or null to gather them
};
/// Several terms (at most 8; e.g. the data with positive and the chains with negative weights) in
/// one pass: the same result, bit for bit, as one call per term in the same order, with one
/// parallel region instead of one per term. `overwrite`: set the gradient (resized to the model)
/// instead of adding to it, as after set_zero() but zeroing each site's rows on the thread that
/// scatters into them.
void accumulate_log_prob_gradient(const Rbm& rbm, std::span<const GradientTerm> terms, Gradient& gradient,
                                  bool overwrite = false);

/// Zero-sum gauge: W_{i mu}(.) -> W_{i mu}(.) - mean_a W_{i mu}(a), shifting the hidden inputs by
/// a constant -c_mu per unit (c_mu = sum_i mean_a W_{i mu}(a)); the hidden potentials absorb it,
/// U_mu(h) -> U_mu(h) - c_mu h (theta_plus -= c_mu, and theta_minus -= c_mu for dReLU), so that
/// P(v) is unchanged. Fields are also centered per site (constant shift of F).
void apply_zero_sum_gauge(Rbm& rbm);

/// Scale gauge of the hidden units: h_mu -> h_mu / s_mu, i.e. W_{. mu} -> s_mu W_{. mu},
/// gamma_mu -> s_mu^2 gamma_mu, theta_mu -> s_mu theta_mu (both branches for dReLU). P(v) is
/// unchanged and F(v) shifts by the constant +sum_mu log s_mu. Continuous units only (UsageError
/// for Bernoulli units, whose scale is fixed by h in {0, 1}); scale: H entries > 0.
void rescale_hidden_units(Rbm& rbm, const Eigen::Ref<const Eigen::VectorXf>& scale);

}  // namespace pottsrbm::model
