// `pottsrbm score MODEL [ALIGNMENT]`: free energies and log-likelihoods of sequences, or mutational
// effects Delta F = F(mutant) - F(wild type) of every single mutant of a wild type (--mutants) or of
// listed mutants (--mutant-list, --dms), with the Spearman correlation against a DMS score column.
// Positions map to alignment columns through a column map or an offset (docs/design.md).
#include "cli.hpp"
#include "commands.hpp"

#include "pottsrbm/core/alphabet.hpp"
#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/log.hpp"
#include "pottsrbm/core/output_file.hpp"
#include "pottsrbm/design/mutations.hpp"
#include "pottsrbm/design/sequences.hpp"
#include "pottsrbm/io/alignment_reader.hpp"
#include "pottsrbm/io/sequence_spec.hpp"
#include "pottsrbm/model/model_file.hpp"
#include "pottsrbm/version.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

namespace pottsrbm::cli {
namespace {

std::string wild_type_text(const std::vector<std::uint8_t>& states) {
    std::string text;
    for (const auto s : states) text += letter_of(s);
    return text;
}

std::string columns_text(const design::MutantScore& score) {
    std::string text;
    for (const int column : score.columns) text += fmt::format("{}{}", text.empty() ? "" : ",", column < 0 ? std::string("-") : std::to_string(column + 1));
    return text;
}

std::string value_text(double value) { return std::isfinite(value) ? fmt::format("{:.6g}", value) : std::string("NA"); }

}  // namespace

int run_score(const std::vector<std::string>& args) {
    CommonOptions common;
    std::string model_path;
    std::string alignment_path;
    std::string output = "-";
    std::string mutants_wt;
    std::string mutant_list;
    std::string dms_path;
    std::string mutant_column = "mutant";
    std::string score_column;
    std::string wt_spec;
    std::string column_map;
    long long offset = 0;

    po::options_description options("score options");
    // clang-format off
    options.add_options()
        ("output,o", defaulted(&output), "TSV file to write ('-' = stdout)")
        ("mutants", po::value(&mutants_wt)->value_name("WT"), "score every single mutant of WT (an id of ALIGNMENT or an aligned sequence)")
        ("mutant-list", po::value(&mutant_list)->value_name("FILE"), "score the mutants listed in FILE (one per line, or a CSV/TSV with a mutant column)")
        ("dms", po::value(&dms_path)->value_name("FILE"), "score the mutants of a DMS table (CSV/TSV, gzip ok) and report the Spearman correlation")
        ("dms-mutant-column", defaulted(&mutant_column), "header field of the mutants (H24A or H24A:K30R) in --dms/--mutant-list")
        ("dms-score-column", po::value(&score_column)->value_name("NAME"), "header field of the measured scores in --dms")
        ("wt", po::value(&wt_spec)->value_name("WT"), "wild type of --dms/--mutant-list: an id of ALIGNMENT or an aligned sequence (default: the wt_aa field of --column-map)")
        ("column-map", po::value(&column_map)->value_name("FILE"), "TSV with msa_col (1-based alignment column), dms_pos (residue number), optional wt_aa")
        ("offset", defaulted(&offset), "without --column-map: alignment column = position - offset");
    // clang-format on
    add_common_options(options, common);
    po::variables_map values;
    if (!parse("score", "MODEL [ALIGNMENT] [--mutants WT | --mutant-list FILE | --dms FILE] [options]", args, options,
               {{"model", po::value(&model_path)}, {"alignment", po::value(&alignment_path)}}, values))
        return 0;
    apply_common(common);

    if (model_path.empty()) throw UsageError("score: missing MODEL (see 'pottsrbm score --help')");
    const int modes = (mutants_wt.empty() ? 0 : 1) + (mutant_list.empty() ? 0 : 1) + (dms_path.empty() ? 0 : 1);
    if (modes > 1) throw UsageError("score: --mutants, --mutant-list and --dms are alternatives; give one");
    if (modes == 0 && alignment_path.empty())
        throw UsageError("score: give an ALIGNMENT to score, or --mutants WT, --mutant-list FILE or --dms FILE");
    if (!dms_path.empty() && score_column.empty()) throw UsageError("--dms: give the measured score column with --dms-score-column NAME");
    if (dms_path.empty() && !score_column.empty()) throw UsageError("--dms-score-column: only used with --dms FILE");
    if (!column_map.empty() && values.count("offset") != 0U && !values["offset"].defaulted())
        throw UsageError("--offset: give either --column-map or --offset, not both");
    const auto given = [&](const char* option) { return values.count(option) != 0U && !values[option].defaulted(); };
    if (modes == 0)
        for (const char* option : {"column-map", "wt", "offset", "dms-mutant-column"})
            if (given(option)) throw UsageError(fmt::format("--{}: only used when scoring mutants", option));
    if (!mutants_wt.empty() && given("dms-mutant-column"))
        throw UsageError("--dms-mutant-column: only used with --dms or --mutant-list");
    require_range("--offset", offset, -1'000'000'000LL, 1'000'000'000LL);
    if (!mutants_wt.empty() && !wt_spec.empty()) throw UsageError("--wt: --mutants names the wild type already");
    if (output != "-") check_can_write(output, common.force);

    const model::Rbm rbm = model::load_model(model_path);
    if (rbm.states != q_states)
        throw InputError(fmt::format("{}: the model has q = {} states; scoring needs the 21-letter protein alphabet",
                                     model_path, rbm.states));
    std::optional<msa::Alignment> alignment;
    if (!alignment_path.empty()) alignment = io::read_alignment(alignment_path);

    std::vector<std::string> header = {
        fmt::format("pottsrbm {} ({}) score (deterministic: no random seed)", version_string, git_revision),
        fmt::format("command: {}", command_line()),
        fmt::format("model: {} (N = {} sites, H = {} {} hidden units{})", model_path, rbm.sites, rbm.units(),
                    model::to_string(rbm.hidden.type),
                    rbm.has_log_z ? fmt::format(", AIS log Z = {:.4f} +- {:.4f}", rbm.log_z, rbm.log_z_error) : ""),
    };

    if (modes == 0) {
        const model::StateMatrix sequences = design::project_onto_model(*alignment, rbm.columns);
        Eigen::VectorXd energies(sequences.rows());
        model::free_energy(rbm, sequences, energies);
        if (!rbm.has_log_z)
            log::info("the model carries no AIS log Z (trained with --ais-chains 0): log-likelihoods are NA");
        OutputFile out(output, common.force);
        for (const auto& line : header) out.stream() << "# " << line << '\n';
        out.stream() << fmt::format("# sequences: {} ({} sequences)\n", alignment_path, sequences.rows());
        out.stream() << "id\tfree_energy\tlog_likelihood\tlog_likelihood_se\n";
        for (Eigen::Index m = 0; m < sequences.rows(); ++m) {
            out.stream() << alignment->ids[static_cast<std::size_t>(m)] << '\t' << fmt::format("{:.6f}", energies[m]) << '\t'
                         << (rbm.has_log_z ? fmt::format("{:.6f}\t{:.4f}", -energies[m] - rbm.log_z, rbm.log_z_error)
                                           : std::string("NA\tNA"))
                         << '\n';
        }
        out.commit();
        log::info("scored {} sequences of {}", sequences.rows(), alignment_path);
        return 0;
    }

    // Mutational effects.
    int last_column = rbm.columns.empty() ? 0 : *std::max_element(rbm.columns.begin(), rbm.columns.end()) + 1;
    if (alignment) last_column = std::max(last_column, alignment->original_length);
    const design::PositionMap map =
        column_map.empty() ? design::PositionMap::from_offset(offset, last_column) : design::PositionMap::read(column_map);
    const msa::Alignment* lookup = alignment ? &*alignment : nullptr;
    io::NamedSequence wild_type;
    if (!mutants_wt.empty()) {
        wild_type = io::resolve_sequence("--mutants", mutants_wt, rbm.columns, lookup);
    } else if (!wt_spec.empty()) {
        wild_type = io::resolve_sequence("--wt", wt_spec, rbm.columns, lookup);
    } else {
        if (!map.is_table()) throw UsageError("--wt: give the wild type (an id of ALIGNMENT or an aligned sequence), or a --column-map with wt_aa");
        int residues = 0;
        wild_type.name = fmt::format("wt_aa of {}", column_map);
        wild_type.states = design::wild_type_from_map(map, rbm.columns, &residues);
        log::info("wild type from the wt_aa field of {}: {} of {} model sites hold a residue, the others a gap", column_map,
                  residues, rbm.sites);
    }
    design::check_wild_type_against_map(wild_type.states, map, rbm.columns, wild_type.name);
    header.push_back(fmt::format("wild type ({}): {}", wild_type.name, wild_type_text(wild_type.states)));
    header.push_back(fmt::format("positions -> alignment columns: {}", map.is_table() ? "column map " + map.source()
                                                                                     : fmt::format("column = position - {}", offset)));
    header.push_back(fmt::format("F(wild type) = {:.6f}", model::free_energy(rbm, wild_type.states.data())));

    std::vector<design::MutantScore> scores;
    std::vector<double> measured;
    if (!mutants_wt.empty()) {
        int skipped = 0;
        scores = design::score_all_single_mutants(rbm, wild_type.states, map, &skipped);
        if (skipped > 0)
            log::warn("{} model sites have no position in {}: their single mutants are not listed", skipped, map.source());
    } else {
        const std::string& path = dms_path.empty() ? mutant_list : dms_path;
        const design::MutantTable table = design::read_mutant_table(path, mutant_column, score_column);
        std::vector<design::Mutant> mutants;
        mutants.reserve(table.mutants.size());
        for (std::size_t k = 0; k < table.mutants.size(); ++k)
            mutants.push_back(design::parse_mutant(table.mutants[k], table.contexts[k]));
        scores = design::score_mutants(rbm, wild_type.states, map, mutants, table.contexts);
        measured = table.scores;
        header.push_back(fmt::format("mutants: {} ({} rows)", path, mutants.size()));
    }

    std::int64_t counts[3] = {0, 0, 0};
    for (const auto& s : scores) counts[static_cast<int>(s.status)] += 1;
    const std::string summary = fmt::format("{} mutants: {} scored, {} outside the modeled columns, {} unaligned (no column "
                                            "for a position)",
                                            scores.size(), counts[0], counts[1], counts[2]);
    header.push_back(summary);
    log::info("{}", summary);
    if (!measured.empty()) {
        std::vector<double> predicted, observed;
        std::int64_t synonymous = 0, missing = 0;
        for (std::size_t k = 0; k < scores.size(); ++k) {
            if (scores[k].status != design::MutantStatus::scored) continue;
            if (scores[k].mutant.synonymous()) {
                ++synonymous;
                continue;
            }
            if (!std::isfinite(measured[k])) {
                ++missing;
                continue;
            }
            predicted.push_back(-scores[k].delta_f);
            observed.push_back(measured[k]);
        }
        const double rho = design::spearman(predicted, observed);
        const std::string line = fmt::format(
            "Spearman rho(-delta_F, {}) = {} over {} scored mutants (excluded: {} synonymous, {} without a score, {} "
            "outside the model, {} unaligned)",
            score_column, std::isfinite(rho) ? fmt::format("{:.4f}", rho) : std::string("nan"), predicted.size(), synonymous,
            missing, counts[1], counts[2]);
        header.push_back(line);
        log::info("{}", line);
    }

    OutputFile out(output, common.force);
    for (const auto& line : header) out.stream() << "# " << line << '\n';
    out.stream() << "mutant\tstatus\tcolumns\tdelta_F";
    if (!measured.empty()) out.stream() << '\t' << score_column;
    out.stream() << '\n';
    for (std::size_t k = 0; k < scores.size(); ++k) {
        out.stream() << scores[k].mutant.name << '\t' << design::to_string(scores[k].status) << '\t' << columns_text(scores[k])
                     << '\t' << value_text(scores[k].delta_f);
        if (!measured.empty()) out.stream() << '\t' << value_text(measured[k]);
        out.stream() << '\n';
    }
    out.commit();
    return 0;
}

}  // namespace pottsrbm::cli
