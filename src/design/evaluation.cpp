// Generative evaluation: moments up to third order, novelty distances, PCA (see evaluation.hpp).
//
// Three-site correlations: site triples are processed independently (OpenMP over triples); for a
// triple the weighted counts of its q^3 state combinations are accumulated into a dense buffer
// from column-major copies of the sequences, turned into C_ijk with the one- and two-site
// frequencies, and offered to a per-thread bounded heap of the largest |C_ijk|. The heaps are
// merged under a total order (|C| descending, then entry index), so the kept set does not depend
// on the thread count. A second pass computes the samples' C_ijk for the kept entries only.
//
// PCA: block subspace iteration with Rayleigh-Ritz on Sigma V = X^T (w .* (X V)) / W - f (f^T V),
// X the one-hot matrix, applied by gathers and scatters of N rows per sequence.
#include "pottsrbm/design/evaluation.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/json.hpp"
#include "pottsrbm/core/log.hpp"
#include "pottsrbm/core/rng.hpp"
#include "pottsrbm/core/svg.hpp"
#include "pottsrbm/core/threads.hpp"
#include "pottsrbm/design/sequences.hpp"

#include <Eigen/Eigenvalues>
#include <Eigen/QR>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <set>

namespace pottsrbm::design {

using Index = Eigen::Index;
using ColumnStates = Eigen::Matrix<std::uint8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
using RowMatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

void EvalParams::validate() const {
    if (max_site_triples < 1 || max_site_triples > 100'000'000LL)
        throw UsageError(fmt::format("--max-site-triples: expected a value in [1, 100000000], got {}", max_site_triples));
    if (top_triplets < 10 || top_triplets > 100'000'000LL)
        throw UsageError(fmt::format("--top-triplets: expected a value in [10, 100000000], got {}", top_triplets));
    if (components < 2 || components > 20)
        throw UsageError(fmt::format("components: expected a value in [2, 20], got {}", components));
    if (plot_points < 0 || plot_points > 1'000'000)
        throw UsageError(fmt::format("--plot-points: expected a value in [0, 1000000], got {}", plot_points));
    if (novelty_queries < 1 || novelty_queries > 100'000'000LL)
        throw UsageError(fmt::format("--novelty-queries: expected a value in [1, 100000000], got {}", novelty_queries));
}

namespace {

struct Triple {
    int i, j, k;
};

// Every triple i < j < k when there are at most `limit`, else `limit` distinct ones drawn
// uniformly (sorted, so the order does not depend on the draw order).
std::vector<Triple> site_triples(int sites, long long limit, std::uint64_t seed, std::int64_t& all) {
    const auto n = static_cast<std::int64_t>(sites);
    all = n * (n - 1) * (n - 2) / 6;
    std::vector<Triple> triples;
    if (all <= limit) {
        triples.reserve(static_cast<std::size_t>(std::max<std::int64_t>(all, 0)));
        for (int i = 0; i < sites; ++i)
            for (int j = i + 1; j < sites; ++j)
                for (int k = j + 1; k < sites; ++k) triples.push_back({i, j, k});
        return triples;
    }
    Rng rng(seed, std::uint64_t{3} << 40);
    std::set<std::int64_t> chosen;
    while (static_cast<long long>(chosen.size()) < limit) {
        std::int64_t a = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(n)));
        std::int64_t b = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(n)));
        std::int64_t c = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(n)));
        if (a == b || b == c || a == c) continue;
        if (a > b) std::swap(a, b);
        if (b > c) std::swap(b, c);
        if (a > b) std::swap(a, b);
        chosen.insert((a * n + b) * n + c);
    }
    triples.reserve(chosen.size());
    for (const std::int64_t code : chosen)
        triples.push_back({static_cast<int>(code / (n * n)), static_cast<int>((code / n) % n), static_cast<int>(code % n)});
    return triples;
}

// Weighted three-site frequencies of one triple into `f3` (q^3 entries), normalized by `total`.
void accumulate_triple(const ColumnStates& columns, const Eigen::VectorXd& weights, double total, const Triple& t,
                       int states, std::vector<double>& f3) {
    std::fill(f3.begin(), f3.end(), 0.0);
    const std::uint8_t* ci = columns.col(t.i).data();
    const std::uint8_t* cj = columns.col(t.j).data();
    const std::uint8_t* ck = columns.col(t.k).data();
    const Index rows = columns.rows();
    if (weights.size() == 0) {
        for (Index m = 0; m < rows; ++m) f3[static_cast<std::size_t>((ci[m] * states + cj[m]) * states + ck[m])] += 1.0;
    } else {
        for (Index m = 0; m < rows; ++m)
            f3[static_cast<std::size_t>((ci[m] * states + cj[m]) * states + ck[m])] += weights[m];
    }
    const double scale = 1.0 / total;
    for (auto& value : f3) value *= scale;
}

// C_ijk(a,b,c) from f_ijk (in f3) and the lower-order statistics.
inline double connected_triplet(const std::vector<double>& f3, const model::SiteStatistics& s, const Triple& t, int a,
                                int b, int c) {
    const int q = s.states;
    const double fi = s.single(t.i, a), fj = s.single(t.j, b), fk = s.single(t.k, c);
    const double fij = s.pair(t.i * q + a, t.j * q + b);
    const double fik = s.pair(t.i * q + a, t.k * q + c);
    const double fjk = s.pair(t.j * q + b, t.k * q + c);
    return f3[static_cast<std::size_t>((a * q + b) * q + c)] - fij * fk - fik * fj - fjk * fi + 2 * fi * fj * fk;
}

struct Entry {
    double magnitude;
    std::int64_t key;  // triple index * q^3 + combination
    double value;
};
// "Better" = larger magnitude, then smaller key: a strict total order.
inline bool better(const Entry& x, const Entry& y) {
    return x.magnitude > y.magnitude || (x.magnitude == y.magnitude && x.key < y.key);
}

TripletComparison compare_triplets_with(const ColumnStates& data, const Eigen::VectorXd& weights,
                                        const model::SiteStatistics& data_stats, const ColumnStates& samples,
                                        const model::SiteStatistics& sample_stats, int states, const EvalParams& params) {
    TripletComparison out;
    const auto sites = static_cast<int>(data.cols());
    const std::vector<Triple> triples = site_triples(sites, params.max_site_triples, params.seed, out.all_site_triples);
    out.site_triples = static_cast<std::int64_t>(triples.size());
    if (triples.empty() || data.rows() == 0 || samples.rows() == 0) return out;
    const std::int64_t cube = static_cast<std::int64_t>(states) * states * states;
    const auto keep = static_cast<std::size_t>(params.top_triplets);
    const double data_total = weights.size() == 0 ? static_cast<double>(data.rows()) : weights.sum();
    const auto count = static_cast<std::int64_t>(triples.size());

    std::vector<Entry> merged;
#pragma omp parallel num_threads(pottsrbm::threads())
    {
        std::vector<double> f3(static_cast<std::size_t>(cube));
        std::vector<Entry> heap;  // min-heap under `better`: heap.front() is the worst kept entry
        const auto worse_first = [](const Entry& x, const Entry& y) { return better(x, y); };
#pragma omp for schedule(dynamic, 8)
        for (std::int64_t t = 0; t < count; ++t) {
            const Triple& triple = triples[static_cast<std::size_t>(t)];
            accumulate_triple(data, weights, data_total, triple, states, f3);
            for (int a = 0; a < states; ++a)
                for (int b = 0; b < states; ++b)
                    for (int c = 0; c < states; ++c) {
                        const double value = connected_triplet(f3, data_stats, triple, a, b, c);
                        const Entry entry{std::fabs(value), t * cube + (a * states + b) * states + c, value};
                        if (heap.size() < keep) {
                            heap.push_back(entry);
                            std::push_heap(heap.begin(), heap.end(), worse_first);
                        } else if (better(entry, heap.front())) {
                            std::pop_heap(heap.begin(), heap.end(), worse_first);
                            heap.back() = entry;
                            std::push_heap(heap.begin(), heap.end(), worse_first);
                        }
                    }
        }
#pragma omp critical
        merged.insert(merged.end(), heap.begin(), heap.end());
    }
    std::sort(merged.begin(), merged.end(), better);
    if (merged.size() > keep) merged.resize(keep);
    if (merged.empty()) return out;
    out.smallest_abs_data = merged.back().magnitude;

    // Samples' C_ijk for the kept entries, triple by triple (entries sorted by key = by triple).
    std::vector<Entry> by_key = merged;
    std::sort(by_key.begin(), by_key.end(), [](const Entry& x, const Entry& y) { return x.key < y.key; });
    std::vector<std::size_t> starts;
    for (std::size_t e = 0; e < by_key.size(); ++e)
        if (e == 0 || by_key[e].key / cube != by_key[e - 1].key / cube) starts.push_back(e);
    starts.push_back(by_key.size());
    std::vector<double> model_values(by_key.size());
    const Eigen::VectorXd no_weights;
    const auto groups = static_cast<std::int64_t>(starts.size()) - 1;
#pragma omp parallel num_threads(pottsrbm::threads())
    {
        std::vector<double> f3(static_cast<std::size_t>(cube));
#pragma omp for schedule(dynamic, 4)
        for (std::int64_t g = 0; g < groups; ++g) {
            const std::size_t first = starts[static_cast<std::size_t>(g)];
            const std::size_t last = starts[static_cast<std::size_t>(g) + 1];
            const Triple& triple = triples[static_cast<std::size_t>(by_key[first].key / cube)];
            accumulate_triple(samples, no_weights, static_cast<double>(samples.rows()), triple, states, f3);
            for (std::size_t e = first; e < last; ++e) {
                const auto combination = static_cast<int>(by_key[e].key % cube);
                model_values[e] = connected_triplet(f3, sample_stats, triple, combination / (states * states),
                                                    (combination / states) % states, combination % states);
            }
        }
    }
    std::vector<double> x(by_key.size()), y(by_key.size());
    for (std::size_t e = 0; e < by_key.size(); ++e) {
        x[e] = by_key[e].value;
        y[e] = model_values[e];
    }
    out.correlation = model::correlate(x, y);
    return out;
}

ColumnStates column_major(const model::StateMatrix& states) { return states; }

}  // namespace

TripletComparison compare_triplets(const model::StateMatrix& data, const Eigen::VectorXd& weights,
                                   const model::StateMatrix& samples, int states, const EvalParams& params) {
    params.validate();
    if (data.cols() != samples.cols())
        throw UsageError(fmt::format("compare_triplets: data have {} sites, samples {}", data.cols(), samples.cols()));
    const auto data_stats = model::site_statistics(data, weights, states);
    const auto sample_stats = model::site_statistics(samples, Eigen::VectorXd(), states);
    return compare_triplets_with(column_major(data), weights, data_stats, column_major(samples), sample_stats, states,
                                 params);
}

namespace {

// Y = Sigma V for the weighted one-hot data (V, Y: D x p row-major; Z: M x p workspace).
void apply_covariance(const model::StateMatrix& data, const ColumnStates& columns, const Eigen::VectorXd& weights,
                      double total, const Eigen::VectorXd& mean, int states, const RowMatrixXd& v, RowMatrixXd& z,
                      RowMatrixXd& y) {
    const Index rows = data.rows();
    const auto sites = static_cast<int>(data.cols());
#pragma omp parallel for schedule(static) num_threads(pottsrbm::threads())
    for (Index m = 0; m < rows; ++m) {
        auto zm = z.row(m);
        zm.setZero();
        for (int i = 0; i < sites; ++i) zm += v.row(static_cast<Index>(i) * states + data(m, i));
        zm *= (weights.size() == 0 ? 1.0 : weights[m]) / total;
    }
    y.setZero();
#pragma omp parallel for schedule(static) num_threads(pottsrbm::threads())
    for (int i = 0; i < sites; ++i) {
        const std::uint8_t* column = columns.col(i).data();
        for (Index m = 0; m < rows; ++m) y.row(static_cast<Index>(i) * states + column[m]) += z.row(m);
    }
    const Eigen::RowVectorXd projection = mean.transpose() * v;
    y.noalias() -= mean * projection;
}

}  // namespace

PrincipalComponents principal_components(const model::StateMatrix& data, const Eigen::VectorXd& weights, int states,
                                         int components, std::uint64_t seed) {
    const auto sites = static_cast<int>(data.cols());
    const Index dimension = static_cast<Index>(sites) * states;
    if (data.rows() < 2 || dimension < 2) throw UsageError("principal_components: need at least 2 sequences and 2 dimensions");
    const int k = static_cast<int>(std::min<Index>(components, dimension));
    const int block = static_cast<int>(std::min<Index>(dimension, k + 8));
    const double total = weights.size() == 0 ? static_cast<double>(data.rows()) : weights.sum();
    const ColumnStates columns = data;

    PrincipalComponents pca;
    pca.mean = Eigen::VectorXd::Zero(dimension);
    for (Index m = 0; m < data.rows(); ++m) {
        const double w = (weights.size() == 0 ? 1.0 : weights[m]) / total;
        for (int i = 0; i < sites; ++i) pca.mean[static_cast<Index>(i) * states + data(m, i)] += w;
    }
    pca.total_variance = 0;
    for (Index d = 0; d < dimension; ++d) pca.total_variance += pca.mean[d] * (1 - pca.mean[d]);

    Rng rng(seed, std::uint64_t{5} << 40);
    RowMatrixXd v(dimension, block), y(dimension, block), z(data.rows(), block);
    for (Index d = 0; d < dimension; ++d)
        for (int c = 0; c < block; ++c) v(d, c) = rng.normal();
    {
        Eigen::HouseholderQR<Eigen::MatrixXd> qr(v);
        v = qr.householderQ() * Eigen::MatrixXd::Identity(dimension, block);
    }
    Eigen::VectorXd ritz;
    const int max_iterations = 2000;
    int iteration = 0;
    bool converged = false;
    while (!converged && iteration < max_iterations) {
        ++iteration;
        apply_covariance(data, columns, weights, total, pca.mean, states, v, z, y);
        const Eigen::MatrixXd h = v.transpose() * y;
        Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(0.5 * (h + h.transpose()));
        // Descending order.
        const Eigen::MatrixXd u = eigen.eigenvectors().rowwise().reverse();
        ritz = eigen.eigenvalues().reverse();
        const Eigen::MatrixXd vu = v * u;
        const Eigen::MatrixXd yu = y * u;
        double worst = 0;
        for (int c = 0; c < k; ++c) worst = std::max(worst, (yu.col(c) - ritz[c] * vu.col(c)).norm());
        converged = worst <= 1e-7 * std::max(ritz[0], 1e-300);
        if (converged) {
            v = vu;
            break;
        }
        Eigen::HouseholderQR<Eigen::MatrixXd> qr(yu);
        v = qr.householderQ() * Eigen::MatrixXd::Identity(dimension, block);
    }
    if (!converged) log::warn("PCA: subspace iteration stopped after {} iterations before full convergence", max_iterations);
    pca.iterations = iteration;
    pca.axes = v.leftCols(k);
    pca.variances = ritz.head(k);
    // Deterministic signs: the largest-magnitude coordinate of each axis is positive.
    for (int c = 0; c < k; ++c) {
        Index largest = 0;
        pca.axes.col(c).cwiseAbs().maxCoeff(&largest);
        if (pca.axes(largest, c) < 0) pca.axes.col(c) *= -1;
    }
    return pca;
}

Eigen::MatrixXd project(const PrincipalComponents& pca, const model::StateMatrix& sequences, int states) {
    const Index k = pca.axes.cols();
    Eigen::MatrixXd out(sequences.rows(), k);
    const Eigen::RowVectorXd offset = pca.mean.transpose() * pca.axes;
    for (Index m = 0; m < sequences.rows(); ++m) {
        Eigen::RowVectorXd coordinate = -offset;
        for (Index i = 0; i < sequences.cols(); ++i) coordinate += pca.axes.row(i * states + sequences(m, i));
        out.row(m) = coordinate;
    }
    return out;
}

DistanceSummary summarize_distances(std::vector<int> distances, int sites, const std::vector<double>& weights) {
    DistanceSummary out;
    out.histogram.assign(20, 0.0);
    out.distances = std::move(distances);
    if (out.distances.empty() || sites <= 0) return out;
    if (!weights.empty() && weights.size() != out.distances.size())
        throw UsageError("summarize_distances: one weight per distance is needed");
    const auto weight = [&](std::size_t k) { return weights.empty() ? 1.0 : weights[k]; };
    double total = 0, sum = 0, zero = 0;
    for (std::size_t k = 0; k < out.distances.size(); ++k) {
        const double fraction = static_cast<double>(out.distances[k]) / sites;
        total += weight(k);
        sum += weight(k) * fraction;
        zero += out.distances[k] == 0 ? weight(k) : 0.0;
        out.histogram[static_cast<std::size_t>(std::min(19, static_cast<int>(fraction * 20)))] += weight(k);
    }
    if (!(total > 0)) return out;
    for (auto& h : out.histogram) h /= total;
    out.mean = sum / total;
    out.identical = zero / total;
    std::vector<std::size_t> order(out.distances.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return out.distances[a] < out.distances[b]; });
    if (weights.empty()) {
        const std::size_t middle = order.size() / 2;
        const double upper = out.distances[order[middle]];
        out.median = (order.size() % 2 == 1 ? upper : 0.5 * (out.distances[order[middle - 1]] + upper)) / sites;
    } else {
        double cumulative = 0;
        for (const std::size_t k : order) {
            cumulative += weight(k);
            if (cumulative >= 0.5 * total) {
                out.median = static_cast<double>(out.distances[k]) / sites;
                break;
            }
        }
    }
    return out;
}

namespace {

// Indices of `count` rows drawn without replacement with probabilities proportional to weights
// (Efraimidis-Spirakis keys log(u)/w, largest kept), in increasing order.
std::vector<Index> weighted_subset(Index rows, const Eigen::VectorXd& weights, long long count, Rng rng) {
    std::vector<std::pair<double, Index>> keys;
    keys.reserve(static_cast<std::size_t>(rows));
    for (Index m = 0; m < rows; ++m) {
        const double w = weights.size() == 0 ? 1.0 : weights[m];
        const double u = rng.uniform_open();
        if (w > 0) keys.emplace_back(std::log(u) / w, m);
    }
    const auto keep = static_cast<std::size_t>(std::min<long long>(count, static_cast<long long>(keys.size())));
    std::partial_sort(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(keep), keys.end(),
                      [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
    std::vector<Index> out;
    for (std::size_t r = 0; r < keep; ++r) out.push_back(keys[r].second);
    std::sort(out.begin(), out.end());
    return out;
}

model::StateMatrix rows_of(const model::StateMatrix& states, const std::vector<Index>& rows) {
    model::StateMatrix out(static_cast<Index>(rows.size()), states.cols());
    for (std::size_t r = 0; r < rows.size(); ++r) out.row(static_cast<Index>(r)) = states.row(rows[r]);
    return out;
}

}  // namespace

Evaluation evaluate_samples(const model::StateMatrix& data, const Eigen::VectorXd& weights, const model::StateMatrix& samples,
                            int states, const EvalParams& params) {
    params.validate();
    if (data.cols() != samples.cols())
        throw UsageError(fmt::format("evaluate_samples: data have {} sites, samples {}", data.cols(), samples.cols()));
    if (weights.size() != 0 && weights.size() != data.rows())
        throw UsageError("evaluate_samples: one weight per data sequence is needed");
    if (data.rows() < 2 || samples.rows() < 2) throw UsageError("evaluate_samples: need at least 2 data sequences and 2 samples");
    Evaluation out;
    out.sites = static_cast<int>(data.cols());
    out.states = states;
    out.data_sequences = data.rows();
    out.effective_sequences = weights.size() == 0 ? static_cast<double>(data.rows()) : weights.sum();
    out.samples = samples.rows();

    log::info("eval: one- and two-site statistics");
    const auto data_stats = model::site_statistics(data, weights, states);
    const auto sample_stats = model::site_statistics(samples, Eigen::VectorXd(), states);
    out.moments = model::compare_moments(data_stats, sample_stats);
    {
        // Random halves (stream 9 << 40 of the seed): each row to one half with probability 1/2.
        Rng rng(params.seed, std::uint64_t{9} << 40);
        std::vector<Index> halves[2];
        for (Index m = 0; m < data.rows(); ++m) halves[rng.uniform() < 0.5 ? 0 : 1].push_back(m);
        if (halves[0].size() >= 2 && halves[1].size() >= 2) {
            model::SiteStatistics half_stats[2];
            for (int h = 0; h < 2; ++h) {
                const auto count = static_cast<Index>(halves[h].size());
                model::StateMatrix rows(count, data.cols());
                Eigen::VectorXd half_weights(weights.size() == 0 ? 0 : count);
                for (Index r = 0; r < count; ++r) {
                    rows.row(r) = data.row(halves[h][static_cast<std::size_t>(r)]);
                    if (weights.size() != 0) half_weights[r] = weights[halves[h][static_cast<std::size_t>(r)]];
                }
                half_stats[h] = model::site_statistics(rows, half_weights, states);
            }
            out.split_half = model::compare_moments(half_stats[0], half_stats[1]);
        }
    }

    log::info("eval: three-site correlations");
    const ColumnStates data_columns = data;
    const ColumnStates sample_columns = samples;
    out.triplets = compare_triplets_with(data_columns, weights, data_stats, sample_columns, sample_stats, states, params);

    log::info("eval: distances to the nearest data sequence");
    const NearestNeighbours neighbours(data);
    out.sample_novelty = summarize_distances(neighbours.distances(samples), out.sites);
    {
        std::vector<Index> queries;
        if (data.rows() <= params.novelty_queries) {
            queries.resize(static_cast<std::size_t>(data.rows()));
            std::iota(queries.begin(), queries.end(), Index{0});
        } else {
            queries = weighted_subset(data.rows(), Eigen::VectorXd(), params.novelty_queries, Rng(params.seed, std::uint64_t{6} << 40));
        }
        std::vector<int> distances(queries.size());
        std::vector<double> query_weights(queries.size(), 1.0);
        if (weights.size() != 0)
            for (std::size_t r = 0; r < queries.size(); ++r) query_weights[r] = weights[queries[r]];
        const auto count = static_cast<std::int64_t>(queries.size());
#pragma omp parallel for schedule(dynamic, 16) num_threads(pottsrbm::threads())
        for (std::int64_t r = 0; r < count; ++r) {
            const Index m = queries[static_cast<std::size_t>(r)];
            distances[static_cast<std::size_t>(r)] = neighbours.nearest(&data(m, 0), m).distance;
        }
        out.data_novelty = summarize_distances(std::move(distances), out.sites, query_weights);
    }

    log::info("eval: principal components of the weighted one-hot data");
    out.pca = principal_components(data, weights, states, params.components, params.seed);
    const auto data_rows = weighted_subset(data.rows(), weights, params.plot_points, Rng(params.seed, std::uint64_t{7} << 40));
    const auto sample_rows = weighted_subset(samples.rows(), Eigen::VectorXd(), params.plot_points, Rng(params.seed, std::uint64_t{8} << 40));
    out.data_coordinates = project(out.pca, rows_of(data, data_rows), states);
    out.sample_coordinates = project(out.pca, rows_of(samples, sample_rows), states);
    return out;
}

namespace {

/// Weighted mean, standard deviation and 1%, 50%, 99% quantiles of `values` (weights: same size).
void describe(const Eigen::VectorXd& values, const Eigen::VectorXd& weights, double& mean, double& sd,
              std::array<double, 3>& quantiles) {
    const double total = weights.sum();
    mean = weights.dot(values) / total;
    sd = std::sqrt(std::max(0.0, weights.dot((values.array() - mean).square().matrix()) / total));
    std::vector<Index> order(static_cast<std::size_t>(values.size()));
    std::iota(order.begin(), order.end(), Index{0});
    std::sort(order.begin(), order.end(), [&](Index a, Index b) { return values[a] < values[b]; });
    constexpr std::array<double, 3> levels = {0.01, 0.5, 0.99};
    double cumulative = 0;
    std::size_t next = 0;
    for (const Index r : order) {
        cumulative += weights[r];
        while (next < levels.size() && cumulative >= levels[next] * total) quantiles[next++] = values[r];
    }
    while (next < levels.size()) quantiles[next++] = values[order.back()];
}

}  // namespace

FreeEnergyComparison compare_free_energies(const model::Rbm& rbm, const model::StateMatrix& data,
                                           const Eigen::VectorXd& weights, const model::StateMatrix& samples) {
    if (data.cols() != rbm.sites || samples.cols() != rbm.sites)
        throw UsageError(fmt::format("compare_free_energies: {} and {} sites for a model of N = {}", data.cols(),
                                     samples.cols(), rbm.sites));
    if (weights.size() != data.rows() || data.rows() == 0 || samples.rows() == 0 || !(weights.sum() > 0))
        throw UsageError(fmt::format("compare_free_energies: {} weights (sum {}) for {} data sequences, {} samples",
                                     weights.size(), weights.sum(), data.rows(), samples.rows()));
    FreeEnergyComparison out;
    out.available = true;
    Eigen::VectorXd data_energy(data.rows());
    Eigen::VectorXd sample_energy(samples.rows());
    model::free_energy(rbm, data, data_energy);
    model::free_energy(rbm, samples, sample_energy);
    describe(data_energy, weights, out.data_mean, out.data_sd, out.data_quantiles);
    describe(sample_energy, Eigen::VectorXd::Ones(samples.rows()), out.sample_mean, out.sample_sd, out.sample_quantiles);
    out.shift_per_site = (out.sample_mean - out.data_mean) / rbm.sites;
    out.standardized_shift = out.data_sd > 0 ? (out.sample_mean - out.data_mean) / out.data_sd : 0.0;
    return out;
}

namespace {

std::string number(double value, int digits = 4) {
    return std::isfinite(value) ? fmt::format("{:.{}f}", value, digits) : std::string("nan");
}

std::string json_number(double value) { return json::number(value, 6); }

std::string json_correlation(const Correlation& c) {
    return fmt::format("{{\"pearson\": {}, \"slope\": {}, \"count\": {}}}", json_number(c.pearson), json_number(c.slope), c.count);
}

std::string json_distances(const DistanceSummary& d) {
    std::string histogram;
    for (std::size_t k = 0; k < d.histogram.size(); ++k)
        histogram += fmt::format("{}{}", k == 0 ? "" : ", ", json_number(d.histogram[k]));
    return fmt::format("{{\"queries\": {}, \"mean_fraction\": {}, \"median_fraction\": {}, \"identical_fraction\": {}, "
                       "\"histogram_bin_width\": 0.05, \"histogram\": [{}]}}",
                       d.distances.size(), json_number(d.mean), json_number(d.median), json_number(d.identical), histogram);
}

}  // namespace

void write_evaluation_text(std::ostream& out, const Evaluation& e, const std::vector<std::string>& header) {
    for (const auto& line : header) out << "# " << line << '\n';
    out << fmt::format("data: {} sequences (M_eff {:.1f}) x {} sites; samples: {}\n", e.data_sequences,
                       e.effective_sequences, e.sites, e.samples);
    out << fmt::format("one-site frequencies f_i(a):         Pearson {}  slope {}\n", number(e.moments.single_pearson),
                       number(e.moments.single_slope));
    out << fmt::format("connected correlations C_ij(a,b):    Pearson {}  slope {}\n", number(e.moments.connected_pearson),
                       number(e.moments.connected_slope));
    out << fmt::format("  data split-half reference:         Pearson {}  (two random halves of the data compared; the "
                       "noise ceiling of the data's own C_ij)\n",
                       number(e.split_half.connected_pearson));
    out << fmt::format("connected 3-site C_ijk(a,b,c):       Pearson {}  slope {}  (top {} |C_ijk| of the data, >= {:.2e}, "
                       "from {} of {} site triples)\n",
                       number(e.triplets.correlation.pearson), number(e.triplets.correlation.slope),
                       e.triplets.correlation.count, e.triplets.smallest_abs_data, e.triplets.site_triples,
                       e.triplets.all_site_triples);
    out << fmt::format("nearest data sequence (Hamming / N): samples mean {} median {}, identical to a data sequence {}\n",
                       number(e.sample_novelty.mean, 3), number(e.sample_novelty.median, 3),
                       number(e.sample_novelty.identical, 4));
    out << fmt::format("  data to nearest other data (leave-one-out, {} queries, weighted): mean {} median {}, identical {}\n",
                       e.data_novelty.distances.size(), number(e.data_novelty.mean, 3), number(e.data_novelty.median, 3),
                       number(e.data_novelty.identical, 4));
    out << "  distance histogram (fraction of sequences per bin of 0.05 N):\n  bin        samples      data\n";
    for (std::size_t k = 0; k < 20; ++k) {
        if (e.sample_novelty.histogram[k] == 0 && e.data_novelty.histogram[k] == 0) continue;
        out << fmt::format("  {:.2f}-{:.2f} {:>8.4f}  {:>8.4f}\n", 0.05 * static_cast<double>(k), 0.05 * static_cast<double>(k + 1),
                           e.sample_novelty.histogram[k], e.data_novelty.histogram[k]);
    }
    if (e.free_energy.available) {
        const auto& f = e.free_energy;
        out << fmt::format("free energy F(v) under the model:     data mean {:.2f} sd {:.2f} (1% {:.2f}, median {:.2f}, 99% {:.2f}; "
                           "weighted)\n",
                           f.data_mean, f.data_sd, f.data_quantiles[0], f.data_quantiles[1], f.data_quantiles[2]);
        out << fmt::format("                                      samples mean {:.2f} sd {:.2f} (1% {:.2f}, median {:.2f}, 99% "
                           "{:.2f})\n",
                           f.sample_mean, f.sample_sd, f.sample_quantiles[0], f.sample_quantiles[1], f.sample_quantiles[2]);
        out << fmt::format("  samples - data: {:+.4f} per site, {:+.2f} data sd{}\n", f.shift_per_site, f.standardized_shift,
                           samples_below_data(f) ? " (the model has mass where the data are not: its AIS likelihood is "
                                                   "optimistic; draw with --tempering to find such modes)"
                                                 : "");
    }
    out << "PCA of the weighted one-hot data (fraction of the total variance):";
    for (Index c = 0; c < e.pca.variances.size(); ++c)
        out << fmt::format(" PC{} {:.4f}", c + 1, e.pca.variances[c] / e.pca.total_variance);
    out << '\n';
    out << "  mean coordinate (data plotted, samples plotted):";
    for (Index c = 0; c < std::min<Index>(2, e.pca.variances.size()); ++c)
        out << fmt::format(" PC{} {:.3f} {:.3f}", c + 1, e.data_coordinates.rows() ? e.data_coordinates.col(c).mean() : 0.0,
                           e.sample_coordinates.rows() ? e.sample_coordinates.col(c).mean() : 0.0);
    out << '\n';
}

void write_evaluation_json(std::ostream& out, const Evaluation& e,
                           const std::vector<std::pair<std::string, std::string>>& metadata) {
    out << "{\n";
    for (const auto& [key, value] : metadata) out << "  " << json::quote(key) << ": " << json::quote(value) << ",\n";
    out << fmt::format("  \"sites\": {},\n  \"states\": {},\n  \"data_sequences\": {},\n  \"effective_sequences\": {},\n"
                       "  \"samples\": {},\n",
                       e.sites, e.states, e.data_sequences, json_number(e.effective_sequences), e.samples);
    out << fmt::format("  \"single\": {},\n", json_correlation({e.moments.single_pearson, e.moments.single_slope,
                                                                 static_cast<std::int64_t>(e.sites) * e.states}));
    out << fmt::format("  \"connected_pairs\": {},\n",
                       json_correlation({e.moments.connected_pearson, e.moments.connected_slope,
                                         static_cast<std::int64_t>(e.sites) * (e.sites - 1) / 2 * e.states * e.states}));
    out << fmt::format("  \"split_half\": {{\"single_pearson\": {}, \"connected_pearson\": {}}},\n",
                       json_number(e.split_half.single_pearson), json_number(e.split_half.connected_pearson));
    out << fmt::format("  \"connected_triplets\": {{\"pearson\": {}, \"slope\": {}, \"count\": {}, \"smallest_abs_data\": {}, "
                       "\"site_triples\": {}, \"all_site_triples\": {}}},\n",
                       json_number(e.triplets.correlation.pearson), json_number(e.triplets.correlation.slope),
                       e.triplets.correlation.count, json_number(e.triplets.smallest_abs_data), e.triplets.site_triples,
                       e.triplets.all_site_triples);
    out << fmt::format("  \"nearest_data_distance_samples\": {},\n", json_distances(e.sample_novelty));
    out << fmt::format("  \"nearest_data_distance_data\": {},\n", json_distances(e.data_novelty));
    std::string variances;
    for (Index c = 0; c < e.pca.variances.size(); ++c)
        variances += fmt::format("{}{}", c == 0 ? "" : ", ", json_number(e.pca.variances[c] / e.pca.total_variance));
    if (e.free_energy.available) {
        const auto& f = e.free_energy;
        const auto quantiles = [](const std::array<double, 3>& q) {
            return fmt::format("[{}, {}, {}]", json_number(q[0]), json_number(q[1]), json_number(q[2]));
        };
        out << fmt::format("  \"free_energy\": {{\"data_mean\": {}, \"data_sd\": {}, \"data_quantiles_1_50_99\": {}, "
                           "\"sample_mean\": {}, \"sample_sd\": {}, \"sample_quantiles_1_50_99\": {}, \"shift_per_site\": {}, "
                           "\"standardized_shift\": {}}},\n",
                           json_number(f.data_mean), json_number(f.data_sd), quantiles(f.data_quantiles),
                           json_number(f.sample_mean), json_number(f.sample_sd), quantiles(f.sample_quantiles),
                           json_number(f.shift_per_site), json_number(f.standardized_shift));
    }
    out << fmt::format("  \"pca\": {{\"explained_variance_fraction\": [{}], \"total_variance\": {}, \"iterations\": {}}}\n",
                       variances, json_number(e.pca.total_variance), e.pca.iterations);
    out << "}\n";
}

std::string pca_plot_svg(const Evaluation& e, const std::string& title, const std::string& provenance) {
    const Index k = e.pca.axes.cols();
    const int rows = k >= 4 ? 2 : 1;
    const double panel = 340, left = 70, top = 70, gap_x = 90, gap_y = 80;
    svg::Document document(left + 2 * panel + gap_x + 30, top + rows * panel + (rows - 1) * gap_y + 70);
    if (!provenance.empty()) document.raw(fmt::format("<!-- {} -->\n", svg::escape(provenance)));
    document.rect(0, 0, document.width(), document.height(), "#ffffff");
    document.text(document.width() / 2, 24, title, 15, "middle", "#000", 0, true);
    document.text(document.width() / 2, 44,
                  fmt::format("data: {} of {} sequences drawn by weight (grey)   samples: {} of {} (blue)",
                              e.data_coordinates.rows(), e.data_sequences, e.sample_coordinates.rows(), e.samples),
                  12, "middle", "#333");
    if (!provenance.empty()) document.text(document.width() - 8, document.height() - 8, provenance, 10, "end", "#777");
    for (int r = 0; r < rows; ++r) {
        const int cx = 2 * r, cy = 2 * r + 1;
        double xmin = 0, xmax = 0, ymin = 0, ymax = 0;
        bool first = true;
        for (const Eigen::MatrixXd* set : {&e.data_coordinates, &e.sample_coordinates})
            for (Index m = 0; m < set->rows(); ++m) {
                const double x = (*set)(m, cx), y = (*set)(m, cy);
                if (first) {
                    xmin = xmax = x;
                    ymin = ymax = y;
                    first = false;
                }
                xmin = std::min(xmin, x);
                xmax = std::max(xmax, x);
                ymin = std::min(ymin, y);
                ymax = std::max(ymax, y);
            }
        const double px_pad = 0.04 * (xmax - xmin + 1e-9), py_pad = 0.04 * (ymax - ymin + 1e-9);
        const auto axis = [&](int c, double lo, double hi) {
            return svg::Axis{lo, hi, fmt::format("PC{} ({:.1f}% of variance)", c + 1, 100 * e.pca.variances[c] / e.pca.total_variance)};
        };
        for (int p = 0; p < 2; ++p) {
            svg::Plot plot(document, left + p * (panel + gap_x), top + r * (panel + gap_y), panel, panel,
                           axis(cx, xmin - px_pad, xmax + px_pad), axis(cy, ymin - py_pad, ymax + py_pad));
            plot.draw_frame();
            plot.title(p == 0 ? "data (weighted one-hot PCA)" : "samples on the data's axes");
            for (Index m = 0; m < e.data_coordinates.rows(); ++m)
                document.circle(plot.px(e.data_coordinates(m, cx)), plot.py(e.data_coordinates(m, cy)), p == 0 ? 1.6 : 1.4,
                                p == 0 ? "#555555" : "#bbbbbb", p == 0 ? 0.45 : 0.35);
            if (p == 1)
                for (Index m = 0; m < e.sample_coordinates.rows(); ++m)
                    document.circle(plot.px(e.sample_coordinates(m, cx)), plot.py(e.sample_coordinates(m, cy)), 1.6,
                                    "#1f5fbf", 0.5);
        }
    }
    return document.str();
}

}  // namespace pottsrbm::design
