// Cost of one Gibbs sweep of the Potts-RBM against one dense float matrix product of the same
// size, measured in the same run: 1,000 chains, N = 53, q = 21, H = 100, dReLU units, random
// weights at two scales (W ~ N(0, 0.1^2): inputs of sd ~0.7; W ~ N(0, 0.3^2): sd ~2.2, where most
// units sit far outside their dead zone). Single thread and all threads; breakdown of the sweep into
// the gather I = sum_i W(v_i), hidden sampling, the visible field product g + W h and visible
// sampling (visible half-step minus the product).
//
// Usage: bench_gibbs [chains] [repeats]
#include "pottsrbm/core/rng.hpp"
#include "pottsrbm/core/threads.hpp"
#include "pottsrbm/model/rbm.hpp"
#include "pottsrbm/model/sampling.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <thread>
#include <vector>

#include <time.h>

using namespace pottsrbm;
using namespace pottsrbm::model;

namespace {

// Minimum time in milliseconds of `repeats` calls after two warm-up calls. With one thread the
// clock is the thread's CPU time (preemption by other processes on a shared machine excluded),
// otherwise wall time; the minimum is the least disturbed estimate of the cost.
double best_ms(const std::function<void()>& work, int repeats) {
    const clockid_t clock = pottsrbm::threads() == 1 ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC;
    const auto now = [clock] {
        timespec t{};
        clock_gettime(clock, &t);
        return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) * 1e-6;
    };
    work();
    work();
    double best = 1e300;
    for (int r = 0; r < repeats; ++r) {
        const double start = now();
        work();
        best = std::min(best, now() - start);
    }
    return best;
}

Rbm make_model(double weight_scale) {
    const int sites = 53, states = 21, units = 100;
    Rbm rbm = Rbm::make(sites, states, units, HiddenType::drelu);
    Rng rng(2024, 0);
    for (int i = 0; i < sites; ++i)
        for (int a = 0; a < states; ++a) rbm.fields(i, a) = static_cast<float>(rng.normal());
    for (Eigen::Index r = 0; r < rbm.weights.rows(); ++r)
        for (int mu = 0; mu < units; ++mu) rbm.weights(r, mu) = static_cast<float>(weight_scale * rng.normal());
    for (int mu = 0; mu < units; ++mu) {
        rbm.hidden.gamma_plus[mu] = static_cast<float>(0.8 + 0.4 * rng.uniform());
        rbm.hidden.gamma_minus[mu] = static_cast<float>(0.8 + 0.4 * rng.uniform());
        rbm.hidden.theta_plus[mu] = static_cast<float>(0.5 * rng.uniform());    // dead zone -theta_minus < I < theta_plus
        rbm.hidden.theta_minus[mu] = static_cast<float>(-0.5 * rng.uniform());
    }
    rbm.validate();
    return rbm;
}

void run(double weight_scale, int chains, int threads, int repeats) {
    set_threads(threads);
    const Rbm rbm = make_model(weight_scale);
    const Eigen::Index width = static_cast<Eigen::Index>(rbm.sites) * rbm.states;
    ChainBatch batch = ChainBatch::make(rbm, chains, 1);
    gibbs_sweeps(rbm, batch, 20);  // leave the independent-site start

    // The reference product: (B x Nq) * (Nq x H), as the one-hot gather would be as a GEMM.
    RowMatrixXf dense_visible = RowMatrixXf::Random(chains, width);
    RowMatrixXf dense_out(chains, rbm.units());
    const double product = best_ms([&] { dense_out.noalias() = dense_visible * rbm.weights; }, repeats);
    RowMatrixXf field(chains, width);
    const double field_product = best_ms([&] { field.noalias() = batch.hidden * rbm.weights.transpose(); }, repeats);

    const double sweep = best_ms(
        [&] {
            sample_hidden_given_visible(rbm, batch);
            sample_visible_given_hidden(rbm, batch);
        },
        repeats);
    const double gather = best_ms([&] { hidden_inputs(rbm, batch.visible, batch.inputs); }, repeats);
    const double hidden = best_ms(
        [&] { sample_hidden(rbm.hidden, batch.inputs, batch.rngs.data(), batch.hidden); }, repeats);
    const double visible = best_ms([&] { sample_visible_given_hidden(rbm, batch); }, repeats);
    const double nonzero = static_cast<double>((batch.hidden.array().abs() > 0.1f).count()) /
                           static_cast<double>(batch.hidden.size());
    // Accuracy of the float gather: against I summed in double from the same float weights.
    hidden_inputs(rbm, batch.visible, batch.inputs);
    double worst_error = 0, input_scale = 0;
    for (int b = 0; b < chains; ++b) {
        Eigen::VectorXd exact = Eigen::VectorXd::Zero(rbm.units());
        for (int i = 0; i < rbm.sites; ++i)
            exact += rbm.weights.row(static_cast<Eigen::Index>(i) * rbm.states + batch.visible(b, i)).transpose().cast<double>();
        worst_error = std::max(worst_error, (batch.inputs.row(b).transpose().cast<double>() - exact).cwiseAbs().maxCoeff());
        input_scale += exact.squaredNorm();
    }
    input_scale = std::sqrt(input_scale / (static_cast<double>(chains) * rbm.units()));
    Eigen::ArrayXXf exponents = Eigen::ArrayXXf::Random(chains, width);
    Eigen::ArrayXXf exponentials(chains, width);
    const double exp_time = best_ms([&] { exponentials = exponents.exp(); }, repeats);

    fmt::print("W ~ N(0, {:.1f}^2), {} thread(s) ({}), {} chains (|h| > 0.1 in {:.0f}% of units):\n", weight_scale,
               threads, threads == 1 ? "thread CPU time" : "wall time", chains, 100 * nonzero);
    fmt::print("  dense product ({}x{} by {}x{}):   {:8.3f} ms\n", chains, width, width, rbm.units(), product);
    fmt::print("  dense product ({}x{} by {}x{}):   {:8.3f} ms\n", chains, rbm.units(), rbm.units(), width,
               field_product);
    fmt::print("  Gibbs sweep v -> h -> v:               {:8.3f} ms   ratio to the product: {:.2f}\n", sweep,
               sweep / product);
    fmt::print("    gather I = sum_i W(v_i):             {:8.3f} ms\n", gather);
    fmt::print("    hidden sampling h | I:               {:8.3f} ms\n", hidden);
    fmt::print("    visible half-step v | h:             {:8.3f} ms\n", visible);
    fmt::print("      of which field product g + W h:   ~{:8.3f} ms (stand-alone product above)\n", field_product);
    fmt::print("      of which softmax sampling:        ~{:8.3f} ms\n", visible - field_product);
    fmt::print("  (Eigen float exp of {}x{} values:      {:8.3f} ms)\n", chains, width, exp_time);
    fmt::print("  float gather: max |I_float - I_double| = {:.2g} (rms I = {:.2f})\n", worst_error, input_scale);
}

}  // namespace

int main(int argc, char** argv) {
    const int chains = argc > 1 ? std::atoi(argv[1]) : 1000;
    const int repeats = argc > 2 ? std::atoi(argv[2]) : 21;
    const int all = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    for (double scale : {0.1, 0.3}) {
        run(scale, chains, 1, repeats);
        if (all > 1) run(scale, chains, all, repeats);
    }
    return 0;
}
