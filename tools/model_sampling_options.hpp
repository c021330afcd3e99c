// The options of analysis::sample_model (model samples for the input histograms and importance of
// `motifs`, and the coupling averages of `contacts` without data), shared by both verbs: the
// counts bind to the parameters directly (SamplingParams::validate names the option of a bad
// value); the seed is read signed and checked, so that "-1" is not taken as 2^64 - 1.
// ModelVerbParser assembles and parses the option groups that both verbs share.
#pragma once

#include "cli.hpp"

#include "pottsrbm/analysis/units.hpp"

#include <array>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace pottsrbm::cli {

struct ModelSamplingOptions {
    analysis::SamplingParams params;
    long long seed = static_cast<long long>(analysis::SamplingParams{}.seed);

    /// Option names (without "--"), e.g. to reject them where they would be ignored.
    static constexpr std::array<const char*, 5> names = {"chains", "burn-in", "snapshots", "snapshot-every", "seed"};

    void add_to(po::options_description& options) {
        // clang-format off
        options.add_options()
            ("chains", defaulted(&params.chains), "independent Gibbs chains")
            ("burn-in", defaulted(&params.burn_in), "sweeps before the first snapshot")
            ("snapshots", defaulted(&params.snapshots), "snapshots per chain")
            ("snapshot-every", defaulted(&params.snapshot_every), "sweeps between snapshots")
            ("seed", defaulted(&seed), "random seed");
        // clang-format on
    }

    /// The checked parameters (UsageError naming the option).
    [[nodiscard]] analysis::SamplingParams resolve() const {
        analysis::SamplingParams out = params;
        out.seed = static_cast<std::uint64_t>(require_range("--seed", seed, 0, std::numeric_limits<long long>::max()));
        out.validate();
        return out;
    }
};

/// Parser of a verb that samples a MODEL (its positional arguments: one, or several for the vector
/// overload) and may read alignment data: the verb's own options, then the sampling, data and
/// general groups (--help lists them in this order).
struct ModelVerbParser {
    po::options_description data_options{"data options (as for training)"};
    po::variables_map values;

    /// Parses `args` into the targets and applies the common options; false when --help was printed.
    bool parse(std::string_view verb, std::string_view usage, const std::vector<std::string>& args,
               const po::options_description& verb_options, const std::string& sampling_title,
               ModelSamplingOptions& sampling, io::PreprocessParams& data_params, CommonOptions& common,
               std::string& model_path) {
        return parse_with(verb, usage, args, verb_options, sampling_title, sampling, data_params, common,
                          {"model", po::value(&model_path)});
    }

    /// The same with any number of MODEL arguments.
    bool parse(std::string_view verb, std::string_view usage, const std::vector<std::string>& args,
               const po::options_description& verb_options, const std::string& sampling_title,
               ModelSamplingOptions& sampling, io::PreprocessParams& data_params, CommonOptions& common,
               std::vector<std::string>& model_paths) {
        return parse_with(verb, usage, args, verb_options, sampling_title, sampling, data_params, common,
                          {"model", po::value(&model_paths), -1});
    }

    bool parse_with(std::string_view verb, std::string_view usage, const std::vector<std::string>& args,
                    const po::options_description& verb_options, const std::string& sampling_title,
                    ModelSamplingOptions& sampling, io::PreprocessParams& data_params, CommonOptions& common,
                    Positional model) {
        po::options_description sampling_description(sampling_title);
        sampling.add_to(sampling_description);
        add_preprocess_options(data_options, data_params);
        po::options_description general("general options");
        add_common_options(general, common);
        po::options_description all;
        all.add(verb_options).add(sampling_description).add(data_options).add(general);
        if (!cli::parse(verb, usage, args, all, {model}, values)) return false;
        apply_common(common);
        return true;
    }

    /// Whether --`option` was given on the command line (not just defaulted).
    [[nodiscard]] bool given(const std::string& option) const {
        return values.count(option) != 0U && !values[option].defaulted();
    }
};

}  // namespace pottsrbm::cli
