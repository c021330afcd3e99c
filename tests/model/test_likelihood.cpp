// Tests of the likelihood estimators (likelihood.hpp): pseudo-log-likelihood against brute-force
// conditionals, AIS log Z against exact enumeration and against a hidden-configuration sum for
// Bernoulli units, independent-site fields against their defining frequencies.
#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/interrupt.hpp"
#include "pottsrbm/core/rng.hpp"
#include "pottsrbm/core/threads.hpp"
#include "pottsrbm/model/exact.hpp"
#include "pottsrbm/model/hidden.hpp"
#include "pottsrbm/model/likelihood.hpp"
#include "pottsrbm/model/rbm.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <csignal>
#include <cstdint>
#include <vector>

using namespace pottsrbm;
using namespace pottsrbm::model;

namespace {

constexpr HiddenType all_types[] = {HiddenType::bernoulli, HiddenType::gaussian, HiddenType::relu, HiddenType::drelu};

/// Random model: fields ~ N(0, 0.5^2), weights ~ N(0, weight_scale^2), hidden potentials with
/// curvatures in [0.7, 1.5] and thresholds in [-0.5, 0.5].
Rbm random_model(int sites, int states, int units, HiddenType type, std::uint64_t seed, double weight_scale) {
    Rbm rbm = Rbm::make(sites, states, units, type);
    Rng rng(seed, 0);
    for (Eigen::Index k = 0; k < rbm.fields.size(); ++k) rbm.fields.data()[k] = static_cast<float>(0.5 * rng.normal());
    for (Eigen::Index k = 0; k < rbm.weights.size(); ++k)
        rbm.weights.data()[k] = static_cast<float>(weight_scale * rng.normal());
    for (int mu = 0; mu < units; ++mu) {
        rbm.hidden.gamma_plus[mu] = static_cast<float>(0.7 + 0.8 * rng.uniform());
        rbm.hidden.gamma_minus[mu] = static_cast<float>(0.7 + 0.8 * rng.uniform());
        rbm.hidden.theta_plus[mu] = static_cast<float>(rng.uniform() - 0.5);
        rbm.hidden.theta_minus[mu] = static_cast<float>(rng.uniform() - 0.5);
    }
    rbm.validate();
    return rbm;
}

/// Every configuration of N sites with q states, in configuration-index order.
StateMatrix all_configurations(int sites, int states) {
    std::int64_t count = 1;
    for (int i = 0; i < sites; ++i) count *= states;
    StateMatrix configurations(count, sites);
    for (std::int64_t k = 0; k < count; ++k) configuration_from_index(k, sites, states, &configurations(k, 0));
    return configurations;
}

double log_sum_exp(const Eigen::VectorXd& x) {
    const double top = x.maxCoeff();
    return top + std::log((x.array() - top).exp().sum());
}

/// Restores the thread count when a test changes it.
struct ThreadGuard {
    int saved = pottsrbm::threads();
    ~ThreadGuard() { pottsrbm::set_threads(saved); }
};

}  // namespace

TEST_CASE("pseudo-log-likelihood equals brute-force conditionals from free energies", "[likelihood][pll]") {
    const int sites = 4, states = 3, units = 2;
    const StateMatrix configurations = all_configurations(sites, states);
    for (HiddenType type : all_types) {
        SECTION(std::string(to_string(type))) {
            const Rbm rbm = random_model(sites, states, units, type, 11, 0.8);
            Eigen::VectorXd pll(configurations.rows());
            pseudo_log_likelihood(rbm, configurations, pll);

            const ExactDistribution exact = enumerate_exact(rbm);
            StateMatrix variant(1, sites);
            Eigen::VectorXd log_p(states);
            for (Eigen::Index b = 0; b < configurations.rows(); ++b) {
                double by_free_energy = 0, by_probability = 0;
                for (int i = 0; i < sites; ++i) {
                    variant = configurations.row(b);
                    double denominator = 0;
                    for (int a = 0; a < states; ++a) {
                        variant(0, i) = static_cast<std::uint8_t>(a);
                        log_p(a) = -free_energy(rbm, &variant(0, 0));
                        denominator += exact.probabilities(index_of_configuration(&variant(0, 0), sites, states));
                    }
                    by_free_energy += log_p(configurations(b, i)) - log_sum_exp(log_p);
                    by_probability += std::log(exact.probabilities(b) / denominator);
                }
                // The PLL feeds Gamma float-rounded inputs: each Gamma moves by at most
                // |I| 2^-24 |Gamma'(I)| < 10 * 6e-8 * 15 here (H = 2), so a conditional log-probability
                // by < 4 * 9e-6; the bound 5e-5 is loose (typical differences are ~1e-7).
                CHECK(pll(b) == Approx(by_free_energy / sites).margin(5e-5));
                CHECK(pll(b) == Approx(by_probability / sites).margin(5e-5));
            }
        }
    }
}

TEST_CASE("pseudo-log-likelihood of a model without weights is the mean site log-softmax", "[likelihood][pll]") {
    Rbm rbm = random_model(6, 5, 3, HiddenType::drelu, 5, 0.0);
    StateMatrix sequences(3, 6);
    sequences << 0, 1, 2, 3, 4, 0, 4, 4, 4, 4, 4, 4, 1, 0, 3, 2, 1, 0;
    Eigen::VectorXd pll(3);
    pseudo_log_likelihood(rbm, sequences, pll);
    for (Eigen::Index b = 0; b < 3; ++b) {
        double expected = 0;
        for (int i = 0; i < 6; ++i) {
            const Eigen::VectorXd g = rbm.fields.row(i).transpose().cast<double>();
            expected += g(sequences(b, i)) - log_sum_exp(g);
        }
        CHECK(pll(b) == Approx(expected / 6).margin(1e-12));
    }
}

TEST_CASE("pseudo-log-likelihood does not depend on the thread count and checks its input", "[likelihood][pll]") {
    ThreadGuard guard;
    const Rbm rbm = random_model(12, 5, 7, HiddenType::drelu, 3, 0.4);
    Rng rng(9, 0);
    StateMatrix sequences(37, 12);
    for (Eigen::Index k = 0; k < sequences.size(); ++k) sequences.data()[k] = static_cast<std::uint8_t>(rng.below(5));
    Eigen::VectorXd one(37), two(37);
    set_threads(1);
    pseudo_log_likelihood(rbm, sequences, one);
    set_threads(2);
    pseudo_log_likelihood(rbm, sequences, two);
    CHECK((one.array() == two.array()).all());
    CHECK((one.array() < 0).all());

    sequences(4, 7) = 5;
    CHECK_THROWS_AS(pseudo_log_likelihood(rbm, sequences, one), InputError);
    Eigen::VectorXd wrong_size(3);
    CHECK_THROWS_AS(pseudo_log_likelihood(rbm, sequences, wrong_size), UsageError);
}

// The accuracy tests run single-threaded: their per-step work is microseconds, so on a loaded
// machine thread barriers would dominate; thread-count independence is tested separately below.
TEST_CASE("AIS log Z agrees with exact enumeration for every hidden type", "[likelihood][ais]") {
    ThreadGuard guard;
    set_threads(1);
    const int sites = 4, states = 3, units = 2;
    const StateMatrix configurations = all_configurations(sites, states);
    for (HiddenType type : all_types) {
        SECTION(std::string(to_string(type))) {
            const Rbm rbm = random_model(sites, states, units, type, 21, 1.0);
            const ExactDistribution exact = enumerate_exact(rbm);
            // The weights matter: log Z moves well away from that of the same model without them.
            Rbm no_weights = rbm;
            no_weights.weights.setZero();
            CHECK(std::abs(exact.log_z - enumerate_exact(no_weights).log_z) > 0.5);

            // Base: pseudocounted exact one-site marginals (every configuration weighted by P(v)).
            const FieldMatrix base = independent_site_fields(configurations, exact.probabilities, states, 1e-3);
            AisParams params;
            params.temperatures = 1000;
            params.chains = 200;
            params.seed = 17;
            const AisResult ais = estimate_log_z(rbm, base, params);
            INFO("exact " << exact.log_z << " AIS " << ais.log_z << " +- " << ais.std_error << ", effective chains "
                          << ais.effective_chains);
            CHECK(ais.chains == 200);
            CHECK(ais.temperatures == 1000);
            CHECK(ais.std_error > 0);
            CHECK(ais.std_error < 0.05);
            CHECK(std::abs(ais.log_z - exact.log_z) < 3 * ais.std_error);
            CHECK(ais.effective_chains > 1);
            CHECK(ais.effective_chains <= 200 + 1e-9);

            // A poor base (the model's own fields) still converges, with a larger error bar.
            const AisResult from_fields = estimate_log_z(rbm, rbm.fields, params);
            INFO("from model fields: AIS " << from_fields.log_z << " +- " << from_fields.std_error);
            CHECK(from_fields.std_error < 0.05);
            CHECK(std::abs(from_fields.log_z - exact.log_z) < 3 * from_fields.std_error);
        }
    }
}

TEST_CASE("AIS of a model without weights returns the exact log Z0 with no spread", "[likelihood][ais]") {
    ThreadGuard guard;
    set_threads(1);
    for (HiddenType type : all_types) {
        const Rbm rbm = random_model(4, 3, 2, type, 8, 0.0);
        double log_z0 = 0;
        for (int i = 0; i < rbm.sites; ++i) log_z0 += log_sum_exp(rbm.fields.row(i).transpose().cast<double>());
        for (int mu = 0; mu < rbm.units(); ++mu) log_z0 += hidden_cgf(rbm.hidden, mu, 0.0);
        REQUIRE(enumerate_exact(rbm).log_z == Approx(log_z0).margin(1e-10));
        AisParams params;
        params.temperatures = 50;
        params.chains = 10;
        const AisResult ais = estimate_log_z(rbm, rbm.fields, params);
        CHECK(ais.log_z == Approx(log_z0).margin(1e-5));
        CHECK(ais.std_error < 1e-6);
        CHECK(ais.effective_chains == Approx(10).epsilon(1e-6));
    }
}

TEST_CASE("AIS log Z agrees with the hidden-configuration sum of a larger Bernoulli RBM", "[likelihood][ais]") {
    // For Bernoulli units, Z = sum_{h in {0,1}^H} exp(-theta.h) prod_i sum_a exp(g_i(a) + sum_mu W_{i mu}(a) h_mu),
    // exact with 2^H terms whatever N and q: an oracle independent of enumerate_exact.
    ThreadGuard guard;
    set_threads(1);
    const int sites = 20, states = 21, units = 6;
    const Rbm rbm = random_model(sites, states, units, HiddenType::bernoulli, 31, 0.35);
    Eigen::VectorXd terms(1 << units);
    for (int mask = 0; mask < (1 << units); ++mask) {
        double log_term = 0;
        for (int mu = 0; mu < units; ++mu)
            if (mask & (1 << mu)) log_term -= rbm.hidden.theta_plus[mu];
        Eigen::VectorXd site_logits(states);
        for (int i = 0; i < sites; ++i) {
            for (int a = 0; a < states; ++a) {
                double value = rbm.fields(i, a);
                for (int mu = 0; mu < units; ++mu)
                    if (mask & (1 << mu)) value += rbm.weights(i * states + a, mu);
                site_logits(a) = value;
            }
            log_term += log_sum_exp(site_logits);
        }
        terms(mask) = log_term;
    }
    const double exact_log_z = log_sum_exp(terms);

    AisParams params;
    params.temperatures = 2000;
    params.chains = 100;
    params.seed = 4;
    const AisResult ais = estimate_log_z(rbm, rbm.fields, params);
    INFO("exact " << exact_log_z << " AIS " << ais.log_z << " +- " << ais.std_error);
    CHECK(ais.std_error < 0.1);
    CHECK(std::abs(ais.log_z - exact_log_z) < 3 * ais.std_error);
}

TEST_CASE("AIS is reproducible, independent of the thread count, and validates its parameters", "[likelihood][ais]") {
    ThreadGuard guard;
    const Rbm rbm = random_model(5, 4, 3, HiddenType::drelu, 2, 0.7);
    AisParams params;
    params.temperatures = 60;
    params.chains = 16;
    params.seed = 99;
    set_threads(1);
    const AisResult one = estimate_log_z(rbm, rbm.fields, params);
    set_threads(2);
    const AisResult two = estimate_log_z(rbm, rbm.fields, params);
    CHECK(one.log_z == two.log_z);
    CHECK(one.std_error == two.std_error);
    params.seed = 100;
    CHECK(estimate_log_z(rbm, rbm.fields, params).log_z != one.log_z);

    AisParams bad;
    bad.temperatures = 1;
    CHECK_THROWS_WITH(bad.validate(), Catch::Contains("--ais-temperatures"));
    bad = AisParams{};
    bad.chains = 1;
    CHECK_THROWS_WITH(bad.validate(), Catch::Contains("--ais-chains"));
    CHECK_THROWS_AS(estimate_log_z(rbm, rbm.fields, bad), UsageError);
    const FieldMatrix wrong_shape = FieldMatrix::Zero(4, 4);
    CHECK_THROWS_AS(estimate_log_z(rbm, wrong_shape, params), UsageError);
}

TEST_CASE("AIS stops with Interrupted when an interrupt was requested", "[likelihood][ais]") {
    const Rbm rbm = random_model(4, 3, 2, HiddenType::relu, 1, 0.5);
    AisParams params;
    params.temperatures = 100;
    params.chains = 4;
    install_interrupt_handlers();
    std::raise(SIGINT);
    REQUIRE(interrupt_requested().load());
    CHECK_THROWS_AS(estimate_log_z(rbm, rbm.fields, params), Interrupted);
    install_interrupt_handlers();  // clears the flag
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    CHECK_NOTHROW(estimate_log_z(rbm, rbm.fields, params));
}

TEST_CASE("independent-site fields reproduce the pseudocounted frequencies", "[likelihood][fields]") {
    StateMatrix sequences(3, 2);
    sequences << 0, 1, 0, 2, 1, 2;
    auto softmax = [](const FieldMatrix& fields, int i) {
        const Eigen::VectorXd g = fields.row(i).transpose().cast<double>();
        return Eigen::VectorXd((g.array() - log_sum_exp(g)).exp());
    };
    const double pc = 0.3;

    SECTION("weighted") {
        Eigen::VectorXd weights(3);
        weights << 1, 2, 1;
        const FieldMatrix fields = independent_site_fields(sequences, weights, 3, pc);
        // f_0 = (3/4, 1/4, 0), f_1 = (0, 1/4, 3/4); expected (1 - pc) f + pc/q.
        const double expected[2][3] = {{0.7 * 0.75 + 0.1, 0.7 * 0.25 + 0.1, 0.1}, {0.1, 0.7 * 0.25 + 0.1, 0.7 * 0.75 + 0.1}};
        for (int i = 0; i < 2; ++i) {
            const Eigen::VectorXd p = softmax(fields, i);
            for (int a = 0; a < 3; ++a) CHECK(p(a) == Approx(expected[i][a]).margin(1e-6));
            CHECK(std::abs(fields.row(i).sum()) < 1e-5);
        }
    }
    SECTION("uniform (empty weights)") {
        const FieldMatrix fields = independent_site_fields(sequences, Eigen::VectorXd(), 3, pc);
        const double expected[2][3] = {{0.7 * 2 / 3 + 0.1, 0.7 / 3 + 0.1, 0.1}, {0.1, 0.7 / 3 + 0.1, 0.7 * 2 / 3 + 0.1}};
        for (int i = 0; i < 2; ++i) {
            const Eigen::VectorXd p = softmax(fields, i);
            for (int a = 0; a < 3; ++a) CHECK(p(a) == Approx(expected[i][a]).margin(1e-6));
        }
    }
    SECTION("pseudocount 1 gives uniform fields") {
        const FieldMatrix fields = independent_site_fields(sequences, Eigen::VectorXd(), 3, 1.0);
        CHECK(fields.cwiseAbs().maxCoeff() < 1e-6);
    }
    SECTION("errors") {
        CHECK_THROWS_AS(independent_site_fields(sequences, Eigen::VectorXd(), 3, 0.0), UsageError);
        CHECK_THROWS_AS(independent_site_fields(sequences, Eigen::VectorXd(), 3, 1.5), UsageError);
        CHECK_THROWS_AS(independent_site_fields(sequences, Eigen::VectorXd::Ones(2), 3, pc), UsageError);
        CHECK_THROWS_AS(independent_site_fields(sequences, Eigen::VectorXd::Zero(3), 3, pc), InputError);
        CHECK_THROWS_AS(independent_site_fields(sequences, Eigen::VectorXd(), 2, pc), InputError);
    }
}
