// `pottsrbm path` through the built binary: outputs (FASTA, TSV with original column numbers,
// SVG, mutation statistics, mean-field marginals), anchored exploration, determinism across
// thread counts, and the errors with their exit codes (2 = usage, 1 = input).
#include "model/model_test_utils.hpp"
#include "support/test_support.hpp"

#include "pottsrbm/model/model_file.hpp"

#include <catch2/catch.hpp>

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

struct Fixture {
    std::string dir;
    std::string model;
    std::string alignment;
};

// A 21-state model over 8 of the 10 columns of a small alignment (columns 4 and 8 are not modeled).
const Fixture& fixture() {
    static const Fixture f = [] {
        Fixture x;
        x.dir = scratch_dir("path-cli").string();
        auto rbm = pottsrbm::model::testing::random_model(pottsrbm::model::HiddenType::drelu, 8, 21, 4, 31);
        rbm.columns = {0, 1, 2, 4, 5, 6, 8, 9};
        x.model = x.dir + "/model.npz";
        pottsrbm::model::save_model(rbm, x.model, true);
        x.alignment = write_file(x.dir + "/family.fasta",
                                 ">seqA\nACDEFGHIKL\n>seqB\nMCNEWGHYKV\n>seqC\nACDQFGHIKL\n")
                          .string();
        return x;
    }();
    return f;
}

std::vector<std::string> data_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (!line.empty() && line[0] != '#') lines.push_back(line);
    return lines;
}

std::vector<std::string> base_args(const std::vector<std::string>& extra) {
    const auto& f = fixture();
    std::vector<std::string> args = {"path", f.model, "-a", f.alignment, "--sweeps", "200", "--burn-in", "20",
                                     "--anneal-sweeps", "100", "--seed", "7", "-q"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

}  // namespace

TEST_CASE("path writes the best path, statistics, mean field and plot with provenance", "[paths][cli]") {
    const auto& f = fixture();
    const std::string prefix = f.dir + "/ab";
    const auto result = run_cli(base_args({"--from", "seqA", "--to", "seqB", "-o", prefix}));
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    // Over the modeled columns A = ACDFGHKL and B = MCNWGHKV differ at columns 1 3 5 10 (columns 4
    // and 8 are not modeled): d = 4, T = 4 + 2.
    const std::string tsv = read_file(prefix + ".tsv");
    CHECK_THAT(tsv, StartsWith("# pottsrbm "));
    CHECK_THAT(tsv, Contains("seed 7"));
    CHECK_THAT(tsv, Contains("greedy direct path: barrier"));
    const auto rows = data_lines(tsv);
    REQUIRE(rows.size() == 1 + 7);
    CHECK_THAT(rows[0], StartsWith("step\tmutation\tF\td_A\td_B\tI_h"));
    CHECK_THAT(rows[1], StartsWith("0\t.\t"));
    CHECK_THAT(rows[7], Contains("\t4\t0\t"));  // d_A = 4, d_B = 0 at the end
    // Mutation labels use the original 1-based columns: the last change of each differing site
    // reaches B's residue (site 3 is column 5, site 7 is column 10).
    std::string all_mutations;
    for (std::size_t k = 2; k < rows.size(); ++k) all_mutations += rows[k].substr(rows[k].find('\t') + 1) + "\n";
    for (const char* end : {"1M", "3N", "5W", "10V"}) CHECK_THAT(all_mutations, Contains(end));
    const std::string fasta = read_file(prefix + ".fasta");
    CHECK_THAT(fasta, StartsWith(">step_0 seqA F="));
    CHECK_THAT(fasta, Contains("seed 7"));
    CHECK_THAT(fasta, Contains("\nACDFGHKL\n"));  // A over the 8 modeled columns
    CHECK_THAT(fasta, Contains(" seqB F="));
    CHECK_THAT(fasta, Contains("\nMCNWGHKV\n"));
    const std::string svg = read_file(prefix + ".svg");
    CHECK_THAT(svg, StartsWith("<svg"));
    CHECK_THAT(svg, Contains("greedy direct path"));
    CHECK_THAT(svg, Contains("natural sequences"));
    CHECK_THAT(svg, Contains("seed 7"));
    const std::string stats = read_file(prefix + ".mutations.tsv");
    CHECK_THAT(stats, Contains("mutation\tcolumn\tpath_fraction\tmean_count\tmean_step\tmean_rank\tmf_step"));
    CHECK_THAT(stats, Contains("10V\t10\t"));
    const std::string mf = read_file(prefix + ".meanfield.tsv");
    CHECK_THAT(mf, Contains("step\tcolumn\tresidue\tprobability"));
    CHECK_THAT(mf, Contains("\n0\t10\tL\t1.0000\n"));
    CHECK_THAT(mf, Contains("\n6\t10\tV\t1.0000\n"));

    // Existing outputs are not overwritten without --force.
    const auto again = run_cli(base_args({"--from", "seqA", "--to", "seqB", "-o", prefix}));
    CHECK(again.exit_code == 2);
    CHECK_THAT(again.err, Contains("already exists"));
}

TEST_CASE("path results do not depend on the thread count, literals and anchored exploration work", "[paths][cli]") {
    const auto one = run_cli(base_args({"--from", "seqA", "--to", "MCNEWGHYKV", "-t", "1"}));
    const auto two = run_cli(base_args({"--from", "seqA", "--to", "MCNEWGHYKV", "-t", "2"}));
    REQUIRE(one.exit_code == 0);
    REQUIRE(two.exit_code == 0);
    CHECK(data_lines(one.out) == data_lines(two.out));
    CHECK(data_lines(one.out).size() == 8);
    // A literal over the 8 model sites is the same as the full row.
    const auto literal = run_cli(base_args({"--from", "seqA", "--to", "MCNWGHKV", "-t", "1"}));
    REQUIRE(literal.exit_code == 0);
    CHECK(data_lines(literal.out) == data_lines(one.out));

    const auto anchored = run_cli(base_args({"--from", "seqC", "--steps", "4", "--no-mean-field"}));
    INFO(anchored.err);
    REQUIRE(anchored.exit_code == 0);
    const auto rows = data_lines(anchored.out);
    REQUIRE(rows.size() == 1 + 5);
    for (std::size_t k = 1; k < rows.size(); ++k) CHECK_THAT(rows[k], Contains("\t.\t"));  // no d_B
    CHECK_THAT(anchored.out, Contains("(free end)"));
}

TEST_CASE("path reports bad sequences and options with exit code 2", "[paths][cli]") {
    const auto& f = fixture();
    struct Bad {
        std::vector<std::string> args;
        std::string message;
    };
    const std::vector<Bad> cases = {
        {{"--from", "seqA", "--to", "nosuch"}, "--to 'nosuch': no sequence with this id"},
        {{"--from", "seqA", "--to", "MCNEW"}, "--to: 'MCNEW' is 5 characters long"},
        {{"--from", "ACDEFGH1", "--to", "seqB"}, "--from 'ACDEFGH1': no sequence with this id"},
        {{"--from", "seqA", "--to", "seqB", "--steps", "3"}, "--steps: 3 steps of at most 1 mutation(s)"},
        {{"--from", "seqA", "--to", "seqB", "--beta", "-1"}, "--beta"},
        {{"--from", "seqA", "--to", "seqB", "--paths", "0"}, "--paths: expected a value in [1, 1000000], got 0"},
        {{"--from", "seqA", "--to", "seqB", "--spacing", "0"}, "--spacing: expected a value >= 1, got 0"},
        {{"--from", "seqA", "--to", "seqB", "--beta-max", "0.5"}, "--beta-max: 0.5 is below --beta 1"},
        {{"--from", "seqA", "--to", "seqB", "--max-distance", "-1"}, "--max-distance"},
        {{"--from", "seqA", "--to", "seqB", "--mf-tolerance", "0"}, "--mf-tolerance"},
        {{"--to", "seqB"}, "missing --from"},
    };
    for (const auto& c : cases) {
        const auto result = run_cli(base_args(c.args));
        INFO("args: " << c.args.back() << "; stderr: " << result.err);
        CHECK(result.exit_code == 2);
        CHECK_THAT(result.err, StartsWith("error: "));
        CHECK_THAT(result.err, Contains(c.message));
    }
    // Without an alignment a literal is read as residues: a bad letter is named with its position.
    const auto residue = run_cli({"path", f.model, "--from", "ACDFGH1L", "--to", "MCNWGHKV"});
    CHECK(residue.exit_code == 2);
    CHECK_THAT(residue.err, Contains("--from: position 7 holds '1'"));
    // No hard constraint: fewer steps than mutations are fine.
    CHECK(run_cli(base_args({"--from", "seqA", "--to", "seqB", "--steps", "2", "--max-distance", "0"})).exit_code == 0);
    // A missing model file is bad input (exit 1).
    const auto missing = run_cli({"path", f.dir + "/absent.npz", "--from", "ACDFGHKL"});
    CHECK(missing.exit_code == 1);
    CHECK_THAT(missing.err, Contains("absent.npz"));
    const auto no_model = run_cli({"path", "--from", "seqA"});
    CHECK(no_model.exit_code == 2);
    CHECK_THAT(no_model.err, Contains("missing MODEL"));
}
