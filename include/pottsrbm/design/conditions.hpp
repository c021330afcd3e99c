// Conditions on a Potts-RBM for design: visible sites clamped to residues, hidden units clamped to
// a value (Tubiana-style conditional design) or biased. Notation of model/rbm.hpp.
//
//   clamp h_mu = x : P(v | h_mu = x) is proportional to
//                      exp( sum_i [g_i(v_i) + x W_{i mu}(v_i)] + sum_{nu != mu} Gamma_nu(I_nu(v)) ),
//                    the law of the model with fields g + x W_{. mu} and unit mu removed; at inverse
//                    temperature beta it is the same model at beta (U_mu(x) is a constant).
//   bias b on mu   : Gamma_mu(I) -> Gamma_mu(I + b), i.e. U_mu(h) -> U_mu(h) - b h
//                    (theta_plus -= b, and theta_minus -= b for dReLU since h = h+ + h-).
//   fixed site i=a : v_i = a; Gibbs sampling draws the other sites from P(v_free | v_fixed, h).
//
// Hidden clamps and biases are folded into a derived model (conditioned_model); fixed sites are
// enforced by the sampler after every visible half-step (design/sampler.hpp).
// Users name sites by original 1-based alignment columns and hidden units by 1-based index.
#pragma once

#include "pottsrbm/model/rbm.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pottsrbm::design {

struct SiteClamp {
    int site = 0;            ///< 0-based model site
    std::uint8_t state = 0;  ///< Potts state
};

struct HiddenValue {
    int unit = 0;      ///< 0-based hidden unit
    double value = 0;  ///< clamped value of h_mu, or bias added to I_mu
};

struct Conditions {
    std::vector<SiteClamp> fixed_sites;
    std::vector<HiddenValue> clamped_hidden;
    std::vector<HiddenValue> hidden_bias;
    [[nodiscard]] bool empty() const { return fixed_sites.empty() && clamped_hidden.empty() && hidden_bias.empty(); }
};

/// Parses "12=K,40=W" (original 1-based alignment columns; a residue letter or '-' for the gap)
/// onto the model's sites. UsageError naming `option` for a malformed item, a column the model
/// does not have, a bad letter or a column given twice.
[[nodiscard]] std::vector<SiteClamp> parse_fixed_sites(std::string_view option, std::string_view spec,
                                                       const std::vector<int>& model_columns);

/// Parses "7=3.5,2=-1" (1-based hidden units, finite real values). UsageError naming `option` for
/// a malformed item, a unit outside 1..units or a unit given twice.
[[nodiscard]] std::vector<HiddenValue> parse_hidden_values(std::string_view option, std::string_view spec, int units);

/// Checks the conditions against `rbm`: indices in range, no unit both clamped and biased, clamped
/// values in the support of the unit (0 or 1 for Bernoulli, >= 0 for ReLU). UsageError naming the
/// option (--fix, --hidden, --hidden-bias).
void validate_conditions(const model::Rbm& rbm, const Conditions& conditions);

/// The model whose law is that of `rbm` under the hidden-unit clamps and biases (see the file
/// comment): H minus the number of clamped units; fields shifted by x W_{. mu}. Fixed sites are
/// not folded in. Columns and provenance are copied; has_log_z is cleared when anything changed.
[[nodiscard]] model::Rbm conditioned_model(const model::Rbm& rbm, const Conditions& conditions);

}  // namespace pottsrbm::design
