// Training a Potts-RBM by persistent contrastive divergence (PCD) on weighted sequences.
//
// One update on a minibatch D of data with weights w (batch averages are weighted: sum w x / sum w)
// and the persistent chains C (advanced by gibbs_steps alternating Gibbs sweeps first):
//   grad = <-dF/dtheta>_D - <-dF/dtheta>_C - d(regularization)/dtheta
// where the hidden expectations are conditional means E[h|v] (Rao-Blackwellized), then an Adam or
// SGD-with-momentum ascent step, hidden-potential domain projection (gamma >= gamma_min), and the
// zero-sum gauge on W (with the compensating threshold shift, so P(v) is unchanged).
//
// Centering: hidden thresholds are parametrized relative to the input at the data mean,
// theta_pm = theta'_pm + mu_I(W) with mu_I(W)_mu = sum_{i,a} f_i(a) W_{i mu}(a); the optimizer moves
// (W, theta'), so the W gradient gains f_i(a) * (dL/dtheta_plus + dL/dtheta_minus). This is an exact
// reparametrization (PGM's "batch norm" of the thresholds), which decouples W from the thresholds.
//
// Regularization (subtracted from the log-likelihood per sequence):
//   l2_fields/2 sum g^2 + l1 sum |W| + l2/2 sum W^2 + l1b/(2 q N) sum_mu (sum_{i,a} |W_{i mu}(a)|)^2
//
// Hidden-unit scale: (W_mu, gamma_mu, theta_mu) -> (s W_mu, s^2 gamma_mu, s theta_mu) leaves P(v)
// unchanged (h -> h/s), so the scale of a unit is a gauge. Left free, the L1/L1^2 penalties shrink
// W and gamma together until gamma sits on its floor, which leaves units with enormous variance
// (and an unreliable AIS). After every update each continuous unit is moved to the gauge
// min(gamma_plus, gamma_minus) = 1 (dReLU) or gamma = 1 (Gaussian, ReLU): no branch has a
// conditional variance above 1, the penalties act on identifiable weights and the fixed step sizes
// of Adam mean the same for every unit.
//
// Learning rate: constant for the first decay_after fraction of epochs, then geometric decay to
// lr_final at the last epoch (as PGM). Everything random derives from `seed`: chain c uses stream
// c, the minibatch order of epoch e uses stream (2^32 + e), the validation split stream 2^33.
#pragma once

#include "pottsrbm/core/rng.hpp"
#include "pottsrbm/model/moments.hpp"
#include "pottsrbm/model/rbm.hpp"
#include "pottsrbm/model/sampling.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace pottsrbm::train {

enum class OptimizerKind { adam, sgd };

struct TrainParams {
    int hidden_units = 100;                               ///< --hidden-units
    model::HiddenType hidden_type = model::HiddenType::drelu;  ///< --hidden
    long long epochs = 0;                                 ///< --epochs (0: auto, ~4 million sequences)
    long long batch_size = 200;                           ///< --batch-size
    long long chains = 0;                                 ///< --chains (0: = batch size)
    long long gibbs_steps = 10;                           ///< --gibbs-steps per update
    OptimizerKind optimizer = OptimizerKind::adam;        ///< --optimizer
    double learning_rate = 5e-3;                          ///< --lr
    double lr_final = 5e-5;                               ///< --lr-final
    double decay_after = 0.5;                             ///< --decay-after (fraction of epochs)
    double adam_beta1 = 0.0;                              ///< --adam-beta1 (PGM: no first moment)
    double adam_beta2 = 0.99;                             ///< --adam-beta2
    double adam_epsilon = 1e-3;                           ///< --adam-epsilon
    double momentum = 0.9;                                ///< --momentum (SGD)
    double gradient_clip = 1.0;                           ///< --clip: elementwise bound (0 = none)
    double l2_fields = 0.0;                               ///< --l2-fields
    double l1 = 0.0;                                      ///< --l1 (weights)
    double l2 = 0.0;                                      ///< --l2 (weights)
    double l1b = std::numeric_limits<double>::quiet_NaN();  ///< --l1b (NaN: 0.25 for dReLU, else 0)
    double gamma_min = 0.05;                              ///< smallest curvature of hidden potentials
    bool fix_hidden_scale = true;                         ///< curvature gauge (--free-hidden-scale: off)
    double weight_init = -1;                              ///< --weight-init std (<0: sqrt(0.1/N))
    double field_pseudocount = 1e-3;                      ///< pseudocount of the initial fields
    double validation = 0.0;                              ///< --validation fraction
    std::uint64_t seed = 1;                               ///< --seed
    long long monitor_sequences = 200;                    ///< sequences used for the monitoring PLL (SE ~0.01/site)
    long long metrics_every = 0;                          ///< epochs between monitoring lines (0: ~50 lines)

    [[nodiscard]] double effective_l1b() const;
    [[nodiscard]] long long effective_chains() const { return chains > 0 ? chains : batch_size; }
    /// Epochs between monitoring lines: metrics_every, or epochs/50 (at least 1) when it is 0.
    [[nodiscard]] long long effective_metrics_every(long long total_epochs) const {
        return metrics_every > 0 ? metrics_every : std::max(1LL, total_epochs / 50);
    }
    /// Epochs when `epochs` is 0: about 4 million sequences in minibatches (20,000 updates of 200),
    /// within [20, 2000].
    [[nodiscard]] long long effective_epochs(long long training_sequences) const;
    /// UsageError naming the option and the value.
    void validate() const;
};

/// Training data: encoded sequences and their weights (already filtered and weighted).
struct TrainingSet {
    model::StateMatrix sequences;  ///< M x N
    Eigen::VectorXd weights;       ///< M
    std::vector<std::int64_t> index;  ///< row of each sequence in the alignment
};

/// Splits off a random `fraction` of the sequences as a validation set (stream 2^33 of seed).
void split_validation(const model::StateMatrix& sequences, const Eigen::VectorXd& weights, double fraction,
                      std::uint64_t seed, TrainingSet& train, TrainingSet& validation);

/// One line of training metrics (one per monitored epoch).
struct EpochMetrics {
    long long epoch = 0;
    double seconds = 0;            ///< elapsed training time
    double learning_rate = 0;
    double pll_train = 0;          ///< pseudo-log-likelihood per site (weighted mean, subsample)
    double pll_validation = std::numeric_limits<double>::quiet_NaN();
    double single_pearson = 0;     ///< persistent chains vs training data
    double connected_pearson = 0;
    double participation_ratio = 0;  ///< mean over the active units (model::weight_sparsity)
    double max_abs_weight = 0;
    int active_units = 0;            ///< units with weights (model::active_units)
};

/// Optimizer state for one parameter block (first and second moments or momentum).
struct OptimizerState {
    std::vector<Eigen::VectorXf> first;   ///< per block
    std::vector<Eigen::VectorXf> second;  ///< per block (Adam)
    long long steps = 0;
};

/// Everything needed to continue training exactly: parameters, optimizer, chains, position.
struct TrainingState {
    model::Rbm rbm;
    OptimizerState optimizer;
    model::ChainBatch chains;
    Eigen::VectorXf centering;  ///< H: mu_I(W) at the last update (threshold centering)
    long long epoch = 0;        ///< completed epochs
    long long batch = 0;        ///< completed minibatches of the current epoch
    long long updates = 0;
};

/// Called after every epoch (checkpoints, progress); `metrics` is non-null on monitored epochs
/// (every effective_metrics_every epochs and the last one).
using EpochCallback = std::function<void(const EpochMetrics* metrics, const TrainingState&)>;

class Trainer {
public:
    /// Prepares training: validates shapes, computes data statistics and fixes the schedule.
    Trainer(TrainParams params, TrainingSet train, TrainingSet validation, int states);

    /// A fresh state: independent-site fields, random weights, default hidden units, chains
    /// drawn from the independent-site model.
    [[nodiscard]] TrainingState initial_state() const;

    /// Runs from `state` until the last epoch, or until `stop` becomes true (then returns false
    /// right after a completed minibatch, with `state` consistent for a checkpoint). Throws
    /// RuntimeFailure naming the epoch when parameters become non-finite or explode.
    bool run(TrainingState& state, const EpochCallback& on_epoch, const std::atomic<bool>* stop = nullptr);

    /// One PCD update on rows [begin, end) of the epoch's permutation (exposed for tests).
    void update(TrainingState& state, const std::vector<std::int64_t>& batch_rows);

    /// Monitoring metrics of the current state.
    [[nodiscard]] EpochMetrics metrics(const TrainingState& state) const;

    /// The regularized objective per sequence: weighted mean of log P*(v) = -F(v) over `set`
    /// minus the regularization (log Z excluded). Used by gradient tests.
    [[nodiscard]] double regularization(const model::Rbm& rbm) const;

    /// The full gradient of the objective for a data batch and a chain batch (exposed for tests):
    /// data term minus chain term minus regularization, including the centering correction.
    /// `chain_inputs` (optional, chains x H): the chains' hidden inputs I(v) at `rbm`, as
    /// gibbs_sweeps leaves them in ChainBatch::inputs, used instead of gathering them again.
    void gradient(const model::Rbm& rbm, const model::StateMatrix& data, const Eigen::VectorXd& data_weights,
                  const model::StateMatrix& chains, model::Gradient& out,
                  const model::RowMatrixXf* chain_inputs = nullptr) const;

    [[nodiscard]] const TrainParams& params() const { return params_; }
    [[nodiscard]] long long epochs() const { return epochs_; }
    [[nodiscard]] long long batches_per_epoch() const;
    [[nodiscard]] double learning_rate(long long epoch) const;
    /// The minibatch order of epoch `epoch` (a permutation of the training rows).
    [[nodiscard]] std::vector<std::int64_t> epoch_order(long long epoch) const;
    [[nodiscard]] const TrainingSet& training_set() const { return train_; }
    [[nodiscard]] const TrainingSet& validation_set() const { return validation_; }
    /// Weighted one-site frequencies of the training data (N x q).
    [[nodiscard]] const Eigen::MatrixXd& data_frequencies() const { return data_stats_.single; }

private:
    void apply_update(TrainingState& state, const model::Gradient& gradient, double learning_rate);
    void update_centering(TrainingState& state) const;
    /// mu_I(W) = W^T f: the hidden inputs of the mean training sequence (H).
    [[nodiscard]] Eigen::VectorXf centered_input(const model::Rbm& rbm) const;

    TrainParams params_;
    TrainingSet train_;
    TrainingSet validation_;
    int states_ = 0;
    long long epochs_ = 0;
    model::SiteStatistics data_stats_;
    Eigen::VectorXf frequency_vector_;  ///< N*q: f_i(a) at i*q + a
    // Preallocated workspaces for update().
    model::StateMatrix batch_sequences_;
    Eigen::VectorXd batch_weights_;
    model::Gradient gradient_;
    /// N x 3H: per site, the centered input before the gauges, the mean over states, the centered
    /// input after them (apply_update).
    model::RowMatrixXd site_sums_;
    model::RowMatrixXf site_max_abs_weight_;  ///< N x H: per site and unit, max over states of |W|
    float max_abs_weight_ = 0;  ///< max |W| after the last update (NaN when a weight is NaN)
    mutable model::RowMatrixXd site_l1_;  ///< N x H workspace of gradient(): per-site sum_a |W|
    mutable Eigen::VectorXd data_weights_;   ///< workspace of gradient(): data weights / their sum
    mutable Eigen::VectorXd chain_weights_;  ///< workspace of gradient(): -1 / chains each
    // Monitoring subsets.
    model::StateMatrix monitor_train_;
    Eigen::VectorXd monitor_train_weights_;
};

}  // namespace pottsrbm::train
