// Tests of the generative evaluation (design/evaluation.hpp, design/sequences.hpp): three-site
// correlations against a brute-force oracle, PCA against a dense eigensolver, projections, nearest
// neighbours against brute force, distance summaries, self-consistency (samples = data give
// Pearson 1), report formats, thread independence, alignment projection onto model columns, and the
// free-energy comparison against direct sums (weighted quantiles by their definition, exact samples
// of a tiny model at zero shift, a deep-mode sample flagged).
#include "model/model_test_utils.hpp"
#include "support/test_support.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/rng.hpp"
#include "pottsrbm/core/threads.hpp"
#include "pottsrbm/design/evaluation.hpp"
#include "pottsrbm/design/sequences.hpp"
#include "pottsrbm/model/exact.hpp"

#include <Eigen/Eigenvalues>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

using namespace pottsrbm;
using namespace pottsrbm::design;
using model::StateMatrix;
using Catch::Contains;

namespace {

// Sequences with site-to-site structure (site i copies site i-1 with probability `copy`).
StateMatrix correlated_sequences(Eigen::Index rows, int sites, int states, double copy, std::uint64_t seed) {
    Rng rng(seed, 0);
    StateMatrix out(rows, sites);
    for (Eigen::Index m = 0; m < rows; ++m)
        for (int i = 0; i < sites; ++i)
            out(m, i) = static_cast<std::uint8_t>(i > 0 && rng.uniform() < copy ? out(m, i - 1) : rng.below(static_cast<std::uint64_t>(states)));
    return out;
}

Eigen::VectorXd random_weights(Eigen::Index rows, std::uint64_t seed) {
    Rng rng(seed, 1);
    Eigen::VectorXd w(rows);
    for (Eigen::Index m = 0; m < rows; ++m) w[m] = 0.2 + rng.uniform();
    return w;
}

// Brute force: all C_ijk(a,b,c) in lexicographic (i,j,k,a,b,c) order.
std::vector<double> all_triplets(const StateMatrix& x, const Eigen::VectorXd& w, int q) {
    const auto n = static_cast<int>(x.cols());
    const double total = w.sum();
    const auto f1 = [&](int i, int a) {
        double s = 0;
        for (Eigen::Index m = 0; m < x.rows(); ++m) s += x(m, i) == a ? w[m] : 0;
        return s / total;
    };
    const auto f2 = [&](int i, int a, int j, int b) {
        double s = 0;
        for (Eigen::Index m = 0; m < x.rows(); ++m) s += (x(m, i) == a && x(m, j) == b) ? w[m] : 0;
        return s / total;
    };
    std::vector<double> out;
    for (int i = 0; i < n; ++i)
        for (int j = i + 1; j < n; ++j)
            for (int k = j + 1; k < n; ++k)
                for (int a = 0; a < q; ++a)
                    for (int b = 0; b < q; ++b)
                        for (int c = 0; c < q; ++c) {
                            double f3 = 0;
                            for (Eigen::Index m = 0; m < x.rows(); ++m)
                                f3 += (x(m, i) == a && x(m, j) == b && x(m, k) == c) ? w[m] : 0;
                            f3 /= total;
                            out.push_back(f3 - f2(i, a, j, b) * f1(k, c) - f2(i, a, k, c) * f1(j, b) - f2(j, b, k, c) * f1(i, a) +
                                          2 * f1(i, a) * f1(j, b) * f1(k, c));
                        }
    return out;
}

}  // namespace

TEST_CASE("eval: top three-site correlations match a brute-force oracle", "[design][eval]") {
    const int q = 3, n = 6;
    const StateMatrix data = correlated_sequences(400, n, q, 0.6, 1);
    const StateMatrix samples = correlated_sequences(300, n, q, 0.5, 2);
    const Eigen::VectorXd w = random_weights(400, 3);
    EvalParams params;
    params.top_triplets = 50;
    const TripletComparison result = compare_triplets(data, w, samples, q, params);
    CHECK(result.all_site_triples == 20);
    CHECK(result.site_triples == 20);

    const auto data_values = all_triplets(data, w, q);
    const auto sample_values = all_triplets(samples, Eigen::VectorXd::Ones(300), q);
    std::vector<std::size_t> order(data_values.size());
    for (std::size_t e = 0; e < order.size(); ++e) order[e] = e;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return std::fabs(data_values[a]) > std::fabs(data_values[b]); });
    std::vector<double> x, y;
    for (std::size_t r = 0; r < 50; ++r) {
        x.push_back(data_values[order[r]]);
        y.push_back(sample_values[order[r]]);
    }
    const model::Correlation expected = model::correlate(x, y);
    CHECK(result.correlation.count == 50);
    CHECK(result.correlation.pearson == Approx(expected.pearson).epsilon(1e-9));
    CHECK(result.correlation.slope == Approx(expected.slope).epsilon(1e-9));
    CHECK(result.smallest_abs_data == Approx(std::fabs(data_values[order[49]])).epsilon(1e-9));
    CHECK(result.correlation.pearson > 0.5);  // the two sets share their structure

    SECTION("a subset of site triples when there are more than max_site_triples, the same for any thread count") {
        params.max_site_triples = 7;
        const int saved = threads();
        set_threads(1);
        const auto one = compare_triplets(data, w, samples, q, params);
        set_threads(2);
        const auto two = compare_triplets(data, w, samples, q, params);
        set_threads(saved);
        CHECK(one.site_triples == 7);
        CHECK(one.correlation.pearson == two.correlation.pearson);
        CHECK(one.correlation.slope == two.correlation.slope);
    }
}

TEST_CASE("eval: PCA of the weighted one-hot data matches a dense eigensolver", "[design][eval][pca]") {
    const int q = 4, n = 7;
    const StateMatrix data = correlated_sequences(600, n, q, 0.7, 4);
    const Eigen::VectorXd w = random_weights(600, 5);
    const Eigen::Index d = static_cast<Eigen::Index>(n) * q;
    Eigen::MatrixXd x = Eigen::MatrixXd::Zero(600, d);
    for (Eigen::Index m = 0; m < 600; ++m)
        for (int i = 0; i < n; ++i) x(m, i * q + data(m, i)) = 1;
    const Eigen::VectorXd p = w / w.sum();
    const Eigen::VectorXd mean = x.transpose() * p;
    const Eigen::MatrixXd centered = x.rowwise() - mean.transpose();
    const Eigen::MatrixXd sigma = centered.transpose() * p.asDiagonal() * centered;
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> dense(sigma);

    const PrincipalComponents pca = principal_components(data, w, q, 4, 9);
    REQUIRE(pca.axes.cols() == 4);
    CHECK((pca.mean - mean).norm() < 1e-12);
    CHECK(pca.total_variance == Approx(sigma.trace()).epsilon(1e-12));
    for (int c = 0; c < 4; ++c) {
        const double lambda = dense.eigenvalues()[d - 1 - c];
        CHECK(pca.variances[c] == Approx(lambda).epsilon(1e-8));
        const double overlap = std::fabs(pca.axes.col(c).dot(dense.eigenvectors().col(d - 1 - c)));
        CHECK(overlap == Approx(1.0).epsilon(1e-6));
    }
    CHECK((pca.axes.transpose() * pca.axes - Eigen::MatrixXd::Identity(4, 4)).norm() < 1e-10);
    // Projections are (x - mean) . axes.
    const Eigen::MatrixXd coordinates = project(pca, data, q);
    CHECK((coordinates - centered * pca.axes).norm() < 1e-9);
    // The weighted variance along each axis is its eigenvalue.
    for (int c = 0; c < 4; ++c) CHECK((coordinates.col(c).array().square() * p.array()).sum() == Approx(pca.variances[c]).epsilon(1e-8));
}

TEST_CASE("eval: nearest neighbours by Hamming distance match brute force", "[design][eval]") {
    for (int sites : {5, 40, 70}) {
        SECTION(std::to_string(sites) + " sites") {
            const StateMatrix reference = correlated_sequences(120, sites, 3, 0.5, 6);
            const StateMatrix queries = correlated_sequences(50, sites, 3, 0.5, 7);
            const NearestNeighbours index(reference);
            const auto distances = index.distances(queries);
            const auto self = index.distances(reference, true);
            for (Eigen::Index m = 0; m < 50; ++m) {
                int best = sites + 1;
                for (Eigen::Index r = 0; r < 120; ++r) best = std::min(best, static_cast<int>((queries.row(m).array() != reference.row(r).array()).count()));
                CHECK(distances[static_cast<std::size_t>(m)] == best);
            }
            for (Eigen::Index m = 0; m < 120; ++m) {
                int best = sites + 1;
                for (Eigen::Index r = 0; r < 120; ++r)
                    if (r != m) best = std::min(best, static_cast<int>((reference.row(m).array() != reference.row(r).array()).count()));
                CHECK(self[static_cast<std::size_t>(m)] == best);
            }
            CHECK(index.distances(reference)[3] == 0);
            CHECK(index.nearest(&reference(3, 0)).index <= 3);
        }
    }
}

TEST_CASE("eval: distance summaries", "[design][eval]") {
    const DistanceSummary s = summarize_distances({0, 2, 4, 10}, 20);
    CHECK(s.mean == Approx((0 + 0.1 + 0.2 + 0.5) / 4));
    CHECK(s.median == Approx(0.15));
    CHECK(s.identical == Approx(0.25));
    CHECK(s.histogram[0] == 0.25);
    CHECK(s.histogram[2] == 0.25);
    CHECK(s.histogram[4] == 0.25);
    CHECK(s.histogram[10] == 0.25);
    // Weighted: the distance-10 query carries 5 of 8 units of weight.
    const DistanceSummary w = summarize_distances({0, 2, 4, 10}, 20, {1, 1, 1, 5});
    CHECK(w.mean == Approx((0 + 0.1 + 0.2 + 5 * 0.5) / 8));
    CHECK(w.median == Approx(0.5));
    CHECK(w.identical == Approx(1.0 / 8));
    CHECK(w.histogram[10] == Approx(5.0 / 8));
}

TEST_CASE("eval: samples equal to the data reproduce every statistic, and the reports are complete", "[design][eval]") {
    const StateMatrix data = correlated_sequences(500, 9, 21, 0.6, 8);
    const Eigen::VectorXd uniform;
    EvalParams params;
    params.top_triplets = 200;
    params.plot_points = 100;
    const Evaluation e = evaluate_samples(data, uniform, data, 21, params);
    CHECK(e.moments.single_pearson == Approx(1.0));
    CHECK(e.moments.connected_pearson == Approx(1.0));
    CHECK(e.moments.connected_slope == Approx(1.0));
    CHECK(e.triplets.correlation.pearson == Approx(1.0));
    CHECK(e.triplets.correlation.slope == Approx(1.0));
    CHECK(e.sample_novelty.identical == 1.0);
    CHECK(e.data_coordinates.rows() == 100);
    CHECK(e.sample_coordinates.rows() == 100);

    std::ostringstream text, json;
    write_evaluation_text(text, e, {"pottsrbm test"});
    CHECK_THAT(text.str(), Contains("# pottsrbm test\n"));
    CHECK_THAT(text.str(), Contains("connected correlations C_ij(a,b):    Pearson 1.0000  slope 1.0000"));
    write_evaluation_json(json, e, {{"seed", "1"}, {"note", "a \"quoted\" value"}});
    const std::string j = json.str();
    CHECK(j.front() == '{');
    CHECK_THAT(j, Contains("\"note\": \"a \\\"quoted\\\" value\""));
    CHECK_THAT(j, Contains("\"connected_pairs\": {\"pearson\": 1,"));
    CHECK_THAT(j, Contains("\"explained_variance_fraction\": ["));
    CHECK(j.find("nan") == std::string::npos);
    const std::string svg = pca_plot_svg(e, "PCA <test>");
    CHECK(svg.rfind("<svg", 0) == 0);
    CHECK_THAT(svg, Contains("PCA &lt;test&gt;"));
    CHECK_THAT(svg, Contains("PC1 ("));
    CHECK_THAT(svg, Contains("PC4 ("));
    // Two rows of panels (PC1-PC2, PC3-PC4): the data in both panels of a row, the samples in the right one.
    std::size_t circles = 0;
    for (std::size_t at = svg.find("<circle"); at != std::string::npos; at = svg.find("<circle", at + 1)) ++circles;
    CHECK(circles == 2 * (2 * 100 + 100));
}

TEST_CASE("eval: projection of alignments onto model columns", "[design][eval]") {
    msa::Alignment full;
    full.source = "x.fasta";
    full.states = correlated_sequences(4, 10, 21, 0.3, 9);
    full.original_length = 10;
    for (int c = 0; c < 10; ++c) full.columns.push_back(c);
    const std::vector<int> model_columns = {1, 4, 8};
    const StateMatrix projected = project_onto_model(full, model_columns);
    REQUIRE(projected.cols() == 3);
    CHECK(projected.col(0) == full.states.col(1));
    CHECK(projected.col(2) == full.states.col(8));
    msa::Alignment per_site = full;
    per_site.states = projected;
    per_site.columns = {0, 1, 2};
    per_site.original_length = 3;
    CHECK(project_onto_model(per_site, model_columns) == projected);
    msa::Alignment short_rows = full;
    short_rows.states = full.states.leftCols(6);
    short_rows.columns.resize(6);
    short_rows.original_length = 6;
    pottsrbm::test::require_input_error([&] { (void)project_onto_model(short_rows, model_columns); },
                                        {"x.fasta: 6 columns, without the model's column 9: the model needs 3 columns (one "
                                         "per model site) or full alignment rows"});
    // A filtered alignment with exactly N columns is matched by column, not taken as it is.
    msa::Alignment filtered = full;
    filtered.states = projected;
    filtered.columns = {1, 4, 8};
    const std::vector<int> reordered = {8, 1, 4};
    const StateMatrix matched = project_onto_model(filtered, reordered);
    CHECK(matched.col(0) == full.states.col(8));
    CHECK(matched.col(1) == full.states.col(1));
    CHECK(matched.col(2) == full.states.col(4));
}

TEST_CASE("eval: the data split-half reference tells structure from noise", "[design][eval]") {
    // Site 1 copies site 0 and site 3 copies site 2 (strong C_ij); site 4 is independent noise.
    Rng rng(5, 0);
    StateMatrix data(4000, 5);
    for (Eigen::Index m = 0; m < data.rows(); ++m) {
        const auto a = static_cast<std::uint8_t>(1 + rng.below(3));
        const auto b = static_cast<std::uint8_t>(1 + rng.below(3));
        data.row(m) << a, a, b, b, static_cast<std::uint8_t>(1 + rng.below(3));
    }
    const Eigen::VectorXd weights = Eigen::VectorXd::Ones(data.rows());
    EvalParams params;
    params.novelty_queries = 50;
    params.plot_points = 50;
    const Evaluation structured = evaluate_samples(data, weights, data.topRows(100), 21, params);
    CHECK(structured.split_half.single_pearson > 0.99);
    CHECK(structured.split_half.connected_pearson > 0.95);

    StateMatrix noise(4000, 5);
    for (Eigen::Index m = 0; m < noise.rows(); ++m)
        for (Eigen::Index i = 0; i < noise.cols(); ++i) noise(m, i) = static_cast<std::uint8_t>(1 + rng.below(3));
    const Evaluation independent = evaluate_samples(noise, weights, noise.topRows(100), 21, params);
    CHECK(std::fabs(independent.split_half.connected_pearson) < 0.3);

    std::ostringstream text;
    write_evaluation_text(text, structured, {});
    CHECK_THAT(text.str(), Contains("data split-half reference"));
}

TEST_CASE("eval: free energies of data and samples", "[design][eval][free-energy]") {
    const model::Rbm rbm = model::testing::random_model(model::HiddenType::drelu, 3, 3, 2, 91);
    const StateMatrix all = model::testing::all_configurations(3, 3);
    Eigen::VectorXd energy(all.rows());
    for (Eigen::Index k = 0; k < all.rows(); ++k) energy[k] = model::free_energy(rbm, &all(k, 0));

    SECTION("weighted moments and quantiles by their definitions") {
        const StateMatrix data = all.topRows(4);
        Eigen::VectorXd weights(4);
        weights << 1.0, 0.0, 2.0, 1.0;
        const FreeEnergyComparison f = compare_free_energies(rbm, data, weights, all);
        const double mean = (energy[0] + 2.0 * energy[2] + energy[3]) / 4.0;
        const double variance =
            (std::pow(energy[0] - mean, 2) + 2.0 * std::pow(energy[2] - mean, 2) + std::pow(energy[3] - mean, 2)) / 4.0;
        REQUIRE(f.available);
        CHECK(f.data_mean == Approx(mean));
        CHECK(f.data_sd == Approx(std::sqrt(variance)));
        // Smallest F whose cumulative weight reaches 1%, 50%, 99% of the total (sequence 1 has weight 0).
        std::vector<std::pair<double, double>> weighted = {{energy[0], 1.0}, {energy[2], 2.0}, {energy[3], 1.0}};
        std::sort(weighted.begin(), weighted.end());
        const auto quantile = [&](double level) {
            double cumulative = 0;
            for (const auto& [value, weight] : weighted)
                if ((cumulative += weight) >= level * 4.0) return value;
            return weighted.back().first;
        };
        CHECK(f.data_quantiles[0] == quantile(0.01));
        CHECK(f.data_quantiles[1] == quantile(0.5));
        CHECK(f.data_quantiles[2] == quantile(0.99));
        std::vector<double> sorted(energy.data(), energy.data() + energy.size());
        std::sort(sorted.begin(), sorted.end());
        CHECK(f.sample_quantiles[0] == sorted[0]);    // ceil(0.01 * 27) = 1st
        CHECK(f.sample_quantiles[1] == sorted[13]);   // ceil(0.5 * 27) = 14th
        CHECK(f.sample_quantiles[2] == sorted[26]);   // ceil(0.99 * 27) = 27th
        CHECK(f.sample_mean == Approx(energy.mean()));
        CHECK(f.shift_per_site == Approx((energy.mean() - mean) / 3.0));
        CHECK(f.standardized_shift == Approx((energy.mean() - mean) / std::sqrt(variance)));
    }

    SECTION("exact samples of the model sit where the data drawn from it sit; a deep mode is flagged") {
        const model::ExactDistribution exact = model::enumerate_exact(rbm);
        // The data: every configuration weighted by its probability.
        const Eigen::VectorXd probabilities = exact.probabilities;
        // 20,000 exact samples by inversion of the cumulative distribution.
        constexpr Eigen::Index count = 20000;
        Rng rng(5, 0);
        StateMatrix samples(count, 3);
        for (Eigen::Index s = 0; s < count; ++s) {
            double u = rng.uniform();
            Eigen::Index k = 0;
            while (k + 1 < all.rows() && (u -= probabilities[k]) >= 0) ++k;
            samples.row(s) = all.row(k);
        }
        const FreeEnergyComparison f = compare_free_energies(rbm, all, probabilities, samples);
        const double mean = probabilities.dot(energy) / probabilities.sum();
        CHECK(f.data_mean == Approx(mean));
        // The sample mean of F is within 4 standard errors of the exact mean.
        CHECK(std::fabs(f.sample_mean - mean) < 4.0 * f.data_sd / std::sqrt(static_cast<double>(count)));
        CHECK_FALSE(samples_below_data(f));

        // Data spread uniformly over the 27 states, samples stuck in the deepest one: flagged.
        Eigen::Index deepest = 0;
        energy.minCoeff(&deepest);
        const StateMatrix stuck = all.row(deepest).replicate(50, 1);
        const Eigen::VectorXd uniform = Eigen::VectorXd::Ones(all.rows());
        const FreeEnergyComparison g = compare_free_energies(rbm, all, uniform, stuck);
        const double uniform_sd = std::sqrt((energy.array() - energy.mean()).square().mean());
        CHECK(g.sample_sd == Approx(0.0).margin(1e-9));
        CHECK(g.standardized_shift == Approx((energy[deepest] - energy.mean()) / uniform_sd));
        INFO("deepest state " << g.standardized_shift << " data sd from the mean");
        CHECK(g.standardized_shift < -1.0);
        CHECK(samples_below_data(g));

        EvalParams params;
        params.plot_points = 10;
        params.top_triplets = 20;
        Evaluation e = evaluate_samples(all, uniform, stuck, 3, params);
        CHECK_FALSE(e.free_energy.available);
        e.free_energy = g;
        std::ostringstream text, json;
        write_evaluation_text(text, e, {});
        CHECK_THAT(text.str(), Contains("free energy F(v) under the model:     data mean "));
        CHECK_THAT(text.str(), Contains("the model has mass where the data are not"));
        write_evaluation_json(json, e, {});
        CHECK_THAT(json.str(), Contains("\"free_energy\": {\"data_mean\": "));
    }

    SECTION("shapes are checked") {
        const Eigen::VectorXd three = Eigen::VectorXd::Ones(3);
        CHECK_THROWS_AS(compare_free_energies(rbm, all.topRows(4), three, all), UsageError);
        CHECK_THROWS_AS(compare_free_energies(rbm, all.leftCols(2), Eigen::VectorXd::Ones(27), all), UsageError);
        CHECK_THROWS_AS(compare_free_energies(rbm, all, Eigen::VectorXd::Zero(27), all), UsageError);
    }
}
