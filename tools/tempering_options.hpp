// The parallel-tempering options of design::SamplerParams, shared by `sample` and `eval`: the
// values bind to the parameters directly (SamplerParams::validate names the option of a bad
// value); --tempering-min-beta without --tempering K > 1 is a usage error here, because only the
// parsed options tell whether it was given.
#pragma once

#include "cli.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/design/sampler.hpp"

#include <array>

namespace pottsrbm::cli {

/// Option names (without "--"), e.g. to reject them where they would be ignored.
inline constexpr std::array<const char*, 2> tempering_option_names = {"tempering", "tempering-min-beta"};

inline void add_tempering_options(po::options_description& options, design::SamplerParams& params) {
    // clang-format off
    options.add_options()
        ("tempering", defaulted(&params.temperatures),
         "parallel tempering over K inverse temperatures (1 = off; finds deep modes that plain chains miss)")
        ("tempering-min-beta", defaulted(&params.tempering_min_beta), "hottest inverse temperature of the tempering ladder");
    // clang-format on
}

/// UsageError when --tempering-min-beta was given with --tempering 1.
inline void check_tempering_options(const po::variables_map& values, const design::SamplerParams& params) {
    if (params.temperatures == 1 && values.count("tempering-min-beta") != 0U && !values["tempering-min-beta"].defaulted())
        throw UsageError("--tempering-min-beta: only used with --tempering K > 1");
}

}  // namespace pottsrbm::cli
