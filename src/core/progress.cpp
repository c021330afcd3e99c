// Progress bar implementation (see progress.hpp).
#include "pottsrbm/core/progress.hpp"

#include "pottsrbm/core/log.hpp"

#include <cstdio>

namespace pottsrbm {

Progress::Progress(std::string label, std::int64_t total, double delay_seconds)
    : label_(std::move(label)), total_(total > 0 ? total : 1), delay_seconds_(delay_seconds),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

Progress::~Progress() { finish(); }

void Progress::add(std::int64_t units) {
    const std::int64_t done = done_.fetch_add(units, std::memory_order_relaxed) + units;
    bool expected = false;
    if (!drawing_.compare_exchange_strong(expected, true, std::memory_order_acquire)) return;
    draw(done);
    drawing_.store(false, std::memory_order_release);
}

void Progress::draw(std::int64_t done) {
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    if (elapsed < delay_seconds_ || finished_) return;
    const double fraction = std::min(1.0, static_cast<double>(done) / static_cast<double>(total_));
    if (log::interactive()) {
        if (std::chrono::duration<double>(now - last_draw_).count() < 0.1 && shown_) return;
        last_draw_ = now;
        constexpr int width = 30;
        const int filled = static_cast<int>(fraction * width);
        const double eta = fraction > 0 ? elapsed * (1.0 - fraction) / fraction : 0.0;
        std::fprintf(stderr, "\r%s [%.*s%*s] %5.1f%% %6.1fs eta %5.1fs", label_.c_str(), filled,
                     "##############################", width - filled, "", 100.0 * fraction, elapsed, eta);
        std::fflush(stderr);
        shown_ = true;
    } else {
        const int decile = static_cast<int>(fraction * 10);
        if (decile > last_decile_) {
            last_decile_ = decile;
            log::info("{}: {}% ({:.1f} s)", label_, decile * 10, elapsed);
        }
    }
}

void Progress::finish() {
    if (finished_) return;
    finished_ = true;
    if (shown_) {
        std::fprintf(stderr, "\r%*s\r", static_cast<int>(label_.size()) + 64, "");
        std::fflush(stderr);
    }
}

}  // namespace pottsrbm
