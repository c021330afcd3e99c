// Text and SVG outputs of `pottsrbm path` (see paths/report.hpp, docs/paths.md).
#include "pottsrbm/paths/report.hpp"

#include "pottsrbm/core/alphabet.hpp"
#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/svg.hpp"
#include "pottsrbm/model/hidden.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>

namespace pottsrbm::paths {

namespace {

using Index = Eigen::Index;

char letter(int state) { return state < q_states ? letter_of(state) : '?'; }

std::string sequence_text(const model::StateMatrix& states, int t) {
    std::string text(static_cast<std::size_t>(states.cols()), ' ');
    for (Index i = 0; i < states.cols(); ++i) text[static_cast<std::size_t>(i)] = letter(states(t, i));
    return text;
}

std::string step_mutations(const model::Rbm& rbm, const Path& path, int t) {
    if (t == 0) return ".";
    std::string text;
    for (int i = 0; i < rbm.sites; ++i)
        if (path.states(t - 1, i) != path.states(t, i)) {
            if (!text.empty()) text += ',';
            text += mutation_label(i, path.states(t - 1, i), path.states(t, i), rbm.columns);
        }
    return text.empty() ? "." : text;
}

void write_context(std::ostream& out, const ReportContext& context, const PathSpec& spec, std::string_view what) {
    fmt::print(out, "# {} path: {}, seed {}\n", context.program, what, context.seed);
    if (!context.command_line.empty()) fmt::print(out, "# command: {}\n", context.command_line);
    fmt::print(out, "# model {}; from {} to {}; T = {}, beta = {}, lambda = {}, max distance per step = {}\n",
               context.model, context.from_name, spec.free_end() ? "(free end)" : context.to_name, spec.steps, spec.beta,
               spec.lambda, spec.max_distance == 0 ? std::string("none") : std::to_string(spec.max_distance));
}

}  // namespace

NaturalRange natural_range(const std::string& source, const Eigen::VectorXd& free_energies) {
    if (free_energies.size() == 0) throw InputError(fmt::format("{}: no sequences to score", source));
    std::vector<double> sorted(free_energies.data(), free_energies.data() + free_energies.size());
    std::sort(sorted.begin(), sorted.end());
    const auto quantile = [&](double p) {
        const double position = p * static_cast<double>(sorted.size() - 1);
        const auto low = static_cast<std::size_t>(std::floor(position));
        const std::size_t high = std::min(low + 1, sorted.size() - 1);
        return sorted[low] + (position - static_cast<double>(low)) * (sorted[high] - sorted[low]);
    };
    NaturalRange range;
    range.source = source;
    range.sequences = static_cast<long long>(sorted.size());
    range.min = sorted.front();
    range.max = sorted.back();
    range.p01 = quantile(0.01);
    range.median = quantile(0.5);
    range.p99 = quantile(0.99);
    return range;
}

std::vector<int> important_units(const model::Rbm& rbm, const Path& path, int count) {
    const int units = rbm.units();
    model::RowMatrixXf inputs(path.states.rows(), units);
    model::hidden_inputs(rbm, path.states, inputs);
    std::vector<double> spread(static_cast<std::size_t>(units));
    for (int mu = 0; mu < units; ++mu) {
        double low = std::numeric_limits<double>::infinity();
        double high = -low;
        for (Index t = 0; t < inputs.rows(); ++t) {
            const double g = model::hidden_cgf(rbm.hidden, mu, inputs(t, mu));
            low = std::min(low, g);
            high = std::max(high, g);
        }
        spread[static_cast<std::size_t>(mu)] = high - low;
    }
    std::vector<int> order(static_cast<std::size_t>(units));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
        return spread[static_cast<std::size_t>(a)] > spread[static_cast<std::size_t>(b)];
    });
    order.resize(static_cast<std::size_t>(std::min(count, units)));
    return order;
}

void write_path_fasta(std::ostream& out, const model::Rbm& rbm, const PathSpec& spec, const Path& path,
                      const ReportContext& context) {
    std::set<std::string> seen;
    const int steps = path.steps();
    for (int t = 0; t <= steps; ++t) {
        std::string text = sequence_text(path.states, t);
        if (!seen.insert(text).second) continue;
        const int d_a = hamming(path.states.row(t).data(), spec.from.data(), rbm.sites);
        std::string name = t == 0 ? context.from_name : (t == steps && !spec.free_end() ? context.to_name : "");
        fmt::print(out, ">step_{}{} F={:.4f} d_A={}", t, name.empty() ? "" : " " + name, path.free_energy[t], d_a);
        if (!spec.free_end()) fmt::print(out, " d_B={}", hamming(path.states.row(t).data(), spec.to.data(), rbm.sites));
        if (t > 0) fmt::print(out, " {}", step_mutations(rbm, path, t));
        if (t == 0) fmt::print(out, " [{} path, seed {}]", context.program, context.seed);
        fmt::print(out, "\n{}\n", text);
    }
}

void write_path_tsv(std::ostream& out, const model::Rbm& rbm, const PathSpec& spec, const Path& path,
                    const std::vector<int>& units, const ReportContext& context,
                    const std::vector<std::string>& notes) {
    write_context(out, context, spec, "best path, one line per step");
    for (const auto& note : notes) fmt::print(out, "# {}\n", note);
    model::RowMatrixXf inputs(path.states.rows(), rbm.units());
    model::hidden_inputs(rbm, path.states, inputs);
    fmt::print(out, "step\tmutation\tF\td_A\td_B");
    for (int mu : units) fmt::print(out, "\tI_h{}", mu + 1);
    fmt::print(out, "\n");
    for (int t = 0; t <= path.steps(); ++t) {
        fmt::print(out, "{}\t{}\t{:.4f}\t{}\t", t, step_mutations(rbm, path, t), path.free_energy[t],
                   hamming(path.states.row(t).data(), spec.from.data(), rbm.sites));
        if (spec.free_end())
            fmt::print(out, ".");
        else
            fmt::print(out, "{}", hamming(path.states.row(t).data(), spec.to.data(), rbm.sites));
        for (int mu : units) fmt::print(out, "\t{:.4f}", inputs(t, mu));
        fmt::print(out, "\n");
    }
}

void write_mutation_statistics(std::ostream& out, const model::Rbm& rbm, const PathSpec& spec,
                               const SamplingResult& sampled, const MeanFieldResult* mean_field,
                               const ReportContext& context) {
    write_context(out, context, spec, fmt::format("mutations of {} sampled paths", sampled.samples));
    fmt::print(out, "# path_fraction: fraction of sampled paths with the mutation; mean_step: mean step (1..T) of its "
                    "occurrences; mean_rank: mean position among the path's mutations (1 = first)\n");
    if (mean_field != nullptr)
        fmt::print(out, "# mf_step: mean-field switch step sum_t (1 - q_t(i, B_i)) of direct mutations A_i -> B_i\n");
    fmt::print(out, "mutation\tcolumn\tpath_fraction\tmean_count\tmean_step\tmean_rank{}\n",
               mean_field != nullptr ? "\tmf_step" : "");
    for (const auto& s : sampled.statistics) {
        const int column = rbm.columns[static_cast<std::size_t>(s.site)] + 1;
        fmt::print(out, "{}\t{}\t{:.4f}\t{:.4f}\t{:.3f}\t{:.3f}", mutation_label(s.site, s.from, s.to, rbm.columns),
                   column, s.path_fraction, s.mean_count, s.mean_step, s.mean_rank);
        if (mean_field != nullptr) {
            const auto site = static_cast<std::size_t>(s.site);
            const bool direct = !spec.free_end() && s.from == spec.from[site] && s.to == spec.to[site];
            if (direct)
                fmt::print(out, "\t{:.3f}", mean_switch_step(*mean_field, s.site, s.to));
            else
                fmt::print(out, "\t.");
        }
        fmt::print(out, "\n");
    }
}

void write_mean_field(std::ostream& out, const model::Rbm& rbm, const PathSpec& spec, const MeanFieldResult& result,
                      const ReportContext& context, double min_probability) {
    write_context(out, context, spec, "mean-field marginals q_t(column, residue)");
    fmt::print(out, "# {} after {} iterations (largest marginal change of the last one {:.2e})\n",
               result.converged ? "converged" : "NOT converged", result.iterations, result.last_change);
    std::string distances;
    for (Index t = 0; t < result.expected_distance.size(); ++t)
        distances += fmt::format("{}{:.3f}", t == 0 ? "" : " ", result.expected_distance[t]);
    fmt::print(out, "# E[d(x_t, x_t+1)] for steps 1..T: {}\n", distances);
    fmt::print(out, "# entries with probability >= {}\n", min_probability);
    fmt::print(out, "step\tcolumn\tresidue\tprobability\n");
    for (std::size_t t = 0; t < result.marginals.size(); ++t) {
        const auto& m = result.marginals[t];
        for (int i = 0; i < rbm.sites; ++i)
            for (int a = 0; a < rbm.states; ++a)
                if (m(i, a) >= min_probability)
                    fmt::print(out, "{}\t{}\t{}\t{:.4f}\n", t, rbm.columns[static_cast<std::size_t>(i)] + 1, letter(a),
                               m(i, a));
    }
}

std::string path_svg(const model::Rbm& rbm, const PathSpec& spec, const Path& best, const Path* greedy,
                     const SamplingResult* sampled, const NaturalRange* natural, const ReportContext& context) {
    const bool ensemble = sampled != nullptr && sampled->samples > 0;
    double low = best.free_energy.minCoeff();
    double high = best.free_energy.maxCoeff();
    int last_step = best.steps();
    if (greedy != nullptr) {
        low = std::min(low, greedy->free_energy.minCoeff());
        high = std::max(high, greedy->free_energy.maxCoeff());
        last_step = std::max(last_step, greedy->steps());
    }
    if (ensemble) {
        low = std::min(low, (sampled->mean_free_energy - sampled->sd_free_energy).minCoeff());
        high = std::max(high, (sampled->mean_free_energy + sampled->sd_free_energy).maxCoeff());
    }
    if (natural != nullptr) {
        low = std::min(low, natural->p01);
        high = std::max(high, natural->p99);
    }
    const double pad = 0.05 * std::max(high - low, 1e-9);
    svg::Document doc(820, 500);
    doc.raw(fmt::format("<!-- {} path, seed {}: {} -->\n", svg::escape(context.program), context.seed,
                        svg::escape(context.command_line)));
    svg::Plot plot(doc, 70, 50, 560, 380, {0, static_cast<double>(std::max(last_step, 1)), "step"},
                   {low - pad, high + pad, "free energy F"});
    if (natural != nullptr) {
        const double y_top = plot.py(std::min(natural->p99, high + pad));
        const double y_bottom = plot.py(std::max(natural->p01, low - pad));
        doc.rect(plot.px(0), y_top, plot.px(last_step) - plot.px(0), y_bottom - y_top, "#e3f1df", "none", 0,
                 fmt::format("natural sequences of {}: 1%-99% of F ({:.1f} to {:.1f}), {} sequences", natural->source,
                             natural->p01, natural->p99, natural->sequences));
        doc.line(plot.px(0), plot.py(natural->median), plot.px(last_step), plot.py(natural->median), "#7fb77e", 1, "4,3");
    }
    plot.draw_frame();
    plot.title(fmt::format("F along the path {} -> {}", context.from_name,
                           spec.free_end() ? std::string("(free end)") : context.to_name));
    if (ensemble) {
        std::string d;
        const Index n = sampled->mean_free_energy.size();
        for (Index t = 0; t < n; ++t)
            d += fmt::format("{}{:.2f},{:.2f}", t == 0 ? "M" : " L", plot.px(static_cast<double>(t)),
                             plot.py(sampled->mean_free_energy[t] + sampled->sd_free_energy[t]));
        for (Index t = n - 1; t >= 0; --t)
            d += fmt::format(" L{:.2f},{:.2f}", plot.px(static_cast<double>(t)),
                             plot.py(sampled->mean_free_energy[t] - sampled->sd_free_energy[t]));
        doc.path(d + " Z", "#c6dbef");
    }
    const auto draw_path = [&](const Path& path, std::string_view color, std::string_view dash, std::string_view name) {
        std::vector<std::pair<double, double>> points;
        for (int t = 0; t <= path.steps(); ++t)
            points.emplace_back(plot.px(static_cast<double>(t)), plot.py(path.free_energy[t]));
        doc.polyline(points, color, 2, dash);
        for (int t = 0; t <= path.steps(); ++t)
            doc.circle(points[static_cast<std::size_t>(t)].first, points[static_cast<std::size_t>(t)].second, 3, color,
                       1, fmt::format("{} step {}: {} F = {:.3f}", name, t, step_mutations(rbm, path, t), path.free_energy[t]));
    };
    if (greedy != nullptr) draw_path(*greedy, "#d95f02", "6,4", "greedy direct path");
    draw_path(best, "#1f4e9c", "", "best sampled path");

    // Legend.
    double y = 70;
    const double x = 645;
    const auto legend = [&](std::string_view color, std::string_view dash, const std::string& label, const std::string& detail) {
        doc.line(x, y, x + 28, y, color, 2.5, dash);
        doc.text(x + 34, y + 4, label, 12);
        doc.text(x + 34, y + 19, detail, 11, "start", "#555");
        y += 42;
    };
    const Barrier b = barrier(best, spec.free_end());
    legend("#1f4e9c", "", "best sampled path", fmt::format("barrier {:.2f}, max F {:.2f}", b.height, b.max_free_energy));
    if (greedy != nullptr) {
        const Barrier g = barrier(*greedy, false);
        legend("#d95f02", "6,4", "greedy direct path", fmt::format("barrier {:.2f}, max F {:.2f}", g.height, g.max_free_energy));
    }
    if (ensemble) {
        doc.rect(x, y - 6, 28, 12, "#c6dbef");
        doc.text(x + 34, y + 4, "sampled paths", 12);
        doc.text(x + 34, y + 19, fmt::format("mean +- sd, {} samples, beta {}", sampled->samples, spec.beta), 11, "start", "#555");
        y += 42;
    }
    if (natural != nullptr) {
        doc.rect(x, y - 6, 28, 12, "#e3f1df");
        doc.text(x + 34, y + 4, "natural sequences", 12);
        doc.text(x + 34, y + 19, fmt::format("1%-99% of F, median dashed"), 11, "start", "#555");
        y += 42;
    }
    doc.text(70, 488, fmt::format("{}; seed {}; T = {}, beta = {}, lambda = {}", context.program, context.seed,
                                  spec.steps, spec.beta, spec.lambda),
             10, "start", "#777");
    return doc.str();
}

}  // namespace pottsrbm::paths
