// Tests of Gibbs sampling (sampling.hpp): stationary law against exact enumeration at beta = 1 and
// 0.5 for every hidden type, both half-step conditionals against their exact laws (chi-square at
// p = 0.001), initial states, and independence from the thread count.
#include "model/model_test_utils.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/threads.hpp"
#include "pottsrbm/model/exact.hpp"
#include "pottsrbm/model/sampling.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace pottsrbm;
using namespace pottsrbm::model;
using namespace pottsrbm::model::testing;

namespace {

std::string label(HiddenType type, double beta) { return std::string(to_string(type)) + " beta=" + std::to_string(beta); }

// P(v_i = a | h) = softmax_a(beta (g_i(a) + sum_mu W_{i mu}(a) h_mu)), in double.
Eigen::MatrixXd visible_conditional(const Rbm& rbm, const Eigen::VectorXd& h, double beta) {
    Eigen::MatrixXd p(rbm.sites, rbm.states);
    for (int i = 0; i < rbm.sites; ++i) {
        for (int a = 0; a < rbm.states; ++a)
            p(i, a) = beta * (rbm.fields(i, a) + rbm.weights.row(i * rbm.states + a).cast<double>().dot(h));
        p.row(i).array() -= p.row(i).maxCoeff();
        p.row(i) = p.row(i).array().exp().matrix();
        p.row(i) /= p.row(i).sum();
    }
    return p;
}

}  // namespace

// 20,000 independent chains, 50 sweeps of burn-in from the independent-site law, then 5 snapshots
// 5 sweeps apart (100,000 draws). With 27 configurations the sampling noise of the total variation
// is about 0.5 * sum_v sqrt(2 p(v) / (pi n)) <= 0.01, half the tolerance 0.02; the last snapshot
// alone (20,000 independent draws) also passes a chi-square test at p = 0.001.
TEST_CASE("Gibbs sampling reaches the exact distribution at beta = 1 and 0.5", "[gibbs]") {
    for (auto type : all_hidden_types) {
        for (double beta : {1.0, 0.5}) {
            SECTION(label(type, beta)) {
                const Rbm rbm = random_model(type, 3, 3, 2, 21 + static_cast<int>(type), {.weight_scale = 0.8});
                const auto exact = enumerate_exact(rbm, beta);
                const int chains = 20000;
                ChainBatch batch = ChainBatch::make(rbm, chains, 77, 0, beta);
                const GibbsOptions options{beta};
                gibbs_sweeps(rbm, batch, 50, options);
                std::vector<double> histogram(27, 0.0), last(27, 0.0);
                double draws = 0;
                for (int snapshot = 0; snapshot < 5; ++snapshot) {
                    gibbs_sweeps(rbm, batch, 5, options);
                    std::fill(last.begin(), last.end(), 0.0);
                    for (int b = 0; b < chains; ++b) last[static_cast<std::size_t>(index_of_configuration(batch.visible.row(b).data(), 3, 3))] += 1;
                    for (std::size_t k = 0; k < 27; ++k) histogram[k] += last[k];
                    draws += chains;
                }
                double distance = 0;
                for (std::size_t k = 0; k < 27; ++k)
                    distance += std::abs(histogram[k] / draws - exact.probabilities[static_cast<Eigen::Index>(k)]);
                distance /= 2;
                INFO("total variation " << distance);
                CHECK(distance < 0.02);
                const std::vector<double> expected(exact.probabilities.data(), exact.probabilities.data() + 27);
                const auto [statistic, dof] = chi_square(last, expected, chains);
                INFO("chi-square " << statistic << " with " << dof << " degrees of freedom");
                CHECK(statistic < chi_square_critical(dof));
                // The exact law is not close to uniform: the test can distinguish.
                CHECK(exact.probabilities.maxCoeff() > 2 * exact.probabilities.minCoeff());
            }
        }
    }
}

// h_mu | v has density proportional to exp(beta (I_mu h - U_mu(h))); its CDF on a grid of step
// 1e-3 (trapezoid, exact to ~1e-7) gives 20 bins of about equal probability for continuous units.
TEST_CASE("hidden half-step samples the exact conditional law", "[gibbs]") {
    for (auto type : all_hidden_types) {
        for (double beta : {1.0, 0.5}) {
            SECTION(label(type, beta)) {
                const Rbm rbm = random_model(type, 3, 3, 2, 31, {.weight_scale = 0.8});
                const int chains = 20000;
                ChainBatch batch = ChainBatch::make(rbm, chains, 78);
                const std::uint8_t v[3] = {0, 2, 1};
                for (int b = 0; b < chains; ++b)
                    for (int i = 0; i < 3; ++i) batch.visible(b, i) = v[i];
                sample_hidden_given_visible(rbm, batch, GibbsOptions{beta});
                RowMatrixXf inputs(1, rbm.units());
                hidden_inputs(rbm, batch.visible.topRows(1), inputs);
                CHECK(batch.inputs.row(chains - 1) == inputs.row(0));

                const Eigen::VectorXd zero = Eigen::VectorXd::Zero(rbm.units());
                const double base = joint_energy(rbm, v, zero);
                for (int mu = 0; mu < rbm.units(); ++mu) {
                    const auto phi = [&](double h) {
                        Eigen::VectorXd hv = zero;
                        hv[mu] = h;
                        return -beta * (joint_energy(rbm, v, hv) - base);
                    };
                    std::vector<double> counts, expected;
                    if (type == HiddenType::bernoulli) {
                        const double p1 = 1 / (1 + std::exp(phi(0) - phi(1)));
                        expected = {1 - p1, p1};
                        counts = {0, 0};
                        for (int b = 0; b < chains; ++b) {
                            const float h = batch.hidden(b, mu);
                            REQUIRE((h == 0.0f || h == 1.0f));
                            counts[static_cast<std::size_t>(h)] += 1;
                        }
                    } else {
                        const double lo = type == HiddenType::relu ? 0.0 : -40.0, hi = 40.0, step = 1e-3;
                        const int points = static_cast<int>((hi - lo) / step) + 1;
                        std::vector<double> cdf(static_cast<std::size_t>(points), 0.0);
                        double largest = -std::numeric_limits<double>::infinity();
                        for (int k = 0; k < points; ++k) largest = std::max(largest, phi(lo + k * step));
                        double previous = std::exp(phi(lo) - largest);
                        for (int k = 1; k < points; ++k) {
                            const double current = std::exp(phi(lo + k * step) - largest);
                            cdf[static_cast<std::size_t>(k)] = cdf[static_cast<std::size_t>(k - 1)] + (previous + current) * step / 2;
                            previous = current;
                        }
                        for (auto& c : cdf) c /= cdf.back();
                        const int bins = 20;
                        std::vector<double> edges;  // grid points where the CDF first reaches j / bins
                        double below = 0;
                        for (int j = 1; j <= bins; ++j) {
                            const auto at = std::lower_bound(cdf.begin(), cdf.end() - 1, static_cast<double>(j) / bins);
                            const double upper = j < bins ? *at : 1.0;
                            if (j < bins) edges.push_back(lo + static_cast<double>(at - cdf.begin()) * step);
                            expected.push_back(upper - below);
                            below = upper;
                        }
                        counts.assign(bins, 0.0);
                        for (int b = 0; b < chains; ++b) {
                            const double h = batch.hidden(b, mu);
                            const auto bin = std::upper_bound(edges.begin(), edges.end(), h) - edges.begin();
                            counts[static_cast<std::size_t>(bin)] += 1;
                        }
                    }
                    const auto [statistic, dof] = chi_square(counts, expected, chains);
                    INFO("unit " << mu << ": chi-square " << statistic << " with " << dof << " degrees of freedom");
                    CHECK(statistic < chi_square_critical(dof));
                }
            }
        }
    }
}

namespace {

// Chi-square test (p = 0.001) of the visible half-step at fixed h, site by site, 20,000 chains.
void check_visible_conditional(const Rbm& rbm, const Eigen::VectorXd& h, double beta) {
    const int chains = 20000;
    ChainBatch batch = ChainBatch::make(rbm, chains, 79);
    for (int b = 0; b < chains; ++b) batch.hidden.row(b) = h.transpose().cast<float>();
    sample_visible_given_hidden(rbm, batch, GibbsOptions{beta});
    const Eigen::MatrixXd p = visible_conditional(rbm, h.cast<float>().cast<double>(), beta);
    for (int i = 0; i < rbm.sites; ++i) {
        std::vector<double> counts(static_cast<std::size_t>(rbm.states), 0.0), expected(counts.size());
        for (int b = 0; b < chains; ++b) counts[batch.visible(b, i)] += 1;
        for (int a = 0; a < rbm.states; ++a) expected[static_cast<std::size_t>(a)] = p(i, a);
        const auto [statistic, dof] = chi_square(counts, expected, chains);
        INFO("site " << i << ": chi-square " << statistic << " with " << dof << " degrees of freedom");
        CHECK(dof >= 1);
        CHECK(statistic < chi_square_critical(dof));
    }
}

}  // namespace

TEST_CASE("visible half-step samples the softmax of beta (g + W h)", "[gibbs]") {
    Rng rng(3, 0);
    Eigen::VectorXd h(3);
    for (int mu = 0; mu < 3; ++mu) h[mu] = 1.5 * rng.normal();
    for (double beta : {1.0, 0.5}) {
        SECTION("q = 5, beta=" + std::to_string(beta)) {
            const Rbm rbm = random_model(HiddenType::drelu, 4, 5, 3, 41, {.field_scale = 1.0, .weight_scale = 0.8});
            check_visible_conditional(rbm, h, beta);
        }
        SECTION("q = 21, beta=" + std::to_string(beta)) {
            const Rbm rbm = random_model(HiddenType::relu, 3, 21, 3, 42, {.field_scale = 1.0, .weight_scale = 0.8});
            check_visible_conditional(rbm, h, beta);
        }
        SECTION("q = 30 (no vector kernel), beta=" + std::to_string(beta)) {
            const Rbm rbm = random_model(HiddenType::gaussian, 3, 30, 3, 43, {.field_scale = 1.0, .weight_scale = 0.8});
            check_visible_conditional(rbm, h, beta);
        }
    }
    SECTION("sites whose fields are far below the largest field of the chain") {
        // Relative to the maximum 100, site 1 underflows float entirely, site 2 to ~2^-86 (both
        // redrawn exactly) and site 3 sits at ~2^-72 (kept on the vector path).
        Rbm rbm = Rbm::make(4, 5, 1, HiddenType::gaussian);
        rbm.fields << 100, 99, 98, 97, 96, -10, -9, -11, -10.5f, -9.5f, 40, 41, 39, 40.5f, 38, 50, 51, 49, 50.5f, 48;
        check_visible_conditional(rbm, Eigen::VectorXd::Zero(1), 1.0);
    }
}

TEST_CASE("initial chains follow the independent-site law of the fields", "[gibbs]") {
    const Rbm rbm = random_model(HiddenType::relu, 3, 4, 2, 51, {.field_scale = 1.0});
    for (double beta : {1.0, 0.0}) {
        const int chains = 20000;
        const ChainBatch batch = ChainBatch::make(rbm, chains, 80, 0, beta);
        CHECK(batch.chains() == chains);
        CHECK(batch.hidden.rows() == chains);
        CHECK(batch.hidden.cols() == 2);
        CHECK(batch.hidden.isZero());
        CHECK(batch.rngs.size() == static_cast<std::size_t>(chains));
        RowMatrixXf inputs(chains, 2);
        hidden_inputs(rbm, batch.visible, inputs);
        CHECK(batch.inputs == inputs);
        const Eigen::MatrixXd p = visible_conditional(rbm, Eigen::VectorXd::Zero(2), beta);
        for (int i = 0; i < 3; ++i) {
            std::vector<double> counts(4, 0.0), expected(4);
            for (int b = 0; b < chains; ++b) counts[batch.visible(b, i)] += 1;
            for (int a = 0; a < 4; ++a) expected[static_cast<std::size_t>(a)] = p(i, a);
            const auto [statistic, dof] = chi_square(counts, expected, chains);
            INFO("beta " << beta << ", site " << i << ": chi-square " << statistic);
            CHECK(statistic < chi_square_critical(dof));
        }
    }
    const ChainBatch again = ChainBatch::make(rbm, 100, 80);
    const ChainBatch shifted = ChainBatch::make(rbm, 100, 80, 1);
    CHECK(again.visible == ChainBatch::make(rbm, 100, 80).visible);
    CHECK(again.visible.bottomRows(99) == shifted.visible.topRows(99));  // chain b uses stream b
}

TEST_CASE("Gibbs sampling gives identical chains with 1 and 2 threads", "[gibbs]") {
    for (auto type : {HiddenType::bernoulli, HiddenType::drelu}) {
        SECTION(std::string(to_string(type))) {
            const Rbm rbm = random_model(type, 10, 5, 20, 61, {.weight_scale = 0.3});
            const int saved = pottsrbm::threads();
            const auto run = [&](int threads) {
                pottsrbm::set_threads(threads);
                ChainBatch batch = ChainBatch::make(rbm, 300, 81);  // 4 full blocks of 64 and a partial one
                gibbs_sweeps(rbm, batch, 5, GibbsOptions{0.7});
                return batch;
            };
            const ChainBatch one = run(1);
            const ChainBatch two = run(2);
            pottsrbm::set_threads(saved);
            CHECK(one.visible == two.visible);
            CHECK(one.hidden == two.hidden);
            CHECK(one.inputs == two.inputs);
            CHECK(one.rngs[299].state() == two.rngs[299].state());
            // gibbs_sweeps leaves the inputs consistent with the final visible states.
            RowMatrixXf inputs(300, rbm.units());
            hidden_inputs(rbm, one.visible, inputs);
            CHECK(one.inputs == inputs);
            // The same draws as the half-steps called one by one.
            ChainBatch steps = ChainBatch::make(rbm, 300, 81);
            for (int s = 0; s < 5; ++s) {
                sample_hidden_given_visible(rbm, steps, GibbsOptions{0.7});
                sample_visible_given_hidden(rbm, steps, GibbsOptions{0.7});
            }
            CHECK(steps.visible == one.visible);
            CHECK(steps.hidden == one.hidden);
            CHECK(steps.rngs[150].state() == one.rngs[150].state());
        }
    }
}

TEST_CASE("sampling rejects a batch of another model and bad temperatures", "[gibbs]") {
    const Rbm rbm = random_model(HiddenType::gaussian, 3, 3, 2, 71);
    const Rbm other = random_model(HiddenType::gaussian, 4, 3, 2, 71);
    ChainBatch batch = ChainBatch::make(rbm, 10, 1);
    CHECK_THROWS_AS(gibbs_sweeps(other, batch, 1), UsageError);
    CHECK_THROWS_AS(sample_visible_given_hidden(rbm, batch, GibbsOptions{0.0}), UsageError);
    CHECK_THROWS_AS(sample_hidden_given_visible(rbm, batch, GibbsOptions{-1.0}), UsageError);
    CHECK_THROWS_AS(gibbs_sweeps(rbm, batch, -1), UsageError);
    CHECK_THROWS_AS(ChainBatch::make(rbm, -1, 1), UsageError);
}
