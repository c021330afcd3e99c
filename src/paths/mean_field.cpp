// Mean-field solution of the path distribution by the concave-convex procedure (see
// paths/mean_field.hpp and docs/paths.md).
//
// Forward-backward for one site at fixed fields u_t(a) and step costs c_t = lambda + m_t, in scaled
// form: phi_t(a) is a delta at a fixed end, exp(u_t(a) - s_t) with s_t = max_a u_t(a) elsewhere,
// e_t = exp(-c_t), and
//   alpha_t(b) = phi_t(b) (e_{t-1} + (1 - e_{t-1}) alpha_{t-1}(b)) / n_t         (sum_b alpha_t = 1)
//   beta_t(a)  = (e_t S_{t+1} + (1 - e_t) phi_{t+1}(a) beta_{t+1}(a)) / n_{t+1},   S = sum_b phi beta
//   q_t(a)     = alpha_t(a) beta_t(a),   Q(change on step t+1) = e_t sum_a alpha_t(a) (S_{t+1} - phi_{t+1}(a) beta_{t+1}(a)) / n_{t+1}
//   log Z      = sum_t log n_t + sum_t s_t
// O(T q) per site thanks to the [a != b] form of the coupling.
//
// Multipliers: the dual of the convex step, g(m) = -sum_i log Z_i(m) - D sum_t m_t, is concave with
// dg/dm_t = E[d_t] - D and d2g/dm_t^2 = -Var(d_t) = -sum_i p_ti (1 - p_ti); it is maximized over
// m >= 0 by diagonal Newton steps with step halving whenever g decreases.
#include "pottsrbm/paths/mean_field.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/threads.hpp"
#include "pottsrbm/model/hidden.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace pottsrbm::paths {

using Index = Eigen::Index;

void MeanFieldParams::validate() const {
    if (max_iterations < 1)
        throw UsageError(fmt::format("--mf-iterations: expected a value >= 1, got {}", max_iterations));
    if (!(tolerance > 0) || !std::isfinite(tolerance))
        throw UsageError(fmt::format("--mf-tolerance: expected a finite value > 0, got {}", tolerance));
    if (!(dual_tolerance > 0))
        throw UsageError(fmt::format("mean field: dual_tolerance must be > 0, got {}", dual_tolerance));
    if (max_dual_iterations < 1)
        throw UsageError(fmt::format("mean field: max_dual_iterations must be >= 1, got {}", max_dual_iterations));
}

namespace {

// Largest step cost: keeps exp(-cost) a normal double, so no forward message can vanish.
constexpr double max_step_cost = 600;
// Largest multiplier change of one Newton step.
constexpr double max_multiplier_step = 4;

// Per-site quantities of one forward-backward solve at fixed fields and costs.
struct SiteSolution {
    std::vector<Eigen::MatrixXd> marginals;  // per site: (T+1) x q
    Eigen::MatrixXd change;                  // N x T
    Eigen::VectorXd log_z;                   // N
};

class Solver {
public:
    Solver(const model::Rbm& rbm, const PathSpec& spec)
        : rbm_(rbm), spec_(spec), sites_(rbm.sites), states_(rbm.states), steps_(spec.steps),
          last_(spec.last_free_slice()), fields_(static_cast<std::size_t>(spec.steps + 1)) {
        for (auto& f : fields_) f = Eigen::MatrixXd::Zero(sites_, states_);
        phi_.resize(steps_ + 1, states_);
        alpha_.resize(steps_ + 1, states_);
        back_.resize(steps_ + 1, states_);
        norm_.resize(steps_ + 1);
    }

    /// u_t(i, a) = beta (g_i(a) + sum_mu slope_t(mu) W_{i mu}(a)) for the sampled slices.
    void set_fields(const Eigen::MatrixXd& slopes) {
        const int units = rbm_.units();
#pragma omp parallel for schedule(static) num_threads(pottsrbm::threads())
        for (int t = 1; t <= last_; ++t) {
            Eigen::VectorXd projected(static_cast<Index>(sites_) * states_);
            if (units > 0)
                projected.noalias() = rbm_.weights.cast<double>() * slopes.row(t).transpose();
            else
                projected.setZero();
            auto& u = fields_[static_cast<std::size_t>(t)];
            for (int i = 0; i < sites_; ++i)
                for (int a = 0; a < states_; ++a)
                    u(i, a) = spec_.beta * (static_cast<double>(rbm_.fields(i, a)) + projected[static_cast<Index>(i) * states_ + a]);
        }
    }

    [[nodiscard]] const Eigen::MatrixXd& fields(int t) const { return fields_[static_cast<std::size_t>(t)]; }

    /// Forward-backward of every site at step costs `costs` (T entries).
    void solve(const Eigen::VectorXd& costs, SiteSolution& out) {
        out.marginals.resize(static_cast<std::size_t>(sites_));
        out.change.resize(sites_, steps_);
        out.log_z.resize(sites_);
        Eigen::VectorXd weights(steps_);
        for (int t = 0; t < steps_; ++t) weights[t] = std::exp(-std::min(costs[t], max_step_cost));
        // Serial: O(N T q) work, too little for threads (called many times per iteration).
        for (int i = 0; i < sites_; ++i)
            out.log_z[i] = site(i, weights, phi_, alpha_, back_, norm_, out.marginals[static_cast<std::size_t>(i)],
                                out.change.row(i));
    }

private:
    double site(int i, const Eigen::VectorXd& weights, Eigen::MatrixXd& phi, Eigen::MatrixXd& alpha,
                Eigen::MatrixXd& back, Eigen::VectorXd& norm, Eigen::MatrixXd& marginals,
                Eigen::Ref<Eigen::RowVectorXd, 0, Eigen::InnerStride<>> change) {
        double log_z = 0;
        phi.row(0).setZero();
        phi(0, spec_.from[static_cast<std::size_t>(i)]) = 1;
        for (int t = 1; t <= last_; ++t) {
            const auto u = fields_[static_cast<std::size_t>(t)].row(i);
            const double shift = u.maxCoeff();
            phi.row(t) = (u.array() - shift).exp();
            log_z += shift;
        }
        if (!spec_.free_end()) {
            phi.row(steps_).setZero();
            phi(steps_, spec_.to[static_cast<std::size_t>(i)]) = 1;
        }
        alpha.row(0) = phi.row(0);
        for (int t = 1; t <= steps_; ++t) {
            const double e = weights[t - 1];
            alpha.row(t) = phi.row(t).array() * (e + (1 - e) * alpha.row(t - 1).array());
            norm[t] = alpha.row(t).sum();
            if (!(norm[t] > 0) || !std::isfinite(norm[t]))
                throw RuntimeFailure(fmt::format("mean field: site {} has no admissible trajectory at step {}", i + 1, t));
            alpha.row(t) /= norm[t];
            log_z += std::log(norm[t]);
        }
        back.row(steps_).setOnes();
        for (int t = steps_ - 1; t >= 0; --t) {
            const double e = weights[t];
            const Eigen::RowVectorXd next = phi.row(t + 1).cwiseProduct(back.row(t + 1));
            const double total = next.sum();
            back.row(t) = (e * total + (1 - e) * next.array()).matrix() / norm[t + 1];
            double moved = 0;
            for (int a = 0; a < states_; ++a) moved += alpha(t, a) * (total - next[a]);
            change[t] = std::clamp(e * moved / norm[t + 1], 0.0, 1.0);
        }
        marginals = alpha.cwiseProduct(back);
        for (int t = 0; t <= steps_; ++t) marginals.row(t) /= marginals.row(t).sum();
        return log_z;
    }

    const model::Rbm& rbm_;
    const PathSpec& spec_;
    int sites_;
    int states_;
    int steps_;
    int last_;
    std::vector<Eigen::MatrixXd> fields_;  // T+1 entries of N x q (sampled slices only)
    Eigen::MatrixXd phi_, alpha_, back_;   // (T+1) x q workspaces
    Eigen::VectorXd norm_;                 // T+1
};

}  // namespace

MeanFieldResult mean_field(const model::Rbm& rbm, const PathSpec& spec, const MeanFieldParams& params) {
    spec.validate(rbm);
    params.validate();
    const int sites = rbm.sites;
    const int states = rbm.states;
    const int units = rbm.units();
    const int steps = spec.steps;
    const int last = spec.last_free_slice();
    const bool fixed_end = !spec.free_end();
    const int capacity = spec.max_distance;

    MeanFieldResult result;
    auto& q = result.marginals;  // q[t](i, a)
    q.assign(static_cast<std::size_t>(steps + 1), Eigen::MatrixXd::Zero(sites, states));
    // Start: the straight interpolation q_t(B_i) = t/T for differing sites, A elsewhere.
    for (int t = 0; t <= steps; ++t)
        for (int i = 0; i < sites; ++i) {
            const int a = spec.from[static_cast<std::size_t>(i)];
            const int b = fixed_end ? spec.to[static_cast<std::size_t>(i)] : a;
            const double x = static_cast<double>(t) / steps;
            q[static_cast<std::size_t>(t)](i, a) += 1 - x;
            q[static_cast<std::size_t>(t)](i, b) += x;
        }
    const Eigen::MatrixXd weights = rbm.weights.cast<double>();  // (N*q) x H
    Eigen::MatrixXd mean_inputs(steps + 1, units);                // Ibar_t, row t
    Eigen::MatrixXd slopes(steps + 1, units);                     // Gamma'(Ibar_t)
    Eigen::MatrixXd cgf(steps + 1, units);                        // Gamma(Ibar_t)
    const auto update_inputs = [&]() {
        for (int t = 0; t <= steps; ++t) {
            Eigen::RowVectorXd row = Eigen::RowVectorXd::Zero(units);
            const auto& m = q[static_cast<std::size_t>(t)];
            for (int i = 0; i < sites; ++i)
                for (int a = 0; a < states; ++a)
                    if (m(i, a) != 0) row += m(i, a) * weights.row(static_cast<Index>(i) * states + a);
            mean_inputs.row(t) = row;
            for (int mu = 0; mu < units; ++mu) {
                const model::HiddenMoments h = model::hidden_moments(rbm.hidden, mu, row[mu]);
                slopes(t, mu) = h.mean;
                cgf(t, mu) = h.cgf;
            }
        }
    };
    update_inputs();

    Solver solver(rbm, spec);
    SiteSolution current;
    SiteSolution trial;
    result.multipliers = Eigen::VectorXd::Zero(steps);
    Eigen::VectorXd& multipliers = result.multipliers;
    const auto costs_of = [&](const Eigen::VectorXd& m) { return (m.array() + spec.lambda).matrix().eval(); };

    for (int iteration = 1; iteration <= params.max_iterations; ++iteration) {
        solver.set_fields(slopes);
        // Convex step: maximize the dual over the multipliers (one solve without constraint).
        solver.solve(costs_of(multipliers), current);
        if (capacity > 0) {
            // Accelerated (Nesterov) projected ascent with the diagonal Newton step as the gradient
            // step, restarted whenever the dual value drops; `current` always holds the solve at
            // `multipliers`, the best point so far.
            double best = -current.log_z.sum() - capacity * multipliers.sum();
            Eigen::VectorXd point = multipliers;  // where `trial` was solved
            Eigen::VectorXd previous = multipliers;
            double momentum_count = 0;
            double scale = 1;  // step length factor, halved after every failed step
            trial = current;
            for (int k = 0; k < params.max_dual_iterations; ++k) {
                const Eigen::VectorXd expected = trial.change.colwise().sum().transpose();
                const Eigen::VectorXd variance =
                    (trial.change.array() * (1 - trial.change.array())).colwise().sum().transpose();
                const double value = -trial.log_z.sum() - capacity * point.sum();
                if (value >= best) {
                    best = value;
                    multipliers = point;
                    current = trial;
                } else {
                    // Restart from the best point, with shorter steps until the value rises again.
                    momentum_count = 0;
                    scale *= 0.5;
                    if (scale < 1e-6) break;
                    point = multipliers;
                    previous = multipliers;
                    trial = current;
                    continue;
                }
                double residual = 0;
                for (int t = 0; t < steps; ++t)
                    residual = std::max(residual, point[t] > 0 ? std::abs(expected[t] - capacity)
                                                               : std::max(expected[t] - capacity, 0.0));
                if (residual < params.dual_tolerance * capacity) break;
                Eigen::VectorXd next(steps);
                for (int t = 0; t < steps; ++t) {
                    const double step = std::clamp((expected[t] - capacity) / std::max(variance[t], 1e-12),
                                                   -max_multiplier_step, max_multiplier_step);
                    next[t] = std::clamp(point[t] + scale * step, 0.0, max_step_cost);
                }
                const double factor = momentum_count / (momentum_count + 3);
                momentum_count += 1;
                point = (next + factor * (next - previous)).cwiseMax(0.0).cwiseMin(max_step_cost);
                previous = next;
                solver.solve(costs_of(point), trial);
            }
        }
        // New marginals, their largest change, and the linearization point of the next iteration.
        double largest_change = 0;
        for (int t = 1; t <= last; ++t)
            for (int i = 0; i < sites; ++i) {
                const auto fresh = current.marginals[static_cast<std::size_t>(i)].row(t);
                auto old = q[static_cast<std::size_t>(t)].row(i);
                largest_change = std::max(largest_change, (fresh - old).cwiseAbs().maxCoeff());
                old = fresh;
            }
        const Eigen::VectorXd step_costs = costs_of(multipliers);
        // Phi = energy - entropy, with S_i = log Z_i - sum_t <u_t> + sum_t c_t p_ti (fields of this step).
        double entropy = 0;
        for (int i = 0; i < sites; ++i) {
            double s = current.log_z[i];
            for (int t = 1; t <= last; ++t)
                s -= q[static_cast<std::size_t>(t)].row(i).dot(solver.fields(t).row(i));
            for (int t = 0; t < steps; ++t) s += step_costs[t] * current.change(i, t);
            entropy += s;
        }
        update_inputs();
        double energy = spec.lambda * current.change.sum();
        for (int t = 1; t <= last; ++t)
            energy -= spec.beta * ((q[static_cast<std::size_t>(t)].array() * rbm.fields.cast<double>().array()).sum() +
                                   cgf.row(t).sum());
        result.objective.push_back(energy - entropy);
        result.iterations = iteration;
        result.last_change = largest_change;
        if (largest_change < params.tolerance) {
            result.converged = true;
            break;
        }
    }

    result.change = current.change;
    result.expected_distance = current.change.colwise().sum().transpose();
    result.constraint_excess = capacity > 0 ? result.expected_distance.maxCoeff() - capacity : 0.0;
    result.mean_input_free_energy.resize(steps + 1);
    result.distance_from.resize(steps + 1);
    result.distance_to = Eigen::VectorXd::Zero(steps + 1);
    for (int t = 0; t <= steps; ++t) {
        const auto& m = q[static_cast<std::size_t>(t)];
        result.mean_input_free_energy[t] = -(m.array() * rbm.fields.cast<double>().array()).sum() - cgf.row(t).sum();
        double from = 0, to = 0;
        for (int i = 0; i < sites; ++i) {
            from += 1 - m(i, spec.from[static_cast<std::size_t>(i)]);
            if (fixed_end) to += 1 - m(i, spec.to[static_cast<std::size_t>(i)]);
        }
        result.distance_from[t] = from;
        result.distance_to[t] = to;
    }
    return result;
}

double mean_switch_step(const MeanFieldResult& result, int site, int to) {
    double step = 0;
    const auto steps = static_cast<int>(result.marginals.size()) - 1;
    for (int t = 0; t < steps; ++t) step += 1 - result.marginals[static_cast<std::size_t>(t)](site, to);
    return step;
}

}  // namespace pottsrbm::paths
