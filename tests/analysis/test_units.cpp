// Per-unit statistics: logos are the weights, participation ratio on hand-made weights, dReLU
// shape against a brute-force mode search, importance Delta L_mu against exact enumeration (and
// Gibbs samples within their error bar), histograms, moments, class separation, labels files,
// reference numbering, ranking, projection onto model columns.
#include "analysis_test_helpers.hpp"

#include "pottsrbm/analysis/units.hpp"
#include "pottsrbm/core/error.hpp"
#include "pottsrbm/model/hidden.hpp"
#include "pottsrbm/model/moments.hpp"
#include "support/test_support.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace pottsrbm;
using namespace pottsrbm::analysis;
using namespace pottsrbm::analysis::testing;
using Catch::Contains;

namespace {

// The model without unit mu (same fields, other units unchanged).
model::Rbm without_unit(const model::Rbm& rbm, int mu) {
    model::Rbm out = model::Rbm::make(rbm.sites, rbm.states, rbm.units() - 1, rbm.hidden.type);
    out.fields = rbm.fields;
    int k = 0;
    for (int nu = 0; nu < rbm.units(); ++nu) {
        if (nu == mu) continue;
        out.weights.col(k) = rbm.weights.col(nu);
        out.hidden.gamma_plus(k) = rbm.hidden.gamma_plus(nu);
        out.hidden.theta_plus(k) = rbm.hidden.theta_plus(nu);
        out.hidden.gamma_minus(k) = rbm.hidden.gamma_minus(nu);
        out.hidden.theta_minus(k) = rbm.hidden.theta_minus(nu);
        ++k;
    }
    return out;
}

// Exact weighted mean log-likelihood <-F(v)>_data - log Z.
double exact_log_likelihood(const model::Rbm& rbm, const WeightedSequences& data) {
    const model::ExactDistribution exact = model::enumerate_exact(rbm);
    Eigen::VectorXd energies(data.size());
    model::free_energy(rbm, data.states, energies);
    return -data.weights.dot(energies) / data.weights.sum() - exact.log_z;
}

}  // namespace

TEST_CASE("logo numbers are the model's weights, and the threshold keeps the sites above it", "[analysis][logo]") {
    const model::Rbm rbm = model::testing::random_model(model::HiddenType::drelu, 6, 21, 3, 11);
    for (int mu = 0; mu < rbm.units(); ++mu) {
        const auto logo = unit_logo(rbm, mu, 0.0);
        REQUIRE(logo.size() == 6);
        for (const LogoColumn& column : logo) {
            REQUIRE(column.weights.size() == 21);
            for (int a = 0; a < 21; ++a)
                CHECK(column.weights[static_cast<std::size_t>(a)] == rbm.weights(column.site * 21 + a, mu));
            CHECK(column.column == rbm.columns[static_cast<std::size_t>(column.site)]);
        }
    }
    // Hand-made unit: site norms 3, 0 (no weights), 1.5, 0.6 (x 1, 0, 0.5, 0.2 of the largest).
    model::Rbm hand = blank_model(4, 1, model::HiddenType::drelu, 10);
    set_weight(hand, 0, 'C', 0, 3.0f);
    set_weight(hand, 2, 'K', 0, 1.2f);
    set_weight(hand, 2, 'E', 0, -0.9f);
    set_weight(hand, 3, 'A', 0, 0.6f);
    const auto kept = unit_logo(hand, 0, 0.5);
    REQUIRE(kept.size() == 2);
    CHECK(kept[0].site == 0);
    CHECK(kept[0].column == 10);
    CHECK(kept[0].norm == Approx(3.0));
    CHECK(kept[1].site == 2);
    CHECK(kept[1].norm == Approx(1.5));
    CHECK(kept[1].weights[state_of('K')] == 1.2f);
    CHECK(kept[1].weights[state_of('E')] == -0.9f);
    CHECK(unit_logo(hand, 0, 0.0).size() == 4);
    CHECK(unit_logo(hand, 0, 0.21).size() == 2);
    CHECK(unit_logo(hand, 0, 0.19).size() == 3);
}

TEST_CASE("participation ratio on hand-made weights", "[analysis][sparsity]") {
    model::Rbm rbm = blank_model(5, 4);
    // Unit 0: one site -> 1/N.
    set_weight(rbm, 2, 'C', 0, 2.0f);
    // Unit 1: every site the same norm -> 1.
    for (int i = 0; i < 5; ++i) {
        set_weight(rbm, i, 'A', 1, 0.3f);
        set_weight(rbm, i, 'G', 1, -0.4f);
    }
    // Unit 2: squared site norms 1 and 4 on two sites -> (1 + 4)^2 / (5 (1 + 16)) = 25/85.
    set_weight(rbm, 0, 'K', 2, 1.0f);
    set_weight(rbm, 3, 'E', 2, 2.0f);
    // Unit 3: squared norms 1, 1, 2 (0.5 + 0.5 + 2 split over letters) -> 16 / (5 * 6) = 8/15.
    set_weight(rbm, 0, 'L', 3, 1.0f);
    set_weight(rbm, 1, 'I', 3, std::sqrt(0.5f));
    set_weight(rbm, 1, 'V', 3, -std::sqrt(0.5f));
    set_weight(rbm, 4, 'W', 3, 1.0f);
    set_weight(rbm, 4, 'Y', 3, 1.0f);
    CHECK(participation_ratio(rbm, 0) == Approx(0.2).epsilon(1e-12));
    CHECK(participation_ratio(rbm, 1) == Approx(1.0).epsilon(1e-12));
    CHECK(participation_ratio(rbm, 2) == Approx(25.0 / 85.0).epsilon(1e-12));
    CHECK(participation_ratio(rbm, 3) == Approx(8.0 / 15.0).epsilon(1e-6));
    const Eigen::VectorXd norms = site_norms(rbm, 2);
    CHECK(norms(0) == Approx(1.0));
    CHECK(norms(3) == Approx(2.0));
    CHECK(norms(1) == 0.0);
    // The training metric averages the same per-unit definition.
    const double mean = (0.2 + 1.0 + 25.0 / 85.0 + 8.0 / 15.0) / 4;
    CHECK(model::weight_sparsity(rbm).participation_ratio == Approx(mean).epsilon(1e-6));
    model::Rbm empty = blank_model(5, 1);
    CHECK(std::isnan(participation_ratio(empty, 0)));
}

TEST_CASE("dReLU shape: PGM parameters, and the mode of h jumps by `jump` at `switch_input`", "[analysis][drelu]") {
    model::HiddenLayer layer = model::HiddenLayer::make(model::HiddenType::drelu, 2);
    // Unit 0: symmetric convex cusp. PGM theta- = -(our theta-) = 1: kink 2.
    layer.gamma_plus(0) = 2;
    layer.gamma_minus(0) = 2;
    layer.theta_plus(0) = 1;
    layer.theta_minus(0) = -1;
    const DreluShape cusp = drelu_shape(layer, 0);
    CHECK(cusp.gamma == Approx(2));
    CHECK(cusp.eta == Approx(0).margin(1e-15));
    CHECK(cusp.kink == Approx(2));
    CHECK(cusp.delta == Approx(1));
    CHECK(cusp.theta == Approx(0).margin(1e-15));
    CHECK(cusp.dead_zone == Approx(2));
    CHECK(cusp.jump == 0);
    // Unit 1: asymmetric double well.
    layer.gamma_plus(1) = 1;
    layer.gamma_minus(1) = 3;
    layer.theta_plus(1) = -0.8f;
    layer.theta_minus(1) = 0.7f;
    const DreluShape well = drelu_shape(layer, 1);
    CHECK(well.gamma == Approx(1.5));
    CHECK(well.eta == Approx(0.5));
    CHECK(well.kink == Approx(-1.5));
    CHECK(well.dead_zone == 0);
    CHECK(well.jump == Approx(1.5 / std::sqrt(3.0)));
    // Brute force: the most likely h (argmin U(h) - h I) just below and above the switch.
    const auto mode = [&](double input) {
        double best = 0;
        double best_value = std::numeric_limits<double>::infinity();
        for (int k = -400000; k <= 400000; ++k) {
            const double h = k * 1e-5;
            const double value = model::hidden_potential(layer, 1, h) - h * input;
            if (value < best_value) {
                best_value = value;
                best = h;
            }
        }
        return best;
    };
    const double below = mode(well.switch_input - 1e-4);
    const double above = mode(well.switch_input + 1e-4);
    CHECK(below < 0);
    CHECK(above > 0);
    CHECK(above - below == Approx(well.jump).margin(1e-3));
}

TEST_CASE("importance Delta L_mu equals the exact log-likelihood loss of removing the unit", "[analysis][importance]") {
    for (const auto type : {model::HiddenType::drelu, model::HiddenType::bernoulli, model::HiddenType::relu}) {
        model::testing::RandomModelOptions options;
        options.weight_scale = 0.8;
        options.dyadic = true;  // inputs are exact in float, as in the enumeration
        const model::Rbm rbm = model::testing::random_model(type, 3, 21, 3, 5, options);
        const WeightedSequences data = random_sequences(3, 40, 9);
        const WeightedSequences exact = exact_ensemble(rbm);
        const std::vector<Importance> importance = unit_importance(rbm, data, exact);
        const double full = exact_log_likelihood(rbm, data);
        for (int mu = 0; mu < rbm.units(); ++mu) {
            INFO("type " << model::to_string(type) << ", unit " << mu);
            const double loss = full - exact_log_likelihood(without_unit(rbm, mu), data);
            CHECK(importance[static_cast<std::size_t>(mu)].delta_l == Approx(loss).epsilon(1e-9).margin(1e-10));
            CHECK(importance[static_cast<std::size_t>(mu)].std_error >= 0);
        }
    }
}

TEST_CASE("importance from Gibbs samples agrees with the exact value within its error bar", "[analysis][importance]") {
    const model::Rbm rbm = model::testing::random_model(model::HiddenType::drelu, 3, 21, 2, 21);
    const WeightedSequences data = random_sequences(3, 200, 4);
    const std::vector<Importance> exact = unit_importance(rbm, data, exact_ensemble(rbm));
    SamplingParams params;
    params.chains = 400;
    params.burn_in = 50;
    params.snapshots = 10;
    params.snapshot_every = 5;
    const WeightedSequences samples = sample_model(rbm, params);
    CHECK(samples.size() == 4000);
    CHECK(samples.groups.size() == 4000);
    const std::vector<Importance> sampled = unit_importance(rbm, data, samples);
    for (std::size_t mu = 0; mu < exact.size(); ++mu) {
        // Only the model term is random here (same data): 5 standard errors is a p ~ 1e-6 band.
        INFO("unit " << mu << ": exact " << exact[mu].delta_l << ", sampled " << sampled[mu].delta_l << " +- "
                     << sampled[mu].std_error);
        CHECK(sampled[mu].std_error > 0);
        CHECK(std::fabs(sampled[mu].delta_l - exact[mu].delta_l) < 5 * sampled[mu].std_error + 1e-3);
    }
}

TEST_CASE("histograms and input moments", "[analysis][histogram]") {
    Eigen::VectorXd values(5);
    values << 0.1, 0.2, 0.9, 1.5, -3.0;
    Eigen::VectorXd weights(5);
    weights << 1, 1, 2, 1, 1;
    const Histogram histogram = make_histogram(values, weights, 0.0, 1.0, 4);
    REQUIRE(histogram.density.size() == 4);
    // Bins of width 0.25: [0.1, 0.2, -3 clamped] -> bin 0 (weight 3), 0.9 and 1.5 (clamped) -> bin 3 (weight 3).
    CHECK(histogram.density[0] == Approx(3.0 / (6 * 0.25)));
    CHECK(histogram.density[1] == 0);
    CHECK(histogram.density[3] == Approx(3.0 / (6 * 0.25)));
    double integral = 0;
    for (double d : histogram.density) integral += d * 0.25;
    CHECK(integral == Approx(1.0));

    // A symmetric two-point law: skewness 0, kurtosis 1, BC = 1; weights matter.
    Eigen::VectorXd two(4);
    two << -1, 1, 1, -1;
    const InputSummary summary = summarize_inputs(two, Eigen::VectorXd::Ones(4));
    CHECK(summary.mean == Approx(0).margin(1e-15));
    CHECK(summary.std == Approx(1));
    CHECK(summary.bimodality == Approx(1));
    Eigen::VectorXd w(4);
    w << 3, 1, 1, 3;  // P(-1) = 3/4: mean -1/2, var 3/4, skewness 2/sqrt(3), kurtosis 7/3
    const InputSummary skewed = summarize_inputs(two, w);
    CHECK(skewed.mean == Approx(-0.5));
    CHECK(skewed.std == Approx(std::sqrt(0.75)));
    CHECK(skewed.bimodality == Approx((4.0 / 3.0 + 1.0) / (7.0 / 3.0)));
}

TEST_CASE("class separation is the weighted correlation ratio", "[analysis][labels]") {
    Eigen::VectorXd values(6);
    values << 1, 1, 3, 3, 7, 100;
    Eigen::VectorXd weights(6);
    weights << 1, 1, 1, 1, 2, 5;
    // The last row is unlabelled and must not count.
    const std::vector<int> classes = {0, 0, 1, 1, 1, -1};
    // Labelled: class 0 = {1, 1} (w 2), class 1 = {3, 3, 7} (w 1, 1, 2): mean 5; total mean 11/3.
    const double mean = (2.0 * 1 + 1 * 3 + 1 * 3 + 2 * 7) / 6.0;
    const double total = 2 * std::pow(1 - mean, 2) + 2 * std::pow(3 - mean, 2) + 2 * std::pow(7 - mean, 2);
    const double between = 2 * std::pow(1 - mean, 2) + 4 * std::pow(5 - mean, 2);
    CHECK(class_separation(values, weights, classes, 2) == Approx(between / total));
    const std::vector<int> separated = {0, 0, 1, 1, -1, -1};
    CHECK(class_separation(values, weights, separated, 2) == Approx(1.0));
    const std::vector<int> one_class = {0, 0, 0, 0, 0, -1};
    CHECK(std::isnan(class_separation(values, weights, one_class, 2)));
}

TEST_CASE("labels files: formats, hostile names, errors naming the line", "[analysis][labels]") {
    const auto dir = test::scratch_dir("labels");
    const std::vector<std::string> ids = {"a", "b", "<script>x</script>", "d", "b"};
    const auto good = test::write_file(dir / "good.tsv",
                                       "# classes\nid\tclass\na\tgroup I\n<script>x</script>\t<b>&\"'\nb group II\n"
                                       "zzz\tgroup I\n\na\tgroup I\n");
    const Labels labels = read_labels(good.string(), ids);
    REQUIRE(labels.classes.size() == 3);
    CHECK(labels.classes[0] == "group I");
    CHECK(labels.classes[1] == "<b>&\"'");
    CHECK(labels.classes[2] == "group II");
    CHECK(labels.class_of == std::vector<int>{0, 2, 1, -1, 2});
    CHECK(labels.labelled == 4);
    CHECK(labels.unmatched == 1);

    const auto missing_class = test::write_file(dir / "bad1.tsv", "a\tx\nb\n");
    test::require_input_error([&] { (void)read_labels(missing_class.string(), ids); }, {"bad1.tsv", "line 2", "id<TAB>class"});
    const auto conflict = test::write_file(dir / "bad2.tsv", "a\tx\nb\ty\na\tz\n");
    test::require_input_error([&] { (void)read_labels(conflict.string(), ids); }, {"line 3", "'a'", "'z'", "'x'"});
    const auto none = test::write_file(dir / "bad3.tsv", "p\tx\nq\ty\n");
    test::require_input_error([&] { (void)read_labels(none.string(), ids); }, {"bad3.tsv", "none of its 2 ids"});
}

TEST_CASE("reference numbering counts the reference's residues over all match columns", "[analysis][reference]") {
    msa::Alignment alignment;
    alignment.source = "ref.fasta";
    alignment.ids = {"BPT1/36-45", "other"};
    // 8 original columns; the model keeps columns 1, 2, 4, 6 (0-based).
    const std::string rows[] = {"-KC-DE-F", "AAAAAAAA"};
    alignment.states.resize(2, 8);
    for (int m = 0; m < 2; ++m)
        for (int c = 0; c < 8; ++c) alignment.states(m, c) = state_of(rows[m][static_cast<std::size_t>(c)]);
    alignment.columns = {0, 1, 2, 3, 4, 5, 6, 7};
    alignment.original_length = 8;
    const std::vector<int> model_columns = {1, 2, 4, 6};

    // Residues of the reference: K=36 (col 1), C=37 (col 2), D=38 (col 4), E=39 (col 5), F=40 (col 7).
    const ReferenceNumbering byid = make_reference("BPT1/36-45", model_columns, &alignment, std::nullopt);
    CHECK(byid.name == "BPT1/36-45");
    CHECK(byid.number == std::vector<int>{36, 37, 38, 0});
    CHECK(byid.label(0) == "K36");
    CHECK(byid.label(2) == "D38");
    CHECK(byid.label(3) == "-");
    const ReferenceNumbering shifted = make_reference("BPT1/36-45", model_columns, &alignment, 1);
    CHECK(shifted.number == std::vector<int>{1, 2, 3, 0});
    // A full-row literal counts over every column; a per-site literal only over the model's sites.
    const ReferenceNumbering full = make_reference("MKC-DE-F", model_columns, &alignment, std::nullopt);
    CHECK(full.number == std::vector<int>{2, 3, 4, 0});
    const ReferenceNumbering per_site = make_reference("KC-W", model_columns, nullptr, 5);
    CHECK(per_site.number == std::vector<int>{5, 6, 0, 7});
    CHECK(per_site.label(3) == "W7");
    CHECK_THROWS_AS(make_reference("no_such_id", model_columns, &alignment, std::nullopt), UsageError);
}

TEST_CASE("projection onto the model's columns, and the error for a missing column", "[analysis][data]") {
    msa::Alignment alignment;
    alignment.source = "aln.fasta";
    alignment.ids = {"s1", "s2"};
    alignment.states.resize(2, 3);
    alignment.states << 1, 2, 3, 4, 5, 6;
    alignment.columns = {0, 2, 5};
    alignment.original_length = 6;
    const Eigen::VectorXd weights = Eigen::Vector2d(0.5, 1.0);
    model::Rbm rbm = blank_model(2, 1);
    rbm.columns = {5, 0};
    const WeightedSequences data = project_onto_model(alignment, weights, rbm);
    CHECK(data.states(0, 0) == 3);
    CHECK(data.states(0, 1) == 1);
    CHECK(data.states(1, 0) == 6);
    CHECK(data.weights(0) == 0.5);
    CHECK(data.ids == alignment.ids);
    rbm.columns = {2, 3};
    test::require_input_error([&] { (void)project_onto_model(alignment, weights, rbm); }, {"aln.fasta", "column 4"});
    model::Rbm binary = model::Rbm::make(2, 2, 1, model::HiddenType::drelu);
    CHECK_THROWS_AS(project_onto_model(alignment, weights, binary), UsageError);
}

TEST_CASE("units are ranked by importance, norm, sparsity, separation, and filtered", "[analysis][rank]") {
    std::vector<UnitSummary> units(4);
    const double importance[] = {0.5, 2.0, std::nan(""), 1.0};
    const double norms[] = {3.0, 1.0, 2.0, 4.0};
    const double ratios[] = {0.1, 0.9, 0.3, 0.2};
    for (int k = 0; k < 4; ++k) {
        units[static_cast<std::size_t>(k)].unit = k;
        units[static_cast<std::size_t>(k)].importance.delta_l = importance[k];
        units[static_cast<std::size_t>(k)].norm = norms[k];
        units[static_cast<std::size_t>(k)].participation_ratio = ratios[k];
        units[static_cast<std::size_t>(k)].separation = norms[k] / 10;
    }
    CHECK(rank_units(units, UnitOrder::importance, {}) == std::vector<int>{1, 3, 0, 2});
    CHECK(rank_units(units, UnitOrder::norm, {}) == std::vector<int>{3, 0, 2, 1});
    CHECK(rank_units(units, UnitOrder::sparsity, {}) == std::vector<int>{0, 3, 2, 1});
    CHECK(rank_units(units, UnitOrder::index, {}) == std::vector<int>{0, 1, 2, 3});
    CHECK(rank_units(units, UnitOrder::separation, {}) == std::vector<int>{3, 0, 2, 1});
    UnitFilter filter;
    filter.min_norm = 1.5;
    filter.max_participation = 0.25;
    CHECK(rank_units(units, UnitOrder::importance, filter) == std::vector<int>{3, 0});
    filter.max_units = 1;
    CHECK(rank_units(units, UnitOrder::importance, filter) == std::vector<int>{3});
    // Inactive units (weights at noise level) are left out unless asked for.
    units[1].active = false;
    CHECK(rank_units(units, UnitOrder::importance, {}) == std::vector<int>{3, 0, 2});
    UnitFilter with_inactive;
    with_inactive.include_inactive = true;
    CHECK(rank_units(units, UnitOrder::importance, with_inactive) == std::vector<int>{1, 3, 0, 2});
    CHECK(parse_unit_order("norm") == UnitOrder::norm);
    CHECK_THROWS_WITH(parse_unit_order("size"), Contains("--sort") && Contains("'size'"));
}

TEST_CASE("analyze_units on the planted model finds its motifs", "[analysis][planted]") {
    // Unit 0 of a hand-made model: C at sites 1 and 7 (a disulfide-like pair).
    model::Rbm rbm = blank_model(8, 2);
    set_weight(rbm, 1, 'C', 0, 2.0f);
    set_weight(rbm, 7, 'C', 0, 2.0f);
    for (int i = 0; i < 8; ++i) set_weight(rbm, i, 'A', 1, 0.1f * static_cast<float>(i + 1));
    const WeightedSequences data = sequences({"ACAAAAAC", "AAAAAAAA", "GCGGGGGC", "AAAAAAAC"}, {1, 1, 2, 1});
    SamplingParams params;
    params.chains = 20;
    params.burn_in = 5;
    params.snapshots = 2;
    params.snapshot_every = 2;
    MotifParams motif;
    motif.top_sites = 3;
    motif.top_sequences = 2;
    const auto units = analyze_units(rbm, data, sample_model(rbm, params), motif, nullptr);
    REQUIRE(units.size() == 2);
    const UnitSummary& pair = units[0];
    CHECK(pair.effective_sites == Approx(2.0));
    REQUIRE(pair.top_sites.size() == 2);  // sites without weight are not listed
    CHECK(pair.top_sites[0].site == 1);
    CHECK(pair.top_sites[1].site == 7);
    CHECK(pair.top_sites[0].fraction == Approx(0.5));
    // Inputs 4, 0, 4, 2: the most active are rows 0 and 2 (ties by row), the least row 1 then 3.
    REQUIRE(pair.most_active.size() == 2);
    CHECK(pair.most_active[0].sequence == 0);
    CHECK(pair.most_active[0].input == Approx(4.0));
    CHECK(pair.most_active[1].sequence == 2);
    CHECK(pair.least_active[0].sequence == 1);
    CHECK(pair.least_active[1].sequence == 3);
    CHECK(pair.data_inputs.mean == Approx((4.0 + 0 + 8 + 2) / 5));
    CHECK(pair.logo.size() == 2);
    CHECK(pair.shape.has_value());
    CHECK(units[1].top_sites.size() == 3);
    CHECK(units[1].top_sites[0].site == 7);
}
