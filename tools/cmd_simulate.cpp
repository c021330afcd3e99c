// `pottsrbm simulate -o OUT.fasta`: samples a synthetic alignment from the planted model (known
// motifs, see docs/planted-model.md) and optionally writes that model as the ground truth.
#include "cli.hpp"
#include "commands.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/log.hpp"
#include "pottsrbm/core/output_file.hpp"
#include "pottsrbm/io/alignment_writer.hpp"
#include "pottsrbm/model/model_file.hpp"
#include "pottsrbm/model/planted.hpp"
#include "pottsrbm/version.hpp"

#include <fmt/format.h>

namespace pottsrbm::cli {

int run_simulate(const std::vector<std::string>& args) {
    CommonOptions common;
    model::SimulationParams params;
    std::string output;
    std::string model_output;
    long long length = 40;
    long long seed = 1;

    po::options_description options("simulate options");
    // clang-format off
    options.add_options()
        ("output,o", po::value(&output)->value_name("FILE"), "aligned FASTA to write (required; '-' = stdout)")
        ("length,L", defaulted(&length), "number of columns N (>= 12)")
        ("sequences,n", defaulted(&params.sequences), "number of sequences")
        ("chains", defaulted(&params.chains), "independent Gibbs chains")
        ("burn-in", defaulted(&params.burn_in), "Gibbs sweeps before the first sample")
        ("spacing", defaulted(&params.spacing), "Gibbs sweeps between samples of a chain")
        ("beta", defaulted(&params.beta), "inverse temperature")
        ("seed", defaulted(&seed), "random seed (model and sampling)")
        ("write-model", po::value(&model_output)->value_name("MODEL.npz"), "also write the planted model (ground truth)");
    // clang-format on
    add_common_options(options, common);
    po::variables_map values;
    if (!parse("simulate", "-o OUT.fasta [options]", args, options, {}, values)) return 0;
    apply_common(common);
    if (output.empty()) throw UsageError("simulate: missing --output FILE");
    require_range("--length", length, 12, 100000);
    params.seed = static_cast<std::uint64_t>(require_range("--seed", seed, 0, std::numeric_limits<long long>::max()));
    params.validate();
    check_can_write(output, common.force);
    if (!model_output.empty()) check_can_write(model_output, common.force);

    model::PlantedModel planted = model::make_planted_model(static_cast<int>(length), params.seed);
    msa::Alignment alignment;
    alignment.states = model::simulate_sequences(planted.rbm, params);
    alignment.ids.reserve(static_cast<std::size_t>(params.sequences));
    for (long long m = 0; m < params.sequences; ++m) alignment.ids.push_back(fmt::format("sim_{}", m + 1));
    OutputFile out(output, common.force);
    io::write_fasta(out.stream(), alignment);
    out.commit();
    log::info("wrote {} sequences x {} columns to {} (planted model, seed {}, pottsrbm {})", params.sequences, length,
              output, params.seed, version_string);
    for (std::size_t mu = 0; mu < planted.motifs.size(); ++mu) {
        std::string sites;
        for (int site : planted.motifs[mu].sites) sites += fmt::format(" {}", site + 1);
        log::info("  hidden unit {}: {} motif at columns{}", mu + 1, planted.motifs[mu].name, sites);
    }
    if (!model_output.empty()) {
        planted.rbm.provenance.version = fmt::format("{} ({})", version_string, git_revision);
        planted.rbm.provenance.command_line = command_line();
        planted.rbm.provenance.seed = params.seed;
        planted.rbm.provenance.training_data = "planted model (pottsrbm simulate)";
        model::save_model(planted.rbm, model_output, common.force);
        log::info("wrote the planted model to {}", model_output);
    }
    return 0;
}

}  // namespace pottsrbm::cli
