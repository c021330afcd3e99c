// Generative evaluation of sampled sequences against (weighted) data, as `pottsrbm eval` reports it.
//
//   one-site    f_i(a)                                    Pearson and slope (samples vs data)
//   two-site    C_ij(a,b)  = f_ij - f_i f_j               over i < j, all a, b
//   three-site  C_ijk(a,b,c) = f_ijk - f_ij f_k - f_ik f_j - f_jk f_i + 2 f_i f_j f_k
//               over i < j < k: every site triple when there are at most max_site_triples of them,
//               else that many distinct triples drawn uniformly (seeded); of their q^3 entries, the
//               top_triplets largest |C_ijk| of the data are compared (Pearson and slope).
//   novelty     Hamming distance of each sample to its nearest data sequence, next to the
//               leave-one-out distance of data sequences to their nearest other data sequence
//               (a uniform subset of at most novelty_queries sequences, weighted by their weights,
//               so that both describe the weighted law the model learns).
//   free energy F(v) under the model (when one is given) of the weighted data and of the samples:
//               means, standard deviations and the 1%, 50% and 99% quantiles (weighted for the
//               data). At equilibrium of a model that fits, both follow the same law; samples at
//               much lower F than the data mean that the model puts mass where the data are not
//               (deep modes that short Gibbs chains and AIS can miss; parallel tempering finds them).
//   PCA         principal axes of the weighted one-hot data (N q dimensions, gap included):
//               Sigma = sum_m w_m (x_m - f)(x_m - f)^T / sum_m w_m; the top `components` eigenpairs
//               by block subspace iteration on the implicit operator (Sigma never formed); data and
//               samples are projected on the same axes.
// Slopes are least-squares slopes of samples on data (1 = same scale).
//
// Shapes: data M x N, weights M, samples S x N (StateMatrix rows = sequences).
#pragma once

#include "pottsrbm/model/moments.hpp"
#include "pottsrbm/model/rbm.hpp"

#include <Eigen/Core>

#include <array>
#include <cstdint>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

namespace pottsrbm::design {

struct EvalParams {
    long long max_site_triples = 20000;  ///< --max-site-triples
    long long top_triplets = 10000;      ///< --top-triplets
    int components = 4;                  ///< principal components computed
    long long plot_points = 4000;        ///< points per set drawn in the PCA plot
    long long novelty_queries = 5000;    ///< data sequences used for the leave-one-out distances
    std::uint64_t seed = 1;
    void validate() const;  ///< UsageError naming the option
};

using model::Correlation;

struct TripletComparison {
    Correlation correlation;
    std::int64_t site_triples = 0;        ///< triples evaluated
    std::int64_t all_site_triples = 0;    ///< N choose 3
    double smallest_abs_data = 0;         ///< |C_ijk| of the last entry kept
};

/// C_ijk of the data and of the samples on the top entries (see the file comment).
[[nodiscard]] TripletComparison compare_triplets(const model::StateMatrix& data, const Eigen::VectorXd& weights,
                                                 const model::StateMatrix& samples, int states,
                                                 const EvalParams& params);

struct PrincipalComponents {
    Eigen::VectorXd mean;            ///< N q weighted one-hot mean
    Eigen::MatrixXd axes;            ///< (N q) x k, orthonormal columns
    Eigen::VectorXd variances;       ///< k eigenvalues, descending
    double total_variance = 0;       ///< trace of Sigma
    int iterations = 0;
};

/// Top `components` principal axes of the weighted one-hot data.
[[nodiscard]] PrincipalComponents principal_components(const model::StateMatrix& data, const Eigen::VectorXd& weights,
                                                       int states, int components, std::uint64_t seed);
/// Coordinates (rows x k) of sequences on the axes.
[[nodiscard]] Eigen::MatrixXd project(const PrincipalComponents& pca, const model::StateMatrix& sequences, int states);

struct DistanceSummary {
    std::vector<int> distances;          ///< per query (sites)
    std::vector<double> histogram;       ///< (weighted) fraction of queries per bin of width 0.05 in distance / N (20 bins)
    double mean = 0;                     ///< fraction of N
    double median = 0;                   ///< fraction of N
    double identical = 0;                ///< (weighted) fraction of queries at distance 0
};
/// Summary of nearest distances; `weights` (one per query, or empty = uniform) weight every figure
/// (the median is then the smallest distance whose cumulative weight reaches half the total).
[[nodiscard]] DistanceSummary summarize_distances(std::vector<int> distances, int sites,
                                                  const std::vector<double>& weights = {});

/// F(v) of the data and of the samples (see the file comment).
struct FreeEnergyComparison {
    bool available = false;                      ///< false when no model was given
    double data_mean = 0;                        ///< weighted mean of F over the data
    double sample_mean = 0;                      ///< mean of F over the samples
    double data_sd = 0;                          ///< weighted standard deviation over the data
    double sample_sd = 0;
    std::array<double, 3> data_quantiles{};      ///< weighted 1%, 50%, 99% quantiles
    std::array<double, 3> sample_quantiles{};    ///< 1%, 50%, 99% quantiles
    double shift_per_site = 0;                   ///< (sample_mean - data_mean) / N
    double standardized_shift = 0;               ///< (sample_mean - data_mean) / data_sd (0 when data_sd = 0)
};

/// Free energies of `data` (weights: M entries, > 0 in total) and `samples` under `rbm` (both
/// M x N and S x N with the model's N; S >= 1). The q-quantile of a weighted set is the smallest
/// value whose cumulative weight reaches q of the total.
[[nodiscard]] FreeEnergyComparison compare_free_energies(const model::Rbm& rbm, const model::StateMatrix& data,
                                                         const Eigen::VectorXd& weights,
                                                         const model::StateMatrix& samples);

/// True when the samples sit more than one data standard deviation below the data in F: the model
/// has mass where the data are not (`pottsrbm eval` then warns).
[[nodiscard]] inline bool samples_below_data(const FreeEnergyComparison& f) {
    return f.available && f.standardized_shift < -1.0;
}

struct Evaluation {
    int sites = 0;
    int states = 0;
    std::int64_t data_sequences = 0;
    double effective_sequences = 0;
    std::int64_t samples = 0;
    model::MomentMatch moments;
    /// Reference for the noise of the data's own statistics: the same comparison between two
    /// random halves of the data (each with its weights). A model cannot be expected to agree
    /// with the data much better than the data agree with themselves.
    model::MomentMatch split_half;
    TripletComparison triplets;
    DistanceSummary sample_novelty;   ///< samples -> nearest data sequence
    DistanceSummary data_novelty;     ///< data -> nearest other data sequence (uniform subset of
                                      ///< queries, summarized with the data weights)
    PrincipalComponents pca;
    FreeEnergyComparison free_energy;    ///< set by the caller when a model is given
    Eigen::MatrixXd data_coordinates;    ///< plotted data points x k
    Eigen::MatrixXd sample_coordinates;  ///< plotted samples x k
};

/// Everything above. Plotted data points are drawn with probability proportional to their weights
/// (without replacement, seeded), samples uniformly.
[[nodiscard]] Evaluation evaluate_samples(const model::StateMatrix& data, const Eigen::VectorXd& weights,
                                          const model::StateMatrix& samples, int states, const EvalParams& params);

/// Text summary; `header` lines are written first, each prefixed with "# ".
void write_evaluation_text(std::ostream& out, const Evaluation& evaluation, const std::vector<std::string>& header);
/// JSON object with the same numbers (and the histograms); `metadata` pairs become string fields.
void write_evaluation_json(std::ostream& out, const Evaluation& evaluation,
                           const std::vector<std::pair<std::string, std::string>>& metadata);
/// SVG: PC1-PC2 and PC3-PC4 scatter plots of data (grey) and samples (colour) on the same axes;
/// `provenance` (version, seed) is written as a comment at the top and as a line under the title.
[[nodiscard]] std::string pca_plot_svg(const Evaluation& evaluation, const std::string& title,
                                       const std::string& provenance = "");

}  // namespace pottsrbm::design
