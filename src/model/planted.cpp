// The planted model and equilibrium simulation (see planted.hpp).
#include "pottsrbm/model/planted.hpp"

#include "pottsrbm/core/alphabet.hpp"
#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/progress.hpp"
#include "pottsrbm/model/sampling.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

namespace pottsrbm::model {
namespace {

void set_weight(Rbm& rbm, int site, std::string_view residues, int unit, float value) {
    for (char c : residues)
        rbm.weights(static_cast<Eigen::Index>(site) * rbm.states + state_of(c), unit) = value;
}

}  // namespace

PlantedModel make_planted_model(int sites, std::uint64_t seed) {
    if (sites < 12) throw UsageError(fmt::format("--length: the planted model needs at least 12 sites, got {}", sites));
    constexpr int q = 21;
    PlantedModel planted;
    Rbm& rbm = planted.rbm;
    rbm = Rbm::make(sites, q, 4, HiddenType::drelu);

    // Family profile: each site favours residues of one class.
    static constexpr std::array<std::string_view, 6> classes = {"ILVM", "FWY", "DE", "KR", "STNQ", "AG"};
    Rng rng(seed, 0);
    for (int i = 0; i < sites; ++i) {
        for (int a = 0; a < q; ++a) rbm.fields(i, a) = static_cast<float>(0.3 * rng.normal());
        rbm.fields(i, 0) = -2.0F;  // gaps are rare
        const auto favoured = classes[rng.below(classes.size())];
        for (char c : favoured) rbm.fields(i, state_of(c)) += static_cast<float>(2.5 + 1.0 * rng.uniform());
        rbm.fields(i, state_of('P')) -= 0.5F;
    }

    auto site_at = [sites](double fraction) { return std::clamp(static_cast<int>(fraction * sites), 0, sites - 1); };
    // 0: disulfide pair.
    const int c1 = site_at(0.08);
    const int c2 = site_at(0.85);
    set_weight(rbm, c1, "C", 0, 1.6F);
    set_weight(rbm, c2, "C", 0, 1.6F);
    rbm.fields(c1, state_of('C')) += 1.0F;  // cysteines are common at the pair, and paired
    rbm.fields(c2, state_of('C')) += 1.0F;
    planted.motifs.push_back({"disulfide", {c1, c2}});
    // 1: salt bridge, complementary charges.
    const int s1 = site_at(0.25);
    const int s2 = site_at(0.70);
    set_weight(rbm, s1, "KR", 1, 1.2F);
    set_weight(rbm, s1, "DE", 1, -1.2F);
    set_weight(rbm, s2, "DE", 1, 1.2F);
    set_weight(rbm, s2, "KR", 1, -1.2F);
    planted.motifs.push_back({"salt bridge", {s1, s2}});
    // 2: subfamily signature over six sites.
    std::vector<int> signature;
    for (double f : {0.15, 0.32, 0.45, 0.55, 0.62, 0.78}) signature.push_back(site_at(f));
    for (std::size_t k = 0; k < signature.size(); ++k) {
        // Both subfamilies equally likely at the site: no profile preference there.
        for (int a = 1; a < q; ++a) rbm.fields(signature[k], a) = 0.0F;
        set_weight(rbm, signature[k], k % 2 == 0 ? "ST" : "NQ", 2, 0.7F);
        set_weight(rbm, signature[k], k % 2 == 0 ? "DE" : "KR", 2, -0.7F);
    }
    planted.motifs.push_back({"subfamily", signature});
    // 3: hydrophobic core, all large or all small.
    std::vector<int> core;
    for (double f : {0.2, 0.38, 0.5, 0.92}) core.push_back(site_at(f));
    for (int site : core) {
        set_weight(rbm, site, "ILVF", 3, 0.8F);
        set_weight(rbm, site, "AGS", 3, -0.8F);
    }
    planted.motifs.push_back({"hydrophobic core", core});

    // The residues a motif uses are frequent at its sites, so that the couplings show in the data.
    for (Eigen::Index row = 0; row < rbm.weights.rows(); ++row)
        if (rbm.weights.row(row).cwiseAbs().maxCoeff() > 0)
            rbm.fields(row / q, row % q) += 1.5F;

    // Bimodal dReLU units: a gap between the two branches (theta_plus > 0, theta_minus < 0).
    rbm.hidden.gamma_plus.setConstant(1.0F);
    rbm.hidden.gamma_minus.setConstant(1.0F);
    rbm.hidden.theta_plus.setConstant(0.5F);
    rbm.hidden.theta_minus.setConstant(-0.5F);
    // Zero-sum gauge, as every model pottsrbm writes (P(v) unchanged).
    apply_zero_sum_gauge(rbm);
    rbm.validate();
    return planted;
}

void SimulationParams::validate() const {
    auto positive = [](std::string_view option, long long value) {
        if (value < 1) throw UsageError(fmt::format("{}: expected a value >= 1, got {}", option, value));
    };
    positive("--sequences", sequences);
    positive("--chains", chains);
    positive("--spacing", spacing);
    if (burn_in < 0) throw UsageError(fmt::format("--burn-in: expected a value >= 0, got {}", burn_in));
    if (!(beta >= 0) || !std::isfinite(beta))
        throw UsageError(fmt::format("--beta: expected a finite value >= 0, got {}", beta));
}

StateMatrix simulate_sequences(const Rbm& rbm, const SimulationParams& params) {
    params.validate();
    const auto chains = static_cast<int>(std::min<long long>(params.chains, params.sequences));
    ChainBatch batch = ChainBatch::make(rbm, chains, params.seed, 0, params.beta);
    GibbsOptions options;
    options.beta = params.beta;
    StateMatrix out(params.sequences, rbm.sites);
    const long long rounds = (params.sequences + chains - 1) / chains;
    Progress progress("sampling", params.burn_in + rounds * params.spacing);
    gibbs_sweeps(rbm, batch, static_cast<int>(params.burn_in), options);
    progress.add(params.burn_in);
    long long row = 0;
    for (long long round = 0; round < rounds; ++round) {
        gibbs_sweeps(rbm, batch, static_cast<int>(params.spacing), options);
        progress.add(params.spacing);
        for (int c = 0; c < chains && row < params.sequences; ++c, ++row) out.row(row) = batch.visible.row(c);
    }
    return out;
}

}  // namespace pottsrbm::model
