// Construction and validation of model parameters: HiddenLayer and Rbm (see hidden.hpp, rbm.hpp).
#include "pottsrbm/core/error.hpp"
#include "pottsrbm/model/hidden.hpp"
#include "pottsrbm/model/rbm.hpp"

#include <fmt/format.h>

#include <cmath>

namespace pottsrbm::model {

std::string_view to_string(HiddenType type) {
    switch (type) {
        case HiddenType::bernoulli: return "bernoulli";
        case HiddenType::gaussian: return "gaussian";
        case HiddenType::relu: return "relu";
        case HiddenType::drelu: return "drelu";
    }
    return "unknown";
}

HiddenType parse_hidden_type(std::string_view name, std::string_view option) {
    for (auto type : {HiddenType::bernoulli, HiddenType::gaussian, HiddenType::relu, HiddenType::drelu})
        if (name == to_string(type)) return type;
    throw UsageError(fmt::format("{}: unknown hidden-unit type '{}' (expected bernoulli, gaussian, relu or drelu)",
                                 option, name));
}

HiddenLayer HiddenLayer::make(HiddenType type, int units) {
    HiddenLayer layer;
    layer.type = type;
    layer.gamma_plus = Eigen::VectorXf::Ones(units);
    layer.gamma_minus = Eigen::VectorXf::Ones(units);
    layer.theta_plus = Eigen::VectorXf::Zero(units);
    layer.theta_minus = Eigen::VectorXf::Zero(units);
    return layer;
}

int HiddenLayer::parameters_per_unit() const {
    switch (type) {
        case HiddenType::bernoulli: return 1;
        case HiddenType::gaussian:
        case HiddenType::relu: return 2;
        case HiddenType::drelu: return 4;
    }
    return 0;
}

void HiddenLayer::validate() const {
    const auto h = gamma_plus.size();
    if (theta_plus.size() != h || gamma_minus.size() != h || theta_minus.size() != h)
        throw InputError(fmt::format("hidden layer: parameter arrays have different lengths ({}, {}, {}, {})", h,
                                     theta_plus.size(), gamma_minus.size(), theta_minus.size()));
    const bool uses_gamma = type != HiddenType::bernoulli;
    for (Eigen::Index mu = 0; mu < h; ++mu) {
        const float values[4] = {gamma_plus[mu], theta_plus[mu], gamma_minus[mu], theta_minus[mu]};
        for (float v : values)
            if (!std::isfinite(v))
                throw InputError(fmt::format("hidden unit {}: parameter is not finite ({})", mu + 1, v));
        if (uses_gamma && !(gamma_plus[mu] > 0))
            throw InputError(fmt::format("hidden unit {}: gamma_plus must be > 0, got {}", mu + 1, gamma_plus[mu]));
        if (type == HiddenType::drelu && !(gamma_minus[mu] > 0))
            throw InputError(fmt::format("hidden unit {}: gamma_minus must be > 0, got {}", mu + 1, gamma_minus[mu]));
    }
}

HiddenLayer HiddenLayer::scaled(double beta) const {
    HiddenLayer result = *this;
    const auto factor = static_cast<float>(beta);
    result.gamma_plus *= factor;
    result.theta_plus *= factor;
    result.gamma_minus *= factor;
    result.theta_minus *= factor;
    return result;
}

Rbm Rbm::make(int sites, int states, int hidden_units, HiddenType type) {
    if (sites <= 0 || states <= 1 || hidden_units < 0)
        throw UsageError(fmt::format("invalid model dimensions N={}, q={}, H={}", sites, states, hidden_units));
    Rbm rbm;
    rbm.sites = sites;
    rbm.states = states;
    rbm.fields = FieldMatrix::Zero(sites, states);
    rbm.weights = RowMatrixXf::Zero(static_cast<Eigen::Index>(sites) * states, hidden_units);
    rbm.hidden = HiddenLayer::make(type, hidden_units);
    rbm.columns.resize(static_cast<std::size_t>(sites));
    for (int i = 0; i < sites; ++i) rbm.columns[static_cast<std::size_t>(i)] = i;
    return rbm;
}

void Rbm::validate() const {
    if (sites <= 0 || states <= 1) throw InputError(fmt::format("model: invalid dimensions N={}, q={}", sites, states));
    if (fields.rows() != sites || fields.cols() != states)
        throw InputError(fmt::format("model: fields have shape {}x{}, expected {}x{}", fields.rows(), fields.cols(),
                                     sites, states));
    if (weights.rows() != static_cast<Eigen::Index>(sites) * states)
        throw InputError(fmt::format("model: weights have {} rows, expected N*q = {}", weights.rows(),
                                     static_cast<Eigen::Index>(sites) * states));
    if (weights.cols() != hidden.units())
        throw InputError(fmt::format("model: weights have {} columns but the hidden layer has {} units",
                                     weights.cols(), hidden.units()));
    if (columns.size() != static_cast<std::size_t>(sites))
        throw InputError(fmt::format("model: column map has {} entries, expected N = {}", columns.size(), sites));
    for (std::size_t i = 0; i < columns.size(); ++i)
        if (columns[i] < 0 || (i > 0 && columns[i] <= columns[i - 1]))
            throw InputError(fmt::format("model: column map entry {} ({}) is negative or not increasing", i + 1,
                                         columns[i]));
    if (!fields.allFinite()) throw InputError("model: fields contain a non-finite value");
    if (!weights.allFinite()) throw InputError("model: weights contain a non-finite value");
    hidden.validate();
}

}  // namespace pottsrbm::model
