// A planted Potts-RBM with known, documented motifs, to simulate alignments whose ground truth is
// known (the bundled example in data/ is made this way; see docs/planted-model.md).
//
// Sites i = 0..N-1 (N >= 12), q = 21. Fields: a conserved "family profile" (each site favours two
// or three residues of one physico-chemical class, gaps are rare). Hidden units (dReLU):
//   0 "disulfide"    : sites c1, c2 both C (weights +1.6 on C at both sites)
//   1 "salt bridge"  : K/R at one site with D/E at the other (weights of opposite signs, so that
//                      |I| is large for the two complementary pairs)
//   2 "subfamily"    : a 6-site signature switching between two residue sets (bimodal input)
//   3 "hydrophobic core": 4 sites that are all large hydrophobic (ILVF) or all small (AGS)
// Motif sites are spread over the sequence (documented positions, scaled with N).
#pragma once

#include "pottsrbm/model/rbm.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace pottsrbm::model {

struct PlantedMotif {
    std::string name;
    std::vector<int> sites;  ///< 0-based
};

struct PlantedModel {
    Rbm rbm;
    std::vector<PlantedMotif> motifs;  ///< one per hidden unit, in unit order
};

/// The planted model for `sites` columns (>= 12). Deterministic given `seed`.
[[nodiscard]] PlantedModel make_planted_model(int sites, std::uint64_t seed);

struct SimulationParams {
    long long sequences = 2000;   ///< --sequences
    long long burn_in = 500;      ///< Gibbs sweeps before the first sample
    long long spacing = 20;       ///< sweeps between two samples of a chain
    long long chains = 100;       ///< independent chains
    double beta = 1.0;
    std::uint64_t seed = 1;
    void validate() const;  ///< UsageError naming the option
};

/// Equilibrium samples of `rbm` (sequences x N): `chains` chains, burn-in, then one sample every
/// `spacing` sweeps, rows ordered chain-major within each sampling round.
[[nodiscard]] StateMatrix simulate_sequences(const Rbm& rbm, const SimulationParams& params);

}  // namespace pottsrbm::model
