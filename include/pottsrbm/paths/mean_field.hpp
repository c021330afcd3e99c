// Mean-field approximation of the path distribution (equations in docs/paths.md).
//
// Q(path) = prod_i Q_i(x_{0,i}, ..., x_{T,i}): one distribution over trajectories per site, so the
// marginals q_t(i, a) = Q(x_{t,i} = a) come from forward-backward along time for each site. The
// RBM term is evaluated at the mean inputs Ibar_t = sum_i sum_a q_t(i,a) W_i(a):
//   Phi[Q] = sum_{t sampled} ( -beta sum_i <g_i(x_{t,i})> - beta sum_mu Gamma_mu(Ibar_t) )
//            + lambda sum_t E_Q[d(x_t, x_{t+1})] - sum_i S[Q_i],
// minimized subject to E_Q[d(x_t, x_{t+1})] <= D for every step (the hard constraint imposed on
// average). -Gamma is concave, so the concave-convex procedure applies: linearize Gamma at the
// current Ibar, which gives each site the fields u_t(i,a) = beta (g_i(a) + sum_mu Gamma'_mu(Ibar_t)
// W_{i mu}(a)); minimize the convex remainder exactly (per-site forward-backward with the step costs
// lambda + m_t, the multipliers m_t >= 0 found by maximizing the concave dual); repeat. Phi never
// increases from one iteration to the next.
//
// Shapes: marginals has T+1 entries of N x q; change is N x T (site i changes on step t+1).
#pragma once

#include "pottsrbm/model/rbm.hpp"
#include "pottsrbm/paths/path.hpp"

#include <Eigen/Core>

#include <vector>

namespace pottsrbm::paths {

struct MeanFieldParams {
    int max_iterations = 1000;      ///< outer (linearization) iterations
    double tolerance = 1e-4;        ///< largest marginal change of a converged iteration
    int max_dual_iterations = 2000; ///< multiplier updates per iteration
    double dual_tolerance = 1e-5;   ///< multipliers converged: |E[d_t] - D| < dual_tolerance * D where m_t > 0
    /// UsageError naming --mf-iterations / --mf-tolerance.
    void validate() const;
};

struct MeanFieldResult {
    std::vector<Eigen::MatrixXd> marginals;  ///< T+1 entries, N x q: q_t(i, a)
    Eigen::MatrixXd change;                  ///< N x T: Q(x_{t,i} != x_{t+1,i}) for step t+1
    Eigen::VectorXd expected_distance;       ///< T: E_Q[d(x_t, x_{t+1})]
    Eigen::VectorXd multipliers;             ///< T: m_t (zeros without hard constraint)
    Eigen::VectorXd mean_input_free_energy;  ///< T+1: -sum_i <g_i> - sum_mu Gamma_mu(Ibar_t)
    Eigen::VectorXd distance_from;           ///< T+1: E_Q[d(x_t, A)]
    Eigen::VectorXd distance_to;             ///< T+1: E_Q[d(x_t, B)] (zeros with a free end)
    std::vector<double> objective;           ///< Phi after each iteration
    int iterations = 0;
    bool converged = false;
    double last_change = 0;       ///< largest marginal change of the last iteration
    double constraint_excess = 0; ///< max_t E_Q[d_t] - D (<= 0 when met exactly; 0 without constraint)
};

/// Solves the mean-field equations for `spec` (validated against `rbm`). Deterministic for any
/// thread count (only the fields of the slices are computed in parallel).
[[nodiscard]] MeanFieldResult mean_field(const model::Rbm& rbm, const PathSpec& spec, const MeanFieldParams& params);

/// Expected step at which site `site` reaches state `to` for a trajectory that switches once:
/// sum_{t=0..T-1} (1 - q_t(site, to)).
[[nodiscard]] double mean_switch_step(const MeanFieldResult& result, int site, int to);

}  // namespace pottsrbm::paths
