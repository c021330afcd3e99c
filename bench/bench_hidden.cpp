// Throughput of the batched hidden-unit kernels (hidden_cgf, hidden_mean, sample_hidden) on a
// B x H = 1000 x 100 input matrix, per unit type, single-threaded: prints ns per element
// (fastest of repeated runs: the machine may be shared). Inputs I ~ N(0, 3^2); unit parameters gamma in [0.5, 2],
// theta in [-2, 2] (a trained-model-like range).
#include "pottsrbm/core/rng.hpp"
#include "pottsrbm/core/threads.hpp"
#include "pottsrbm/model/hidden.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <vector>

using namespace pottsrbm;
using namespace pottsrbm::model;

namespace {

template <class F>
double fastest_ns_per_element(F&& run, Eigen::Index elements, int repeats) {
    std::vector<double> times;
    run();  // warm-up (builds the tables)
    for (int r = 0; r < repeats; ++r) {
        const auto start = std::chrono::steady_clock::now();
        run();
        const auto stop = std::chrono::steady_clock::now();
        times.push_back(std::chrono::duration<double, std::nano>(stop - start).count() / static_cast<double>(elements));
    }
    return *std::min_element(times.begin(), times.end());
}

}  // namespace

int main() {
    constexpr int rows = 1000;
    constexpr int units = 100;
    constexpr int repeats = 41;
    set_threads(1);
    Rng rng(2024, 0);
    RowMatrixXf inputs(rows, units);
    for (Eigen::Index i = 0; i < inputs.size(); ++i) inputs.data()[i] = static_cast<float>(3.0 * rng.normal());
    std::vector<Rng> rngs;
    for (int b = 0; b < rows; ++b) rngs.emplace_back(7, static_cast<std::uint64_t>(b));
    RowMatrixXd cgf(rows, units);
    RowMatrixXf out(rows, units);

    fmt::print("hidden-unit kernels, {} x {} inputs, 1 thread, ns per element (fastest of {} runs)\n", rows, units,
               repeats);
    fmt::print("{:<10} {:>12} {:>12} {:>14}\n", "type", "hidden_cgf", "hidden_mean", "sample_hidden");
    for (auto type : {HiddenType::bernoulli, HiddenType::gaussian, HiddenType::relu, HiddenType::drelu}) {
        HiddenLayer layer = HiddenLayer::make(type, units);
        for (int mu = 0; mu < units; ++mu) {
            layer.gamma_plus[mu] = static_cast<float>(0.5 + 1.5 * rng.uniform());
            layer.gamma_minus[mu] = static_cast<float>(0.5 + 1.5 * rng.uniform());
            layer.theta_plus[mu] = static_cast<float>(-2.0 + 4.0 * rng.uniform());
            layer.theta_minus[mu] = static_cast<float>(-2.0 + 4.0 * rng.uniform());
        }
        const double t_cgf = fastest_ns_per_element([&] { hidden_cgf(layer, inputs, cgf); }, inputs.size(), repeats);
        const double t_mean = fastest_ns_per_element([&] { hidden_mean(layer, inputs, out); }, inputs.size(), repeats);
        const double t_sample =
            fastest_ns_per_element([&] { sample_hidden(layer, inputs, rngs.data(), out); }, inputs.size(), repeats);
        fmt::print("{:<10} {:>12.2f} {:>12.2f} {:>14.2f}\n", to_string(type), t_cgf, t_mean, t_sample);
    }
    return 0;
}
