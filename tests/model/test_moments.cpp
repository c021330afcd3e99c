// Tests of the moment statistics (moments.hpp): site statistics against hand-computed numbers, a
// dense one-hot oracle and exact marginals; moment-matching scores on known cases; weight sparsity.
#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/rng.hpp"
#include "pottsrbm/core/threads.hpp"
#include "pottsrbm/model/exact.hpp"
#include "pottsrbm/model/moments.hpp"
#include "pottsrbm/model/rbm.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

using namespace pottsrbm;
using namespace pottsrbm::model;

namespace {

struct ThreadGuard {
    int saved = pottsrbm::threads();
    ~ThreadGuard() { pottsrbm::set_threads(saved); }
};

/// Checks every entry of `pair`: the listed (row, column) entries, zero elsewhere.
void check_pair(const Eigen::MatrixXd& pair, const std::map<std::pair<int, int>, double>& nonzero) {
    for (Eigen::Index r = 0; r < pair.rows(); ++r)
        for (Eigen::Index c = 0; c < pair.cols(); ++c) {
            const auto found = nonzero.find({static_cast<int>(r), static_cast<int>(c)});
            INFO("entry " << r << ", " << c);
            CHECK(pair(r, c) == Approx(found == nonzero.end() ? 0.0 : found->second).margin(1e-15));
        }
}

/// Dense oracle: one-hot encoding X (B x Nq), f = X^T w / sum w (all blocks filled).
SiteStatistics dense_statistics(const StateMatrix& sequences, const Eigen::VectorXd& weights, int states) {
    const Eigen::Index count = sequences.rows();
    const int sites = static_cast<int>(sequences.cols());
    Eigen::MatrixXd one_hot = Eigen::MatrixXd::Zero(count, sites * states);
    for (Eigen::Index b = 0; b < count; ++b)
        for (int i = 0; i < sites; ++i) one_hot(b, i * states + sequences(b, i)) = 1;
    SiteStatistics stats;
    stats.sites = sites;
    stats.states = states;
    stats.pair = one_hot.transpose() * weights.asDiagonal() * one_hot / weights.sum();
    stats.single.resize(sites, states);
    for (int i = 0; i < sites; ++i)
        for (int a = 0; a < states; ++a) stats.single(i, a) = stats.pair(i * states + a, i * states + a);
    return stats;
}

}  // namespace

TEST_CASE("site statistics of hand-made sequences", "[statistics]") {
    // s1 = (0,1,2), s2 = (0,2,2), s3 = (1,1,0); q = 3, row/column index i*3 + a.
    StateMatrix sequences(3, 3);
    sequences << 0, 1, 2, 0, 2, 2, 1, 1, 0;

    SECTION("weighted (1, 2, 1)") {
        Eigen::VectorXd weights(3);
        weights << 1, 2, 1;
        const SiteStatistics stats = site_statistics(sequences, weights, 3);
        REQUIRE(stats.sites == 3);
        REQUIRE(stats.states == 3);
        Eigen::MatrixXd single(3, 3);
        single << 0.75, 0.25, 0, 0, 0.5, 0.5, 0.25, 0, 0.75;
        CHECK(stats.single.isApprox(single, 1e-15));
        check_pair(stats.pair, {{{0, 4}, 0.25},   // s1: (0,0)(1,1)
                                {{0, 5}, 0.5},    // s2: (0,0)(1,2)
                                {{1, 4}, 0.25},   // s3: (0,1)(1,1)
                                {{0, 8}, 0.75},   // s1 + s2: (0,0)(2,2)
                                {{1, 6}, 0.25},   // s3: (0,1)(2,0)
                                {{4, 8}, 0.25},   // s1: (1,1)(2,2)
                                {{5, 8}, 0.5},    // s2: (1,2)(2,2)
                                {{4, 6}, 0.25}}); // s3: (1,1)(2,0)
    }
    SECTION("uniform (empty weights)") {
        const SiteStatistics stats = site_statistics(sequences, Eigen::VectorXd(), 3);
        Eigen::MatrixXd single(3, 3);
        single << 2.0 / 3, 1.0 / 3, 0, 0, 2.0 / 3, 1.0 / 3, 1.0 / 3, 0, 2.0 / 3;
        CHECK(stats.single.isApprox(single, 1e-15));
        const double third = 1.0 / 3;
        check_pair(stats.pair, {{{0, 4}, third},
                                {{0, 5}, third},
                                {{1, 4}, third},
                                {{0, 8}, 2 * third},
                                {{1, 6}, third},
                                {{4, 8}, third},
                                {{5, 8}, third},
                                {{4, 6}, third}});
    }
    SECTION("errors") {
        CHECK_THROWS_AS(site_statistics(sequences, Eigen::VectorXd::Ones(2), 3), UsageError);
        CHECK_THROWS_AS(site_statistics(sequences, Eigen::VectorXd::Zero(3), 3), InputError);
        CHECK_THROWS_AS(site_statistics(sequences, -Eigen::VectorXd::Ones(3), 3), InputError);
        CHECK_THROWS_AS(site_statistics(sequences, Eigen::VectorXd(), 2), InputError);
        CHECK_THROWS_AS(site_statistics(StateMatrix(0, 3), Eigen::VectorXd(), 3), InputError);
    }
}

TEST_CASE("site statistics equal a dense one-hot computation and do not depend on threads", "[statistics]") {
    ThreadGuard guard;
    const int sites = 9, states = 4;
    Rng rng(5, 0);
    StateMatrix sequences(301, sites);
    for (Eigen::Index k = 0; k < sequences.size(); ++k) sequences.data()[k] = static_cast<std::uint8_t>(rng.below(states));
    Eigen::VectorXd weights(301);
    for (Eigen::Index b = 0; b < 301; ++b) weights(b) = rng.uniform();
    weights(7) = 0;

    set_threads(1);
    const SiteStatistics one = site_statistics(sequences, weights, states);
    set_threads(2);
    const SiteStatistics two = site_statistics(sequences, weights, states);
    CHECK(one.single == two.single);
    CHECK(one.pair == two.pair);

    const SiteStatistics dense = dense_statistics(sequences, weights, states);
    CHECK((one.single - dense.single).cwiseAbs().maxCoeff() < 1e-12);
    for (int i = 0; i < sites; ++i)
        for (int j = 0; j < sites; ++j) {
            const auto block = one.pair.block(i * states, j * states, states, states);
            if (i < j)
                CHECK((block - dense.pair.block(i * states, j * states, states, states)).cwiseAbs().maxCoeff() < 1e-12);
            else
                CHECK(block.isZero(0));
        }
}

TEST_CASE("site statistics of all configurations weighted by P(v) are the exact marginals", "[statistics]") {
    const int sites = 3, states = 3;
    Rbm rbm = Rbm::make(sites, states, 2, HiddenType::drelu);
    Rng rng(13, 0);
    for (Eigen::Index k = 0; k < rbm.fields.size(); ++k) rbm.fields.data()[k] = static_cast<float>(0.5 * rng.normal());
    for (Eigen::Index k = 0; k < rbm.weights.size(); ++k) rbm.weights.data()[k] = static_cast<float>(rng.normal());
    rbm.hidden.theta_plus << 0.3f, -0.2f;
    rbm.hidden.theta_minus << -0.1f, 0.4f;
    rbm.hidden.gamma_minus << 1.5f, 0.8f;

    const ExactDistribution exact = enumerate_exact(rbm);
    StateMatrix configurations(exact.probabilities.size(), sites);
    for (Eigen::Index k = 0; k < configurations.rows(); ++k)
        configuration_from_index(k, sites, states, &configurations(k, 0));
    const SiteStatistics stats = site_statistics(configurations, exact.probabilities, states);
    CHECK((stats.single - exact.single).cwiseAbs().maxCoeff() < 1e-12);
    for (int i = 0; i < sites; ++i)
        for (int j = i + 1; j < sites; ++j)
            CHECK((stats.pair.block(i * states, j * states, states, states) -
                   exact.pair.block(i * states, j * states, states, states))
                      .cwiseAbs()
                      .maxCoeff() < 1e-12);
    // The model couples the sites: connected correlations are not all zero.
    double largest_connected = 0;
    for (int a = 0; a < states; ++a)
        for (int b = 0; b < states; ++b)
            largest_connected =
                std::max(largest_connected, std::abs(stats.pair(a, states + b) - stats.single(0, a) * stats.single(1, b)));
    CHECK(largest_connected > 1e-3);

    const MomentMatch self = compare_moments(stats, stats);
    CHECK(self.single_pearson == Approx(1.0).margin(1e-12));
    CHECK(self.single_slope == Approx(1.0).margin(1e-12));
    CHECK(self.connected_pearson == Approx(1.0).margin(1e-12));
    CHECK(self.connected_slope == Approx(1.0).margin(1e-12));
}

TEST_CASE("compare_moments on known cases", "[statistics]") {
    SECTION("hand-computed single-site case (one site: no pairs)") {
        SiteStatistics data, model;
        data.sites = model.sites = 1;
        data.states = model.states = 3;
        data.single.resize(1, 3);
        model.single.resize(1, 3);
        data.single << 0.2, 0.3, 0.5;
        model.single << 0.3, 0.2, 0.5;
        data.pair = model.pair = Eigen::MatrixXd::Zero(3, 3);
        // Centered x = (-4, -1, 5)/30, y = (-1, -4, 5)/30: sxy = 33, sxx = syy = 42 (units of 1/900).
        const MomentMatch match = compare_moments(data, model);
        CHECK(match.single_pearson == Approx(11.0 / 14).margin(1e-12));
        CHECK(match.single_slope == Approx(11.0 / 14).margin(1e-12));
        CHECK(std::isnan(match.connected_pearson));
        CHECK(std::isnan(match.connected_slope));
    }
    SECTION("affine model statistics") {
        Rng rng(3, 0);
        StateMatrix sequences(200, 5);
        for (Eigen::Index k = 0; k < sequences.size(); ++k) sequences.data()[k] = static_cast<std::uint8_t>(rng.below(3));
        const SiteStatistics data = site_statistics(sequences, Eigen::VectorXd(), 3);
        // Model: f' = 2 f + 0.1 and C' = -0.5 C, i.e. f'_ij = -0.5 C_ij + f'_i f'_j.
        SiteStatistics model = data;
        model.single = (2 * data.single.array() + 0.1).matrix();
        for (int i = 0; i < 5; ++i)
            for (int j = i + 1; j < 5; ++j)
                for (int a = 0; a < 3; ++a)
                    for (int b = 0; b < 3; ++b) {
                        const double connected = data.pair(i * 3 + a, j * 3 + b) - data.single(i, a) * data.single(j, b);
                        model.pair(i * 3 + a, j * 3 + b) = -0.5 * connected + model.single(i, a) * model.single(j, b);
                    }
        const MomentMatch match = compare_moments(data, model);
        CHECK(match.single_pearson == Approx(1.0).margin(1e-12));
        CHECK(match.single_slope == Approx(2.0).margin(1e-12));
        CHECK(match.connected_pearson == Approx(-1.0).margin(1e-12));
        CHECK(match.connected_slope == Approx(-0.5).margin(1e-12));
    }
    SECTION("shape mismatch") {
        SiteStatistics data, model;
        data.sites = 2;
        data.states = model.states = 3;
        model.sites = 3;
        data.single = Eigen::MatrixXd::Zero(2, 3);
        data.pair = Eigen::MatrixXd::Zero(6, 6);
        model.single = Eigen::MatrixXd::Zero(3, 3);
        model.pair = Eigen::MatrixXd::Zero(9, 9);
        CHECK_THROWS_AS(compare_moments(data, model), UsageError);
        model.sites = 2;
        CHECK_THROWS_AS(compare_moments(data, model), UsageError);  // model arrays still 3-site
    }
}

TEST_CASE("correlate: Pearson and slope against hand-computed and two-pass values", "[statistics][correlation]") {
    // sxx = 2, syy = 12.6667, sxy = 5: slope 2.5, Pearson 5 / sqrt(2 * 12.6667).
    const Correlation c = correlate({1, 2, 3}, {2, 4, 7});
    CHECK(c.count == 3);
    CHECK(c.slope == Approx(2.5).epsilon(1e-12));
    CHECK(c.pearson == Approx(0.9933992678).epsilon(1e-9));
    CHECK(correlate({1, 2, 3, 4}, {8, 6, 4, 2}).pearson == Approx(-1.0).epsilon(1e-12));

    // Undefined parts are NaN: constant y has a slope (0) but no Pearson; constant x neither.
    const Correlation flat_y = correlate({1, 2, 3}, {5, 5, 5});
    CHECK(flat_y.slope == 0.0);
    CHECK(std::isnan(flat_y.pearson));
    const Correlation flat_x = correlate({1, 1, 1}, {1, 2, 3});
    CHECK(std::isnan(flat_x.slope));
    CHECK(std::isnan(flat_x.pearson));
    CHECK(std::isnan(correlate({1}, {2}).pearson));
    CHECK(correlate({}, {}).count == 0);
    CHECK_THROWS_AS(correlate({1, 2, 3}, {1, 2}), UsageError);

    // Values far from zero with a small spread: the one-pass (Welford) sums match a two-pass oracle.
    Rng rng(17);
    std::vector<double> x, y;
    for (int k = 0; k < 1000; ++k) {
        x.push_back(1e6 + rng.uniform());
        y.push_back(-3e5 + 0.5 * (x.back() - 1e6) + 0.1 * rng.uniform());
    }
    double mx = 0, my = 0;
    for (std::size_t k = 0; k < 1000; ++k) {
        mx += x[k] / 1000;
        my += y[k] / 1000;
    }
    double sxx = 0, syy = 0, sxy = 0;
    for (std::size_t k = 0; k < 1000; ++k) {
        sxx += (x[k] - mx) * (x[k] - mx);
        syy += (y[k] - my) * (y[k] - my);
        sxy += (x[k] - mx) * (y[k] - my);
    }
    const Correlation fit = correlate(x, y);
    CHECK(fit.slope == Approx(sxy / sxx).epsilon(1e-6));
    CHECK(fit.pearson == Approx(sxy / std::sqrt(sxx * syy)).epsilon(1e-6));

    Regression regression;
    for (std::size_t k = 0; k < 1000; ++k) regression.add(x[k], y[k]);
    CHECK(regression.result().pearson == Approx(fit.pearson).epsilon(1e-12));  // FMA contraction may differ
    CHECK(regression.result().count == 1000);
}

TEST_CASE("weight sparsity on hand-made weights", "[statistics][sparsity]") {
    const int sites = 4, states = 3;
    SECTION("one site only: PR = 1/N") {
        Rbm rbm = Rbm::make(sites, states, 1, HiddenType::relu);
        rbm.weights(2 * states + 0, 0) = 1.0f;
        rbm.weights(2 * states + 1, 0) = -0.5f;
        rbm.weights(2 * states + 2, 0) = 0.25f;
        const Sparsity sparsity = weight_sparsity(rbm);
        CHECK(sparsity.participation_ratio == Approx(1.0 / sites).margin(1e-12));
        CHECK(sparsity.small_weight_fraction == Approx(9.0 / 12).margin(1e-12));
    }
    SECTION("uniform site norms: PR = 1") {
        Rbm rbm = Rbm::make(sites, states, 1, HiddenType::relu);
        for (int i = 0; i < sites; ++i) {  // the same norm at every site, different patterns
            rbm.weights(i * states + (i % states), 0) = (i % 2 ? -0.6f : 0.6f);
            rbm.weights(i * states + ((i + 1) % states), 0) = 0.8f;
        }
        const Sparsity sparsity = weight_sparsity(rbm);
        CHECK(sparsity.participation_ratio == Approx(1.0).margin(1e-12));
        CHECK(sparsity.small_weight_fraction == Approx(4.0 / 12).margin(1e-12));
    }
    SECTION("units at noise level are inactive and left out of the averages") {
        Rbm rbm = Rbm::make(sites, states, 4, HiddenType::drelu);
        rbm.weights.col(0).setConstant(-2.0f);  // norm sqrt(12) * 2: active, PR 1
        rbm.weights(0, 1) = 3.0f;               // one site: active, PR 1/4
        rbm.weights.col(2).setConstant(1e-9f);  // uniform noise: inactive (it would count as PR 1)
        // unit 3 keeps zero weights: inactive
        const std::vector<bool> active = active_units(rbm);
        CHECK(active == std::vector<bool>{true, true, false, false});
        const Sparsity sparsity = weight_sparsity(rbm);
        CHECK(sparsity.active_units == 2);
        CHECK(sparsity.participation_ratio == Approx((1.0 + 0.25) / 2).margin(1e-12));
        // The threshold is relative to the largest norm (sqrt(12) * 2 = 6.93): 3 passes 0.4, not 0.5.
        CHECK(active_units(rbm, 0.4) == std::vector<bool>{true, true, false, false});
        CHECK(active_units(rbm, 0.5) == std::vector<bool>{true, false, false, false});
        CHECK(active_units(rbm, 0.0) == std::vector<bool>{true, true, true, false});
        // ... and absolute when every unit is small: all at noise level means none is active.
        rbm.weights *= 1e-4f;  // largest norm 6.9e-4
        CHECK(active_units(rbm) == std::vector<bool>{false, false, false, false});
        CHECK(weight_sparsity(rbm).active_units == 0);
        CHECK(std::isnan(weight_sparsity(rbm).participation_ratio));
        CHECK(active_units(rbm, 1e-4) == std::vector<bool>{true, true, false, false});
        CHECK_THROWS_AS(active_units(rbm, 1.5), UsageError);
    }
    SECTION("averages over units, relative threshold, units without weights skipped") {
        Rbm rbm = Rbm::make(sites, states, 3, HiddenType::drelu);
        rbm.weights.col(0).setConstant(-2.0f);  // uniform: PR 1, nothing small
        rbm.weights(0, 1) = 10.0f;              // one site: PR 1/4
        rbm.weights(5, 1) = 0.5f;               // 0.5 < 0.01 * 10 is false: not small
        // unit 2 keeps zero weights and is ignored
        const Sparsity sparsity = weight_sparsity(rbm);
        const double site_norm0 = 100.0, site_norm1 = 0.25;
        const double pr1 = std::pow(site_norm0 + site_norm1, 2) / (sites * (site_norm0 * site_norm0 + site_norm1 * site_norm1));
        CHECK(sparsity.participation_ratio == Approx((1.0 + pr1) / 2).margin(1e-9));
        CHECK(sparsity.small_weight_fraction == Approx((0.0 + 10.0 / 12) / 2).margin(1e-12));
        const Sparsity coarse = weight_sparsity(rbm, 0.1);  // 0.5 < 0.1 * 10: now small
        CHECK(coarse.small_weight_fraction == Approx((0.0 + 11.0 / 12) / 2).margin(1e-12));
    }
    SECTION("no weights at all, bad threshold") {
        const Rbm rbm = Rbm::make(sites, states, 2, HiddenType::gaussian);
        const Sparsity sparsity = weight_sparsity(rbm);
        CHECK(sparsity.active_units == 0);
        CHECK(std::isnan(sparsity.participation_ratio));
        CHECK(std::isnan(sparsity.small_weight_fraction));
        CHECK_THROWS_AS(weight_sparsity(rbm, -0.1), UsageError);
        CHECK_THROWS_AS(weight_sparsity(rbm, 2.0), UsageError);
    }
}
