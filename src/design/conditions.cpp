// Parsing and folding of design conditions (see conditions.hpp).
#include "pottsrbm/design/conditions.hpp"

#include "pottsrbm/core/alphabet.hpp"
#include "pottsrbm/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

namespace pottsrbm::design {
namespace {

std::vector<std::string_view> split_items(std::string_view spec) {
    std::vector<std::string_view> items;
    std::size_t start = 0;
    while (start <= spec.size()) {
        const std::size_t comma = spec.find(',', start);
        const std::size_t end = comma == std::string_view::npos ? spec.size() : comma;
        items.push_back(spec.substr(start, end - start));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return items;
}

bool parse_integer(std::string_view text, long long& value) {
    if (text.empty()) return false;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    return error == std::errc() && end == text.data() + text.size();
}

bool parse_real(std::string_view text, double& value) {
    if (text.empty()) return false;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    return error == std::errc() && end == text.data() + text.size() && std::isfinite(value);
}

}  // namespace

std::vector<SiteClamp> parse_fixed_sites(std::string_view option, std::string_view spec,
                                         const std::vector<int>& model_columns) {
    std::vector<SiteClamp> clamps;
    std::set<int> seen;
    for (const std::string_view item : split_items(spec)) {
        const std::size_t equals = item.find('=');
        long long column = 0;
        if (equals == std::string_view::npos || equals + 2 != item.size() || !parse_integer(item.substr(0, equals), column))
            throw UsageError(fmt::format("{}: expected COLUMN=RESIDUE items separated by commas (e.g. 12=K,40=W), got '{}'",
                                         option, item));
        const char letter = item[equals + 1];
        const SymbolClass kind = classify_symbol(letter);
        if (kind != SymbolClass::residue && kind != SymbolClass::insert_residue && letter != '-')
            throw UsageError(fmt::format("{}: '{}' in '{}' is not one of the 20 amino acids or '-'", option, letter, item));
        const auto found = std::find(model_columns.begin(), model_columns.end(), static_cast<int>(column - 1));
        if (column < 1 || found == model_columns.end())
            throw UsageError(fmt::format("{}: column {} is not one of the model's columns (original 1-based alignment "
                                         "columns; the model has {} sites, columns {}..{})",
                                         option, column, model_columns.size(),
                                         model_columns.empty() ? 0 : *std::min_element(model_columns.begin(), model_columns.end()) + 1,
                                         model_columns.empty() ? 0 : *std::max_element(model_columns.begin(), model_columns.end()) + 1));
        const int site = static_cast<int>(found - model_columns.begin());
        if (!seen.insert(site).second) throw UsageError(fmt::format("{}: column {} is given twice", option, column));
        clamps.push_back({site, state_of(letter)});
    }
    return clamps;
}

std::vector<HiddenValue> parse_hidden_values(std::string_view option, std::string_view spec, int units) {
    std::vector<HiddenValue> values;
    std::set<int> seen;
    for (const std::string_view item : split_items(spec)) {
        const std::size_t equals = item.find('=');
        long long unit = 0;
        double value = 0;
        if (equals == std::string_view::npos || !parse_integer(item.substr(0, equals), unit) ||
            !parse_real(item.substr(equals + 1), value))
            throw UsageError(fmt::format("{}: expected UNIT=VALUE items separated by commas (e.g. 7=3.5), got '{}'",
                                         option, item));
        if (unit < 1 || unit > units)
            throw UsageError(fmt::format("{}: hidden unit {} does not exist (the model has units 1..{})", option, unit, units));
        if (!seen.insert(static_cast<int>(unit)).second)
            throw UsageError(fmt::format("{}: hidden unit {} is given twice", option, unit));
        values.push_back({static_cast<int>(unit - 1), value});
    }
    return values;
}

void validate_conditions(const model::Rbm& rbm, const Conditions& conditions) {
    std::set<int> sites;
    for (const auto& clamp : conditions.fixed_sites) {
        if (clamp.site < 0 || clamp.site >= rbm.sites || clamp.state >= rbm.states)
            throw UsageError(fmt::format("--fix: site {} state {} is outside the model (N = {}, q = {})", clamp.site + 1,
                                         static_cast<int>(clamp.state), rbm.sites, rbm.states));
        if (!sites.insert(clamp.site).second)
            throw UsageError(fmt::format("--fix: column {} is given twice", rbm.columns[static_cast<std::size_t>(clamp.site)] + 1));
    }
    // Index, finiteness and repetition checks shared by --hidden and --hidden-bias.
    const auto check_unit = [&](std::string_view option, const HiddenValue& value, std::set<int>& seen) {
        if (value.unit < 0 || value.unit >= rbm.units())
            throw UsageError(fmt::format("{}: hidden unit {} does not exist (the model has units 1..{})", option,
                                         value.unit + 1, rbm.units()));
        if (!std::isfinite(value.value))
            throw UsageError(fmt::format("{}: value of unit {} is not finite", option, value.unit + 1));
        if (!seen.insert(value.unit).second)
            throw UsageError(fmt::format("{}: hidden unit {} is given twice", option, value.unit + 1));
    };
    std::set<int> clamped;
    for (const auto& value : conditions.clamped_hidden) {
        check_unit("--hidden", value, clamped);
        if (rbm.hidden.type == model::HiddenType::bernoulli && value.value != 0.0 && value.value != 1.0)
            throw UsageError(fmt::format("--hidden: unit {} is a Bernoulli unit: its value must be 0 or 1, got {}",
                                         value.unit + 1, value.value));
        if (rbm.hidden.type == model::HiddenType::relu && value.value < 0)
            throw UsageError(fmt::format("--hidden: unit {} is a ReLU unit: its value must be >= 0, got {}", value.unit + 1,
                                         value.value));
    }
    std::set<int> biased;
    for (const auto& bias : conditions.hidden_bias) {
        check_unit("--hidden-bias", bias, biased);
        if (clamped.count(bias.unit) != 0U)
            throw UsageError(fmt::format("--hidden-bias: hidden unit {} is also clamped by --hidden", bias.unit + 1));
    }
}

model::Rbm conditioned_model(const model::Rbm& rbm, const Conditions& conditions) {
    validate_conditions(rbm, conditions);
    model::Rbm out = rbm;
    if (conditions.clamped_hidden.empty() && conditions.hidden_bias.empty()) return out;
    out.has_log_z = false;
    out.log_z = 0;
    out.log_z_error = 0;
    for (const auto& bias : conditions.hidden_bias) {
        const auto b = static_cast<float>(bias.value);
        out.hidden.theta_plus[bias.unit] -= b;
        if (rbm.hidden.type == model::HiddenType::drelu) out.hidden.theta_minus[bias.unit] -= b;
    }
    if (conditions.clamped_hidden.empty()) return out;

    std::vector<bool> removed(static_cast<std::size_t>(rbm.units()), false);
    const Eigen::Index width = static_cast<Eigen::Index>(rbm.sites) * rbm.states;
    Eigen::Map<Eigen::VectorXf> fields(out.fields.data(), width);
    for (const auto& clamp : conditions.clamped_hidden) {
        removed[static_cast<std::size_t>(clamp.unit)] = true;
        fields += static_cast<float>(clamp.value) * rbm.weights.col(clamp.unit);
    }
    const int kept = rbm.units() - static_cast<int>(conditions.clamped_hidden.size());
    const model::HiddenLayer biased = out.hidden;
    out.weights.resize(width, kept);
    out.hidden = model::HiddenLayer::make(rbm.hidden.type, kept);
    int next = 0;
    for (int mu = 0; mu < rbm.units(); ++mu) {
        if (removed[static_cast<std::size_t>(mu)]) continue;
        out.weights.col(next) = rbm.weights.col(mu);
        out.hidden.gamma_plus[next] = biased.gamma_plus[mu];
        out.hidden.theta_plus[next] = biased.theta_plus[mu];
        out.hidden.gamma_minus[next] = biased.gamma_minus[mu];
        out.hidden.theta_minus[next] = biased.theta_minus[mu];
        ++next;
    }
    return out;
}

}  // namespace pottsrbm::design
