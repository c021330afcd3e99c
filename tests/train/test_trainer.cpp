// Tests of PCD training: the full regularized gradient against finite differences, recovery of a
// known tiny model (exact KL), bit-identical resume from a checkpoint, option validation and
// divergence handling.
#include "support/test_support.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/threads.hpp"
#include "pottsrbm/model/exact.hpp"
#include "pottsrbm/model/planted.hpp"
#include "pottsrbm/train/checkpoint.hpp"
#include "pottsrbm/train/trainer.hpp"

#include <catch2/catch.hpp>

#include <limits>

#include <atomic>
#include <cmath>

using namespace pottsrbm;

namespace {

model::Rbm random_model(int n, int q, int h, model::HiddenType type, std::uint64_t seed, double scale) {
    model::Rbm rbm = model::Rbm::make(n, q, h, type);
    Rng rng(seed, 0);
    for (Eigen::Index k = 0; k < rbm.fields.size(); ++k) rbm.fields.data()[k] = static_cast<float>(0.5 * rng.normal());
    for (Eigen::Index k = 0; k < rbm.weights.size(); ++k)
        rbm.weights.data()[k] = static_cast<float>(scale * rng.normal());
    for (int mu = 0; mu < h; ++mu) {
        rbm.hidden.gamma_plus[mu] = static_cast<float>(0.8 + 0.4 * rng.uniform());
        rbm.hidden.gamma_minus[mu] = static_cast<float>(0.8 + 0.4 * rng.uniform());
        rbm.hidden.theta_plus[mu] = static_cast<float>(0.3 * rng.normal());
        rbm.hidden.theta_minus[mu] = static_cast<float>(0.3 * rng.normal());
    }
    return rbm;
}

/// Exact samples of a tiny model by inverse CDF over all configurations.
model::StateMatrix exact_samples(const model::Rbm& rbm, int count, std::uint64_t seed) {
    const auto exact = model::enumerate_exact(rbm);
    model::StateMatrix out(count, rbm.sites);
    Rng rng(seed, 7);
    for (int s = 0; s < count; ++s) {
        double u = rng.uniform();
        Eigen::Index index = 0;
        while (index + 1 < exact.probabilities.size() && u >= exact.probabilities[index]) {
            u -= exact.probabilities[index];
            ++index;
        }
        std::vector<std::uint8_t> config(static_cast<std::size_t>(rbm.sites));
        model::configuration_from_index(index, rbm.sites, rbm.states, config.data());
        for (int i = 0; i < rbm.sites; ++i) out(s, i) = config[static_cast<std::size_t>(i)];
    }
    return out;
}

train::TrainingSet make_set(const model::StateMatrix& sequences, const Eigen::VectorXd& weights) {
    train::TrainingSet set;
    set.sequences = sequences;
    set.weights = weights;
    for (Eigen::Index m = 0; m < sequences.rows(); ++m) set.index.push_back(m);
    return set;
}

/// The objective whose gradient Trainer::gradient returns, in double precision.
double objective(const train::Trainer& trainer, const model::Rbm& rbm, const model::StateMatrix& data,
                 const Eigen::VectorXd& weights, const model::StateMatrix& chains) {
    Eigen::VectorXd f_data(data.rows());
    Eigen::VectorXd f_chains(chains.rows());
    model::free_energy(rbm, data, f_data);
    model::free_energy(rbm, chains, f_chains);
    return -f_data.dot(weights) / weights.sum() + f_chains.mean() - trainer.regularization(rbm);
}

}  // namespace

TEST_CASE("full training gradient matches finite differences (centered thresholds, regularizers)", "[train]") {
    const int n = 3;
    const int q = 3;
    for (auto type : {model::HiddenType::drelu, model::HiddenType::gaussian, model::HiddenType::relu,
                      model::HiddenType::bernoulli}) {
        INFO("hidden type " << model::to_string(type));
        const model::Rbm truth = random_model(n, q, 2, type, 11, 0.8);
        const model::StateMatrix data = exact_samples(truth, 40, 3);
        Eigen::VectorXd weights(data.rows());
        for (Eigen::Index m = 0; m < weights.size(); ++m) weights[m] = 0.5 + 0.05 * static_cast<double>(m % 7);
        train::TrainParams params;
        params.hidden_units = 2;
        params.hidden_type = type;
        params.l2_fields = 0.03;
        params.l1 = 0.02;
        params.l2 = 0.05;
        params.l1b = 0.3;
        params.batch_size = 10;
        const train::Trainer trainer(params, make_set(data, weights), train::TrainingSet{}, q);
        const model::Rbm rbm = random_model(n, q, 2, type, 29, 0.6);
        const model::StateMatrix chains = exact_samples(truth, 25, 5);

        model::Gradient gradient;
        trainer.gradient(rbm, data, weights, chains, gradient);
        const double eps = 1e-3;
        const auto& f = trainer.data_frequencies();
        auto central = [&](auto&& perturb) {
            model::Rbm plus = rbm;
            model::Rbm minus = rbm;
            perturb(plus, eps);
            perturb(minus, -eps);
            return (objective(trainer, plus, data, weights, chains) - objective(trainer, minus, data, weights, chains)) /
                   (2 * eps);
        };
        for (int i = 0; i < n; ++i)
            for (int a = 0; a < q; ++a) {
                const double numeric = central([&](model::Rbm& m, double e) { m.fields(i, a) += static_cast<float>(e); });
                CHECK(gradient.fields(i, a) == Approx(numeric).margin(2e-3));
            }
        for (int i = 0; i < n; ++i)
            for (int a = 0; a < q; ++a)
                for (int mu = 0; mu < 2; ++mu) {
                    // Centered coordinates: W moves with theta' = theta - W^T f fixed.
                    const double numeric = central([&](model::Rbm& m, double e) {
                        m.weights(i * q + a, mu) += static_cast<float>(e);
                        m.hidden.theta_plus[mu] += static_cast<float>(f(i, a) * e);
                        if (type == model::HiddenType::drelu) m.hidden.theta_minus[mu] += static_cast<float>(f(i, a) * e);
                    });
                    CHECK(gradient.weights(i * q + a, mu) == Approx(numeric).margin(3e-3));
                }
        for (int mu = 0; mu < 2; ++mu) {
            const double numeric_theta =
                central([&](model::Rbm& m, double e) { m.hidden.theta_plus[mu] += static_cast<float>(e); });
            CHECK(gradient.hidden(mu, 1) == Approx(numeric_theta).margin(2e-3));
            if (type != model::HiddenType::bernoulli) {
                const double numeric_gamma =
                    central([&](model::Rbm& m, double e) { m.hidden.gamma_plus[mu] += static_cast<float>(e); });
                CHECK(gradient.hidden(mu, 0) == Approx(numeric_gamma).margin(2e-3));
            }
            if (type == model::HiddenType::drelu) {
                const double numeric_gamma_minus =
                    central([&](model::Rbm& m, double e) { m.hidden.gamma_minus[mu] += static_cast<float>(e); });
                const double numeric_theta_minus =
                    central([&](model::Rbm& m, double e) { m.hidden.theta_minus[mu] += static_cast<float>(e); });
                CHECK(gradient.hidden(mu, 2) == Approx(numeric_gamma_minus).margin(2e-3));
                CHECK(gradient.hidden(mu, 3) == Approx(numeric_theta_minus).margin(2e-3));
            }
        }
    }
}

TEST_CASE("PCD recovers the distribution of a known tiny model", "[train]") {
    const int n = 4;
    const int q = 3;
    model::Rbm truth = random_model(n, q, 2, model::HiddenType::drelu, 5, 1.2);
    const auto exact_truth = model::enumerate_exact(truth);
    const model::StateMatrix data = exact_samples(truth, 4000, 9);
    const Eigen::VectorXd weights = Eigen::VectorXd::Ones(data.rows());

    // Empirical distribution of the data: the best any model can do on this sample.
    Eigen::VectorXd empirical = Eigen::VectorXd::Zero(exact_truth.probabilities.size());
    for (Eigen::Index m = 0; m < data.rows(); ++m)
        empirical[model::index_of_configuration(data.row(m).data(), n, q)] += 1.0 / static_cast<double>(data.rows());

    train::TrainParams params;
    params.hidden_units = 4;
    params.hidden_type = model::HiddenType::drelu;
    params.epochs = 60;
    params.batch_size = 100;
    params.chains = 200;
    params.gibbs_steps = 5;
    params.l1b = 0.0;
    params.learning_rate = 2e-3;  // strong couplings: PCD oscillates at larger rates
    params.lr_final = 2e-4;
    params.seed = 3;
    train::Trainer trainer(params, make_set(data, weights), train::TrainingSet{}, q);
    auto state = trainer.initial_state();
    REQUIRE(trainer.run(state, nullptr));

    const auto learned = model::enumerate_exact(state.rbm);
    auto kl = [](const Eigen::VectorXd& p, const Eigen::VectorXd& r) {
        double value = 0;
        for (Eigen::Index k = 0; k < p.size(); ++k)
            if (p[k] > 0) value += p[k] * std::log(p[k] / r[k]);
        return value;
    };
    const double kl_learned = kl(exact_truth.probabilities, learned.probabilities);
    // The independent-site model of the same data, for scale.
    Eigen::MatrixXd marginal = exact_truth.single;
    Eigen::VectorXd independent(exact_truth.probabilities.size());
    std::vector<std::uint8_t> config(static_cast<std::size_t>(n));
    for (Eigen::Index k = 0; k < independent.size(); ++k) {
        model::configuration_from_index(k, n, q, config.data());
        double p = 1;
        for (int i = 0; i < n; ++i) p *= marginal(i, config[static_cast<std::size_t>(i)]);
        independent[k] = p;
    }
    const double kl_independent = kl(exact_truth.probabilities, independent);
    INFO("KL(truth || learned) = " << kl_learned << ", KL(truth || independent sites) = " << kl_independent);
    CHECK(kl_learned < 0.05);
    CHECK(kl_learned < 0.3 * kl_independent);
}

TEST_CASE("an interrupted and resumed run ends bit-identical to an uninterrupted one", "[train][checkpoint]") {
    const model::PlantedModel planted = model::make_planted_model(14, 4);
    model::SimulationParams simulation;
    simulation.sequences = 300;
    simulation.burn_in = 50;
    simulation.spacing = 5;
    simulation.chains = 30;
    const model::StateMatrix data = model::simulate_sequences(planted.rbm, simulation);
    Eigen::VectorXd weights(data.rows());
    for (Eigen::Index m = 0; m < weights.size(); ++m) weights[m] = 1.0 / static_cast<double>(1 + m % 3);

    train::TrainParams params;
    params.hidden_units = 5;
    params.epochs = 6;
    params.batch_size = 40;
    params.seed = 21;
    params.validation = 0.1;
    train::TrainingSet train_set;
    train::TrainingSet validation_set;
    train::split_validation(data, weights, params.validation, params.seed, train_set, validation_set);

    for (int thread_count : {1, 2}) {
        set_threads(thread_count);
        INFO("threads " << thread_count);
        train::Trainer trainer(params, train_set, validation_set, 21);
        auto uninterrupted = trainer.initial_state();
        REQUIRE(trainer.run(uninterrupted, nullptr));

        auto interrupted = trainer.initial_state();
        std::atomic<bool> stop{false};
        long long epochs_seen = 0;
        // Stop in the middle of epoch 3: after the callback of epoch 2, the next update stops.
        const bool finished = trainer.run(
            interrupted,
            [&](const train::EpochMetrics*, const train::TrainingState&) {
                if (++epochs_seen == 2) stop = true;
            },
            &stop);
        REQUIRE_FALSE(finished);
        CHECK(interrupted.epoch == 2);
        CHECK(interrupted.batch == 1);
        const auto path = (test::scratch_dir("resume") / "run.ckpt.npz").string();
        train::save_checkpoint(path, interrupted, trainer);
        auto resumed = train::load_checkpoint(path, trainer);
        REQUIRE(trainer.run(resumed, nullptr));

        CHECK(resumed.updates == uninterrupted.updates);
        CHECK(resumed.rbm.weights == uninterrupted.rbm.weights);
        CHECK(resumed.rbm.fields == uninterrupted.rbm.fields);
        CHECK(resumed.rbm.hidden.theta_plus == uninterrupted.rbm.hidden.theta_plus);
        CHECK(resumed.rbm.hidden.gamma_minus == uninterrupted.rbm.hidden.gamma_minus);
        CHECK(resumed.chains.visible == uninterrupted.chains.visible);
    }
    set_threads(0);
}

TEST_CASE("a checkpoint for other options or data is refused with a clear message", "[train][checkpoint]") {
    const model::PlantedModel planted = model::make_planted_model(12, 2);
    model::SimulationParams simulation;
    simulation.sequences = 100;
    simulation.burn_in = 20;
    simulation.chains = 20;
    const model::StateMatrix data = model::simulate_sequences(planted.rbm, simulation);
    const Eigen::VectorXd weights = Eigen::VectorXd::Ones(data.rows());
    train::TrainParams params;
    params.hidden_units = 3;
    params.epochs = 2;
    params.batch_size = 50;
    train::Trainer trainer(params, make_set(data, weights), train::TrainingSet{}, 21);
    auto state = trainer.initial_state();
    const auto path = (test::scratch_dir("ckpt") / "a.ckpt.npz").string();
    train::save_checkpoint(path, state, trainer);

    params.learning_rate = 1e-2;
    train::Trainer other_options(params, make_set(data, weights), train::TrainingSet{}, 21);
    try {
        (void)train::load_checkpoint(path, other_options);
        FAIL("expected a UsageError");
    } catch (const UsageError& e) {
        CHECK_THAT(e.what(), Catch::Contains("lr=0.0050000000000000001 (checkpoint) vs lr=0.01"));
    }
    Eigen::VectorXd other_weights = weights;
    other_weights[0] = 2;
    params.learning_rate = 5e-3;
    train::Trainer other_data(params, make_set(data, other_weights), train::TrainingSet{}, 21);
    CHECK_THROWS_WITH(train::load_checkpoint(path, other_data), Catch::Contains("other training data"));

    test::write_file(path, "not a zip file");
    CHECK_THROWS_AS(train::load_checkpoint(path, trainer), InputError);
}

TEST_CASE("training parameters are validated with the option name", "[train][options]") {
    auto expect = [](auto mutate, const std::string& message) {
        train::TrainParams params;
        mutate(params);
        CHECK_THROWS_WITH(params.validate(), Catch::Contains(message));
    };
    expect([](train::TrainParams& p) { p.hidden_units = 0; }, "--hidden-units: expected an integer in [1,");
    expect([](train::TrainParams& p) { p.batch_size = -5; }, "--batch-size: expected an integer in [1,");
    expect([](train::TrainParams& p) { p.epochs = -1; }, "--epochs: expected a value >= 0");
    expect([](train::TrainParams& p) { p.learning_rate = 0; }, "--lr: expected a positive number, got 0");
    expect([](train::TrainParams& p) { p.learning_rate = -1e-3; }, "--lr: expected a positive number");
    expect([](train::TrainParams& p) { p.validation = 1.0; }, "--validation: expected a number in [0, 1), got 1");
    expect([](train::TrainParams& p) { p.l1b = -0.1; }, "--l1b: expected a number >= 0");
    expect([](train::TrainParams& p) { p.gibbs_steps = 0; }, "--gibbs-steps");
    expect([](train::TrainParams& p) { p.chains = -2; }, "--chains: expected a value >= 0");
}

TEST_CASE("automatic epochs present about 4 million sequences, within [20, 2000]", "[train][options]") {
    train::TrainParams params;  // batch 200, epochs 0
    CHECK(params.effective_epochs(13600) == 294);  // PF00014: 68 minibatches of 200
    CHECK(params.effective_epochs(36690) == 108);  // 184 minibatches: 4e6 / 36800
    CHECK(params.effective_epochs(1000) == 2000);   // capped
    CHECK(params.effective_epochs(1'000'000) == 20);  // floor
    params.batch_size = 100;
    CHECK(params.effective_epochs(13600) == 294);  // the same sequences in twice as many updates
    params.epochs = 7;
    CHECK(params.effective_epochs(13600) == 7);
    CHECK(params.effective_chains() == 100);
}

TEST_CASE("divergence stops training with the epoch and the likely cause", "[train]") {
    const model::PlantedModel planted = model::make_planted_model(12, 3);
    model::SimulationParams simulation;
    simulation.sequences = 200;
    simulation.burn_in = 20;
    simulation.chains = 20;
    const model::StateMatrix data = model::simulate_sequences(planted.rbm, simulation);
    train::TrainParams params;
    params.hidden_units = 4;
    params.epochs = 50;
    params.batch_size = 50;
    params.optimizer = train::OptimizerKind::sgd;
    params.gradient_clip = 0;
    params.learning_rate = 1e9;
    params.lr_final = 1e9;
    train::Trainer trainer(params, make_set(data, Eigen::VectorXd::Ones(data.rows())), train::TrainingSet{}, 21);
    auto state = trainer.initial_state();
    CHECK_THROWS_WITH(trainer.run(state, nullptr),
                      Catch::Contains("training diverged at epoch 1") && Catch::Contains("learning rate"));

    // A NaN weight anywhere (here the last unit of the last row) is caught after the first update.
    params.optimizer = train::OptimizerKind::adam;
    params.learning_rate = params.lr_final = 1e-3;
    train::Trainer stable(params, make_set(data, Eigen::VectorXd::Ones(data.rows())), train::TrainingSet{}, 21);
    auto poisoned = stable.initial_state();
    poisoned.rbm.weights(poisoned.rbm.weights.rows() - 1, 3) = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_WITH(stable.run(poisoned, nullptr),
                      Catch::Contains("training diverged at epoch 1 (update 1)") && Catch::Contains("NaN"));
}
