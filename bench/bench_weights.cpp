// Throughput of the sequence weights (neighbour counts at identity >= 0.8) on real alignments:
// fast implementation on the whole alignment (all threads and 1 thread; fastest of 3 runs,
// the machine may be shared), and the reference double loop against the fast one on 3000
// evenly spaced sequences, measured in the same run. Comparison rates count M^2 N residue comparisons
// (the full matrix, as a plain all-pairs loop would do); the fast code does about
// U^2 N / 2 (U unique sequences, symmetric pairs) and stops early on hopeless blocks.
#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/threads.hpp"
#include "pottsrbm/io/alignment_reader.hpp"
#include "pottsrbm/msa/filter.hpp"
#include "pottsrbm/msa/weights.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <string>

using namespace pottsrbm;

namespace {

constexpr double theta = 0.8;
constexpr std::int64_t subsample = 3000;

struct Timing {
    double wall = 1e300;  ///< seconds, fastest run
    double cpu = 1e300;   ///< process CPU seconds (all threads), fastest run
};

/// Fastest of `repeats` runs. The CPU time shows what the work costs when other processes
/// share the cores (then the wall time is inflated).
template <typename F>
Timing measure(F&& run, int repeats) {
    Timing best;
    for (int r = 0; r < repeats; ++r) {
        const std::clock_t cpu_start = std::clock();
        const auto start = std::chrono::steady_clock::now();
        run();
        best.wall =
            std::min(best.wall, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        best.cpu = std::min(best.cpu, static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC);
    }
    return best;
}

/// Every (M / rows)-th sequence: a subsample as diverse as the whole alignment (the first rows of
/// a file are often close homologs).
msa::Alignment evenly_spaced_rows(const msa::Alignment& alignment, std::int64_t rows) {
    msa::Alignment sample = alignment;
    sample.states.resize(rows, alignment.length());
    sample.ids.resize(static_cast<std::size_t>(rows));
    for (std::int64_t r = 0; r < rows; ++r) {
        const std::int64_t m = r * alignment.sequences() / rows;
        sample.states.row(r) = alignment.states.row(m);
        sample.ids[static_cast<std::size_t>(r)] = alignment.ids[static_cast<std::size_t>(m)];
    }
    return sample;
}

void bench(const std::string& name) {
    const auto path = std::filesystem::path(POTTSRBM_SHARED_DATA) / name;
    if (!std::filesystem::exists(path)) {
        fmt::print("{}: absent ({}), skipped\n\n", name, path.string());
        return;
    }
    const msa::Alignment alignment = io::read_alignment(path.string());
    const std::int64_t m = alignment.sequences();
    const int n = alignment.length();
    const std::int64_t unique = m - msa::count_duplicates(alignment);
    const double full_comparisons = static_cast<double>(m) * static_cast<double>(m) * n;
    fmt::print("{}: M = {}, N = {}, unique sequences U = {}, theta = {}\n", name, m, n, unique, theta);

    Eigen::VectorXd weights;
    double t_fast_full = 0;
    const int all_threads = threads();
    for (int count : {all_threads, 1}) {
        set_threads(count);
        const Timing t = measure([&] { weights = msa::compute_weights(alignment, theta); }, 3);
        if (count == all_threads) t_fast_full = t.wall;
        fmt::print(
            "  fast, {} thread(s): wall {:.4f} s (CPU {:.4f} s), {:.3g} comparisons/s counted as M^2 N "
            "({:.3g} counted as U^2 N / 2)\n",
            count, t.wall, t.cpu, full_comparisons / t.wall,
            0.5 * static_cast<double>(unique) * static_cast<double>(unique) * n / t.wall);
        if (count == 1) break;
    }
    set_threads(all_threads);
    fmt::print("  M_eff = {:.6f}\n", weights.sum());

    const msa::Alignment head = evenly_spaced_rows(alignment, std::min(m, subsample));
    Eigen::VectorXd reference;
    Eigen::VectorXd fast;
    const double t_reference = measure([&] { reference = msa::compute_weights_reference(head, theta); }, 1).wall;
    set_threads(1);
    const double t_fast_1 = measure([&] { fast = msa::compute_weights(head, theta); }, 5).wall;
    set_threads(all_threads);
    const double t_fast = measure([&] { fast = msa::compute_weights(head, theta); }, 5).wall;
    const double head_comparisons = static_cast<double>(head.sequences()) * static_cast<double>(head.sequences()) * n;
    fmt::print("  {} evenly spaced sequences: reference (1 thread) {:.4f} s ({:.3g} comparisons/s); fast {:.5f} s on 1 "
               "thread (speedup {:.0f}x), {:.5f} s on {} threads (speedup {:.0f}x); results {}\n",
               head.sequences(), t_reference, head_comparisons / t_reference, t_fast_1, t_reference / t_fast_1, t_fast,
               all_threads, t_reference / t_fast, reference == fast ? "identical" : "DIFFERENT");
    const double t_reference_full = t_reference * full_comparisons / head_comparisons;
    fmt::print("  reference on the whole alignment, extrapolated (M^2): {:.1f} s, {:.0f}x the fast time\n\n",
               t_reference_full, t_reference_full / t_fast_full);
}

}  // namespace

int main() {
    try {
        fmt::print("sequence weights benchmark, {} threads available\n\n", threads());
        for (const char* name : {"PF00595_mgap6.fasta.gz", "PF00014_mgap6.fasta.gz", "PF00397_WW.fasta.gz"})
            bench(name);
    } catch (const Error& e) {
        fmt::print(stderr, "error: {}\n", e.what());
        return e.exit_code();
    }
    return 0;
}
