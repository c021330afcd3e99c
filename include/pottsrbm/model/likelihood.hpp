// Likelihood estimators of a Potts-RBM: exact pseudo-log-likelihood, and annealed importance
// sampling (AIS) of log Z from the independent-site model to the full model, so that
// log P(v) = -F(v) - log Z can be reported with an error bar.
//
// AIS path (documented in docs/estimators.md): for beta_k from 0 to 1, the intermediate RBM has
// fields (1 - beta) g0 + beta g, weights beta W and the model's hidden potentials; g0 are the
// fields of the independent-site base model (given, typically the data's log-frequencies), whose
// log Z0 = sum_i logsumexp_a g0_i(a) + sum_mu Gamma_mu(0) is exact. Each chain accumulates
// log w = sum_k [F_{beta_k}(v_k) - F_{beta_{k+1}}(v_k)] and moves by one Gibbs sweep at beta_{k+1};
// log Z = log Z0 + log mean_c exp(log w_c) (log-mean-exp, never the mean of log-weights).
#pragma once

#include "pottsrbm/model/rbm.hpp"

#include <Eigen/Core>

#include <cstdint>

namespace pottsrbm::model {

/// Exact pseudo-log-likelihood per site: out(b) = (1/N) sum_i log P(v_i = v_bi | v_b,-i).
/// Costs N*q hidden-input updates per sequence (inputs updated incrementally). Parallel over rows.
void pseudo_log_likelihood(const Rbm& rbm, const Eigen::Ref<const StateMatrix>& sequences,
                           Eigen::Ref<Eigen::VectorXd> out);

/// How the AIS inverse temperatures 0 = beta_0 < ... < beta_K = 1 are spaced.
enum class AisSchedule {
    linear,     ///< beta_k = k / K
    piecewise,  ///< 10% of the steps on [0, 0.5], 30% on [0.5, 0.9], 60% on [0.9, 1] (Salakhutdinov & Murray 2008)
};

/// beta_k of `schedule` for k in [0, steps] (beta_0 = 0, beta_steps = 1 exactly, increasing).
[[nodiscard]] double ais_beta(AisSchedule schedule, int k, int steps);

struct AisParams {
    int temperatures = 20000;   ///< number of intermediate inverse temperatures (>= 2)
    AisSchedule schedule = AisSchedule::piecewise;
    int chains = 100;           ///< independent AIS chains
    std::uint64_t seed = 1;     ///< RNG seed (stream c for chain c)
    /// UsageError naming the option (--ais-temperatures, --ais-chains).
    void validate() const;
};

struct AisResult {
    double log_z = 0;
    double std_error = 0;        ///< standard error of log Z (delta method on the weights)
    double effective_chains = 0; ///< (sum w)^2 / sum w^2: how many chains really count
    /// log Z0 + mean_c log w_c: the mean of the log-weights (PGM's estimator). A stochastic lower
    /// bound on log Z (Jensen), biased low; reported only to compare with codes that use it.
    double log_z_mean_log_weight = 0;
    int chains = 0;
    int temperatures = 0;
};

/// AIS estimate of log Z from the independent-site model with fields `base_fields` (N x q).
/// Polls interrupt_requested() once per temperature and throws Interrupted when it is set.
[[nodiscard]] AisResult estimate_log_z(const Rbm& rbm, const FieldMatrix& base_fields, const AisParams& params);

/// Independent-site fields g0_i(a) = log((1 - pseudocount) f_i(a) + pseudocount/q) - mean_a(...), from
/// weighted data (weights: B entries, or empty = uniform); pseudocount in (0, 1] (UsageError otherwise).
[[nodiscard]] FieldMatrix independent_site_fields(const Eigen::Ref<const StateMatrix>& sequences,
                                                  const Eigen::Ref<const Eigen::VectorXd>& weights, int states,
                                                  double pseudocount);

}  // namespace pottsrbm::model
