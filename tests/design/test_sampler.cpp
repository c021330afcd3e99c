// Tests of the design sampler (design/sampler.hpp, design/conditions.hpp) against exact enumeration
// on tiny models: plain Gibbs at beta = 1 and beta != 1, a clamped site, a clamped hidden unit (the
// conditional law P(v | h_mu = x) computed independently from Gamma of the other units), a hidden
// bias, parallel tempering; chi-square at p = 0.001 on 20,000 independent chains (one draw each,
// the last sampling round). Also: tempering escapes a mode that traps plain Gibbs, the mixing
// diagnostic, condition parsing errors, and independence from the thread count.
#include "model/model_test_utils.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/log.hpp"
#include "pottsrbm/core/threads.hpp"
#include "pottsrbm/design/conditions.hpp"
#include "pottsrbm/design/sampler.hpp"
#include "pottsrbm/model/exact.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

using namespace pottsrbm;
using namespace pottsrbm::model;
using namespace pottsrbm::model::testing;
using pottsrbm::design::Conditions;
using pottsrbm::design::SamplerParams;
using Catch::Contains;

namespace {

constexpr int chains = 20000;

// Progress and mixing lines would flood the test output.
const bool quiet_logs = [] {
    log::set_level(log::Level::warn);
    return true;
}();

// 20,000 chains, burn-in 60 sweeps, 3 rounds 5 sweeps apart; returns the last round's histogram.
std::vector<double> last_round_histogram(const Rbm& rbm, const Conditions& conditions, double beta, long long levels = 1,
                                         double min_beta = 0.5, std::vector<double>* acceptance = nullptr) {
    SamplerParams params;
    params.samples = 3LL * chains;
    params.chains = chains;
    params.burn_in = 60;
    params.spacing = 5;
    params.beta = beta;
    params.temperatures = levels;
    params.tempering_min_beta = min_beta;
    params.seed = 2024;
    const auto set = design::draw_samples(rbm, conditions, params);
    REQUIRE(set.sequences.rows() == params.samples);
    REQUIRE(set.burn_in == 60);
    REQUIRE(set.spacing == 5);
    if (acceptance != nullptr) *acceptance = set.swap_acceptance;
    std::int64_t configurations = 1;
    for (int i = 0; i < rbm.sites; ++i) configurations *= rbm.states;
    std::vector<double> histogram(static_cast<std::size_t>(configurations), 0.0);
    for (Eigen::Index r = 2LL * chains; r < set.sequences.rows(); ++r)
        histogram[static_cast<std::size_t>(index_of_configuration(set.sequences.row(r).data(), rbm.sites, rbm.states))] += 1;
    return histogram;
}

void check_against(const std::vector<double>& histogram, const std::vector<double>& expected) {
    const auto [statistic, dof] = chi_square(histogram, expected, chains);
    INFO("chi-square " << statistic << " with " << dof << " degrees of freedom");
    CHECK(dof >= 3);
    CHECK(statistic < chi_square_critical(dof));
}

// Exact law proportional to exp(log_weight(v)) over all configurations.
std::vector<double> exact_law(const Rbm& rbm, const std::function<double(const std::uint8_t*)>& log_weight) {
    const StateMatrix all = all_configurations(rbm.sites, rbm.states);
    std::vector<double> logs(static_cast<std::size_t>(all.rows()));
    double largest = -1e300;
    for (Eigen::Index k = 0; k < all.rows(); ++k) {
        logs[static_cast<std::size_t>(k)] = log_weight(all.row(k).data());
        largest = std::max(largest, logs[static_cast<std::size_t>(k)]);
    }
    double total = 0;
    for (auto& value : logs) total += value = std::exp(value - largest);
    for (auto& value : logs) value /= total;
    return logs;
}

// I_mu(v) in double.
double input(const Rbm& rbm, const std::uint8_t* v, int mu) {
    double sum = 0;
    for (int i = 0; i < rbm.sites; ++i) sum += rbm.weights(i * rbm.states + v[i], mu);
    return sum;
}

double field_sum(const Rbm& rbm, const std::uint8_t* v) {
    double sum = 0;
    for (int i = 0; i < rbm.sites; ++i) sum += rbm.fields(i, v[i]);
    return sum;
}

}  // namespace

TEST_CASE("design sampler: exact law of a tiny model at beta = 1 and beta = 0.6", "[design][sampler]") {
    for (auto type : {HiddenType::drelu, HiddenType::bernoulli}) {
        for (double beta : {1.0, 0.6}) {
            SECTION(std::string(to_string(type)) + " beta " + std::to_string(beta)) {
                const Rbm rbm = random_model(type, 3, 3, 2, 501, {.weight_scale = 0.9});
                const auto exact = enumerate_exact(rbm, beta);
                const std::vector<double> expected(exact.probabilities.data(), exact.probabilities.data() + exact.probabilities.size());
                check_against(last_round_histogram(rbm, {}, beta), expected);
            }
        }
    }
}

TEST_CASE("design sampler: a clamped site samples P(v | v_i = a)", "[design][sampler]") {
    const Rbm rbm = random_model(HiddenType::drelu, 4, 3, 2, 502, {.weight_scale = 0.9});
    Conditions conditions;
    conditions.fixed_sites.push_back({1, 2});
    for (double beta : {1.0, 1.5}) {
        SECTION("beta " + std::to_string(beta)) {
            const auto exact = enumerate_exact(rbm, beta);
            std::vector<double> expected(static_cast<std::size_t>(exact.probabilities.size()), 0.0);
            double total = 0;
            std::uint8_t v[4];
            for (Eigen::Index k = 0; k < exact.probabilities.size(); ++k) {
                configuration_from_index(k, 4, 3, v);
                if (v[1] == 2) total += expected[static_cast<std::size_t>(k)] = exact.probabilities[k];
            }
            for (auto& p : expected) p /= total;
            const auto histogram = last_round_histogram(rbm, conditions, beta);
            for (std::size_t k = 0; k < histogram.size(); ++k)
                if (expected[k] == 0) REQUIRE(histogram[k] == 0);
            check_against(histogram, expected);
        }
    }
}

TEST_CASE("design sampler: a clamped hidden unit samples P(v | h_mu = x)", "[design][sampler]") {
    // P_beta(v | h_mu = x) ~ exp(beta (sum_i g_i(v_i) + x I_mu(v)) + sum_{nu != mu} Gamma^beta_nu(beta I_nu(v))).
    const auto check = [](HiddenType type, double x, double beta) {
        const Rbm rbm = random_model(type, 3, 3, 3, 503, {.weight_scale = 0.9});
        Conditions conditions;
        conditions.clamped_hidden.push_back({1, x});
        const HiddenLayer layer = rbm.hidden.scaled(beta);
        const auto expected = exact_law(rbm, [&](const std::uint8_t* v) {
            double log_weight = beta * (field_sum(rbm, v) + x * input(rbm, v, 1));
            for (int nu = 0; nu < rbm.units(); ++nu)
                if (nu != 1) log_weight += hidden_cgf(layer, nu, beta * input(rbm, v, nu));
            return log_weight;
        });
        // The clamp must matter: the law differs from the unconditioned one.
        const auto plain = enumerate_exact(rbm, beta);
        double distance = 0;
        for (std::size_t k = 0; k < expected.size(); ++k) distance += std::abs(expected[k] - plain.probabilities[static_cast<Eigen::Index>(k)]);
        CHECK(distance > 0.1);
        check_against(last_round_histogram(rbm, conditions, beta), expected);
    };
    SECTION("dReLU h_2 = 2.5") { check(HiddenType::drelu, 2.5, 1.0); }
    SECTION("dReLU h_2 = -1.5 at beta 0.7") { check(HiddenType::drelu, -1.5, 0.7); }
    SECTION("Bernoulli h_2 = 1") { check(HiddenType::bernoulli, 1.0, 1.0); }
    SECTION("Gaussian h_2 = -2") { check(HiddenType::gaussian, -2.0, 1.0); }
}

TEST_CASE("design sampler: a hidden bias b samples exp(-F) with Gamma_mu(I_mu + b)", "[design][sampler]") {
    for (auto type : {HiddenType::drelu, HiddenType::relu}) {
        SECTION(std::string(to_string(type))) {
            const Rbm rbm = random_model(type, 3, 3, 2, 504, {.weight_scale = 0.9});
            Conditions conditions;
            conditions.hidden_bias.push_back({0, 1.25});
            const auto expected = exact_law(rbm, [&](const std::uint8_t* v) {
                return field_sum(rbm, v) + hidden_cgf(rbm.hidden, 0, input(rbm, v, 0) + 1.25) +
                       hidden_cgf(rbm.hidden, 1, input(rbm, v, 1));
            });
            check_against(last_round_histogram(rbm, conditions, 1.0), expected);
        }
    }
}

TEST_CASE("design sampler: parallel tempering keeps the target law and exchanges", "[design][sampler][tempering]") {
    const Rbm rbm = random_model(HiddenType::drelu, 3, 3, 2, 505, {.weight_scale = 0.9});
    for (double beta : {1.0, 2.0}) {
        SECTION("beta " + std::to_string(beta)) {
            const auto exact = enumerate_exact(rbm, beta);
            const std::vector<double> expected(exact.probabilities.data(), exact.probabilities.data() + exact.probabilities.size());
            std::vector<double> acceptance;
            check_against(last_round_histogram(rbm, {}, beta, 4, 0.3, &acceptance), expected);
            REQUIRE(acceptance.size() == 3);
            for (double rate : acceptance) {
                CHECK(rate > 0.05);
                CHECK(rate <= 1.0);
            }
        }
    }
}

namespace {

// Two modes: q = 2, 8 sites, one Gaussian unit with W_i(1) = +1, W_i(0) = -1, gamma = 1:
// P(v) ~ exp(I^2 / 2), I = sum_i s_i in [-8, 8]; the all-0 and all-1 configurations each carry
// almost half of the mass and plain Gibbs started in one of them stays there.
Rbm two_mode_model() {
    Rbm rbm = Rbm::make(8, 2, 1, HiddenType::gaussian);
    for (int i = 0; i < 8; ++i) {
        rbm.weights(i * 2 + 0, 0) = -1.0f;
        rbm.weights(i * 2 + 1, 0) = 1.0f;
    }
    rbm.validate();
    return rbm;
}

double fraction_in_upper_mode(const StateMatrix& sequences, Eigen::Index first) {
    double upper = 0;
    for (Eigen::Index r = first; r < sequences.rows(); ++r) upper += sequences.row(r).cast<int>().sum() > 4 ? 1 : 0;
    return upper / static_cast<double>(sequences.rows() - first);
}

}  // namespace

TEST_CASE("design sampler: tempering escapes a mode that traps plain Gibbs", "[design][sampler][tempering]") {
    const Rbm rbm = two_mode_model();
    const StateMatrix start = StateMatrix::Zero(1, 8);  // every chain starts in the lower mode
    SamplerParams params;
    params.samples = 4000;
    params.chains = 2000;
    params.burn_in = 400;
    params.spacing = 20;
    params.seed = 7;
    const auto plain = design::draw_samples(rbm, {}, params, &start);
    CHECK(fraction_in_upper_mode(plain.sequences, 2000) < 0.01);

    params.temperatures = 12;
    params.tempering_min_beta = 0.05;
    const auto tempered = design::draw_samples(rbm, {}, params, &start);
    const double upper = fraction_in_upper_mode(tempered.sequences, 2000);
    INFO("fraction in the upper mode " << upper << " (exact 0.5 by symmetry; 2000 chains: sd 0.011)");
    CHECK(std::abs(upper - 0.5) < 0.05);
    // And the law itself, on the last round of independent chains.
    const auto exact = enumerate_exact(rbm, 1.0);
    std::vector<double> histogram(256, 0.0);
    for (Eigen::Index r = 2000; r < 4000; ++r)
        histogram[static_cast<std::size_t>(index_of_configuration(tempered.sequences.row(r).data(), 8, 2))] += 1;
    const std::vector<double> expected(exact.probabilities.data(), exact.probabilities.data() + 256);
    const auto [statistic, dof] = chi_square(histogram, expected, 2000);
    INFO("chi-square " << statistic << " with " << dof << " degrees of freedom");
    CHECK(statistic < chi_square_critical(dof));
}

TEST_CASE("design sampler: the mixing diagnostic sets burn-in and spacing", "[design][sampler][mixing]") {
    SamplerParams params;
    params.samples = 500;
    params.chains = 500;
    params.seed = 11;
    SECTION("independent sites decorrelate in one sweep") {
        Rbm rbm = random_model(HiddenType::drelu, 10, 5, 3, 506);
        rbm.weights.setZero();
        const auto set = design::draw_samples(rbm, {}, params);
        REQUIRE(set.mixing.measured);
        CHECK(set.mixing.converged);
        CHECK(set.mixing.mixing_time == 1);
        CHECK(set.burn_in == 2);
        CHECK(set.spacing == 1);
    }
    SECTION("strong couplings take longer, and burn-in = 2 x spacing = the sweeps of the diagnostic") {
        Rbm rbm = two_mode_model();
        for (int i = 0; i < 8; ++i) {
            rbm.weights(i * 2 + 0, 0) = -0.3f;
            rbm.weights(i * 2 + 1, 0) = 0.3f;
        }
        const auto set = design::draw_samples(rbm, {}, params);
        REQUIRE(set.mixing.converged);
        CHECK(set.mixing.mixing_time >= 4);
        CHECK(set.spacing == set.mixing.mixing_time);
        CHECK(set.burn_in == 2 * set.mixing.mixing_time);
        REQUIRE(!set.mixing.checkpoints.empty());
        CHECK(set.mixing.checkpoints.back().mixed);
        CHECK_FALSE(set.mixing.checkpoints.front().mixed);
        CHECK(set.mixing.checkpoints.front().self_identity > set.mixing.checkpoints.front().cross_identity);
    }
    SECTION("a given spacing keeps the automatic burn-in; a given burn-in above it is honoured") {
        const Rbm rbm = random_model(HiddenType::drelu, 6, 4, 3, 507);
        params.spacing = 3;
        params.burn_in = 1000;
        const auto set = design::draw_samples(rbm, {}, params);
        CHECK_FALSE(set.mixing.measured);
        CHECK(set.burn_in == 1000);
        CHECK(set.spacing == 3);
        CHECK(set.sweep.front() == 1000);
    }
}

TEST_CASE("design sampler: same seed, same samples with 1 and 2 threads", "[design][sampler][threads]") {
    const Rbm rbm = random_model(HiddenType::drelu, 30, 21, 12, 508, {.weight_scale = 0.1});
    Conditions conditions;
    conditions.fixed_sites.push_back({4, 7});
    conditions.hidden_bias.push_back({2, 0.5});
    conditions.clamped_hidden.push_back({5, 0.5});
    SamplerParams params;
    params.samples = 300;
    params.chains = 150;  // more than one block of 64 chains in the visible half-step
    params.temperatures = 3;
    params.tempering_min_beta = 0.5;
    params.seed = 99;
    const int saved = threads();
    set_threads(1);
    const auto one = design::draw_samples(rbm, conditions, params);
    set_threads(2);
    const auto two = design::draw_samples(rbm, conditions, params);
    set_threads(saved);
    REQUIRE(one.mixing.converged);
    CHECK(one.sequences == two.sequences);
    CHECK(one.burn_in == two.burn_in);
    CHECK(one.swap_acceptance == two.swap_acceptance);
    CHECK((one.sequences.col(4).array() == 7).all());
    params.seed = 100;
    const auto other = design::draw_samples(rbm, conditions, params);
    CHECK(other.sequences != one.sequences);
}

TEST_CASE("design conditions: parsing and validation errors name the option and the value", "[design][conditions]") {
    const std::vector<int> columns = {2, 3, 5, 9};  // original 0-based columns of a 4-site model
    const auto fixed = design::parse_fixed_sites("--fix", "4=K,10=-", columns);
    REQUIRE(fixed.size() == 2);
    CHECK(fixed[0].site == 1);
    CHECK(fixed[0].state == 9);  // K
    CHECK(fixed[1].site == 3);
    CHECK(fixed[1].state == 0);
    const auto usage = [](const std::function<void()>& body, const std::string& needle) {
        try {
            body();
            FAIL("no UsageError");
        } catch (const UsageError& e) {
            CHECK_THAT(std::string(e.what()), Contains(needle));
        }
    };
    usage([&] { (void)design::parse_fixed_sites("--fix", "5=K", columns); }, "--fix: column 5 is not one of the model's columns");
    usage([&] { (void)design::parse_fixed_sites("--fix", "4=B", columns); }, "'B' in '4=B' is not one of the 20 amino acids");
    usage([&] { (void)design::parse_fixed_sites("--fix", "4K", columns); }, "expected COLUMN=RESIDUE");
    usage([&] { (void)design::parse_fixed_sites("--fix", "4=K,4=W", columns); }, "column 4 is given twice");
    usage([&] { (void)design::parse_hidden_values("--hidden", "7=3.5", 5); }, "--hidden: hidden unit 7 does not exist");
    usage([&] { (void)design::parse_hidden_values("--hidden", "2=abc", 5); }, "expected UNIT=VALUE");
    const auto values = design::parse_hidden_values("--hidden", "2=-1.5,5=3", 5);
    REQUIRE(values.size() == 2);
    CHECK(values[0].unit == 1);
    CHECK(values[0].value == -1.5);

    Rbm bernoulli = random_model(HiddenType::bernoulli, 3, 3, 2, 509);
    Conditions half;
    half.clamped_hidden.push_back({0, 0.5});
    usage([&] { design::validate_conditions(bernoulli, half); }, "Bernoulli unit: its value must be 0 or 1");
    Rbm relu = random_model(HiddenType::relu, 3, 3, 2, 510);
    Conditions negative;
    negative.clamped_hidden.push_back({1, -1});
    usage([&] { design::validate_conditions(relu, negative); }, "ReLU unit: its value must be >= 0");
    Conditions both;
    both.clamped_hidden.push_back({1, 1});
    both.hidden_bias.push_back({1, 1});
    usage([&] { design::validate_conditions(relu, both); }, "--hidden-bias: hidden unit 2 is also clamped");

    SamplerParams params;
    params.burn_in = -1;
    params.chains = 1;
    usage([&] { params.validate(); }, "--chains: the mixing diagnostic needs at least 2 chains");
    params.chains = 0;
    params.temperatures = 3;
    params.tempering_min_beta = 1.5;
    usage([&] { params.validate(); }, "--tempering-min-beta: expected a value in (0, beta = 1)");
}

TEST_CASE("design conditions: a clamped unit is removed and its weights move into the fields", "[design][conditions]") {
    const Rbm rbm = random_model(HiddenType::drelu, 4, 3, 3, 511);
    Conditions conditions;
    conditions.clamped_hidden.push_back({0, 2.0});
    conditions.hidden_bias.push_back({2, 0.75});
    const Rbm conditioned = design::conditioned_model(rbm, conditions);
    REQUIRE(conditioned.units() == 2);
    for (int i = 0; i < 4; ++i)
        for (int a = 0; a < 3; ++a) CHECK(conditioned.fields(i, a) == Approx(rbm.fields(i, a) + 2.0f * rbm.weights(i * 3 + a, 0)));
    CHECK(conditioned.weights.col(0) == rbm.weights.col(1));
    CHECK(conditioned.weights.col(1) == rbm.weights.col(2));
    CHECK(conditioned.hidden.theta_plus[1] == rbm.hidden.theta_plus[2] - 0.75f);
    CHECK(conditioned.hidden.theta_minus[1] == rbm.hidden.theta_minus[2] - 0.75f);
    CHECK(conditioned.hidden.gamma_plus[0] == rbm.hidden.gamma_plus[1]);
}
