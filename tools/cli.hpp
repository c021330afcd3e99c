// Shared command-line plumbing for the pottsrbm verbs: common options (-q, -v, --threads,
// --log, --force), parsing with Boost.Program_options (no option guessing; parse errors become
// UsageError), help text, and checked conversions of signed counts.
#pragma once

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace pottsrbm::cli {

namespace po = boost::program_options;

/// Options every verb accepts.
struct CommonOptions {
    bool quiet = false;
    bool verbose = false;
    long long threads = 0;
    std::string log_file;
    bool force = false;
};

/// One verb of the `pottsrbm` binary.
struct Command {
    std::string_view name;
    std::string_view summary;
    int (*run)(const std::vector<std::string>& args);
};

/// The dispatch table (defined in main.cpp).
[[nodiscard]] const std::vector<Command>& commands();

/// An option value bound to `target` whose default is the current value of *target, shown in
/// --help in its shortest form (0.005, not 0.0050000000000000001).
template <typename T>
po::typed_value<T>* defaulted(T* target) {
    return po::value(target)->default_value(*target, fmt::format("{}", *target));
}

/// Adds -q/-v/--threads/--log/--force (and --help) to `options`.
void add_common_options(po::options_description& options, CommonOptions& common, bool with_force = true);

/// A positional argument: the option `name` that receives it (`count` occurrences, -1 = all
/// that remain), parsed as a hidden option: --help names it in the usage line only.
struct Positional {
    const char* name;
    po::value_semantic* value;  ///< e.g. po::value(&path); owned by the parser once added
    int count = 1;
};

/// Parses `args` (without the verb), the positional arguments going to `positionals` in order.
/// Returns false when --help was given (help already printed: `options`, with the positional
/// arguments named in the usage line only). Unknown options, missing values and bad types throw
/// UsageError naming the option.
bool parse(std::string_view verb, std::string_view usage, const std::vector<std::string>& args,
           const po::options_description& options, std::initializer_list<Positional> positionals,
           po::variables_map& values);

/// Applies the common options: log level, log file, thread count (validated).
void apply_common(const CommonOptions& common);

/// Checks a count read as signed: throws UsageError "--name: expected ... , got VALUE".
long long require_range(std::string_view option, long long value, long long min, long long max);

/// The full command line, for provenance in output headers.
[[nodiscard]] std::string command_line();
void set_command_line(int argc, char** argv);

}  // namespace pottsrbm::cli

namespace pottsrbm::io {
struct PreprocessParams;
}

namespace pottsrbm::cli {
/// Adds the alignment reading, filtering and weighting options shared by stats and train.
void add_preprocess_options(po::options_description& options, io::PreprocessParams& params);
}  // namespace pottsrbm::cli
