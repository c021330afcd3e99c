// The options of analysis::sample_model (model samples for the input histograms and importance of
// `motifs`, and the coupling averages of `contacts` without data), shared by both verbs: the
// counts bind to the parameters directly (SamplingParams::validate names the option of a bad
// value); the seed is read signed and checked, so that "-1" is not taken as 2^64 - 1.
#pragma once

#include "cli.hpp"

#include "pottsrbm/analysis/units.hpp"

#include <array>
#include <limits>

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

}  // namespace pottsrbm::cli
