// Distance files, pair ranking, PPV and the contact-map SVG (see contacts.hpp).
#include "pottsrbm/analysis/contacts.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/svg.hpp"
#include "pottsrbm/io/text_lines.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <unordered_set>

namespace pottsrbm::analysis {

namespace {

std::uint64_t pair_key(int a, int b) {
    if (a > b) std::swap(a, b);
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)) << 32) | static_cast<std::uint32_t>(b);
}

// Splits a line on spaces and tabs.
std::vector<std::string_view> fields_of(std::string_view line) {
    std::vector<std::string_view> fields;
    std::size_t position = 0;
    while (position < line.size()) {
        const std::size_t start = line.find_first_not_of(" \t\r", position);
        if (start == std::string_view::npos) break;
        std::size_t end = line.find_first_of(" \t\r", start);
        if (end == std::string_view::npos) end = line.size();
        fields.push_back(line.substr(start, end - start));
        position = end;
    }
    return fields;
}

std::optional<double> parse_number(std::string_view text) {
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

// Linear blend of two hex colours "#rrggbb" at t in [0, 1].
std::string blend(unsigned from, unsigned to, double t) {
    t = std::clamp(t, 0.0, 1.0);
    const auto channel = [&](int shift) {
        const double a = (from >> shift) & 0xff;
        const double b = (to >> shift) & 0xff;
        return static_cast<unsigned>(std::lround(a + (b - a) * t));
    };
    return fmt::format("#{:02x}{:02x}{:02x}", channel(16), channel(8), channel(0));
}

std::string distance_text(double distance) {
    return std::isnan(distance) ? std::string("no distance") : fmt::format("{:.2f} A", distance);
}

}  // namespace

bool DistanceMap::add(int column_i, int column_j, double distance) {
    return distances_.emplace(pair_key(column_i, column_j), distance).second;
}

std::optional<double> DistanceMap::distance(int column_i, int column_j) const {
    const auto found = distances_.find(pair_key(column_i, column_j));
    if (found == distances_.end()) return std::nullopt;
    return found->second;
}

DistanceMap read_distances(const std::string& path) {
    DistanceMap map;
    std::unordered_set<std::uint64_t> missing;  // pairs marked missing (distance <= 0), to catch repeats
    for (const io::TextLine& entry : io::read_content_lines(path)) {
        const long line_number = entry.number;
        const auto fields = fields_of(entry.text);
        const auto fail = [&](const std::string& what) {
            return InputError(fmt::format("{}: line {}: {}", path, line_number, what));
        };
        if (fields.size() != 4)
            throw fail(fmt::format("expected 4 numbers 'i j score dist', got {} field(s)", fields.size()));
        std::optional<double> values[4];
        for (int k = 0; k < 4; ++k) {
            values[k] = parse_number(fields[static_cast<std::size_t>(k)]);
            if (!values[k]) throw fail(fmt::format("field {} is not a number: '{}'", k + 1, fields[static_cast<std::size_t>(k)]));
        }
        int columns[2];
        for (int k = 0; k < 2; ++k) {
            const double v = *values[k];
            if (!(v >= 1 && v <= 1e7 && v == std::floor(v)))
                throw fail(fmt::format("column {} must be a positive integer, got {}", k == 0 ? "i" : "j",
                                       fields[static_cast<std::size_t>(k)]));
            columns[k] = static_cast<int>(v) - 1;
        }
        if (columns[0] == columns[1]) throw fail(fmt::format("i and j are the same column ({})", columns[0] + 1));
        const double distance = *values[3];
        if (!std::isfinite(distance) || distance < 0)
            throw fail(fmt::format("distance must be finite and >= 0, got {}", fields[3]));
        const std::uint64_t key = pair_key(columns[0], columns[1]);
        const bool repeated = map.distance(columns[0], columns[1]).has_value() || missing.count(key) != 0U;
        if (repeated)
            throw fail(fmt::format("pair ({}, {}) appears twice", std::min(columns[0], columns[1]) + 1,
                                   std::max(columns[0], columns[1]) + 1));
        if (distance > 0)
            map.add(columns[0], columns[1], distance);
        else
            missing.insert(key);
    }
    if (map.pairs() == 0) throw InputError(fmt::format("{}: no pair with a distance", path));
    return map;
}

std::vector<PairScore> rank_pairs(const Eigen::Ref<const Eigen::MatrixXd>& scores,
                                  const Eigen::Ref<const Eigen::MatrixXd>& frobenius, const std::vector<int>& columns,
                                  const DistanceMap* distances) {
    const auto sites = static_cast<int>(columns.size());
    if (scores.rows() != sites || scores.cols() != sites || frobenius.rows() != sites || frobenius.cols() != sites)
        throw UsageError(fmt::format("rank_pairs: score matrices must be {0} x {0}", sites));
    std::vector<PairScore> pairs;
    pairs.reserve(static_cast<std::size_t>(sites) * static_cast<std::size_t>(std::max(sites - 1, 0)) / 2);
    for (int i = 0; i < sites; ++i) {
        for (int j = i + 1; j < sites; ++j) {
            PairScore pair;
            pair.site_i = i;
            pair.site_j = j;
            pair.column_i = columns[static_cast<std::size_t>(i)];
            pair.column_j = columns[static_cast<std::size_t>(j)];
            pair.score = scores(i, j);
            pair.frobenius = frobenius(i, j);
            if (distances != nullptr) {
                if (const auto d = distances->distance(pair.column_i, pair.column_j)) pair.distance = *d;
            }
            pairs.push_back(pair);
        }
    }
    std::stable_sort(pairs.begin(), pairs.end(), [](const PairScore& a, const PairScore& b) { return a.score > b.score; });
    return pairs;
}

Ppv positive_predictive_value(const std::vector<PairScore>& ranked, int top, double cutoff, int min_separation) {
    Ppv result;
    result.label = std::to_string(top);
    result.requested = top;
    result.cutoff = cutoff;
    for (const PairScore& pair : ranked) {
        if (result.evaluated >= top) break;
        if (std::abs(pair.column_j - pair.column_i) < min_separation || std::isnan(pair.distance)) continue;
        ++result.evaluated;
        if (pair.distance < cutoff) ++result.true_positives;
    }
    if (result.evaluated > 0) result.ppv = static_cast<double>(result.true_positives) / result.evaluated;
    return result;
}

std::vector<Ppv> ppv_table(const std::vector<PairScore>& ranked, int length, const std::vector<double>& cutoffs,
                           int min_separation) {
    std::vector<Ppv> table;
    for (const double cutoff : cutoffs) {
        const std::pair<const char*, int> tops[] = {{"L/2", std::max(1, length / 2)}, {"L", length}, {"2L", 2 * length}};
        for (const auto& [label, top] : tops) {
            Ppv ppv = positive_predictive_value(ranked, top, cutoff, min_separation);
            ppv.label = label;
            table.push_back(ppv);
        }
    }
    return table;
}

std::string contact_map_svg(const std::vector<PairScore>& ranked, const std::vector<int>& columns,
                            const DistanceMap* distances, int shown, const std::string& title, int min_separation,
                            const std::string& provenance) {
    const auto sites = static_cast<int>(columns.size());
    const double cell = std::clamp(560.0 / std::max(sites, 1), 2.0, 14.0);
    const double left = 56;
    const double top = 40;
    const double size = cell * sites;
    svg::Document document(left + size + 180, top + size + (provenance.empty() ? 56 : 72));
    if (!provenance.empty()) {
        document.raw(fmt::format("<!-- {} -->\n", svg::escape(provenance)));
        document.text(left, top + size + 66, provenance, 10, "start", "#777");
    }
    document.text(left + size / 2, 22, title, 13, "middle", "#000", 0, true);
    document.rect(left, top, size, size, "#ffffff", "#333");

    double largest = 0;
    for (const PairScore& pair : ranked) largest = std::max(largest, pair.score);
    // Lower triangle: score heat map (row = larger site).
    for (const PairScore& pair : ranked) {
        if (!(pair.score > 0) || !(largest > 0)) continue;
        const double t = std::sqrt(pair.score / largest);
        if (t < 0.08) continue;
        document.rect(left + pair.site_i * cell, top + pair.site_j * cell, cell, cell, blend(0xffffff, 0x08306b, t),
                      "none", 1,
                      fmt::format("columns {} and {}: score {:.4g}, {}", pair.column_i + 1, pair.column_j + 1, pair.score,
                                  distance_text(pair.distance)));
    }
    // Upper triangle: known contacts, then the top predictions.
    if (distances != nullptr) {
        for (int i = 0; i < sites; ++i) {
            for (int j = i + 1; j < sites; ++j) {
                const auto d = distances->distance(columns[static_cast<std::size_t>(i)], columns[static_cast<std::size_t>(j)]);
                if (!d || *d >= 8.0) continue;
                document.rect(left + j * cell, top + i * cell, cell, cell, *d < 5.0 ? "#9e9e9e" : "#d9d9d9");
            }
        }
    }
    int drawn = 0;
    for (const PairScore& pair : ranked) {
        if (drawn >= shown) break;
        if (std::abs(pair.column_j - pair.column_i) < min_separation) continue;
        ++drawn;
        const char* colour = std::isnan(pair.distance) ? "#2166ac" : pair.distance < 8.0 ? "#1a9850" : "#d73027";
        document.circle(left + (pair.site_j + 0.5) * cell, top + (pair.site_i + 0.5) * cell, std::max(1.2, cell * 0.42),
                        colour, 0.9,
                        fmt::format("rank {}: columns {} and {}, score {:.4g}, {}", drawn, pair.column_i + 1,
                                    pair.column_j + 1, pair.score, distance_text(pair.distance)));
    }
    document.line(left, top, left + size, top + size, "#333", 0.5);

    // Ticks: original 1-based columns at about 10 positions.
    const int every = std::max(1, sites / 10);
    for (int i = 0; i < sites; i += every) {
        const std::string label = std::to_string(columns[static_cast<std::size_t>(i)] + 1);
        const double centre = (i + 0.5) * cell;
        document.text(left + centre, top + size + 14, label, 10, "middle", "#333");
        document.text(left - 6, top + centre + 3.5, label, 10, "end", "#333");
    }
    document.text(left + size / 2, top + size + 32, "alignment column", 12, "middle");
    document.text(left - 40, top + size / 2, "alignment column", 12, "middle", "#000", -90);

    // Legend.
    const double lx = left + size + 16;
    double ly = top + 10;
    const auto legend_circle = [&](const char* colour, const char* text) {
        document.circle(lx + 5, ly, 5, colour);
        document.text(lx + 16, ly + 4, text, 11);
        ly += 18;
    };
    const auto legend_square = [&](const char* colour, const char* text) {
        document.rect(lx, ly - 5, 10, 10, colour, "#999", 0.5);
        document.text(lx + 16, ly + 4, text, 11);
        ly += 18;
    };
    document.text(lx, ly - 2, fmt::format("upper: top {} (|i-j|>{})", shown, min_separation - 1), 11, "start", "#000",
                  0, true);
    ly += 16;
    if (distances != nullptr) {
        legend_circle("#1a9850", "contact (< 8 A)");
        legend_circle("#d73027", "not in contact");
        legend_circle("#2166ac", "no distance");
        legend_square("#9e9e9e", "true contact < 5 A");
        legend_square("#d9d9d9", "true contact < 8 A");
    } else {
        legend_circle("#2166ac", "predicted pair");
    }
    ly += 8;
    document.text(lx, ly, "lower: APC score", 11, "start", "#000", 0, true);
    ly += 10;
    for (int k = 0; k <= 4; ++k) {
        document.rect(lx + k * 24, ly, 24, 10, blend(0xffffff, 0x08306b, std::max(0.08, k / 4.0)), "#999", 0.5);
    }
    document.text(lx, ly + 24, "0", 10, "start", "#333");
    document.text(lx + 120, ly + 24, svg::tick_label(largest), 10, "end", "#333");
    return document.str();
}

void write_pairs_tsv(std::ostream& out, const std::vector<PairScore>& ranked, bool with_distances,
                     const std::vector<std::string>& comments) {
    for (const std::string& line : comments) out << "# " << line << '\n';
    out << "i\tj\tscore\tfrobenius\tseparation" << (with_distances ? "\tdistance" : "") << '\n';
    for (const PairScore& pair : ranked) {
        const int i = std::min(pair.column_i, pair.column_j) + 1;
        const int j = std::max(pair.column_i, pair.column_j) + 1;
        out << fmt::format("{}\t{}\t{:.6g}\t{:.6g}\t{}", i, j, pair.score, pair.frobenius, j - i);
        if (with_distances) out << '\t' << (std::isnan(pair.distance) ? std::string() : fmt::format("{:.3f}", pair.distance));
        out << '\n';
    }
}

void write_ppv_text(std::ostream& out, const std::vector<Ppv>& table) {
    for (const Ppv& ppv : table) {
        out << fmt::format("PPV top {:<3} ({:>4} pairs) at {:g} A: {}  ({} of {} evaluated pairs)\n", ppv.label,
                           ppv.requested, ppv.cutoff, std::isnan(ppv.ppv) ? std::string("n/a") : fmt::format("{:.3f}", ppv.ppv),
                           ppv.true_positives, ppv.evaluated);
    }
}

}  // namespace pottsrbm::analysis
