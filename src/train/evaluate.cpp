// Likelihood report (see evaluate.hpp).
#include "pottsrbm/train/evaluate.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <cmath>

namespace pottsrbm::train {
namespace {

/// Weighted mean of log P_ind(v) = sum_i log p_i(v_i) under the independent-site model `fields`.
double independent_log_likelihood(const model::FieldMatrix& fields, const TrainingSet& set) {
    Eigen::MatrixXd log_p(fields.rows(), fields.cols());
    for (Eigen::Index i = 0; i < fields.rows(); ++i) {
        const Eigen::VectorXd g = fields.row(i).transpose().cast<double>();
        const double max = g.maxCoeff();
        const double log_norm = max + std::log((g.array() - max).exp().sum());
        log_p.row(i) = (g.array() - log_norm).transpose();
    }
    double total = 0;
    for (Eigen::Index m = 0; m < set.sequences.rows(); ++m) {
        double value = 0;
        for (Eigen::Index i = 0; i < set.sequences.cols(); ++i) value += log_p(i, set.sequences(m, i));
        total += set.weights[m] * value;
    }
    return total / set.weights.sum();
}

void evaluate_set(const model::Rbm& rbm, const model::FieldMatrix& base, const TrainingSet& set, SetLikelihood& out) {
    if (set.sequences.rows() == 0) return;
    Eigen::VectorXd free_energies(set.sequences.rows());
    model::free_energy(rbm, set.sequences, free_energies);
    const double n = static_cast<double>(rbm.sites);
    out.per_sequence = -free_energies.dot(set.weights) / set.weights.sum() - rbm.log_z;
    out.per_site = out.per_sequence / n;
    out.independent_per_sequence = independent_log_likelihood(base, set);
    out.independent_per_site = out.independent_per_sequence / n;
    out.std_error = rbm.log_z_error;
}

}  // namespace

LikelihoodReport evaluate_likelihood(model::Rbm& rbm, const TrainingSet& train, const TrainingSet& validation,
                                     const model::AisParams& ais, double pseudocount) {
    LikelihoodReport report;
    const model::FieldMatrix base =
        model::independent_site_fields(train.sequences, train.weights, rbm.states, pseudocount);
    report.ais = model::estimate_log_z(rbm, base, ais);
    rbm.log_z = report.ais.log_z;
    rbm.log_z_error = report.ais.std_error;
    rbm.has_log_z = true;
    evaluate_set(rbm, base, train, report.train);
    evaluate_set(rbm, base, validation, report.validation);
    return report;
}

void write_likelihood_report(std::ostream& out, const LikelihoodReport& report, int sites) {
    fmt::print(out, "log Z = {:.4f} +- {:.4f} (AIS, {} chains x {} temperatures, effective chains {:.1f})\n",
               report.ais.log_z, report.ais.std_error, report.ais.chains, report.ais.temperatures,
               report.ais.effective_chains);
    if (!std::isnan(report.train.per_sequence)) {
        // PGM averages the log-weights: a lower bound on log Z, so an optimistic log-likelihood.
        const double shift = report.ais.log_z - report.ais.log_z_mean_log_weight;
        fmt::print(out,
                   "(for comparison with PGM, whose AIS averages the log-weights: log Z = {:.4f}, training "
                   "log-likelihood {:.4f} per site; biased upwards)\n",
                   report.ais.log_z_mean_log_weight, (report.train.per_sequence + shift) / sites);
    }
    auto line = [&](const char* name, const SetLikelihood& set) {
        if (std::isnan(set.per_sequence)) return;
        fmt::print(out,
                   "{:<10} log-likelihood {:.3f} +- {:.3f} per sequence, {:.4f} +- {:.4f} per site "
                   "(independent-site model: {:.3f} per sequence, {:.4f} per site)\n",
                   name, set.per_sequence, set.std_error, set.per_site, set.std_error / sites,
                   set.independent_per_sequence, set.independent_per_site);
    };
    line("training", report.train);
    line("validation", report.validation);
}

}  // namespace pottsrbm::train
