// `pottsrbm stats ALIGNMENT`: reads, filters and weights an alignment exactly as training will,
// prints a summary (text or JSON) and optionally writes the weights and the filtered FASTA.
#include "cli.hpp"
#include "commands.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/log.hpp"
#include "pottsrbm/core/output_file.hpp"
#include "pottsrbm/io/alignment_reader.hpp"
#include "pottsrbm/io/alignment_writer.hpp"
#include "pottsrbm/msa/filter.hpp"
#include "pottsrbm/io/preprocess.hpp"
#include "pottsrbm/msa/stats.hpp"
#include "pottsrbm/msa/weights.hpp"

#include <chrono>

namespace pottsrbm::cli {

int run_stats(const std::vector<std::string>& args) {
    CommonOptions common;
    io::PreprocessParams params;
    std::string input;
    bool json = false;
    std::string weights_out;
    std::string filtered_out;
    std::string output = "-";

    po::options_description options("stats options");
    add_preprocess_options(options, params);
    // clang-format off
    options.add_options()
        ("json", po::bool_switch(&json), "print JSON instead of text")
        ("output,o", defaulted(&output)->value_name("FILE"), "write the summary to FILE ('-' = stdout)")
        ("write-weights", po::value(&weights_out)->value_name("FILE"), "write one weight per sequence (input order after filters)")
        ("write-filtered", po::value(&filtered_out)->value_name("FILE"), "write the filtered alignment (what training sees) as FASTA");
    // clang-format on
    add_common_options(options, common);
    po::variables_map values;
    if (!parse("stats", "ALIGNMENT [options]", args, options, {{"input", po::value(&input)}}, values)) return 0;
    apply_common(common);
    if (input.empty()) throw UsageError("stats: missing ALIGNMENT (see 'pottsrbm stats --help')");
    params.validate();
    for (const auto& path : {output, weights_out, filtered_out})
        if (!path.empty()) check_can_write(path, common.force);

    const io::PreparedAlignment prepared = io::prepare_alignment(input, params);
    const msa::AlignmentStats stats = msa::compute_stats(prepared.alignment, prepared.weights, prepared.filters,
                                                         params.identity, !params.no_weights);
    {
        OutputFile out(output, common.force);
        if (json)
            msa::write_stats_json(out.stream(), prepared.alignment, stats);
        else
            msa::write_stats_text(out.stream(), prepared.alignment, stats);
        out.commit();
    }
    if (!weights_out.empty()) {
        OutputFile out(weights_out, common.force);
        msa::write_weights(out.stream(), prepared.weights);
        out.commit();
        log::info("wrote {} weights to {}", prepared.weights.size(), weights_out);
    }
    if (!filtered_out.empty()) {
        OutputFile out(filtered_out, common.force);
        io::write_fasta(out.stream(), prepared.alignment);
        out.commit();
        log::info("wrote {} sequences to {}", prepared.alignment.sequences(), filtered_out);
    }
    return 0;
}

}  // namespace pottsrbm::cli
