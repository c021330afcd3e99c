// Logging to stderr (and optionally a log file) with levels set by -q / -v.
// Results never go through this module: they go to stdout or to output files.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace pottsrbm::log {

enum class Level { quiet = 0, warn = 1, info = 2, debug = 3 };

/// Sets the stderr verbosity (default info).
void set_level(Level level);
[[nodiscard]] Level level();
/// Also appends every message of level <= info, with a timestamp, to this file ("" closes it).
void set_file(const std::string& path);
/// True when stderr is a terminal and the level allows progress bars.
[[nodiscard]] bool interactive();

void write(Level level, std::string_view message);

template <typename... Args>
void warn(fmt::format_string<Args...> format, Args&&... args) {
    if (level() >= Level::warn) write(Level::warn, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void info(fmt::format_string<Args...> format, Args&&... args) {
    if (level() >= Level::info) write(Level::info, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void debug(fmt::format_string<Args...> format, Args&&... args) {
    if (level() >= Level::debug) write(Level::debug, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace pottsrbm::log
