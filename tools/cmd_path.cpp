// `pottsrbm path MODEL --from A [--to B] [-o PREFIX]`: samples low free-energy mutational paths
// between two sequences (or from one, anchored exploration), anneals to the best path, solves the
// mean-field approximation and compares with the greedy direct path (docs/paths.md).
#include "cli.hpp"
#include "commands.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/log.hpp"
#include "pottsrbm/core/output_file.hpp"
#include "pottsrbm/io/alignment_reader.hpp"
#include "pottsrbm/io/sequence_spec.hpp"
#include "pottsrbm/model/model_file.hpp"
#include "pottsrbm/paths/mean_field.hpp"
#include "pottsrbm/paths/path.hpp"
#include "pottsrbm/paths/report.hpp"
#include "pottsrbm/paths/sampler.hpp"
#include "pottsrbm/version.hpp"

#include <fmt/format.h>

#include <iostream>
#include <limits>
#include <optional>

namespace pottsrbm::cli {
namespace {

// Rows of an alignment read unfiltered, projected onto the model's original columns.
model::StateMatrix project_alignment(const msa::Alignment& alignment, const std::vector<int>& model_columns) {
    std::vector<int> position(static_cast<std::size_t>(std::max(alignment.original_length, 1)), -1);
    for (std::size_t c = 0; c < alignment.columns.size(); ++c) {
        const int original = alignment.columns[c];
        if (original >= 0 && original < static_cast<int>(position.size()))
            position[static_cast<std::size_t>(original)] = static_cast<int>(c);
    }
    model::StateMatrix projected(alignment.states.rows(), static_cast<Eigen::Index>(model_columns.size()));
    for (std::size_t i = 0; i < model_columns.size(); ++i) {
        const int original = model_columns[i];
        const int column = original < static_cast<int>(position.size()) ? position[static_cast<std::size_t>(original)] : -1;
        if (column < 0)
            throw InputError(fmt::format("{}: the alignment has no column {} of the model", alignment.source, original + 1));
        projected.col(static_cast<Eigen::Index>(i)) = alignment.states.col(column);
    }
    return projected;
}

std::string describe_barrier(const paths::Barrier& b) {
    return fmt::format("barrier {:.3f} (max F {:.3f} at step {})", b.height, b.max_free_energy, b.argmax);
}

}  // namespace

int run_path(const std::vector<std::string>& args) {
    CommonOptions common;
    paths::PathSpec spec;
    paths::SamplerParams sampler;
    paths::MeanFieldParams mf;
    std::string model_path;
    std::string from;
    std::string to;
    std::string alignment_path;
    std::string prefix;
    bool no_mean_field = false;
    long long steps = 0;
    long long max_distance = spec.max_distance;
    long long paths_count = sampler.paths;
    long long seed = static_cast<long long>(sampler.seed);
    long long units = 5;
    long long mf_iterations = mf.max_iterations;

    po::options_description options("path options");
    // clang-format off
    options.add_options()
        ("from", po::value(&from)->value_name("SEQ"), "start sequence A: an id of --alignment or a literal aligned sequence (required)")
        ("to", po::value(&to)->value_name("SEQ"), "end sequence B (omit for anchored exploration from A)")
        ("alignment,a", po::value(&alignment_path)->value_name("FILE"), "alignment for ids and the natural range of F (read unfiltered)")
        ("output,o", po::value(&prefix)->value_name("PREFIX"), "write PREFIX.{fasta,tsv,svg,mutations.tsv,meanfield.tsv} "
                                                               "(default: the best path's TSV on stdout)")
        ("steps,T", defaulted(&steps), "path length T (0 = d(A,B) + max(2, ceil(d/5)); 10 with a free end)")
        ("beta", defaulted(&spec.beta), "weight of the landscape: exp(-beta * sum_t F(x_t))")
        ("lambda", defaulted(&spec.lambda), "cost of each mutation: exp(-lambda * sum_t d(x_t, x_t+1))")
        ("max-distance", defaulted(&max_distance), "hard constraint d(x_t, x_t+1) <= this (0 = none)")
        ("paths", defaulted(&paths_count), "independent Markov chains over paths")
        ("burn-in", defaulted(&sampler.burn_in), "sweeps at --beta before the first sample")
        ("sweeps", defaulted(&sampler.sweeps), "sampling sweeps at --beta per chain")
        ("spacing", defaulted(&sampler.spacing), "sweeps between recorded samples")
        ("anneal-sweeps", defaulted(&sampler.anneal_sweeps), "sweeps of annealing from --beta to --beta-max")
        ("beta-max", defaulted(&sampler.beta_max), "final inverse temperature of the annealing")
        ("seed", defaulted(&seed), "random seed")
        ("units", defaulted(&units), "hidden units whose inputs are listed in the TSV")
        ("no-mean-field", po::bool_switch(&no_mean_field), "skip the mean-field approximation")
        ("mf-iterations", defaulted(&mf_iterations), "largest number of mean-field iterations")
        ("mf-tolerance", defaulted(&mf.tolerance), "mean-field convergence: largest marginal change of an iteration");
    // clang-format on
    add_common_options(options, common);
    po::variables_map values;
    if (!parse("path", "MODEL --from A [--to B] [-a ALIGNMENT] [-o PREFIX] [options]", args, options,
               {{"model", po::value(&model_path)}}, values))
        return 0;
    apply_common(common);

    if (model_path.empty()) throw UsageError("path: missing MODEL (see 'pottsrbm path --help')");
    if (from.empty()) throw UsageError("path: missing --from SEQ");
    require_range("--steps", steps, 0, 1'000'000);
    spec.max_distance = static_cast<int>(require_range("--max-distance", max_distance, 0, 1'000'000));
    sampler.paths = static_cast<int>(require_range("--paths", paths_count, 1, 1'000'000));
    sampler.seed = static_cast<std::uint64_t>(require_range("--seed", seed, 0, std::numeric_limits<long long>::max()));
    require_range("--units", units, 0, 1'000'000);
    mf.max_iterations = static_cast<int>(require_range("--mf-iterations", mf_iterations, 1, 100'000'000));
    const bool with_mean_field = !no_mean_field;
    sampler.validate(spec.beta);
    mf.validate();
    const std::vector<std::string> suffixes = {".fasta", ".tsv", ".svg", ".mutations.tsv", ".meanfield.tsv"};
    if (!prefix.empty())
        for (const auto& suffix : suffixes)
            if (suffix != ".meanfield.tsv" || with_mean_field) check_can_write(prefix + suffix, common.force);

    const model::Rbm rbm = model::load_model(model_path);
    std::optional<msa::Alignment> alignment;
    if (!alignment_path.empty()) alignment = io::read_alignment(alignment_path);
    const msa::Alignment* aligned = alignment ? &*alignment : nullptr;
    const io::NamedSequence a = io::resolve_sequence("--from", from, rbm.columns, aligned);
    std::optional<io::NamedSequence> b;
    if (!to.empty()) b = io::resolve_sequence("--to", to, rbm.columns, aligned);
    spec.from = a.states;
    if (b) spec.to = b->states;
    const int distance = b ? paths::hamming(spec.from, spec.to) : -1;
    spec.steps = steps > 0 ? static_cast<int>(steps) : paths::default_steps(distance);
    spec.validate(rbm);
    if (sampler.sweeps == 0 && !prefix.empty())
        log::warn("--sweeps 0: no sampled paths, the mutation statistics will be empty");

    paths::ReportContext context;
    context.program = fmt::format("pottsrbm {} ({})", version_string, git_revision);
    context.command_line = command_line();
    context.seed = sampler.seed;
    context.model = model_path;
    context.from_name = a.name;
    context.to_name = b ? b->name : "";

    std::optional<paths::NaturalRange> natural;
    if (alignment) {
        const model::StateMatrix projected = project_alignment(*alignment, rbm.columns);
        Eigen::VectorXd f(projected.rows());
        model::free_energy(rbm, projected, f);
        natural = paths::natural_range(alignment_path, f);
    }
    const double f_a = model::free_energy(rbm, spec.from.data());
    if (b)
        log::info("A = {} (F = {:.3f}), B = {} (F = {:.3f}), d(A,B) = {}, T = {}", a.name, f_a, b->name,
                  model::free_energy(rbm, spec.to.data()), distance, spec.steps);
    else
        log::info("A = {} (F = {:.3f}), anchored exploration over T = {} steps", a.name, f_a, spec.steps);

    std::optional<paths::Path> greedy;
    if (b) greedy = paths::greedy_direct_path(rbm, spec.from, spec.to);
    const paths::SamplingResult sampled = paths::sample_paths(rbm, spec, sampler);
    const paths::Path& best = sampled.best;
    std::optional<paths::MeanFieldResult> mean_field;
    if (with_mean_field) {
        mean_field = paths::mean_field(rbm, spec, mf);
        if (!mean_field->converged)
            log::warn("mean field did not converge in {} iterations (last change {:.2e}); see --mf-iterations",
                      mean_field->iterations, mean_field->last_change);
    }

    // Summary (also written as notes in the TSV).
    std::vector<std::string> notes;
    const paths::Barrier best_barrier = paths::barrier(best, spec.free_end());
    notes.push_back(fmt::format("best path (chain {} of {}, annealed to beta {}): {}, {} mutations", sampled.best_chain + 1,
                                sampler.paths, sampler.anneal_sweeps > 0 ? sampler.beta_max : spec.beta,
                                describe_barrier(best_barrier), paths::mutations(best).size()));
    if (greedy)
        notes.push_back(fmt::format("greedy direct path: {}", describe_barrier(paths::barrier(*greedy, false))));
    if (sampled.samples > 0) {
        double mean_barrier = 0;
        for (double h : sampled.sample_barriers) mean_barrier += h;
        mean_barrier /= static_cast<double>(sampled.samples);
        notes.push_back(fmt::format("{} sampled paths at beta {}: mean barrier {:.3f}, {:.2f} mutations per path",
                                    sampled.samples, spec.beta, mean_barrier, sampled.mean_mutations));
    }
    for (int c = 0; c < sampler.paths; ++c)
        notes.push_back(fmt::format("chain {}: best {}", c + 1,
                                    describe_barrier(paths::barrier(sampled.chain_best[static_cast<std::size_t>(c)],
                                                                    spec.free_end()))));
    if (natural) {
        int above = 0, below = 0;
        for (int t = 1; t <= spec.last_free_slice(); ++t) {
            above += best.free_energy[t] > natural->max ? 1 : 0;
            below += best.free_energy[t] < natural->min ? 1 : 0;
        }
        notes.push_back(fmt::format("natural sequences ({}, {}): F from {:.3f} to {:.3f} (1% {:.3f}, median {:.3f}, 99% "
                                    "{:.3f}); sampled slices of the best path above the natural max: {}, below the "
                                    "natural min: {}",
                                    natural->source, natural->sequences, natural->min, natural->max, natural->p01,
                                    natural->median, natural->p99, above, below));
    }
    const auto& counts = sampled.counts;
    notes.push_back(fmt::format(
        "acceptance: single-site {:.3f} of allowed ({:.3f} of proposals allowed), exchange {:.3f}",
        counts.single_allowed > 0 ? static_cast<double>(counts.single_accepted) / static_cast<double>(counts.single_allowed) : 0.0,
        counts.single_proposed > 0 ? static_cast<double>(counts.single_allowed) / static_cast<double>(counts.single_proposed) : 0.0,
        counts.exchange_proposed > 0 ? static_cast<double>(counts.exchange_accepted) / static_cast<double>(counts.exchange_proposed) : 0.0));
    if (mean_field)
        notes.push_back(fmt::format("mean field: {} in {} iterations, largest E[d(x_t, x_t+1)] - D = {:.2e}",
                                    mean_field->converged ? "converged" : "NOT converged", mean_field->iterations,
                                    mean_field->constraint_excess));
    for (const auto& note : notes) log::info("{}", note);

    const std::vector<int> top_units = paths::important_units(rbm, best, static_cast<int>(units));
    if (prefix.empty()) {
        paths::write_path_tsv(std::cout, rbm, spec, best, top_units, context, notes);
        std::cout.flush();
        return 0;
    }
    {
        OutputFile out(prefix + ".fasta", common.force);
        paths::write_path_fasta(out.stream(), rbm, spec, best, context);
        out.commit();
    }
    {
        OutputFile out(prefix + ".tsv", common.force);
        paths::write_path_tsv(out.stream(), rbm, spec, best, top_units, context, notes);
        out.commit();
    }
    {
        OutputFile out(prefix + ".svg", common.force);
        out.stream() << paths::path_svg(rbm, spec, best, greedy ? &*greedy : nullptr, &sampled,
                                        natural ? &*natural : nullptr, context);
        out.commit();
    }
    {
        OutputFile out(prefix + ".mutations.tsv", common.force);
        paths::write_mutation_statistics(out.stream(), rbm, spec, sampled, mean_field ? &*mean_field : nullptr, context);
        out.commit();
    }
    if (mean_field) {
        OutputFile out(prefix + ".meanfield.tsv", common.force);
        paths::write_mean_field(out.stream(), rbm, spec, *mean_field, context);
        out.commit();
    }
    log::info("wrote {}.{{fasta,tsv,svg,mutations.tsv{}}}", prefix, mean_field ? ",meanfield.tsv" : "");
    return 0;
}

}  // namespace pottsrbm::cli
