// Effective couplings and contacts: the PGM formula against a direct computation; the Gaussian-
// field and epistasis approximations against exact enumeration (two sites: the RBM is exactly
// pairwise) and against PGM for Gaussian units; epistasis against a direct data average of -F;
// the Gamma table against direct evaluation; the zero-sum gauge, APC and PPV on hand-made
// examples; distance files and their errors.
#include "analysis_test_helpers.hpp"

#include "pottsrbm/analysis/contacts.hpp"
#include "pottsrbm/analysis/couplings.hpp"
#include "pottsrbm/core/error.hpp"
#include "pottsrbm/model/hidden.hpp"
#include "support/test_support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <sstream>

using namespace pottsrbm;
using namespace pottsrbm::analysis;
using namespace pottsrbm::analysis::testing;
using Catch::Contains;

namespace {

// J restricted to residues and double-centered with the projector P = I - 11^T/20.
Eigen::MatrixXd projected_residue_block(const Eigen::MatrixXd& block) {
    const Eigen::MatrixXd projector = Eigen::MatrixXd::Identity(20, 20) - Eigen::MatrixXd::Constant(20, 20, 1.0 / 20);
    return projector * block.bottomRightCorner(20, 20) * projector;
}

double max_abs_difference(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) { return (a - b).cwiseAbs().maxCoeff(); }

// sum over (row m, weight w) of w * sum_mu Gamma_mu(I_mu(v)), v = row m of `states` with v_i = a and
// v_j = b: the hidden part of <-F> over the double mutants (fields drop out of the zero-sum gauge).
Eigen::MatrixXd direct_epistasis_block(const model::Rbm& rbm, const model::StateMatrix& states, int i, int j,
                                       const std::vector<std::pair<Eigen::Index, double>>& rows) {
    Eigen::MatrixXd block = Eigen::MatrixXd::Zero(21, 21);
    for (const auto& [m, w] : rows)
        for (int a = 0; a < 21; ++a)
            for (int b = 0; b < 21; ++b) {
                model::StateMatrix v = states.row(m);
                v(0, i) = static_cast<std::uint8_t>(a);
                v(0, j) = static_cast<std::uint8_t>(b);
                for (int mu = 0; mu < rbm.units(); ++mu) {
                    double input = 0;
                    for (int k = 0; k < rbm.sites; ++k) input += rbm.weights(k * 21 + v(0, k), mu);
                    block(a, b) += w * model::hidden_cgf(rbm.hidden, mu, input);
                }
            }
    return block;
}

}  // namespace

TEST_CASE("pgm couplings equal sum_mu <Var(h|I)>_data W_i W_j computed directly", "[analysis][couplings]") {
    const model::Rbm rbm = model::testing::random_model(model::HiddenType::drelu, 4, 21, 3, 17);
    const WeightedSequences data = random_sequences(4, 25, 2);
    const EffectiveCouplings couplings(rbm, CouplingApproximation::pgm, data);

    Eigen::VectorXd curvature = Eigen::VectorXd::Zero(3);
    for (Eigen::Index m = 0; m < data.size(); ++m) {
        for (int mu = 0; mu < 3; ++mu) {
            double input = 0;
            for (int i = 0; i < 4; ++i) input += rbm.weights(i * 21 + data.states(m, i), mu);
            curvature(mu) += data.weights(m) * model::hidden_moments(rbm.hidden, mu, input).variance;
        }
    }
    curvature /= data.weights.sum();
    REQUIRE(couplings.curvature().size() == 3);
    for (int mu = 0; mu < 3; ++mu) CHECK(couplings.curvature()(mu) == Approx(curvature(mu)).epsilon(1e-6));

    const Eigen::MatrixXd frobenius = couplings.frobenius_norms();
    CHECK(frobenius.diagonal().isZero());
    for (int i = 0; i < 4; ++i) {
        for (int j = 0; j < 4; ++j) {
            if (i == j) continue;
            Eigen::MatrixXd direct(21, 21);
            for (int a = 0; a < 21; ++a)
                for (int b = 0; b < 21; ++b) {
                    double sum = 0;
                    for (int mu = 0; mu < 3; ++mu)
                        sum += curvature(mu) * rbm.weights(i * 21 + a, mu) * rbm.weights(j * 21 + b, mu);
                    direct(a, b) = sum;
                }
            const Eigen::MatrixXd block = couplings.block(i, j);
            CHECK(max_abs_difference(block, direct) < 1e-6 * (1 + direct.cwiseAbs().maxCoeff()));
            CHECK(frobenius(i, j) == Approx(projected_residue_block(direct).norm()).epsilon(1e-6));
            CHECK(frobenius(i, j) == frobenius(j, i));
        }
    }
    CHECK_THROWS_AS(couplings.block(1, 1), UsageError);
}

TEST_CASE("gaussian couplings of a two-site model are its exact pairwise energy", "[analysis][couplings]") {
    // With N = 2 the field of the other sites is zero and the RBM is exactly pairwise: in the
    // zero-sum gauge over residues, J_12(a,b) = log P(a,b) (fields drop out of the gauge).
    model::testing::RandomModelOptions options;
    options.dyadic = true;  // W_1(a) + W_2(b) is exact in float, as in the enumeration
    options.weight_scale = 1.0;
    for (const auto type : {model::HiddenType::drelu, model::HiddenType::bernoulli, model::HiddenType::relu}) {
        INFO("type " << model::to_string(type));
        const model::Rbm rbm = model::testing::random_model(type, 2, 21, 3, 23, options);
        const model::ExactDistribution exact = model::enumerate_exact(rbm);
        Eigen::MatrixXd log_p(21, 21);
        for (int a = 0; a < 21; ++a)
            for (int b = 0; b < 21; ++b) log_p(a, b) = std::log(exact.probabilities(a * 21 + b));
        const Eigen::MatrixXd expected = zero_sum_residue_block(log_p);
        const WeightedSequences data = random_sequences(2, 10, 1);
        for (const auto approximation : {CouplingApproximation::gaussian, CouplingApproximation::gaussian_uniform,
                                         CouplingApproximation::epistasis}) {
            INFO("approximation " << to_string(approximation));
            CouplingOptions direct;
            direct.exact_cgf = true;
            const EffectiveCouplings exact_cgf(rbm, approximation, data, direct);
            CHECK(max_abs_difference(zero_sum_residue_block(exact_cgf.block(0, 1)), expected) < 1e-9);
            const EffectiveCouplings tabled(rbm, approximation, data);
            CHECK(max_abs_difference(zero_sum_residue_block(tabled.block(0, 1)), expected) < 1e-8);
            CHECK(tabled.frobenius_norms()(0, 1) == Approx(expected.norm()).epsilon(1e-8));
        }
    }
}

TEST_CASE("epistasis couplings are the data average of double-mutant epistasis of -F", "[analysis][couplings]") {
    model::testing::RandomModelOptions options;
    options.weight_scale = 0.8;
    const model::Rbm rbm = model::testing::random_model(model::HiddenType::drelu, 5, 21, 3, 53, options);
    const WeightedSequences data = random_sequences(5, 30, 9);
    const auto direct_block = [&](int i, int j, const std::vector<std::pair<Eigen::Index, double>>& rows) {
        return direct_epistasis_block(rbm, data.states, i, j, rows);
    };
    std::vector<std::pair<Eigen::Index, double>> all_rows;
    for (Eigen::Index m = 0; m < data.size(); ++m) all_rows.emplace_back(m, data.weights(m) / data.weights.sum());
    CouplingOptions exact_options;
    exact_options.exact_cgf = true;
    const EffectiveCouplings exact(rbm, CouplingApproximation::epistasis, data, exact_options);
    const EffectiveCouplings tabled(rbm, CouplingApproximation::epistasis, data);
    const Eigen::MatrixXd norms = tabled.frobenius_norms();
    for (const auto& [i, j] : {std::pair{0, 1}, std::pair{1, 4}, std::pair{3, 2}}) {
        const Eigen::MatrixXd expected = zero_sum_residue_block(direct_block(i, j, all_rows));
        CHECK(max_abs_difference(zero_sum_residue_block(exact.block(i, j)), expected) < 1e-9 * (1 + expected.norm()));
        CHECK(max_abs_difference(zero_sum_residue_block(tabled.block(i, j)), expected) < 1e-7 * (1 + expected.norm()));
        CHECK(norms(i, j) == Approx(expected.norm()).epsilon(1e-6));
    }

    // A subsample of 7 of the 30 sequences: systematic sampling on the cumulated weights, points
    // (k + 1/2) W / 7, each drawn sequence weighing (number of points in its interval) / 7.
    CouplingOptions subsample = exact_options;
    subsample.epistasis_sequences = 7;
    const EffectiveCouplings sampled(rbm, CouplingApproximation::epistasis, data, subsample);
    std::vector<std::pair<Eigen::Index, double>> drawn;
    double cumulated = 0;
    int k = 0;
    for (Eigen::Index m = 0; m < data.size(); ++m) {
        cumulated += data.weights(m);
        int points = 0;
        while (k < 7 && (k + 0.5) * data.weights.sum() / 7 < cumulated) ++points, ++k;
        if (points > 0) drawn.emplace_back(m, points / 7.0);
    }
    CHECK(k == 7);
    const Eigen::MatrixXd expected = zero_sum_residue_block(direct_block(2, 4, drawn));
    CHECK(max_abs_difference(zero_sum_residue_block(sampled.block(2, 4)), expected) < 1e-9 * (1 + expected.norm()));

    subsample.epistasis_sequences = 0;
    CHECK_THROWS_WITH(EffectiveCouplings(rbm, CouplingApproximation::epistasis, data, subsample),
                      Contains("epistasis_sequences must be at least 1, got 0"));

    // Worked example: weights {1, 0, 2, 1}. With 2 sequences the points are 1 and 3 on the
    // cumulated weights (1, 1, 3, 4): row 0 ends exactly at 1 and is not drawn, rows 2 and 3 are,
    // each weighing 1/2. With 3 (= the rows of positive weight) the average is exact: rows 0, 2
    // and 3 weighing 1/4, 2/4 and 1/4; the zero weight is never drawn.
    WeightedSequences four;
    four.states = data.states.topRows(4);
    four.weights = Eigen::Vector4d(1, 0, 2, 1);
    four.ids = {"a", "b", "c", "d"};
    const auto four_block = [&](int i, int j, const std::vector<std::pair<Eigen::Index, double>>& rows) {
        return zero_sum_residue_block(direct_epistasis_block(rbm, four.states, i, j, rows));
    };
    CouplingOptions two = exact_options;
    two.epistasis_sequences = 2;
    const Eigen::MatrixXd drawn_two = four_block(0, 3, {{2, 0.5}, {3, 0.5}});
    CHECK(max_abs_difference(zero_sum_residue_block(EffectiveCouplings(rbm, CouplingApproximation::epistasis, four, two)
                                                        .block(0, 3)),
                             drawn_two) < 1e-9 * (1 + drawn_two.norm()));
    CouplingOptions three = exact_options;
    three.epistasis_sequences = 3;
    const Eigen::MatrixXd exact_three = four_block(0, 3, {{0, 0.25}, {2, 0.5}, {3, 0.25}});
    CHECK(max_abs_difference(zero_sum_residue_block(
                                 EffectiveCouplings(rbm, CouplingApproximation::epistasis, four, three).block(0, 3)),
                             exact_three) < 1e-9 * (1 + exact_three.norm()));
    CHECK(max_abs_difference(drawn_two, exact_three) > 1e-3);  // the two really differ

    four.weights(1) = -0.5;
    CHECK_THROWS_WITH(EffectiveCouplings(rbm, CouplingApproximation::epistasis, four, three),
                      Contains("sequence 2 (b) has weight -0.5; expected a finite value >= 0"));
    four.weights(1) = std::numeric_limits<double>::infinity();
    CHECK_THROWS_AS(EffectiveCouplings(rbm, CouplingApproximation::epistasis, four, three), UsageError);
}

TEST_CASE("for Gaussian hidden units every approximation gives (1/gamma) W_i W_j", "[analysis][couplings]") {
    const model::Rbm rbm = model::testing::random_model(model::HiddenType::gaussian, 5, 21, 3, 31);
    const WeightedSequences data = random_sequences(5, 30, 6);
    const Eigen::MatrixXd pgm = EffectiveCouplings(rbm, CouplingApproximation::pgm, data).frobenius_norms();
    const Eigen::MatrixXd gaussian = EffectiveCouplings(rbm, CouplingApproximation::gaussian, data).frobenius_norms();
    const Eigen::MatrixXd uniform =
        EffectiveCouplings(rbm, CouplingApproximation::gaussian_uniform, data).frobenius_norms();
    const Eigen::MatrixXd epistasis = EffectiveCouplings(rbm, CouplingApproximation::epistasis, data).frobenius_norms();
    CHECK(max_abs_difference(pgm, gaussian) < 1e-8 * pgm.maxCoeff());
    CHECK(max_abs_difference(pgm, uniform) < 1e-8 * pgm.maxCoeff());
    CHECK(max_abs_difference(pgm, epistasis) < 1e-8 * pgm.maxCoeff());
    Eigen::MatrixXd direct = Eigen::MatrixXd::Zero(21, 21);
    for (int mu = 0; mu < 3; ++mu)
        direct += (1.0 / rbm.hidden.gamma_plus(mu)) * rbm.weights.block(0, mu, 21, 1).cast<double>() *
                  rbm.weights.block(2 * 21, mu, 21, 1).cast<double>().transpose();
    CHECK(pgm(0, 2) == Approx(projected_residue_block(direct).norm()).epsilon(1e-6));
}

TEST_CASE("the Gamma table and the second-order shortcut agree with direct evaluation", "[analysis][couplings]") {
    model::testing::RandomModelOptions options;
    options.weight_scale = 0.7;
    model::Rbm rbm = model::testing::random_model(model::HiddenType::drelu, 7, 21, 4, 41, options);
    // Nearly silent sites for two units, so that the shortcut is used for their pairs.
    for (int i = 3; i < 7; ++i)
        for (int mu = 0; mu < 2; ++mu) rbm.weights.block(i * 21, mu, 21, 1) *= 1e-4f;
    const WeightedSequences data = random_sequences(7, 40, 8);
    CouplingOptions exact_options;
    exact_options.exact_cgf = true;
    const Eigen::MatrixXd exact =
        EffectiveCouplings(rbm, CouplingApproximation::gaussian, data, exact_options).frobenius_norms();
    const Eigen::MatrixXd tabled = EffectiveCouplings(rbm, CouplingApproximation::gaussian, data).frobenius_norms();
    CouplingOptions no_shortcut;
    no_shortcut.second_order_tolerance = 0;
    const Eigen::MatrixXd full =
        EffectiveCouplings(rbm, CouplingApproximation::gaussian, data, no_shortcut).frobenius_norms();
    CHECK(max_abs_difference(exact, full) < 1e-8 * exact.maxCoeff());
    // The shortcut's error is bounded by the tolerance (1e-6) per unit and pair.
    CHECK(max_abs_difference(tabled, full) < 4e-6);
    CHECK(max_abs_difference(tabled, full) > 0);
}

TEST_CASE("zero-sum gauge of a residue block, and Gauss-Hermite moments", "[analysis][couplings]") {
    Eigen::MatrixXd block = Eigen::MatrixXd::Random(21, 21);
    const Eigen::MatrixXd gauged = zero_sum_residue_block(block);
    REQUIRE(gauged.rows() == 20);
    CHECK(gauged.rowwise().sum().cwiseAbs().maxCoeff() < 1e-12);
    CHECK(gauged.colwise().sum().cwiseAbs().maxCoeff() < 1e-12);
    // Terms of one state only (fields, gauge changes) and the gap row and column do not matter.
    Eigen::MatrixXd shifted = block;
    for (int a = 0; a < 21; ++a)
        for (int b = 0; b < 21; ++b) shifted(a, b) += 0.3 * a - 0.7 * b * b;
    shifted.row(0).setConstant(9);
    shifted.col(0).setConstant(-4);
    CHECK(max_abs_difference(zero_sum_residue_block(shifted), gauged) < 1e-12);
    CHECK(max_abs_difference(gauged, projected_residue_block(block)) < 1e-12);
    CHECK_THROWS_AS(zero_sum_residue_block(Eigen::MatrixXd::Zero(20, 20)), UsageError);

    std::vector<double> nodes;
    std::vector<double> weights;
    gauss_hermite_normal(6, nodes, weights);
    double m0 = 0, m2 = 0, m4 = 0, m6 = 0, m3 = 0;
    for (std::size_t k = 0; k < nodes.size(); ++k) {
        m0 += weights[k];
        m2 += weights[k] * std::pow(nodes[k], 2);
        m3 += weights[k] * std::pow(nodes[k], 3);
        m4 += weights[k] * std::pow(nodes[k], 4);
        m6 += weights[k] * std::pow(nodes[k], 6);
    }
    CHECK(m0 == Approx(1));
    CHECK(m2 == Approx(1));
    CHECK(m3 == Approx(0).margin(1e-12));
    CHECK(m4 == Approx(3));
    CHECK(m6 == Approx(15));
}

TEST_CASE("APC on a hand-made matrix", "[analysis][apc]") {
    Eigen::MatrixXd f(4, 4);
    f << 0, 1, 2, 3,  //
        1, 0, 4, 5,   //
        2, 4, 0, 6,   //
        3, 5, 6, 0;
    // Row means over j != i: 2, 10/3, 4, 14/3; mean over i != j: 3.5.
    const Eigen::MatrixXd apc = average_product_correction(f);
    CHECK(apc(0, 1) == Approx(1 - 2 * (10.0 / 3) / 3.5));
    CHECK(apc(0, 3) == Approx(3 - 2 * (14.0 / 3) / 3.5));
    CHECK(apc(1, 3) == Approx(5 - (10.0 / 3) * (14.0 / 3) / 3.5));
    CHECK(apc(2, 3) == Approx(2.0 / 3));
    CHECK(apc(3, 2) == apc(2, 3));
    CHECK(apc.diagonal().isZero());
    CHECK_THROWS_AS(average_product_correction(Eigen::MatrixXd::Zero(2, 2)), UsageError);
}

TEST_CASE("PPV on a hand-made ranking: separation, unknown distances, cutoffs", "[analysis][ppv]") {
    const auto pair = [](int ci, int cj, double score, double distance) {
        PairScore p;
        p.column_i = ci;
        p.column_j = cj;
        p.score = score;
        p.distance = distance;
        return p;
    };
    const double unknown = std::numeric_limits<double>::quiet_NaN();
    const std::vector<PairScore> ranked = {
        pair(0, 10, 9, 3.0),      // contact at 5 and 8 A
        pair(0, 2, 8, 2.0),       // |i-j| = 2: not counted
        pair(1, 20, 7, unknown),  // no distance: skipped
        pair(2, 30, 6, 6.0),      // contact at 8 A only
        pair(3, 40, 5, 9.0),      // no contact
        pair(4, 9, 4, 4.9),       // |i-j| = 5 > 4: counted, contact
        pair(5, 9, 3, 1.0),       // |i-j| = 4: not counted
    };
    CHECK(positive_predictive_value(ranked, 1, 8.0).ppv == 1.0);
    CHECK(positive_predictive_value(ranked, 2, 8.0).ppv == 1.0);
    const Ppv three = positive_predictive_value(ranked, 3, 8.0);
    CHECK(three.true_positives == 2);
    CHECK(three.evaluated == 3);
    CHECK(three.ppv == Approx(2.0 / 3));
    CHECK(positive_predictive_value(ranked, 4, 5.0).ppv == 0.5);
    const Ppv ten = positive_predictive_value(ranked, 10, 8.0);
    CHECK(ten.requested == 10);
    CHECK(ten.evaluated == 4);
    CHECK(ten.ppv == 0.75);
    CHECK(positive_predictive_value(ranked, 4, 6.0).ppv == 0.5);  // 6.0 is not < 6.0

    const std::vector<Ppv> table = ppv_table(ranked, 4);
    REQUIRE(table.size() == 6);
    CHECK(table[0].label == "L/2");
    CHECK(table[0].requested == 2);
    CHECK(table[0].cutoff == 8.0);
    CHECK(table[0].ppv == 1.0);
    CHECK(table[1].ppv == 0.75);
    CHECK(table[2].label == "2L");
    CHECK(table[2].evaluated == 4);
    CHECK(table[3].cutoff == 5.0);
    CHECK(table[3].ppv == 0.5);
    std::ostringstream text;
    write_ppv_text(text, table);
    CHECK_THAT(text.str(), Contains("PPV top L/2 (   2 pairs) at 8 A: 1.000  (2 of 2 evaluated pairs)"));
}

TEST_CASE("pairs are ranked by score with original columns and distances", "[analysis][ppv]") {
    Eigen::MatrixXd scores(3, 3);
    scores << 0, 0.5, 2.0,  //
        0.5, 0, 1.0,        //
        2.0, 1.0, 0;
    const Eigen::MatrixXd frobenius = scores * 2;
    DistanceMap distances;
    CHECK(distances.add(14, 4, 3.5));
    CHECK_FALSE(distances.add(4, 14, 1.0));
    const auto ranked = rank_pairs(scores, frobenius, {4, 9, 14}, &distances);
    REQUIRE(ranked.size() == 3);
    CHECK(ranked[0].site_i == 0);
    CHECK(ranked[0].site_j == 2);
    CHECK(ranked[0].column_j == 14);
    CHECK(ranked[0].frobenius == 4.0);
    CHECK(ranked[0].distance == 3.5);
    CHECK(std::isnan(ranked[1].distance));
    CHECK(ranked[2].score == 0.5);
    std::ostringstream tsv;
    write_pairs_tsv(tsv, ranked, true, {"test"});
    CHECK(tsv.str() == "# test\ni\tj\tscore\tfrobenius\tseparation\tdistance\n5\t15\t2\t4\t10\t3.500\n"
                       "10\t15\t1\t2\t5\t\n5\t10\t0.5\t1\t5\t\n");
    const std::string map = contact_map_svg(ranked, {4, 9, 14}, &distances, 2, "<map & title>");
    CHECK_THAT(map, Contains("&lt;map &amp; title&gt;"));
    CHECK_THAT(map, Contains("columns 5 and 15, score 2, 3.50 A"));
}

TEST_CASE("distance files: comments, missing pairs, and errors naming the line", "[analysis][structure]") {
    const auto dir = test::scratch_dir("structure");
    const auto good = test::write_file(dir / "good.dat",
                                       "# i j score dist\n1 2 0.5 3.2\n2.0e+00 5.000e+00 1.0 7.5\n\n3\t9 0 0.0\n");
    const DistanceMap map = read_distances(good.string());
    CHECK(map.pairs() == 2);
    CHECK(map.distance(0, 1) == 3.2);
    CHECK(map.distance(4, 1) == 7.5);
    CHECK_FALSE(map.distance(2, 8).has_value());
    CHECK_FALSE(map.distance(0, 4).has_value());

    const std::pair<std::string, std::vector<std::string>> bad[] = {
        {"1 2 0 3\n1 2 x 3\n", {"line 2", "field 3 is not a number: 'x'"}},
        {"1 2 3\n", {"line 1", "expected 4 numbers"}},
        {"1 2 0 3\n1.5 7 0 3\n", {"line 2", "column i must be a positive integer, got 1.5"}},
        {"0 7 0 3\n", {"line 1", "column i must be a positive integer"}},
        {"4 4 0 3\n", {"line 1", "same column (4)"}},
        {"1 2 0 -1\n", {"line 1", "distance must be finite and >= 0, got -1"}},
        {"1 2 0 3.2\n5 6 0 1\n2 1 0 3\n", {"line 3", "pair (1, 2) appears twice"}},
        {"# nothing\n", {"no pair with a distance"}},
    };
    int k = 0;
    for (const auto& [content, needles] : bad) {
        const auto path = test::write_file(dir / ("bad" + std::to_string(k++) + ".dat"), content);
        std::vector<std::string> all = needles;
        all.push_back(path.filename().string());
        test::require_input_error([&] { (void)read_distances(path.string()); }, all);
    }
    test::require_input_error([&] { (void)read_distances((dir / "absent.dat").string()); }, {"absent.dat"});
}
