// Effective couplings of a Potts-RBM, zero-sum gauge, Frobenius norms and APC (see couplings.hpp).
#include "pottsrbm/analysis/couplings.hpp"

#include "pottsrbm/core/alphabet.hpp"
#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/progress.hpp"
#include "pottsrbm/core/threads.hpp"
#include "pottsrbm/model/hidden.hpp"

#include <Eigen/Eigenvalues>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace pottsrbm::analysis {

using Eigen::Index;

namespace {

constexpr int residues = q_states - 1;
// Table of Gamma: points per unit input (at most max_table_points in all).
constexpr double table_step = 0.004;
constexpr int min_table_points = 4096;
constexpr int max_table_points = 1 << 16;

// Residue columns (states 1..20) of the weights of site i, centered over residues: 20 x H.
Eigen::MatrixXd centered_residue_weights(const model::Rbm& rbm, int i) {
    Eigen::MatrixXd block = rbm.weights.middleRows(static_cast<Index>(i) * rbm.states + 1, residues).cast<double>();
    block.rowwise() -= block.colwise().mean();
    return block;
}

}  // namespace

std::string_view to_string(CouplingApproximation approximation) {
    switch (approximation) {
        case CouplingApproximation::pgm: return "pgm";
        case CouplingApproximation::gaussian: return "gaussian";
        case CouplingApproximation::gaussian_uniform: return "gaussian-uniform";
        case CouplingApproximation::epistasis: return "epistasis";
    }
    return "?";
}

CouplingApproximation parse_coupling_approximation(std::string_view name, std::string_view option) {
    if (name == "pgm") return CouplingApproximation::pgm;
    if (name == "gaussian") return CouplingApproximation::gaussian;
    if (name == "gaussian-uniform") return CouplingApproximation::gaussian_uniform;
    if (name == "epistasis") return CouplingApproximation::epistasis;
    throw UsageError(fmt::format("{}: expected pgm, gaussian, gaussian-uniform or epistasis, got '{}'", option, name));
}

void gauss_hermite_normal(int points, std::vector<double>& nodes, std::vector<double>& weights) {
    if (points < 1 || points > 200)
        throw UsageError(fmt::format("Gauss-Hermite quadrature: expected 1 to 200 points, got {}", points));
    // Golub-Welsch: the Jacobi matrix of the probabilists' Hermite polynomials has zero diagonal
    // and off-diagonal sqrt(k); nodes are its eigenvalues, weights the squared first components.
    Eigen::MatrixXd jacobi = Eigen::MatrixXd::Zero(points, points);
    for (int k = 1; k < points; ++k) jacobi(k, k - 1) = jacobi(k - 1, k) = std::sqrt(static_cast<double>(k));
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(jacobi);
    nodes.resize(static_cast<std::size_t>(points));
    weights.resize(static_cast<std::size_t>(points));
    double total = 0;
    for (int k = 0; k < points; ++k) {
        nodes[static_cast<std::size_t>(k)] = solver.eigenvalues()(k);
        const double first = solver.eigenvectors()(0, k);
        weights[static_cast<std::size_t>(k)] = first * first;
        total += first * first;
    }
    for (double& w : weights) w /= total;
}

EffectiveCouplings::EffectiveCouplings(const model::Rbm& rbm, CouplingApproximation approximation,
                                       const WeightedSequences& data, const CouplingOptions& options)
    : rbm_(rbm), approximation_(approximation), options_(options) {
    if (rbm.states != q_states)
        throw UsageError(fmt::format("effective couplings: the model has q = {} states; a protein model has q = {}",
                                     rbm.states, q_states));
    const int sites = rbm.sites;
    const int units = rbm.units();
    const bool needs_data = approximation != CouplingApproximation::gaussian_uniform;
    if (needs_data && (data.states.rows() == 0 || data.states.cols() != sites || data.weights.size() != data.states.rows() ||
                       !(data.weights.sum() > 0)))
        throw UsageError(fmt::format("effective couplings ({}): need weighted sequences over the model's {} sites",
                                     to_string(approximation), sites));

    if (approximation == CouplingApproximation::pgm) {
        model::RowMatrixXf inputs(data.states.rows(), units);
        model::hidden_inputs(rbm, data.states, inputs);
        curvature_ = Eigen::VectorXd::Zero(units);
        const double total = data.weights.sum();
        for (Index m = 0; m < inputs.rows(); ++m) {
            const double w = data.weights(m) / total;
            if (w == 0) continue;
            for (int mu = 0; mu < units; ++mu)
                curvature_(mu) += w * model::hidden_moments(rbm.hidden, mu, inputs(m, mu)).variance;
        }
        return;
    }

    Eigen::VectorXd table_low(units);  // every input Gamma_mu is evaluated at lies in [low, high]
    Eigen::VectorXd table_high(units);
    if (approximation == CouplingApproximation::epistasis) {
        if (options_.epistasis_sequences < 1)
            throw UsageError(fmt::format("effective couplings (epistasis): epistasis_sequences must be at least 1, got {}",
                                         options_.epistasis_sequences));
        select_field_sequences(data);
        const auto count = static_cast<Index>(field_weights_.size());
        field_inputs_ = Eigen::MatrixXd::Zero(count, units);
        for (Index s = 0; s < count; ++s)
            for (int i = 0; i < sites; ++i)
                field_inputs_.row(s) +=
                    rbm.weights.row(static_cast<Index>(i) * q_states + field_states_(s, i)).cast<double>();
        // base + W_i(a) + W_j(b) lies within 4 max|W| of the sequence's input.
        const Eigen::VectorXd largest = rbm.weights.cwiseAbs().colwise().maxCoeff().transpose().cast<double>();
        table_low = field_inputs_.colwise().minCoeff().transpose() - 4.0 * largest;
        table_high = field_inputs_.colwise().maxCoeff().transpose() + 4.0 * largest;
    } else {
        // Site measure of the Gaussian field: weighted data frequencies, or uniform.
        Eigen::MatrixXd measure = Eigen::MatrixXd::Constant(sites, q_states, 1.0 / q_states);
        if (approximation == CouplingApproximation::gaussian) {
            measure.setZero();
            const double total = data.weights.sum();
            for (Index m = 0; m < data.states.rows(); ++m)
                for (int i = 0; i < sites; ++i) measure(i, data.states(m, i)) += data.weights(m) / total;
        }
        site_mean_.resize(sites, units);
        site_variance_.resize(sites, units);
        Eigen::VectorXd spread = Eigen::VectorXd::Zero(units);  // max |W_{i mu}(a) - site mean|
        for (int i = 0; i < sites; ++i) {
            const Eigen::MatrixXd w = rbm.weights.middleRows(static_cast<Index>(i) * q_states, q_states).cast<double>();
            const Eigen::RowVectorXd mean = measure.row(i) * w;
            site_mean_.row(i) = mean;
            const Eigen::MatrixXd centered = w.rowwise() - mean;
            site_variance_.row(i) = measure.row(i) * centered.array().square().matrix();
            spread = spread.cwiseMax(centered.cwiseAbs().colwise().maxCoeff().transpose());
        }
        field_mean_ = site_mean_.colwise().sum().transpose();
        field_variance_ = site_variance_.colwise().sum().transpose();
        gauss_hermite_normal(options_.quadrature_points, nodes_, node_weights_);

        const double largest_node = *std::max_element(nodes_.begin(), nodes_.end());
        const Eigen::ArrayXd half_range = 2.0 * spread.array() + largest_node * field_variance_.array().sqrt();
        table_low = field_mean_.array() - half_range;
        table_high = field_mean_.array() + half_range;
    }
    residue_range_.resize(sites, units);
    for (int i = 0; i < sites; ++i) {
        const auto w = rbm.weights.middleRows(static_cast<Index>(i) * q_states + 1, residues);
        residue_range_.row(i) = (w.colwise().maxCoeff() - w.colwise().minCoeff()).cast<double>();
    }
    if (options_.exact_cgf) return;

    tables_.resize(static_cast<std::size_t>(units));
#pragma omp parallel for schedule(dynamic) num_threads(pottsrbm::threads())
    for (int mu = 0; mu < units; ++mu) {
        const double low = table_low(mu) - 1.0;
        const double width = table_high(mu) + 1.0 - low;
        const int points = std::clamp(static_cast<int>(std::ceil(width / table_step)) + 1, min_table_points,
                                      max_table_points);
        CgfTable& table = tables_[static_cast<std::size_t>(mu)];
        table.start = low;
        table.step = width / (points - 1);
        table.inverse_step = 1.0 / table.step;
        table.hermite.resize(2 * static_cast<std::size_t>(points));
        table.variance.resize(static_cast<std::size_t>(points));
        for (int k = 0; k < points; ++k) {
            const model::HiddenMoments moments = model::hidden_moments(rbm.hidden, mu, table.start + k * table.step);
            const auto index = static_cast<std::size_t>(k);
            table.hermite[2 * index] = moments.cgf;
            table.hermite[2 * index + 1] = moments.mean * table.step;
            table.variance[index] = moments.variance;
            if (k > 0)
                table.max_third = std::max(table.max_third,
                                           std::fabs(moments.variance - table.variance[index - 1]) * table.inverse_step);
        }
    }
}

namespace {

/// The cubic Hermite interpolant on cell `cell` at u in [0, 1] from (Gamma, step Gamma') at its
/// two ends, hermite[2 cell .. 2 cell + 3].
inline double hermite_value(const double* hermite, std::size_t cell, double u) {
    const double* h = hermite + 2 * cell;
    const double u2 = u * u;
    const double u3 = u2 * u;
    return (2 * u3 - 3 * u2 + 1) * h[0] + (u3 - 2 * u2 + u) * h[1] + (3 * u2 - 2 * u3) * h[2] + (u3 - u2) * h[3];
}

}  // namespace

double EffectiveCouplings::cgf(int mu, double input) const {
    if (tables_.empty()) return model::hidden_cgf(rbm_.hidden, mu, input);
    const CgfTable& table = tables_[static_cast<std::size_t>(mu)];
    const double t = (input - table.start) * table.inverse_step;
    const auto last = static_cast<double>(table.points() - 1);
    if (!(t >= 0 && t <= last)) return model::hidden_cgf(rbm_.hidden, mu, input);
    const auto k = std::min(static_cast<std::size_t>(t), table.points() - 2);
    return hermite_value(table.hermite.data(), k, t - static_cast<double>(k));
}

double EffectiveCouplings::conditional_variance(int mu, double input) const {
    if (tables_.empty()) return model::hidden_moments(rbm_.hidden, mu, input).variance;
    const CgfTable& table = tables_[static_cast<std::size_t>(mu)];
    const double t = (input - table.start) * table.inverse_step;
    const auto last = static_cast<double>(table.points() - 1);
    if (!(t >= 0 && t <= last)) return model::hidden_moments(rbm_.hidden, mu, input).variance;
    const auto k = std::min(static_cast<std::size_t>(t), table.points() - 2);
    const double u = t - static_cast<double>(k);
    return (1 - u) * table.variance[k] + u * table.variance[k + 1];
}

void EffectiveCouplings::select_field_sequences(const WeightedSequences& data) {
    const Index rows = data.states.rows();
    Index positive = 0;
    for (Index m = 0; m < rows; ++m) {
        const double w = data.weights(m);
        if (!(w >= 0) || !std::isfinite(w))
            throw UsageError(fmt::format("effective couplings (epistasis): sequence {} ({}) has weight {}; expected a "
                                         "finite value >= 0",
                                         m + 1, static_cast<std::size_t>(m) < data.ids.size() ? data.ids[m] : "no id", w));
        positive += w > 0 ? 1 : 0;
    }
    const double total = data.weights.sum();
    const auto limit = static_cast<Index>(options_.epistasis_sequences);
    std::vector<Index> chosen;
    if (positive <= limit) {
        for (Index m = 0; m < rows; ++m)
            if (data.weights(m) > 0) chosen.push_back(m);
        for (Index m : chosen) field_weights_.push_back(data.weights(m) / total);
    } else {
        // Systematic sampling: the points (k + 1/2) total / limit on the cumulated weights.
        double cumulated = 0;
        Index k = 0;
        for (Index m = 0; m < rows && k < limit; ++m) {
            cumulated += data.weights(m);
            while (k < limit && (static_cast<double>(k) + 0.5) * total / static_cast<double>(limit) < cumulated) {
                if (chosen.empty() || chosen.back() != m) {
                    chosen.push_back(m);
                    field_weights_.push_back(0.0);
                }
                field_weights_.back() += 1.0 / static_cast<double>(limit);
                ++k;
            }
        }
    }
    field_states_.resize(static_cast<Index>(chosen.size()), data.states.cols());
    for (std::size_t s = 0; s < chosen.size(); ++s)
        field_states_.row(static_cast<Index>(s)) = data.states.row(chosen[s]);
}

void EffectiveCouplings::field_points(int mu, int i, int j, std::vector<double>& points, const double*& weights) const {
    if (approximation_ == CouplingApproximation::epistasis) {
        const auto count = static_cast<std::size_t>(field_inputs_.rows());
        points.resize(count);
        for (std::size_t s = 0; s < count; ++s) {
            const auto row = static_cast<Index>(s);
            points[s] = field_inputs_(row, mu) -
                        rbm_.weights(static_cast<Index>(i) * q_states + field_states_(row, i), mu) -
                        rbm_.weights(static_cast<Index>(j) * q_states + field_states_(row, j), mu);
        }
        weights = field_weights_.data();
        return;
    }
    const double mean = field_mean_(mu) - site_mean_(i, mu) - site_mean_(j, mu);
    const double sd = std::sqrt(std::max(0.0, field_variance_(mu) - site_variance_(i, mu) - site_variance_(j, mu)));
    points.resize(nodes_.size());
    for (std::size_t k = 0; k < nodes_.size(); ++k) points[k] = mean + sd * nodes_[k];
    weights = node_weights_.data();
}

void EffectiveCouplings::add_field_block(int mu, int i, int j, int first_state, Eigen::MatrixXd& out) const {
    thread_local std::vector<double> points;
    const double* point_weights = nullptr;
    field_points(mu, i, j, points, point_weights);
    double wi[q_states];
    double wj[q_states];
    for (int a = 0; a < q_states; ++a) {
        wi[a] = rbm_.weights(static_cast<Index>(i) * q_states + a, mu);
        wj[a] = rbm_.weights(static_cast<Index>(j) * q_states + a, mu);
    }
    if (tables_.empty()) {
        for (std::size_t k = 0; k < points.size(); ++k)
            for (int b = first_state; b < q_states; ++b)
                for (int a = first_state; a < q_states; ++a)
                    out(a, b) += point_weights[k] * model::hidden_cgf(rbm_.hidden, mu, points[k] + wj[b] + wi[a]);
        return;
    }
    // Inlined cubic Hermite lookups: the table covers every input met here by construction;
    // cgf() handles anything else. With AVX2, four residues a at a time.
    const CgfTable& table = tables_[static_cast<std::size_t>(mu)];
    const double* hermite = table.hermite.data();
    const double last = static_cast<double>(table.points() - 1);
    const auto last_cell = table.points() - 2;
    double wi_scaled[q_states];
    for (int a = 0; a < q_states; ++a) wi_scaled[a] = wi[a] * table.inverse_step;
    const auto scalar = [&](int a, double shifted) {
        const double t = shifted + wi_scaled[a];
        if (t >= 0 && t <= last) {
            const auto cell = std::min(static_cast<std::size_t>(t), last_cell);
            return hermite_value(hermite, cell, t - static_cast<double>(cell));
        }
        return cgf(mu, table.start + t * table.step);
    };
    for (std::size_t k = 0; k < points.size(); ++k) {
        const double base = points[k];
        const double weight = point_weights[k];
        for (int b = first_state; b < q_states; ++b) {
            const double shifted = (base + wj[b] - table.start) * table.inverse_step;
            double* column = out.col(b).data();
            int a = first_state;
#if defined(__AVX2__) && defined(__FMA__)
            const __m256d shifted4 = _mm256_set1_pd(shifted);
            const __m256d weight4 = _mm256_set1_pd(weight);
            for (; a + 4 <= q_states; a += 4) {
                const __m256d t = _mm256_add_pd(shifted4, _mm256_loadu_pd(wi_scaled + a));
                const __m256d inside = _mm256_and_pd(_mm256_cmp_pd(t, _mm256_setzero_pd(), _CMP_GE_OQ),
                                                     _mm256_cmp_pd(t, _mm256_set1_pd(last), _CMP_LE_OQ));
                if (_mm256_movemask_pd(inside) != 0xF) {
                    for (int l = a; l < a + 4; ++l) column[l] += weight * scalar(l, shifted);
                    continue;
                }
                const __m256d cell = _mm256_min_pd(_mm256_floor_pd(t), _mm256_set1_pd(static_cast<double>(last_cell)));
                const __m256d u = _mm256_sub_pd(t, cell);
                alignas(16) std::int32_t index[4];
                _mm_store_si128(reinterpret_cast<__m128i*>(index), _mm256_cvttpd_epi32(cell));
                // Lane l's (Gamma_c, s_c, Gamma_c+1, s_c+1), then a 4 x 4 transpose.
                const __m256d r0 = _mm256_loadu_pd(hermite + 2 * static_cast<std::size_t>(index[0]));
                const __m256d r1 = _mm256_loadu_pd(hermite + 2 * static_cast<std::size_t>(index[1]));
                const __m256d r2 = _mm256_loadu_pd(hermite + 2 * static_cast<std::size_t>(index[2]));
                const __m256d r3 = _mm256_loadu_pd(hermite + 2 * static_cast<std::size_t>(index[3]));
                const __m256d low01 = _mm256_unpacklo_pd(r0, r1);   // v0 v0' | v1 v1'
                const __m256d high01 = _mm256_unpackhi_pd(r0, r1);  // s0 s0' | s1 s1'
                const __m256d low23 = _mm256_unpacklo_pd(r2, r3);
                const __m256d high23 = _mm256_unpackhi_pd(r2, r3);
                const __m256d value0 = _mm256_permute2f128_pd(low01, low23, 0x20);
                const __m256d slope0 = _mm256_permute2f128_pd(high01, high23, 0x20);
                const __m256d value1 = _mm256_permute2f128_pd(low01, low23, 0x31);
                const __m256d slope1 = _mm256_permute2f128_pd(high01, high23, 0x31);
                const __m256d u2 = _mm256_mul_pd(u, u);
                const __m256d u3 = _mm256_mul_pd(u2, u);
                const __m256d two = _mm256_set1_pd(2.0);
                const __m256d three = _mm256_set1_pd(3.0);
                // h01 = 3u^2 - 2u^3, h00 = 1 - h01, h10 = u^3 - 2u^2 + u, h11 = u^3 - u^2.
                const __m256d h01 = _mm256_fnmadd_pd(two, u3, _mm256_mul_pd(three, u2));
                const __m256d h00 = _mm256_sub_pd(_mm256_set1_pd(1.0), h01);
                const __m256d h11 = _mm256_sub_pd(u3, u2);
                const __m256d h10 = _mm256_add_pd(_mm256_sub_pd(h11, u2), u);
                __m256d gamma = _mm256_mul_pd(h00, value0);
                gamma = _mm256_fmadd_pd(h10, slope0, gamma);
                gamma = _mm256_fmadd_pd(h01, value1, gamma);
                gamma = _mm256_fmadd_pd(h11, slope1, gamma);
                _mm256_storeu_pd(column + a, _mm256_fmadd_pd(weight4, gamma, _mm256_loadu_pd(column + a)));
            }
#endif
            for (; a < q_states; ++a) column[a] += weight * scalar(a, shifted);
        }
    }
}

Eigen::MatrixXd EffectiveCouplings::block(int i, int j) const {
    if (i < 0 || j < 0 || i >= rbm_.sites || j >= rbm_.sites || i == j)
        throw UsageError(fmt::format("effective couplings: bad site pair ({}, {}) for N = {}", i, j, rbm_.sites));
    const Index q = q_states;
    if (approximation_ == CouplingApproximation::pgm) {
        const Eigen::MatrixXd wi = rbm_.weights.middleRows(i * q, q).cast<double>();
        const Eigen::MatrixXd wj = rbm_.weights.middleRows(j * q, q).cast<double>();
        return wi * curvature_.asDiagonal() * wj.transpose();
    }
    Eigen::MatrixXd out = Eigen::MatrixXd::Zero(q, q);
    for (int mu = 0; mu < rbm_.units(); ++mu) add_field_block(mu, i, j, 0, out);
    return out;
}

Eigen::MatrixXd EffectiveCouplings::field_residue_block(int i, int j) const {
    thread_local std::vector<double> points;
    Eigen::MatrixXd exact = Eigen::MatrixXd::Zero(q_states, q_states);
    Eigen::VectorXd second_order = Eigen::VectorXd::Zero(rbm_.units());  // curvature per shortcut unit
    bool any_second_order = false;
    for (int mu = 0; mu < rbm_.units(); ++mu) {
        const double ri = residue_range_(i, mu);
        const double rj = residue_range_(j, mu);
        const double max_third = tables_.empty() ? std::numeric_limits<double>::infinity()
                                                 : tables_[static_cast<std::size_t>(mu)].max_third;
        if (20.0 * max_third * ri * rj * (ri + rj) < options_.second_order_tolerance) {
            // E[Gamma''(X + mean_a W_i(a) + mean_b W_j(b))] over the field X.
            const double shift =
                rbm_.weights.col(mu).segment(static_cast<Index>(i) * q_states + 1, residues).cast<double>().mean() +
                rbm_.weights.col(mu).segment(static_cast<Index>(j) * q_states + 1, residues).cast<double>().mean();
            const double* point_weights = nullptr;
            field_points(mu, i, j, points, point_weights);
            double curvature = 0;
            for (std::size_t k = 0; k < points.size(); ++k)
                curvature += point_weights[k] * conditional_variance(mu, points[k] + shift);
            second_order(mu) = curvature;
            any_second_order = true;
            continue;
        }
        add_field_block(mu, i, j, 1, exact);
    }
    Eigen::MatrixXd out = zero_sum_residue_block(exact);
    if (any_second_order) {
        const Eigen::MatrixXd wi = centered_residue_weights(rbm_, i);
        const Eigen::MatrixXd wj = centered_residue_weights(rbm_, j);
        out.noalias() += wi * second_order.asDiagonal() * wj.transpose();
    }
    return out;
}

Eigen::MatrixXd EffectiveCouplings::frobenius_norms() const {
    const int sites = rbm_.sites;
    Eigen::MatrixXd norms = Eigen::MatrixXd::Zero(sites, sites);
    std::vector<std::pair<int, int>> pairs;
    for (int i = 0; i < sites; ++i)
        for (int j = i + 1; j < sites; ++j) pairs.emplace_back(i, j);
    if (approximation_ == CouplingApproximation::pgm) {
        std::vector<Eigen::MatrixXd> centered(static_cast<std::size_t>(sites));
        for (int i = 0; i < sites; ++i)
            centered[static_cast<std::size_t>(i)] = centered_residue_weights(rbm_, i) * curvature_.cwiseSqrt().asDiagonal();
#pragma omp parallel for schedule(dynamic, 16) num_threads(pottsrbm::threads())
        for (std::size_t p = 0; p < pairs.size(); ++p) {
            const auto [i, j] = pairs[p];
            const double norm =
                (centered[static_cast<std::size_t>(i)] * centered[static_cast<std::size_t>(j)].transpose()).norm();
            norms(i, j) = norms(j, i) = norm;
        }
        return norms;
    }
    Progress progress("effective couplings", static_cast<std::int64_t>(pairs.size()));
#pragma omp parallel for schedule(dynamic, 4) num_threads(pottsrbm::threads())
    for (std::size_t p = 0; p < pairs.size(); ++p) {
        const auto [i, j] = pairs[p];
        const double norm = field_residue_block(i, j).norm();
        norms(i, j) = norms(j, i) = norm;
        progress.add(1);
    }
    progress.finish();
    return norms;
}

Eigen::MatrixXd zero_sum_residue_block(const Eigen::Ref<const Eigen::MatrixXd>& block) {
    if (block.rows() != q_states || block.cols() != q_states)
        throw UsageError(fmt::format("zero-sum gauge: expected a {0} x {0} block, got {1} x {2}", q_states, block.rows(),
                                     block.cols()));
    Eigen::MatrixXd out = block.bottomRightCorner(residues, residues);
    const Eigen::RowVectorXd column_means = out.colwise().mean();
    const Eigen::VectorXd row_means = out.rowwise().mean();
    const double total = out.mean();
    out.rowwise() -= column_means;
    out.colwise() -= row_means;
    out.array() += total;
    return out;
}

Eigen::MatrixXd average_product_correction(const Eigen::Ref<const Eigen::MatrixXd>& scores) {
    const Index n = scores.rows();
    if (scores.cols() != n || n < 3)
        throw UsageError(fmt::format("APC: expected a square matrix of at least 3 x 3, got {} x {}", scores.rows(),
                                     scores.cols()));
    Eigen::VectorXd row_mean(n);
    double total = 0;
    for (Index i = 0; i < n; ++i) {
        double sum = 0;
        for (Index j = 0; j < n; ++j)
            if (j != i) sum += scores(i, j);
        row_mean(i) = sum / static_cast<double>(n - 1);
        total += sum;
    }
    const double mean = total / static_cast<double>(n * (n - 1));
    Eigen::MatrixXd corrected = Eigen::MatrixXd::Zero(n, n);
    if (mean == 0) {
        corrected = scores;
        corrected.diagonal().setZero();
        return corrected;
    }
    for (Index i = 0; i < n; ++i)
        for (Index j = 0; j < n; ++j)
            if (j != i) corrected(i, j) = scores(i, j) - row_mean(i) * row_mean(j) / mean;
    return corrected;
}

}  // namespace pottsrbm::analysis
