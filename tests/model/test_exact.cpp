// Tests of exact enumeration (exact.hpp): configuration indexing, normalization, log Z against
// independent sums and closed forms, temperature, marginals, limits and thread independence.
#include "model/model_test_utils.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/threads.hpp"
#include "pottsrbm/model/exact.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <string>

using namespace pottsrbm;
using namespace pottsrbm::model;
using namespace pottsrbm::model::testing;

namespace {

// log sum_k exp(values[k]) in long double, as an independent reference.
double log_sum_exp(const Eigen::VectorXd& values) {
    const double m = values.maxCoeff();
    long double sum = 0;
    for (Eigen::Index k = 0; k < values.size(); ++k) sum += std::exp(static_cast<long double>(values[k] - m));
    return m + static_cast<double>(std::log(sum));
}

}  // namespace

TEST_CASE("configuration index: v_0 is the most significant base-q digit", "[exact]") {
    std::uint8_t v[4];
    configuration_from_index(0, 4, 3, v);
    CHECK((v[0] == 0 && v[1] == 0 && v[2] == 0 && v[3] == 0));
    configuration_from_index(1, 4, 3, v);
    CHECK((v[0] == 0 && v[3] == 1));
    configuration_from_index(27, 4, 3, v);
    CHECK((v[0] == 1 && v[1] == 0 && v[2] == 0 && v[3] == 0));
    configuration_from_index(3 * 27 - 1, 4, 3, v);
    CHECK((v[0] == 2 && v[1] == 2 && v[2] == 2 && v[3] == 2));
    for (std::int64_t k = 0; k < 81; ++k) {
        configuration_from_index(k, 4, 3, v);
        CHECK(index_of_configuration(v, 4, 3) == k);
    }
    const std::uint8_t w[3] = {20, 0, 7};
    CHECK(index_of_configuration(w, 3, 21) == 20 * 441 + 7);
}

TEST_CASE("exact distribution is normalized and log Z matches a direct sum", "[exact]") {
    for (auto type : all_hidden_types) {
        SECTION(std::string(to_string(type))) {
            const Rbm rbm = random_model(type, 3, 3, 2, 11);
            const auto exact = enumerate_exact(rbm);
            REQUIRE(exact.probabilities.size() == 27);
            CHECK(exact.probabilities.sum() == Approx(1.0).margin(1e-12));
            CHECK(exact.probabilities.minCoeff() > 0);

            const StateMatrix all = all_configurations(3, 3);
            Eigen::VectorXd energies(all.rows());
            free_energy(rbm, all, energies);
            const double log_z = log_sum_exp(-energies);
            CHECK(exact.log_z == Approx(log_z).margin(1e-10));
            for (Eigen::Index k = 0; k < all.rows(); ++k)
                CHECK(exact.probabilities[k] == Approx(std::exp(-energies[k] - log_z)).epsilon(1e-10));
        }
    }
}

TEST_CASE("exact log Z in closed form: independent sites and one Bernoulli unit", "[exact]") {
    Rbm rbm = random_model(HiddenType::bernoulli, 4, 3, 1, 12);
    // Z = sum_{h in {0,1}} exp(-theta h) prod_i sum_a exp(g_i(a) + W_i(a) h)
    double z = 0;
    for (int h = 0; h <= 1; ++h) {
        double term = std::exp(-static_cast<double>(rbm.hidden.theta_plus[0]) * h);
        for (int i = 0; i < 4; ++i) {
            double site = 0;
            for (int a = 0; a < 3; ++a) site += std::exp(static_cast<double>(rbm.fields(i, a)) + rbm.weights(i * 3 + a, 0) * h);
            term *= site;
        }
        z += term;
    }
    CHECK(enumerate_exact(rbm).log_z == Approx(std::log(z)).epsilon(1e-12));

    Rbm independent = random_model(HiddenType::drelu, 4, 3, 0, 13);
    const auto exact = enumerate_exact(independent, 0.5);
    double log_z = 0;
    for (int i = 0; i < 4; ++i) {
        double site = 0;
        for (int a = 0; a < 3; ++a) site += std::exp(0.5 * independent.fields(i, a));
        log_z += std::log(site);
        for (int a = 0; a < 3; ++a)
            CHECK(exact.single(i, a) == Approx(std::exp(0.5 * independent.fields(i, a)) / site).epsilon(1e-12));
    }
    CHECK(exact.log_z == Approx(log_z).epsilon(1e-12));
}

TEST_CASE("exact distribution at beta equals that of the model with parameters times beta", "[exact]") {
    for (auto type : all_hidden_types) {
        SECTION(std::string(to_string(type))) {
            const Rbm rbm = random_model(type, 3, 3, 2, 14);
            const auto hot = enumerate_exact(rbm, 0.5);
            const auto scaled = enumerate_exact(scaled_model(rbm, 0.5f));
            CHECK(hot.log_z == Approx(scaled.log_z).margin(1e-12));
            CHECK((hot.probabilities - scaled.probabilities).cwiseAbs().maxCoeff() < 1e-14);
            CHECK((hot.probabilities - enumerate_exact(rbm).probabilities).cwiseAbs().maxCoeff() > 1e-3);
        }
    }
}

TEST_CASE("exact marginals are consistent with the probabilities", "[exact]") {
    const int sites = 4, states = 3;
    const Rbm rbm = random_model(HiddenType::drelu, sites, states, 3, 15);
    const auto exact = enumerate_exact(rbm);
    const StateMatrix all = all_configurations(sites, states);
    Eigen::MatrixXd single = Eigen::MatrixXd::Zero(sites, states);
    Eigen::MatrixXd pair = Eigen::MatrixXd::Zero(sites * states, sites * states);
    for (Eigen::Index k = 0; k < all.rows(); ++k)
        for (int i = 0; i < sites; ++i) {
            single(i, all(k, i)) += exact.probabilities[k];
            for (int j = 0; j < sites; ++j) pair(i * states + all(k, i), j * states + all(k, j)) += exact.probabilities[k];
        }
    CHECK((exact.single - single).cwiseAbs().maxCoeff() < 1e-14);
    CHECK((exact.pair - pair).cwiseAbs().maxCoeff() < 1e-14);
    CHECK((exact.pair - exact.pair.transpose()).cwiseAbs().maxCoeff() < 1e-15);
    for (int i = 0; i < sites; ++i) {
        CHECK(exact.single.row(i).sum() == Approx(1.0).margin(1e-12));
        for (int j = 0; j < sites; ++j) {
            const Eigen::MatrixXd block = exact.pair.block(i * states, j * states, states, states);
            CHECK((block.rowwise().sum() - exact.single.row(i).transpose()).cwiseAbs().maxCoeff() < 1e-12);
            if (i == j) CHECK((block - Eigen::MatrixXd(exact.single.row(i).asDiagonal())).cwiseAbs().maxCoeff() < 1e-15);
        }
    }
}

TEST_CASE("exact enumeration refuses too many configurations and bad temperatures", "[exact]") {
    const Rbm rbm = Rbm::make(10, 21, 2, HiddenType::relu);
    CHECK_THROWS_AS(enumerate_exact(rbm), UsageError);
    CHECK_THROWS_AS(enumerate_exact(Rbm::make(3, 3, 1, HiddenType::relu), 1.0, 26), UsageError);
    CHECK_NOTHROW(enumerate_exact(Rbm::make(3, 3, 1, HiddenType::relu), 1.0, 27));
    CHECK_THROWS_AS(enumerate_exact(Rbm::make(3, 3, 1, HiddenType::relu), 0.0), UsageError);
}

TEST_CASE("exact enumeration does not depend on the thread count", "[exact]") {
    const Rbm rbm = random_model(HiddenType::gaussian, 9, 3, 3, 16, {.weight_scale = 0.3, .gamma_low = 1.0});  // 3^9 = 4.8 chunks
    const int saved = pottsrbm::threads();
    pottsrbm::set_threads(1);
    const auto one = enumerate_exact(rbm);
    pottsrbm::set_threads(2);
    const auto two = enumerate_exact(rbm);
    pottsrbm::set_threads(saved);
    CHECK(one.log_z == two.log_z);
    CHECK(one.probabilities == two.probabilities);
    CHECK(one.pair == two.pair);
}
