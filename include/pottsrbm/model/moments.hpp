// One- and two-site statistics of weighted sequence sets, and the moment-matching scores that
// tell how well samples of a model reproduce the data:
//   f_i(a)        = sum_m w_m [v_mi = a] / sum_m w_m                         (N x q)
//   f_ij(a,b)     = sum_m w_m [v_mi = a][v_mj = b] / sum_m w_m               (i < j)
//   C_ij(a,b)     = f_ij(a,b) - f_i(a) f_j(b)                                (connected)
// Pair statistics are accumulated sparsely (N^2 index pairs per sequence), never by a dense
// one-hot product, and stored as an (N*q) x (N*q) matrix of which only i < j blocks are used.
#pragma once

#include "pottsrbm/model/rbm.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <limits>
#include <vector>

namespace pottsrbm::model {

struct SiteStatistics {
    int sites = 0;
    int states = 0;
    Eigen::MatrixXd single;  ///< N x q
    Eigen::MatrixXd pair;    ///< (N*q) x (N*q), row i*q+a, column j*q+b, filled for i < j
};

/// Weighted one- and two-site frequencies (weights: B entries, or empty = uniform).
[[nodiscard]] SiteStatistics site_statistics(const Eigen::Ref<const StateMatrix>& sequences,
                                             const Eigen::VectorXd& weights, int states);

/// Pearson correlation and least-squares slope of y on x over `count` pairs; NaN where undefined
/// (Pearson: x or y constant or fewer than 2 pairs; slope: x constant or fewer than 2 pairs).
struct Correlation {
    double pearson = std::numeric_limits<double>::quiet_NaN();
    double slope = std::numeric_limits<double>::quiet_NaN();
    std::int64_t count = 0;
};

/// Accumulates (x, y) pairs for a Correlation in one numerically stable pass (Welford co-moments).
class Regression {
public:
    void add(double x, double y);
    [[nodiscard]] Correlation result() const;

private:
    std::int64_t count_ = 0;
    double mean_x_ = 0;
    double mean_y_ = 0;
    double sxx_ = 0;
    double syy_ = 0;
    double sxy_ = 0;
};

/// Correlation of y[k] on x[k]; UsageError when x and y differ in length.
[[nodiscard]] Correlation correlate(const std::vector<double>& x, const std::vector<double>& y);

struct MomentMatch {
    double single_pearson = 0;     ///< Pearson of f_i(a) (all i, a)
    double single_slope = 0;       ///< least-squares slope model vs data
    double connected_pearson = 0;  ///< Pearson of C_ij(a,b) over i < j and all a, b
    double connected_slope = 0;
};

/// Compares model statistics (e.g. from persistent chains or samples) with data statistics.
[[nodiscard]] MomentMatch compare_moments(const SiteStatistics& data, const SiteStatistics& model);

/// A unit is active when its weight norm ||W_mu|| = sqrt(sum_{i,a} W_{i mu}(a)^2) is above
/// `threshold` times max(1, the largest unit's norm): relative to the largest unit, and never
/// below `threshold` itself, where the unit's input I_mu(v) stays within sqrt(N) * threshold of 0
/// and its term in F(v) is negligible. The L1^2 penalty takes the units it does not need to
/// 1e-9 to 1e-3 of the largest norm (docs/algorithms.md, regularization).
inline constexpr double active_unit_threshold = 1e-3;
/// Per unit: whether it is active (see active_unit_threshold).
[[nodiscard]] std::vector<bool> active_units(const Rbm& rbm, double threshold = active_unit_threshold);

/// Weight sparsity over the active units: fraction of |W_{i mu}(a)| below `threshold` times the
/// largest |W| of unit mu, averaged over units; the mean participation ratio of the site norms
/// PR_mu = (sum_i ||W_i mu||^2)^2 / (N sum_i ||W_i mu||^4) (1/N = one site, 1 = uniform); and the
/// number of active units. Inactive units (noise-level weights) would count as uniform (PR near 1).
struct Sparsity {
    double small_weight_fraction = 0;
    double participation_ratio = 0;
    int active_units = 0;
};
[[nodiscard]] Sparsity weight_sparsity(const Rbm& rbm, double threshold = 0.01);

}  // namespace pottsrbm::model
