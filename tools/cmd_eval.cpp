// `pottsrbm eval MODEL ALIGNMENT` (or `--samples FASTA [MODEL] ALIGNMENT`): generative quality of a
// model's samples (drawn here with the automatic mixing diagnostic) or of any sample file against
// the weighted data: one-, two- and three-site statistics, distances to the nearest data
// sequence, and a PCA scatter plot of data and samples (docs/design.md).
#include "cli.hpp"
#include "commands.hpp"
#include "tempering_options.hpp"

#include "pottsrbm/core/alphabet.hpp"
#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/log.hpp"
#include "pottsrbm/core/output_file.hpp"
#include "pottsrbm/core/threads.hpp"
#include "pottsrbm/design/evaluation.hpp"
#include "pottsrbm/design/sampler.hpp"
#include "pottsrbm/design/sequences.hpp"
#include "pottsrbm/io/alignment_reader.hpp"
#include "pottsrbm/io/alignment_writer.hpp"
#include "pottsrbm/io/preprocess.hpp"
#include "pottsrbm/model/model_file.hpp"
#include "pottsrbm/version.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <optional>

namespace pottsrbm::cli {
int run_eval(const std::vector<std::string>& args) {
    CommonOptions common;
    io::PreprocessParams data_params;
    design::SamplerParams sampler;
    design::EvalParams params;
    std::vector<std::string> inputs;
    std::string samples_path;
    std::string write_samples;
    std::string output = "-";
    std::string json_path;
    std::string plot_path;
    long long seed = 1;
    sampler.samples = 10000;

    po::options_description options("eval options");
    // clang-format off
    options.add_options()
        ("output,o", defaulted(&output), "text summary ('-' = stdout)")
        ("json", po::value(&json_path)->value_name("FILE"), "also write the figures as JSON")
        ("plot", po::value(&plot_path)->value_name("FILE.svg"), "PCA scatter plot of data and samples (SVG)")
        ("samples", po::value(&samples_path)->value_name("FASTA"), "evaluate these sequences instead of sampling the model")
        ("sequences,n", defaulted(&sampler.samples), "sequences to sample from the model")
        ("chains", defaulted(&sampler.chains), "sampling chains (0 = auto)")
        ("burn-in", po::value(&sampler.burn_in)->default_value(-1, "auto"), "Gibbs sweeps before the first sample")
        ("spacing", po::value(&sampler.spacing)->default_value(-1, "auto"), "sweeps between two samples of a chain")
        ("max-mixing-sweeps", defaulted(&sampler.max_mixing_sweeps), "longest run of the mixing diagnostic");
    add_tempering_options(options, sampler);
    options.add_options()
        ("write-samples", po::value(&write_samples)->value_name("FILE"), "also write the samples drawn (FASTA)")
        ("max-site-triples", defaulted(&params.max_site_triples), "site triples for the 3-site correlations (all when fewer)")
        ("top-triplets", defaulted(&params.top_triplets), "largest |C_ijk| of the data compared")
        ("plot-points", defaulted(&params.plot_points), "points of each set drawn in the PCA plot")
        ("novelty-queries", defaulted(&params.novelty_queries), "data sequences used for the data-to-data distances")
        ("seed", defaulted(&seed), "random seed (sampling, triple and plot subsets)");
    // clang-format on
    po::options_description data_options("data options (as for train)");
    add_preprocess_options(data_options, data_params);
    po::options_description general("general options");
    add_common_options(general, common);
    po::options_description all;
    all.add(options).add(data_options).add(general);
    po::variables_map values;
    if (!parse("eval", "MODEL ALIGNMENT [options]  |  --samples FASTA [MODEL] ALIGNMENT [options]", args, all,
               {{"input", po::value(&inputs), -1}}, values))
        return 0;
    apply_common(common);

    std::string model_path;
    std::string data_path;
    if (samples_path.empty()) {
        if (inputs.size() != 2) throw UsageError("eval: expected MODEL ALIGNMENT (see 'pottsrbm eval --help')");
        model_path = inputs[0];
        data_path = inputs[1];
    } else {
        if (inputs.empty() || inputs.size() > 2) throw UsageError("eval: with --samples, expected [MODEL] ALIGNMENT");
        if (inputs.size() == 2) model_path = inputs[0];
        data_path = inputs.back();
        if (!write_samples.empty()) throw UsageError("--write-samples: only when eval samples the model itself");
        std::vector<const char*> sampling_options = {"sequences", "chains", "burn-in", "spacing", "max-mixing-sweeps"};
        sampling_options.insert(sampling_options.end(), tempering_option_names.begin(), tempering_option_names.end());
        for (const char* option : sampling_options)
            if (values.count(option) != 0U && !values[option].defaulted())
                throw UsageError(fmt::format("--{}: only when eval samples the model itself (not with --samples)", option));
    }
    sampler.seed = static_cast<std::uint64_t>(require_range("--seed", seed, 0, std::numeric_limits<long long>::max()));
    params.seed = sampler.seed;
    require_range("--sequences", sampler.samples, 2, 1'000'000'000LL);
    require_range("--burn-in", sampler.burn_in, -1, 100'000'000LL);
    if (sampler.spacing != -1) require_range("--spacing", sampler.spacing, 1, 100'000'000LL);
    sampler.validate();
    check_tempering_options(values, sampler);
    params.validate();
    data_params.validate();
    if (output != "-") check_can_write(output, common.force);
    if (!json_path.empty()) check_can_write(json_path, common.force);
    if (!plot_path.empty()) check_can_write(plot_path, common.force);
    if (!write_samples.empty()) check_can_write(write_samples, common.force);

    std::optional<model::Rbm> rbm;
    if (!model_path.empty()) {
        rbm = model::load_model(model_path);
        if (rbm->states != q_states)
            throw InputError(fmt::format("{}: the model has q = {} states; eval needs the 21-letter protein alphabet",
                                         model_path, rbm->states));
    }
    const io::PreparedAlignment prepared = io::prepare_alignment(data_path, data_params);
    const std::vector<int> columns = rbm ? rbm->columns : prepared.alignment.columns;
    for (const int column : columns)
        if (std::find(prepared.alignment.columns.begin(), prepared.alignment.columns.end(), column) ==
            prepared.alignment.columns.end())
            throw UsageError(fmt::format("eval: column {} of the model is not in {} after the filters (relax "
                                         "--max-col-gap or --focus)",
                                         column + 1, data_path));
    const model::StateMatrix data = design::project_onto_model(prepared.alignment, columns);

    std::vector<std::string> header = {
        fmt::format("pottsrbm {} ({}) eval, seed {}", version_string, git_revision, sampler.seed),
        fmt::format("command: {}", command_line()),
        fmt::format("data: {} ({} sequences after filters, M_eff {:.1f}, {} sites)", data_path, data.rows(),
                    prepared.effective_sequences(), columns.size()),
    };
    std::vector<std::pair<std::string, std::string>> metadata = {
        {"version", version_string}, {"git_revision", git_revision}, {"command", command_line()},
        {"seed", std::to_string(sampler.seed)}, {"data", data_path}};

    model::StateMatrix samples;
    if (!samples_path.empty()) {
        msa::Alignment sample_alignment = io::read_alignment(samples_path);
        samples = design::project_onto_model(sample_alignment, columns);
        header.push_back(fmt::format("samples: {} ({} sequences)", samples_path, samples.rows()));
        metadata.emplace_back("samples", samples_path);
        if (rbm) metadata.emplace_back("model", model_path);
    } else {
        log::info("eval: sampling {} sequences from {} (seed {}, {} threads)", sampler.samples, model_path, sampler.seed,
                  threads());
        const design::SampleSet drawn = design::draw_samples(*rbm, design::Conditions{}, sampler);
        samples = drawn.sequences;
        header.push_back(fmt::format("samples: {} drawn from {} ({} chains, burn-in {}, spacing {} sweeps{}{})", samples.rows(),
                                     model_path, drawn.chains, drawn.burn_in, drawn.spacing,
                                     sampler.temperatures > 1
                                         ? fmt::format(", parallel tempering over {} inverse temperatures down to {}",
                                                       sampler.temperatures, sampler.tempering_min_beta)
                                         : "",
                                     drawn.mixing.measured ? fmt::format(", mixing time {}{}", drawn.mixing.mixing_time,
                                                                         drawn.mixing.converged ? "" : " (not converged)")
                                                           : ""));
        metadata.emplace_back("model", model_path);
        metadata.emplace_back("burn_in", std::to_string(drawn.burn_in));
        metadata.emplace_back("spacing", std::to_string(drawn.spacing));
        metadata.emplace_back("tempering", std::to_string(sampler.temperatures));
        if (!write_samples.empty()) {
            msa::Alignment written;
            written.states = samples;
            for (Eigen::Index m = 0; m < samples.rows(); ++m)
                written.ids.push_back(fmt::format("sample_{} seed={} pottsrbm={}", m + 1, sampler.seed, version_string));
            OutputFile file(write_samples, common.force);
            io::write_fasta(file.stream(), written);
            file.commit();
            log::info("wrote the samples to {}", write_samples);
        }
    }
    for (Eigen::Index m = 0; m < samples.rows(); ++m)
        for (Eigen::Index i = 0; i < samples.cols(); ++i)
            if (samples(m, i) >= q_states) throw InputError(fmt::format("{}: sequence {} has an invalid state", samples_path, m + 1));

    design::Evaluation evaluation = design::evaluate_samples(data, prepared.weights, samples, q_states, params);
    if (rbm) {
        evaluation.free_energy = design::compare_free_energies(*rbm, data, prepared.weights, samples);
        if (design::samples_below_data(evaluation.free_energy))
            log::warn("eval: the samples lie {:.2f} data sd ({:+.4f} per site) below the data in free energy: the model "
                      "has mass where the data are not, and its AIS log-likelihood is optimistic{}",
                      -evaluation.free_energy.standardized_shift, evaluation.free_energy.shift_per_site,
                      samples_path.empty() && sampler.temperatures == 1 ? " (these samples were drawn without --tempering)" : "");
    }
    OutputFile out(output, common.force);
    design::write_evaluation_text(out.stream(), evaluation, header);
    out.commit();
    if (!json_path.empty()) {
        OutputFile json(json_path, common.force);
        design::write_evaluation_json(json.stream(), evaluation, metadata);
        json.commit();
    }
    if (!plot_path.empty()) {
        OutputFile plot(plot_path, common.force);
        plot.stream() << design::pca_plot_svg(
            evaluation,
            fmt::format("PCA of {}: data vs {}", data_path, samples_path.empty() ? "samples of " + model_path : samples_path),
            fmt::format("pottsrbm {} ({}) eval, seed {}", version_string, git_revision, sampler.seed));
        plot.commit();
        log::info("PCA plot written to {}", plot_path);
    }
    log::info("eval: C_ij Pearson {:.4f}, f_i Pearson {:.4f}, C_ijk Pearson {:.4f}", evaluation.moments.connected_pearson,
              evaluation.moments.single_pearson, evaluation.triplets.correlation.pearson);
    return 0;
}

}  // namespace pottsrbm::cli
