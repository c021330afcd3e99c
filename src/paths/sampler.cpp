// MCMC over whole paths (see paths/sampler.hpp and docs/paths.md).
//
// Incremental energies: a proposal that changes sites S of x_t updates the hidden inputs by
// I' = I + sum_{i in S} (W_i(b) - W_i(a)) in double, the field sum likewise, and
// F' = -fields' - sum_mu Gamma_mu(I'_mu): O(|S| H) plus H evaluations of Gamma. The constraint
// is checked in O(1) from the stored distances before any of this.
#include "pottsrbm/paths/sampler.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/progress.hpp"
#include "pottsrbm/core/threads.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <tuple>

namespace pottsrbm::paths {

using Index = Eigen::Index;

PathChain::PathChain(const model::Rbm& rbm, const PathSpec& spec, Rng rng)
    : rbm_(rbm), kernel_(rbm.hidden), spec_(spec), rng_(rng), steps_(spec.steps), sites_(rbm.sites), last_(spec.last_free_slice()),
      states_(spec.steps + 1, rbm.sites), inputs_(spec.steps + 1, rbm.units()), field_sum_(spec.steps + 1),
      free_energy_(spec.steps + 1), distance_(static_cast<std::size_t>(spec.steps)), trial_(rbm.units()) {
    spec.validate(rbm);
    changed_.reserve(static_cast<std::size_t>(sites_));
    reflectable_.reserve(static_cast<std::size_t>(sites_));
    randomize();
}

void PathChain::randomize() {
    const auto& a = spec_.from;
    for (int t = 0; t <= steps_; ++t)
        for (int i = 0; i < sites_; ++i) states_(t, i) = a[static_cast<std::size_t>(i)];
    if (!spec_.free_end()) {
        std::vector<int> differing;
        for (int i = 0; i < sites_; ++i)
            if (a[static_cast<std::size_t>(i)] != spec_.to[static_cast<std::size_t>(i)]) differing.push_back(i);
        const int distance = static_cast<int>(differing.size());
        for (int k = distance - 1; k > 0; --k)
            std::swap(differing[static_cast<std::size_t>(k)],
                      differing[static_cast<std::size_t>(rng_.below(static_cast<std::uint64_t>(k) + 1))]);
        // step_of[k]: the step (1..T) at which the k-th differing site (in the shuffled order) changes.
        std::vector<int> step_of(static_cast<std::size_t>(distance));
        if (steps_ >= distance) {
            std::vector<int> all(static_cast<std::size_t>(steps_));
            std::iota(all.begin(), all.end(), 1);
            for (int k = 0; k < distance; ++k) {  // partial Fisher-Yates: a random d-subset of the steps
                const auto j = static_cast<std::size_t>(k) +
                               rng_.below(static_cast<std::uint64_t>(steps_ - k));
                std::swap(all[static_cast<std::size_t>(k)], all[j]);
            }
            std::sort(all.begin(), all.begin() + distance);
            std::copy(all.begin(), all.begin() + distance, step_of.begin());
        } else {
            for (int k = 0; k < distance; ++k)
                step_of[static_cast<std::size_t>(k)] = 1 + static_cast<int>(static_cast<long long>(k) * steps_ / distance);
        }
        for (int k = 0; k < distance; ++k) {
            const int site = differing[static_cast<std::size_t>(k)];
            for (int t = step_of[static_cast<std::size_t>(k)]; t <= steps_; ++t)
                states_(t, site) = spec_.to[static_cast<std::size_t>(site)];
        }
    }
    refresh();
}

void PathChain::set_states(const model::StateMatrix& states) {
    if (states.rows() != steps_ + 1 || states.cols() != sites_)
        throw UsageError(fmt::format("path: initial path is {}x{}, expected {}x{}", states.rows(), states.cols(),
                                     steps_ + 1, sites_));
    Path candidate{states, Eigen::VectorXd::Zero(steps_ + 1)};
    if (!std::isfinite(path_energy(spec_, candidate, 0.0)))
        throw UsageError("path: the initial path does not join the end points within the distance constraint");
    states_ = states;
    refresh();
}

void PathChain::refresh() {
    const int units = rbm_.units();
    for (int t = 0; t <= steps_; ++t) {
        inputs_.row(t).setZero();
        double fields = 0;
        for (int i = 0; i < sites_; ++i) {
            const int a = states_(t, i);
            inputs_.row(t) += rbm_.weights.row(static_cast<Index>(i) * rbm_.states + a).cast<double>();
            fields += rbm_.fields(i, a);
        }
        field_sum_[t] = fields;
        for (int mu = 0; mu < units; ++mu) trial_[mu] = inputs_(t, mu);
        free_energy_[t] = free_energy_from(fields, trial_);
    }
    for (int t = 0; t < steps_; ++t)
        distance_[static_cast<std::size_t>(t)] = hamming(states_.row(t).data(), states_.row(t + 1).data(), sites_);
}

double PathChain::free_energy_from(double field_sum, const Eigen::VectorXd& inputs) const {
    return -field_sum - kernel_.cgf_sum(inputs.data());
}

double PathChain::energy(double beta) const {
    double energy = 0;
    for (int t = 1; t <= last_; ++t) energy += beta * free_energy_[t];
    for (int d : distance_) energy += spec_.lambda * d;
    return energy;
}

void PathChain::single_site(int t, double beta) {
    ++counts_.single_proposed;
    const int i = static_cast<int>(rng_.below(static_cast<std::uint64_t>(sites_)));
    const int a = states_(t, i);
    int b = static_cast<int>(rng_.below(static_cast<std::uint64_t>(rbm_.states - 1)));
    if (b >= a) ++b;
    const int limit = spec_.max_distance;
    const auto before = static_cast<std::size_t>(t - 1);
    const int previous = states_(t - 1, i);
    const int d_before = distance_[before] - (a != previous ? 1 : 0) + (b != previous ? 1 : 0);
    if (limit > 0 && d_before > limit) return;
    int d_after = 0;
    if (t < steps_) {
        const int next = states_(t + 1, i);
        d_after = distance_[static_cast<std::size_t>(t)] - (a != next ? 1 : 0) + (b != next ? 1 : 0);
        if (limit > 0 && d_after > limit) return;
    }
    ++counts_.single_allowed;
    const Index base = static_cast<Index>(i) * rbm_.states;
    trial_.noalias() = inputs_.row(t).transpose();
    trial_ += rbm_.weights.row(base + b).transpose().cast<double>() - rbm_.weights.row(base + a).transpose().cast<double>();
    const double fields = field_sum_[t] - rbm_.fields(i, a) + rbm_.fields(i, b);
    const double f = free_energy_from(fields, trial_);
    const int d_change = d_before - distance_[before] + (t < steps_ ? d_after - distance_[static_cast<std::size_t>(t)] : 0);
    const double delta = beta * (f - free_energy_[t]) + spec_.lambda * d_change;
    if (delta > 0 && rng_.uniform() >= std::exp(-delta)) return;
    ++counts_.single_accepted;
    states_(t, i) = static_cast<std::uint8_t>(b);
    inputs_.row(t) = trial_.transpose();
    field_sum_[t] = fields;
    free_energy_[t] = f;
    distance_[before] = d_before;
    if (t < steps_) distance_[static_cast<std::size_t>(t)] = d_after;
}

void PathChain::exchange(int t, double beta) {
    // R: the sites where x_{t-1} and x_{t+1} differ and x_t holds one of the two states. Reflecting
    // any subset S of R (x_t(j) <-> the other neighbour's state) keeps R, so drawing S with a law
    // that depends on R only is a symmetric proposal: S = R (half of the time: the order of the
    // whole steps t-1 -> t and t -> t+1 is swapped), one site of R, or two sites of R.
    reflectable_.clear();
    for (int j = 0; j < sites_; ++j) {
        const int p = states_(t - 1, j);
        const int n = states_(t + 1, j);
        const int x = states_(t, j);
        if (p != n && (x == p || x == n)) reflectable_.push_back(j);
    }
    if (reflectable_.empty()) return;
    ++counts_.exchange_proposed;
    const auto r = static_cast<std::uint64_t>(reflectable_.size());
    const std::uint64_t kind = rng_.below(4);
    changed_.clear();
    if (kind < 2) {
        changed_ = reflectable_;
    } else {
        const std::uint64_t first = rng_.below(r);
        changed_.push_back(reflectable_[first]);
        if (kind == 3 && r >= 2) {
            std::uint64_t second = rng_.below(r - 1);
            if (second >= first) ++second;
            changed_.push_back(reflectable_[second]);
        }
    }
    // Sites that leave x_{t-1}'s state move their change from step t+1 to step t, and vice versa.
    int shift = 0;
    for (int j : changed_) shift += states_(t, j) == states_(t - 1, j) ? 1 : -1;
    const auto before = static_cast<std::size_t>(t - 1);
    const auto after = static_cast<std::size_t>(t);
    const int d_before = distance_[before] + shift;
    const int d_after = distance_[after] - shift;
    if (spec_.max_distance > 0 && (d_before > spec_.max_distance || d_after > spec_.max_distance)) return;
    trial_.noalias() = inputs_.row(t).transpose();
    double fields = field_sum_[t];
    for (int j : changed_) {
        const int x = states_(t, j);
        const int y = x == states_(t - 1, j) ? states_(t + 1, j) : states_(t - 1, j);
        const Index base = static_cast<Index>(j) * rbm_.states;
        trial_ += rbm_.weights.row(base + y).transpose().cast<double>() - rbm_.weights.row(base + x).transpose().cast<double>();
        fields += static_cast<double>(rbm_.fields(j, y)) - static_cast<double>(rbm_.fields(j, x));
    }
    const double f = free_energy_from(fields, trial_);
    const double delta = beta * (f - free_energy_[t]);  // the distance sum is unchanged
    if (delta > 0 && rng_.uniform() >= std::exp(-delta)) return;
    ++counts_.exchange_accepted;
    for (int j : changed_) {
        const int x = states_(t, j);
        states_(t, j) = static_cast<std::uint8_t>(x == states_(t - 1, j) ? states_(t + 1, j) : states_(t - 1, j));
    }
    inputs_.row(t) = trial_.transpose();
    field_sum_[t] = fields;
    free_energy_[t] = f;
    distance_[before] = d_before;
    distance_[after] = d_after;
}

void PathChain::sweep(double beta) {
    const auto visit = [&](int t) {
        for (int k = 0; k < sites_; ++k) single_site(t, beta);
        if (t < steps_) exchange(t, beta);
    };
    if (forward_) {
        for (int t = 1; t <= last_; ++t) visit(t);
    } else {
        for (int t = last_; t >= 1; --t) visit(t);
    }
    forward_ = !forward_;
}

void SamplerParams::validate(double beta) const {
    if (paths < 1 || paths > 1'000'000) throw UsageError(fmt::format("--paths: expected a value in [1, 1000000], got {}", paths));
    if (burn_in < 0) throw UsageError(fmt::format("--burn-in: expected a value >= 0, got {}", burn_in));
    if (sweeps < 0) throw UsageError(fmt::format("--sweeps: expected a value >= 0, got {}", sweeps));
    if (spacing < 1) throw UsageError(fmt::format("--spacing: expected a value >= 1, got {}", spacing));
    if (anneal_sweeps < 0) throw UsageError(fmt::format("--anneal-sweeps: expected a value >= 0, got {}", anneal_sweeps));
    if (!(beta_max > 0) || !std::isfinite(beta_max))
        throw UsageError(fmt::format("--beta-max: expected a finite value > 0, got {}", beta_max));
    if (anneal_sweeps > 0 && beta_max < beta)
        throw UsageError(fmt::format("--beta-max: {} is below --beta {}; annealing raises beta", beta_max, beta));
}

namespace {

using MutationKey = std::tuple<int, int, int>;  // site, from, to

struct MutationSums {
    long long paths = 0;
    long long count = 0;
    double step_sum = 0;
    double rank_sum = 0;
};

struct ChainOutcome {
    Path best;
    double best_energy = std::numeric_limits<double>::infinity();
    std::map<MutationKey, MutationSums> mutations;
    long long samples = 0;
    long long mutation_total = 0;
    Eigen::VectorXd f_sum;
    Eigen::VectorXd f_square_sum;
    std::vector<double> barriers;
    PathChain::Counts counts;
};

void record_sample(const PathChain& chain, const PathSpec& spec, ChainOutcome& outcome) {
    const Path path = chain.path();
    const auto list = mutations(path);
    std::map<MutationKey, int> seen;
    int rank = 0;
    for (const auto& m : list) {
        ++rank;
        auto& sums = outcome.mutations[{m.site, m.from, m.to}];
        ++sums.count;
        sums.step_sum += m.step;
        sums.rank_sum += rank;
        if (seen[{m.site, m.from, m.to}]++ == 0) ++sums.paths;
    }
    outcome.mutation_total += static_cast<long long>(list.size());
    outcome.f_sum += path.free_energy;
    outcome.f_square_sum += path.free_energy.cwiseAbs2();
    outcome.barriers.push_back(barrier(path, spec.free_end()).height);
    ++outcome.samples;
}

}  // namespace

SamplingResult sample_paths(const model::Rbm& rbm, const PathSpec& spec, const SamplerParams& params) {
    spec.validate(rbm);
    params.validate(spec.beta);
    const int chains = params.paths;
    std::vector<ChainOutcome> outcomes(static_cast<std::size_t>(chains));
    const long long per_chain = params.burn_in + params.sweeps + params.anneal_sweeps;
    Progress progress("paths", static_cast<std::int64_t>(chains) * per_chain);
    const double beta_max = params.anneal_sweeps > 0 ? params.beta_max : spec.beta;

#pragma omp parallel for schedule(dynamic, 1) num_threads(pottsrbm::threads())
    for (int c = 0; c < chains; ++c) {
        ChainOutcome& outcome = outcomes[static_cast<std::size_t>(c)];
        outcome.f_sum = Eigen::VectorXd::Zero(spec.steps + 1);
        outcome.f_square_sum = Eigen::VectorXd::Zero(spec.steps + 1);
        PathChain chain(rbm, spec, Rng(params.seed, static_cast<std::uint64_t>(c)));
        const auto consider = [&]() {
            const double e = chain.energy(beta_max);
            if (e < outcome.best_energy) {
                outcome.best_energy = e;
                outcome.best = chain.path();
            }
        };
        consider();
        for (long long s = 0; s < params.burn_in; ++s) {
            chain.sweep(spec.beta);
            consider();
        }
        progress.add(params.burn_in);
        for (long long s = 1; s <= params.sweeps; ++s) {
            chain.sweep(spec.beta);
            if (s % 100 == 0) chain.refresh();
            consider();
            if (s % params.spacing == 0) record_sample(chain, spec, outcome);
        }
        progress.add(params.sweeps);
        // Geometric schedule beta -> beta_max (linear from 0 when beta = 0).
        for (long long s = 1; s <= params.anneal_sweeps; ++s) {
            const double x = static_cast<double>(s) / static_cast<double>(params.anneal_sweeps);
            const double b = spec.beta > 0 ? spec.beta * std::pow(params.beta_max / spec.beta, x) : params.beta_max * x;
            chain.sweep(b);
            if (s % 100 == 0) chain.refresh();
            consider();
        }
        progress.add(params.anneal_sweeps);
        outcome.counts = chain.counts();
        // The best path's free energies, recomputed from scratch (no incremental rounding).
        outcome.best = make_path(rbm, outcome.best.states);
    }
    progress.finish();

    SamplingResult result;
    result.mean_free_energy = Eigen::VectorXd::Zero(spec.steps + 1);
    result.sd_free_energy = Eigen::VectorXd::Zero(spec.steps + 1);
    Eigen::VectorXd square = Eigen::VectorXd::Zero(spec.steps + 1);
    std::map<MutationKey, MutationSums> totals;
    long long mutation_total = 0;
    result.best_energy = std::numeric_limits<double>::infinity();
    for (int c = 0; c < chains; ++c) {
        const ChainOutcome& outcome = outcomes[static_cast<std::size_t>(c)];
        const double e = path_energy(spec, outcome.best, beta_max);
        result.chain_best.push_back(outcome.best);
        result.chain_best_energy.push_back(e);
        if (e < result.best_energy) {
            result.best_energy = e;
            result.best = outcome.best;
            result.best_chain = c;
        }
        result.samples += outcome.samples;
        mutation_total += outcome.mutation_total;
        result.mean_free_energy += outcome.f_sum;
        square += outcome.f_square_sum;
        result.sample_barriers.insert(result.sample_barriers.end(), outcome.barriers.begin(), outcome.barriers.end());
        for (const auto& [key, sums] : outcome.mutations) {
            auto& total = totals[key];
            total.paths += sums.paths;
            total.count += sums.count;
            total.step_sum += sums.step_sum;
            total.rank_sum += sums.rank_sum;
        }
        result.counts.single_proposed += outcome.counts.single_proposed;
        result.counts.single_allowed += outcome.counts.single_allowed;
        result.counts.single_accepted += outcome.counts.single_accepted;
        result.counts.exchange_proposed += outcome.counts.exchange_proposed;
        result.counts.exchange_accepted += outcome.counts.exchange_accepted;
    }
    if (result.samples > 0) {
        const auto n = static_cast<double>(result.samples);
        result.mean_free_energy /= n;
        result.sd_free_energy = (square / n - result.mean_free_energy.cwiseAbs2()).cwiseMax(0.0).cwiseSqrt();
        result.mean_mutations = static_cast<double>(mutation_total) / n;
        for (const auto& [key, total] : totals) {
            MutationStatistic s;
            s.site = std::get<0>(key);
            s.from = static_cast<std::uint8_t>(std::get<1>(key));
            s.to = static_cast<std::uint8_t>(std::get<2>(key));
            s.path_fraction = static_cast<double>(total.paths) / n;
            s.mean_count = static_cast<double>(total.count) / n;
            s.mean_step = total.step_sum / static_cast<double>(total.count);
            s.mean_rank = total.rank_sum / static_cast<double>(total.count);
            result.statistics.push_back(s);
        }
        std::stable_sort(result.statistics.begin(), result.statistics.end(),
                         [](const MutationStatistic& x, const MutationStatistic& y) {
                             return x.path_fraction > y.path_fraction;
                         });
    } else {
        result.mean_free_energy.setConstant(std::numeric_limits<double>::quiet_NaN());
        result.sd_free_energy.setConstant(std::numeric_limits<double>::quiet_NaN());
    }
    return result;
}

}  // namespace pottsrbm::paths
