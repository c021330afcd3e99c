// Likelihood estimators of the Potts-RBM (see likelihood.hpp and docs/estimators.md): exact
// pseudo-log-likelihood, annealed importance sampling of log Z, independent-site base fields.
#include "pottsrbm/model/likelihood.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/interrupt.hpp"
#include "pottsrbm/core/log.hpp"
#include "pottsrbm/core/progress.hpp"
#include "pottsrbm/core/threads.hpp"
#include "pottsrbm/model/sampling.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>

namespace pottsrbm::model {
namespace {

/// InputError naming the first state that is not below q.
void check_states(const Eigen::Ref<const StateMatrix>& sequences, int states, const char* what) {
    for (Eigen::Index b = 0; b < sequences.rows(); ++b)
        for (Eigen::Index i = 0; i < sequences.cols(); ++i)
            if (sequences(b, i) >= states)
                throw InputError(fmt::format("{}: sequence {}, site {}: state {} is out of range for q = {}", what,
                                             b + 1, i + 1, static_cast<int>(sequences(b, i)), states));
}

/// log sum_a exp(x(a)) of a vector expression (coefficient loop: no temporaries).
template <typename Vector>
double log_sum_exp(const Vector& x) {
    double top = -std::numeric_limits<double>::infinity();
    for (Eigen::Index a = 0; a < x.size(); ++a) top = std::max(top, static_cast<double>(x(a)));
    if (!std::isfinite(top)) return top;
    double sum = 0;
    for (Eigen::Index a = 0; a < x.size(); ++a) sum += std::exp(static_cast<double>(x(a)) - top);
    return top + std::log(sum);
}

struct WeightSummary {
    double log_mean = 0;   ///< log mean_c exp(log_w_c)
    double std_error = 0;  ///< delta-method standard error of log_mean
    double effective = 0;  ///< (sum w)^2 / sum w^2
};

/// Log-mean-exp of the AIS log-weights and its error bar, from the normalized weights
/// p_c = w_c / sum w: se^2 = sum_c (C p_c - 1)^2 / (C (C - 1)) (no cancellation for equal weights).
WeightSummary summarize_log_weights(const Eigen::VectorXd& log_w) {
    const auto chains = static_cast<double>(log_w.size());
    const double top = log_w.maxCoeff();
    WeightSummary summary;
    if (!std::isfinite(top)) {
        summary.log_mean = summary.std_error = std::numeric_limits<double>::quiet_NaN();
        return summary;
    }
    const Eigen::ArrayXd scaled = (log_w.array() - top).exp();
    const double total = scaled.sum();
    const Eigen::ArrayXd normalized = scaled / total;
    summary.log_mean = top + std::log(total) - std::log(chains);
    summary.std_error = std::sqrt((chains * normalized - 1.0).square().sum() / (chains * (chains - 1.0)));
    summary.effective = 1.0 / normalized.square().sum();
    return summary;
}

}  // namespace

void pseudo_log_likelihood(const Rbm& rbm, const Eigen::Ref<const StateMatrix>& sequences,
                           Eigen::Ref<Eigen::VectorXd> out) {
    const int sites = rbm.sites;
    const int states = rbm.states;
    const int units = rbm.units();
    if (sequences.cols() != sites || out.size() != sequences.rows())
        throw UsageError(fmt::format("pseudo_log_likelihood: {} x {} sequences and {} outputs for a model of {} sites",
                                     sequences.rows(), sequences.cols(), out.size(), sites));
    check_states(sequences, states, "pseudo-log-likelihood");
    const Eigen::Index count = sequences.rows();
    // Sites per batched Gamma call: ~16k inputs (~200 kB of workspace per thread), which amortizes
    // the per-unit constants of the batched hidden functions.
    const int block_sites = std::clamp(16384 / std::max(1, states * units), 1, sites);

#pragma omp parallel num_threads(pottsrbm::threads())
    {
        // Per-thread workspace: I(v) in double, the same without site i, the inputs of the q
        // variants of each site of a block and their Gamma, the q conditional logits.
        Eigen::RowVectorXd input(units);
        Eigen::RowVectorXd input_without_site(units);
        RowMatrixXf variant_inputs(static_cast<Eigen::Index>(block_sites) * states, units);
        RowMatrixXd variant_cgf(static_cast<Eigen::Index>(block_sites) * states, units);
        Eigen::VectorXd logits(states);

#pragma omp for schedule(dynamic, 4)
        for (Eigen::Index b = 0; b < count; ++b) {
            const std::uint8_t* v = sequences.data() + b * sequences.outerStride();
            input.setZero();
            for (int i = 0; i < sites; ++i)
                input += rbm.weights.row(static_cast<Eigen::Index>(i) * states + v[i]).cast<double>();
            double total = 0;
            for (int first = 0; first < sites; first += block_sites) {
                const int block = std::min(block_sites, sites - first);
                for (int s = 0; s < block; ++s) {
                    const Eigen::Index row = static_cast<Eigen::Index>(first + s) * states;
                    input_without_site = input - rbm.weights.row(row + v[first + s]).cast<double>();
                    for (int a = 0; a < states; ++a)
                        variant_inputs.row(static_cast<Eigen::Index>(s) * states + a) =
                            (input_without_site + rbm.weights.row(row + a).cast<double>()).cast<float>();
                }
                const Eigen::Index rows = static_cast<Eigen::Index>(block) * states;
                hidden_cgf(rbm.hidden, variant_inputs.topRows(rows), variant_cgf.topRows(rows));
                for (int s = 0; s < block; ++s) {
                    const int i = first + s;
                    for (int a = 0; a < states; ++a)
                        logits(a) = rbm.fields(i, a) + variant_cgf.row(static_cast<Eigen::Index>(s) * states + a).sum();
                    total += logits(v[i]) - log_sum_exp(logits);
                }
            }
            out(b) = total / sites;
        }
    }
}

void AisParams::validate() const {
    if (temperatures < 2)
        throw UsageError(fmt::format("--ais-temperatures must be at least 2, got {}", temperatures));
    if (chains < 2)
        throw UsageError(fmt::format("--ais-chains must be at least 2 (the error bar needs two chains), got {}", chains));
}

double ais_beta(AisSchedule schedule, int k, int steps) {
    if (k <= 0) return 0.0;
    if (k >= steps) return 1.0;
    const double x = static_cast<double>(k) / steps;
    if (schedule == AisSchedule::linear) return x;
    // Piecewise linear through (0, 0), (0.1, 0.5), (0.4, 0.9), (1, 1): the steps concentrate where
    // the distribution changes fastest, near the trained model.
    if (x <= 0.1) return 5.0 * x;
    if (x <= 0.4) return 0.5 + (x - 0.1) * (0.4 / 0.3);
    return 0.9 + (x - 0.4) * (0.1 / 0.6);
}

AisResult estimate_log_z(const Rbm& rbm, const FieldMatrix& base_fields, const AisParams& params) {
    params.validate();
    rbm.validate();
    const int sites = rbm.sites;
    const int states = rbm.states;
    if (base_fields.rows() != sites || base_fields.cols() != states)
        throw UsageError(fmt::format("AIS: base fields have shape {}x{}, the model has N = {}, q = {}",
                                     base_fields.rows(), base_fields.cols(), sites, states));
    if (!base_fields.allFinite()) throw UsageError("AIS: base fields contain a non-finite value");
    const int temperatures = params.temperatures;
    const int chains = params.chains;

    // Base model: independent sites with fields g0, zero weights, the model's hidden potentials.
    double log_z0 = 0;
    Eigen::MatrixXd base_cdf(sites, states);
    for (int i = 0; i < sites; ++i) {
        const double norm = log_sum_exp(base_fields.row(i));
        log_z0 += norm;
        double cumulative = 0;
        for (int a = 0; a < states; ++a) base_cdf(i, a) = cumulative += std::exp(double{base_fields(i, a)} - norm);
    }
    for (int mu = 0; mu < rbm.units(); ++mu) log_z0 += hidden_cgf(rbm.hidden, mu, 0.0);

    // The intermediate model at beta has fields (1-beta) g0 + beta g, weights beta W and the model's
    // hidden potentials: F_beta(v) = -(1-beta) B(v) - beta G(v) - sum_mu Gamma_mu(beta I_mu(v)) with
    // B, G the base and model field sums and I the inputs of the model's own weights, gathered once
    // per state. A Gibbs sweep at beta draws h ~ P(h | beta I) and v with the visible fields
    // (1-beta) g0 + beta g + W (beta h), so the weights are never copied or rescaled.
    Rbm work = rbm;
    work.fields = base_fields;
    ChainBatch batch = ChainBatch::make(work, chains, params.seed);
    for (int c = 0; c < chains; ++c) {
        Rng& rng = batch.rngs[static_cast<std::size_t>(c)];
        for (int i = 0; i < sites; ++i) {
            const double u = rng.uniform() * base_cdf(i, states - 1);
            int a = 0;
            while (a < states - 1 && base_cdf(i, a) <= u) ++a;
            batch.visible(c, i) = static_cast<std::uint8_t>(a);
        }
    }
    // Per state: the inputs I and the field sums B (column 0) and G (column 1).
    RowMatrixXf inputs(chains, rbm.units());
    Eigen::MatrixX2d field_sums(chains, 2);
    auto gather_state = [&] {
        hidden_inputs(rbm, batch.visible, inputs);
        for (int c = 0; c < chains; ++c) {
            double base = 0, model = 0;
            for (int i = 0; i < sites; ++i) {
                const int a = batch.visible(c, i);
                base += base_fields(i, a);
                model += rbm.fields(i, a);
            }
            field_sums(c, 0) = base;
            field_sums(c, 1) = model;
        }
    };
    gather_state();
    const HiddenRowKernel kernel(rbm.hidden);
    auto free_energies = [&](double beta, Eigen::VectorXd& out) {
#pragma omp parallel num_threads(pottsrbm::threads())
        {
            Eigen::VectorXd scaled(rbm.units());
#pragma omp for schedule(static)
            for (int c = 0; c < chains; ++c) {
                scaled = beta * inputs.row(c).transpose().cast<double>();
                out[c] = -(1.0 - beta) * field_sums(c, 0) - beta * field_sums(c, 1) - kernel.cgf_sum(scaled.data());
            }
        }
    };

    // log w_c = sum_k [F_k(v_k) - F_{k+1}(v_k)], accumulated as beta steps to beta_{k+1}.
    Eigen::VectorXd log_w(chains);
    Eigen::VectorXd energy(chains);
    free_energies(0.0, energy);
    log_w = energy;

    const int steps = temperatures - 1;
    const std::atomic<bool>& interrupted = interrupt_requested();
    Progress progress("AIS", steps);
    int next_decile = 1;
    for (int k = 1; k <= steps; ++k) {
        if (interrupted.load(std::memory_order_relaxed))
            throw Interrupted(fmt::format("AIS interrupted at temperature {} of {}", k, temperatures));
        const double beta = ais_beta(params.schedule, k, steps);
        free_energies(beta, energy);
        log_w -= energy;
        if (std::int64_t{k} * 10 >= std::int64_t{next_decile} * steps) {
            next_decile = static_cast<int>(std::int64_t{k} * 10 / steps) + 1;
            if (log::level() >= log::Level::debug) {
                const auto summary = summarize_log_weights(log_w);
                log::debug("AIS: beta = {:.3f}, log Z_beta = {:.4f} +- {:.4f}, effective chains {:.1f} of {}", beta,
                           log_z0 + summary.log_mean, summary.std_error, summary.effective, chains);
            }
        }
        if (k < steps) {
            const auto beta_f = static_cast<float>(beta);
            work.fields = (1.0f - beta_f) * base_fields + beta_f * rbm.fields;
            batch.inputs.noalias() = beta_f * inputs;
            sample_hidden(rbm.hidden, batch.inputs, batch.rngs.data(), batch.hidden);
            batch.hidden *= beta_f;
            sample_visible_given_hidden(work, batch);
            gather_state();
            free_energies(beta, energy);
            log_w += energy;
        }
        progress.add(1);
    }
    progress.finish();

    const auto summary = summarize_log_weights(log_w);
    if (!std::isfinite(summary.log_mean) || !std::isfinite(summary.std_error))
        throw RuntimeFailure("AIS: the importance weights are not finite (non-finite free energy along the path)");
    AisResult result;
    result.log_z = log_z0 + summary.log_mean;
    result.std_error = summary.std_error;
    result.effective_chains = summary.effective;
    result.log_z_mean_log_weight = log_z0 + log_w.mean();
    if (summary.effective < 0.1 * chains) {
        log::warn("AIS: only {:.1f} of {} chains carry the estimate (effective chains); log Z may be underestimated "
                  "and its error bar is unreliable: use more --ais-temperatures or --ais-chains",
                  summary.effective, chains);
    }
    result.chains = chains;
    result.temperatures = temperatures;
    return result;
}

FieldMatrix independent_site_fields(const Eigen::Ref<const StateMatrix>& sequences,
                                    const Eigen::Ref<const Eigen::VectorXd>& weights, int states, double pseudocount) {
    if (states < 2) throw UsageError(fmt::format("independent-site fields: q must be at least 2, got {}", states));
    if (!(pseudocount > 0 && pseudocount <= 1))
        throw UsageError(fmt::format("independent-site fields: pseudocount must be in (0, 1], got {}", pseudocount));
    const Eigen::Index count = sequences.rows();
    const Eigen::Index sites = sequences.cols();
    const bool uniform = weights.size() == 0;
    if (!uniform && weights.size() != count)
        throw UsageError(fmt::format("independent-site fields: {} weights for {} sequences", weights.size(), count));
    if (!uniform && !(weights.array().isFinite() && weights.array() >= 0).all())
        throw InputError("independent-site fields: sequence weights must be finite and non-negative");
    check_states(sequences, states, "independent-site fields");
    const double total = uniform ? static_cast<double>(count) : weights.sum();
    if (!(total > 0)) throw InputError("independent-site fields: no sequences (or zero total weight)");

    Eigen::MatrixXd frequencies = Eigen::MatrixXd::Zero(sites, states);
    for (Eigen::Index b = 0; b < count; ++b) {
        const double w = uniform ? 1.0 : weights(b);
        for (Eigen::Index i = 0; i < sites; ++i) frequencies(i, sequences(b, i)) += w;
    }
    frequencies = (1.0 - pseudocount) * frequencies / total + Eigen::MatrixXd::Constant(sites, states, pseudocount / states);
    Eigen::MatrixXd log_frequencies = frequencies.array().log().matrix();
    log_frequencies.colwise() -= log_frequencies.rowwise().mean();
    return log_frequencies.cast<float>();
}

}  // namespace pottsrbm::model
