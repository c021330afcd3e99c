// Logging implementation: stderr with level filter, optional timestamped log file.
#include "pottsrbm/core/log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <mutex>
#include <unistd.h>

namespace pottsrbm::log {
namespace {
Level g_level = Level::info;
std::mutex g_mutex;
std::ofstream g_file;

std::string timestamp() {
    const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    localtime_r(&now, &tm);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S", &tm);
    return buffer;
}
}  // namespace

void set_level(Level new_level) { g_level = new_level; }
Level level() { return g_level; }

void set_file(const std::string& path) {
    std::lock_guard lock(g_mutex);
    if (g_file.is_open()) g_file.close();
    if (!path.empty()) g_file.open(path, std::ios::app);
}

bool interactive() { return g_level >= Level::info && isatty(STDERR_FILENO) != 0; }

void write(Level message_level, std::string_view message) {
    std::lock_guard lock(g_mutex);
    const char* prefix = message_level == Level::warn ? "warning: " : "";
    if (g_level >= message_level) {
        // On a terminal, clear a progress bar that may be drawn on the current line.
        const char* clear_line = isatty(STDERR_FILENO) != 0 ? "\r\x1b[K" : "";
        std::fprintf(stderr, "%s%s%.*s\n", clear_line, prefix, static_cast<int>(message.size()), message.data());
        std::fflush(stderr);
    }
    if (g_file.is_open() && message_level <= Level::info) {
        g_file << timestamp() << ' ' << prefix << message << '\n';
        g_file.flush();
    }
}

}  // namespace pottsrbm::log
