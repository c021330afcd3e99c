// Path model tests on tiny models (N = 4, q = 3): exact enumeration of all paths as the oracle of
// the path sampler (chi-square at p = 0.001) and of the mean field, the greedy direct path by
// brute force, incremental energies, annealing, and determinism across thread counts.
#include "model/model_test_utils.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/threads.hpp"
#include "pottsrbm/paths/exact.hpp"
#include "pottsrbm/paths/mean_field.hpp"
#include "pottsrbm/paths/path.hpp"
#include "pottsrbm/paths/sampler.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <map>
#include <string>

using namespace pottsrbm;
using namespace pottsrbm::paths;
using model::testing::random_model;
using Catch::Contains;

namespace {

model::Rbm tiny_model(double weight_scale, std::uint64_t seed = 11) {
    model::testing::RandomModelOptions options;
    options.weight_scale = weight_scale;
    return random_model(model::HiddenType::drelu, 4, 3, 2, seed, options);
}

PathSpec tiny_spec(int steps, int max_distance, double lambda, bool free_end = false) {
    PathSpec spec;
    spec.from = {0, 1, 2, 0};
    if (!free_end) spec.to = {1, 1, 0, 0};  // d(A, B) = 2
    spec.steps = steps;
    spec.max_distance = max_distance;
    spec.lambda = lambda;
    return spec;
}

std::int64_t config_index(const model::StateMatrix& states, int t) {
    return model::index_of_configuration(states.row(t).data(), static_cast<int>(states.cols()), 3);
}

std::vector<std::int64_t> path_key(const model::StateMatrix& states) {
    std::vector<std::int64_t> key;
    for (Eigen::Index t = 0; t < states.rows(); ++t) key.push_back(config_index(states, static_cast<int>(t)));
    return key;
}

double max_marginal_error(const std::vector<Eigen::MatrixXd>& a, const std::vector<Eigen::MatrixXd>& b) {
    double error = 0;
    for (std::size_t t = 0; t < a.size(); ++t) error = std::max(error, (a[t] - b[t]).cwiseAbs().maxCoeff());
    return error;
}

template <typename Body>
void require_usage_error(Body&& body, const std::string& needle) {
    try {
        body();
        FAIL("no UsageError was thrown");
    } catch (const UsageError& e) {
        CHECK_THAT(std::string(e.what()), Contains(needle));
    }
}

}  // namespace

TEST_CASE("path specs are validated with the option named", "[paths]") {
    const auto rbm = tiny_model(0.5);
    PathSpec spec = tiny_spec(2, 1, 0.5);
    CHECK_NOTHROW(spec.validate(rbm));
    auto bad = spec;
    bad.steps = 1;  // d(A, B) = 2 > T * D
    require_usage_error([&] { bad.validate(rbm); }, "--steps: 1 steps of at most 1 mutation(s)");
    bad = spec;
    bad.to = {1, 1, 0};
    require_usage_error([&] { bad.validate(rbm); }, "--to: the sequence has 3 sites, the model has N = 4");
    bad = spec;
    bad.from[2] = 3;
    require_usage_error([&] { bad.validate(rbm); }, "--from: state 3 at site 3");
    bad = spec;
    bad.beta = -1;
    require_usage_error([&] { bad.validate(rbm); }, "--beta");
    bad = spec;
    bad.lambda = std::numeric_limits<double>::quiet_NaN();
    require_usage_error([&] { bad.validate(rbm); }, "--lambda");
    bad = spec;
    bad.max_distance = 0;
    bad.steps = 1;  // no hard constraint: one step may change both sites
    CHECK_NOTHROW(bad.validate(rbm));
    CHECK(default_steps(36) == 44);
    CHECK(default_steps(3) == 5);
    CHECK(default_steps(-1) == 10);
}

TEST_CASE("the greedy direct path takes the lowest-F remaining replacement at every step", "[paths]") {
    const auto rbm = random_model(model::HiddenType::drelu, 9, 5, 4, 3);
    const Sequence a = {0, 1, 2, 3, 4, 0, 1, 2, 3};
    const Sequence b = {4, 1, 0, 2, 4, 3, 2, 2, 0};
    const int d = hamming(a, b);
    REQUIRE(d == 6);
    const Path path = greedy_direct_path(rbm, a, b);
    REQUIRE(path.steps() == d);
    Sequence current = a;
    for (int t = 1; t <= d; ++t) {
        // Brute force over the remaining replacements.
        double best = std::numeric_limits<double>::infinity();
        for (int i = 0; i < 9; ++i) {
            if (current[static_cast<std::size_t>(i)] == b[static_cast<std::size_t>(i)]) continue;
            Sequence candidate = current;
            candidate[static_cast<std::size_t>(i)] = b[static_cast<std::size_t>(i)];
            best = std::min(best, model::free_energy(rbm, candidate.data()));
        }
        int changed = 0;
        for (int i = 0; i < 9; ++i) {
            if (path.states(t, i) == current[static_cast<std::size_t>(i)]) continue;
            ++changed;
            CHECK(path.states(t, i) == b[static_cast<std::size_t>(i)]);
            current[static_cast<std::size_t>(i)] = b[static_cast<std::size_t>(i)];
        }
        CHECK(changed == 1);
        CHECK(path.free_energy[t] == Approx(best).epsilon(1e-12));
        CHECK(path.free_energy[t] == Approx(model::free_energy(rbm, current.data())).epsilon(1e-12));
    }
    CHECK(current == b);
    const auto list = mutations(path);
    CHECK(list.size() == 6);
    CHECK(mutation_label(2, 2, 0, rbm.columns) == "C3-");
}

TEST_CASE("exact enumeration: uniform orderings without landscape, weights equal exp(-path energy)", "[paths]") {
    const auto rbm = tiny_model(0.5);
    SECTION("beta = 0, lambda = 0, T = d: the d! orderings, equally likely") {
        PathSpec spec;
        spec.from = {0, 0, 0, 0};
        spec.to = {1, 2, 1, 0};
        spec.steps = 3;
        spec.beta = 0;
        spec.lambda = 0;
        const auto exact = enumerate_paths(rbm, spec);
        REQUIRE(exact.paths.size() == 6);
        for (Eigen::Index k = 0; k < 6; ++k) CHECK(exact.probabilities[k] == Approx(1.0 / 6));
    }
    SECTION("every enumerated path has probability exp(-E(path)) / Z") {
        for (const auto& spec : {tiny_spec(4, 1, 0.5), tiny_spec(3, 1, 0.5, true), tiny_spec(2, 0, 1.5)}) {
            const auto exact = enumerate_paths(rbm, spec);
            CHECK(exact.probabilities.sum() == Approx(1.0).epsilon(1e-12));
            for (std::size_t k = 0; k < exact.paths.size(); k += 7) {
                model::StateMatrix states(spec.steps + 1, 4);
                for (int t = 0; t <= spec.steps; ++t)
                    model::configuration_from_index(exact.paths[k][static_cast<std::size_t>(t)], 4, 3, states.row(t).data());
                const double energy = path_energy(spec, make_path(rbm, states), spec.beta);
                REQUIRE(std::isfinite(energy));
                CHECK(std::log(exact.probabilities[static_cast<Eigen::Index>(k)]) ==
                      Approx(-energy - exact.log_z).margin(1e-9));
            }
        }
    }
}

TEST_CASE("path MCMC samples the exact path distribution (chi-square, p = 0.001)", "[paths][statistical]") {
    const auto rbm = tiny_model(0.8);
    struct Case {
        const char* name;
        PathSpec spec;
    };
    PathSpec two_per_step = tiny_spec(2, 2, 0.7);
    two_per_step.to = {1, 2, 0, 1};  // d = 4 in 2 steps of at most 2 mutations
    const std::vector<Case> cases = {
        {"both ends fixed, one mutation per step, two slack steps", tiny_spec(4, 1, 0.5)},
        {"anchored exploration (free end)", tiny_spec(3, 1, 0.5, true)},
        {"no hard constraint, lambda only", tiny_spec(2, 0, 1.5)},
        {"at most two mutations per step", two_per_step},
    };
    for (const auto& c : cases) {
        SECTION(c.name) {
            const auto exact = enumerate_paths(rbm, c.spec);
            std::map<std::vector<std::int64_t>, std::size_t> index;
            for (std::size_t k = 0; k < exact.paths.size(); ++k) index[exact.paths[k]] = k;
            std::vector<double> counts(exact.paths.size(), 0.0);
            double total = 0;
            for (int chain_index = 0; chain_index < 4; ++chain_index) {
                PathChain chain(rbm, c.spec, Rng(2024, static_cast<std::uint64_t>(chain_index)));
                for (int s = 0; s < 200; ++s) chain.sweep(c.spec.beta);
                for (int sample = 0; sample < 5000; ++sample) {
                    for (int s = 0; s < 4; ++s) chain.sweep(c.spec.beta);
                    const auto found = index.find(path_key(chain.states()));
                    REQUIRE(found != index.end());
                    counts[found->second] += 1;
                    total += 1;
                }
                // The incremental energies have not drifted from a fresh computation.
                const Path fresh = make_path(rbm, chain.states());
                CHECK((fresh.free_energy - chain.free_energies()).cwiseAbs().maxCoeff() < 1e-9);
                CHECK(chain.energy(c.spec.beta) == Approx(path_energy(c.spec, fresh, c.spec.beta)).margin(1e-8));
            }
            std::vector<double> expected(exact.probabilities.data(), exact.probabilities.data() + exact.probabilities.size());
            const auto [statistic, dof] = model::testing::chi_square(counts, expected, total);
            INFO(c.name << ": " << exact.paths.size() << " paths, chi2 = " << statistic << " with " << dof << " dof");
            REQUIRE(dof >= 1);
            CHECK(statistic < model::testing::chi_square_critical(dof));
        }
    }
}

TEST_CASE("annealing finds the lowest-energy path of a tiny model", "[paths]") {
    const auto rbm = tiny_model(0.8, 5);
    const PathSpec spec = tiny_spec(4, 1, 0.5);
    SamplerParams params;
    params.paths = 3;
    params.burn_in = 50;
    params.sweeps = 200;
    params.anneal_sweeps = 300;
    params.beta_max = 20;
    const auto result = sample_paths(rbm, spec, params);
    // The exact minimum of beta_max * sum F + lambda * sum d over the enumerated paths.
    const auto exact = enumerate_paths(rbm, spec);
    double lowest = std::numeric_limits<double>::infinity();
    for (const auto& p : exact.paths) {
        model::StateMatrix states(spec.steps + 1, 4);
        for (int t = 0; t <= spec.steps; ++t)
            model::configuration_from_index(p[static_cast<std::size_t>(t)], 4, 3, states.row(t).data());
        lowest = std::min(lowest, path_energy(spec, make_path(rbm, states), params.beta_max));
    }
    CHECK(result.best_energy == Approx(lowest).epsilon(1e-12));
    CHECK(path_energy(spec, result.best, params.beta_max) == Approx(lowest).epsilon(1e-12));
    CHECK(result.samples == 3 * 20);
    CHECK(static_cast<long long>(result.sample_barriers.size()) == result.samples);
    double fraction_sum = 0;
    for (const auto& s : result.statistics) {
        CHECK(s.path_fraction > 0);
        CHECK(s.path_fraction <= 1);
        CHECK(s.mean_count >= s.path_fraction);
        CHECK(s.mean_step >= 1);
        CHECK(s.mean_step <= spec.steps);
        fraction_sum += s.mean_count;
    }
    CHECK(fraction_sum == Approx(result.mean_mutations));
}

TEST_CASE("sample_paths gives identical results with 1 and 2 threads", "[paths]") {
    const auto rbm = random_model(model::HiddenType::drelu, 12, 5, 6, 17);
    PathSpec spec;
    spec.from = {0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1};
    spec.to = {4, 1, 0, 3, 2, 0, 1, 4, 3, 1, 0, 2};
    spec.steps = default_steps(hamming(spec.from, spec.to));
    SamplerParams params;
    params.paths = 5;
    params.burn_in = 20;
    params.sweeps = 100;
    params.anneal_sweeps = 50;
    params.seed = 99;
    set_threads(1);
    const auto one = sample_paths(rbm, spec, params);
    set_threads(2);
    const auto two = sample_paths(rbm, spec, params);
    set_threads(0);
    CHECK(one.best.states == two.best.states);
    CHECK(one.best_energy == two.best_energy);
    CHECK(one.best_chain == two.best_chain);
    CHECK(one.mean_free_energy == two.mean_free_energy);
    CHECK(one.sample_barriers == two.sample_barriers);
    REQUIRE(one.statistics.size() == two.statistics.size());
    for (std::size_t k = 0; k < one.statistics.size(); ++k) {
        CHECK(one.statistics[k].site == two.statistics[k].site);
        CHECK(one.statistics[k].to == two.statistics[k].to);
        CHECK(one.statistics[k].mean_step == two.statistics[k].mean_step);
    }
    // A different seed gives different samples.
    params.seed = 100;
    const auto other = sample_paths(rbm, spec, params);
    CHECK(other.mean_free_energy != one.mean_free_energy);
}

TEST_CASE("mean field is exact for independent sites and its error is second order in the weights", "[paths][mean-field]") {
    // Without hard constraint and without hidden units the path distribution factorizes over
    // sites into exactly the chains the mean field solves.
    const PathSpec spec = tiny_spec(3, 0, 1.2);
    const auto independent = mean_field(tiny_model(0.0), spec, {});
    CHECK(independent.converged);
    CHECK(max_marginal_error(independent.marginals, enumerate_paths(tiny_model(0.0), spec).marginals) < 1e-9);
    // With weights epsilon * W the neglected input fluctuations change the marginals by O(eps^2):
    // halving eps divides the error by about 4 (at most 0.3 allowed).
    const double coarse = max_marginal_error(mean_field(tiny_model(0.1), spec, {}).marginals,
                                             enumerate_paths(tiny_model(0.1), spec).marginals);
    const double fine = max_marginal_error(mean_field(tiny_model(0.05), spec, {}).marginals,
                                           enumerate_paths(tiny_model(0.05), spec).marginals);
    INFO("error at eps 0.1: " << coarse << ", at eps 0.05: " << fine);
    CHECK(coarse < 0.01);
    CHECK(fine < 0.3 * coarse);
}

TEST_CASE("mean field with the hard constraint: the Sinkhorn solution when T = d(A, B)", "[paths][mean-field]") {
    // T = d = 2, no hidden units: the exact law orders the two mutations with odds
    // w01 w22 / (w02 w21) (w_is = exp(beta g_i(state at the intermediate step))); the mean field
    // with E[d_t] <= 1 is the doubly stochastic scaling of the 2 x 2 matrix w, whose odds are the
    // square root of the exact odds. Detours at the other sites vanish as the multipliers grow.
    auto rbm = tiny_model(0.0);
    const PathSpec spec = tiny_spec(2, 1, 0.5);
    const auto result = mean_field(rbm, spec, {});
    CHECK(result.converged);
    CHECK(result.constraint_excess < 1e-3);
    const auto g = [&](int i, int a) { return static_cast<double>(rbm.fields(i, a)); };
    // Site 0 (0 -> 1) first: x_1 = (1,1,2,0); site 2 (2 -> 0) first: x_1 = (0,1,0,0).
    const double log_odds = g(0, 1) + g(2, 2) - g(0, 0) - g(2, 0);
    const double exact_first = 1 / (1 + std::exp(-log_odds));
    const double mean_field_first = 1 / (1 + std::exp(-0.5 * log_odds));
    CHECK(result.marginals[1](0, 1) == Approx(mean_field_first).margin(2e-3));
    const auto exact = enumerate_paths(rbm, spec);
    CHECK(exact.marginals[1](0, 1) == Approx(exact_first).margin(1e-12));
}

TEST_CASE("mean field iterations never increase the variational free energy and meet the constraint", "[paths][mean-field]") {
    const auto rbm = random_model(model::HiddenType::drelu, 8, 4, 5, 23);
    PathSpec spec;
    spec.from = {0, 1, 2, 3, 0, 1, 2, 3};
    spec.to = {3, 1, 0, 3, 2, 1, 0, 1};
    spec.steps = 7;
    spec.lambda = 0.3;
    // Exact convex steps (multipliers solved to 1e-10), as the monotonicity argument assumes;
    // 1e-8 relative leaves room for the rounding of the dual solution only.
    MeanFieldParams params;
    params.dual_tolerance = 1e-10;
    params.max_dual_iterations = 100000;
    const auto result = mean_field(rbm, spec, params);
    CHECK(result.converged);
    REQUIRE(result.objective.size() >= 3);
    for (std::size_t k = 1; k < result.objective.size(); ++k)
        CHECK(result.objective[k] <= result.objective[k - 1] + 1e-8 * std::abs(result.objective[k - 1]));
    CHECK(result.constraint_excess < 1e-3);
    for (const auto& m : result.marginals) CHECK((m.rowwise().sum().array() - 1).abs().maxCoeff() < 1e-9);
    CHECK(result.distance_from[0] == Approx(0).margin(1e-12));
    CHECK(result.distance_to[spec.steps] == Approx(0).margin(1e-12));
    // Each of the 5 differing sites switches once: the mean switch steps lie in 1..T.
    for (int i = 0; i < 8; ++i)
        if (spec.from[static_cast<std::size_t>(i)] != spec.to[static_cast<std::size_t>(i)]) {
            const double s = mean_switch_step(result, i, spec.to[static_cast<std::size_t>(i)]);
            CHECK(s >= 1);
            CHECK(s <= spec.steps);
        }
}

TEST_CASE("mean-field marginals are close to the exact ones on the tiny model", "[paths][mean-field]") {
    // Measured errors (max over t, i, a of |q_MF - P_exact|) on this model are 0.087 (T = d) and
    // 0.12 (two slack steps): the average constraint lets the mean field spend a step on a
    // detour or on two mutations that the hard constraint forbids, and the ordering of the
    // mutations is scaled (Sinkhorn) rather than summed over permutations. 0.15 bounds both;
    // a straight interpolation from A to B is much further from the exact marginals.
    const auto rbm = tiny_model(0.5);
    for (int steps : {2, 4}) {
        const PathSpec spec = tiny_spec(steps, 1, 0.5);
        const auto exact = enumerate_paths(rbm, spec);
        const auto result = mean_field(rbm, spec, {});
        CHECK(result.converged);
        std::vector<Eigen::MatrixXd> straight(static_cast<std::size_t>(steps + 1), Eigen::MatrixXd::Zero(4, 3));
        for (int t = 0; t <= steps; ++t)
            for (int i = 0; i < 4; ++i) {
                straight[static_cast<std::size_t>(t)](i, spec.from[static_cast<std::size_t>(i)]) += 1.0 - double(t) / steps;
                straight[static_cast<std::size_t>(t)](i, spec.to[static_cast<std::size_t>(i)]) += double(t) / steps;
            }
        const double error = max_marginal_error(result.marginals, exact.marginals);
        const double baseline = max_marginal_error(straight, exact.marginals);
        INFO("T = " << steps << ": mean-field error " << error << ", straight interpolation " << baseline);
        CHECK(error < 0.15);
        CHECK(error < 0.5 * baseline);
    }
}
