// Tests of the alignment statistics on a tiny hand-made alignment, of the text report and of the
// JSON output (parsed back with a strict parser; hostile ids and undefined numbers).
#include "msa_test_helpers.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/msa/stats.hpp"
#include "pottsrbm/version.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <map>
#include <sstream>

using namespace pottsrbm;
using test::make_alignment;

namespace {

// s1 AC-, s2 AC-, s3 ADW, s4 --- with weights 1, 1, 1, 0.5 (M_eff 3.5); kept columns are the
// original columns 2, 5, 7 of 8.
msa::Alignment tiny_alignment() {
    auto alignment = make_alignment({"AC-", "AC-", "ADW", "---"});
    alignment.columns = {1, 4, 6};
    alignment.original_length = 8;
    alignment.nonstandard.counts = {1, 0, 0, 3, 0, 0, 2};
    alignment.nonstandard.sequences = 2;
    return alignment;
}

Eigen::VectorXd tiny_weights() { return (Eigen::VectorXd(4) << 1.0, 1.0, 1.0, 0.5).finished(); }

double entropy(std::initializer_list<double> p) {
    double s = 0;
    for (double x : p) s -= x * std::log(x);
    return s;
}

std::vector<std::string> words(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

std::vector<std::string> lines(const std::string& text) {
    std::istringstream in(text);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

}  // namespace

TEST_CASE("statistics of a tiny alignment", "[stats]") {
    const auto alignment = tiny_alignment();
    msa::FilterReport filters;
    filters.input_sequences = 9;
    filters.removed_gappy_sequences = 5;
    const auto stats = msa::compute_stats(alignment, tiny_weights(), filters, 0.8, true);
    CHECK(stats.sequences == 4);
    CHECK(stats.columns == 3);
    CHECK(stats.original_columns == 8);
    CHECK(stats.effective_sequences == 3.5);
    CHECK(stats.identity_threshold == 0.8);
    CHECK(stats.duplicates == 1);
    CHECK(stats.filters.removed_gappy_sequences == 5);
    CHECK(stats.nonstandard.total() == 6);
    CHECK(stats.sequence_gap_fraction == (Eigen::VectorXd(4) << 1.0 / 3, 1.0 / 3, 0.0, 1.0).finished());
    CHECK(stats.sequence_gap_histogram == std::array<std::int64_t, 10>{1, 0, 0, 2, 0, 0, 0, 0, 0, 1});
    CHECK(stats.column_gap_fraction == (Eigen::VectorXd(3) << 0.25, 0.25, 0.75).finished());
    REQUIRE(stats.frequencies.rows() == 3);
    REQUIRE(stats.frequencies.cols() == q_states);
    CHECK(stats.frequencies(0, state_of('A')) == Approx(6.0 / 7));
    CHECK(stats.frequencies(0, gap_state) == Approx(1.0 / 7));
    CHECK(stats.frequencies(1, state_of('C')) == Approx(4.0 / 7));
    CHECK(stats.frequencies(1, state_of('D')) == Approx(2.0 / 7));
    CHECK(stats.frequencies(2, gap_state) == Approx(5.0 / 7));
    CHECK(stats.frequencies(2, state_of('W')) == Approx(2.0 / 7));
    for (int j = 0; j < 3; ++j) CHECK(stats.frequencies.row(j).sum() == Approx(1.0));
    CHECK(stats.column_entropy(0) == Approx(entropy({6.0 / 7, 1.0 / 7})));
    CHECK(stats.column_entropy(1) == Approx(entropy({4.0 / 7, 2.0 / 7, 1.0 / 7})));
    CHECK(stats.column_entropy(2) == Approx(entropy({5.0 / 7, 2.0 / 7})));

    const auto uniform = msa::compute_stats(alignment, Eigen::VectorXd::Ones(4), {}, 0.8, false);
    CHECK(uniform.effective_sequences == 4.0);
    CHECK(uniform.identity_threshold == 0.0);
    CHECK(uniform.frequencies(0, state_of('A')) == 0.75);
    CHECK_THROWS_AS(msa::compute_stats(alignment, Eigen::VectorXd::Ones(3), {}, 0.8, true), RuntimeFailure);
}

TEST_CASE("text report: header, sizes, histogram and per-column table", "[stats]") {
    const auto alignment = tiny_alignment();
    const auto stats = msa::compute_stats(alignment, tiny_weights(), {}, 0.8, true);
    std::ostringstream out;
    msa::write_stats_text(out, alignment, stats);
    const auto text = lines(out.str());
    REQUIRE(text.size() > 20);
    CHECK(text[0] == std::string("# pottsrbm ") + version_string + " (" + git_revision + ")");
    const std::string all = out.str();
    CHECK_THAT(all, Catch::Contains("source: test.fasta"));
    CHECK_THAT(all, Catch::Contains("format: fasta"));
    CHECK_THAT(all, Catch::Contains("sequences (M): 4"));
    CHECK_THAT(all, Catch::Contains("columns (N): 3 kept of 8"));
    CHECK_THAT(all, Catch::Contains("(M_eff): 3.50") && Catch::Contains("identity >= 0.8"));
    CHECK_THAT(all, Catch::Contains("duplicates: 1"));
    CHECK_THAT(all, Catch::Contains("6 in 2 sequences (B 1, Z 0, J 0, X 3, U 0, O 0, * 2)"));
    CHECK_THAT(all, Catch::Contains("gap fraction per sequence: mean 0.4167 min 0.0000 max 1.0000"));
    // Histogram rows: [0.3, 0.4) holds 2 sequences, [0.9, 1.0] holds 1.
    bool found_bin = false;
    for (const auto& line : text)
        if (line.find("[0.3, 0.4)") != std::string::npos) found_bin = words(line).at(2) == "2";
    CHECK(found_bin);
    // Table rows keyed by the original 1-based column.
    std::map<std::string, std::vector<std::string>> rows;
    for (const auto& line : text) {
        const auto w = words(line);
        if (w.size() == 5 && std::isdigit(static_cast<unsigned char>(w[0][0]))) rows[w[0]] = w;
    }
    REQUIRE(rows.size() == 3);
    CHECK(rows["2"] ==
          std::vector<std::string>{"2", "0.2500", fmt::format("{:.4f}", entropy({6.0 / 7, 1.0 / 7})), "A", "0.8571"});
    CHECK(rows["5"] == std::vector<std::string>{
                           "5", "0.2500", fmt::format("{:.4f}", entropy({4.0 / 7, 2.0 / 7, 1.0 / 7})), "C", "0.5714"});
    CHECK(rows["7"] ==
          std::vector<std::string>{"7", "0.7500", fmt::format("{:.4f}", entropy({5.0 / 7, 2.0 / 7})), "-", "0.7143"});
}

TEST_CASE("JSON output is valid and holds the same numbers", "[stats]") {
    auto alignment = tiny_alignment();
    alignment.ids = {"a\"b", "back\\slash/", "tab\tnew\nline\x01\x1f", "caf\xc3\xa9 \xff\xfe"};
    alignment.source = "dir/\"quoted\"\\file.fasta";
    alignment.format = msa::Format::stockholm;
    const auto stats = msa::compute_stats(alignment, tiny_weights(), {}, 0.8, true);
    std::ostringstream out;
    msa::write_stats_json(out, alignment, stats);
    const auto json = test::JsonParser::parse(out.str());
    CHECK(json["version"].string() == version_string);
    CHECK(json["git_revision"].string() == git_revision);
    CHECK(json["source"].string() == alignment.source);
    CHECK(json["format"].string() == "stockholm");
    CHECK(json["sequences"].number() == 4);
    CHECK(json["columns"].number() == 3);
    CHECK(json["original_columns"].number() == 8);
    CHECK(json["effective_sequences"].number() == 3.5);
    CHECK(json["weighted"].boolean());
    CHECK(json["identity_threshold"].number() == 0.8);
    CHECK(json["duplicates"].number() == 1);
    CHECK(json["nonstandard"]["X"].number() == 3);
    CHECK(json["nonstandard"]["*"].number() == 2);
    CHECK(json["nonstandard"]["total"].number() == 6);
    CHECK(json["filters"]["removed_duplicates"].number() == 0);
    CHECK(json["sequence_gap_histogram"]["counts"][3].number() == 2);
    CHECK(json["sequence_gap_histogram"]["bin_edges"].array().size() == 11);
    const auto& ids = json["per_sequence"]["id"].array();
    REQUIRE(ids.size() == 4);
    CHECK(ids[0].string() == alignment.ids[0]);
    CHECK(ids[1].string() == alignment.ids[1]);
    CHECK(ids[2].string() == alignment.ids[2]);
    CHECK(ids[3].string() == "caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd");  // invalid bytes become U+FFFD
    const auto& per_column = json["per_column"];
    CHECK(per_column["column"][0].number() == 2);
    CHECK(per_column["column"][2].number() == 7);
    CHECK(per_column["gap_fraction"][2].number() == 0.75);
    CHECK(per_column["most_frequent_state"][1].string() == "C");
    CHECK(per_column["most_frequent_frequency"][0].number() == stats.frequencies(0, state_of('A')));
    for (int j = 0; j < 3; ++j) {
        CHECK(per_column["entropy"][static_cast<std::size_t>(j)].number() == stats.column_entropy(j));
        for (int a = 0; a < q_states; ++a)
            CHECK(per_column["frequencies"][static_cast<std::size_t>(j)][static_cast<std::size_t>(a)].number() ==
                  stats.frequencies(j, a));
    }
    for (int m = 0; m < 4; ++m)
        CHECK(json["per_sequence"]["gap_fraction"][static_cast<std::size_t>(m)].number() ==
              stats.sequence_gap_fraction(m));
}

TEST_CASE("JSON has null where a number is undefined", "[stats]") {
    const auto alignment = tiny_alignment();
    const auto stats = msa::compute_stats(alignment, Eigen::VectorXd::Zero(4), {}, 0.8, true);
    CHECK(std::isnan(stats.column_entropy(0)));
    std::ostringstream out;
    msa::write_stats_json(out, alignment, stats);
    CHECK(out.str().find("nan") == std::string::npos);
    CHECK(out.str().find("inf") == std::string::npos);
    const auto json = test::JsonParser::parse(out.str());
    CHECK(json["effective_sequences"].number() == 0);
    CHECK(json["per_column"]["entropy"][0].is_null());
    CHECK(json["per_column"]["most_frequent_state"][0].is_null());
    CHECK(json["per_column"]["frequencies"][1][0].is_null());
    std::ostringstream text;
    msa::write_stats_text(text, alignment, stats);
    CHECK_THAT(text.str(), Catch::Contains("n/a"));
}

TEST_CASE("the JSON checker rejects invalid JSON", "[stats]") {
    for (const char* bad : {"{\"a\": 1,}", "[1 2]", "{\"a\": nan}", "\"a\x01\"", "[\"\\x\"]", "{\"a\": 1} x", "01",
                            "{\"a\":1,\"a\":2}", "\"\xff\"", "[1.]"})
        CHECK_THROWS(test::JsonParser::parse(bad));
    CHECK(test::JsonParser::parse(" {\"a\": [1, -2.5e-3, true, null, \"\\u00e9\\ud83d\\ude00\"]} ")["a"][4].string() ==
          "\xc3\xa9\xf0\x9f\x98\x80");
}
