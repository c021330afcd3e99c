// Progress reporting for long work: a redrawn bar on a terminal (stderr), sparse lines otherwise
// (every ~10% through the log module, so log files stay short). Thread-safe add().
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace pottsrbm {

class Progress {
public:
    /// `total` units of work; nothing is shown for work that finishes within `delay_seconds`.
    Progress(std::string label, std::int64_t total, double delay_seconds = 0.5);
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    /// Adds `units` of completed work (safe from several threads).
    void add(std::int64_t units);
    /// Marks the work complete and clears the bar.
    void finish();

private:
    void draw(std::int64_t done);

    std::string label_;
    std::int64_t total_;
    double delay_seconds_;
    std::atomic<std::int64_t> done_{0};
    std::atomic<bool> drawing_{false};
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_draw_;
    int last_decile_ = 0;
    bool shown_ = false;
    bool finished_ = false;
};

}  // namespace pottsrbm
