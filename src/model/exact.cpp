// Exact enumeration of the q^N visible configurations of a tiny Potts-RBM (see exact.hpp).
//
// At inverse temperature beta, P_beta(v) is proportional to int exp(-beta E(v,h)) dh, i.e.
//   log P*_beta(v) = beta sum_i g_i(v_i) + sum_mu Gamma^beta_mu(beta I_mu(v)),
// where Gamma^beta is the CGF of the unit with its parameters multiplied by beta (hidden.hpp).
// Everything is computed in double; configurations are processed in fixed chunks and partial sums
// are combined in chunk order, so the results do not depend on the number of threads.
#include "pottsrbm/model/exact.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/threads.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace pottsrbm::model {
namespace {

using Index = Eigen::Index;

constexpr std::int64_t chunk_size = 4096;

// Advances `v` to the next configuration (last site fastest), as the index increases by one.
void next_configuration(std::uint8_t* v, int sites, int states) {
    for (int i = sites - 1; i >= 0; --i) {
        if (++v[i] < states) return;
        v[i] = 0;
    }
}

}  // namespace

void configuration_from_index(std::int64_t index, int sites, int states, std::uint8_t* out) {
    for (int i = sites - 1; i >= 0; --i) {
        out[i] = static_cast<std::uint8_t>(index % states);
        index /= states;
    }
}

std::int64_t index_of_configuration(const std::uint8_t* sequence, int sites, int states) {
    std::int64_t index = 0;
    for (int i = 0; i < sites; ++i) index = index * states + sequence[i];
    return index;
}

ExactDistribution enumerate_exact(const Rbm& rbm, double beta, std::int64_t max_configurations) {
    if (!(beta > 0) || !std::isfinite(beta))
        throw UsageError(fmt::format("enumerate_exact: inverse temperature must be positive and finite, got {}", beta));
    const int sites = rbm.sites;
    const int states = rbm.states;
    const int units = rbm.units();
    std::int64_t count = 1;
    for (int i = 0; i < sites; ++i) {
        if (count > max_configurations / states)
            throw UsageError(fmt::format("enumerate_exact: q^N = {}^{} configurations exceed the limit of {}", states,
                                         sites, max_configurations));
        count *= states;
    }
    const HiddenLayer layer = rbm.hidden.scaled(beta);
    const std::int64_t chunks = (count + chunk_size - 1) / chunk_size;

    ExactDistribution result;
    Eigen::VectorXd& log_weight = result.probabilities;  // log P*_beta(v), turned into P(v) below
    log_weight.resize(count);
    std::vector<double> chunk_max(static_cast<std::size_t>(chunks));
    std::vector<double> chunk_sum(static_cast<std::size_t>(chunks));

#pragma omp parallel num_threads(pottsrbm::threads())
    {
        std::vector<std::uint8_t> v(static_cast<std::size_t>(sites));
        Eigen::VectorXd inputs(units);
#pragma omp for schedule(dynamic, 1)
        for (std::int64_t c = 0; c < chunks; ++c) {
            const std::int64_t first = c * chunk_size;
            const std::int64_t last = std::min(count, first + chunk_size);
            configuration_from_index(first, sites, states, v.data());
            double largest = -std::numeric_limits<double>::infinity();
            for (std::int64_t k = first; k < last; ++k) {
                inputs.setZero();
                double value = 0;
                for (int i = 0; i < sites; ++i) {
                    const Index row = static_cast<Index>(i) * states + v[static_cast<std::size_t>(i)];
                    inputs += rbm.weights.row(row).transpose().cast<double>();
                    value += rbm.fields(i, v[static_cast<std::size_t>(i)]);
                }
                value *= beta;
                for (int mu = 0; mu < units; ++mu) value += hidden_cgf(layer, mu, beta * inputs[mu]);
                log_weight[k] = value;
                largest = std::max(largest, value);
                next_configuration(v.data(), sites, states);
            }
            chunk_max[static_cast<std::size_t>(c)] = largest;
        }
    }
    const double shift = *std::max_element(chunk_max.begin(), chunk_max.end());
    if (!std::isfinite(shift)) throw RuntimeFailure("enumerate_exact: non-finite log probability");

#pragma omp parallel for schedule(static) num_threads(pottsrbm::threads())
    for (std::int64_t c = 0; c < chunks; ++c) {
        const std::int64_t first = c * chunk_size;
        const std::int64_t last = std::min(count, first + chunk_size);
        double sum = 0;
        for (std::int64_t k = first; k < last; ++k) sum += std::exp(log_weight[k] - shift);
        chunk_sum[static_cast<std::size_t>(c)] = sum;
    }
    double total = 0;
    for (double s : chunk_sum) total += s;
    result.log_z = shift + std::log(total);
    const double log_z = result.log_z;

#pragma omp parallel for schedule(static) num_threads(pottsrbm::threads())
    for (std::int64_t k = 0; k < count; ++k) log_weight[k] = std::exp(log_weight[k] - log_z);

    // Marginals: site i owns rows i*q .. i*q+q-1 of `pair` and row i of `single`; every thread
    // walks all configurations in index order.
    const Eigen::VectorXd& probability = result.probabilities;
    const Index width = static_cast<Index>(sites) * states;
    result.single = Eigen::MatrixXd::Zero(sites, states);
    result.pair = Eigen::MatrixXd::Zero(width, width);
#pragma omp parallel num_threads(pottsrbm::threads())
    {
        std::vector<std::uint8_t> v(static_cast<std::size_t>(sites));
        Eigen::MatrixXd rows(states, width);
#pragma omp for schedule(dynamic, 1)
        for (int i = 0; i < sites; ++i) {
            rows.setZero();
            std::fill(v.begin(), v.end(), std::uint8_t{0});
            for (std::int64_t k = 0; k < count; ++k) {
                const double p = probability[k];
                const int a = v[static_cast<std::size_t>(i)];
                for (int j = 0; j < sites; ++j) rows(a, static_cast<Index>(j) * states + v[static_cast<std::size_t>(j)]) += p;
                next_configuration(v.data(), sites, states);
            }
            result.pair.middleRows(static_cast<Index>(i) * states, states) = rows;
            result.single.row(i) = rows.block(0, static_cast<Index>(i) * states, states, states).diagonal().transpose();
        }
    }
    return result;
}

}  // namespace pottsrbm::model
