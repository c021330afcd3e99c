// Per-unit statistics of a Potts-RBM (see units.hpp and docs/motifs.md).
#include "pottsrbm/analysis/units.hpp"

#include "pottsrbm/core/alphabet.hpp"
#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/progress.hpp"
#include "pottsrbm/io/sequence_spec.hpp"
#include "pottsrbm/io/text_lines.hpp"
#include "pottsrbm/model/hidden.hpp"
#include "pottsrbm/model/moments.hpp"
#include "pottsrbm/model/sampling.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <unordered_map>

namespace pottsrbm::analysis {

using Eigen::Index;

namespace {

constexpr int sampling_groups = 20;

double nan() { return std::numeric_limits<double>::quiet_NaN(); }

// Column mu of a float matrix as doubles.
Eigen::VectorXd column_as_double(const model::RowMatrixXf& matrix, int mu) {
    return matrix.col(mu).cast<double>();
}

double log_sum_exp(const Eigen::Ref<const Eigen::VectorXd>& values) {
    const double largest = values.maxCoeff();
    if (!std::isfinite(largest)) return largest;
    return largest + std::log((values.array() - largest).exp().sum());
}

// log of the weighted mean of exp(-gamma): log sum_s w_s e^{-Gamma_s} - log sum_s w_s.
double log_mean_exp_minus(const Eigen::Ref<const Eigen::VectorXd>& gamma, const Eigen::Ref<const Eigen::VectorXd>& weights) {
    Eigen::VectorXd terms(gamma.size());
    Index kept = 0;
    double total = 0;
    for (Index s = 0; s < gamma.size(); ++s) {
        if (!(weights(s) > 0)) continue;
        terms(kept++) = std::log(weights(s)) - gamma(s);
        total += weights(s);
    }
    if (kept == 0) return nan();
    return log_sum_exp(terms.head(kept)) - std::log(total);
}

Importance importance_from_cgf(const Eigen::Ref<const Eigen::VectorXd>& data_gamma, const Eigen::VectorXd& data_weights,
                               const Eigen::Ref<const Eigen::VectorXd>& sample_gamma,
                               const Eigen::VectorXd& sample_weights, const std::vector<int>& groups) {
    Importance result;
    const double total = data_weights.sum();
    result.data_term = data_weights.dot(data_gamma) / total;
    result.model_term = log_mean_exp_minus(sample_gamma, sample_weights);
    result.delta_l = result.data_term + result.model_term;

    const double variance = data_weights.dot((data_gamma.array() - result.data_term).square().matrix()) / total;
    const double effective = total * total / data_weights.squaredNorm();
    double error2 = variance / effective;
    if (!groups.empty()) {
        const int count = *std::max_element(groups.begin(), groups.end()) + 1;
        std::vector<double> terms;
        for (int g = 0; g < count; ++g) {
            Eigen::VectorXd gamma_g(sample_gamma.size());
            Eigen::VectorXd weights_g(sample_gamma.size());
            Index n = 0;
            for (Index s = 0; s < sample_gamma.size(); ++s) {
                if (groups[static_cast<std::size_t>(s)] != g) continue;
                gamma_g(n) = sample_gamma(s);
                weights_g(n++) = sample_weights(s);
            }
            if (n > 0) terms.push_back(log_mean_exp_minus(gamma_g.head(n), weights_g.head(n)));
        }
        if (terms.size() >= 2) {
            const double mean = std::accumulate(terms.begin(), terms.end(), 0.0) / static_cast<double>(terms.size());
            double sum2 = 0;
            for (double t : terms) sum2 += (t - mean) * (t - mean);
            error2 += sum2 / static_cast<double>(terms.size() - 1) / static_cast<double>(terms.size());
        }
    }
    result.std_error = std::sqrt(error2);
    return result;
}

void check_sequences(const model::Rbm& rbm, const WeightedSequences& set, const char* what) {
    if (set.states.cols() != rbm.sites || set.weights.size() != set.states.rows())
        throw UsageError(fmt::format("{}: {} x {} states with {} weights do not match a model of {} sites", what,
                                     set.states.rows(), set.states.cols(), set.weights.size(), rbm.sites));
    if (set.states.rows() == 0) throw UsageError(fmt::format("{}: no sequences", what));
    if (!(set.weights.sum() > 0)) throw UsageError(fmt::format("{}: the weights sum to zero", what));
    if (!set.groups.empty() && static_cast<Index>(set.groups.size()) != set.states.rows())
        throw UsageError(fmt::format("{}: {} group labels for {} sequences", what, set.groups.size(), set.states.rows()));
}

model::RowMatrixXf inputs_of(const model::Rbm& rbm, const WeightedSequences& set) {
    model::RowMatrixXf inputs(set.states.rows(), rbm.units());
    model::hidden_inputs(rbm, set.states, inputs);
    return inputs;
}

std::string trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) return {};
    const auto last = text.find_last_not_of(" \t\r");
    return std::string(text.substr(first, last - first + 1));
}

std::string lower(std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

}  // namespace

WeightedSequences project_onto_model(const msa::Alignment& alignment, const Eigen::VectorXd& weights,
                                     const model::Rbm& rbm) {
    if (rbm.states != q_states)
        throw UsageError(fmt::format("the model has q = {} states; motifs and contacts need a protein model (q = {})",
                                     rbm.states, q_states));
    if (weights.size() != alignment.states.rows())
        throw UsageError(fmt::format("{} weights for {} sequences", weights.size(), alignment.states.rows()));
    int largest = alignment.original_length;
    for (int c : alignment.columns) largest = std::max(largest, c + 1);
    for (int c : rbm.columns) largest = std::max(largest, c + 1);
    std::vector<int> position(static_cast<std::size_t>(largest), -1);
    for (std::size_t j = 0; j < alignment.columns.size(); ++j)
        if (alignment.columns[j] >= 0) position[static_cast<std::size_t>(alignment.columns[j])] = static_cast<int>(j);

    WeightedSequences out;
    out.states.resize(alignment.states.rows(), rbm.sites);
    for (int i = 0; i < rbm.sites; ++i) {
        const int column = rbm.columns[static_cast<std::size_t>(i)];
        const int j = column >= 0 ? position[static_cast<std::size_t>(column)] : -1;
        if (j < 0)
            throw InputError(fmt::format("{}: no column {} of the model (filter the alignment as for training: same "
                                         "--max-col-gap and --focus)",
                                         alignment.source, column + 1));
        out.states.col(i) = alignment.states.col(j);
    }
    out.weights = weights;
    out.ids = alignment.ids;
    return out;
}

void SamplingParams::validate() const {
    if (chains < 2 || chains > 10'000'000)
        throw UsageError(fmt::format("--chains: expected a value in [2, 10000000], got {}", chains));
    if (burn_in < 0) throw UsageError(fmt::format("--burn-in: expected a value >= 0, got {}", burn_in));
    if (snapshots < 1) throw UsageError(fmt::format("--snapshots: expected a value >= 1, got {}", snapshots));
    if (snapshot_every < 1)
        throw UsageError(fmt::format("--snapshot-every: expected a value >= 1, got {}", snapshot_every));
    if (static_cast<double>(chains) * snapshots > 1e8)
        throw UsageError(fmt::format("--chains x --snapshots: {} x {} samples is too many (at most 1e8)", chains,
                                     snapshots));
}

WeightedSequences sample_model(const model::Rbm& rbm, const SamplingParams& params) {
    params.validate();
    model::ChainBatch batch = model::ChainBatch::make(rbm, params.chains, params.seed, 0);
    const std::int64_t sweeps =
        static_cast<std::int64_t>(params.burn_in) + static_cast<std::int64_t>(params.snapshots - 1) * params.snapshot_every;
    Progress progress("sampling the model", sweeps);
    const int chunk = 10;
    for (int done = 0; done < params.burn_in; done += chunk) {
        const int n = std::min(chunk, params.burn_in - done);
        model::gibbs_sweeps(rbm, batch, n);
        progress.add(n);
    }
    WeightedSequences out;
    const Index chains = params.chains;
    out.states.resize(chains * params.snapshots, rbm.sites);
    out.groups.resize(static_cast<std::size_t>(chains * params.snapshots));
    for (int s = 0; s < params.snapshots; ++s) {
        if (s > 0) {
            model::gibbs_sweeps(rbm, batch, params.snapshot_every);
            progress.add(params.snapshot_every);
        }
        out.states.middleRows(s * chains, chains) = batch.visible;
        for (Index c = 0; c < chains; ++c)
            out.groups[static_cast<std::size_t>(s * chains + c)] = static_cast<int>(c % sampling_groups);
    }
    progress.finish();
    out.weights = Eigen::VectorXd::Ones(out.states.rows());
    return out;
}

Eigen::VectorXd site_norms(const model::Rbm& rbm, int mu) {
    Eigen::VectorXd norms(rbm.sites);
    for (int i = 0; i < rbm.sites; ++i)
        norms(i) = rbm.weights.col(mu).segment(static_cast<Index>(i) * rbm.states, rbm.states).cast<double>().norm();
    return norms;
}

double participation_ratio(const model::Rbm& rbm, int mu) {
    const Eigen::ArrayXd squared = site_norms(rbm, mu).array().square();
    const double sum = squared.sum();
    const double sum2 = squared.square().sum();
    if (!(sum2 > 0)) return nan();
    return sum * sum / (static_cast<double>(rbm.sites) * sum2);
}

DreluShape drelu_shape(const model::HiddenLayer& layer, int mu) {
    const double gp = layer.gamma_plus(mu);
    const double gm = layer.gamma_minus(mu);
    const double tp = layer.theta_plus(mu);
    const double tm = -static_cast<double>(layer.theta_minus(mu));  // PGM's sign
    DreluShape shape;
    shape.gamma = 2.0 / (1.0 / gp + 1.0 / gm);
    shape.eta = (shape.gamma / gp - shape.gamma / gm) / 2.0;
    shape.delta = (tp + tm) / (1.0 / std::sqrt(1.0 + shape.eta) + 1.0 / std::sqrt(1.0 - shape.eta));
    shape.theta = tp - shape.delta / std::sqrt(1.0 + shape.eta);
    shape.kink = tp + tm;
    shape.jump = std::max(0.0, -shape.kink) / std::sqrt(gp * gm);
    shape.dead_zone = std::max(0.0, shape.kink);
    const double sp = 1.0 / std::sqrt(gp);
    const double sm = 1.0 / std::sqrt(gm);
    shape.switch_input = (tp * sp - tm * sm) / (sp + sm);
    return shape;
}

std::vector<LogoColumn> unit_logo(const model::Rbm& rbm, int mu, double threshold) {
    const Eigen::VectorXd norms = site_norms(rbm, mu);
    const double largest = norms.size() > 0 ? norms.maxCoeff() : 0.0;
    std::vector<LogoColumn> logo;
    for (int i = 0; i < rbm.sites; ++i) {
        if (threshold > 0 && !(norms(i) >= threshold * largest && norms(i) > 0)) continue;
        LogoColumn column;
        column.site = i;
        column.column = rbm.columns[static_cast<std::size_t>(i)];
        column.norm = norms(i);
        column.weights.resize(static_cast<std::size_t>(rbm.states));
        for (int a = 0; a < rbm.states; ++a)
            column.weights[static_cast<std::size_t>(a)] = rbm.weights(static_cast<Index>(i) * rbm.states + a, mu);
        logo.push_back(std::move(column));
    }
    return logo;
}

Histogram make_histogram(const Eigen::Ref<const Eigen::VectorXd>& values, const Eigen::Ref<const Eigen::VectorXd>& weights,
                         double min, double max, int bins) {
    Histogram histogram;
    if (!(max > min)) {
        const double pad = min == 0 ? 0.5 : std::fabs(min) * 0.05;
        min -= pad;
        max += pad;
    }
    histogram.min = min;
    histogram.max = max;
    histogram.density.assign(static_cast<std::size_t>(bins), 0.0);
    const double width = (max - min) / bins;
    double total = 0;
    for (Index s = 0; s < values.size(); ++s) {
        if (!std::isfinite(values(s))) continue;
        const double position = (values(s) - min) / width;
        const int bin = std::clamp(static_cast<int>(std::floor(position)), 0, bins - 1);
        histogram.density[static_cast<std::size_t>(bin)] += weights(s);
        total += weights(s);
    }
    if (total > 0)
        for (double& d : histogram.density) d /= total * width;
    return histogram;
}

InputSummary summarize_inputs(const Eigen::Ref<const Eigen::VectorXd>& values, const Eigen::Ref<const Eigen::VectorXd>& weights) {
    InputSummary summary;
    const double total = weights.sum();
    if (!(total > 0)) return {nan(), nan(), nan()};
    summary.mean = weights.dot(values) / total;
    const Eigen::ArrayXd centered = values.array() - summary.mean;
    const double m2 = (weights.array() * centered.square()).sum() / total;
    const double m3 = (weights.array() * centered.cube()).sum() / total;
    const double m4 = (weights.array() * centered.square().square()).sum() / total;
    summary.std = std::sqrt(m2);
    if (m2 > 0) {
        const double skewness = m3 / std::pow(m2, 1.5);
        const double kurtosis = m4 / (m2 * m2);
        summary.bimodality = (skewness * skewness + 1.0) / kurtosis;
    } else {
        summary.bimodality = nan();
    }
    return summary;
}

Labels read_labels(const std::string& path, const std::vector<std::string>& ids) {
    std::unordered_map<std::string, std::vector<Index>> rows;
    for (std::size_t m = 0; m < ids.size(); ++m) rows[ids[m]].push_back(static_cast<Index>(m));

    Labels labels;
    labels.class_of.assign(ids.size(), -1);
    std::unordered_map<std::string, int> class_index;
    std::unordered_map<std::string, std::string> seen;  // id -> class, for conflicts
    bool first_data_line = true;
    for (const io::TextLine& numbered : io::read_content_lines(path)) {
        const long line_number = numbered.number;
        const std::string text = trim(numbered.text);
        std::string id;
        std::string name;
        const auto tab = text.find('\t');
        if (tab != std::string::npos) {
            id = trim(std::string_view(text).substr(0, tab));
            std::string rest = trim(std::string_view(text).substr(tab + 1));
            const auto next_tab = rest.find('\t');
            name = trim(std::string_view(rest).substr(0, next_tab));
        } else {
            const auto space = text.find_first_of(" \t");
            if (space != std::string::npos) {
                id = text.substr(0, space);
                name = trim(std::string_view(text).substr(space + 1));
            }
        }
        if (id.empty() || name.empty())
            throw InputError(fmt::format("{}: line {}: expected 'id<TAB>class', got '{}'", path, line_number,
                                         text.size() > 60 ? text.substr(0, 60) + "..." : text));
        if (first_data_line) {
            first_data_line = false;
            if (lower(id) == "id" && lower(name) == "class") continue;
        }
        const auto previous = seen.find(id);
        if (previous != seen.end()) {
            if (previous->second != name)
                throw InputError(fmt::format("{}: line {}: id '{}' has class '{}' here and '{}' earlier", path,
                                             line_number, id, name, previous->second));
            continue;
        }
        seen.emplace(id, name);
        const auto found = rows.find(id);
        if (found == rows.end()) {
            ++labels.unmatched;
            continue;
        }
        auto [class_entry, inserted] = class_index.emplace(name, static_cast<int>(labels.classes.size()));
        if (inserted) labels.classes.push_back(name);
        for (Index m : found->second) {
            labels.class_of[static_cast<std::size_t>(m)] = class_entry->second;
            ++labels.labelled;
        }
    }
    if (labels.labelled == 0)
        throw InputError(fmt::format("{}: none of its {} ids is a sequence of the alignment", path, seen.size()));
    return labels;
}

std::string ReferenceNumbering::label(int site) const {
    const auto i = static_cast<std::size_t>(site);
    if (number[i] <= 0) return "-";
    return fmt::format("{}{}", letter_of(states[i]), number[i]);
}

ReferenceNumbering make_reference(const std::string& spec, const std::vector<int>& model_columns,
                                  const msa::Alignment* unfiltered, std::optional<int> start) {
    const io::NamedSequence resolved = io::resolve_sequence("--reference", spec, model_columns, unfiltered);
    ReferenceNumbering reference;
    reference.name = resolved.name == "literal" ? std::string("literal sequence") : resolved.name;
    reference.states = resolved.states;
    const std::size_t sites = model_columns.size();

    int first = 1;
    if (start) {
        first = *start;
    } else if (resolved.name != "literal") {
        // "NAME/START-END" (Pfam, UniProt ranges).
        const auto slash = resolved.name.rfind('/');
        if (slash != std::string::npos) {
            const std::string_view range = std::string_view(resolved.name).substr(slash + 1);
            int value = 0;
            const auto [end, error] = std::from_chars(range.data(), range.data() + range.size(), value);
            if (error == std::errc() && end != range.data() && end < range.data() + range.size() && *end == '-')
                first = value;
        }
    }

    // residues_before[c]: residues of the full row in original columns < c.
    std::vector<int> residues_before;
    if (resolved.name != "literal" && unfiltered != nullptr) {
        const auto found = std::find(unfiltered->ids.begin(), unfiltered->ids.end(), resolved.name);
        const Index row = found - unfiltered->ids.begin();
        int largest = unfiltered->original_length;
        for (int c : unfiltered->columns) largest = std::max(largest, c + 1);
        std::vector<std::uint8_t> full(static_cast<std::size_t>(largest), gap_state);
        for (std::size_t j = 0; j < unfiltered->columns.size(); ++j)
            full[static_cast<std::size_t>(unfiltered->columns[j])] = unfiltered->states(row, static_cast<Index>(j));
        residues_before.assign(full.size() + 1, 0);
        for (std::size_t c = 0; c < full.size(); ++c) residues_before[c + 1] = residues_before[c] + (full[c] != gap_state);
    } else if (spec.size() != sites) {
        residues_before.assign(spec.size() + 1, 0);
        for (std::size_t c = 0; c < spec.size(); ++c)
            residues_before[c + 1] = residues_before[c] + (spec[c] != '-' && spec[c] != '.');
    }

    reference.number.assign(sites, 0);
    int counted = 0;
    // Per-site literal: count over the model sites in column order.
    std::vector<std::size_t> order(sites);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return model_columns[a] < model_columns[b]; });
    for (const std::size_t i : order) {
        if (reference.states[i] == gap_state) continue;
        if (residues_before.empty()) {
            reference.number[i] = first + counted;
        } else {
            const auto column = static_cast<std::size_t>(model_columns[i]);
            reference.number[i] = first + residues_before[std::min(column, residues_before.size() - 1)];
        }
        ++counted;
    }
    return reference;
}

void MotifParams::validate() const {
    if (!(logo_threshold >= 0 && logo_threshold <= 1))
        throw UsageError(fmt::format("--logo-threshold: expected a value in [0, 1], got {}", logo_threshold));
    if (top_sites < 1 || top_sites > 100000)
        throw UsageError(fmt::format("--top-sites: expected a value in [1, 100000], got {}", top_sites));
    if (top_sequences < 0 || top_sequences > 100000)
        throw UsageError(fmt::format("--top-sequences: expected a value in [0, 100000], got {}", top_sequences));
    if (bins < 5 || bins > 1000) throw UsageError(fmt::format("--bins: expected a value in [5, 1000], got {}", bins));
}

double class_separation(const Eigen::Ref<const Eigen::VectorXd>& values, const Eigen::Ref<const Eigen::VectorXd>& weights,
                        const std::vector<int>& class_of, int classes) {
    std::vector<double> class_weight(static_cast<std::size_t>(classes), 0.0);
    std::vector<double> class_sum(static_cast<std::size_t>(classes), 0.0);
    double total = 0;
    double sum = 0;
    for (Index s = 0; s < values.size(); ++s) {
        const int c = class_of[static_cast<std::size_t>(s)];
        if (c < 0) continue;
        class_weight[static_cast<std::size_t>(c)] += weights(s);
        class_sum[static_cast<std::size_t>(c)] += weights(s) * values(s);
        total += weights(s);
        sum += weights(s) * values(s);
    }
    const int present = static_cast<int>(std::count_if(class_weight.begin(), class_weight.end(), [](double w) { return w > 0; }));
    if (present < 2 || !(total > 0)) return nan();
    const double mean = sum / total;
    double variance = 0;
    for (Index s = 0; s < values.size(); ++s) {
        if (class_of[static_cast<std::size_t>(s)] < 0) continue;
        variance += weights(s) * (values(s) - mean) * (values(s) - mean);
    }
    if (!(variance > 0)) return nan();
    double between = 0;
    for (int c = 0; c < classes; ++c) {
        const auto k = static_cast<std::size_t>(c);
        if (!(class_weight[k] > 0)) continue;
        const double class_mean = class_sum[k] / class_weight[k];
        between += class_weight[k] * (class_mean - mean) * (class_mean - mean);
    }
    return between / variance;
}

namespace {
std::vector<Importance> importance_from_inputs(const model::Rbm& rbm, const WeightedSequences& data,
                                               const model::RowMatrixXf& data_inputs, const WeightedSequences& samples,
                                               const model::RowMatrixXf& sample_inputs) {
    model::RowMatrixXd data_gamma(data_inputs.rows(), data_inputs.cols());
    model::RowMatrixXd sample_gamma(sample_inputs.rows(), sample_inputs.cols());
    model::hidden_cgf(rbm.hidden, data_inputs, data_gamma);
    model::hidden_cgf(rbm.hidden, sample_inputs, sample_gamma);
    std::vector<Importance> result(static_cast<std::size_t>(rbm.units()));
    for (int mu = 0; mu < rbm.units(); ++mu)
        result[static_cast<std::size_t>(mu)] =
            importance_from_cgf(data_gamma.col(mu), data.weights, sample_gamma.col(mu), samples.weights, samples.groups);
    return result;
}
}  // namespace

std::vector<Importance> unit_importance(const model::Rbm& rbm, const WeightedSequences& data,
                                        const WeightedSequences& samples) {
    check_sequences(rbm, data, "importance (data)");
    check_sequences(rbm, samples, "importance (model samples)");
    return importance_from_inputs(rbm, data, inputs_of(rbm, data), samples, inputs_of(rbm, samples));
}

std::vector<UnitSummary> analyze_units(const model::Rbm& rbm, const WeightedSequences& data,
                                       const WeightedSequences& samples, const MotifParams& params, const Labels* labels) {
    params.validate();
    check_sequences(rbm, data, "motifs (data)");
    check_sequences(rbm, samples, "motifs (model samples)");
    if (labels != nullptr && static_cast<Index>(labels->class_of.size()) != data.size())
        throw UsageError(fmt::format("motifs: {} labels for {} data sequences", labels->class_of.size(), data.size()));

    const model::RowMatrixXf data_inputs = inputs_of(rbm, data);
    const model::RowMatrixXf sample_inputs = inputs_of(rbm, samples);
    const std::vector<Importance> importance = importance_from_inputs(rbm, data, data_inputs, samples, sample_inputs);
    const int classes = labels != nullptr ? static_cast<int>(labels->classes.size()) : 0;

    const std::vector<bool> active = model::active_units(rbm);
    std::vector<UnitSummary> units(static_cast<std::size_t>(rbm.units()));
    for (int mu = 0; mu < rbm.units(); ++mu) {
        UnitSummary& unit = units[static_cast<std::size_t>(mu)];
        unit.unit = mu;
        unit.norm = rbm.weights.col(mu).cast<double>().norm();
        unit.active = active[static_cast<std::size_t>(mu)];
        unit.participation_ratio = participation_ratio(rbm, mu);
        unit.effective_sites = unit.participation_ratio * rbm.sites;
        unit.importance = importance[static_cast<std::size_t>(mu)];
        if (rbm.hidden.type == model::HiddenType::drelu) unit.shape = drelu_shape(rbm.hidden, mu);

        const Eigen::VectorXd data_values = column_as_double(data_inputs, mu);
        const Eigen::VectorXd sample_values = column_as_double(sample_inputs, mu);
        unit.data_inputs = summarize_inputs(data_values, data.weights);
        unit.model_inputs = summarize_inputs(sample_values, samples.weights);
        const double low = std::min(data_values.minCoeff(), sample_values.minCoeff());
        const double high = std::max(data_values.maxCoeff(), sample_values.maxCoeff());
        unit.data_histogram = make_histogram(data_values, data.weights, low, high, params.bins);
        unit.model_histogram = make_histogram(sample_values, samples.weights, low, high, params.bins);

        const Eigen::VectorXd norms = site_norms(rbm, mu);
        const double norm2 = norms.squaredNorm();
        std::vector<int> sites(static_cast<std::size_t>(rbm.sites));
        std::iota(sites.begin(), sites.end(), 0);
        std::stable_sort(sites.begin(), sites.end(), [&](int a, int b) { return norms(a) > norms(b); });
        for (int k = 0; k < std::min(params.top_sites, rbm.sites); ++k) {
            const int i = sites[static_cast<std::size_t>(k)];
            if (!(norms(i) > 0)) break;
            unit.top_sites.push_back({i, rbm.columns[static_cast<std::size_t>(i)], norms(i), norms(i) * norms(i) / norm2});
        }
        unit.logo = unit_logo(rbm, mu, params.logo_threshold);

        std::vector<Index> order(static_cast<std::size_t>(data.size()));
        std::iota(order.begin(), order.end(), Index{0});
        std::stable_sort(order.begin(), order.end(), [&](Index a, Index b) { return data_values(a) > data_values(b); });
        const auto shown = std::min<std::size_t>(static_cast<std::size_t>(params.top_sequences), order.size());
        for (std::size_t k = 0; k < shown; ++k) unit.most_active.push_back({order[k], data_values(order[k])});
        for (std::size_t k = 0; k < shown; ++k) {
            const Index s = order[order.size() - 1 - k];
            unit.least_active.push_back({s, data_values(s)});
        }

        if (labels != nullptr) {
            unit.separation = class_separation(data_values, data.weights, labels->class_of, classes);
            for (int c = 0; c < classes; ++c) {
                Eigen::VectorXd class_weights = data.weights;
                for (Index s = 0; s < data.size(); ++s)
                    if (labels->class_of[static_cast<std::size_t>(s)] != c) class_weights(s) = 0;
                ClassInputs inputs;
                inputs.weight = class_weights.sum();
                inputs.inputs = summarize_inputs(data_values, class_weights);
                inputs.histogram = make_histogram(data_values, class_weights, low, high, params.bins);
                unit.classes.push_back(std::move(inputs));
            }
        }
    }
    return units;
}

UnitOrder parse_unit_order(const std::string& name, std::string_view option) {
    if (name == "importance") return UnitOrder::importance;
    if (name == "norm") return UnitOrder::norm;
    if (name == "sparsity") return UnitOrder::sparsity;
    if (name == "index") return UnitOrder::index;
    if (name == "separation") return UnitOrder::separation;
    throw UsageError(fmt::format("{}: expected importance, norm, sparsity, index or separation, got '{}'", option, name));
}

std::vector<int> rank_units(const std::vector<UnitSummary>& units, UnitOrder order, const UnitFilter& filter) {
    std::vector<int> kept;
    for (std::size_t k = 0; k < units.size(); ++k) {
        const UnitSummary& unit = units[k];
        if (!unit.active && !filter.include_inactive) continue;
        if (unit.norm < filter.min_norm) continue;
        if (unit.participation_ratio > filter.max_participation) continue;
        kept.push_back(static_cast<int>(k));
    }
    // Larger key first; NaN keys last.
    const auto key = [&](int k) {
        const UnitSummary& unit = units[static_cast<std::size_t>(k)];
        switch (order) {
            case UnitOrder::importance: return unit.importance.delta_l;
            case UnitOrder::norm: return unit.norm;
            case UnitOrder::sparsity: return -unit.participation_ratio;
            case UnitOrder::index: return -static_cast<double>(unit.unit);
            case UnitOrder::separation: return unit.separation;
        }
        return 0.0;
    };
    std::stable_sort(kept.begin(), kept.end(), [&](int a, int b) {
        const double ka = key(a);
        const double kb = key(b);
        if (std::isnan(ka) || std::isnan(kb)) return !std::isnan(ka) && std::isnan(kb);
        return ka > kb;
    });
    if (filter.max_units > 0 && static_cast<int>(kept.size()) > filter.max_units)
        kept.resize(static_cast<std::size_t>(filter.max_units));
    return kept;
}

}  // namespace pottsrbm::analysis
