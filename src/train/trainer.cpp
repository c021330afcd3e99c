// PCD training of the Potts-RBM (see trainer.hpp for the algorithm and its conventions).
#include "pottsrbm/train/trainer.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/log.hpp"
#include "pottsrbm/core/threads.hpp"
#include "pottsrbm/model/likelihood.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <numeric>

namespace pottsrbm::train {
namespace {

constexpr std::uint64_t order_stream = 1ULL << 32;
constexpr std::uint64_t validation_stream = 1ULL << 33;
constexpr std::uint64_t init_stream = 1ULL << 34;
constexpr std::uint64_t monitor_stream = 1ULL << 35;
constexpr float exploded_weight = 1e3F;

std::vector<std::int64_t> permutation(std::int64_t size, Rng& rng) {
    std::vector<std::int64_t> order(static_cast<std::size_t>(size));
    std::iota(order.begin(), order.end(), std::int64_t{0});
    for (std::int64_t i = size - 1; i > 0; --i) {
        const auto j = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(i + 1)));
        std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(j)]);
    }
    return order;
}

void gather_rows(const model::StateMatrix& from, const Eigen::VectorXd& from_weights,
                 const std::vector<std::int64_t>& rows, model::StateMatrix& to, Eigen::VectorXd& to_weights) {
    to.resize(static_cast<Eigen::Index>(rows.size()), from.cols());
    to_weights.resize(static_cast<Eigen::Index>(rows.size()));
    for (std::size_t r = 0; r < rows.size(); ++r) {
        to.row(static_cast<Eigen::Index>(r)) = from.row(rows[r]);
        to_weights[static_cast<Eigen::Index>(r)] = from_weights[rows[r]];
    }
}

double weighted_mean(const Eigen::VectorXd& values, const Eigen::VectorXd& weights) {
    const double total = weights.sum();
    return total > 0 ? values.dot(weights) / total : std::numeric_limits<double>::quiet_NaN();
}

/// Parameter blocks moved by the optimizer: fields and weights (float gradients), then the hidden
/// arrays used by the type (double gradient columns of Gradient::hidden).
struct Block {
    float* values;
    const float* gradient;
    Eigen::Index size;
};
struct HiddenBlock {
    float* values;
    const double* gradient;
    Eigen::Index size;
};

}  // namespace

double TrainParams::effective_l1b() const {
    if (!std::isnan(l1b)) return l1b;
    return hidden_type == model::HiddenType::drelu ? 0.25 : 0.0;
}

long long TrainParams::effective_epochs(long long training_sequences) const {
    if (epochs > 0) return epochs;
    const long long batches = std::max(1LL, (training_sequences + batch_size - 1) / batch_size);
    return std::clamp(4'000'000LL / (batches * batch_size), 20LL, 2000LL);
}

void TrainParams::validate() const {
    auto positive = [](std::string_view option, long long value, long long max) {
        if (value < 1 || value > max)
            throw UsageError(fmt::format("{}: expected an integer in [1, {}], got {}", option, max, value));
    };
    positive("--hidden-units", hidden_units, 1'000'000);
    if (epochs < 0) throw UsageError(fmt::format("--epochs: expected a value >= 0 (0 = auto), got {}", epochs));
    positive("--batch-size", batch_size, 100'000'000);
    if (chains < 0) throw UsageError(fmt::format("--chains: expected a value >= 0 (0 = batch size), got {}", chains));
    positive("--gibbs-steps", gibbs_steps, 1'000'000);
    auto finite_positive = [](std::string_view option, double value) {
        if (!(value > 0) || !std::isfinite(value))
            throw UsageError(fmt::format("{}: expected a positive number, got {}", option, value));
    };
    auto non_negative = [](std::string_view option, double value) {
        if (!(value >= 0) || !std::isfinite(value))
            throw UsageError(fmt::format("{}: expected a number >= 0, got {}", option, value));
    };
    auto unit_interval = [](std::string_view option, double value, bool include_one) {
        if (!(value >= 0) || value > 1 || (!include_one && value == 1))
            throw UsageError(fmt::format("{}: expected a number in [0, 1{}, got {}", option, include_one ? "]" : ")",
                                         value));
    };
    finite_positive("--lr", learning_rate);
    finite_positive("--lr-final", lr_final);
    unit_interval("--decay-after", decay_after, true);
    unit_interval("--adam-beta1", adam_beta1, false);
    unit_interval("--adam-beta2", adam_beta2, false);
    finite_positive("--adam-epsilon", adam_epsilon);
    unit_interval("--momentum", momentum, false);
    non_negative("--clip", gradient_clip);
    non_negative("--l2-fields", l2_fields);
    non_negative("--l1", l1);
    non_negative("--l2", l2);
    if (!std::isnan(l1b)) non_negative("--l1b", l1b);
    finite_positive("--gamma-min", gamma_min);
    if (weight_init >= 0 && !std::isfinite(weight_init))
        throw UsageError(fmt::format("--weight-init: expected a finite number, got {}", weight_init));
    unit_interval("--field-pseudocount", field_pseudocount, false);
    unit_interval("--validation", validation, false);
    positive("--monitor-sequences", monitor_sequences, 100'000'000);
    if (metrics_every < 0)
        throw UsageError(fmt::format("--metrics-every: expected a value >= 0 (0 = auto), got {}", metrics_every));
}

void split_validation(const model::StateMatrix& sequences, const Eigen::VectorXd& weights, double fraction,
                      std::uint64_t seed, TrainingSet& train, TrainingSet& validation) {
    const auto m = sequences.rows();
    Rng rng(seed, validation_stream);
    auto order = permutation(m, rng);
    auto held_out = static_cast<std::int64_t>(std::llround(fraction * static_cast<double>(m)));
    if (fraction > 0 && held_out == 0) held_out = 1;
    if (held_out >= m && fraction > 0)
        throw UsageError(fmt::format("--validation {}: leaves no training sequence out of {}", fraction, m));
    std::vector<std::int64_t> validation_rows(order.begin(), order.begin() + held_out);
    std::vector<std::int64_t> train_rows(order.begin() + held_out, order.end());
    std::sort(validation_rows.begin(), validation_rows.end());
    std::sort(train_rows.begin(), train_rows.end());
    gather_rows(sequences, weights, train_rows, train.sequences, train.weights);
    gather_rows(sequences, weights, validation_rows, validation.sequences, validation.weights);
    train.index = std::move(train_rows);
    validation.index = std::move(validation_rows);
}

Trainer::Trainer(TrainParams params, TrainingSet train, TrainingSet validation, int states)
    : params_(std::move(params)), train_(std::move(train)), validation_(std::move(validation)), states_(states) {
    params_.validate();
    if (train_.sequences.rows() == 0) throw InputError("training set is empty");
    if (train_.weights.size() != train_.sequences.rows())
        throw UsageError(fmt::format("training set: {} weights for {} sequences", train_.weights.size(),
                                     train_.sequences.rows()));
    if (!(train_.weights.array() >= 0).all() || !(train_.weights.sum() > 0))
        throw InputError("training set: weights must be >= 0 with a positive sum");
    epochs_ = params_.effective_epochs(train_.sequences.rows());
    data_stats_ = model::site_statistics(train_.sequences, train_.weights, states_);
    frequency_vector_.resize(data_stats_.single.size());
    for (Eigen::Index i = 0; i < data_stats_.single.rows(); ++i)
        for (Eigen::Index a = 0; a < states_; ++a)
            frequency_vector_[i * states_ + a] = static_cast<float>(data_stats_.single(i, a));

    // Fixed monitoring subsets (stream monitor_stream), so metrics are comparable across epochs.
    Rng rng(params_.seed, monitor_stream);
    auto order = permutation(train_.sequences.rows(), rng);
    order.resize(static_cast<std::size_t>(std::min<long long>(params_.monitor_sequences, train_.sequences.rows())));
    std::sort(order.begin(), order.end());
    gather_rows(train_.sequences, train_.weights, order, monitor_train_, monitor_train_weights_);
}

long long Trainer::batches_per_epoch() const {
    return std::max(1LL, (train_.sequences.rows() + params_.batch_size - 1) / params_.batch_size);
}

double Trainer::learning_rate(long long epoch) const {
    const double start = std::floor(params_.decay_after * static_cast<double>(epochs_));
    const double decay_epochs = static_cast<double>(epochs_) - start;
    if (static_cast<double>(epoch) < start || decay_epochs <= 0 || epochs_ <= 1) return params_.learning_rate;
    const double progress = (static_cast<double>(epoch) - start + 1.0) / decay_epochs;
    return params_.learning_rate * std::pow(params_.lr_final / params_.learning_rate, std::min(1.0, progress));
}

std::vector<std::int64_t> Trainer::epoch_order(long long epoch) const {
    Rng rng(params_.seed, order_stream + static_cast<std::uint64_t>(epoch));
    return permutation(train_.sequences.rows(), rng);
}

TrainingState Trainer::initial_state() const {
    const int n = static_cast<int>(train_.sequences.cols());
    TrainingState state;
    state.rbm = model::Rbm::make(n, states_, params_.hidden_units, params_.hidden_type);
    state.rbm.fields = model::independent_site_fields(train_.sequences, train_.weights, states_,
                                                      params_.field_pseudocount);
    const double scale = params_.weight_init >= 0 ? params_.weight_init : std::sqrt(0.1 / n);
    Rng rng(params_.seed, init_stream);
    for (Eigen::Index r = 0; r < state.rbm.weights.rows(); ++r)
        for (Eigen::Index c = 0; c < state.rbm.weights.cols(); ++c)
            state.rbm.weights(r, c) = static_cast<float>(scale * rng.normal());
    model::apply_zero_sum_gauge(state.rbm);
    state.centering = Eigen::VectorXf::Zero(params_.hidden_units);
    update_centering(state);  // thresholds start at the input of the mean sequence
    state.chains = model::ChainBatch::make(state.rbm, static_cast<int>(params_.effective_chains()), params_.seed, 0);
    // Optimizer blocks: fields, weights, gamma_plus, theta_plus, gamma_minus, theta_minus.
    const Eigen::Index sizes[6] = {state.rbm.fields.size(), state.rbm.weights.size(), params_.hidden_units,
                                   params_.hidden_units, params_.hidden_units, params_.hidden_units};
    for (auto size : sizes) {
        state.optimizer.first.emplace_back(Eigen::VectorXf::Zero(size));
        state.optimizer.second.emplace_back(
            params_.optimizer == OptimizerKind::adam ? Eigen::VectorXf::Zero(size) : Eigen::VectorXf());
    }
    return state;
}

Eigen::VectorXf Trainer::centered_input(const model::Rbm& rbm) const {
    // The arithmetic of apply_update: per-site sums in double, added in site order.
    const Eigen::Index h = rbm.units();
    Eigen::VectorXd total = Eigen::VectorXd::Zero(h);
    Eigen::VectorXd site(h);
    for (int i = 0; i < rbm.sites; ++i) {
        site.setZero();
        for (int a = 0; a < rbm.states; ++a) {
            const Eigen::Index r = static_cast<Eigen::Index>(i) * rbm.states + a;
            site += static_cast<double>(frequency_vector_[r]) * rbm.weights.row(r).transpose().cast<double>();
        }
        total += site;
    }
    return total.cast<float>();
}

void Trainer::update_centering(TrainingState& state) const {
    const Eigen::VectorXf mu = centered_input(state.rbm);
    const Eigen::VectorXf delta = mu - state.centering;
    state.rbm.hidden.theta_plus += delta;
    if (state.rbm.hidden.type == model::HiddenType::drelu) state.rbm.hidden.theta_minus += delta;
    state.centering = mu;
}

double Trainer::regularization(const model::Rbm& rbm) const {
    const double l1b = params_.effective_l1b();
    double penalty = 0.5 * params_.l2_fields * rbm.fields.cast<double>().squaredNorm();
    penalty += params_.l1 * rbm.weights.cast<double>().cwiseAbs().sum();
    penalty += 0.5 * params_.l2 * rbm.weights.cast<double>().squaredNorm();
    if (l1b > 0) {
        const double scale = l1b / (2.0 * rbm.states * rbm.sites);
        const Eigen::VectorXd unit_l1 = rbm.weights.cast<double>().cwiseAbs().colwise().sum().transpose();
        penalty += scale * unit_l1.squaredNorm();
    }
    return penalty;
}

void Trainer::gradient(const model::Rbm& rbm, const model::StateMatrix& data, const Eigen::VectorXd& data_weights,
                       const model::StateMatrix& chains, model::Gradient& out,
                       const model::RowMatrixXf* chain_inputs) const {
    data_weights_ = data_weights / data_weights.sum();
    chain_weights_.setConstant(chains.rows(), -1.0 / static_cast<double>(chains.rows()));
    const std::array<model::GradientTerm, 2> terms = {{{&data, &data_weights_, nullptr},
                                                        {&chains, &chain_weights_, chain_inputs}}};
    model::accumulate_log_prob_gradient(rbm, terms, out, /*overwrite=*/true);

    // One pass over the rows of W (row-major, (N*q) x H) for the centering correction and the
    // regularization. Centering: W moves with theta' fixed, so dL/dW gains
    // f_i(a) (dL/dtheta_plus + dL/dtheta_minus).
    const Eigen::Index units = rbm.units();
    const Eigen::RowVectorXf theta_gradient = (out.hidden.col(1) + out.hidden.col(3)).transpose().cast<float>();
    const double l1b = params_.effective_l1b();
    const bool l1_terms = params_.l1 > 0 || l1b > 0;
    // d/dW_{i mu}(a) of l1 |W| + l1b/(2qN) (sum |W_mu|)^2 = sign(W_{i mu}(a)) * unit_scale_mu.
    Eigen::RowVectorXf unit_scale = Eigen::RowVectorXf::Constant(units, static_cast<float>(params_.l1));
    const auto l2 = static_cast<float>(params_.l2);
    const float* tg = theta_gradient.data();
    const float* scale = unit_scale.data();
    if (l1b > 0) site_l1_.resize(rbm.sites, units);
#pragma omp parallel num_threads(pottsrbm::threads())
    {
        if (l1b > 0) {
            // sum_{i,a} |W_{i mu}(a)|: per-site sums in parallel, added in site order.
#pragma omp for schedule(static)
            for (int i = 0; i < rbm.sites; ++i) {
                double* sum = &site_l1_(i, 0);
                std::fill(sum, sum + units, 0.0);
                for (int a = 0; a < rbm.states; ++a) {
                    const float* w = &rbm.weights(static_cast<Eigen::Index>(i) * rbm.states + a, 0);
                    for (Eigen::Index mu = 0; mu < units; ++mu) sum[mu] += std::fabs(w[mu]);
                }
            }
#pragma omp single
            {
                const Eigen::RowVectorXd unit_l1 = site_l1_.colwise().sum();
                unit_scale += (l1b / (static_cast<double>(rbm.states) * rbm.sites) * unit_l1).cast<float>();
            }
        }
#pragma omp for schedule(static)
        for (Eigen::Index r = 0; r < rbm.weights.rows(); ++r) {
            float* __restrict g = &out.weights(r, 0);
            const float* __restrict w = &rbm.weights(r, 0);
            const float f = frequency_vector_[r];
            if (l1_terms) {
                for (Eigen::Index mu = 0; mu < units; ++mu) {
                    const float sign = static_cast<float>(w[mu] > 0) - static_cast<float>(w[mu] < 0);
                    g[mu] = (g[mu] + f * tg[mu]) - l2 * w[mu] - sign * scale[mu];
                }
            } else {
                for (Eigen::Index mu = 0; mu < units; ++mu) g[mu] = (g[mu] + f * tg[mu]) - l2 * w[mu];
            }
        }
    }
    if (params_.l2_fields > 0) out.fields -= static_cast<float>(params_.l2_fields) * rbm.fields;
}

void Trainer::update(TrainingState& state, const std::vector<std::int64_t>& batch_rows) {
    gather_rows(train_.sequences, train_.weights, batch_rows, batch_sequences_, batch_weights_);
    model::gibbs_sweeps(state.rbm, state.chains, static_cast<int>(params_.gibbs_steps));
    // gibbs_sweeps leaves the chains' inputs at the current parameters (it makes at least one sweep).
    gradient(state.rbm, batch_sequences_, batch_weights_, state.chains.visible, gradient_, &state.chains.inputs);
    apply_update(state, gradient_, learning_rate(state.epoch));
    ++state.updates;
}

void Trainer::apply_update(TrainingState& state, const model::Gradient& gradient, double learning_rate) {
    auto& rbm = state.rbm;
    auto& hidden = rbm.hidden;
    const Eigen::Index h = rbm.units();
    // Hidden gradient columns (double): gamma_plus, theta_plus, gamma_minus, theta_minus.
    const std::array<Block, 2> float_blocks = {{
        {rbm.fields.data(), gradient.fields.data(), rbm.fields.size()},
        {rbm.weights.data(), gradient.weights.data(), rbm.weights.size()},
    }};
    const std::array<HiddenBlock, 4> hidden_blocks = {{
        {hidden.gamma_plus.data(), gradient.hidden.col(0).data(), h},
        {hidden.theta_plus.data(), gradient.hidden.col(1).data(), h},
        {hidden.gamma_minus.data(), gradient.hidden.col(2).data(), h},
        {hidden.theta_minus.data(), gradient.hidden.col(3).data(), h},
    }};
    bool used[6] = {true, true, false, true, false, false};
    switch (hidden.type) {
        case model::HiddenType::bernoulli: break;
        case model::HiddenType::gaussian:
        case model::HiddenType::relu: used[2] = true; break;
        case model::HiddenType::drelu: used[2] = used[4] = used[5] = true; break;
    }

    auto& optimizer = state.optimizer;
    ++optimizer.steps;
    const auto clip = static_cast<float>(params_.gradient_clip > 0 ? params_.gradient_clip
                                                                  : std::numeric_limits<double>::infinity());
    const auto lr = static_cast<float>(learning_rate);
    const bool adam = params_.optimizer == OptimizerKind::adam;
    const auto b1 = static_cast<float>(params_.adam_beta1);
    const auto b2 = static_cast<float>(params_.adam_beta2);
    const auto eps = static_cast<float>(params_.adam_epsilon);
    const auto steps = static_cast<double>(optimizer.steps);
    // Bias corrections folded into two constants: the step is lr m/c1 / (eps + sqrt(v/c2)) =
    // m step_scale / (eps + sqrt(v) root_scale), one square root and one division per element.
    const double correction1 = b1 > 0 ? 1.0 - std::pow(params_.adam_beta1, steps) : 1.0;
    const double correction2 = 1.0 - std::pow(params_.adam_beta2, steps);
    const auto step_scale = static_cast<float>(learning_rate / correction1);
    const auto root_scale = static_cast<float>(1.0 / std::sqrt(correction2));
    const auto momentum = static_cast<float>(params_.momentum);
    // One optimizer step on elements [start, start + n) of parameter block k, in chunks that stay
    // in L1 across the moment and value updates. Elementwise: any split gives the same result.
    constexpr Eigen::Index chunk = 1024;
    auto step = [&](std::size_t k, Eigen::Index start, Eigen::Index n) {
        for (Eigen::Index begin = start; begin < start + n; begin += chunk) {
            const Eigen::Index count = std::min(chunk, start + n - begin);
            auto apply = [&](auto values, const auto& g) {
                auto first = optimizer.first[k].segment(begin, count).array();
                if (adam) {
                    auto second = optimizer.second[k].segment(begin, count).array();
                    first = b1 * first + (1 - b1) * g;
                    second = b2 * second + (1 - b2) * g.square();
                    values += step_scale * first / (eps + root_scale * second.sqrt());
                } else {
                    first = momentum * first + (1 - momentum) * lr * g;
                    values += first;
                }
            };
            if (k < 2) {
                const Block& block = float_blocks[k];
                apply(Eigen::Map<Eigen::ArrayXf>(block.values + begin, count),
                      Eigen::Map<const Eigen::ArrayXf>(block.gradient + begin, count).max(-clip).min(clip));
            } else {
                const HiddenBlock& block = hidden_blocks[k - 2];
                apply(Eigen::Map<Eigen::ArrayXf>(block.values + begin, count),
                      Eigen::Map<const Eigen::ArrayXd>(block.gradient + begin, count).cast<float>().max(-clip).min(clip));
            }
        }
    };

    // Fields and hidden parameters (small), then the scale gauge of each unit from its new
    // curvature: min(gamma+, gamma-) = 1 for dReLU, gamma = 1 for Gaussian and ReLU units.
    step(0, 0, rbm.fields.size());
    for (std::size_t k = 2; k < 6; ++k)
        if (used[k]) step(k, 0, h);
    const auto gamma_min = static_cast<float>(params_.gamma_min);
    if (used[2]) hidden.gamma_plus = hidden.gamma_plus.cwiseMax(gamma_min);
    if (used[4]) hidden.gamma_minus = hidden.gamma_minus.cwiseMax(gamma_min);
    for (int i = 0; i < rbm.sites; ++i) rbm.fields.row(i).array() -= static_cast<float>(rbm.fields.row(i).cast<double>().mean());
    Eigen::VectorXf scale = Eigen::VectorXf::Ones(h);
    if (params_.fix_hidden_scale && hidden.type != model::HiddenType::bernoulli)
        scale = (hidden.type == model::HiddenType::drelu ? hidden.gamma_plus.cwiseMin(hidden.gamma_minus)
                                                         : hidden.gamma_plus)
                    .cwiseSqrt()
                    .cwiseInverse();

    // Weights, one pass per site (in parallel; each site's arithmetic is fixed): the optimizer
    // step, the site's centered input c_i = sum_a f_i(a) W_i(a) and its mean over states m_i, the
    // zero-sum gauge W_i(a) -= m_i, the scale gauge W_i(a) *= s, and the centered input of the
    // final weights.
    const int states = rbm.states;
    const Eigen::Index site_size = static_cast<Eigen::Index>(states) * h;
    site_sums_.resize(rbm.sites, 3 * h);
    site_max_abs_weight_.resize(rbm.sites, h);
#pragma omp parallel for num_threads(pottsrbm::threads()) schedule(static)
    for (int i = 0; i < rbm.sites; ++i) {
        step(1, i * site_size, site_size);
        double* input_before = &site_sums_(i, 0);
        double* mean = input_before + h;
        double* input_after = mean + h;
        std::fill(input_before, input_before + 3 * h, 0.0);
        for (int a = 0; a < states; ++a) {
            const float* w = &rbm.weights(static_cast<Eigen::Index>(i) * states + a, 0);
            const double f = frequency_vector_[static_cast<Eigen::Index>(i) * states + a];
            for (Eigen::Index mu = 0; mu < h; ++mu) {
                input_before[mu] += f * w[mu];
                mean[mu] += w[mu];
            }
        }
        for (Eigen::Index mu = 0; mu < h; ++mu) mean[mu] = static_cast<float>(mean[mu] / states);
        // Per unit: max |W| over the site's states, NaN when one is NaN (elementwise: vectorized).
        float* largest = &site_max_abs_weight_(i, 0);
        std::fill(largest, largest + h, 0.0F);
        for (int a = 0; a < states; ++a) {
            float* w = &rbm.weights(static_cast<Eigen::Index>(i) * states + a, 0);
            const double f = frequency_vector_[static_cast<Eigen::Index>(i) * states + a];
            for (Eigen::Index mu = 0; mu < h; ++mu) {
                w[mu] = (w[mu] - static_cast<float>(mean[mu])) * scale[mu];
                input_after[mu] += f * w[mu];
                const float magnitude = std::fabs(w[mu]);
                // A NaN magnitude replaces the maximum and is never replaced (no comparison with it holds).
                largest[mu] = magnitude <= largest[mu] || std::isnan(largest[mu]) ? largest[mu] : magnitude;
            }
        }
    }
    max_abs_weight_ = 0;
    for (Eigen::Index k = 0; k < site_max_abs_weight_.size(); ++k) {
        const float largest = site_max_abs_weight_.data()[k];
        max_abs_weight_ = largest <= max_abs_weight_ || std::isnan(max_abs_weight_) ? max_abs_weight_ : largest;
    }
    // Site sums in site order; thresholds follow the centered input (theta += c - centering),
    // compensate the zero-sum shift (theta -= sum_i m_i) and take the scale (theta *= s, gamma *= s^2).
    const Eigen::VectorXd sums = site_sums_.colwise().sum().transpose();
    const Eigen::ArrayXd theta_shift = (sums.segment(0, h) - state.centering.cast<double>() - sums.segment(h, h)).array();
    const Eigen::ArrayXd s = scale.cast<double>().array();
    hidden.theta_plus = ((hidden.theta_plus.cast<double>().array() + theta_shift) * s).cast<float>().matrix();
    if (hidden.type == model::HiddenType::drelu)
        hidden.theta_minus = ((hidden.theta_minus.cast<double>().array() + theta_shift) * s).cast<float>().matrix();
    if (hidden.type != model::HiddenType::bernoulli) {
        hidden.gamma_plus.array() *= scale.array().square();
        if (hidden.type == model::HiddenType::drelu) hidden.gamma_minus.array() *= scale.array().square();
    }
    state.centering = sums.segment(2 * h, h).cast<float>();
}

EpochMetrics Trainer::metrics(const TrainingState& state) const {
    EpochMetrics m;
    m.epoch = state.epoch;
    m.learning_rate = learning_rate(std::max(0LL, state.epoch - 1));
    Eigen::VectorXd pll(monitor_train_.rows());
    model::pseudo_log_likelihood(state.rbm, monitor_train_, pll);
    m.pll_train = weighted_mean(pll, monitor_train_weights_);
    if (validation_.sequences.rows() > 0) {
        const auto rows = std::min<Eigen::Index>(validation_.sequences.rows(), params_.monitor_sequences);
        Eigen::VectorXd pll_validation(rows);
        model::pseudo_log_likelihood(state.rbm, validation_.sequences.topRows(rows), pll_validation);
        m.pll_validation = weighted_mean(pll_validation, validation_.weights.head(rows));
    }
    const auto chain_stats = model::site_statistics(state.chains.visible, Eigen::VectorXd(), states_);
    const auto match = model::compare_moments(data_stats_, chain_stats);
    m.single_pearson = match.single_pearson;
    m.connected_pearson = match.connected_pearson;
    const model::Sparsity sparsity = model::weight_sparsity(state.rbm);
    m.participation_ratio = sparsity.participation_ratio;
    m.active_units = sparsity.active_units;
    m.max_abs_weight = state.rbm.weights.size() > 0 ? state.rbm.weights.cwiseAbs().maxCoeff() : 0.0F;
    return m;
}

bool Trainer::run(TrainingState& state, const EpochCallback& on_epoch, const std::atomic<bool>* stop) {
    const long long batches = batches_per_epoch();
    const auto m = train_.sequences.rows();
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::int64_t> rows;
    while (state.epoch < epochs_) {
        const auto order = epoch_order(state.epoch);
        for (long long b = state.batch; b < batches; ++b) {
            const auto begin = static_cast<std::size_t>(b * m / batches);
            const auto end = static_cast<std::size_t>((b + 1) * m / batches);
            rows.assign(order.begin() + static_cast<std::ptrdiff_t>(begin), order.begin() + static_cast<std::ptrdiff_t>(end));
            update(state, rows);
            state.batch = b + 1;
            // apply_update measured max |W| in its pass over the weights (NaN when a weight is NaN).
            const auto& hidden = state.rbm.hidden;
            const float max_abs_weight = max_abs_weight_;
            if (!std::isfinite(max_abs_weight) || !state.rbm.fields.allFinite() || !hidden.theta_plus.allFinite() ||
                !hidden.theta_minus.allFinite() || !hidden.gamma_plus.allFinite() || !hidden.gamma_minus.allFinite())
                throw RuntimeFailure(fmt::format(
                    "training diverged at epoch {} (update {}): a parameter became NaN or infinite; likely cause: "
                    "learning rate too high (--lr {}) or too little regularization",
                    state.epoch + 1, state.updates, params_.learning_rate));
            if (max_abs_weight > exploded_weight)
                throw RuntimeFailure(fmt::format(
                    "training diverged at epoch {} (update {}): a weight exceeds {} in absolute value; likely cause: "
                    "learning rate too high (--lr {}) or too little regularization (--l1b, --l2)",
                    state.epoch + 1, state.updates, exploded_weight, params_.learning_rate));
            if (stop != nullptr && stop->load()) return false;
        }
        ++state.epoch;
        state.batch = 0;
        if (!on_epoch) continue;
        if (state.epoch % params_.effective_metrics_every(epochs_) == 0 || state.epoch == epochs_) {
            EpochMetrics metrics_line = metrics(state);
            metrics_line.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            on_epoch(&metrics_line, state);
        } else {
            on_epoch(nullptr, state);
        }
    }
    return true;
}

}  // namespace pottsrbm::train
