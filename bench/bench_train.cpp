// Time of PCD training updates on Kunitz_PGM.fasta.gz with the PGM settings (H = 100 dReLU, batch 100,
// 1 Gibbs sweep, l1b 0.25, Adam lr 5e-3; duplicates dropped, weights at identity 0.9), on one thread
// unless a thread count is given. Usage: bench_train [epochs = 5] [threads = 1].
//
// Prints the time per update and per epoch (wall and process CPU time: the machine may be shared),
// a breakdown measured in the same run (the Gibbs sweep and Trainer::gradient are timed on a shadow
// copy of the chains at the same parameters, interleaved with the real updates; apply_update + row
// gathering is the rest of Trainer::update), and the FLOP floor: the time of the four dense float
// products of the same shapes an update needs (B x Nq times Nq x H), done by Eigen.
#include "pottsrbm/core/threads.hpp"
#include "pottsrbm/io/alignment_reader.hpp"
#include "pottsrbm/msa/filter.hpp"
#include "pottsrbm/msa/weights.hpp"
#include "pottsrbm/train/trainer.hpp"

#include <Eigen/Core>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <string>

using namespace pottsrbm;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

double cpu_seconds_since(std::clock_t start) {
    return static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
}

/// Fastest time of 4 products (B x K) * (K x H) in float, the dense work of one update
/// (hidden inputs of data and chains, W gradient of data and chains).
double dense_floor(Eigen::Index b, Eigen::Index k, Eigen::Index h) {
    const Eigen::MatrixXf left = Eigen::MatrixXf::Random(b, k);
    const Eigen::MatrixXf right = Eigen::MatrixXf::Random(k, h);
    Eigen::MatrixXf product(b, h);
    double checksum = 0;
    double best = 1e300;
    for (int repeat = 0; repeat < 200; ++repeat) {
        const auto start = Clock::now();
        for (int p = 0; p < 4; ++p) {
            product.noalias() = left * right;
            checksum += product(0, 0);
        }
        best = std::min(best, seconds_since(start));
    }
    if (checksum == 12345.678) fmt::print(" ");  // keeps the products alive
    return best;
}

}  // namespace

int main(int argc, char** argv) {
    const long long epochs = argc > 1 ? std::max(1LL, std::stoll(argv[1])) : 5;
    set_threads(argc > 2 ? std::max(1, std::stoi(argv[2])) : 1);
    const auto path = std::filesystem::path(POTTSRBM_SHARED_DATA) / "Kunitz_PGM.fasta.gz";
    if (!std::filesystem::exists(path)) {
        fmt::print("Kunitz_PGM.fasta.gz: absent ({}), skipped\n", path.string());
        return 0;
    }
    msa::Alignment alignment = io::read_alignment(path.string());
    msa::FilterParams filters;
    filters.drop_duplicates = true;
    msa::apply_filters(alignment, filters);
    train::TrainingSet training;
    training.weights = msa::compute_weights(alignment, 0.9);
    training.sequences = alignment.states;
    training.index.resize(static_cast<std::size_t>(alignment.sequences()));
    for (std::size_t r = 0; r < training.index.size(); ++r) training.index[r] = static_cast<std::int64_t>(r);

    train::TrainParams params;
    params.hidden_units = 100;
    params.hidden_type = model::HiddenType::drelu;
    params.batch_size = 100;
    params.gibbs_steps = 1;
    params.l1b = 0.25;
    params.learning_rate = 5e-3;
    params.epochs = epochs;
    constexpr int states = 21;
    train::Trainer trainer(params, std::move(training), train::TrainingSet{}, states);
    train::TrainingState state = trainer.initial_state();
    const auto m = trainer.training_set().sequences.rows();
    const auto n = trainer.training_set().sequences.cols();
    const long long batches = trainer.batches_per_epoch();
    fmt::print("Kunitz_PGM: M = {} (duplicates dropped), N = {}, q = {}, H = {} dReLU, batch {}, {} batches/epoch, "
               "{} epochs, {} thread(s)\n",
               m, n, states, params.hidden_units, params.batch_size, batches, epochs, threads());

    // Pass 1: plain updates, as Trainer::run does them (without monitoring or finiteness checks).
    std::vector<std::int64_t> rows;
    auto batch_rows = [&](const std::vector<std::int64_t>& order, long long b) {
        const auto begin = static_cast<std::ptrdiff_t>(b * m / batches);
        const auto end = static_cast<std::ptrdiff_t>((b + 1) * m / batches);
        rows.assign(order.begin() + begin, order.begin() + end);
    };
    const std::clock_t cpu_start = std::clock();
    const auto wall_start = Clock::now();
    for (long long e = 0; e < epochs; ++e) {
        const auto order = trainer.epoch_order(e);
        for (long long b = 0; b < batches; ++b) {
            batch_rows(order, b);
            trainer.update(state, rows);
        }
        ++state.epoch;
    }
    const double wall = seconds_since(wall_start);
    const double cpu = cpu_seconds_since(cpu_start);
    const auto updates = static_cast<double>(epochs * batches);
    fmt::print("update: {:.3f} ms wall, {:.3f} ms CPU; epoch: {:.3f} s wall, {:.3f} s CPU "
               "(1000 epochs: {:.0f} s wall)\n",
               1e3 * wall / updates, 1e3 * cpu / updates, wall / static_cast<double>(epochs),
               cpu / static_cast<double>(epochs), 1000 * wall / static_cast<double>(epochs));

    // Pass 2: breakdown. Each update is preceded by a timed Gibbs sweep and gradient on shadow chains.
    model::ChainBatch shadow = state.chains;
    model::StateMatrix data(params.batch_size, n);
    Eigen::VectorXd data_weights(params.batch_size);
    model::Gradient gradient;
    double t_gibbs = 0;
    double t_gradient = 0;
    double t_update = 0;
    const auto& set = trainer.training_set();
    for (long long e = 0; e < epochs; ++e) {
        const auto order = trainer.epoch_order(e);
        for (long long b = 0; b < batches; ++b) {
            batch_rows(order, b);
            data.resize(static_cast<Eigen::Index>(rows.size()), n);
            data_weights.resize(static_cast<Eigen::Index>(rows.size()));
            for (std::size_t r = 0; r < rows.size(); ++r) {
                data.row(static_cast<Eigen::Index>(r)) = set.sequences.row(rows[r]);
                data_weights[static_cast<Eigen::Index>(r)] = set.weights[rows[r]];
            }
            auto start = Clock::now();
            model::gibbs_sweeps(state.rbm, shadow, static_cast<int>(params.gibbs_steps));
            t_gibbs += seconds_since(start);
            start = Clock::now();
            trainer.gradient(state.rbm, data, data_weights, shadow.visible, gradient);
            t_gradient += seconds_since(start);
            start = Clock::now();
            trainer.update(state, rows);
            t_update += seconds_since(start);
        }
        ++state.epoch;
    }
    const double t_apply = std::max(0.0, t_update - t_gibbs - t_gradient);
    fmt::print("breakdown per update (pass 2): update {:.3f} ms = Gibbs sweep {:.3f} ms ({:.0f}%) + gradient {:.3f} ms "
               "({:.0f}%) + apply_update and gather {:.3f} ms ({:.0f}%)\n",
               1e3 * t_update / updates, 1e3 * t_gibbs / updates, 100 * t_gibbs / t_update,
               1e3 * t_gradient / updates, 100 * t_gradient / t_update, 1e3 * t_apply / updates,
               100 * t_apply / t_update);

    const double floor = dense_floor(params.batch_size, n * states, params.hidden_units);
    fmt::print("FLOP floor: 4 products ({} x {}) * ({} x {}) in float: {:.3f} ms ({:.1f} GFLOP/s); "
               "update / floor = {:.1f}\n",
               params.batch_size, n * states, n * states, params.hidden_units, 1e3 * floor,
               4 * 2.0 * static_cast<double>(params.batch_size * n * states * params.hidden_units) / floor / 1e9,
               wall / updates / floor);
    return 0;
}
