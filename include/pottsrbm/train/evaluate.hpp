// Likelihood report of a trained model: AIS log Z with its standard error, the log-likelihood per
// sequence and per site of the training and validation sets (weighted means), and the same for
// the independent-site model of the training data (exact), the baseline a model must beat.
#pragma once

#include "pottsrbm/model/likelihood.hpp"
#include "pottsrbm/train/trainer.hpp"

#include <limits>
#include <ostream>

namespace pottsrbm::train {

struct SetLikelihood {
    double per_sequence = std::numeric_limits<double>::quiet_NaN();  ///< weighted mean of log P(v)
    double per_site = std::numeric_limits<double>::quiet_NaN();
    double independent_per_sequence = std::numeric_limits<double>::quiet_NaN();  ///< baseline model
    double independent_per_site = std::numeric_limits<double>::quiet_NaN();
    double std_error = 0;  ///< from log Z only (the data mean is exact)
};

struct LikelihoodReport {
    model::AisResult ais;
    SetLikelihood train;
    SetLikelihood validation;
};

/// Estimates log Z by AIS (from the independent-site model of `train`) and evaluates both sets.
/// Stores log Z and its error into `rbm`.
[[nodiscard]] LikelihoodReport evaluate_likelihood(model::Rbm& rbm, const TrainingSet& train,
                                                   const TrainingSet& validation, const model::AisParams& ais,
                                                   double pseudocount);

/// Writes the report as readable lines (one per set) to `out`.
void write_likelihood_report(std::ostream& out, const LikelihoodReport& report, int sites);

}  // namespace pottsrbm::train
