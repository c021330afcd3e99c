// Alternating Gibbs sampling of the Potts-RBM for a batch of chains, v -> h -> v, at inverse
// temperature beta applied to the whole energy. Chain b always uses rngs[b] (one stream per
// chain), so results do not depend on the number of threads.
//
// Shapes: visible B x N (uint8 states), hidden B x H (float), workspaces sized by make().
#pragma once

#include "pottsrbm/core/rng.hpp"
#include "pottsrbm/model/rbm.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <vector>

namespace pottsrbm::model {

/// A batch of persistent chains with their RNG streams and preallocated buffers.
struct ChainBatch {
    StateMatrix visible;       ///< B x N
    RowMatrixXf hidden;        ///< B x H, last sampled h
    RowMatrixXf inputs;        ///< B x H, I(v) computed by the last hidden half-step (gibbs_sweeps
                               ///< and make leave it equal to I(visible))
    RowMatrixXf visible_field; ///< B x (N*q) workspace: g + W h
    RowMatrixXf scaled_inputs; ///< B x H workspace: beta * inputs (sized on first use at beta != 1)
    std::vector<Rng> rngs;     ///< B streams

    /// B chains for `rbm`, streams (seed, first_stream + b), visible states drawn from the
    /// independent-site law of the model fields (softmax of beta * fields, beta = 1 here),
    /// hidden states 0 and inputs = I(visible).
    static ChainBatch make(const Rbm& rbm, int chains, std::uint64_t seed, std::uint64_t first_stream = 0);
    /// The same with the initial visible states drawn at inverse temperature `beta` (>= 0).
    static ChainBatch make(const Rbm& rbm, int chains, std::uint64_t seed, std::uint64_t first_stream, double beta);
    [[nodiscard]] int chains() const { return static_cast<int>(visible.rows()); }
};

/// Sampling options (beta = 1 samples P(v)).
struct GibbsOptions {
    double beta = 1.0;
};

/// One half-step: h ~ P(h | v) for every chain (also refreshes `inputs`).
void sample_hidden_given_visible(const Rbm& rbm, ChainBatch& batch, const GibbsOptions& options = {});
/// One half-step: v ~ P(v | h) for every chain (sites are independent given h).
void sample_visible_given_hidden(const Rbm& rbm, ChainBatch& batch, const GibbsOptions& options = {});
/// `sweeps` full sweeps v -> h -> v.
void gibbs_sweeps(const Rbm& rbm, ChainBatch& batch, int sweeps, const GibbsOptions& options = {});

}  // namespace pottsrbm::model
