// pottsrbm: the single binary. Dispatches `pottsrbm VERB ...` through the command table, and is
// the one place that catches errors: "error: ..." on stderr, exit 1 (bad input) or 2 (bad usage).
#include "cli.hpp"
#include "commands.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/version.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <iostream>
#include <new>

namespace pottsrbm::cli {

const std::vector<Command>& commands() {
    static const std::vector<Command> table = {
        {"stats", "summarize an alignment: sizes, gaps, entropy, M_eff; write weights or filtered FASTA", run_stats},
        {"train", "train a Potts-RBM on an alignment (PCD, checkpoints, AIS log-likelihood)", run_train},
        {"sample", "draw sequences from a model (temperature, clamped sites or hidden units, tempering)", run_sample},
        {"score", "score sequences (F, log-likelihood) and mutational effects against DMS data", run_score},
        {"eval", "compare a model's samples with an alignment: moments, novelty, PCA plot", run_eval},
        {"motifs", "HTML/TSV/JSON report of what each hidden unit learned", run_motifs},
        {"contacts", "effective couplings, contact predictions and their PPV against a structure", run_contacts},
        {"path", "sample low free-energy single-mutation paths between two sequences", run_path},
        {"simulate", "sample a synthetic alignment from a planted model with known motifs", run_simulate},
    };
    return table;
}

namespace {
void print_help() {
    std::cout << "pottsrbm " << version_string
              << ": Restricted Boltzmann Machines with Potts visible units for protein families\n\n"
                 "usage: pottsrbm VERB [options] ...\n\nverbs:\n";
    for (const auto& command : commands()) std::cout << fmt::format("  {:<10} {}\n", command.name, command.summary);
    std::cout << "\n'pottsrbm VERB --help' lists the options of a verb with their defaults.\n"
                 "'pottsrbm --version' prints the version and git revision.\n";
}
}  // namespace

}  // namespace pottsrbm::cli

int main(int argc, char** argv) {
    using namespace pottsrbm;
    cli::set_command_line(argc, argv);
    try {
        if (argc < 2) {
            cli::print_help();
            return 2;
        }
        const std::string verb = argv[1];
        if (verb == "--help" || verb == "-h" || verb == "help") {
            cli::print_help();
            return 0;
        }
        if (verb == "--version" || verb == "-V") {
            std::cout << "pottsrbm " << version_string << " (" << git_revision << ")\n";
            return 0;
        }
        for (const auto& command : cli::commands()) {
            if (command.name == verb) return command.run(std::vector<std::string>(argv + 2, argv + argc));
        }
        throw UsageError(fmt::format("unknown verb '{}' (see 'pottsrbm --help')", verb));
    } catch (const Error& e) {
        std::fflush(stdout);
        std::cerr << "error: " << e.what() << '\n';
        return e.exit_code();
    } catch (const std::bad_alloc&) {
        std::cerr << "error: out of memory\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "error: internal: " << e.what() << '\n';
        return 3;
    }
}
