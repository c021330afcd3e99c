// Shared command-line plumbing (see cli.hpp).
#include "cli.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/log.hpp"
#include "pottsrbm/core/threads.hpp"

#include <fmt/format.h>

#include <iostream>
#include <limits>
#include <sstream>

namespace pottsrbm::cli {
namespace {
std::string g_command_line;
}

void add_common_options(po::options_description& options, CommonOptions& common, bool with_force) {
    // clang-format off
    options.add_options()
        ("help,h", "show this help and exit")
        ("quiet,q", po::bool_switch(&common.quiet), "only warnings and errors on stderr")
        ("verbose,v", po::bool_switch(&common.verbose), "debug messages on stderr")
        ("threads,t", defaulted(&common.threads), "worker threads (0 = all cores)")
        ("log", po::value(&common.log_file)->value_name("FILE"), "also append log lines to FILE");
    if (with_force)
        options.add_options()("force,f", po::bool_switch(&common.force), "overwrite existing output files");
    // clang-format on
}

namespace {

/// Parses `args` with `parser` (the visible options plus the hidden positional ones); --help
/// lists `visible` only, so positional arguments are named in the usage line alone.
bool parse_arguments(std::string_view verb, std::string_view usage, const std::vector<std::string>& args,
                     const po::options_description& visible, const po::options_description& parser,
                     const po::positional_options_description& positional, po::variables_map& values) {
    const int style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
    try {
        po::store(po::command_line_parser(args).options(parser).positional(positional).style(style).run(), values);
        if (values.count("help") != 0U) {
            std::ostringstream listing;
            listing << visible;
            std::string text = listing.str();
            text.erase(0, text.find_first_not_of('\n'));  // a description made of groups starts with a blank line
            std::cout << "usage: pottsrbm " << verb << ' ' << usage << "\n\n" << text << '\n';
            return false;
        }
        po::notify(values);
    } catch (const po::error& e) {
        throw UsageError(fmt::format("{}: {} (see 'pottsrbm {} --help')", verb, e.what(), verb));
    }
    return true;
}

}  // namespace

bool parse(std::string_view verb, std::string_view usage, const std::vector<std::string>& args,
           const po::options_description& options, std::initializer_list<Positional> positionals,
           po::variables_map& values) {
    po::options_description hidden;
    po::positional_options_description positional;
    for (const Positional& argument : positionals) {
        hidden.add_options()(argument.name, argument.value);
        positional.add(argument.name, argument.count);
    }
    po::options_description parser;
    parser.add(options).add(hidden);
    return parse_arguments(verb, usage, args, options, parser, positional, values);
}

void apply_common(const CommonOptions& common) {
    if (common.quiet && common.verbose) throw UsageError("--quiet and --verbose cannot be used together");
    log::set_level(common.quiet ? log::Level::warn : common.verbose ? log::Level::debug : log::Level::info);
    if (!common.log_file.empty()) log::set_file(common.log_file);
    require_range("--threads", common.threads, 0, 4096);
    set_threads(static_cast<int>(common.threads));
}

long long require_range(std::string_view option, long long value, long long min, long long max) {
    if (value < min || value > max) {
        if (max == std::numeric_limits<long long>::max())
            throw UsageError(fmt::format("{}: expected a value >= {}, got {}", option, min, value));
        throw UsageError(fmt::format("{}: expected a value in [{}, {}], got {}", option, min, max, value));
    }
    return value;
}

std::string command_line() { return g_command_line; }

void set_command_line(int argc, char** argv) {
    g_command_line.clear();
    for (int i = 0; i < argc; ++i) {
        if (i > 0) g_command_line += ' ';
        g_command_line += argv[i];
    }
}

}  // namespace pottsrbm::cli
