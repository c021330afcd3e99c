// Outputs of `pottsrbm path` (formats in docs/paths.md): the best path as FASTA of its distinct
// sequences and as a per-step TSV with the inputs of the hidden units that change most, the
// statistics of the sampled mutations, the mean-field marginals, and an SVG of F along the
// sampled path next to the greedy direct path and the natural sequences' range of F.
// Every text output starts with the program version, the seed and the command line.
#pragma once

#include "pottsrbm/model/rbm.hpp"
#include "pottsrbm/paths/mean_field.hpp"
#include "pottsrbm/paths/path.hpp"
#include "pottsrbm/paths/sampler.hpp"

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace pottsrbm::paths {

/// Provenance and names printed in every output.
struct ReportContext {
    std::string program;       ///< "pottsrbm 0.1.0 (git revision)"
    std::string command_line;
    std::uint64_t seed = 0;
    std::string model;         ///< model file
    std::string from_name;     ///< id of A, or "literal"
    std::string to_name;       ///< id of B, "literal", or "" with a free end
};

/// F of natural sequences (an alignment projected onto the model's columns).
struct NaturalRange {
    std::string source;
    long long sequences = 0;
    double min = 0, p01 = 0, median = 0, p99 = 0, max = 0;
};
/// Summary of the free energies of natural sequences (at least one value).
[[nodiscard]] NaturalRange natural_range(const std::string& source, const Eigen::VectorXd& free_energies);

/// The `count` hidden units whose term Gamma_mu(I_mu) varies most along the path (range over the
/// steps), most varying first; fewer when H < count.
[[nodiscard]] std::vector<int> important_units(const model::Rbm& rbm, const Path& path, int count);

/// FASTA of the path's distinct sequences in order of first appearance (N letters each, over the
/// model's columns), headers ">step_T name F=... d_A=... d_B=... MUTATIONS".
void write_path_fasta(std::ostream& out, const model::Rbm& rbm, const PathSpec& spec, const Path& path,
                      const ReportContext& context);

/// TSV: step, mutation (K12R, comma-separated when several, '.' for none), F, d_A, d_B, and the
/// input I_mu of each unit in `units` (columns I_h<mu+1>). `notes` are written as '#' lines.
void write_path_tsv(std::ostream& out, const model::Rbm& rbm, const PathSpec& spec, const Path& path,
                    const std::vector<int>& units, const ReportContext& context, const std::vector<std::string>& notes);

/// TSV of the sampled mutations: mutation, column, path_fraction, mean_count, mean_step,
/// mean_rank, and the mean-field estimate of the switch step of direct mutations (A_i -> B_i).
void write_mutation_statistics(std::ostream& out, const model::Rbm& rbm, const PathSpec& spec,
                               const SamplingResult& sampled, const MeanFieldResult* mean_field,
                               const ReportContext& context);

/// Long-format TSV of the mean-field marginals: step, column, residue, probability (entries with
/// probability >= min_probability), after '#' lines with E[d(x_t, x_{t+1})] per step.
void write_mean_field(std::ostream& out, const model::Rbm& rbm, const PathSpec& spec, const MeanFieldResult& result,
                      const ReportContext& context, double min_probability = 0.01);

/// SVG: F(x_t) along the best sampled path, the greedy direct path (when given), the mean +- sd
/// of the sampled ensemble (when samples exist) and the natural range (when given).
[[nodiscard]] std::string path_svg(const model::Rbm& rbm, const PathSpec& spec, const Path& best, const Path* greedy,
                                   const SamplingResult* sampled, const NaturalRange* natural,
                                   const ReportContext& context);

}  // namespace pottsrbm::paths
