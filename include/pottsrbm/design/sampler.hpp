// Equilibrium sampling of a Potts-RBM for design: many independent chains of alternating Gibbs
// sweeps, optionally under conditions (design/conditions.hpp), at inverse temperature beta, with
// parallel tempering, and with burn-in and spacing chosen by a mixing diagnostic.
//
// Chains. C chains; chain c uses RNG stream (seed, k*C + c) at temperature level k, and exchange
// decisions of chain c use stream (seed, 2^40 + c), so samples do not depend on the thread count.
// Each sweep is h ~ P(h | v), v ~ P(v | h), then the fixed sites are reset to their residues.
//
// Parallel tempering (K > 1 levels). Level k samples the model scaled by beta_k (fields, weights
// and the four hidden-potential arrays times beta_k), beta_k linear from beta (k = 0) to
// tempering_min_beta (k = K-1). After every sweep, adjacent levels (k, k+1) with k of the sweep's
// parity exchange their configurations with probability
//   min(1, exp(F_k(v_k) + F_{k+1}(v_{k+1}) - F_k(v_{k+1}) - F_{k+1}(v_k))),
// F_k being the free energy of the level-k model (detailed balance for the product of the K laws).
// Samples are taken from level 0.
//
// Mixing diagnostic (when burn-in or spacing is automatic). At sweeps t = 2, 4, 8, ... it compares,
// over the free sites, the identity of each level-0 chain at t with its own state at t/2,
// s_c = id(v_c(t), v_c(t/2)), and with another chain's state at t/2, x_c = id(v_c(t), v_{c'}(t/2)),
// c' = (c + C/2) mod C. At equilibrium with decorrelated states E[s - x] = 0. The chains are
// declared mixed at lag t/2 when mean(s - x) <= max(2 SE, 0.005 (1 - mean(x))), i.e. when the excess
// identity is statistically zero or below 0.5% of its value at lag 0. Then
//   mixing time tau = t/2, burn-in = t (the sweeps already run), spacing = tau.
// Without mixing by max_mixing_sweeps the last lag is used and a warning says so.
#pragma once

#include "pottsrbm/design/conditions.hpp"
#include "pottsrbm/model/rbm.hpp"

#include <cstdint>
#include <vector>

namespace pottsrbm::design {

struct SamplerParams {
    long long samples = 1000;          ///< -n, --sequences: sequences to return
    long long chains = 0;              ///< --chains (0: auto = samples clamped to [32, 1000])
    long long burn_in = -1;            ///< --burn-in sweeps (< 0: from the mixing diagnostic)
    long long spacing = -1;            ///< --spacing sweeps between samples of a chain (< 0: auto)
    long long max_mixing_sweeps = 8192;  ///< --max-mixing-sweeps: cap of the diagnostic
    double beta = 1.0;                 ///< --beta: inverse temperature of the samples
    long long temperatures = 1;        ///< --tempering K (1: plain Gibbs)
    double tempering_min_beta = 0.5;   ///< --tempering-min-beta: hottest level
    std::uint64_t seed = 1;            ///< --seed
    /// UsageError naming the option and the value.
    void validate() const;
    [[nodiscard]] long long effective_chains() const;
    [[nodiscard]] bool automatic() const { return burn_in < 0 || spacing < 0; }
};

/// One checkpoint of the mixing diagnostic.
struct MixingCheckpoint {
    long long sweep = 0;              ///< t
    double self_identity = 0;         ///< mean_c id(v_c(t), v_c(t/2))
    double cross_identity = 0;        ///< mean_c id(v_c(t), v_c'(t/2))
    double excess_std_error = 0;      ///< standard error of mean(s - x)
    double mean_free_energy = 0;      ///< mean F of the level-0 chains at t (model at the level's beta)
    bool mixed = false;
};

struct MixingReport {
    bool measured = false;            ///< the diagnostic ran
    bool converged = false;
    long long mixing_time = 0;        ///< tau (sweeps)
    std::vector<MixingCheckpoint> checkpoints;
};

struct SampleSet {
    model::StateMatrix sequences;        ///< samples x N, rows round-major (round r, chain c)
    std::vector<int> chain;              ///< chain of each row
    std::vector<long long> sweep;        ///< sweep at which each row was taken
    int chains = 0;
    long long burn_in = 0;
    long long spacing = 0;
    MixingReport mixing;
    std::vector<double> betas;           ///< K inverse temperatures (betas[0] = beta)
    std::vector<double> swap_acceptance; ///< K-1 acceptance rates of exchanges (k, k+1)
};

/// Inverse temperatures of the tempering ladder (see the file comment).
[[nodiscard]] std::vector<double> tempering_ladder(const SamplerParams& params);

/// The model scaled by beta (P of the result = P_beta of `rbm`).
[[nodiscard]] model::Rbm scaled_model(const model::Rbm& rbm, double beta);

/// Draws params.samples sequences from P_beta(v | conditions). `initial` (optional, rows over the
/// model's sites): chain c starts from row c mod rows (fixed sites then reset); otherwise from the
/// independent-site law of the fields at the level's beta. Logs the mixing diagnostic and the
/// exchange rates.
[[nodiscard]] SampleSet draw_samples(const model::Rbm& rbm, const Conditions& conditions, const SamplerParams& params,
                                     const model::StateMatrix* initial = nullptr);

}  // namespace pottsrbm::design
