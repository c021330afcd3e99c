// One- and two-site statistics of weighted sequence sets, moment-matching scores and weight
// sparsity (see moments.hpp and docs/estimators.md).
#include "pottsrbm/model/moments.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/threads.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <limits>

namespace pottsrbm::model {
namespace {

void check_shape(const SiteStatistics& stats, const char* which) {
    const Eigen::Index dimension = static_cast<Eigen::Index>(stats.sites) * stats.states;
    if (stats.single.rows() != stats.sites || stats.single.cols() != stats.states || stats.pair.rows() != dimension ||
        stats.pair.cols() != dimension)
        throw UsageError(fmt::format("compare_moments: {} statistics have inconsistent shapes (N = {}, q = {})", which,
                                     stats.sites, stats.states));
}

}  // namespace

void Regression::add(double x, double y) {
    ++count_;
    const double n = static_cast<double>(count_);
    const double dx = x - mean_x_;
    mean_x_ += dx / n;
    const double dy = y - mean_y_;
    mean_y_ += dy / n;
    sxx_ += dx * (x - mean_x_);
    syy_ += dy * (y - mean_y_);
    sxy_ += dx * (y - mean_y_);
}

Correlation Regression::result() const {
    Correlation out;
    out.count = count_;
    if (sxx_ > 0) out.slope = sxy_ / sxx_;
    if (sxx_ > 0 && syy_ > 0) out.pearson = sxy_ / std::sqrt(sxx_ * syy_);
    return out;
}

Correlation correlate(const std::vector<double>& x, const std::vector<double>& y) {
    if (x.size() != y.size()) throw UsageError(fmt::format("correlate: {} values against {}", x.size(), y.size()));
    Regression regression;
    for (std::size_t k = 0; k < x.size(); ++k) regression.add(x[k], y[k]);
    return regression.result();
}

SiteStatistics site_statistics(const Eigen::Ref<const StateMatrix>& sequences, const Eigen::VectorXd& weights,
                               int states) {
    if (states < 2) throw UsageError(fmt::format("site statistics: q must be at least 2, got {}", states));
    const Eigen::Index count = sequences.rows();
    const int sites = static_cast<int>(sequences.cols());
    const bool uniform = weights.size() == 0;
    if (!uniform && weights.size() != count)
        throw UsageError(fmt::format("site statistics: {} weights for {} sequences", weights.size(), count));
    if (!uniform && !(weights.array().isFinite() && weights.array() >= 0).all())
        throw InputError("site statistics: sequence weights must be finite and non-negative");
    for (Eigen::Index b = 0; b < count; ++b)
        for (int i = 0; i < sites; ++i)
            if (sequences(b, i) >= states)
                throw InputError(fmt::format("site statistics: sequence {}, site {}: state {} is out of range for q = {}",
                                             b + 1, i + 1, static_cast<int>(sequences(b, i)), states));
    const double total = uniform ? static_cast<double>(count) : weights.sum();
    if (!(total > 0)) throw InputError("site statistics: no sequences (or zero total weight)");

    SiteStatistics stats;
    stats.sites = sites;
    stats.states = states;
    const Eigen::Index dimension = static_cast<Eigen::Index>(sites) * states;
    stats.single = Eigen::MatrixXd::Zero(sites, states);
    stats.pair = Eigen::MatrixXd::Zero(dimension, dimension);
    const std::uint8_t* data = sequences.data();
    const Eigen::Index stride = sequences.outerStride();

    // Parallel over the first site i: the thread that owns i accumulates rows i*q..i*q+q-1 (all
    // j > i) over every sequence in order, in a private q x (N*q) block. Each entry is thus summed
    // in the same order whatever the thread count, and no thread holds an (N*q)^2 copy.
#pragma omp parallel num_threads(pottsrbm::threads())
    {
        RowMatrixXd block(states, dimension);
        Eigen::VectorXd single(states);
#pragma omp for schedule(dynamic, 1)
        for (int i = 0; i < sites; ++i) {
            block.setZero();
            single.setZero();
            const Eigen::Index first_column = static_cast<Eigen::Index>(i + 1) * states;
            for (Eigen::Index b = 0; b < count; ++b) {
                const std::uint8_t* v = data + b * stride;
                const double w = uniform ? 1.0 : weights(b);
                if (w == 0) continue;
                single(v[i]) += w;
                double* row = block.row(v[i]).data();
                for (int j = i + 1; j < sites; ++j) row[static_cast<Eigen::Index>(j) * states + v[j]] += w;
            }
            stats.single.row(i) = single.transpose() / total;
            stats.pair.block(static_cast<Eigen::Index>(i) * states, first_column, states, dimension - first_column) =
                block.rightCols(dimension - first_column) / total;
        }
    }
    return stats;
}

MomentMatch compare_moments(const SiteStatistics& data, const SiteStatistics& model) {
    check_shape(data, "data");
    check_shape(model, "model");
    if (data.sites != model.sites || data.states != model.states)
        throw UsageError(fmt::format("compare_moments: data have N = {}, q = {} but the model statistics N = {}, q = {}",
                                     data.sites, data.states, model.sites, model.states));
    const int sites = data.sites;
    const int states = data.states;

    Regression single;
    for (int i = 0; i < sites; ++i)
        for (int a = 0; a < states; ++a) single.add(data.single(i, a), model.single(i, a));

    Regression connected;
    for (int i = 0; i < sites; ++i)
        for (int j = i + 1; j < sites; ++j)
            for (int b = 0; b < states; ++b) {
                const Eigen::Index column = static_cast<Eigen::Index>(j) * states + b;
                for (int a = 0; a < states; ++a) {
                    const Eigen::Index row = static_cast<Eigen::Index>(i) * states + a;
                    connected.add(data.pair(row, column) - data.single(i, a) * data.single(j, b),
                                  model.pair(row, column) - model.single(i, a) * model.single(j, b));
                }
            }

    const Correlation single_fit = single.result();
    const Correlation connected_fit = connected.result();
    MomentMatch match;
    match.single_pearson = single_fit.pearson;
    match.single_slope = single_fit.slope;
    match.connected_pearson = connected_fit.pearson;
    match.connected_slope = connected_fit.slope;
    return match;
}

std::vector<bool> active_units(const Rbm& rbm, double threshold) {
    if (!(threshold >= 0 && threshold <= 1))
        throw UsageError(fmt::format("active units: threshold must be in [0, 1], got {}", threshold));
    const Eigen::VectorXd norms = rbm.weights.cast<double>().colwise().norm().transpose();
    const double largest = norms.size() > 0 ? norms.maxCoeff() : 0.0;
    const double cutoff = threshold * std::max(1.0, largest);
    std::vector<bool> active(static_cast<std::size_t>(norms.size()));
    for (Eigen::Index mu = 0; mu < norms.size(); ++mu) active[static_cast<std::size_t>(mu)] = norms(mu) > cutoff;
    return active;
}

Sparsity weight_sparsity(const Rbm& rbm, double threshold) {
    if (!(threshold >= 0 && threshold <= 1))
        throw UsageError(fmt::format("weight sparsity: threshold must be in [0, 1], got {}", threshold));
    const int sites = rbm.sites;
    const int states = rbm.states;
    const int units = rbm.units();
    if (rbm.weights.rows() != static_cast<Eigen::Index>(sites) * states)
        throw UsageError(fmt::format("weight sparsity: weights have {} rows, expected N*q = {}", rbm.weights.rows(),
                                     static_cast<Eigen::Index>(sites) * states));

    const std::vector<bool> active = active_units(rbm);
    double fraction_sum = 0;
    double ratio_sum = 0;
    int counted = 0;
    for (int mu = 0; mu < units; ++mu) {
        if (!active[static_cast<std::size_t>(mu)]) continue;  // no sparsity pattern, only noise
        const auto column = rbm.weights.col(mu);
        const double largest = column.cwiseAbs().maxCoeff();
        const double cutoff = threshold * largest;
        Eigen::Index small = 0;
        double norms = 0;
        double norms_squared = 0;
        for (int i = 0; i < sites; ++i) {
            double site_norm = 0;
            for (int a = 0; a < states; ++a) {
                const double w = column(static_cast<Eigen::Index>(i) * states + a);
                small += std::abs(w) < cutoff;
                site_norm += w * w;
            }
            norms += site_norm;
            norms_squared += site_norm * site_norm;
        }
        fraction_sum += static_cast<double>(small) / static_cast<double>(column.size());
        ratio_sum += norms * norms / (sites * norms_squared);
        ++counted;
    }
    Sparsity sparsity;
    sparsity.active_units = counted;
    if (counted == 0) {
        sparsity.small_weight_fraction = sparsity.participation_ratio = std::numeric_limits<double>::quiet_NaN();
        return sparsity;
    }
    sparsity.small_weight_fraction = fraction_sum / counted;
    sparsity.participation_ratio = ratio_sum / counted;
    return sparsity;
}

}  // namespace pottsrbm::model
