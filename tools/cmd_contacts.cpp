// `pottsrbm contacts MODEL [MODEL ...] --alignment DATA -o contacts.tsv`: effective couplings of
// the model, Frobenius norms in the zero-sum gauge over residues (averaged over the models when
// several are given), APC; every site pair ranked (original 1-based columns); with --structure the
// PPV of the top L/2, L, 2L pairs at 8 and 5 A and the true contacts on the map.
#include "cli.hpp"
#include "commands.hpp"
#include "model_sampling_options.hpp"

#include "pottsrbm/analysis/contacts.hpp"
#include "pottsrbm/analysis/couplings.hpp"
#include "pottsrbm/analysis/units.hpp"
#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/log.hpp"
#include "pottsrbm/core/output_file.hpp"
#include "pottsrbm/io/preprocess.hpp"
#include "pottsrbm/model/model_file.hpp"
#include "pottsrbm/version.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <iostream>
#include <limits>
#include <sstream>

namespace pottsrbm::cli {

int run_contacts(const std::vector<std::string>& args) {
    CommonOptions common;
    io::PreprocessParams data_params;
    ModelSamplingOptions sampling_options;
    std::vector<std::string> model_paths;
    std::string alignment;
    std::string output = "-";
    std::string map_path;
    std::string structure;
    std::string approximation_name = "pgm";
    long long quadrature = analysis::CouplingOptions{}.quadrature_points;
    long long epistasis_sequences = analysis::CouplingOptions{}.epistasis_sequences;
    long long shown = 0;

    po::options_description main_options("contacts options");
    // clang-format off
    main_options.add_options()
        ("alignment,a", po::value(&alignment)->value_name("FILE"),
         "data for <Var(h|I)> (pgm), the site frequencies (gaussian) or the sequences averaged over (epistasis); "
         "without it, model samples")
        ("output,o", defaulted(&output)->value_name("FILE"), "ranked pairs as TSV ('-' = stdout)")
        ("map", po::value(&map_path)->value_name("FILE.svg"), "write the contact map as SVG")
        ("structure", po::value(&structure)->value_name("FILE"),
         "distances 'i j score dist' (1-based columns, gzip allowed): PPV and true contacts on the map")
        ("couplings", defaulted(&approximation_name),
         "approximation: pgm, gaussian, gaussian-uniform or epistasis (docs/motifs.md)")
        ("quadrature", defaulted(&quadrature), "Gauss-Hermite points over the Gaussian field")
        ("epistasis-sequences", defaulted(&epistasis_sequences),
         "epistasis: sequences averaged over (a weighted systematic subsample when there are more)")
        ("shown", defaulted(&shown), "predictions drawn on the map (0 = 2L)");
    // clang-format on
    ModelVerbParser parser;
    if (!parser.parse("contacts", "MODEL [MODEL ...] [--alignment DATA] [-o contacts.tsv] [options]", args,
                      main_options, "model samples (pgm, gaussian and epistasis without --alignment)", sampling_options,
                      data_params, common, model_paths))
        return 0;

    if (model_paths.empty()) throw UsageError("contacts: missing MODEL (see 'pottsrbm contacts --help')");
    const analysis::CouplingApproximation approximation =
        analysis::parse_coupling_approximation(approximation_name, "--couplings");
    analysis::CouplingOptions coupling_options;
    coupling_options.quadrature_points = static_cast<int>(require_range("--quadrature", quadrature, 1, 200));
    coupling_options.epistasis_sequences =
        static_cast<int>(require_range("--epistasis-sequences", epistasis_sequences, 1, 1000000));
    require_range("--shown", shown, 0, std::numeric_limits<int>::max());
    const analysis::SamplingParams sampling = sampling_options.resolve();
    data_params.validate();
    // Options that the chosen couplings would silently ignore.
    const bool uniform = approximation == analysis::CouplingApproximation::gaussian_uniform;
    if (uniform && !alignment.empty())
        throw UsageError("--alignment: not used by --couplings gaussian-uniform (the site measure is uniform)");
    const bool gaussian_field = approximation == analysis::CouplingApproximation::gaussian || uniform;
    if (!gaussian_field && parser.given("quadrature"))
        throw UsageError("--quadrature: only used by --couplings gaussian and gaussian-uniform");
    if (approximation != analysis::CouplingApproximation::epistasis && parser.given("epistasis-sequences"))
        throw UsageError("--epistasis-sequences: only used by --couplings epistasis");
    if (uniform || !alignment.empty())
        for (const char* option : ModelSamplingOptions::names)
            if (parser.given(option))
                throw UsageError(fmt::format("--{}: model samples are only drawn for --couplings pgm, gaussian or "
                                             "epistasis without --alignment",
                                             option));
    if (alignment.empty())
        for (const auto& option : parser.data_options.options())
            if (parser.given(option->long_name()))
                throw UsageError(fmt::format("--{}: a data option, only used with --alignment", option->long_name()));
    if (map_path.empty() && parser.given("shown")) throw UsageError("--shown: only used with --map");
    check_can_write(output, common.force);
    if (!map_path.empty()) check_can_write(map_path, common.force);

    // Several models (e.g. training runs with other seeds) must describe the same columns.
    std::vector<model::Rbm> models;
    for (const std::string& path : model_paths) {
        models.push_back(model::load_model(path));
        const model::Rbm& first = models.front();
        const model::Rbm& added = models.back();
        if (added.sites != first.sites || added.states != first.states)
            throw InputError(fmt::format("{}: {} sites over {} states, not the sites and states of {} ({} over {}); the "
                                         "models of one contacts run must be trained on the same columns",
                                         path, added.sites, added.states, model_paths.front(), first.sites,
                                         first.states));
        const auto differ = std::mismatch(added.columns.begin(), added.columns.end(), first.columns.begin());
        if (differ.first != added.columns.end())
            throw InputError(fmt::format("{}: site {} is alignment column {}, in {} column {}; the models of one "
                                         "contacts run must be trained on the same columns",
                                         path, differ.first - added.columns.begin() + 1, *differ.first + 1,
                                         model_paths.front(), *differ.second + 1));
    }
    const model::Rbm& rbm = models.front();
    if (rbm.sites < 3) throw UsageError(fmt::format("contacts: the model has {} sites; APC needs at least 3", rbm.sites));
    std::optional<analysis::DistanceMap> distances;
    if (!structure.empty()) distances = analysis::read_distances(structure);

    analysis::WeightedSequences data;
    std::string ensemble_text;
    if (approximation == analysis::CouplingApproximation::gaussian_uniform) {
        ensemble_text = "uniform site measure";
    } else if (!alignment.empty()) {
        const io::PreparedAlignment prepared = io::prepare_alignment(alignment, data_params);
        data = analysis::project_onto_model(prepared.alignment, prepared.weights, rbm);
        ensemble_text = fmt::format("data {} (M_eff {:.1f})", alignment, prepared.effective_sequences());
    }

    // Frobenius norms of each model's couplings, averaged over the models, then APC. Without
    // --alignment (and not uniform) each model's couplings average over its own samples.
    const bool sampled = approximation != analysis::CouplingApproximation::gaussian_uniform && alignment.empty();
    if (sampled)
        log::info("no --alignment: averaging over {} samples of each model",
                  static_cast<long long>(sampling.chains) * sampling.snapshots);
    Eigen::MatrixXd frobenius = Eigen::MatrixXd::Zero(rbm.sites, rbm.sites);
    std::vector<std::string> sample_counts;
    for (std::size_t k = 0; k < models.size(); ++k) {
        log::info("effective couplings ({}) of {} for {} pairs", analysis::to_string(approximation), model_paths[k],
                  static_cast<long long>(rbm.sites) * (rbm.sites - 1) / 2);
        analysis::WeightedSequences samples;
        if (sampled) {
            samples = analysis::sample_model(models[k], sampling);
            sample_counts.push_back(std::to_string(samples.size()));
        }
        const analysis::EffectiveCouplings couplings(models[k], approximation, sampled ? samples : data,
                                                     coupling_options);
        frobenius += couplings.frobenius_norms();
    }
    frobenius /= static_cast<double>(models.size());
    if (!sample_counts.empty())
        ensemble_text = fmt::format("{} model samples (seed {})", fmt::join(sample_counts, " + "), sampling.seed);
    const Eigen::MatrixXd scores = analysis::average_product_correction(frobenius);
    const std::vector<analysis::PairScore> ranked =
        analysis::rank_pairs(scores, frobenius, rbm.columns, distances ? &*distances : nullptr);

    std::vector<analysis::Ppv> ppv;
    std::ostringstream ppv_text;
    if (distances) {
        ppv = analysis::ppv_table(ranked, rbm.sites);
        analysis::write_ppv_text(ppv_text, ppv);
    }
    std::vector<std::string> comments = {
        fmt::format("pottsrbm {} ({}) contacts, seed {}", version_string, git_revision, sampling.seed),
        command_line(),
        fmt::format("model {}: N = {}, H = {} {}; couplings {} from {}", model_paths.front(), rbm.sites, rbm.units(),
                    model::to_string(rbm.hidden.type), analysis::to_string(approximation), ensemble_text),
        fmt::format("score = APC-corrected Frobenius norm of the residue block in the zero-sum gauge (gap "
                    "excluded){}; i, j = 1-based alignment columns",
                    models.size() == 1 ? "" : fmt::format(", the norms averaged over the {} models", models.size()))};
    for (std::size_t k = 1; k < models.size(); ++k)
        comments.insert(comments.begin() + 2 + static_cast<std::ptrdiff_t>(k),
                        fmt::format("model {}: N = {}, H = {} {}", model_paths[k], models[k].sites, models[k].units(),
                                    model::to_string(models[k].hidden.type)));
    if (distances) {
        comments.push_back(fmt::format("structure {}: {} pairs with a distance", structure, distances->pairs()));
        std::istringstream lines(ppv_text.str());
        for (std::string line; std::getline(lines, line);) comments.push_back(line);
    }
    {
        OutputFile out(output, common.force);
        analysis::write_pairs_tsv(out.stream(), ranked, distances.has_value(), comments);
        out.commit();
    }
    if (!map_path.empty()) {
        const int drawn = shown > 0 ? static_cast<int>(shown) : 2 * rbm.sites;
        std::string title = models.size() == 1 ? fmt::format("{}: {} couplings", model_paths.front(),
                                                             analysis::to_string(approximation))
                                               : fmt::format("{} and {} more: {} couplings averaged", model_paths.front(),
                                                             models.size() - 1, analysis::to_string(approximation));
        for (const analysis::Ppv& p : ppv)
            if (p.label == "L" && p.cutoff == 8.0) title += fmt::format(", PPV top L at 8 A {:.2f}", p.ppv);
        OutputFile out(map_path, common.force);
        out.stream() << analysis::contact_map_svg(ranked, rbm.columns, distances ? &*distances : nullptr, drawn, title, 5,
                                                  fmt::format("pottsrbm {} ({}) contacts, seed {}", version_string,
                                                              git_revision, sampling.seed));
        out.commit();
        log::info("contact map written to {}", map_path);
    }
    if (distances && output != "-") std::cout << ppv_text.str();
    return 0;
}

}  // namespace pottsrbm::cli
