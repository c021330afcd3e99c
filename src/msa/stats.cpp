// Alignment statistics and their text / JSON reports (see stats.hpp).
//
// Frequencies f_j(a) = sum_m w_m [s_mj = a] / sum_m w_m over the q = 21 states (gap included);
// column entropy S_j = -sum_a f_j(a) ln f_j(a) in nats (0 ln 0 = 0), at most ln 21 = 3.04.
// Gap fractions are unweighted. Undefined numbers (no weight at all, no column) are NaN in the
// statistics, "n/a" in the text report and null in JSON.
#include "pottsrbm/msa/stats.hpp"

#include "pottsrbm/core/alphabet.hpp"
#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/json.hpp"
#include "pottsrbm/version.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <string_view>

namespace pottsrbm::msa {
namespace {

constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

std::string_view format_name(Format format) {
    switch (format) {
        case Format::fasta: return "fasta";
        case Format::a2m: return "a2m";
        case Format::a3m: return "a3m";
        case Format::stockholm: return "stockholm";
    }
    return "unknown";
}

struct Summary {
    double mean = not_a_number;
    double min = not_a_number;
    double max = not_a_number;
};

Summary summarize(const Eigen::VectorXd& values) {
    if (values.size() == 0 || !values.allFinite()) return {};
    return {values.mean(), values.minCoeff(), values.maxCoeff()};
}

/// Most frequent state of column j (lowest state on ties), or -1 when the frequencies are undefined.
int most_frequent_state(const AlignmentStats& stats, Eigen::Index j) {
    int best = -1;
    for (int a = 0; a < stats.frequencies.cols(); ++a) {
        const double f = stats.frequencies(j, a);
        if (std::isnan(f)) continue;
        if (best < 0 || f > stats.frequencies(j, best)) best = a;
    }
    return best;
}

/// Text for a human: control characters replaced so that one value stays on one line.
std::string printable(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return out;
}

std::string fixed(double value, int digits) {
    return std::isfinite(value) ? fmt::format("{:.{}f}", value, digits) : std::string("n/a");
}

/// JSON writer over a memory buffer: strings escaped (invalid UTF-8 bytes become U+FFFD),
/// non-finite numbers written as null.
class Json {
public:
    void string(std::string_view text) { append(json::quote(text)); }
    void number(double value) { append(json::number(value)); }
    void integer(std::int64_t value) { fmt::format_to(std::back_inserter(buffer_), "{}", value); }
    void boolean(bool value) { append(value ? "true" : "false"); }
    void null() { append("null"); }
    void append(std::string_view text) { buffer_.append(text.data(), text.data() + text.size()); }

    /// `"name": ` preceded by a separator and the indentation of the current object.
    void key(std::string_view name, int indent) {
        separator(indent);
        string(name);
        append(": ");
    }
    void open(char bracket) {
        buffer_.push_back(bracket);
        first_ = true;
    }
    void close(char bracket, int indent) {
        newline(indent);
        buffer_.push_back(bracket);
        first_ = false;
    }
    void separator(int indent) {
        if (!first_) buffer_.push_back(',');
        first_ = false;
        newline(indent);
    }
    /// Elements of a one-line array.
    template <typename Write>
    void array(Eigen::Index size, Write write) {
        buffer_.push_back('[');
        for (Eigen::Index i = 0; i < size; ++i) {
            if (i > 0) append(", ");
            write(i);
        }
        buffer_.push_back(']');
        first_ = false;
    }
    void write_to(std::ostream& out) const { out.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size())); }

private:
    void newline(int indent) {
        buffer_.push_back('\n');
        for (int i = 0; i < indent; ++i) buffer_.push_back(' ');
    }
    fmt::memory_buffer buffer_;
    bool first_ = true;
};

}  // namespace

AlignmentStats compute_stats(const Alignment& alignment, const Eigen::VectorXd& weights, const FilterReport& filters,
                             double identity_threshold, bool weighted) {
    const std::int64_t m_total = alignment.sequences();
    const int n = alignment.length();
    if (weights.size() != m_total)
        throw RuntimeFailure(fmt::format("{}: {} weights for {} sequences", alignment.source, weights.size(), m_total));

    AlignmentStats stats;
    stats.sequences = m_total;
    stats.columns = n;
    stats.original_columns = alignment.original_length;
    stats.effective_sequences = weights.sum();
    stats.weighted = weighted;
    stats.identity_threshold = weighted ? identity_threshold : 0.0;
    stats.duplicates = count_duplicates(alignment);
    stats.nonstandard = alignment.nonstandard;
    stats.filters = filters;

    stats.sequence_gap_fraction.resize(m_total);
    Eigen::VectorXi column_gaps = Eigen::VectorXi::Zero(n);
    Eigen::MatrixXd weighted_counts = Eigen::MatrixXd::Zero(n, q_states);
    for (std::int64_t m = 0; m < m_total; ++m) {
        int gaps = 0;
        for (int j = 0; j < n; ++j) {
            const int a = alignment.states(m, j);
            if (a >= q_states)
                throw RuntimeFailure(
                    fmt::format("{}: state {} out of range in sequence {}", alignment.source, a, m + 1));
            weighted_counts(j, a) += weights(m);
            if (a == gap_state) {
                ++gaps;
                ++column_gaps(j);
            }
        }
        if (n > 0) {
            stats.sequence_gap_fraction(m) = static_cast<double>(gaps) / n;
            ++stats.sequence_gap_histogram[static_cast<std::size_t>(std::min(9, gaps * 10 / n))];
        } else {
            stats.sequence_gap_fraction(m) = not_a_number;
        }
    }
    stats.column_gap_fraction = m_total > 0 ? Eigen::VectorXd(column_gaps.cast<double>() / static_cast<double>(m_total))
                                            : Eigen::VectorXd::Constant(n, not_a_number);

    const double total_weight = weights.sum();
    stats.frequencies = total_weight > 0 ? Eigen::MatrixXd(weighted_counts / total_weight)
                                         : Eigen::MatrixXd::Constant(n, q_states, not_a_number);
    stats.column_entropy.resize(n);
    for (int j = 0; j < n; ++j) {
        double entropy = 0;
        for (int a = 0; a < q_states; ++a) {
            const double f = stats.frequencies(j, a);
            if (f > 0) entropy -= f * std::log(f);
            if (std::isnan(f)) entropy = not_a_number;
        }
        stats.column_entropy(j) = entropy;
    }
    return stats;
}

void write_stats_text(std::ostream& out, const Alignment& alignment, const AlignmentStats& stats) {
    fmt::memory_buffer text;
    auto line = [&text](fmt::format_string<std::string> format, std::string value) {
        fmt::format_to(std::back_inserter(text), format, std::move(value));
        text.push_back('\n');
    };
    auto put = [&text](std::string_view value) {
        text.append(value.data(), value.data() + value.size());
        text.push_back('\n');
    };
    put(fmt::format("# pottsrbm {} ({})", version_string, git_revision));
    line("source: {}", printable(alignment.source));
    line("format: {}", std::string(format_name(alignment.format)));
    put(fmt::format("sequences (M): {}", stats.sequences));
    put(fmt::format("columns (N): {} kept of {}", stats.columns, stats.original_columns));
    put(fmt::format("effective sequences (M_eff): {} ({})", fixed(stats.effective_sequences, 2),
                    stats.weighted ? fmt::format("weights 1/#neighbours at identity >= {}", stats.identity_threshold)
                                   : std::string("uniform weights")));
    put(fmt::format("duplicates: {} sequences equal to an earlier one", stats.duplicates));

    const auto& nonstandard = stats.nonstandard;
    std::string kinds;
    for (std::size_t k = 0; k < nonstandard.counts.size(); ++k)
        kinds += fmt::format("{}{} {}", k > 0 ? ", " : "", nonstandard_residues[k], nonstandard.counts[k]);
    put(fmt::format("non-standard symbols (B Z J X U O *): {} in {} sequences ({})", nonstandard.total(),
                    nonstandard.sequences, kinds));

    const auto& f = stats.filters;
    put(
        fmt::format("filters: input {} sequences x {} columns; removed {} columns outside the focus sequence, "
                    "{} gappy sequences, {} gappy columns, {} duplicates",
                    f.input_sequences, f.input_columns, f.removed_by_focus, f.removed_gappy_sequences,
                    f.removed_gappy_columns, f.removed_duplicates));

    const Summary sequence_gaps = summarize(stats.sequence_gap_fraction);
    const Summary column_gaps = summarize(stats.column_gap_fraction);
    put(fmt::format("gap fraction per sequence: mean {} min {} max {}", fixed(sequence_gaps.mean, 4),
                    fixed(sequence_gaps.min, 4), fixed(sequence_gaps.max, 4)));
    put(fmt::format("gap fraction per column: mean {} min {} max {}", fixed(column_gaps.mean, 4),
                    fixed(column_gaps.min, 4), fixed(column_gaps.max, 4)));
    put("histogram of the gap fraction per sequence:");
    std::int64_t largest_bin = 1;
    for (auto count : stats.sequence_gap_histogram) largest_bin = std::max(largest_bin, count);
    for (std::size_t b = 0; b < stats.sequence_gap_histogram.size(); ++b) {
        const auto count = stats.sequence_gap_histogram[b];
        const auto bar =
            static_cast<std::size_t>(std::ceil(40.0 * static_cast<double>(count) / static_cast<double>(largest_bin)));
        put(fmt::format("  [{:.1f}, {:.1f}{} {:>10}{}{}", 0.1 * static_cast<double>(b), 0.1 * static_cast<double>(b + 1),
                        b + 1 == stats.sequence_gap_histogram.size() ? "]" : ")", count, bar > 0 ? " " : "",
                        std::string(bar, '#')));
    }

    put("per column (original 1-based column; entropy in nats over the 21 states, weighted; gap fraction unweighted):");
    put(fmt::format("{:>8} {:>12} {:>10} {:>5} {:>10}", "column", "gap_fraction", "entropy", "top", "frequency"));
    for (int j = 0; j < stats.columns; ++j) {
        const int top = most_frequent_state(stats, j);
        const std::size_t column = j < static_cast<int>(alignment.columns.size())
                                       ? static_cast<std::size_t>(alignment.columns[static_cast<std::size_t>(j)]) + 1
                                       : static_cast<std::size_t>(j) + 1;
        put(fmt::format("{:>8} {:>12} {:>10} {:>5} {:>10}", column, fixed(stats.column_gap_fraction(j), 4),
                        fixed(stats.column_entropy(j), 4), top >= 0 ? std::string(1, letter_of(top)) : "n/a",
                        top >= 0 ? fixed(stats.frequencies(j, top), 4) : "n/a"));
    }
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

void write_stats_json(std::ostream& out, const Alignment& alignment, const AlignmentStats& stats) {
    Json json;
    json.open('{');
    json.key("version", 2);
    json.string(version_string);
    json.key("git_revision", 2);
    json.string(git_revision);
    json.key("source", 2);
    json.string(alignment.source);
    json.key("format", 2);
    json.string(format_name(alignment.format));
    json.key("sequences", 2);
    json.integer(stats.sequences);
    json.key("columns", 2);
    json.integer(stats.columns);
    json.key("original_columns", 2);
    json.integer(stats.original_columns);
    json.key("effective_sequences", 2);
    json.number(stats.effective_sequences);
    json.key("weighted", 2);
    json.boolean(stats.weighted);
    json.key("identity_threshold", 2);
    json.number(stats.identity_threshold);
    json.key("duplicates", 2);
    json.integer(stats.duplicates);

    json.key("nonstandard", 2);
    json.open('{');
    json.key("total", 4);
    json.integer(stats.nonstandard.total());
    json.key("sequences", 4);
    json.integer(stats.nonstandard.sequences);
    for (std::size_t k = 0; k < stats.nonstandard.counts.size(); ++k) {
        json.key(nonstandard_residues.substr(k, 1), 4);
        json.integer(stats.nonstandard.counts[k]);
    }
    json.close('}', 2);

    const auto& f = stats.filters;
    json.key("filters", 2);
    json.open('{');
    json.key("input_sequences", 4);
    json.integer(f.input_sequences);
    json.key("input_columns", 4);
    json.integer(f.input_columns);
    json.key("removed_by_focus", 4);
    json.integer(f.removed_by_focus);
    json.key("removed_gappy_sequences", 4);
    json.integer(f.removed_gappy_sequences);
    json.key("removed_gappy_columns", 4);
    json.integer(f.removed_gappy_columns);
    json.key("removed_duplicates", 4);
    json.integer(f.removed_duplicates);
    json.close('}', 2);

    const auto summary = [&json](std::string_view name, const Eigen::VectorXd& values) {
        const Summary s = summarize(values);
        json.key(name, 2);
        json.open('{');
        json.key("mean", 4);
        json.number(s.mean);
        json.key("min", 4);
        json.number(s.min);
        json.key("max", 4);
        json.number(s.max);
        json.close('}', 2);
    };
    summary("sequence_gap_fraction_summary", stats.sequence_gap_fraction);
    summary("column_gap_fraction_summary", stats.column_gap_fraction);
    json.key("sequence_gap_histogram", 2);
    json.open('{');
    json.key("bin_edges", 4);
    json.array(11, [&](Eigen::Index b) { json.number(0.1 * static_cast<double>(b)); });
    json.key("counts", 4);
    json.array(10, [&](Eigen::Index b) { json.integer(stats.sequence_gap_histogram[static_cast<std::size_t>(b)]); });
    json.close('}', 2);

    json.key("alphabet", 2);
    json.string(potts_alphabet);
    json.key("per_column", 2);
    json.open('{');
    json.key("column", 4);
    json.array(stats.columns, [&](Eigen::Index j) {
        json.integer(j < static_cast<Eigen::Index>(alignment.columns.size())
                         ? alignment.columns[static_cast<std::size_t>(j)] + 1
                         : j + 1);
    });
    json.key("gap_fraction", 4);
    json.array(stats.columns, [&](Eigen::Index j) { json.number(stats.column_gap_fraction(j)); });
    json.key("entropy", 4);
    json.array(stats.columns, [&](Eigen::Index j) { json.number(stats.column_entropy(j)); });
    json.key("most_frequent_state", 4);
    json.array(stats.columns, [&](Eigen::Index j) {
        const int top = most_frequent_state(stats, j);
        if (top >= 0) {
            json.string(std::string(1, letter_of(top)));
        } else {
            json.null();
        }
    });
    json.key("most_frequent_frequency", 4);
    json.array(stats.columns, [&](Eigen::Index j) {
        const int top = most_frequent_state(stats, j);
        json.number(top >= 0 ? stats.frequencies(j, top) : not_a_number);
    });
    json.key("frequencies", 4);
    json.array(stats.columns, [&](Eigen::Index j) {
        json.array(q_states, [&](Eigen::Index a) { json.number(stats.frequencies(j, a)); });
    });
    json.close('}', 2);

    json.key("per_sequence", 2);
    json.open('{');
    json.key("id", 4);
    json.array(stats.sequences, [&](Eigen::Index m) {
        json.string(m < static_cast<Eigen::Index>(alignment.ids.size())
                        ? std::string_view(alignment.ids[static_cast<std::size_t>(m)])
                        : std::string_view());
    });
    json.key("gap_fraction", 4);
    json.array(stats.sequences, [&](Eigen::Index m) { json.number(stats.sequence_gap_fraction(m)); });
    json.close('}', 2);
    json.close('}', 0);
    json.append("\n");
    json.write_to(out);
}

}  // namespace pottsrbm::msa
