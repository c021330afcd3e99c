// Report outputs: hostile ids, labels and names are HTML-escaped; the page references no network
// resource; logos.tsv reads back to the model's weights exactly; JSON strings are escaped; the
// logo SVG draws letters with the exact weights in their tooltips.
#include "analysis_test_helpers.hpp"

#include "pottsrbm/analysis/report.hpp"
#include "pottsrbm/analysis/units.hpp"
#include "support/test_support.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <sstream>

using namespace pottsrbm;
using namespace pottsrbm::analysis;
using namespace pottsrbm::analysis::testing;
using Catch::Contains;

namespace {

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

struct Fixture {
    model::Rbm rbm;
    WeightedSequences data;
    WeightedSequences samples;
    Labels labels;
    ReferenceNumbering reference;
    DistanceMap distances;
    ContactSummary contacts;
    std::vector<UnitSummary> units;
    std::vector<int> order;
    ReportContext context;

    Fixture() {
        rbm = model::testing::random_model(model::HiddenType::drelu, 6, 21, 3, 3);
        rbm.provenance.training_data = "<img src=x onerror=alert(1)>.fasta";
        rbm.provenance.command_line = "pottsrbm train \"<script>\"";
        data = sequences({"ACDEFG", "CCCCCC", "KLMNPQ", "RSTVWY", "------"}, {1, 0.5, 1, 2, 1},
                         {"<script>alert('id')</script>", "a&b", "x\"y", "plain", "tab\there"});
        SamplingParams params;
        params.chains = 10;
        params.burn_in = 2;
        params.snapshots = 2;
        params.snapshot_every = 1;
        samples = sample_model(rbm, params);
        labels.classes = {"<script>class</script>", "B&B"};
        labels.class_of = {0, 1, 0, 1, -1};
        labels.labelled = 4;
        reference.name = "<ref>";
        reference.states = {1, 2, 0, 4, 5, 6};
        reference.number = {10, 11, 0, 12, 13, 14};
        distances.add(0, 5, 4.0);
        distances.add(1, 4, 12.0);
        MotifParams motif;
        motif.logo_threshold = 0;
        units = analyze_units(rbm, data, samples, motif, &labels);
        order = rank_units(units, UnitOrder::importance, {});
        Eigen::MatrixXd scores = Eigen::MatrixXd::Random(6, 6);
        scores = (scores + scores.transpose()).eval();
        contacts.structure_path = "<struct>.dat";
        contacts.distances = &distances;
        contacts.ranked = rank_pairs(scores, scores, rbm.columns, &distances);
        contacts.ppv = ppv_table(contacts.ranked, 6);
        contacts.map_svg = contact_map_svg(contacts.ranked, rbm.columns, &distances, 12, "map");
        context.version = "test";
        context.command_line = "pottsrbm motifs <model>";
        context.model_path = "<model>.npz";
        context.rbm = &rbm;
        context.alignment_path = "aln&.fasta";
        context.sequences = data.size();
        context.effective_sequences = data.weights.sum();
        context.sampling = params;
        context.samples = samples.size();
        context.params = motif;
        context.order = "importance";
        context.reference = &reference;
        context.labels = &labels;
        context.labels_path = "<labels>.tsv";
        context.contacts = &contacts;
    }
};

}  // namespace

TEST_CASE("the HTML report escapes hostile ids, labels and names", "[analysis][report]") {
    Fixture f;
    std::ostringstream html;
    write_motifs_html(html, f.units, f.order, f.data, f.context);
    const std::string page = html.str();
    CHECK_THAT(page, Contains("<!DOCTYPE html>"));
    CHECK(lower(page).find("<script") == std::string::npos);
    CHECK(page.find("<img") == std::string::npos);
    CHECK(page.find("<ref>") == std::string::npos);
    CHECK(page.find("<model>") == std::string::npos);
    CHECK_THAT(page, Contains("&lt;script&gt;alert(&#39;id&#39;)&lt;/script&gt;"));
    CHECK_THAT(page, Contains("a&amp;b"));
    CHECK_THAT(page, Contains("x&quot;y"));
    CHECK_THAT(page, Contains("&lt;script&gt;class&lt;/script&gt;"));
    CHECK_THAT(page, Contains("B&amp;B"));
    CHECK_THAT(page, Contains("&lt;img src=x onerror=alert(1)&gt;.fasta"));
    CHECK_THAT(page, Contains("&lt;struct&gt;.dat"));
    // Every unit has a section, a logo and a histogram.
    for (const UnitSummary& unit : f.units) CHECK_THAT(page, Contains("id=\"unit-" + std::to_string(unit.unit + 1) + "\""));
    CHECK_THAT(page, Contains("unit 1: weights W_i(a)"));
}

TEST_CASE("the HTML report references no network resource", "[analysis][report]") {
    Fixture f;
    std::ostringstream html;
    write_motifs_html(html, f.units, f.order, f.data, f.context);
    const std::string page = lower(html.str());
    // The only URL is the SVG namespace name of each inline <svg> (an identifier, never fetched).
    std::size_t found = 0;
    int urls = 0;
    while ((found = page.find("://", found)) != std::string::npos) {
        ++urls;
        const std::size_t start = page.rfind('"', found);
        REQUIRE(start != std::string::npos);
        const std::string expected = "xmlns=\"http://www.w3.org/2000/svg\"";
        CHECK(page.substr(start - 6, expected.size()) == expected);
        found += 3;
    }
    CHECK(urls > 0);
    for (const char* marker : {"<link", "<script", "<iframe", "<img", "<object", "<embed", "@import", "url(", "src=\"", "href=\"http",
                               "href=\"//"})
        CHECK(page.find(marker) == std::string::npos);
}

TEST_CASE("logos.tsv holds the model's weights exactly", "[analysis][report][logo]") {
    Fixture f;
    std::ostringstream tsv;
    write_logos_tsv(tsv, f.units, f.order, f.context);
    std::istringstream lines(tsv.str());
    std::string line;
    int rows = 0;
    while (std::getline(lines, line)) {
        if (line.empty() || line[0] == '#' || line.rfind("unit\t", 0) == 0) continue;
        std::istringstream fields(line);
        int unit = 0;
        int column = 0;
        std::string reference;
        std::string residue;
        std::string weight;
        std::getline(fields, residue, '\t');
        unit = std::stoi(residue);
        std::getline(fields, residue, '\t');
        column = std::stoi(residue);
        std::getline(fields, reference, '\t');
        std::getline(fields, residue, '\t');
        std::getline(fields, weight, '\t');
        const int site = column - 1;  // identity columns
        const int state = state_of(residue[0]);
        CHECK(std::stof(weight) == f.rbm.weights(site * 21 + state, unit - 1));
        CHECK(reference == f.reference.label(site));
        ++rows;
    }
    CHECK(rows == 3 * 6 * 21);  // logo threshold 0: every site of every unit
}

TEST_CASE("units.tsv and units.json carry the numbers, and JSON strings are escaped", "[analysis][report]") {
    Fixture f;
    std::ostringstream tsv;
    write_units_tsv(tsv, f.units, f.order, f.context);
    CHECK_THAT(tsv.str(), Contains("rank\tunit\timportance"));
    CHECK_THAT(tsv.str(), Contains("\tseparation\ttop_pairs_known\ttop_pairs_within_8\n"));
    std::ostringstream json;
    write_motifs_json(json, f.units, f.order, f.data, f.context);
    const std::string text = json.str();
    CHECK_THAT(text, Contains("\"id\":\"<script>alert('id')</script>\""));
    CHECK_THAT(text, Contains("\"id\":\"x\\\"y\""));
    CHECK_THAT(text, Contains("\"id\":\"tab\\there\""));
    CHECK_THAT(text, Contains(fmt::format("\"unit\":{},", f.units[static_cast<std::size_t>(f.order[0])].unit + 1)));
    CHECK(std::count(text.begin(), text.end(), '{') == std::count(text.begin(), text.end(), '}'));
}

TEST_CASE("logo SVG: letters of the weights with exact tooltips, gap as a box", "[analysis][report][logo]") {
    model::Rbm rbm = blank_model(3, 1);
    set_weight(rbm, 0, 'C', 0, 2.5f);
    set_weight(rbm, 0, 'S', 0, -1.25f);
    set_weight(rbm, 2, '-', 0, -1.0f);
    const auto logo = unit_logo(rbm, 0, 0.1);
    REQUIRE(logo.size() == 2);
    const std::string svg = logo_svg(logo, nullptr, "u<1>");
    CHECK_THAT(svg, Contains("u&lt;1&gt;"));
    CHECK_THAT(svg, Contains("<title>column 1, C: W = 2.5000</title>C</text>"));
    CHECK_THAT(svg, Contains("<title>column 1, S: W = -1.2500</title>S</text>"));
    CHECK_THAT(svg, Contains("<title>column 3, -: W = -1.0000</title></rect>"));
    // Heights are proportional to |W|: C is twice as tall as S (scale factors of the glyphs).
    const auto scale_of = [&](const std::string& letter) {
        const std::size_t end = svg.find("</title>" + letter + "</text>");
        const std::size_t start = svg.rfind("scale(", end);
        const std::size_t comma = svg.find(',', start);
        return std::stod(svg.substr(comma + 1, svg.find(')', comma) - comma - 1));
    };
    CHECK(scale_of("C") == Approx(2 * scale_of("S")).epsilon(1e-3));
    // Site 2 (column 2) has no weight and is skipped: a dashed separator marks it.
    CHECK_THAT(svg, Contains("stroke-dasharray=\"3,3\""));
}
