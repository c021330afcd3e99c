// Design sampler: conditioned, tempered Gibbs chains with an automatic mixing diagnostic (see
// sampler.hpp). The Gibbs half-steps are the model kernels (model/sampling.hpp); this file adds the
// fixed-site reset, the exchange moves and the diagnostic, all serial over chains in a fixed order
// or parallel over disjoint rows, so results are the same for any thread count.
#include "pottsrbm/design/sampler.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/log.hpp"
#include "pottsrbm/core/progress.hpp"
#include "pottsrbm/core/rng.hpp"
#include "pottsrbm/model/sampling.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace pottsrbm::design {

using model::ChainBatch;
using model::Rbm;
using model::StateMatrix;

void SamplerParams::validate() const {
    if (samples < 1 || samples > 1'000'000'000LL)
        throw UsageError(fmt::format("--sequences: expected a value in [1, 1000000000], got {}", samples));
    if (chains < 0 || chains > 10'000'000LL)
        throw UsageError(fmt::format("--chains: expected a value in [0, 10000000] (0 = auto), got {}", chains));
    if (burn_in > 100'000'000LL) throw UsageError(fmt::format("--burn-in: expected at most 100000000, got {}", burn_in));
    if (spacing == 0 || spacing > 100'000'000LL)
        throw UsageError(fmt::format("--spacing: expected a value >= 1 (or auto), got {}", spacing));
    if (max_mixing_sweeps < 2 || max_mixing_sweeps > 100'000'000LL)
        throw UsageError(fmt::format("--max-mixing-sweeps: expected a value in [2, 100000000], got {}", max_mixing_sweeps));
    if (!(beta > 0) || !std::isfinite(beta) || beta > 1e6)
        throw UsageError(fmt::format("--beta: expected a positive finite inverse temperature, got {}", beta));
    if (temperatures < 1 || temperatures > 1000)
        throw UsageError(fmt::format("--tempering: expected a number of temperatures in [1, 1000], got {}", temperatures));
    if (temperatures > 1 && (!(tempering_min_beta > 0) || !(tempering_min_beta < beta)))
        throw UsageError(fmt::format("--tempering-min-beta: expected a value in (0, beta = {}), got {}", beta,
                                     tempering_min_beta));
    if (automatic() && chains == 1)
        throw UsageError("--chains: the mixing diagnostic needs at least 2 chains; give --burn-in and --spacing to "
                         "sample with one chain");
}

long long SamplerParams::effective_chains() const {
    if (chains > 0) return chains;
    return std::clamp(samples, 32LL, 1000LL);
}

std::vector<double> tempering_ladder(const SamplerParams& params) {
    const auto levels = static_cast<int>(params.temperatures);
    std::vector<double> betas(static_cast<std::size_t>(levels), params.beta);
    for (int k = 1; k < levels; ++k)
        betas[static_cast<std::size_t>(k)] =
            params.beta + (params.tempering_min_beta - params.beta) * static_cast<double>(k) / (levels - 1);
    return betas;
}

Rbm scaled_model(const Rbm& rbm, double beta) {
    if (beta == 1.0) return rbm;
    Rbm scaled = rbm;
    const auto b = static_cast<float>(beta);
    scaled.fields *= b;
    scaled.weights *= b;
    scaled.hidden = rbm.hidden.scaled(beta);
    scaled.has_log_z = false;
    return scaled;
}

namespace {

constexpr std::uint64_t exchange_stream = std::uint64_t{1} << 40;

// K levels x C chains, each level a ChainBatch of its own scaled model.
class TemperedChains {
public:
    TemperedChains(const Rbm& conditioned, const Conditions& conditions, const SamplerParams& params,
                   const StateMatrix* initial)
        : fixed_(conditions.fixed_sites), betas_(tempering_ladder(params)) {
        const auto chains = static_cast<int>(params.effective_chains());
        const auto levels = static_cast<int>(betas_.size());
        for (int k = 0; k < levels; ++k) {
            models_.push_back(scaled_model(conditioned, betas_[static_cast<std::size_t>(k)]));
            batches_.push_back(ChainBatch::make(models_.back(), chains, params.seed,
                                                static_cast<std::uint64_t>(k) * static_cast<std::uint64_t>(chains)));
            if (initial != nullptr && initial->rows() > 0) {
                for (int c = 0; c < chains; ++c) batches_.back().visible.row(c) = initial->row(c % initial->rows());
            }
            reset_fixed(batches_.back());
        }
        for (int c = 0; c < chains; ++c) exchange_rngs_.emplace_back(params.seed, exchange_stream + static_cast<std::uint64_t>(c));
        accepted_.assign(static_cast<std::size_t>(std::max(levels - 1, 0)), 0);
        attempted_.assign(accepted_.size(), 0);
        if (levels > 1) {
            own_.resize(chains);
            other_.resize(chains);
            cross_low_.resize(chains);
            cross_high_.resize(chains);
        }
    }

    [[nodiscard]] int chains() const { return batches_.front().chains(); }
    [[nodiscard]] const StateMatrix& target() const { return batches_.front().visible; }
    [[nodiscard]] const Rbm& target_model() const { return models_.front(); }
    [[nodiscard]] long long sweeps() const { return sweeps_; }

    void sweep() {
        for (std::size_t k = 0; k < batches_.size(); ++k) {
            model::sample_hidden_given_visible(models_[k], batches_[k]);
            model::sample_visible_given_hidden(models_[k], batches_[k]);
            reset_fixed(batches_[k]);
        }
        if (batches_.size() > 1) exchange(static_cast<std::size_t>(sweeps_ % 2));
        ++sweeps_;
    }

    [[nodiscard]] std::vector<double> acceptance() const {
        std::vector<double> rates(accepted_.size(), 0.0);
        for (std::size_t k = 0; k < rates.size(); ++k)
            rates[k] = attempted_[k] > 0 ? static_cast<double>(accepted_[k]) / static_cast<double>(attempted_[k]) : 0.0;
        return rates;
    }

private:
    void reset_fixed(ChainBatch& batch) const {
        for (const auto& clamp : fixed_) batch.visible.col(clamp.site).setConstant(clamp.state);
    }

    // Exchanges between levels (k, k+1) for k = parity, parity + 2, ...
    void exchange(std::size_t parity) {
        for (std::size_t k = parity; k + 1 < batches_.size(); k += 2) {
            ChainBatch& low = batches_[k];
            ChainBatch& high = batches_[k + 1];
            model::free_energy(models_[k], low.visible, own_);
            model::free_energy(models_[k + 1], high.visible, other_);
            model::free_energy(models_[k], high.visible, cross_low_);
            model::free_energy(models_[k + 1], low.visible, cross_high_);
            for (int c = 0; c < chains(); ++c) {
                const double log_ratio = own_[c] + other_[c] - cross_low_[c] - cross_high_[c];
                const double u = exchange_rngs_[static_cast<std::size_t>(c)].uniform_open();
                ++attempted_[k];
                if (log_ratio >= 0 || std::log(u) < log_ratio) {
                    low.visible.row(c).swap(high.visible.row(c));
                    ++accepted_[k];
                }
            }
        }
    }

    std::vector<SiteClamp> fixed_;
    std::vector<double> betas_;
    std::vector<Rbm> models_;
    std::vector<ChainBatch> batches_;
    std::vector<Rng> exchange_rngs_;
    std::vector<long long> accepted_;
    std::vector<long long> attempted_;
    Eigen::VectorXd own_, other_, cross_low_, cross_high_;
    long long sweeps_ = 0;
};

// Identity over the free sites between row a of `x` and row b of `y`.
double identity(const StateMatrix& x, Eigen::Index a, const StateMatrix& y, Eigen::Index b, const std::vector<bool>& free,
                int free_count) {
    int same = 0;
    for (Eigen::Index i = 0; i < x.cols(); ++i) same += (free[static_cast<std::size_t>(i)] && x(a, i) == y(b, i)) ? 1 : 0;
    return static_cast<double>(same) / free_count;
}

// Excess identity, as a fraction of its lag-0 value, below which chains count as mixed. At 2%
// the PF00014 model was declared mixed after 64 sweeps while its samples still had 5% weaker
// correlations (C_ij slope 0.82 against 0.86 after 1000 sweeps); at 0.5% burn-in is 256 sweeps.
constexpr double mixed_fraction = 0.005;

MixingCheckpoint checkpoint(const TemperedChains& chains, const StateMatrix& half, const std::vector<bool>& free,
                            int free_count) {
    const StateMatrix& now = chains.target();
    const int count = chains.chains();
    MixingCheckpoint point;
    point.sweep = chains.sweeps();
    double sum = 0, sum_squares = 0, self = 0, cross = 0;
    for (int c = 0; c < count; ++c) {
        const double s = identity(now, c, half, c, free, free_count);
        const double x = identity(now, c, half, (c + count / 2) % count, free, free_count);
        self += s;
        cross += x;
        sum += s - x;
        sum_squares += (s - x) * (s - x);
    }
    point.self_identity = self / count;
    point.cross_identity = cross / count;
    const double mean = sum / count;
    const double variance = std::max(0.0, (sum_squares - count * mean * mean) / std::max(count - 1, 1));
    point.excess_std_error = std::sqrt(variance / count);
    Eigen::VectorXd energies(count);
    model::free_energy(chains.target_model(), now, energies);
    point.mean_free_energy = energies.mean();
    point.mixed = mean <= std::max(2 * point.excess_std_error, mixed_fraction * (1 - point.cross_identity));
    return point;
}

// Runs the diagnostic on the chains (which must be at sweep 0); returns the report. The chains
// are left at the last checkpoint's sweep.
MixingReport run_mixing_diagnostic(TemperedChains& chains, const Conditions& conditions, long long max_sweeps,
                                   int sites) {
    MixingReport report;
    report.measured = true;
    std::vector<bool> free(static_cast<std::size_t>(sites), true);
    for (const auto& clamp : conditions.fixed_sites) free[static_cast<std::size_t>(clamp.site)] = false;
    const auto free_count = static_cast<int>(std::count(free.begin(), free.end(), true));
    chains.sweep();
    if (free_count == 0) {
        report.converged = true;
        report.mixing_time = 1;
        return report;
    }
    StateMatrix half = chains.target();
    for (long long t = 2;; t *= 2) {
        while (chains.sweeps() < t) chains.sweep();
        const MixingCheckpoint point = checkpoint(chains, half, free, free_count);
        report.checkpoints.push_back(point);
        log::info("mixing: sweep {:>6}: identity to own state at sweep {} {:.4f}, to another chain's {:.4f} "
                  "(excess {:.4f} +- {:.4f}), mean F {:.3f}{}",
                  t, t / 2, point.self_identity, point.cross_identity, point.self_identity - point.cross_identity,
                  point.excess_std_error, point.mean_free_energy, point.mixed ? "  -> mixed" : "");
        report.mixing_time = t / 2;
        if (point.mixed) {
            report.converged = true;
            return report;
        }
        if (2 * t > max_sweeps) return report;
        half = chains.target();
    }
}

}  // namespace

SampleSet draw_samples(const Rbm& rbm, const Conditions& conditions, const SamplerParams& params,
                       const StateMatrix* initial) {
    params.validate();
    if (initial != nullptr && initial->rows() > 0 && initial->cols() != rbm.sites)
        throw UsageError(fmt::format("draw_samples: initial sequences have {} sites, the model has N = {}",
                                     initial->cols(), rbm.sites));
    if (initial != nullptr)
        for (Eigen::Index m = 0; m < initial->rows(); ++m)
            for (Eigen::Index i = 0; i < initial->cols(); ++i)
                if ((*initial)(m, i) >= rbm.states)
                    throw UsageError(fmt::format("draw_samples: initial sequence {} has state {} at site {} (q = {})", m + 1,
                                                 static_cast<int>((*initial)(m, i)), i + 1, rbm.states));
    const Rbm conditioned = conditioned_model(rbm, conditions);
    TemperedChains chains(conditioned, conditions, params, initial);

    SampleSet out;
    out.chains = chains.chains();
    out.betas = tempering_ladder(params);
    if (params.automatic()) {
        out.mixing = run_mixing_diagnostic(chains, conditions, params.max_mixing_sweeps, rbm.sites);
        if (!out.mixing.converged)
            log::warn("the chains did not mix within {} sweeps (the identity with their own past states stays above "
                      "that between chains): samples are correlated; consider --tempering, a higher temperature "
                      "(smaller --beta) or larger --max-mixing-sweeps",
                      chains.sweeps());
    }
    // A given burn-in shorter than the diagnostic's sweeps is exceeded (those sweeps are done).
    out.burn_in = std::max(params.burn_in, chains.sweeps());
    out.spacing = params.spacing > 0 ? params.spacing : std::max(1LL, out.mixing.mixing_time);
    if (params.automatic())
        log::info("sampling: burn-in {} sweeps{}, spacing {} sweeps{} (mixing time {} sweeps{})", out.burn_in,
                  params.burn_in >= 0 ? " (given)" : " (automatic)", out.spacing,
                  params.spacing > 0 ? " (given)" : " (automatic)", out.mixing.mixing_time,
                  out.mixing.converged ? "" : ", not converged");

    const long long rounds = (params.samples + out.chains - 1) / out.chains;
    const long long remaining_burn_in = std::max(0LL, out.burn_in - chains.sweeps());
    const long long total = remaining_burn_in + (rounds - 1) * out.spacing;
    Progress progress("sampling", total);
    for (long long s = 0; s < remaining_burn_in; ++s) {
        chains.sweep();
        progress.add(1);
    }
    out.sequences.resize(params.samples, rbm.sites);
    out.chain.resize(static_cast<std::size_t>(params.samples));
    out.sweep.resize(static_cast<std::size_t>(params.samples));
    long long row = 0;
    for (long long round = 0; round < rounds; ++round) {
        if (round > 0)
            for (long long s = 0; s < out.spacing; ++s) {
                chains.sweep();
                progress.add(1);
            }
        for (int c = 0; c < out.chains && row < params.samples; ++c, ++row) {
            out.sequences.row(row) = chains.target().row(c);
            out.chain[static_cast<std::size_t>(row)] = c;
            out.sweep[static_cast<std::size_t>(row)] = chains.sweeps();
        }
    }
    progress.finish();
    out.swap_acceptance = chains.acceptance();
    if (out.betas.size() > 1) {
        std::string rates;
        for (std::size_t k = 0; k < out.swap_acceptance.size(); ++k)
            rates += fmt::format("{}{:.3g}<->{:.3g}: {:.3f}", k == 0 ? "" : ", ", out.betas[k], out.betas[k + 1],
                                 out.swap_acceptance[k]);
        log::info("tempering: {} inverse temperatures, exchange acceptance {}", out.betas.size(), rates);
        const double lowest = *std::min_element(out.swap_acceptance.begin(), out.swap_acceptance.end());
        if (lowest < 0.05)
            log::warn("tempering: an exchange acceptance rate is {:.3f} (< 0.05); use more temperatures (--tempering) "
                      "or a larger --tempering-min-beta",
                      lowest);
    }
    return out;
}

}  // namespace pottsrbm::design
