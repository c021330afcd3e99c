// `pottsrbm motifs MODEL --alignment DATA -o REPORT_DIR`: what each hidden unit learned, as a
// self-contained HTML report (report.html) with the same numbers in units.tsv, logos.tsv and
// units.json; with --structure also the contact predictions (contacts.tsv, contact_map.svg and a
// section of the report).
#include "cli.hpp"
#include "commands.hpp"
#include "model_sampling_options.hpp"

#include "pottsrbm/analysis/contacts.hpp"
#include "pottsrbm/analysis/couplings.hpp"
#include "pottsrbm/analysis/report.hpp"
#include "pottsrbm/analysis/units.hpp"
#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/log.hpp"
#include "pottsrbm/core/output_file.hpp"
#include "pottsrbm/io/alignment_reader.hpp"
#include "pottsrbm/io/preprocess.hpp"
#include "pottsrbm/model/model_file.hpp"
#include "pottsrbm/version.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <limits>
#include <sstream>

namespace pottsrbm::cli {

int run_motifs(const std::vector<std::string>& args) {
    CommonOptions common;
    io::PreprocessParams data_params;
    ModelSamplingOptions sampling_options;
    analysis::MotifParams params;
    analysis::UnitFilter filter;
    std::string model_path;
    std::string alignment;
    std::string output;
    std::string labels_path;
    std::string reference_spec;
    std::string structure;
    std::string order_name = "importance";
    std::string approximation_name = "pgm";
    long long reference_start = std::numeric_limits<long long>::min();
    long long top_sites = params.top_sites;
    long long top_sequences = params.top_sequences;
    long long bins = params.bins;
    long long max_units = filter.max_units;
    long long unit_sites = 4;

    const std::string couplings_help =
        fmt::format("coupling approximation for the contacts: pgm, gaussian, gaussian-uniform or epistasis ({} "
                    "sequences)",
                    analysis::CouplingOptions{}.epistasis_sequences);
    po::options_description report_options("report options");
    // clang-format off
    report_options.add_options()
        ("alignment,a", po::value(&alignment)->value_name("FILE"), "the data (required; filter it as for training)")
        ("output,o", po::value(&output)->value_name("DIR"), "report directory (required; created if missing)")
        ("sort", defaulted(&order_name), "rank units by importance, norm, sparsity, index or separation (needs --labels)")
        ("min-norm", defaulted(&filter.min_norm), "show only units with a weight norm >= X")
        ("max-participation", defaulted(&filter.max_participation),
         "show only units with a participation ratio <= X (sparse units)")
        ("max-units", defaulted(&max_units), "show at most this many units (0 = all)")
        ("inactive", po::bool_switch(&filter.include_inactive),
         "also show the units whose weights are at noise level (norm below 1e-3 of the largest)")
        ("top-sites", defaulted(&top_sites), "sites listed per unit")
        ("top-sequences", defaulted(&top_sequences), "most and least activating data sequences listed per unit")
        ("logo-threshold", defaulted(&params.logo_threshold),
         "logos show the sites whose norm is >= X times the unit's largest site norm (0 = all sites)")
        ("bins", defaulted(&bins), "bins of the input histograms")
        ("labels", po::value(&labels_path)->value_name("TSV"),
         "classes of data sequences ('id<TAB>class' lines): class separation of each unit")
        ("reference", po::value(&reference_spec)->value_name("ID|SEQ"),
         "number positions in this sequence's residues (an id of the alignment, or an aligned sequence)")
        ("reference-start", po::value(&reference_start)->value_name("N"),
         "number of the reference's first residue (default: START of an id NAME/START-END, else 1)")
        ("structure", po::value(&structure)->value_name("FILE"),
         "distances 'i j score dist': adds contact predictions, their PPV and each unit's site contacts")
        ("couplings", defaulted(&approximation_name), couplings_help.c_str())
        ("unit-sites", defaulted(&unit_sites), "with --structure: check the pairs among each unit's top this-many sites");
    // clang-format on
    ModelVerbParser parser;
    if (!parser.parse("motifs", "MODEL --alignment DATA -o REPORT_DIR [options]", args, report_options,
                      "model samples (input histograms and importance)", sampling_options, data_params, common,
                      model_path))
        return 0;

    if (model_path.empty()) throw UsageError("motifs: missing MODEL (see 'pottsrbm motifs --help')");
    if (alignment.empty()) throw UsageError("motifs: missing --alignment DATA");
    if (output.empty()) throw UsageError("motifs: missing --output REPORT_DIR");
    const analysis::UnitOrder order = analysis::parse_unit_order(order_name, "--sort");
    if (order == analysis::UnitOrder::separation && labels_path.empty())
        throw UsageError("--sort separation: needs --labels");
    const analysis::CouplingApproximation approximation =
        analysis::parse_coupling_approximation(approximation_name, "--couplings");
    if (!(filter.min_norm >= 0)) throw UsageError(fmt::format("--min-norm: expected a value >= 0, got {}", filter.min_norm));
    if (!(filter.max_participation > 0 && filter.max_participation <= 1))
        throw UsageError(fmt::format("--max-participation: expected a value in (0, 1], got {}", filter.max_participation));
    filter.max_units = static_cast<int>(require_range("--max-units", max_units, 0, 1'000'000));
    params.top_sites = static_cast<int>(require_range("--top-sites", top_sites, 1, 100'000));
    params.top_sequences = static_cast<int>(require_range("--top-sequences", top_sequences, 0, 100'000));
    params.bins = static_cast<int>(require_range("--bins", bins, 5, 1000));
    params.validate();
    require_range("--unit-sites", unit_sites, 2, 100);
    std::optional<int> start;
    if (reference_start != std::numeric_limits<long long>::min()) {
        if (reference_spec.empty()) throw UsageError("--reference-start: needs --reference");
        start = static_cast<int>(require_range("--reference-start", reference_start, -1'000'000, 100'000'000));
    }
    const analysis::SamplingParams sampling = sampling_options.resolve();
    data_params.validate();
    if (structure.empty())
        for (const char* option : {"couplings", "unit-sites"})
            if (parser.given(option))
                throw UsageError(fmt::format("--{}: only used with --structure", option));

    const std::filesystem::path directory(output);
    if (std::filesystem::exists(directory) && !std::filesystem::is_directory(directory))
        throw UsageError(fmt::format("--output: '{}' exists and is not a directory", output));
    const auto path_of = [&](const char* name) { return (directory / name).string(); };
    std::vector<std::string> outputs = {path_of("report.html"), path_of("units.tsv"), path_of("logos.tsv"),
                                        path_of("units.json")};
    if (!structure.empty()) {
        outputs.push_back(path_of("contacts.tsv"));
        outputs.push_back(path_of("contact_map.svg"));
    }
    for (const std::string& path : outputs) check_can_write(path, common.force);

    // Inputs.
    const model::Rbm rbm = model::load_model(model_path);
    std::optional<analysis::DistanceMap> distances;
    if (!structure.empty()) distances = analysis::read_distances(structure);
    const io::PreparedAlignment prepared = io::prepare_alignment(alignment, data_params);
    const analysis::WeightedSequences data = analysis::project_onto_model(prepared.alignment, prepared.weights, rbm);
    std::optional<analysis::Labels> labels;
    if (!labels_path.empty()) {
        labels = analysis::read_labels(labels_path, data.ids);
        log::info("labels: {} classes over {} sequences ({} ids not in the data)", labels->classes.size(),
                  labels->labelled, labels->unmatched);
    }
    std::optional<analysis::ReferenceNumbering> reference;
    if (!reference_spec.empty()) {
        const msa::Alignment unfiltered = io::read_alignment(alignment, data_params.read);
        reference = analysis::make_reference(reference_spec, rbm.columns, &unfiltered, start);
    }

    log::info("sampling the model: {} chains, {} burn-in sweeps, {} snapshots every {} sweeps", sampling.chains,
              sampling.burn_in, sampling.snapshots, sampling.snapshot_every);
    const analysis::WeightedSequences samples = analysis::sample_model(rbm, sampling);
    const std::vector<analysis::UnitSummary> units =
        analysis::analyze_units(rbm, data, samples, params, labels ? &*labels : nullptr);
    const std::vector<int> shown = analysis::rank_units(units, order, filter);
    if (shown.empty()) log::warn("no unit passes the filters (--min-norm, --max-participation; units at noise level need --inactive)");

    std::optional<analysis::ContactSummary> contacts;
    if (distances) {
        log::info("effective couplings ({}) and contacts", analysis::to_string(approximation));
        const analysis::EffectiveCouplings couplings(rbm, approximation, data);
        const Eigen::MatrixXd frobenius = couplings.frobenius_norms();
        const Eigen::MatrixXd scores = analysis::average_product_correction(frobenius);
        contacts.emplace();
        contacts->approximation = approximation;
        contacts->structure_path = structure;
        contacts->distances = &*distances;
        contacts->ranked = analysis::rank_pairs(scores, frobenius, rbm.columns, &*distances);
        contacts->ppv = analysis::ppv_table(contacts->ranked, rbm.sites);
        contacts->unit_sites = static_cast<int>(unit_sites);
        contacts->map_svg = analysis::contact_map_svg(contacts->ranked, rbm.columns, &*distances, 2 * rbm.sites,
                                                      fmt::format("{}: {} couplings, top 2L pairs", model_path,
                                                                  analysis::to_string(approximation)),
                                                      5, fmt::format("pottsrbm {} ({}) motifs, seed {}", version_string,
                                                                     git_revision, sampling.seed));
    }

    analysis::ReportContext context;
    context.version = fmt::format("{} ({})", version_string, git_revision);
    context.command_line = command_line();
    context.model_path = model_path;
    context.rbm = &rbm;
    context.alignment_path = alignment;
    context.effective_sequences = prepared.effective_sequences();
    context.sequences = prepared.alignment.sequences();
    context.sampling = sampling;
    context.samples = samples.size();
    context.params = params;
    context.order = order_name;
    context.filter = filter;
    context.reference = reference ? &*reference : nullptr;
    context.labels = labels ? &*labels : nullptr;
    context.labels_path = labels_path;
    context.contacts = contacts ? &*contacts : nullptr;

    std::filesystem::create_directories(directory);
    {
        OutputFile out(path_of("units.tsv"), common.force);
        analysis::write_units_tsv(out.stream(), units, shown, context);
        out.commit();
    }
    {
        OutputFile out(path_of("logos.tsv"), common.force);
        analysis::write_logos_tsv(out.stream(), units, shown, context);
        out.commit();
    }
    {
        OutputFile out(path_of("units.json"), common.force);
        analysis::write_motifs_json(out.stream(), units, shown, data, context);
        out.commit();
    }
    if (contacts) {
        std::ostringstream ppv_text;
        analysis::write_ppv_text(ppv_text, contacts->ppv);
        std::vector<std::string> comments = {
            fmt::format("pottsrbm {} motifs, seed {}", context.version, sampling.seed), context.command_line,
            fmt::format("model {}; couplings {} from data {}; structure {}", model_path,
                        analysis::to_string(approximation), alignment, structure)};
        std::istringstream lines(ppv_text.str());
        for (std::string line; std::getline(lines, line);) comments.push_back(line);
        OutputFile tsv(path_of("contacts.tsv"), common.force);
        analysis::write_pairs_tsv(tsv.stream(), contacts->ranked, true, comments);
        tsv.commit();
        OutputFile map(path_of("contact_map.svg"), common.force);
        map.stream() << contacts->map_svg;
        map.commit();
        log::info("contacts: {}", ppv_text.str().substr(0, ppv_text.str().find('\n')));
    }
    {
        OutputFile out(path_of("report.html"), common.force);
        analysis::write_motifs_html(out.stream(), units, shown, data, context);
        out.commit();
    }
    log::info("report written to {} ({} units shown)", path_of("report.html"), shown.size());
    return 0;
}

}  // namespace pottsrbm::cli
