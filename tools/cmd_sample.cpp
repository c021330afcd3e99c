// `pottsrbm sample MODEL -n COUNT -o OUT.fasta`: equilibrium samples of a model, optionally at
// another temperature, under clamped sites or hidden units, with parallel tempering; burn-in and
// spacing from the mixing diagnostic (docs/design.md). Every FASTA header carries F(v), the
// Hamming distance to the closest training sequence and the seed.
#include "cli.hpp"
#include "commands.hpp"
#include "tempering_options.hpp"

#include "pottsrbm/core/alphabet.hpp"
#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/log.hpp"
#include "pottsrbm/core/output_file.hpp"
#include "pottsrbm/core/threads.hpp"
#include "pottsrbm/design/conditions.hpp"
#include "pottsrbm/design/sampler.hpp"
#include "pottsrbm/design/sequences.hpp"
#include "pottsrbm/io/alignment_reader.hpp"
#include "pottsrbm/io/alignment_writer.hpp"
#include "pottsrbm/model/model_file.hpp"
#include "pottsrbm/version.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <limits>
#include <optional>

namespace pottsrbm::cli {
namespace {

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
    return out;
}

}  // namespace

int run_sample(const std::vector<std::string>& args) {
    CommonOptions common;
    design::SamplerParams params;
    std::string model_path;
    std::string output;
    std::string init_path;
    std::string train_path;
    std::vector<std::string> fix_specs;
    std::vector<std::string> hidden_specs;
    std::vector<std::string> bias_specs;
    bool no_distance = false;
    long long seed = 1;

    po::options_description options("sample options");
    // clang-format off
    options.add_options()
        ("output,o", po::value(&output)->value_name("FILE"), "aligned FASTA to write (required; '-' = stdout)")
        ("sequences,n", defaulted(&params.samples), "number of sequences")
        ("beta", defaulted(&params.beta), "inverse temperature (> 1: low-temperature design)")
        ("chains", defaulted(&params.chains), "independent chains (0 = auto: n clamped to [32, 1000])")
        ("burn-in", po::value(&params.burn_in)->default_value(-1, "auto"), "Gibbs sweeps before the first sample (auto: mixing diagnostic)")
        ("spacing", po::value(&params.spacing)->default_value(-1, "auto"), "sweeps between two samples of a chain (auto: mixing time)")
        ("max-mixing-sweeps", defaulted(&params.max_mixing_sweeps), "longest run of the mixing diagnostic")
        ("init", po::value(&init_path)->value_name("FILE"), "start chain c from sequence c (cyclically) of this alignment")
        ("fix", po::value(&fix_specs)->value_name("COL=AA,..."), "clamp sites to residues, original 1-based columns (e.g. 12=K,40=W); repeatable")
        ("hidden", po::value(&hidden_specs)->value_name("UNIT=X,..."), "clamp hidden units: h_UNIT = X, units 1-based (e.g. 7=3.5); repeatable")
        ("hidden-bias", po::value(&bias_specs)->value_name("UNIT=B,..."), "add B to the input of hidden units (bias towards high h); repeatable");
    add_tempering_options(options, params);
    options.add_options()
        ("train", po::value(&train_path)->value_name("FILE"), "training alignment for the Hamming distances (default: the model's training data)")
        ("no-distance", po::bool_switch(&no_distance), "do not compute distances to the training data")
        ("seed", defaulted(&seed), "random seed");
    // clang-format on
    add_common_options(options, common);
    po::variables_map values;
    if (!parse("sample", "MODEL -n COUNT -o OUT.fasta [options]", args, options, {{"model", po::value(&model_path)}},
               values))
        return 0;
    apply_common(common);

    if (model_path.empty()) throw UsageError("sample: missing MODEL (see 'pottsrbm sample --help')");
    if (output.empty()) throw UsageError("sample: missing --output FILE");
    params.seed = static_cast<std::uint64_t>(require_range("--seed", seed, 0, std::numeric_limits<long long>::max()));
    require_range("--sequences", params.samples, 1, 1'000'000'000LL);
    require_range("--chains", params.chains, 0, 10'000'000LL);
    require_range("--burn-in", params.burn_in, -1, 100'000'000LL);
    if (params.spacing != -1) require_range("--spacing", params.spacing, 1, 100'000'000LL);
    require_range("--max-mixing-sweeps", params.max_mixing_sweeps, 2, 100'000'000LL);
    require_range("--tempering", params.temperatures, 1, 1000);
    params.validate();
    if (no_distance && !train_path.empty()) throw UsageError("--train: not used with --no-distance");
    check_tempering_options(values, params);
    check_can_write(output, common.force);

    const model::Rbm rbm = model::load_model(model_path);
    if (rbm.states != q_states)
        throw InputError(fmt::format("{}: the model has q = {} states; sequences need the 21-letter protein alphabet",
                                     model_path, rbm.states));
    design::Conditions conditions;
    if (!fix_specs.empty()) conditions.fixed_sites = design::parse_fixed_sites("--fix", join(fix_specs), rbm.columns);
    if (!hidden_specs.empty())
        conditions.clamped_hidden = design::parse_hidden_values("--hidden", join(hidden_specs), rbm.units());
    if (!bias_specs.empty()) conditions.hidden_bias = design::parse_hidden_values("--hidden-bias", join(bias_specs), rbm.units());
    design::validate_conditions(rbm, conditions);

    std::optional<model::StateMatrix> initial;
    if (!init_path.empty()) {
        const msa::Alignment init = io::read_alignment(init_path);
        initial = design::project_onto_model(init, rbm.columns);
        log::info("chains start from the {} sequences of {}", initial->rows(), init_path);
    }

    // Training data for the novelty distances.
    std::optional<design::NearestNeighbours> neighbours;
    if (!no_distance) {
        std::string path = train_path;
        if (path.empty() && !rbm.provenance.training_data.empty() && std::filesystem::exists(rbm.provenance.training_data))
            path = rbm.provenance.training_data;
        if (path.empty()) {
            log::warn("the training alignment '{}' recorded in the model is not readable from here: headers carry no "
                      "distance to the training data (give --train FILE, or --no-distance to silence this)",
                      rbm.provenance.training_data);
        } else {
            const msa::Alignment train = io::read_alignment(path);
            neighbours.emplace(design::project_onto_model(train, rbm.columns));
            log::info("distances to the {} sequences of {}", neighbours->size(), path);
        }
    }

    log::info("sampling {} sequences from {} (N = {}, H = {}) at beta {}, seed {}, {} threads, pottsrbm {}", params.samples,
              model_path, rbm.sites, rbm.units(), params.beta, params.seed, threads(), version_string);
    const design::SampleSet samples = design::draw_samples(rbm, conditions, params, initial ? &*initial : nullptr);

    Eigen::VectorXd energies(samples.sequences.rows());
    model::free_energy(rbm, samples.sequences, energies);
    std::vector<int> distances;
    if (neighbours) distances = neighbours->distances(samples.sequences);

    msa::Alignment alignment;
    alignment.states = samples.sequences;
    alignment.ids.reserve(static_cast<std::size_t>(samples.sequences.rows()));
    for (Eigen::Index m = 0; m < samples.sequences.rows(); ++m) {
        std::string id = fmt::format("sample_{} F={:.4f}", m + 1, energies[m]);
        if (neighbours) id += fmt::format(" hamming_to_train={}", distances[static_cast<std::size_t>(m)]);
        id += fmt::format(" seed={} chain={} sweep={} pottsrbm={}", params.seed,
                          samples.chain[static_cast<std::size_t>(m)] + 1, samples.sweep[static_cast<std::size_t>(m)],
                          version_string);
        alignment.ids.push_back(std::move(id));
    }
    OutputFile out(output, common.force);
    io::write_fasta(out.stream(), alignment);
    out.commit();
    if (neighbours) {
        double mean = 0;
        for (int d : distances) mean += d;
        mean /= std::max<double>(1.0, static_cast<double>(distances.size()));
        log::info("mean F {:.3f}; mean Hamming distance to the closest training sequence {:.2f} of {} sites",
                  energies.mean(), mean, rbm.sites);
    }
    log::info("wrote {} sequences x {} sites to {} (burn-in {}, spacing {}, {} chains, seed {}, pottsrbm {} ({}))",
              samples.sequences.rows(), rbm.sites, output, samples.burn_in, samples.spacing, samples.chains, params.seed,
              version_string, git_revision);
    return 0;
}

}  // namespace pottsrbm::cli
