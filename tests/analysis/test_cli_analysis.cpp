// `pottsrbm motifs` and `pottsrbm contacts` end to end on a planted model (pottsrbm simulate):
// outputs, the planted motifs found, contacts on the planted pairs, --force, and the errors with
// their exit codes (1 bad input, 2 bad usage). Renders the report with headless Chromium when it
// is installed (scripts/render-report.sh).
#include "support/test_support.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

using pottsrbm::test::read_file;
using pottsrbm::test::run_cli;
using pottsrbm::test::scratch_dir;
using pottsrbm::test::write_file;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {

constexpr int planted_length = 20;

// A planted model (4 motifs, N = 20) and 400 sequences drawn from it, made once per process.
struct Planted {
    fs::path dir;
    std::string model;
    std::string alignment;
    Planted() {
        dir = scratch_dir("planted");
        model = (dir / "planted.npz").string();
        alignment = (dir / "sim.fasta").string();
        const auto made = run_cli({"simulate", "-o", alignment, "--length", std::to_string(planted_length), "--sequences",
                                   "400", "--seed", "3", "--write-model", model, "-q", "-t", "1"});
        if (made.exit_code != 0) FAIL("simulate failed: " << made.err);
    }
};
const Planted& planted() {
    static const Planted instance;
    return instance;
}

std::vector<std::string> sampling_options() {
    return {"--chains", "40", "--burn-in", "20", "--snapshots", "2", "--snapshot-every", "2", "-t", "1", "-q"};
}

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// Data lines of a TSV (no '#' comments, no header), split on tabs.
std::vector<std::vector<std::string>> tsv_rows(const std::string& text) {
    std::vector<std::vector<std::string>> rows;
    std::istringstream lines(text);
    std::string line;
    bool header = true;
    while (std::getline(lines, line)) {
        if (line.empty() || line[0] == '#') continue;
        if (header) {
            header = false;
            continue;
        }
        std::vector<std::string> fields;
        std::istringstream split(line);
        for (std::string field; std::getline(split, field, '\t');) fields.push_back(field);
        rows.push_back(fields);
    }
    return rows;
}

std::vector<int> parse_columns(const std::string& list) {
    std::vector<int> columns;
    std::istringstream split(list);
    for (std::string field; std::getline(split, field, ',');) columns.push_back(std::stoi(field));
    return columns;
}

// A distance file for N = 20 columns: d = 3 |i - j| (so every pair with |i-j| < 3 is a contact).
std::string structure_file(const fs::path& path) {
    std::string content = "# i j score dist\n";
    for (int i = 1; i <= planted_length; ++i)
        for (int j = i + 1; j <= planted_length; ++j) content += fmt::format("{} {} 0 {}\n", i, j, 3.0 * (j - i));
    return write_file(path, content).string();
}

bool on_path(const std::string& program) {
    const char* path = std::getenv("PATH");
    if (path == nullptr) return false;
    std::istringstream dirs(path);
    for (std::string dir; std::getline(dirs, dir, ':');) {
        std::error_code ec;
        if (!dir.empty() && fs::exists(fs::path(dir) / program, ec)) return true;
    }
    return false;
}

}  // namespace

TEST_CASE("motifs writes the report, TSV and JSON, and finds the planted motifs", "[analysis][cli]") {
    const auto out = scratch_dir("motifs") / "report";
    const auto result = run_cli(concat({"motifs", planted().model, "-a", planted().alignment, "-o", out.string()},
                                       sampling_options()));
    REQUIRE(result.exit_code == 0);
    INFO(result.err);
    for (const char* name : {"report.html", "units.tsv", "logos.tsv", "units.json"}) CHECK(fs::is_regular_file(out / name));
    CHECK_FALSE(fs::exists(out / "contacts.tsv"));
    const std::string html = read_file(out / "report.html");
    CHECK_THAT(html, Contains("<h1>Hidden units of"));
    CHECK_THAT(html, Contains("id=\"unit-4\""));

    const std::string units_tsv = read_file(out / "units.tsv");
    CHECK_THAT(units_tsv, Contains("# pottsrbm "));
    CHECK_THAT(units_tsv, Contains(", seed 1\n"));
    const auto rows = tsv_rows(units_tsv);
    REQUIRE(rows.size() == 4);
    // The planted units carry 2 (disulfide), 2 (salt bridge), 6 (subfamily) and 4 (core) sites
    // with equal norms: PR * N is exactly the site count, and only those sites are listed.
    std::multiset<int> site_counts;
    for (const auto& row : rows) {
        const double effective = std::stod(row[8]);
        const auto columns = parse_columns(row[21]);
        CHECK(effective == Approx(static_cast<double>(columns.size())).epsilon(1e-4));
        site_counts.insert(static_cast<int>(columns.size()));
        CHECK(std::stod(row[2]) > 0);  // every planted unit raises the likelihood
    }
    CHECK(site_counts == std::multiset<int>{2, 2, 4, 6});

    const auto again = run_cli(concat({"motifs", planted().model, "-a", planted().alignment, "-o", out.string()},
                                      sampling_options()));
    CHECK(again.exit_code == 2);
    CHECK_THAT(again.err, Contains("already exists (use --force to overwrite)"));
    const auto forced = run_cli(concat({"motifs", planted().model, "-a", planted().alignment, "-o", out.string(), "-f",
                                        "--max-units", "2", "--sort", "sparsity"},
                                       sampling_options()));
    CHECK(forced.exit_code == 0);
    CHECK(tsv_rows(read_file(out / "units.tsv")).size() == 2);
}

TEST_CASE("motifs with a structure, labels and a reference, and contacts on the planted pairs", "[analysis][cli]") {
    const auto dir = scratch_dir("motifs-full");
    const std::string structure = structure_file(dir / "struct.dat");
    // Labels: the first 100 sequences of the simulated alignment in two classes.
    std::string labels = "id\tclass\n";
    for (int k = 1; k <= 100; ++k) labels += fmt::format("sim_{}\t{}\n", k, k % 2 == 0 ? "even" : "<odd>");
    const std::string labels_path = write_file(dir / "labels.tsv", labels).string();
    const auto out = dir / "report";
    const auto result = run_cli(concat({"motifs", planted().model, "-a", planted().alignment, "-o", out.string(),
                                        "--structure", structure, "--labels", labels_path, "--reference",
                                        std::string(planted_length, 'A'), "--reference-start", "101"},
                                       sampling_options()));
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    const std::string html = read_file(out / "report.html");
    CHECK_THAT(html, Contains("<h2>Contacts</h2>"));
    CHECK_THAT(html, Contains("<h2>Class separation</h2>"));
    CHECK_THAT(html, Contains("&lt;odd&gt;"));
    CHECK_THAT(html, Contains(" (A1"));
    CHECK(tsv_rows(read_file(out / "contacts.tsv")).size() == planted_length * (planted_length - 1) / 2);
    CHECK(fs::is_regular_file(out / "contact_map.svg"));
    CHECK_THAT(read_file(out / "contact_map.svg"), Contains(" motifs, seed 1 -->"));
    const std::string json = read_file(out / "units.json");
    CHECK_THAT(json, Contains("\"classes\":[\"<odd>\",\"even\"]"));
    CHECK_THAT(json, Contains("\"reference\":\"literal sequence\""));

    // The strongest couplings join sites of one planted unit.
    std::set<std::pair<int, int>> planted_pairs;
    for (const auto& row : tsv_rows(read_file(out / "units.tsv"))) {
        const auto columns = parse_columns(row[21]);
        for (int a : columns)
            for (int b : columns)
                if (a < b) planted_pairs.insert({a, b});
    }
    for (const char* approximation : {"gaussian", "pgm", "epistasis"}) {
        const auto tsv = (dir / (std::string(approximation) + ".tsv")).string();
        const auto map = (dir / (std::string(approximation) + ".svg")).string();
        const auto contacts = run_cli({"contacts", planted().model, "-a", planted().alignment, "--structure", structure,
                                       "--couplings", approximation, "-o", tsv, "--map", map, "-q", "-t", "1"});
        INFO(approximation << ": " << contacts.err);
        REQUIRE(contacts.exit_code == 0);
        CHECK_THAT(contacts.out, Contains("PPV top L/2 (  10 pairs) at 8 A:"));
        const auto pairs = tsv_rows(read_file(tsv));
        REQUIRE(pairs.size() == planted_length * (planted_length - 1) / 2);
        for (int k = 0; k < 3; ++k) {
            const int i = std::stoi(pairs[static_cast<std::size_t>(k)][0]);
            const int j = std::stoi(pairs[static_cast<std::size_t>(k)][1]);
            CHECK(planted_pairs.count({i, j}) == 1);
            CHECK(pairs[static_cast<std::size_t>(k)][5] == fmt::format("{:.3f}", 3.0 * (j - i)));
        }
        CHECK_THAT(read_file(map), Contains("<svg xmlns="));
        CHECK_THAT(read_file(map), Contains(" contacts, seed 1 -->"));
    }
    // Without --alignment the curvatures come from model samples.
    const auto sampled_tsv = dir / "sampled.tsv";
    const auto sampled = run_cli({"contacts", planted().model, "--chains", "20", "--burn-in", "10", "--snapshots", "2",
                                  "-o", sampled_tsv.string(), "-q", "-t", "1"});
    INFO(sampled.err);
    REQUIRE(sampled.exit_code == 0);
    CHECK(sampled.out.empty());
    const std::string text = read_file(sampled_tsv);
    CHECK_THAT(text, Contains("couplings pgm from 40 model samples (seed 1)"));
    CHECK(tsv_rows(text).size() == planted_length * (planted_length - 1) / 2);
}

TEST_CASE("contacts averages the Frobenius norms of several models before APC", "[analysis][cli]") {
    const auto dir = scratch_dir("contacts-ensemble");
    const std::string other = (dir / "other.npz").string();
    const std::string shorter = (dir / "shorter.npz").string();
    // A short training run on the planted data: the same columns, other couplings (planted models
    // of other seeds have the same norms).
    REQUIRE(run_cli({"train", planted().alignment, "-o", other, "-H", "6", "--epochs", "3", "--ais-temperatures", "10",
                     "-q", "-t", "1"})
                .exit_code == 0);
    REQUIRE(run_cli({"simulate", "-o", (dir / "shorter.fasta").string(), "--length", std::to_string(planted_length - 1),
                     "--sequences", "50", "--seed", "5", "--write-model", shorter, "-q", "-t", "1"})
                .exit_code == 0);
    const auto contacts = [&](const std::vector<std::string>& models, const std::string& name) {
        const auto path = dir / name;
        const auto run = run_cli(concat(concat({"contacts"}, models),
                                        {"-a", planted().alignment, "-o", path.string(), "-q", "-t", "1"}));
        INFO(run.err);
        REQUIRE(run.exit_code == 0);
        return read_file(path);
    };
    // pair "i j" -> frobenius norm (column 4)
    const auto norms = [](const std::string& text) {
        std::map<std::string, double> out;
        for (const auto& row : tsv_rows(text)) out[row[0] + " " + row[1]] = std::stod(row[3]);
        return out;
    };
    const std::string one = contacts({planted().model}, "one.tsv");
    const std::string twice = contacts({planted().model, planted().model}, "twice.tsv");
    CHECK(tsv_rows(twice) == tsv_rows(one));  // the mean of equal norms is the norm: same scores, same order
    CHECK_THAT(twice, Contains("the norms averaged over the 2 models"));

    const std::string alone = contacts({other}, "other.tsv");
    const std::string both = contacts({planted().model, other}, "both.tsv");
    CHECK_THAT(both, Contains("# model " + planted().model + ": N = 20"));
    CHECK_THAT(both, Contains("# model " + other + ": N = 20"));
    const auto first = norms(one), second = norms(alone), mean = norms(both);
    REQUIRE(mean.size() == static_cast<std::size_t>(planted_length * (planted_length - 1) / 2));
    bool averaged = true;
    for (const auto& [pair, norm] : mean) {
        const double expected = 0.5 * (first.at(pair) + second.at(pair));
        averaged = averaged && std::fabs(norm - expected) <= 1e-5 * std::fabs(expected) + 1e-6;
    }
    CHECK(averaged);
    CHECK(tsv_rows(both) != tsv_rows(one));

    const auto mismatch = run_cli({"contacts", planted().model, shorter, "-a", planted().alignment, "-q"});
    CHECK(mismatch.exit_code == 1);
    CHECK_THAT(mismatch.err, Contains("shorter.npz: 19 sites over 21 states, not the sites and states of"));

    // As many sites, other columns: alignments of 21 columns, the last or the first all gaps and
    // dropped by --max-col-gap 0.5.
    std::string last_gapped, first_gapped;
    const std::string residues = "ACDEFGHIKLMNPQRSTVWY";
    for (int m = 0; m < 30; ++m) {
        std::string sequence;
        for (int i = 0; i < 20; ++i) sequence += residues[static_cast<std::size_t>((7 * m + 3 * i * i + m * i) % 20)];
        last_gapped += fmt::format(">s{}\n{}-\n", m, sequence);
        first_gapped += fmt::format(">s{}\n-{}\n", m, sequence);
    }
    std::vector<std::string> shifted;
    for (const auto& [name, content] : {std::pair{"last", last_gapped}, std::pair{"first", first_gapped}}) {
        const auto data = write_file(dir / (std::string(name) + ".fasta"), content).string();
        shifted.push_back((dir / (std::string(name) + ".npz")).string());
        REQUIRE(run_cli({"train", data, "-o", shifted.back(), "--max-col-gap", "0.5", "-H", "2", "--epochs", "2",
                         "--ais-temperatures", "10", "-q", "-t", "1"})
                    .exit_code == 0);
    }
    const auto columns = run_cli({"contacts", shifted[0], shifted[1], "-q"});
    CHECK(columns.exit_code == 1);
    CHECK_THAT(columns.err, Contains("first.npz: site 1 is alignment column 2, in "));
    CHECK_THAT(columns.err, Contains("last.npz column 1; the models of one contacts run must be trained on the same"));
}

TEST_CASE("motifs and contacts: errors and exit codes", "[analysis][cli]") {
    const auto dir = scratch_dir("motifs-errors");
    const std::string model = planted().model;
    const std::string data = planted().alignment;
    const auto out = (dir / "r").string();
    const auto usage = [&](const std::vector<std::string>& args, const std::string& needle) {
        const auto result = run_cli(args);
        INFO(result.err);
        CHECK(result.exit_code == 2);
        CHECK_THAT(result.err, Contains(needle));
    };
    usage({"motifs", model, "-o", out}, "missing --alignment");
    usage({"motifs", model, "-a", data}, "missing --output");
    usage({"motifs", "-a", data, "-o", out}, "missing MODEL");
    usage({"motifs", model, "-a", data, "-o", out, "--chains", "1"}, "--chains: expected a value in [2, 10000000], got 1");
    usage({"motifs", model, "-a", data, "-o", out, "--couplings", "magic"}, "--couplings: expected pgm, gaussian, gaussian-uniform or epistasis, got 'magic'");
    usage({"motifs", model, "-a", data, "-o", out, "--sort", "separation"}, "--sort separation: needs --labels");
    usage({"motifs", model, "-a", data, "-o", out, "--sort", "size"}, "--sort: expected importance");
    usage({"motifs", model, "-a", data, "-o", out, "--logo-threshold", "1.5"}, "--logo-threshold: expected a value in [0, 1], got 1.5");
    usage({"motifs", model, "-a", data, "-o", out, "--bins", "2"}, "--bins: expected a value in [5, 1000], got 2");
    usage({"motifs", model, "-a", data, "-o", out, "--max-participation", "0"}, "--max-participation");
    usage({"motifs", model, "-a", data, "-o", out, "--reference-start", "3"}, "--reference-start: needs --reference");
    usage({"motifs", model, "-a", data, "-o", out, "--reference", "ACD"}, "--reference");
    usage({"motifs", model, "-a", data, "-o", out, "--top-sites", "-3"}, "--top-sites");
    usage({"motifs", model, "-a", data, "-o", out, "--frobnicate"}, "frobnicate");
    usage({"contacts", model, "--quadrature", "0"}, "--quadrature: expected a value in [1, 200], got 0");
    usage({"contacts", model, "--couplings", "plm"}, "--couplings");
    usage({"contacts"}, "missing MODEL");
    // Options the chosen computation would ignore are refused, naming the option.
    usage({"motifs", model, "-a", data, "-o", out, "--couplings", "gaussian"}, "--couplings: only used with --structure");
    usage({"motifs", model, "-a", data, "-o", out, "--unit-sites", "3"}, "--unit-sites: only used with --structure");
    usage({"motifs", model, "-a", data, "-o", out, "--seed", "-1"}, "--seed: expected a value >= 0, got -1");
    usage({"motifs", model, "-a", data, "-o", out, "--snapshots", "0"}, "--snapshots: expected a value >= 1, got 0");
    usage({"contacts", model, "-a", data, "--quadrature", "16"}, "--quadrature: only used by --couplings gaussian");
    usage({"contacts", model, "-a", data, "--couplings", "epistasis", "--quadrature", "16"},
          "--quadrature: only used by --couplings gaussian");
    usage({"contacts", model, "-a", data, "--epistasis-sequences", "50"},
          "--epistasis-sequences: only used by --couplings epistasis");
    usage({"contacts", model, "-a", data, "--couplings", "epistasis", "--epistasis-sequences", "-5"},
          "--epistasis-sequences: expected a value in [1, 1000000], got -5");
    usage({"contacts", model, "-a", data, "--chains", "20"}, "--chains: model samples are only drawn for");
    usage({"contacts", model, "--couplings", "gaussian-uniform", "--seed", "4"}, "--seed: model samples are only drawn");
    usage({"contacts", model, "--couplings", "gaussian-uniform", "-a", data}, "--alignment: not used by --couplings gaussian-uniform");
    usage({"contacts", model, "--max-col-gap", "0.5"}, "--max-col-gap: a data option, only used with --alignment");
    usage({"contacts", model, "-a", data, "--shown", "10"}, "--shown: only used with --map");
    CHECK_FALSE(fs::exists(out));

    const auto input = [&](const std::vector<std::string>& args, const std::vector<std::string>& needles) {
        const auto result = run_cli(args);
        INFO(result.err);
        CHECK(result.exit_code == 1);
        CHECK(result.err.rfind("error: ", 0) == 0);
        for (const auto& needle : needles) CHECK_THAT(result.err, Contains(needle));
    };
    const std::string bad_structure = write_file(dir / "bad.dat", "1 2 0 3.5\n1 x 0 4\n").string();
    input({"contacts", model, "-a", data, "--structure", bad_structure, "-o", (dir / "c.tsv").string()},
          {"bad.dat", "line 2", "field 2 is not a number: 'x'"});
    input({"motifs", model, "-a", data, "-o", out, "--structure", bad_structure}, {"bad.dat: line 2"});
    const std::string missing = (dir / "missing.npz").string();
    input({"motifs", missing, "-a", data, "-o", out}, {"missing.npz"});
    input({"contacts", missing, "-o", (dir / "c.tsv").string()}, {"missing.npz"});
    const std::string bad_labels = write_file(dir / "labels.tsv", "sim_1\n").string();
    input(concat({"motifs", model, "-a", data, "-o", out, "--labels", bad_labels}, sampling_options()),
          {"labels.tsv: line 1"});
    const std::string not_a_model = write_file(dir / "junk.npz", "not a zip file").string();
    input({"contacts", not_a_model, "-a", data}, {"junk.npz"});
    CHECK_FALSE(fs::exists(dir / "c.tsv"));
}

TEST_CASE("the report renders in headless Chromium (when installed)", "[analysis][cli][render]") {
    if (!on_path("chromium") && !on_path("chromium-browser") && !on_path("google-chrome")) {
        WARN("skipped: chromium is not on PATH (scripts/render-report.sh needs it)");
        return;
    }
    const auto dir = scratch_dir("render");
    const auto out = dir / "report";
    const auto result = run_cli(concat({"motifs", planted().model, "-a", planted().alignment, "-o", out.string()},
                                       sampling_options()));
    REQUIRE(result.exit_code == 0);
    const auto png = dir / "report.png";
    const std::string script = pottsrbm::test::source_path("scripts/render-report.sh").string();
    const std::string command = "bash '" + script + "' '" + (out / "report.html").string() + "' '" + png.string() +
                                "' 1320 3000 > '" + (dir / "render.log").string() + "' 2>&1";
    const int status = std::system(command.c_str());
    INFO(read_file(dir / "render.log"));
    REQUIRE(status == 0);
    const std::string image = read_file(png);
    REQUIRE(image.size() > 10000);
    CHECK(image.substr(1, 3) == "PNG");
}
