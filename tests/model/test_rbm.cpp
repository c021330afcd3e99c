// Tests of the Potts-RBM energies (rbm.hpp): free energy against quadrature over h of the joint
// energy, hidden inputs against the dense one-hot product, the log-probability gradient against
// finite differences, and the zero-sum gauge against exact enumeration.
#include "model/model_test_utils.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/threads.hpp"
#include "pottsrbm/model/exact.hpp"
#include "pottsrbm/model/rbm.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <string>

using namespace pottsrbm;
using namespace pottsrbm::model;
using namespace pottsrbm::model::testing;
using Catch::Contains;

namespace {

std::string type_name(HiddenType type) { return std::string(to_string(type)); }

// The parameter vector of the model in a fixed order, with read/write access by index.
struct ParameterView {
    Rbm& rbm;
    [[nodiscard]] Eigen::Index size() const {
        return rbm.fields.size() + rbm.weights.size() + 4 * static_cast<Eigen::Index>(rbm.units());
    }
    float& operator[](Eigen::Index k) {
        if (k < rbm.fields.size()) return rbm.fields.data()[k];
        k -= rbm.fields.size();
        if (k < rbm.weights.size()) return rbm.weights.data()[k];
        k -= rbm.weights.size();
        const auto mu = k / 4;
        switch (k % 4) {
            case 0: return rbm.hidden.gamma_plus[mu];
            case 1: return rbm.hidden.theta_plus[mu];
            case 2: return rbm.hidden.gamma_minus[mu];
            default: return rbm.hidden.theta_minus[mu];
        }
    }
    [[nodiscard]] std::string name(Eigen::Index k) const {
        if (k < rbm.fields.size()) return "field " + std::to_string(k);
        k -= rbm.fields.size();
        if (k < rbm.weights.size()) return "weight " + std::to_string(k);
        k -= rbm.weights.size();
        static const char* names[] = {"gamma_plus", "theta_plus", "gamma_minus", "theta_minus"};
        return std::string(names[k % 4]) + " of unit " + std::to_string(k / 4);
    }
};

double gradient_entry(const Gradient& gradient, Eigen::Index k) {
    if (k < gradient.fields.size()) return gradient.fields.data()[k];
    k -= gradient.fields.size();
    if (k < gradient.weights.size()) return gradient.weights.data()[k];
    k -= gradient.weights.size();
    return gradient.hidden(k / 4, k % 4);
}

double weighted_log_prob(const Rbm& rbm, const StateMatrix& sequences, const Eigen::VectorXd& weights) {
    Eigen::VectorXd energies(sequences.rows());
    free_energy(rbm, sequences, energies);
    return -weights.dot(energies);
}

}  // namespace

TEST_CASE("free energy equals -log of the integral over h of exp(-E(v,h))", "[rbm]") {
    for (auto type : all_hidden_types) {
        SECTION(type_name(type)) {
            const Rbm rbm = random_model(type, 3, 3, 2, 101);
            const StateMatrix all = all_configurations(3, 3);
            Eigen::VectorXd energies(all.rows());
            free_energy(rbm, all, energies);
            const Eigen::VectorXd zero_h = Eigen::VectorXd::Zero(rbm.units());
            for (Eigen::Index k = 0; k < all.rows(); ++k) {
                const std::uint8_t* v = all.row(k).data();
                // E separates over units: E(v, h) = E(v, 0) + sum_mu [E(v, h_mu e_mu) - E(v, 0)].
                const double base = joint_energy(rbm, v, zero_h);
                double expected = base;
                for (int mu = 0; mu < rbm.units(); ++mu) {
                    const auto phi = [&](double h) {
                        Eigen::VectorXd hv = zero_h;
                        hv[mu] = h;
                        return -(joint_energy(rbm, v, hv) - base);
                    };
                    expected -= log_integral_over_h(type, phi);
                }
                INFO("configuration " << k);
                CHECK(energies[k] == Approx(expected).margin(1e-8).epsilon(1e-10));
                CHECK(free_energy(rbm, v) == energies[k]);
            }
        }
    }
}

TEST_CASE("joint energy of a hand-computed configuration", "[rbm]") {
    Rbm rbm = Rbm::make(2, 3, 1, HiddenType::gaussian);
    rbm.fields << 0.5f, -1.0f, 2.0f, 0.25f, 0.0f, -0.75f;
    rbm.weights << 1.0f, 2.0f, 3.0f, -1.0f, -2.0f, -3.0f;  // rows i*q + a
    rbm.hidden.gamma_plus[0] = 2.0f;
    rbm.hidden.theta_plus[0] = 0.5f;
    const std::uint8_t v[2] = {2, 1};
    Eigen::VectorXd h(1);
    h << 1.5;
    // -g_0(2) - g_1(1) - (W_0(2) + W_1(1)) h + gamma h^2 / 2 + theta h
    const double expected = -2.0 - 0.0 - (3.0 - 2.0) * 1.5 + 2.0 * 1.5 * 1.5 / 2 + 0.5 * 1.5;
    CHECK(joint_energy(rbm, v, h) == Approx(expected).margin(1e-12));
}

TEST_CASE("hidden inputs equal the dense one-hot product", "[rbm]") {
    const int sites = 7, states = 5, units = 37;  // 37 = 32 + 5 exercises every block width
    const Rbm rbm = random_model(HiddenType::drelu, sites, states, units, 202);
    Rng rng(5, 0);
    StateMatrix sequences(50, sites);
    for (Eigen::Index b = 0; b < sequences.rows(); ++b)
        for (int i = 0; i < sites; ++i) sequences(b, i) = static_cast<std::uint8_t>(rng.below(states));
    Eigen::MatrixXd one_hot = Eigen::MatrixXd::Zero(sequences.rows(), sites * states);
    for (Eigen::Index b = 0; b < sequences.rows(); ++b)
        for (int i = 0; i < sites; ++i) one_hot(b, i * states + sequences(b, i)) = 1;
    const Eigen::MatrixXd expected = one_hot * rbm.weights.cast<double>();
    RowMatrixXf inputs(sequences.rows(), units);
    hidden_inputs(rbm, sequences, inputs);
    // float sum of 7 terms of size ~0.5: error below 7 * 2^-24 * 4
    CHECK((inputs.cast<double>() - expected).cwiseAbs().maxCoeff() < 1e-5);

    Eigen::VectorXd energies(sequences.rows());
    free_energy(rbm, sequences, energies);
    for (Eigen::Index b = 0; b < sequences.rows(); ++b) CHECK(free_energy(rbm, sequences.row(b).data()) == energies[b]);

    StateMatrix bad = sequences.topRows(2);
    bad(1, 3) = states;
    CHECK_THROWS_AS(hidden_inputs(rbm, bad, inputs.topRows(2)), UsageError);
    Eigen::VectorXd two(2);
    CHECK_THROWS_AS(free_energy(rbm, bad, two), UsageError);
}

// Central differences with Richardson extrapolation, D = (4 D(s/2) - D(s)) / 3, s = 2^-9, on a
// model whose parameters are multiples of 2^-8 so that p +- s and p +- s/2 are exact in float and
// F (double sums of exact float values) is evaluated without parameter rounding. The remaining
// errors are the O(s^4) truncation (~1e-11 times the 5th derivative) and double rounding of F
// (~1e-15 |F| / s ~ 1e-12), far below the tolerance 2e-6 (1 + |g|), which covers the float
// rounding of the returned field and weight gradients (relative 6e-8).
TEST_CASE("log-probability gradient matches finite differences in every parameter", "[rbm]") {
    RandomModelOptions options;
    options.dyadic = true;
    for (auto type : all_hidden_types) {
        SECTION(type_name(type)) {
            Rbm rbm = random_model(type, 3, 3, 2, 303, options);
            StateMatrix sequences(7, 3);
            sequences << 0, 1, 2, 2, 2, 0, 1, 0, 1, 0, 0, 0, 2, 1, 1, 1, 2, 2, 0, 1, 2;
            Eigen::VectorXd weights(7);
            weights << 0.3, 1.0, 0.25, 0.7, 0.125, 0.9, 0.5;
            Gradient gradient;
            gradient.resize_like(rbm);
            accumulate_log_prob_gradient(rbm, sequences, weights, gradient);

            ParameterView parameters{rbm};
            const float step = 0x1.0p-9f;
            for (Eigen::Index k = 0; k < parameters.size(); ++k) {
                float& p = parameters[k];
                const float original = p;
                const auto difference = [&](float s) {
                    p = original + s;
                    const double up = weighted_log_prob(rbm, sequences, weights);
                    p = original - s;
                    const double down = weighted_log_prob(rbm, sequences, weights);
                    p = original;
                    return (up - down) / (2.0 * static_cast<double>(s));
                };
                const double numeric = (4 * difference(step / 2) - difference(step)) / 3;
                const double analytic = gradient_entry(gradient, k);
                INFO(parameters.name(k) << ": analytic " << analytic << ", numeric " << numeric);
                CHECK(std::abs(analytic - numeric) < 2e-6 * (1 + std::abs(numeric)));
            }

            // Accumulation adds to what is there.
            Gradient twice = gradient;
            accumulate_log_prob_gradient(rbm, sequences, weights, twice);
            CHECK((twice.weights - 2 * gradient.weights).cwiseAbs().maxCoeff() < 1e-6f);
            CHECK((twice.hidden - 2 * gradient.hidden).cwiseAbs().maxCoeff() < 1e-12);
        }
    }
}

TEST_CASE("gradient does not depend on the thread count and spans several blocks", "[rbm]") {
    const Rbm rbm = random_model(HiddenType::drelu, 9, 4, 13, 404);
    Rng rng(9, 0);
    StateMatrix sequences(1300, 9);  // more than two blocks of 512 sequences
    Eigen::VectorXd weights(sequences.rows());
    for (Eigen::Index b = 0; b < sequences.rows(); ++b) {
        for (int i = 0; i < 9; ++i) sequences(b, i) = static_cast<std::uint8_t>(rng.below(4));
        weights[b] = rng.uniform();
    }
    const int saved = pottsrbm::threads();
    Gradient one, two;
    one.resize_like(rbm);
    two.resize_like(rbm);
    pottsrbm::set_threads(1);
    accumulate_log_prob_gradient(rbm, sequences, weights, one);
    pottsrbm::set_threads(2);
    accumulate_log_prob_gradient(rbm, sequences, weights, two);
    pottsrbm::set_threads(saved);
    CHECK(one.fields == two.fields);
    CHECK(one.weights == two.weights);
    CHECK(one.hidden == two.hidden);

    // Field gradient = weighted one-hot counts.
    Eigen::MatrixXd counts = Eigen::MatrixXd::Zero(9, 4);
    for (Eigen::Index b = 0; b < sequences.rows(); ++b)
        for (int i = 0; i < 9; ++i) counts(i, sequences(b, i)) += weights[b];
    CHECK((one.fields.cast<double>() - counts).cwiseAbs().maxCoeff() < 1e-4);
    // The weight gradient of site i summed over states equals the total E[h] (same for every site).
    const Eigen::RowVectorXd total = one.weights.topRows(4).cast<double>().colwise().sum();
    for (int i = 1; i < 9; ++i)
        CHECK((one.weights.middleRows(i * 4, 4).cast<double>().colwise().sum() - total).cwiseAbs().maxCoeff() < 1e-3);

    // Given the inputs hidden_inputs computes, the gradient is the same to the bit.
    RowMatrixXf inputs(sequences.rows(), rbm.units());
    hidden_inputs(rbm, sequences, inputs);
    Gradient given;
    given.resize_like(rbm);
    accumulate_log_prob_gradient(rbm, sequences, weights, inputs, given);
    CHECK(given.fields == one.fields);
    CHECK(given.weights == one.weights);
    CHECK(given.hidden == one.hidden);
    RowMatrixXf wrong(sequences.rows(), rbm.units() + 1);
    CHECK_THROWS_AS(accumulate_log_prob_gradient(rbm, sequences, weights, wrong, given), UsageError);

    // Several terms in one pass equal one call per term in order, to the bit, for any thread
    // count, also when a block of 512 rows spans two terms (700 + 300 + 1300 rows).
    const StateMatrix head = sequences.topRows(700);
    const StateMatrix middle = sequences.middleRows(700, 300);
    const Eigen::VectorXd head_weights = weights.head(700);
    Eigen::VectorXd middle_weights = -weights.segment(700, 300);
    const RowMatrixXf middle_inputs = inputs.middleRows(700, 300);
    Gradient separate;
    separate.resize_like(rbm);
    accumulate_log_prob_gradient(rbm, head, head_weights, separate);
    accumulate_log_prob_gradient(rbm, middle, middle_weights, middle_inputs, separate);
    accumulate_log_prob_gradient(rbm, sequences, weights, separate);
    const std::array<GradientTerm, 3> terms = {{{&head, &head_weights, nullptr},
                                               {&middle, &middle_weights, &middle_inputs},
                                               {&sequences, &weights, nullptr}}};
    for (const int threads : {1, 2}) {
        pottsrbm::set_threads(threads);
        Gradient fused;
        fused.resize_like(rbm);
        accumulate_log_prob_gradient(rbm, terms, fused);
        CHECK(fused.fields == separate.fields);
        CHECK(fused.weights == separate.weights);
        CHECK(fused.hidden == separate.hidden);
        // overwrite: the same over whatever the gradient held (or a wrong shape).
        Gradient reused;
        reused.fields = Eigen::MatrixXf::Constant(2, 3, 7.0F);
        reused.weights = RowMatrixXf::Constant(rbm.weights.rows(), rbm.weights.cols(), 5.0F);
        accumulate_log_prob_gradient(rbm, terms, reused, /*overwrite=*/true);
        CHECK(reused.fields == separate.fields);
        CHECK(reused.weights == separate.weights);
        CHECK(reused.hidden == separate.hidden);
    }
    pottsrbm::set_threads(saved);
    const std::array<GradientTerm, 1> bad_inputs = {{{&sequences, &weights, &middle_inputs}}};
    CHECK_THROWS_AS(accumulate_log_prob_gradient(rbm, bad_inputs, given), UsageError);
    const std::array<GradientTerm, 1> missing = {{{&sequences, nullptr, nullptr}}};
    CHECK_THROWS_WITH(accumulate_log_prob_gradient(rbm, missing, given), Contains("term 0 has no sequences"));
    const std::vector<GradientTerm> nine(9, GradientTerm{&head, &head_weights, nullptr});
    CHECK_THROWS_WITH(accumulate_log_prob_gradient(rbm, nine, given), Contains("at most 8 terms, got 9"));

    // Overwrite with nothing to add: a zero gradient of the model's shape.
    const StateMatrix none(0, 9);
    const Eigen::VectorXd no_weights(0);
    for (const auto& empty : {std::vector<GradientTerm>{}, std::vector<GradientTerm>{{&none, &no_weights, nullptr}}}) {
        Gradient zeroed;
        zeroed.weights = RowMatrixXf::Constant(3, 3, 1.0F);
        accumulate_log_prob_gradient(rbm, empty, zeroed, /*overwrite=*/true);
        CHECK(zeroed.fields.rows() == 9);
        CHECK(zeroed.fields.isZero(0));
        CHECK(zeroed.weights.rows() == rbm.weights.rows());
        CHECK(zeroed.weights.isZero(0));
        CHECK(zeroed.hidden.rows() == rbm.units());
        CHECK(zeroed.hidden.isZero(0));
    }
}

TEST_CASE("a model without hidden units still gets the field gradient", "[rbm]") {
    Rbm rbm = random_model(HiddenType::drelu, 4, 3, 2, 17);
    rbm.weights.resize(rbm.weights.rows(), 0);
    rbm.hidden = HiddenLayer::make(HiddenType::drelu, 0);
    StateMatrix sequences(3, 4);
    sequences << 0, 1, 2, 0, 1, 1, 2, 2, 0, 0, 0, 1;
    const Eigen::VectorXd weights = Eigen::Vector3d(1.0, 2.0, 0.5);
    Gradient added;
    added.resize_like(rbm);
    accumulate_log_prob_gradient(rbm, sequences, weights, added);
    Gradient overwritten;
    const std::array<GradientTerm, 1> terms = {{{&sequences, &weights, nullptr}}};
    accumulate_log_prob_gradient(rbm, terms, overwritten, /*overwrite=*/true);
    Eigen::MatrixXf expected = Eigen::MatrixXf::Zero(4, 3);
    for (int b = 0; b < 3; ++b)
        for (int i = 0; i < 4; ++i) expected(i, sequences(b, i)) += static_cast<float>(weights[b]);
    CHECK(added.fields == expected);
    CHECK(overwritten.fields == expected);
    CHECK(overwritten.weights.size() == 0);
}

TEST_CASE("zero-sum gauge leaves P(v) unchanged and shifts F by a constant", "[rbm][gauge]") {
    RandomModelOptions options;
    options.weight_scale = 0.8;
    options.field_scale = 1.0;
    for (auto type : all_hidden_types) {
        SECTION(type_name(type)) {
            const Rbm before = random_model(type, 3, 3, 2, 505, options);
            Rbm after = before;
            apply_zero_sum_gauge(after);
            after.validate();
            for (int i = 0; i < 3; ++i) {
                CHECK(std::abs(after.fields.row(i).sum()) < 1e-6f);
                CHECK(after.weights.middleRows(i * 3, 3).colwise().sum().cwiseAbs().maxCoeff() < 1e-6f);
            }
            CHECK(after.weights != before.weights);
            const auto exact_before = enumerate_exact(before);
            const auto exact_after = enumerate_exact(after);
            CHECK((exact_before.probabilities - exact_after.probabilities).cwiseAbs().maxCoeff() < 1e-6);

            const StateMatrix all = all_configurations(3, 3);
            Eigen::VectorXd f_before(all.rows()), f_after(all.rows());
            free_energy(before, all, f_before);
            free_energy(after, all, f_after);
            const Eigen::ArrayXd shift = (f_after - f_before).array();
            CHECK(shift.maxCoeff() - shift.minCoeff() < 1e-5);
            // F = -sum_i g_i(v_i) - ...: centering the fields adds sum_i mean_a g_i(a) to F.
            CHECK(shift.mean() == Approx(before.fields.cast<double>().rowwise().mean().sum()).margin(1e-5));
        }
    }
}

TEST_CASE("rescaling hidden units is a gauge: F shifts by +sum log s, P(v) is unchanged") {
    for (const auto type : {model::HiddenType::gaussian, model::HiddenType::relu, model::HiddenType::drelu}) {
        model::Rbm rbm = random_model(type, 4, 3, 3, 11);
        model::Rbm scaled = rbm;
        const Eigen::VectorXf scale = (Eigen::VectorXf(3) << 0.5f, 1.7f, 3.0f).finished();
        model::rescale_hidden_units(scaled, scale);
        const double shift = scale.cast<double>().array().log().sum();
        const model::StateMatrix all = all_configurations(4, 3);
        Eigen::VectorXd before(all.rows());
        Eigen::VectorXd after(all.rows());
        model::free_energy(rbm, all, before);
        model::free_energy(scaled, all, after);
        for (Eigen::Index b = 0; b < all.rows(); ++b) CHECK(after[b] == Approx(before[b] + shift).epsilon(1e-5));
    }
    model::Rbm bernoulli = random_model(model::HiddenType::bernoulli, 3, 3, 2, 1);
    CHECK_THROWS_AS(model::rescale_hidden_units(bernoulli, Eigen::VectorXf::Ones(2)), UsageError);
}

TEST_CASE("gradient scatter equals a direct sum for 21 states and row counts around multiples of 64", "[rbm]") {
    // The scatter groups a site's rows by state with 64-bit masks: counts at and around word
    // boundaries, every one of 21 states present at some sites, fully conserved sites at others.
    const Rbm rbm = random_model(HiddenType::drelu, 6, 21, 9, 505, {.weight_scale = 0.3});
    for (Eigen::Index rows : {1, 63, 64, 65, 128, 130, 512}) {
        INFO("rows " << rows);
        Rng rng(11, static_cast<std::uint64_t>(rows));
        StateMatrix sequences(rows, 6);
        Eigen::VectorXd weights(rows);
        for (Eigen::Index b = 0; b < rows; ++b) {
            for (int i = 0; i < 6; ++i)
                sequences(b, i) = static_cast<std::uint8_t>(i < 2 ? 20 * i : (i == 2 ? b % 21 : rng.below(21)));
            weights[b] = rng.uniform();
        }
        Gradient gradient;
        gradient.resize_like(rbm);
        accumulate_log_prob_gradient(rbm, sequences, weights, gradient);

        RowMatrixXf inputs(rows, rbm.units());
        hidden_inputs(rbm, sequences, inputs);
        Eigen::MatrixXd weight_gradient = Eigen::MatrixXd::Zero(rbm.weights.rows(), rbm.units());
        Eigen::MatrixXd field_gradient = Eigen::MatrixXd::Zero(6, 21);
        for (Eigen::Index b = 0; b < rows; ++b)
            for (int i = 0; i < 6; ++i) {
                field_gradient(i, sequences(b, i)) += weights[b];
                for (int mu = 0; mu < rbm.units(); ++mu)
                    weight_gradient(i * 21 + sequences(b, i), mu) +=
                        weights[b] * hidden_moments(rbm.hidden, mu, inputs(b, mu)).mean;
            }
        const double scale = weight_gradient.cwiseAbs().maxCoeff();
        CHECK((gradient.weights.cast<double>() - weight_gradient).cwiseAbs().maxCoeff() <= 1e-5 * scale);
        CHECK((gradient.fields.cast<double>() - field_gradient).cwiseAbs().maxCoeff() <= 1e-5 * field_gradient.maxCoeff());
        // Rows of absent states stay exactly zero.
        CHECK(gradient.weights.row(0 * 21 + 5).isZero(0));
        CHECK(gradient.weights.row(1 * 21 + 3).isZero(0));
    }
}
