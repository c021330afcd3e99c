// HTML, TSV and JSON outputs of `pottsrbm motifs` (see report.hpp).
#include "pottsrbm/analysis/report.hpp"

#include "pottsrbm/core/alphabet.hpp"
#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/json.hpp"
#include "pottsrbm/core/svg.hpp"
#include "pottsrbm/model/moments.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace pottsrbm::analysis {

namespace {

using svg::escape;

constexpr double bimodal_threshold = 5.0 / 9.0;
const char* const class_palette[] = {"#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"};
constexpr int palette_size = 8;

std::string number(double value, int digits = 4) {
    if (std::isnan(value)) return "n/a";
    if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
    return fmt::format("{:.{}g}", value, digits);
}

std::string json_number(double value) { return json::number(value, 8); }

// At most `bytes` bytes of UTF-8 `text` (never cutting a character), with an ellipsis when cut.
std::string shortened(const std::string& text, std::size_t bytes) {
    if (text.size() <= bytes) return text;
    std::size_t end = bytes;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    return text.substr(0, end) + "\u2026";
}

std::string signed_weight(double w) { return fmt::format("{}{:.2f}", w >= 0 ? "+" : "\u2212", std::fabs(w)); }

// The residues of a site with the largest |W|: up to `count` of one sign with |W| >= 20% of the
// site's largest |W|, e.g. "C +2.31 S +0.60".
std::string residue_list(const model::Rbm& rbm, int mu, int site, bool positive, int count) {
    std::vector<std::pair<double, int>> entries;
    double largest = 0;
    for (int a = 0; a < rbm.states; ++a) {
        const double w = rbm.weights(static_cast<Eigen::Index>(site) * rbm.states + a, mu);
        largest = std::max(largest, std::fabs(w));
        if ((positive && w > 0) || (!positive && w < 0)) entries.emplace_back(w, a);
    }
    std::sort(entries.begin(), entries.end(), [](const auto& x, const auto& y) { return std::fabs(x.first) > std::fabs(y.first); });
    std::string text;
    int shown = 0;
    for (const auto& [w, a] : entries) {
        if (shown == count || std::fabs(w) < 0.2 * largest) break;
        if (!text.empty()) text += "  ";
        text += fmt::format("{} {}", letter_of(a), signed_weight(w));
        ++shown;
    }
    return text;
}

// The letter of the largest |W| at a site with its sign, e.g. "C+".
std::string dominant_residue(const model::Rbm& rbm, int mu, int site) {
    int best = 0;
    double best_abs = -1;
    for (int a = 0; a < rbm.states; ++a) {
        const double w = rbm.weights(static_cast<Eigen::Index>(site) * rbm.states + a, mu);
        if (std::fabs(w) > best_abs) {
            best_abs = std::fabs(w);
            best = a;
        }
    }
    const double w = rbm.weights(static_cast<Eigen::Index>(site) * rbm.states + best, mu);
    return fmt::format("{}{}", letter_of(best), w >= 0 ? "+" : "\u2212");
}

std::string shape_text(const UnitSummary& unit) {
    if (!unit.shape) return "-";
    const DreluShape& s = *unit.shape;
    const double scale = unit.data_inputs.std > 0 ? unit.data_inputs.std : 1.0;
    std::string text;
    if (-s.kink > 0.1 * scale)
        text = fmt::format("double well (jump {})", number(s.jump, 3));
    else if (s.kink > 0.1 * scale)
        text = fmt::format("threshold (dead zone {})", number(s.dead_zone, 3));
    else
        text = "near-linear";
    if (std::fabs(s.eta) > 0.5) text += fmt::format(", one-sided (\u03b7 {})", number(s.eta, 2));
    return text;
}

std::string site_residues(const WeightedSequences& data, Eigen::Index row, const UnitSummary& unit) {
    std::string letters;
    for (const SiteWeight& site : unit.top_sites) letters += letter_of(data.states(row, site.site));
    return letters;
}

const char* style_sheet() {
    return R"(body{font-family:Helvetica,Arial,sans-serif;margin:24px auto;color:#222;max-width:1280px;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;margin:4px 0}h3{font-size:15px;margin:12px 0 4px}
table{border-collapse:collapse;font-size:13px;margin:6px 0}
th,td{border-bottom:1px solid #ddd;padding:3px 8px;text-align:right;vertical-align:top}
th{background:#f3f3f3}.l{text-align:left}
.meta td,.meta th{text-align:left}
section.unit{border-top:2px solid #888;margin-top:28px;padding-top:8px}
.figs{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
.scroll{overflow-x:auto;max-width:100%}
.mono,.seq{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace}
.note{color:#555;font-size:13px;max-width:980px}
a{color:#08519c;text-decoration:none}
)";
}

void meta_row(std::ostream& out, std::string_view key, std::string_view value) {
    out << "<tr><th>" << escape(key) << "</th><td>" << escape(value) << "</td></tr>\n";
}

}  // namespace

UnitSiteContacts unit_site_contacts(const UnitSummary& unit, const DistanceMap& distances, int sites) {
    UnitSiteContacts result;
    const int count = std::min(sites, static_cast<int>(unit.top_sites.size()));
    for (int a = 0; a < count; ++a) {
        for (int b = a + 1; b < count; ++b) {
            UnitSiteContacts::Pair pair;
            pair.column_i = std::min(unit.top_sites[static_cast<std::size_t>(a)].column, unit.top_sites[static_cast<std::size_t>(b)].column);
            pair.column_j = std::max(unit.top_sites[static_cast<std::size_t>(a)].column, unit.top_sites[static_cast<std::size_t>(b)].column);
            const auto d = distances.distance(pair.column_i, pair.column_j);
            pair.distance = d ? *d : std::numeric_limits<double>::quiet_NaN();
            if (d) {
                ++result.known;
                result.within_8 += *d < 8.0;
                result.within_5 += *d < 5.0;
            }
            result.pairs.push_back(pair);
        }
    }
    return result;
}

std::string position_label(const model::Rbm& rbm, const ReferenceNumbering* reference, int site) {
    const int column = rbm.columns[static_cast<std::size_t>(site)] + 1;
    if (reference == nullptr) return std::to_string(column);
    return fmt::format("{} ({})", column, reference->label(site));
}

std::string residue_colour(char letter) {
    switch (letter) {
        case 'G': case 'S': case 'T': case 'Y': case 'C': return "#109648";
        case 'N': case 'Q': return "#8e44ad";
        case 'K': case 'R': case 'H': return "#1f5fbf";
        case 'D': case 'E': return "#d7191c";
        case 'A': case 'V': case 'L': case 'I': case 'M': case 'F': case 'W': case 'P': return "#111111";
        default: return "#9e9e9e";
    }
}

std::string logo_svg(const std::vector<LogoColumn>& logo, const ReferenceNumbering* reference, const std::string& title) {
    const auto columns = static_cast<int>(logo.size());
    const double cell = std::clamp(1100.0 / std::max(columns, 1), 9.0, 26.0);
    const double left = 54;
    const double top = 28;
    const double stack_height = 200;
    const double label_height = reference != nullptr ? 64 : 40;
    double positive = 0;
    double negative = 0;
    for (const LogoColumn& column : logo) {
        double p = 0;
        double n = 0;
        for (const float w : column.weights) (w > 0 ? p : n) += std::fabs(w);
        positive = std::max(positive, p);
        negative = std::max(negative, n);
    }
    const double range = std::max(positive + negative, 1e-12);
    const double scale = stack_height / range;  // pixels per unit weight
    const double axis = top + positive * scale;
    svg::Document document(std::max(left + cell * columns + 16, 300.0), top + stack_height + label_height + 8);
    document.text(left, 16, title, 13, "start", "#000", 0, true);

    // Weight axis.
    for (const double tick : svg::nice_ticks(-negative, positive, 6)) {
        const double y = axis - tick * scale;
        document.line(left - 4, y, left, y, "#333");
        document.text(left - 6, y + 3.5, svg::tick_label(tick), 10, "end", "#333");
    }
    document.line(left, top, left, top + stack_height, "#333");
    document.text(left - 38, top + stack_height / 2, "weight W", 11, "middle", "#000", -90);

    // Separators and column labels first, then the glyphs in one group that sets their font.
    for (int k = 0; k < columns; ++k) {
        const LogoColumn& column = logo[static_cast<std::size_t>(k)];
        const double x0 = left + k * cell;
        const double centre = x0 + cell / 2;
        if (k > 0 && column.site != logo[static_cast<std::size_t>(k - 1)].site + 1)
            document.line(x0, top, x0, top + stack_height, "#bbbbbb", 1, "3,3");
        const double label_y = top + stack_height + 8;
        document.text(centre + 3.5, label_y, std::to_string(column.column + 1), 10, "end", "#333", -90);
        if (reference != nullptr)
            document.text(centre + 3.5, label_y + 30, reference->label(column.site), 10, "end", "#1f5fbf", -90);
    }
    document.raw("<g font-family=\"DejaVu Sans Mono,Menlo,Consolas,monospace\" font-weight=\"bold\" font-size=\"100\" "
                 "text-anchor=\"middle\">\n");
    for (int k = 0; k < columns; ++k) {
        const LogoColumn& column = logo[static_cast<std::size_t>(k)];
        const double x0 = left + k * cell;
        const double centre = x0 + cell / 2;
        std::vector<int> order(column.weights.size());
        std::iota(order.begin(), order.end(), 0);
        std::sort(order.begin(), order.end(), [&](int a, int b) {
            return std::fabs(column.weights[static_cast<std::size_t>(a)]) < std::fabs(column.weights[static_cast<std::size_t>(b)]);
        });
        double above = axis;
        double below = axis;
        for (const int a : order) {
            const double w = column.weights[static_cast<std::size_t>(a)];
            const double height = std::fabs(w) * scale;
            if (height < 0.5) continue;
            const char letter = letter_of(a);
            const std::string tooltip = fmt::format("column {}, {}: W = {:.4f}", column.column + 1, letter, w);
            const double bottom = w > 0 ? above : below + height;
            if (w > 0)
                above -= height;
            else
                below += height;
            if (a == gap_state) {
                document.rect(x0 + cell * 0.1, bottom - height, cell * 0.8, height, "#bdbdbd", "#8a8a8a", 0.5, tooltip);
                continue;
            }
            // A bold capital (cap height about 0.73 em at the group's font-size 100) stretched to the
            // weight; textLength forces its width to 60 units whatever font the viewer falls back
            // to. Tooltips only on letters tall enough to point at.
            document.raw(fmt::format("<text transform=\"translate({:.1f},{:.2f}) scale({:.3f},{:.4f})\" textLength=\"60\" "
                                     "lengthAdjust=\"spacingAndGlyphs\" fill=\"{}\">{}{}</text>\n",
                                     centre, bottom, cell * 0.9 / 60.0, height / 73.0, residue_colour(letter),
                                     height >= 2 ? fmt::format("<title>{}</title>", escape(tooltip)) : std::string(),
                                     escape(std::string(1, letter))));
        }
    }
    document.raw("</g>\n");
    document.line(left, axis, left + cell * columns, axis, "#333");
    return document.str();
}

std::string histogram_svg(const UnitSummary& unit, const Labels* labels, const std::string& title) {
    const int bins = static_cast<int>(unit.data_histogram.density.size());
    double largest = 0;
    for (double d : unit.data_histogram.density) largest = std::max(largest, d);
    for (double d : unit.model_histogram.density) largest = std::max(largest, d);
    const bool with_classes = labels != nullptr && !unit.classes.empty();
    if (with_classes)
        for (const ClassInputs& c : unit.classes)
            for (double d : c.histogram.density) largest = std::max(largest, d);
    svg::Document document(560, 250);
    svg::Plot plot(document, 58, 30, 390, 170, {unit.data_histogram.min, unit.data_histogram.max, "input I"},
                   {0, largest * 1.08, "density"});
    plot.draw_frame();
    plot.title(title);
    const double width = (unit.data_histogram.max - unit.data_histogram.min) / bins;
    const auto steps = [&](const std::vector<double>& density) {
        std::vector<std::pair<double, double>> points;
        for (int b = 0; b < bins; ++b) {
            const double x0 = unit.data_histogram.min + b * width;
            points.emplace_back(plot.px(x0), plot.py(density[static_cast<std::size_t>(b)]));
            points.emplace_back(plot.px(x0 + width), plot.py(density[static_cast<std::size_t>(b)]));
        }
        return points;
    };
    if (!with_classes) {
        std::string d = fmt::format("M {:.2f} {:.2f}", plot.px(unit.data_histogram.min), plot.py(0));
        for (const auto& [x, y] : steps(unit.data_histogram.density)) d += fmt::format(" L {:.2f} {:.2f}", x, y);
        d += fmt::format(" L {:.2f} {:.2f} Z", plot.px(unit.data_histogram.max), plot.py(0));
        document.path(d, "#c6dbef", "#6baed6", 1);
    }
    document.polyline(steps(unit.model_histogram.density), "#e6550d", 1.8, with_classes ? "4,3" : "");
    double legend_y = 44;
    const auto legend = [&](const std::string& colour, const std::string& text, bool dashed) {
        document.line(458, legend_y - 4, 478, legend_y - 4, colour, 2.5, dashed ? "4,3" : "");
        document.text(482, legend_y, text, 10);
        legend_y += 14;
    };
    if (with_classes) {
        const int shown = std::min(palette_size, static_cast<int>(unit.classes.size()));
        for (int c = 0; c < shown; ++c)
            document.polyline(steps(unit.classes[static_cast<std::size_t>(c)].histogram.density), class_palette[c], 1.6);
        for (int c = 0; c < shown; ++c) {
            const std::string& name = labels->classes[static_cast<std::size_t>(c)];
            legend(class_palette[c], shortened(name, 12), false);
        }
        legend("#e6550d", "model", true);
    } else {
        legend("#6baed6", "data", false);
        legend("#e6550d", "model", false);
    }
    return document.str();
}

void write_motifs_html(std::ostream& out, const std::vector<UnitSummary>& units, const std::vector<int>& order,
                       const WeightedSequences& data, const ReportContext& context) {
    if (context.rbm == nullptr) throw UsageError("motifs report: no model");
    const model::Rbm& rbm = *context.rbm;
    const ReferenceNumbering* reference = context.reference;
    const Labels* labels = context.labels;
    const ContactSummary* contacts = context.contacts;
    const auto label = [&](int site) { return position_label(rbm, reference, site); };

    out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>"
        << escape(fmt::format("pottsrbm motifs: {}", context.model_path)) << "</title>\n<style>\n"
        << style_sheet() << "</style>\n</head>\n<body>\n";
    out << "<h1>Hidden units of " << escape(context.model_path) << "</h1>\n";

    out << "<table class=\"meta\">\n";
    meta_row(out, "model", fmt::format("{}: N = {} sites, {} {} hidden units", context.model_path, rbm.sites,
                                       rbm.units(), model::to_string(rbm.hidden.type)));
    if (!rbm.provenance.training_data.empty())
        meta_row(out, "trained on", fmt::format("{} (M_eff {:.1f})", rbm.provenance.training_data,
                                                rbm.provenance.effective_sequences));
    if (!rbm.provenance.command_line.empty()) meta_row(out, "training command", rbm.provenance.command_line);
    if (!rbm.provenance.version.empty())
        meta_row(out, "trained by", fmt::format("pottsrbm {}, seed {}, {}", rbm.provenance.version, rbm.provenance.seed,
                                                rbm.provenance.created));
    meta_row(out, "data", fmt::format("{}: {} sequences, M_eff {:.1f}", context.alignment_path, context.sequences,
                                      context.effective_sequences));
    meta_row(out, "model samples",
             fmt::format("{} ({} chains x {} snapshots every {} sweeps after {} burn-in sweeps, seed {})",
                         context.samples, context.sampling.chains, context.sampling.snapshots,
                         context.sampling.snapshot_every, context.sampling.burn_in, context.sampling.seed));
    meta_row(out, "units shown",
             fmt::format("{} of {}, ranked by {}; filters: norm >= {}, participation ratio <= {}{}", order.size(),
                         units.size(), context.order, context.filter.min_norm, context.filter.max_participation,
                         context.filter.max_units > 0 ? fmt::format(", at most {}", context.filter.max_units) : ""));
    const auto active_count = std::count_if(units.begin(), units.end(), [](const UnitSummary& u) { return u.active; });
    if (active_count < static_cast<std::ptrdiff_t>(units.size()))
        meta_row(out, "active units",
                 fmt::format("{} of {}; the others have weights at noise level (norm below {} of the largest "
                             "unit's; shown with --inactive)",
                             active_count, units.size(), model::active_unit_threshold));
    if (reference != nullptr) meta_row(out, "reference numbering", reference->name);
    if (labels != nullptr)
        meta_row(out, "labels", fmt::format("{}: {} classes, {} labelled sequences ({} ids not in the data)",
                                            context.labels_path, labels->classes.size(), labels->labelled,
                                            labels->unmatched));
    meta_row(out, "report", fmt::format("pottsrbm {}; {}", context.version, context.command_line));
    out << "</table>\n";

    out << "<p class=\"note\">How to read: a unit's <b>input</b> is I(v) = &Sigma;<sub>i</sub> W<sub>i</sub>(v<sub>i</sub>). "
           "<b>&Delta;L</b> is the exact log-likelihood gain of the unit, &lang;&Gamma;(I)&rang;<sub>data</sub> + "
           "log &lang;exp(&minus;&Gamma;(I))&rang;<sub>model</sub> in nats per sequence (model average over the samples; "
           "&plusmn; one standard error). <b>PR</b> is the participation ratio of the site norms "
           "(1/N: one site, 1: all sites); <b>sites</b> = PR &times; N. dReLU <b>shape</b>: a double well makes the "
           "unit bimodal (its most likely h jumps as I crosses a threshold), a threshold makes it silent for small |I|. "
           "<b>BC</b> is the bimodality coefficient of the data inputs (&gt; 5/9 suggests two modes). Logos: letter "
           "height = |W<sub>i</sub>(a)|, positive above the axis, negative below; sites below " << context.params.logo_threshold
        << " &times; the largest site norm are hidden (dashed lines mark skipped sites). Columns are 1-based alignment "
           "columns" << (reference != nullptr ? ", with the reference residue in parentheses" : "") << ".</p>\n";

    // Overview.
    out << "<h2>Overview</h2>\n<div class=\"scroll\"><table>\n<tr><th>rank</th><th>unit</th><th>&Delta;L</th><th>&plusmn;</th>"
           "<th>norm</th><th>PR</th><th>sites</th><th class=\"l\">shape</th><th>BC</th><th class=\"l\">top sites</th>";
    if (labels != nullptr) out << "<th>&eta;&sup2; classes</th>";
    if (contacts != nullptr && contacts->distances != nullptr)
        out << "<th>top-" << contacts->unit_sites << " site pairs &lt; 8 &Aring;</th>";
    out << "</tr>\n";
    for (std::size_t r = 0; r < order.size(); ++r) {
        const UnitSummary& unit = units[static_cast<std::size_t>(order[r])];
        std::string sites;
        for (std::size_t k = 0; k < std::min<std::size_t>(4, unit.top_sites.size()); ++k) {
            if (!sites.empty()) sites += ", ";
            sites += label(unit.top_sites[k].site) + " " + dominant_residue(rbm, unit.unit, unit.top_sites[k].site);
        }
        out << "<tr><td>" << r + 1 << "</td><td><a href=\"#unit-" << unit.unit + 1 << "\">" << unit.unit + 1
            << "</a></td><td>" << number(unit.importance.delta_l) << "</td><td>" << number(unit.importance.std_error, 2)
            << "</td><td>" << number(unit.norm, 3) << "</td><td>" << number(unit.participation_ratio, 3) << "</td><td>"
            << number(unit.effective_sites, 3) << "</td><td class=\"l\">" << escape(shape_text(unit)) << "</td><td>"
            << number(unit.data_inputs.bimodality, 2) << "</td><td class=\"l\">" << escape(sites) << "</td>";
        if (labels != nullptr) out << "<td>" << number(unit.separation, 3) << "</td>";
        if (contacts != nullptr && contacts->distances != nullptr) {
            const UnitSiteContacts c = unit_site_contacts(unit, *contacts->distances, contacts->unit_sites);
            out << "<td>" << c.within_8 << "/" << c.known << "</td>";
        }
        out << "</tr>\n";
    }
    out << "</table></div>\n";

    if (labels != nullptr) {
        std::vector<int> by_separation = order;
        std::stable_sort(by_separation.begin(), by_separation.end(), [&](int a, int b) {
            const double sa = units[static_cast<std::size_t>(a)].separation;
            const double sb = units[static_cast<std::size_t>(b)].separation;
            if (std::isnan(sa) || std::isnan(sb)) return !std::isnan(sa) && std::isnan(sb);
            return sa > sb;
        });
        out << "<h2>Class separation</h2>\n<p class=\"note\">&eta;&sup2; = between-class variance / total variance of the "
               "input over the labelled sequences (weighted); the mean input of each class.</p>\n<div class=\"scroll\"><table>\n"
               "<tr><th>unit</th><th>&eta;&sup2;</th>";
        for (const std::string& name : labels->classes) out << "<th>" << escape(name) << "</th>";
        out << "</tr>\n";
        for (std::size_t r = 0; r < std::min<std::size_t>(10, by_separation.size()); ++r) {
            const UnitSummary& unit = units[static_cast<std::size_t>(by_separation[r])];
            out << "<tr><td><a href=\"#unit-" << unit.unit + 1 << "\">" << unit.unit + 1 << "</a></td><td>"
                << number(unit.separation, 3) << "</td>";
            for (const ClassInputs& c : unit.classes) out << "<td>" << number(c.inputs.mean, 3) << "</td>";
            out << "</tr>\n";
        }
        out << "</table></div>\n";
    }

    if (contacts != nullptr) {
        out << "<h2>Contacts</h2>\n<p class=\"note\">Effective couplings (" << escape(to_string(contacts->approximation))
            << " approximation, docs/motifs.md), Frobenius norms of the zero-sum-gauged residue blocks, APC-corrected; "
               "structure " << escape(contacts->structure_path) << ". PPV counts pairs with |i&minus;j| &gt; 4 that have a "
               "distance.</p>\n<table>\n<tr><th>top</th><th>pairs</th><th>cutoff</th><th>PPV</th><th>true / evaluated</th></tr>\n";
        for (const Ppv& ppv : contacts->ppv)
            out << "<tr><td>" << escape(ppv.label) << "</td><td>" << ppv.requested << "</td><td>" << ppv.cutoff
                << " &Aring;</td><td>" << number(ppv.ppv, 3) << "</td><td>" << ppv.true_positives << " / " << ppv.evaluated
                << "</td></tr>\n";
        out << "</table>\n<div class=\"scroll\">" << contacts->map_svg << "</div>\n";
    }

    // One section per unit.
    for (std::size_t r = 0; r < order.size(); ++r) {
        const UnitSummary& unit = units[static_cast<std::size_t>(order[r])];
        const int shown_unit = unit.unit + 1;
        out << "<section class=\"unit\" id=\"unit-" << shown_unit << "\">\n<h2>#" << r + 1 << " &middot; unit "
            << shown_unit << "</h2>\n<p>";
        out << "&Delta;L = " << number(unit.importance.delta_l) << " &plusmn; " << number(unit.importance.std_error, 2)
            << " nats/sequence (&lang;&Gamma;&rang;<sub>data</sub> " << number(unit.importance.data_term)
            << ", log&lang;e<sup>&minus;&Gamma;</sup>&rang;<sub>model</sub> " << number(unit.importance.model_term)
            << "); norm " << number(unit.norm, 3) << "; PR " << number(unit.participation_ratio, 3) << " (&asymp; "
            << number(unit.effective_sites, 3) << " of " << rbm.sites << " sites)";
        if (unit.shape) {
            const DreluShape& s = *unit.shape;
            out << "; dReLU " << escape(shape_text(unit)) << ": &gamma; " << number(s.gamma, 3) << ", &theta; "
                << number(s.theta, 3) << ", &Delta; " << number(s.delta, 3) << ", &eta; " << number(s.eta, 3);
        }
        out << ".<br>Inputs: data " << number(unit.data_inputs.mean, 3) << " &plusmn; " << number(unit.data_inputs.std, 3)
            << " (BC " << number(unit.data_inputs.bimodality, 2)
            << (unit.data_inputs.bimodality > bimodal_threshold ? ", bimodal" : "") << "), model "
            << number(unit.model_inputs.mean, 3) << " &plusmn; " << number(unit.model_inputs.std, 3) << " (BC "
            << number(unit.model_inputs.bimodality, 2)
            << (unit.model_inputs.bimodality > bimodal_threshold ? ", bimodal" : "") << ").</p>\n";
        out << "<div class=\"figs\"><div class=\"scroll\">"
            << logo_svg(unit.logo, reference, fmt::format("unit {}: weights W_i(a)", shown_unit)) << "</div>"
            << histogram_svg(unit, labels, fmt::format("unit {}: inputs, data vs model", shown_unit)) << "</div>\n";

        out << "<h3>Top sites</h3>\n<table>\n<tr><th>column</th><th>norm</th><th>share of |W|&sup2;</th>"
               "<th class=\"l\">positive weights</th><th class=\"l\">negative weights</th></tr>\n";
        for (const SiteWeight& site : unit.top_sites)
            out << "<tr><td>" << escape(label(site.site)) << "</td><td>" << number(site.norm, 3) << "</td><td>"
                << fmt::format("{:.1f}%", 100 * site.fraction) << "</td><td class=\"l mono\">"
                << escape(residue_list(rbm, unit.unit, site.site, true, 4)) << "</td><td class=\"l mono\">"
                << escape(residue_list(rbm, unit.unit, site.site, false, 4)) << "</td></tr>\n";
        out << "</table>\n";

        if (contacts != nullptr && contacts->distances != nullptr) {
            const UnitSiteContacts c = unit_site_contacts(unit, *contacts->distances, contacts->unit_sites);
            out << "<p>Pairs of the top " << contacts->unit_sites << " sites: " << c.within_8 << " of " << c.known
                << " within 8 &Aring; (" << c.within_5 << " within 5 &Aring;): ";
            for (std::size_t k = 0; k < c.pairs.size(); ++k) {
                const auto& pair = c.pairs[k];
                out << (k > 0 ? ", " : "") << pair.column_i + 1 << "&ndash;" << pair.column_j + 1 << " "
                    << (std::isnan(pair.distance) ? std::string("?") : fmt::format("{:.1f} &Aring;", pair.distance));
            }
            out << ".</p>\n";
        }

        std::string site_header;
        for (const SiteWeight& site : unit.top_sites) site_header += std::to_string(site.column + 1) + " ";
        const auto sequence_table = [&](const char* heading, const std::vector<Activation>& rows) {
            out << "<div><h3>" << heading << "</h3>\n<table>\n<tr><th class=\"l\">id</th><th>I</th><th>weight</th>"
                << "<th class=\"l\">residues at columns " << escape(site_header) << "</th>"
                << (labels != nullptr ? "<th class=\"l\">class</th>" : "") << "</tr>\n";
            for (const Activation& row : rows) {
                const auto s = static_cast<std::size_t>(row.sequence);
                out << "<tr><td class=\"l\">" << escape(s < data.ids.size() ? data.ids[s] : std::to_string(s + 1))
                    << "</td><td>" << number(row.input, 4) << "</td><td>" << number(data.weights(row.sequence), 3)
                    << "</td><td class=\"l seq\">" << escape(site_residues(data, row.sequence, unit)) << "</td>";
                if (labels != nullptr) {
                    const int c = labels->class_of[s];
                    out << "<td class=\"l\">" << (c >= 0 ? escape(labels->classes[static_cast<std::size_t>(c)]) : "") << "</td>";
                }
                out << "</tr>\n";
            }
            out << "</table></div>\n";
        };
        if (!unit.most_active.empty()) {
            out << "<div class=\"figs\">\n";
            sequence_table("Most activating data sequences", unit.most_active);
            sequence_table("Least activating data sequences", unit.least_active);
            out << "</div>\n";
        }
        if (labels != nullptr) {
            out << "<h3>Classes (&eta;&sup2; = " << number(unit.separation, 3) << ")</h3>\n<table>\n<tr><th class=\"l\">class"
                   "</th><th>weight</th><th>mean I</th><th>std</th></tr>\n";
            for (std::size_t c = 0; c < unit.classes.size(); ++c)
                out << "<tr><td class=\"l\">" << escape(labels->classes[c]) << "</td><td>" << number(unit.classes[c].weight, 4)
                    << "</td><td>" << number(unit.classes[c].inputs.mean, 4) << "</td><td>"
                    << number(unit.classes[c].inputs.std, 3) << "</td></tr>\n";
            out << "</table>\n";
        }
        out << "</section>\n";
    }
    out << "<p class=\"note\">Written by pottsrbm " << escape(context.version) << ". The same numbers are in units.tsv, "
           "logos.tsv and units.json beside this file.</p>\n</body>\n</html>\n";
}

void write_units_tsv(std::ostream& out, const std::vector<UnitSummary>& units, const std::vector<int>& order,
                     const ReportContext& context) {
    out << "# pottsrbm " << context.version << " motifs, seed " << context.sampling.seed << '\n';
    out << "# " << context.command_line << '\n';
    out << "# model " << context.model_path << ", data " << context.alignment_path << "; importance in nats per sequence\n";
    out << "rank\tunit\timportance\timportance_se\tdata_term\tmodel_term\tnorm\tparticipation_ratio\teffective_sites"
           "\tgamma\ttheta\tdelta\teta\tjump\tdead_zone\tdata_mean\tdata_std\tdata_bimodality\tmodel_mean\tmodel_std"
           "\tmodel_bimodality\ttop_columns";
    if (context.reference != nullptr) out << "\ttop_reference";
    if (context.labels != nullptr) out << "\tseparation";
    if (context.contacts != nullptr && context.contacts->distances != nullptr) out << "\ttop_pairs_known\ttop_pairs_within_8";
    out << '\n';
    const auto value = [](double v) { return std::isnan(v) ? std::string("nan") : fmt::format("{:.6g}", v); };
    for (std::size_t r = 0; r < order.size(); ++r) {
        const UnitSummary& unit = units[static_cast<std::size_t>(order[r])];
        const DreluShape shape = unit.shape.value_or(DreluShape{});
        const double na = std::numeric_limits<double>::quiet_NaN();
        std::string columns;
        std::string references;
        for (const SiteWeight& site : unit.top_sites) {
            if (!columns.empty()) columns += ',';
            columns += std::to_string(site.column + 1);
            if (context.reference != nullptr) {
                if (!references.empty()) references += ',';
                references += context.reference->label(site.site);
            }
        }
        out << fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}", r + 1, unit.unit + 1, value(unit.importance.delta_l),
                           value(unit.importance.std_error), value(unit.importance.data_term),
                           value(unit.importance.model_term), value(unit.norm), value(unit.participation_ratio),
                           value(unit.effective_sites));
        const bool drelu = unit.shape.has_value();
        for (const double v : {shape.gamma, shape.theta, shape.delta, shape.eta, shape.jump, shape.dead_zone})
            out << '\t' << value(drelu ? v : na);
        for (const double v : {unit.data_inputs.mean, unit.data_inputs.std, unit.data_inputs.bimodality,
                               unit.model_inputs.mean, unit.model_inputs.std, unit.model_inputs.bimodality})
            out << '\t' << value(v);
        out << '\t' << columns;
        if (context.reference != nullptr) out << '\t' << references;
        if (context.labels != nullptr) out << '\t' << value(unit.separation);
        if (context.contacts != nullptr && context.contacts->distances != nullptr) {
            const UnitSiteContacts c = unit_site_contacts(unit, *context.contacts->distances, context.contacts->unit_sites);
            out << '\t' << c.known << '\t' << c.within_8;
        }
        out << '\n';
    }
}

void write_logos_tsv(std::ostream& out, const std::vector<UnitSummary>& units, const std::vector<int>& order,
                     const ReportContext& context) {
    out << "# pottsrbm " << context.version << " motifs, seed " << context.sampling.seed << '\n';
    out << "# " << context.command_line << '\n';
    out << "# weights W_i(a) of the logo sites (site norm >= " << context.params.logo_threshold
        << " x the largest) of each shown unit\n";
    out << "unit\tcolumn\treference\tresidue\tweight\tsite_norm\n";
    for (const int k : order) {
        const UnitSummary& unit = units[static_cast<std::size_t>(k)];
        for (const LogoColumn& column : unit.logo) {
            const std::string reference = context.reference != nullptr ? context.reference->label(column.site) : "";
            for (std::size_t a = 0; a < column.weights.size(); ++a)
                out << fmt::format("{}\t{}\t{}\t{}\t{:.9g}\t{:.6g}\n", unit.unit + 1, column.column + 1, reference,
                                   letter_of(static_cast<int>(a)), column.weights[a], column.norm);
        }
    }
}

void write_motifs_json(std::ostream& out, const std::vector<UnitSummary>& units, const std::vector<int>& order,
                       const WeightedSequences& data, const ReportContext& context) {
    const model::Rbm& rbm = *context.rbm;
    const auto array = [](const std::vector<double>& values) {
        std::string text = "[";
        for (std::size_t k = 0; k < values.size(); ++k) {
            if (k > 0) text += ',';
            text += json_number(values[k]);
        }
        return text + "]";
    };
    const auto summary = [](const InputSummary& s) {
        return fmt::format("{{\"mean\":{},\"std\":{},\"bimodality\":{}}}", json_number(s.mean), json_number(s.std),
                           json_number(s.bimodality));
    };
    out << "{\n\"pottsrbm\":" << json::quote(context.version) << ",\n\"command\":" << json::quote(context.command_line)
        << ",\n\"model\":" << json::quote(context.model_path) << ",\n\"alignment\":" << json::quote(context.alignment_path)
        << ",\n\"sites\":" << rbm.sites << ",\n\"hidden_units\":" << rbm.units() << ",\n\"hidden_type\":"
        << json::quote(model::to_string(rbm.hidden.type)) << ",\n\"sequences\":" << context.sequences
        << ",\n\"effective_sequences\":" << json_number(context.effective_sequences) << ",\n\"sampling\":{\"chains\":"
        << context.sampling.chains << ",\"burn_in\":" << context.sampling.burn_in << ",\"snapshots\":"
        << context.sampling.snapshots << ",\"snapshot_every\":" << context.sampling.snapshot_every << ",\"seed\":"
        << context.sampling.seed << "},\n\"order\":" << json::quote(context.order);
    if (context.reference != nullptr) out << ",\n\"reference\":" << json::quote(context.reference->name);
    if (context.labels != nullptr) {
        out << ",\n\"classes\":[";
        for (std::size_t c = 0; c < context.labels->classes.size(); ++c)
            out << (c > 0 ? "," : "") << json::quote(context.labels->classes[c]);
        out << "]";
    }
    if (context.contacts != nullptr) {
        out << ",\n\"contacts\":{\"approximation\":" << json::quote(to_string(context.contacts->approximation))
            << ",\"structure\":" << json::quote(context.contacts->structure_path) << ",\"ppv\":[";
        for (std::size_t k = 0; k < context.contacts->ppv.size(); ++k) {
            const Ppv& p = context.contacts->ppv[k];
            out << (k > 0 ? "," : "") << "{\"top\":" << json::quote(p.label) << ",\"pairs\":" << p.requested
                << ",\"cutoff\":" << json_number(p.cutoff) << ",\"evaluated\":" << p.evaluated
                << ",\"true_positives\":" << p.true_positives << ",\"ppv\":" << json_number(p.ppv) << "}";
        }
        out << "]}";
    }
    out << ",\n\"units\":[\n";
    for (std::size_t r = 0; r < order.size(); ++r) {
        const UnitSummary& unit = units[static_cast<std::size_t>(order[r])];
        out << (r > 0 ? ",\n" : "") << "{\"rank\":" << r + 1 << ",\"unit\":" << unit.unit + 1
            << ",\"importance\":{\"delta_l\":" << json_number(unit.importance.delta_l)
            << ",\"std_error\":" << json_number(unit.importance.std_error)
            << ",\"data_term\":" << json_number(unit.importance.data_term)
            << ",\"model_term\":" << json_number(unit.importance.model_term) << "},\"norm\":" << json_number(unit.norm)
            << ",\"participation_ratio\":" << json_number(unit.participation_ratio)
            << ",\"effective_sites\":" << json_number(unit.effective_sites);
        if (unit.shape) {
            const DreluShape& s = *unit.shape;
            out << ",\"drelu\":{\"gamma\":" << json_number(s.gamma) << ",\"theta\":" << json_number(s.theta)
                << ",\"delta\":" << json_number(s.delta) << ",\"eta\":" << json_number(s.eta)
                << ",\"kink\":" << json_number(s.kink) << ",\"jump\":" << json_number(s.jump)
                << ",\"dead_zone\":" << json_number(s.dead_zone) << ",\"switch_input\":" << json_number(s.switch_input)
                << ",\"shape\":" << json::quote(shape_text(unit)) << "}";
        }
        out << ",\"data_inputs\":" << summary(unit.data_inputs) << ",\"model_inputs\":" << summary(unit.model_inputs)
            << ",\"histogram\":{\"min\":" << json_number(unit.data_histogram.min)
            << ",\"max\":" << json_number(unit.data_histogram.max) << ",\"data\":" << array(unit.data_histogram.density)
            << ",\"model\":" << array(unit.model_histogram.density) << "}";
        out << ",\"top_sites\":[";
        for (std::size_t k = 0; k < unit.top_sites.size(); ++k) {
            const SiteWeight& site = unit.top_sites[k];
            out << (k > 0 ? "," : "") << "{\"column\":" << site.column + 1;
            if (context.reference != nullptr) out << ",\"reference\":" << json::quote(context.reference->label(site.site));
            out << ",\"norm\":" << json_number(site.norm) << ",\"fraction\":" << json_number(site.fraction)
                << ",\"weights\":{";
            for (int a = 0; a < rbm.states; ++a)
                out << (a > 0 ? "," : "") << json::quote(std::string(1, letter_of(a))) << ":"
                    << json_number(rbm.weights(static_cast<Eigen::Index>(site.site) * rbm.states + a, unit.unit));
            out << "}}";
        }
        out << "]";
        const auto activations = [&](const char* name, const std::vector<Activation>& rows) {
            out << ",\"" << name << "\":[";
            for (std::size_t k = 0; k < rows.size(); ++k) {
                const auto s = static_cast<std::size_t>(rows[k].sequence);
                out << (k > 0 ? "," : "") << "{\"id\":" << json::quote(s < data.ids.size() ? data.ids[s] : std::to_string(s + 1))
                    << ",\"input\":" << json_number(rows[k].input) << "}";
            }
            out << "]";
        };
        activations("most_active", unit.most_active);
        activations("least_active", unit.least_active);
        if (context.labels != nullptr) {
            out << ",\"separation\":" << json_number(unit.separation) << ",\"class_inputs\":[";
            for (std::size_t c = 0; c < unit.classes.size(); ++c)
                out << (c > 0 ? "," : "") << "{\"class\":" << json::quote(context.labels->classes[c])
                    << ",\"weight\":" << json_number(unit.classes[c].weight) << ",\"mean\":"
                    << json_number(unit.classes[c].inputs.mean) << ",\"std\":" << json_number(unit.classes[c].inputs.std)
                    << "}";
            out << "]";
        }
        if (context.contacts != nullptr && context.contacts->distances != nullptr) {
            const UnitSiteContacts c = unit_site_contacts(unit, *context.contacts->distances, context.contacts->unit_sites);
            out << ",\"top_site_pairs\":[";
            for (std::size_t k = 0; k < c.pairs.size(); ++k)
                out << (k > 0 ? "," : "") << "{\"i\":" << c.pairs[k].column_i + 1 << ",\"j\":" << c.pairs[k].column_j + 1
                    << ",\"distance\":" << json_number(c.pairs[k].distance) << "}";
            out << "]";
        }
        out << "}";
    }
    out << "\n]\n}\n";
}

}  // namespace pottsrbm::analysis
