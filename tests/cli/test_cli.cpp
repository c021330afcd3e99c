// CLI tests: run the pottsrbm binary on good and bad inputs; check exit codes (0 ok, 1 bad input,
// 2 bad usage), the one-line "error: ..." messages, and that outputs are not overwritten.
#include "support/test_support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

using pottsrbm::test::run_cli;
using pottsrbm::test::scratch_dir;
using pottsrbm::test::source_path;
using pottsrbm::test::write_file;
using Catch::Contains;

namespace {

std::string example() { return source_path("data/example.fasta").string(); }

int count_lines(const std::string& text) {
    int lines = 0;
    for (char c : text) lines += c == '\n' ? 1 : 0;
    return lines;
}

}  // namespace

TEST_CASE("pottsrbm --help lists every verb, --version prints the revision", "[cli]") {
    const auto help = run_cli({"--help"});
    CHECK(help.exit_code == 0);
    for (const char* verb : {"stats", "train", "sample", "score", "eval", "motifs", "contacts", "path", "simulate"})
        CHECK_THAT(help.out, Contains(verb));
    const auto version = run_cli({"--version"});
    CHECK(version.exit_code == 0);
    CHECK_THAT(version.out, Contains("pottsrbm 0."));
    const auto none = run_cli({});
    CHECK(none.exit_code == 2);
    const auto unknown = run_cli({"frobnicate"});
    CHECK(unknown.exit_code == 2);
    CHECK(unknown.err == "error: unknown verb 'frobnicate' (see 'pottsrbm --help')\n");
}

TEST_CASE("every verb's --help shows its options with defaults", "[cli]") {
    const auto stats = run_cli({"stats", "--help"});
    CHECK(stats.exit_code == 0);
    CHECK_THAT(stats.out, Contains("--identity arg (=0.8)"));
    CHECK_THAT(stats.out, Contains("--write-weights"));
    const auto train = run_cli({"train", "--help"});
    CHECK(train.exit_code == 0);
    CHECK_THAT(train.out, Contains("[ --hidden-units ] arg (=100)"));
    CHECK_THAT(train.out, Contains("--lr arg (=0.005)"));
    CHECK_THAT(train.out, Contains("--resume"));
    const auto simulate = run_cli({"simulate", "--help"});
    CHECK(simulate.exit_code == 0);
    CHECK_THAT(simulate.out, Contains("[ --sequences ] arg (=2000)"));
    // Every verb of the table answers --help with its usage line, and positional arguments are
    // named there, not listed as options.
    for (const char* verb : {"stats", "train", "sample", "score", "eval", "motifs", "contacts", "path", "simulate"}) {
        const auto help = run_cli({verb, "--help"});
        CHECK(help.exit_code == 0);
        CHECK_THAT(help.out, Contains(std::string("usage: pottsrbm ") + verb));
        for (const char* positional : {"  --model arg\n", "  --input arg\n", "  --alignment arg\n"})
            CHECK_THAT(help.out, !Contains(positional));
    }
}

TEST_CASE("stats summarizes the bundled example, as text and JSON", "[cli][stats]") {
    const auto text = run_cli({"stats", example()});
    REQUIRE(text.exit_code == 0);
    CHECK_THAT(text.out, Contains("# pottsrbm"));
    CHECK_THAT(text.out, Contains("M_eff"));
    const auto json = run_cli({"stats", example(), "--json", "-q"});
    REQUIRE(json.exit_code == 0);
    CHECK(json.out.front() == '{');
    CHECK_THAT(json.out, Contains("\"effective_sequences\""));
    CHECK(json.err.empty());
}

TEST_CASE("stats writes weights and the filtered alignment, and never overwrites without --force", "[cli][stats]") {
    const auto dir = scratch_dir("cli-stats");
    const auto weights = (dir / "w.txt").string();
    const auto filtered = (dir / "f.fasta").string();
    const auto first = run_cli({"stats", example(), "--write-weights", weights, "--write-filtered", filtered,
                                "--max-col-gap", "0.5", "-q"});
    REQUIRE(first.exit_code == 0);
    CHECK(count_lines(pottsrbm::test::read_file(weights)) == 2000);
    CHECK_THAT(pottsrbm::test::read_file(filtered), Contains(">sim_1\n"));
    const auto again = run_cli({"stats", example(), "--write-weights", weights});
    CHECK(again.exit_code == 2);
    CHECK_THAT(again.err, Contains("already exists (use --force to overwrite)"));
    const auto forced = run_cli({"stats", example(), "--write-weights", weights, "--force", "-q"});
    CHECK(forced.exit_code == 0);
    // Weights read back give the same M_eff.
    const auto reread = run_cli({"stats", example(), "--weights", weights, "--json", "-q"});
    CHECK(reread.exit_code == 0);
}

TEST_CASE("bad options are usage errors naming the option and the value", "[cli][options]") {
    struct Case {
        std::vector<std::string> args;
        std::string message;
    };
    const std::vector<Case> cases = {
        {{"stats", example(), "--threads", "-5"}, "error: --threads: expected a value in [0, 4096], got -5"},
        {{"stats", example(), "--max-seq-gap", "2"}, "--max-seq-gap"},
        {{"stats", example(), "--identity", "1.5"}, "--identity: expected a value in [0, 1], got 1.5"},
        {{"stats", example(), "--max-seq"}, "unrecognised option '--max-seq'"},
        {{"stats", example(), "--format", "xml"}, "--format"},
        {{"stats"}, "missing ALIGNMENT"},
        {{"stats", example(), "--no-weights", "--weights", "w.txt"}, "--no-weights and --weights"},
        {{"train", example()}, "missing --output"},
        {{"train", example(), "-o", "x.npz", "--hidden-units", "0"}, "--hidden-units: expected a value in [1, 1000000], got 0"},
        {{"train", example(), "-o", "x.npz", "--hidden-units", "-5"}, "--hidden-units: expected a value in [1, 1000000], got -5"},
        {{"train", example(), "-o", "x.npz", "--lr", "-1"}, "--lr: expected a positive number, got -1"},
        {{"train", example(), "-o", "x.npz", "--validation", "1"}, "--validation: expected a number in [0, 1), got 1"},
        {{"train", example(), "-o", "x.npz", "--hidden", "sigmoid"}, "--hidden: unknown hidden-unit type 'sigmoid'"},
        {{"train", example(), "-o", "x.npz", "--batch-size", "-5"}, "--batch-size: expected an integer in [1,"},
        {{"train", example(), "-o", "x.npz", "--optimizer", "lbfgs"}, "--optimizer: expected adam or sgd, got 'lbfgs'"},
        {{"simulate", "-o", "x.fasta", "--length", "5"}, "--length: expected a value in [12, 100000], got 5"},
        {{"simulate", "-o", "x.fasta", "--sequences", "-3"}, "--sequences: expected a value >= 1, got -3"},
    };
    for (const auto& c : cases) {
        INFO(c.args[0] << " " << (c.args.size() > 2 ? c.args[2] : ""));
        const auto result = run_cli(c.args);
        CHECK(result.exit_code == 2);
        CHECK_THAT(result.err, Contains(c.message));
        CHECK(count_lines(result.err) == 1);
    }
}

TEST_CASE("bad input files are one-line errors with exit code 1", "[cli][input]") {
    const auto dir = scratch_dir("cli-input");
    const auto missing = run_cli({"stats", (dir / "nope.fasta").string()});
    CHECK(missing.exit_code == 1);
    CHECK_THAT(missing.err, Contains("nope.fasta"));
    const auto ragged = write_file(dir / "ragged.fasta", ">a\nACDE\n>b\nACD\n");
    const auto r = run_cli({"stats", ragged.string()});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains("ragged.fasta"));
    CHECK_THAT(r.err, Contains("record 2"));
    CHECK(count_lines(r.err) == 1);
    const auto bad_symbol = write_file(dir / "bad.fasta", ">a\nAC1E\n>b\nACDE\n");
    const auto b = run_cli({"stats", bad_symbol.string()});
    CHECK(b.exit_code == 1);
    CHECK_THAT(b.err, Contains("record 1 (a)"));
    const auto empty = write_file(dir / "empty.fasta", "");
    CHECK(run_cli({"stats", empty.string()}).exit_code == 1);
    const auto weights = write_file(dir / "weights.txt", "1\n2\nthree\n");
    const auto w = run_cli({"stats", example(), "--weights", weights.string()});
    CHECK(w.exit_code == 1);
    CHECK_THAT(w.err, Contains("weights.txt"));
}

TEST_CASE("simulate then train writes a model, a metrics file and refuses to overwrite", "[cli][train]") {
    const auto dir = scratch_dir("cli-train");
    const auto alignment = (dir / "sim.fasta").string();
    const auto truth = (dir / "truth.npz").string();
    const auto sim = run_cli({"simulate", "-o", alignment, "--length", "14", "--sequences", "300", "--burn-in", "50",
                              "--write-model", truth, "-q"});
    REQUIRE(sim.exit_code == 0);
    CHECK(std::filesystem::exists(truth));
    const auto model = (dir / "model.npz").string();
    const auto trained = run_cli({"train", alignment, "-o", model, "-H", "4", "--epochs", "3", "--batch-size", "50",
                                  "--ais-temperatures", "200", "--ais-chains", "20", "--validation", "0.2"});
    INFO(trained.err);
    REQUIRE(trained.exit_code == 0);
    CHECK(std::filesystem::exists(model));
    CHECK_THAT(trained.err, Contains("log Z ="));
    CHECK_THAT(trained.err, Contains("validation log-likelihood"));
    const auto metrics = pottsrbm::test::read_file(model + ".metrics.tsv");
    CHECK_THAT(metrics, Contains("epoch\tseconds\tlr\tpll_train"));
    CHECK_THAT(metrics, Contains("\tmax_abs_weight\tactive_units\n"));
    CHECK_THAT(metrics, Contains("\t4\n# "));  // the last epoch: 4 units, all active; then the AIS lines
    CHECK_FALSE(std::filesystem::exists(model + ".ckpt.npz"));
    CHECK(trained.err.find("Gibbs sweep(s) per update the persistent chains follow the data") == std::string::npos);
    // One sweep per update: the run ends with a pointer to the tempered equilibrium check.
    const auto short_chains = (dir / "one-sweep.npz").string();
    const auto one_sweep = run_cli({"train", alignment, "-o", short_chains, "-H", "4", "--epochs", "2", "--batch-size", "50",
                                    "--gibbs-steps", "1", "--ais-temperatures", "200", "--ais-chains", "20"});
    REQUIRE(one_sweep.exit_code == 0);
    CHECK_THAT(one_sweep.err, Contains("note: with 1 Gibbs sweep(s) per update the persistent chains follow the data"));
    CHECK_THAT(one_sweep.err, Contains("'pottsrbm eval " + short_chains + " " + alignment + " --tempering 8 --burn-in 4000'"));
    // A penalty far too strong takes every unit to noise level: a warning says so.
    const auto flattened = (dir / "flat.npz").string();
    const auto too_sparse = run_cli({"train", alignment, "-o", flattened, "-H", "4", "--epochs", "60", "--batch-size",
                                     "50", "--l1b", "200", "--ais-chains", "0"});
    REQUIRE(too_sparse.exit_code == 0);
    CHECK_THAT(too_sparse.err, Contains("no hidden unit is active: the L1^2 penalty (--l1b 200)"));
    CHECK_THAT(pottsrbm::test::read_file(flattened + ".metrics.tsv"), Contains("\tnan\t"));
    const auto plain_l1 = run_cli({"train", alignment, "-o", (dir / "flat-l1.npz").string(), "-H", "4", "--epochs", "60",
                                   "--batch-size", "50", "--l1b", "0", "--l1", "50", "--ais-chains", "0"});
    REQUIRE(plain_l1.exit_code == 0);
    CHECK_THAT(plain_l1.err, Contains("no hidden unit is active: the L1 penalty (--l1 50)"));
    CHECK(trained.err.find("hidden units are active") == std::string::npos);
    const auto again = run_cli({"train", alignment, "-o", model, "-H", "4", "--epochs", "1"});
    CHECK(again.exit_code == 2);
    CHECK_THAT(again.err, Contains("already exists"));
    const auto corrupt = write_file(dir / "corrupt.npz", "PK\x03\x04garbage");
    const auto resumed = run_cli({"train", alignment, "-o", (dir / "m2.npz").string(), "--resume", corrupt.string()});
    CHECK(resumed.exit_code == 1);
    CHECK_THAT(resumed.err, Contains("corrupt.npz"));
}
