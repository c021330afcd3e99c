// Reliability and cost of the AIS estimate of log Z on a trained model: for each schedule
// (linear, piecewise) and several temperature counts, three independent runs (seeds 1-3) with
// their log Z, delta-method error, effective chains and time. Runs that agree within their error
// bars, and do not drift upwards as the temperatures grow, make a trustworthy estimate (AIS is a
// stochastic lower bound on log Z, so too few temperatures bias it low).
// Usage: bench_ais MODEL.npz ALIGNMENT [chains = 100] [temperatures = 2000,20000] [threads = 1]
//        (the alignment gives the independent-site base model, as `pottsrbm train` does; it is
//        read with default filters and weights at identity 0.8).
#include "pottsrbm/core/threads.hpp"
#include "pottsrbm/io/preprocess.hpp"
#include "pottsrbm/model/likelihood.hpp"
#include "pottsrbm/core/log.hpp"
#include "pottsrbm/model/model_file.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

using namespace pottsrbm;

int main(int argc, char** argv) {
    if (argc < 3) {
        fmt::print(stderr, "usage: bench_ais MODEL.npz ALIGNMENT [chains] [temperatures,...] [threads]\n");
        return 2;
    }
    log::set_level(log::Level::warn);
    const model::Rbm rbm = model::load_model(argv[1]);
    io::PreprocessParams preprocess;
    const io::PreparedAlignment data = io::prepare_alignment(argv[2], preprocess);
    const int chains = argc > 3 ? std::stoi(argv[3]) : 100;
    std::vector<int> temperature_counts;
    {
        std::stringstream list(argc > 4 ? argv[4] : "2000,20000");
        for (std::string item; std::getline(list, item, ',');) temperature_counts.push_back(std::stoi(item));
    }
    set_threads(argc > 5 ? std::stoi(argv[5]) : 1);
    const model::FieldMatrix base = model::independent_site_fields(data.alignment.states, data.weights, rbm.states, 1e-3);
    fmt::print("{}: N = {}, H = {}; {} chains, {} thread(s)\n", argv[1], rbm.sites, rbm.units(), chains, threads());
    fmt::print("{:<10} {:>12} {:>6} {:>12} {:>9} {:>10} {:>14} {:>8}\n", "schedule", "temperatures", "seed", "log Z",
               "+-", "effective", "mean log w", "seconds");
    for (const auto schedule : {model::AisSchedule::linear, model::AisSchedule::piecewise}) {
        for (const int temperatures : temperature_counts) {
            for (std::uint64_t seed = 1; seed <= 3; ++seed) {
                model::AisParams params;
                params.temperatures = temperatures;
                params.chains = chains;
                params.seed = seed;
                params.schedule = schedule;
                const auto start = std::chrono::steady_clock::now();
                const model::AisResult result = model::estimate_log_z(rbm, base, params);
                const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
                fmt::print("{:<10} {:>12} {:>6} {:>12.4f} {:>9.4f} {:>10.1f} {:>14.4f} {:>8.2f}\n",
                           schedule == model::AisSchedule::linear ? "linear" : "piecewise", temperatures, seed,
                           result.log_z, result.std_error, result.effective_chains, result.log_z_mean_log_weight,
                           seconds);
                std::fflush(stdout);
            }
        }
    }
    return 0;
}
