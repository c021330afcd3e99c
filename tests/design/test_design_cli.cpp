// CLI tests of `pottsrbm sample`, `score` and `eval` on a planted model written by `pottsrbm
// simulate`: identical FASTA for 1 and 2 threads, headers, clamps, one-line errors naming the option
// or the file and line, no overwrite without --force, mutational effects with a Spearman line that
// is checked against Delta F computed here, and the eval reports (text, JSON, SVG).
#include "support/test_support.hpp"

#include "pottsrbm/core/alphabet.hpp"
#include "pottsrbm/model/model_file.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

using pottsrbm::test::read_file;
using pottsrbm::test::run_cli;
using pottsrbm::test::scratch_dir;
using pottsrbm::test::write_file;
using Catch::Contains;
using Catch::StartsWith;

namespace {

struct Planted {
    std::string model;
    std::string alignment;
    std::filesystem::path dir;
};

// A planted model over 14 columns and 300 sequences simulated from it (made once per process).
const Planted& planted() {
    static const Planted made = [] {
        Planted p;
        p.dir = scratch_dir("design-cli");
        p.model = (p.dir / "planted.npz").string();
        p.alignment = (p.dir / "planted.fasta").string();
        const auto result = run_cli({"simulate", "-o", p.alignment, "--write-model", p.model, "-L", "14", "-n", "300",
                                     "--seed", "3", "-q"});
        REQUIRE(result.exit_code == 0);
        return p;
    }();
    return made;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

std::string first_sequence(const std::string& fasta_path) { return lines_of(read_file(fasta_path))[1]; }

int count_lines_starting(const std::string& text, const std::string& prefix) {
    int count = 0;
    for (const auto& line : lines_of(text)) count += line.rfind(prefix, 0) == 0 ? 1 : 0;
    return count;
}

}  // namespace

TEST_CASE("sample: the same seed gives the same FASTA with 1 and 2 threads", "[cli][design][sample]") {
    const Planted& p = planted();
    const auto one = (p.dir / "one.fasta").string();
    const auto two = (p.dir / "two.fasta").string();
    const std::vector<std::string> common = {"sample", p.model, "-n", "150", "--seed", "5", "--train", p.alignment,
                                             "--tempering", "3", "--fix", "3=W"};
    auto args = common;
    args.insert(args.end(), {"-o", one, "-t", "1"});
    const auto first = run_cli(args);
    REQUIRE(first.exit_code == 0);
    CHECK_THAT(first.err, Contains("mixing: sweep"));
    CHECK_THAT(first.err, Contains("sampling: burn-in"));
    CHECK_THAT(first.err, Contains("exchange acceptance"));
    args = common;
    args.insert(args.end(), {"-o", two, "-t", "2"});
    REQUIRE(run_cli(args).exit_code == 0);
    const std::string fasta = read_file(one);
    CHECK(fasta == read_file(two));
    CHECK(count_lines_starting(fasta, ">") == 150);
    const auto lines = lines_of(fasta);
    CHECK_THAT(lines[0], StartsWith(">sample_1 F="));
    CHECK_THAT(lines[0], Contains(" hamming_to_train="));
    CHECK_THAT(lines[0], Contains(" seed=5 chain=1 sweep="));
    for (std::size_t k = 1; k < lines.size(); k += 2) {
        REQUIRE(lines[k].size() == 14);
        CHECK(lines[k][2] == 'W');
    }
    // Another seed, other sequences.
    const auto three = (p.dir / "three.fasta").string();
    args = common;
    args[5] = "6";
    args.insert(args.end(), {"-o", three, "-q"});
    REQUIRE(run_cli(args).exit_code == 0);
    CHECK(read_file(three) != fasta);
}

TEST_CASE("sample: clamped hidden units, initial sequences, manual burn-in and spacing", "[cli][design][sample]") {
    const Planted& p = planted();
    const auto out = (p.dir / "hidden.fasta").string();
    const auto result = run_cli({"sample", p.model, "-n", "40", "-o", out, "--hidden", "1=3", "--hidden-bias", "2=0.5",
                                 "--init", p.alignment, "--burn-in", "20", "--spacing", "4", "--no-distance"});
    REQUIRE(result.exit_code == 0);
    CHECK(result.err.find("mixing: sweep") == std::string::npos);
    const auto lines = lines_of(read_file(out));
    CHECK_THAT(lines[0], StartsWith(">sample_1 F="));
    CHECK(lines[0].find("hamming_to_train") == std::string::npos);
    CHECK_THAT(lines[0], Contains("sweep=20"));
    // The planted model's training data is not a file: a warning, and headers without distances.
    const auto warned = run_cli({"sample", p.model, "-n", "10", "-o", (p.dir / "w.fasta").string(), "--burn-in", "5",
                                 "--spacing", "1"});
    REQUIRE(warned.exit_code == 0);
    CHECK_THAT(warned.err, Contains("warning: the training alignment 'planted model (pottsrbm simulate)' recorded in the model is not readable"));
}

TEST_CASE("sample: bad options are one-line usage errors, and outputs are never overwritten without --force",
          "[cli][design][sample]") {
    const Planted& p = planted();
    const auto out = (p.dir / "errors.fasta").string();
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"sample", p.model, "-o", out, "--fix", "99=K"}, "error: --fix: column 99 is not one of the model's columns"},
        {{"sample", p.model, "-o", out, "--fix", "3=Z"}, "error: --fix: 'Z' in '3=Z' is not one of the 20 amino acids or '-'"},
        {{"sample", p.model, "-o", out, "--hidden", "9=1"}, "error: --hidden: hidden unit 9 does not exist (the model has units 1..4)"},
        {{"sample", p.model, "-o", out, "--beta", "0"}, "error: --beta: expected a positive finite inverse temperature, got 0"},
        {{"sample", p.model, "-o", out, "-n", "0"}, "error: --sequences: expected a value in [1, 1000000000], got 0"},
        {{"sample", p.model, "-o", out, "--spacing", "0"}, "error: --spacing: expected a value in [1, 100000000], got 0"},
        {{"sample", p.model, "-o", out, "--tempering", "4", "--tempering-min-beta", "2"},
         "error: --tempering-min-beta: expected a value in (0, beta = 1), got 2"},
        {{"sample", p.model, "-o", out, "--tempering-min-beta", "0.3"},
         "error: --tempering-min-beta: only used with --tempering K > 1"},
        {{"sample", p.model, "-o", out, "--no-distance", "--train", p.alignment}, "error: --train: not used with --no-distance"},
        {{"sample", p.model}, "error: sample: missing --output FILE"},
        {{"sample", "-o", out}, "error: sample: missing MODEL"},
    };
    for (const auto& [args, message] : cases) {
        INFO(message);
        const auto result = run_cli(args);
        CHECK(result.exit_code == 2);
        CHECK_THAT(result.err, StartsWith(message));
        CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
    }
    const auto missing = run_cli({"sample", (p.dir / "nope.npz").string(), "-o", out});
    CHECK(missing.exit_code == 1);
    const auto bad_init = write_file(p.dir / "short.fasta", ">a\nACDE\n").string();
    const auto init = run_cli({"sample", p.model, "-o", out, "--init", bad_init});
    CHECK(init.exit_code == 1);
    CHECK_THAT(init.err, Contains("short.fasta: 4 columns, without the model's column 5: the model needs 14 columns (one "
                                  "per model site) or full alignment rows"));

    write_file(out, "keep me");
    const auto refused = run_cli({"sample", p.model, "-o", out, "-n", "5", "--burn-in", "2", "--spacing", "1"});
    CHECK(refused.exit_code == 2);
    CHECK_THAT(refused.err, Contains("already exists (use --force to overwrite)"));
    CHECK(read_file(out) == "keep me");
    CHECK(run_cli({"sample", p.model, "-o", out, "-n", "5", "--burn-in", "2", "--spacing", "1", "--force", "-q"}).exit_code == 0);
    CHECK(read_file(out) != "keep me");
}

TEST_CASE("score: free energies of an alignment's sequences", "[cli][design][score]") {
    const Planted& p = planted();
    const auto result = run_cli({"score", p.model, p.alignment, "-q"});
    REQUIRE(result.exit_code == 0);
    const auto lines = lines_of(result.out);
    CHECK_THAT(lines[0], StartsWith("# pottsrbm "));
    CHECK_THAT(result.out, Contains("\nid\tfree_energy\tlog_likelihood\tlog_likelihood_se\n"));
    CHECK_THAT(result.out, Contains("\nsim_1\t"));
    CHECK(count_lines_starting(result.out, "sim_") == 300);
    CHECK_THAT(result.out, Contains("\tNA\tNA\n"));  // the planted model carries no log Z
}

TEST_CASE("score: mutational effects, DMS Spearman, statuses and errors", "[cli][design][score]") {
    const Planted& p = planted();
    const std::string wt = first_sequence(p.alignment);
    REQUIRE(wt.size() == 14);

    SECTION("every single mutant of a wild type") {
        const auto result = run_cli({"score", p.model, "--mutants", wt, "-q"});
        REQUIRE(result.exit_code == 0);
        const int residues = static_cast<int>(14 - std::count(wt.begin(), wt.end(), '-'));
        CHECK(count_lines_starting(result.out, std::string(1, wt[0]) + "1") == (wt[0] == '-' ? 0 : 19));
        CHECK_THAT(result.out, Contains("mutant\tstatus\tcolumns\tdelta_F\n"));
        int rows = 0;
        for (const auto& line : lines_of(result.out)) rows += line.find("\tscored\t") != std::string::npos ? 1 : 0;
        CHECK(rows == 19 * residues);
        // By id of the alignment, the same table.
        const auto by_id = run_cli({"score", p.model, p.alignment, "--mutants", "sim_1", "-q"});
        REQUIRE(by_id.exit_code == 0);
        CHECK(lines_of(by_id.out).back() == lines_of(result.out).back());
    }

    SECTION("a DMS table: Spearman reported by score, here exactly 1 against -Delta F computed directly") {
        const pottsrbm::model::Rbm rbm = pottsrbm::model::load_model(p.model);
        std::vector<std::uint8_t> states;
        for (char c : wt) states.push_back(pottsrbm::state_of(c));
        const double f_wt = pottsrbm::model::free_energy(rbm, states.data());
        // Residue numbering from 201 (offset 200); mutants at sites 2, 5, 9 and one outside the model.
        std::string csv = "mutant,fit\n";
        std::string first_mutant;
        int site_count = 0;
        for (int site : {1, 4, 8}) {
            if (wt[static_cast<std::size_t>(site)] == '-') continue;
            ++site_count;
            for (char to : std::string("ADKW")) {
                if (to == wt[static_cast<std::size_t>(site)]) continue;
                auto mutant = states;
                mutant[static_cast<std::size_t>(site)] = pottsrbm::state_of(to);
                const double delta = pottsrbm::model::free_energy(rbm, mutant.data()) - f_wt;
                const std::string name = std::string(1, wt[static_cast<std::size_t>(site)]) + std::to_string(201 + site) + to;
                if (first_mutant.empty()) first_mutant = name;
                csv += name + "," + std::to_string(-delta * 3 + 1) + "\n";
            }
        }
        REQUIRE(site_count >= 2);
        const auto dms = write_file(p.dir / "dms.csv", csv).string();
        const auto result = run_cli({"score", p.model, "--dms", dms, "--dms-score-column", "fit", "--wt", wt, "--offset", "200"});
        REQUIRE(result.exit_code == 0);
        CHECK_THAT(result.out, Contains("# Spearman rho(-delta_F, fit) = 1.0000 over"));
        CHECK_THAT(result.err, Contains("Spearman rho(-delta_F, fit) = 1.0000"));
        CHECK_THAT(result.out, Contains("mutant\tstatus\tcolumns\tdelta_F\tfit\n"));

        // A column map that sends one position outside the model's 14 columns: reported, not dropped.
        const auto map = write_file(p.dir / "map.tsv", "msa_col\tdms_pos\n2\t202\n5\t205\n9\t209\n30\t230\n").string();
        const auto listed = write_file(p.dir / "list.txt", first_mutant + "\nG230A\nA231C\n").string();
        const auto statuses = run_cli({"score", p.model, "--mutant-list", listed, "--wt", wt, "--column-map", map, "-q"});
        REQUIRE(statuses.exit_code == 0);
        CHECK_THAT(statuses.out, Contains("\tscored\t"));
        CHECK_THAT(statuses.out, Contains("G230A\toutside_model\t30\tNA\n"));
        CHECK_THAT(statuses.out, Contains("A231C\tunaligned\t-\tNA\n"));
        CHECK_THAT(statuses.out, Contains("# 3 mutants: 1 scored, 1 outside the modeled columns, 1 unaligned"));
    }

    SECTION("bad mutants are one-line input errors naming the file and line") {
        // A wild type with a residue at position 1: `first` (not W), and a letter it does not have.
        const char first = wt[0] == '-' || wt[0] == 'W' ? 'A' : wt[0];
        const std::string wild = std::string(1, first) + wt.substr(1);
        const std::string f(1, first);
        const auto bad_residue = write_file(p.dir / "bad_residue.csv", "mutant,fit\n" + f + "1J,0.5\n").string();
        const auto wrong_wt = write_file(p.dir / "wrong_wt.csv", "mutant,fit\n" + f + "1W,0.1\nW1A,0.5\n").string();
        const auto out_of_range = write_file(p.dir / "range.csv", "mutant,fit\n" + f + "15A,0.5\n").string();
        const std::vector<std::pair<std::string, std::string>> cases = {
            {bad_residue, "bad_residue.csv: line 2: mutant '" + f + "1J': 'J' is not one of the 20 amino acids"},
            {wrong_wt, "wrong_wt.csv: line 3: mutant 'W1A': the wild type has " + f + " at position 1 (alignment column 1), not W"},
            {out_of_range, "range.csv: line 2: position 15 is out of range: with offset 0 it is alignment column 15, outside 1..14"},
        };
        for (const auto& [file, message] : cases) {
            INFO(message);
            const auto result = run_cli({"score", p.model, "--dms", file, "--dms-score-column", "fit", "--wt", wild});
            CHECK(result.exit_code == 1);
            CHECK_THAT(result.err, StartsWith("error: "));
            CHECK_THAT(result.err, Contains(message));
            CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
        }
        const auto missing_column = run_cli({"score", p.model, "--dms", bad_residue, "--dms-score-column", "2500", "--wt", wild});
        CHECK(missing_column.exit_code == 1);
        CHECK_THAT(missing_column.err, Contains("bad_residue.csv: line 1: no column named '2500' in the header (fields: mutant, fit)"));
        const auto no_column = run_cli({"score", p.model, "--dms", bad_residue, "--wt", wild});
        CHECK(no_column.exit_code == 2);
        CHECK_THAT(no_column.err, Contains("--dms: give the measured score column with --dms-score-column NAME"));
        const auto no_wt = run_cli({"score", p.model, "--dms", bad_residue, "--dms-score-column", "fit"});
        CHECK(no_wt.exit_code == 2);
        CHECK_THAT(no_wt.err, Contains("--wt: give the wild type"));
        const auto bad_wt = run_cli({"score", p.model, "--mutants", "ACDEFG"});
        CHECK(bad_wt.exit_code == 2);
        CHECK_THAT(bad_wt.err, Contains("--mutants: 'ACDEFG' is 6 characters long"));
        const auto nothing = run_cli({"score", p.model});
        CHECK(nothing.exit_code == 2);
        CHECK_THAT(nothing.err, Contains("score: give an ALIGNMENT to score, or --mutants WT"));
        // Options that would be ignored are usage errors, and so is an offset out of range.
        const std::vector<std::pair<std::vector<std::string>, std::string>> ignored = {
            {{"score", p.model, p.alignment, "--offset", "5"}, "error: --offset: only used when scoring mutants"},
            {{"score", p.model, p.alignment, "--dms-mutant-column", "variant"},
             "error: --dms-mutant-column: only used when scoring mutants"},
            {{"score", p.model, "--mutants", wild, "--dms-mutant-column", "variant"},
             "error: --dms-mutant-column: only used with --dms or --mutant-list"},
            {{"score", p.model, "--mutants", wild, "--offset", "5000000000"},
             "error: --offset: expected a value in [-1000000000, 1000000000], got 5000000000"},
        };
        for (const auto& [args, message] : ignored) {
            INFO(message);
            const auto result = run_cli(args);
            CHECK(result.exit_code == 2);
            CHECK_THAT(result.err, StartsWith(message));
        }
    }
}

TEST_CASE("eval: moments, novelty and PCA of samples against data, as text, JSON and SVG", "[cli][design][eval]") {
    const Planted& p = planted();
    const auto json = (p.dir / "eval.json").string();
    const auto svg = (p.dir / "eval.svg").string();
    const auto samples = (p.dir / "eval-samples.fasta").string();
    const auto result = run_cli({"eval", p.model, p.alignment, "-n", "400", "--json", json, "--plot", svg, "--write-samples",
                                 samples, "-t", "1"});
    REQUIRE(result.exit_code == 0);
    CHECK_THAT(result.out, StartsWith("# pottsrbm "));
    CHECK_THAT(result.out, Contains("eval, seed 1"));
    CHECK_THAT(result.out, Contains("one-site frequencies f_i(a):         Pearson "));
    CHECK_THAT(result.out, Contains("connected correlations C_ij(a,b):    Pearson "));
    CHECK_THAT(result.out, Contains("connected 3-site C_ijk(a,b,c):       Pearson "));
    CHECK_THAT(result.out, Contains("nearest data sequence (Hamming / N)"));
    CHECK_THAT(result.out, Contains("PCA of the weighted one-hot data"));
    const std::string j = read_file(json);
    CHECK_THAT(j, Contains("\"connected_pairs\": {\"pearson\": "));
    CHECK_THAT(j, Contains("\"model\": \"" + p.model + "\""));
    CHECK_THAT(read_file(svg), StartsWith("<svg"));
    CHECK_THAT(read_file(svg), Contains("<!-- pottsrbm "));
    CHECK_THAT(read_file(svg), Contains(" eval, seed 1 -->"));
    CHECK(count_lines_starting(read_file(samples), ">") == 400);
    CHECK_THAT(lines_of(read_file(samples))[0], Contains(" seed=1 pottsrbm="));

    // The same report with 2 threads (apart from the command line).
    const auto threaded = run_cli({"eval", p.model, p.alignment, "-n", "400", "-t", "2", "-q"});
    REQUIRE(threaded.exit_code == 0);
    const auto without_command = [](const std::string& text) {
        std::string out;
        for (const auto& line : lines_of(text))
            if (line.rfind("# command:", 0) != 0) out += line + "\n";
        return out;
    };
    CHECK(without_command(threaded.out) == without_command(result.out));

    // The samples file evaluated on its own gives the same moments.
    const auto again = run_cli({"eval", "--samples", samples, p.model, p.alignment, "-q"});
    REQUIRE(again.exit_code == 0);
    const auto line_of = [](const std::string& text, const std::string& prefix) {
        for (const auto& line : lines_of(text))
            if (line.rfind(prefix, 0) == 0) return line;
        return std::string();
    };
    CHECK(line_of(again.out, "connected correlations") == line_of(result.out, "connected correlations"));
    CHECK(line_of(again.out, "one-site") == line_of(result.out, "one-site"));

    const auto refused = run_cli({"eval", "--samples", samples, p.alignment, "--json", json});
    CHECK(refused.exit_code == 2);
    CHECK_THAT(refused.err, Contains("already exists (use --force to overwrite)"));
    const auto ignored = run_cli({"eval", "--samples", samples, p.model, p.alignment, "--burn-in", "50"});
    CHECK(ignored.exit_code == 2);
    CHECK_THAT(ignored.err, StartsWith("error: --burn-in: only when eval samples the model itself (not with --samples)"));
    // Free energies: reported when a model is given, not for a samples file alone.
    CHECK_THAT(result.out, Contains("free energy F(v) under the model:     data mean "));
    CHECK_THAT(j, Contains("\"free_energy\": {\"data_mean\": "));
    CHECK_THAT(again.out, Contains("free energy F(v) under the model:"));
    const auto without_model = run_cli({"eval", "--samples", samples, p.alignment, "-q"});
    REQUIRE(without_model.exit_code == 0);
    CHECK(without_model.out.find("free energy") == std::string::npos);

    // Parallel tempering: recorded in the header; its options only when eval samples the model.
    const auto tempered = run_cli({"eval", p.model, p.alignment, "-n", "200", "--tempering", "3", "--burn-in", "20",
                                   "--spacing", "2", "-t", "1", "-q"});
    REQUIRE(tempered.exit_code == 0);
    CHECK_THAT(tempered.out, Contains("parallel tempering over 3 inverse temperatures down to 0.5"));
    CHECK_THAT(tempered.out, Contains("samples - data: "));
    const auto lone_beta = run_cli({"eval", p.model, p.alignment, "--tempering-min-beta", "0.3"});
    CHECK(lone_beta.exit_code == 2);
    CHECK_THAT(lone_beta.err, StartsWith("error: --tempering-min-beta: only used with --tempering K > 1"));
    const auto bad_levels = run_cli({"eval", p.model, p.alignment, "--tempering", "0"});
    CHECK(bad_levels.exit_code == 2);
    CHECK_THAT(bad_levels.err, Contains("--tempering"));
    const auto tempered_file = run_cli({"eval", "--samples", samples, p.model, p.alignment, "--tempering", "4"});
    CHECK(tempered_file.exit_code == 2);
    CHECK_THAT(tempered_file.err, StartsWith("error: --tempering: only when eval samples the model itself (not with --samples)"));

    const auto usage = run_cli({"eval", p.model});
    CHECK(usage.exit_code == 2);
    CHECK_THAT(usage.err, Contains("eval: expected MODEL ALIGNMENT"));
    // Data whose column 3 is all gaps lose it to --max-col-gap 0.5: the model needs it.
    std::string gapped;
    for (const auto& line : lines_of(read_file(p.alignment))) {
        std::string row = line;
        if (row[0] != '>') row[2] = '-';
        gapped += row + "\n";
    }
    const auto gapped_path = write_file(p.dir / "gapped.fasta", gapped).string();
    const auto filtered = run_cli({"eval", "--samples", samples, p.model, gapped_path, "--max-col-gap", "0.5"});
    CHECK(filtered.exit_code == 2);
    CHECK_THAT(filtered.err, Contains("error: eval: column 3 of the model is not in " + gapped_path + " after the filters"));
}
