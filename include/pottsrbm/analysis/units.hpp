// What each hidden unit of a Potts-RBM learned: weight logos, sparsity (participation ratio),
// norms, importance Delta L_mu, dReLU shape (jump, asymmetry), distributions of the inputs
// I_mu(v) over the weighted data and over model samples, the sites and residues that carry the
// unit, the data sequences that activate it most and least, and how well it separates labelled
// classes. docs/motifs.md defines every quantity.
//
// Notation: N sites, q = 21 states, H units; W_{i mu}(a) = rbm.weights(i*q + a, mu);
// site norm n_{i mu} = sqrt(sum_a W_{i mu}(a)^2) (all q states, gap included);
// I_mu(v) = sum_i W_{i mu}(v_i); Gamma_mu is the unit's cumulant generating function (hidden.hpp).
#pragma once

#include "pottsrbm/model/rbm.hpp"
#include "pottsrbm/msa/alignment.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace pottsrbm::analysis {

/// Sequences over the model's N sites with nonnegative weights (the data, or model samples).
struct WeightedSequences {
    model::StateMatrix states;     ///< M x N Potts states
    Eigen::VectorXd weights;       ///< M (need not sum to 1)
    std::vector<std::string> ids;  ///< M ids (data), or empty (samples)
    /// M labels of independent groups (e.g. chain index modulo 20) for batch-means error bars;
    /// empty when the rows are independent draws or exact probabilities (no sampling error).
    std::vector<int> groups;
    [[nodiscard]] Eigen::Index size() const { return states.rows(); }
};

/// The rows of an alignment restricted to the model's columns, matched by original column
/// (Rbm::columns). InputError naming the alignment file and the first model column it lacks;
/// UsageError unless the model has q = 21 states.
[[nodiscard]] WeightedSequences project_onto_model(const msa::Alignment& alignment, const Eigen::VectorXd& weights,
                                                   const model::Rbm& rbm);

/// Model samples: `chains` independent Gibbs chains started from the independent-site law of the
/// model fields (stream c of `seed` for chain c), `burn_in` sweeps, then `snapshots` snapshots
/// taken every `snapshot_every` sweeps. Rows are grouped by chain (chain mod 20).
struct SamplingParams {
    int chains = 500;
    int burn_in = 1000;
    int snapshots = 10;
    int snapshot_every = 10;
    std::uint64_t seed = 1;
    /// UsageError naming the option (--chains, --burn-in, --snapshots, --snapshot-every).
    void validate() const;
};
[[nodiscard]] WeightedSequences sample_model(const model::Rbm& rbm, const SamplingParams& params);

/// Site norms n_{i mu} of unit mu (N entries).
[[nodiscard]] Eigen::VectorXd site_norms(const model::Rbm& rbm, int mu);

/// Participation ratio of the site norms, PR_mu = (sum_i n_i^2)^2 / (N sum_i n_i^4): 1/N when one
/// site carries the unit, 1 when all sites carry it equally (model::Sparsity uses the same
/// definition, averaged over units). NaN for a unit with all weights zero.
[[nodiscard]] double participation_ratio(const model::Rbm& rbm, int mu);

/// dReLU potential in PGM's parametrization (Tubiana et al. 2019, PGM's dReLULayer), with
/// theta_minus written in PGM's sign (theta_minus_pgm = -theta_minus of hidden.hpp):
///   gamma = 2 / (1/gamma+ + 1/gamma-),  eta = (gamma/gamma+ - gamma/gamma-) / 2,
///   delta = (theta+ + theta-_pgm) / (1/sqrt(1+eta) + 1/sqrt(1-eta)),  theta = theta+ - delta/sqrt(1+eta).
/// kink = theta+ + theta-_pgm = U'(0+) - U'(0-): > 0 convex cusp (a dead zone of inputs of width
/// kink where the most likely h is 0: a thresholded unit), < 0 double well (the most likely h
/// jumps by jump = -kink / sqrt(gamma+ gamma-) as I crosses the switching input: a bimodal unit).
struct DreluShape {
    double gamma = 0;
    double theta = 0;
    double delta = 0;
    double eta = 0;  ///< asymmetry in (-1, 1): 0 symmetric; > 0 the h > 0 branch is softer (-> 1: ReLU on h > 0)
    double kink = 0;
    double jump = 0;       ///< max(0, -kink) / sqrt(gamma+ gamma-)
    double dead_zone = 0;  ///< max(0, kink)
    double switch_input = 0;  ///< input where the two wells are equally deep (meaningful when jump > 0)
};
[[nodiscard]] DreluShape drelu_shape(const model::HiddenLayer& layer, int mu);

/// Importance of unit mu, the exact log-likelihood gain of keeping it:
///   Delta L_mu = L(model) - L(model without unit mu) = <Gamma_mu(I_mu)>_data + log <exp(-Gamma_mu(I_mu))>_model
/// in nats per sequence (independent of the additive constant of Gamma_mu). The model average is
/// over `model` rows with their weights (exact when they are all configurations with their
/// probabilities). std_error: data term from the weighted variance over M_eff = (sum w)^2/sum w^2,
/// model term by batch means over groups (0 when `model.groups` is empty).
struct Importance {
    double delta_l = std::numeric_limits<double>::quiet_NaN();
    double std_error = 0;
    double data_term = 0;   ///< <Gamma_mu>_data
    double model_term = 0;  ///< log <exp(-Gamma_mu)>_model
};

/// One column of a logo: the weights of one site, all q states.
struct LogoColumn {
    int site = 0;       ///< model site 0..N-1
    int column = 0;     ///< original 0-based column (Rbm::columns)
    double norm = 0;    ///< n_{i mu}
    std::vector<float> weights;  ///< q entries, W_{i mu}(a) exactly as in the model
};
/// Sites of unit mu with n_{i mu} >= threshold * max_i n_{i mu}, in site order (all sites when
/// threshold is 0).
[[nodiscard]] std::vector<LogoColumn> unit_logo(const model::Rbm& rbm, int mu, double threshold);

/// A histogram over equal bins of [min, max]; density(b) = weight in bin / (total weight * width).
struct Histogram {
    double min = 0;
    double max = 1;
    std::vector<double> density;
};
[[nodiscard]] Histogram make_histogram(const Eigen::Ref<const Eigen::VectorXd>& values,
                                       const Eigen::Ref<const Eigen::VectorXd>& weights, double min, double max,
                                       int bins);

/// Weighted mean, standard deviation and bimodality coefficient BC = (skewness^2 + 1) / kurtosis
/// (population moments; BC > 5/9, the value of a uniform law, suggests two modes).
struct InputSummary {
    double mean = 0;
    double std = 0;
    double bimodality = 0;
};
[[nodiscard]] InputSummary summarize_inputs(const Eigen::Ref<const Eigen::VectorXd>& values,
                                            const Eigen::Ref<const Eigen::VectorXd>& weights);

/// Classes of data sequences read from a labels file (id <TAB> class per line).
struct Labels {
    std::vector<std::string> classes;  ///< class names, in order of first appearance
    std::vector<int> class_of;         ///< per data sequence: class index, or -1 when unlabelled
    std::int64_t labelled = 0;         ///< data sequences with a class
    std::int64_t unmatched = 0;        ///< label lines whose id is not a data sequence
};
/// Reads `path` (gzip allowed): lines "id<TAB>class" (or two whitespace-separated fields), '#'
/// comments and blank lines skipped, an optional header "id<TAB>class". InputError "PATH: line K:
/// ..." for a line without two fields or an id given two different classes; InputError when no
/// id matches a data sequence.
[[nodiscard]] Labels read_labels(const std::string& path, const std::vector<std::string>& ids);

/// Residue numbering of a reference sequence over the model's sites.
struct ReferenceNumbering {
    std::string name;
    std::vector<std::uint8_t> states;  ///< N states of the reference at the model sites
    std::vector<int> number;           ///< N residue numbers; 0 where the reference has a gap
    /// "C14" (residue and number) or "-" (gap) for model site i.
    [[nodiscard]] std::string label(int site) const;
};
/// Resolves `spec` (an id of `unfiltered`, or a literal; see io/sequence_spec.hpp) and numbers
/// its residues from `start` (nullopt: the START of an id ending in "/START-END", else 1).
/// Residues are counted over every match column of the full row (an id or a full-length
/// literal), or over the model sites only for a literal of N letters. Insert residues (lowercase
/// in A2M/A3M) are not in the alignment and are not counted.
[[nodiscard]] ReferenceNumbering make_reference(const std::string& spec, const std::vector<int>& model_columns,
                                                const msa::Alignment* unfiltered, std::optional<int> start);

/// Per-unit report parameters.
struct MotifParams {
    double logo_threshold = 0.25;  ///< --logo-threshold: sites shown relative to the largest site norm
    int top_sites = 8;            ///< --top-sites
    int top_sequences = 10;       ///< --top-sequences (each side)
    int bins = 40;                ///< --bins of the input histograms
    /// UsageError naming the option.
    void validate() const;
};

struct SiteWeight {
    int site = 0;
    int column = 0;        ///< original 0-based column
    double norm = 0;       ///< n_{i mu}
    double fraction = 0;   ///< n_{i mu}^2 / sum_j n_{j mu}^2
};

struct Activation {
    Eigen::Index sequence = 0;  ///< row of the data
    double input = 0;           ///< I_mu
};

struct ClassInputs {
    double weight = 0;  ///< total sequence weight of the class
    InputSummary inputs;
    Histogram histogram;
};

struct UnitSummary {
    int unit = 0;  ///< 0-based
    double norm = 0;  ///< sqrt(sum_{i,a} W_{i mu}(a)^2)
    bool active = true;  ///< weights above noise level (model::active_units)
    double participation_ratio = 0;
    double effective_sites = 0;  ///< PR * N
    Importance importance;
    std::optional<DreluShape> shape;  ///< dReLU units only
    InputSummary data_inputs;
    InputSummary model_inputs;
    Histogram data_histogram;   ///< same bins as model_histogram
    Histogram model_histogram;
    std::vector<SiteWeight> top_sites;  ///< by decreasing norm
    std::vector<LogoColumn> logo;
    std::vector<Activation> most_active;   ///< decreasing input
    std::vector<Activation> least_active;  ///< increasing input
    double separation = std::numeric_limits<double>::quiet_NaN();  ///< eta^2 of the classes (labels only)
    std::vector<ClassInputs> classes;  ///< per class (labels only), histograms on the data bins
};

/// Every unit of `rbm` in model order. `labels` (optional) must index the rows of `data`.
[[nodiscard]] std::vector<UnitSummary> analyze_units(const model::Rbm& rbm, const WeightedSequences& data,
                                                     const WeightedSequences& samples, const MotifParams& params,
                                                     const Labels* labels);

/// Delta L_mu of every unit (see Importance).
[[nodiscard]] std::vector<Importance> unit_importance(const model::Rbm& rbm, const WeightedSequences& data,
                                                      const WeightedSequences& samples);

/// Weighted correlation ratio eta^2 = between-class variance / total variance of `values` over the
/// labelled rows (class_of >= 0); NaN with fewer than two non-empty classes or zero variance.
[[nodiscard]] double class_separation(const Eigen::Ref<const Eigen::VectorXd>& values,
                                      const Eigen::Ref<const Eigen::VectorXd>& weights, const std::vector<int>& class_of,
                                      int classes);

enum class UnitOrder { importance, norm, sparsity, index, separation };
/// Parses importance, norm, sparsity, index, separation (UsageError naming `option`).
[[nodiscard]] UnitOrder parse_unit_order(const std::string& name, std::string_view option = "--sort");

struct UnitFilter {
    double min_norm = 0;            ///< --min-norm
    double max_participation = 1;   ///< --max-participation (keep sparse units)
    int max_units = 0;              ///< --max-units (0 = all)
    bool include_inactive = false;  ///< --inactive (units whose weights are at noise level)
};
/// Indices into `units` of the units that pass `filter`, in `order` (importance, norm and
/// separation decreasing; sparsity = increasing participation ratio; ties by unit index).
[[nodiscard]] std::vector<int> rank_units(const std::vector<UnitSummary>& units, UnitOrder order,
                                          const UnitFilter& filter);

}  // namespace pottsrbm::analysis
