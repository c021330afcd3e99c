// Mutant parsing, position maps, Delta F scoring and rank correlations (see mutations.hpp).
#include "pottsrbm/design/mutations.hpp"

#include "pottsrbm/core/alphabet.hpp"
#include "pottsrbm/core/error.hpp"
#include "pottsrbm/io/alignment_reader.hpp"
#include "pottsrbm/io/text_lines.hpp"
#include "pottsrbm/model/moments.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <numeric>

namespace pottsrbm::design {
namespace {

bool is_amino_acid(char c) { return classify_symbol(static_cast<char>(std::toupper(static_cast<unsigned char>(c)))) == SymbolClass::residue; }

std::string_view trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) text.remove_suffix(1);
    return text;
}

bool parse_int(std::string_view text, long long& value) {
    text = trim(text);
    if (text.empty()) return false;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    return error == std::errc() && end == text.data() + text.size();
}

// Splits one CSV/TSV line; fields may be double-quoted ("" is a quote inside quotes). InputError
// prefixed with `context` for a quote left open at the end of the line.
std::vector<std::string> split_fields(std::string_view line, char delimiter, std::string_view context) {
    std::vector<std::string> fields(1);
    bool quoted = false;
    for (std::size_t k = 0; k < line.size(); ++k) {
        const char c = line[k];
        if (quoted) {
            if (c == '"' && k + 1 < line.size() && line[k + 1] == '"') {
                fields.back() += '"';
                ++k;
            } else if (c == '"') {
                quoted = false;
            } else {
                fields.back() += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == delimiter) {
            fields.emplace_back();
        } else {
            fields.back() += c;
        }
    }
    if (quoted) throw InputError(fmt::format("{}: a double quote is not closed on this line", context));
    for (auto& field : fields) field = std::string(trim(field));
    return fields;
}

char delimiter_of(std::string_view header) { return header.find('\t') != std::string_view::npos ? '\t' : ','; }

int field_index(const std::vector<std::string>& header, std::string_view name) {
    const auto found = std::find(header.begin(), header.end(), name);
    return found == header.end() ? -1 : static_cast<int>(found - header.begin());
}

std::string join_fields(const std::vector<std::string>& fields) {
    std::string out;
    for (std::size_t k = 0; k < fields.size() && k < 12; ++k) out += (k == 0 ? "" : ", ") + fields[k];
    if (fields.size() > 12) out += ", ...";
    return out;
}

}  // namespace

bool Mutant::synonymous() const {
    return std::all_of(substitutions.begin(), substitutions.end(),
                       [](const Substitution& s) { return s.wild_type == s.mutant; });
}

Mutant parse_mutant(std::string_view text, std::string_view context) {
    Mutant mutant;
    mutant.name = std::string(trim(text));
    if (mutant.name.empty()) throw InputError(fmt::format("{}: empty mutant", context));
    std::string_view rest = mutant.name;
    while (true) {
        const std::size_t colon = rest.find(':');
        const std::string_view part = trim(rest.substr(0, colon));
        long long position = 0;
        if (part.size() < 3 || !std::isalpha(static_cast<unsigned char>(part.front())) ||
            !std::isalpha(static_cast<unsigned char>(part.back())) || !parse_int(part.substr(1, part.size() - 2), position))
            throw InputError(fmt::format("{}: mutant '{}': '{}' is not a substitution like H24A (wild-type letter, "
                                         "position, mutant letter; multiple mutants joined by ':')",
                                         context, mutant.name, part));
        for (const char letter : {part.front(), part.back()})
            if (!is_amino_acid(letter))
                throw InputError(fmt::format("{}: mutant '{}': '{}' is not one of the 20 amino acids {}", context,
                                             mutant.name, letter, potts_alphabet.substr(1)));
        if (position < 1 || position > 1'000'000'000LL)
            throw InputError(fmt::format("{}: mutant '{}': position {} is out of range (positions start at 1)", context,
                                         mutant.name, position));
        const Substitution substitution{static_cast<char>(std::toupper(static_cast<unsigned char>(part.front()))),
                                        static_cast<int>(position),
                                        static_cast<char>(std::toupper(static_cast<unsigned char>(part.back())))};
        for (const auto& previous : mutant.substitutions)
            if (previous.position == substitution.position)
                throw InputError(fmt::format("{}: mutant '{}': position {} is mutated twice", context, mutant.name,
                                             position));
        mutant.substitutions.push_back(substitution);
        if (colon == std::string_view::npos) break;
        rest = rest.substr(colon + 1);
    }
    return mutant;
}

PositionMap PositionMap::from_offset(long long offset, int last_column) {
    PositionMap map;
    map.offset_ = offset;
    map.last_column_ = last_column;
    map.source_ = fmt::format("offset {}", offset);
    return map;
}

PositionMap PositionMap::read(const std::string& path) {
    const auto lines = io::read_content_lines(path);
    if (lines.empty()) throw InputError(fmt::format("{}: empty column map", path));
    const char delimiter = delimiter_of(lines.front().text);
    const auto header = split_fields(lines.front().text, delimiter, fmt::format("{}: line {}", path, lines.front().number));
    const int column_field = field_index(header, "msa_col");
    const int position_field = field_index(header, "dms_pos");
    const int wild_type_field = field_index(header, "wt_aa");
    if (column_field < 0 || position_field < 0)
        throw InputError(fmt::format("{}: line {}: a column map needs a header with the fields msa_col (1-based "
                                     "alignment column) and dms_pos (residue position); found: {}",
                                     path, lines.front().number, join_fields(header)));
    PositionMap map;
    map.table_ = true;
    map.source_ = path;
    for (std::size_t k = 1; k < lines.size(); ++k) {
        const auto context = fmt::format("{}: line {}", path, lines[k].number);
        const auto fields = split_fields(lines[k].text, delimiter, context);
        const int needed = std::max({column_field, position_field, wild_type_field}) + 1;
        if (static_cast<int>(fields.size()) < needed)
            throw InputError(fmt::format("{}: {} fields, the header has {}", context, fields.size(), header.size()));
        long long column = 0, position = 0;
        if (!parse_int(fields[static_cast<std::size_t>(column_field)], column) || column < 1 || column > 10'000'000)
            throw InputError(fmt::format("{}: msa_col '{}' is not a 1-based column number", context,
                                         fields[static_cast<std::size_t>(column_field)]));
        if (!parse_int(fields[static_cast<std::size_t>(position_field)], position) || position < 1 || position > 1'000'000'000LL)
            throw InputError(fmt::format("{}: dms_pos '{}' is not a positive residue number", context,
                                         fields[static_cast<std::size_t>(position_field)]));
        if (!map.column_of_position_.emplace(static_cast<int>(position), static_cast<int>(column - 1)).second)
            throw InputError(fmt::format("{}: position {} is mapped twice", context, position));
        if (!map.position_of_column_.emplace(static_cast<int>(column - 1), static_cast<int>(position)).second)
            throw InputError(fmt::format("{}: column {} is mapped twice", context, column));
        if (wild_type_field >= 0) {
            const std::string& letter = fields[static_cast<std::size_t>(wild_type_field)];
            if (letter.size() != 1 || !is_amino_acid(letter[0]))
                throw InputError(fmt::format("{}: wt_aa '{}' is not one of the 20 amino acids", context, letter));
            map.wild_type_.emplace(static_cast<int>(position), static_cast<char>(std::toupper(static_cast<unsigned char>(letter[0]))));
        }
    }
    if (map.column_of_position_.empty()) throw InputError(fmt::format("{}: the column map has no rows", path));
    return map;
}

std::optional<int> PositionMap::column(int position, std::string_view context) const {
    if (table_) {
        const auto found = column_of_position_.find(position);
        if (found == column_of_position_.end()) return std::nullopt;
        return found->second;
    }
    const long long column = position - offset_;
    if (column < 1 || column > last_column_)
        throw InputError(fmt::format("{}: position {} is out of range: with offset {} it is alignment column {}, "
                                     "outside 1..{}",
                                     context, position, offset_, column, last_column_));
    return static_cast<int>(column - 1);
}

std::optional<int> PositionMap::position(int column) const {
    if (table_) {
        const auto found = position_of_column_.find(column);
        if (found == position_of_column_.end()) return std::nullopt;
        return found->second;
    }
    const long long position = column + 1 + offset_;
    if (position < 1 || position > std::numeric_limits<int>::max()) return std::nullopt;
    return static_cast<int>(position);
}

char PositionMap::wild_type(int position) const {
    const auto found = wild_type_.find(position);
    return found == wild_type_.end() ? '\0' : found->second;
}

std::vector<std::uint8_t> wild_type_from_map(const PositionMap& map, const std::vector<int>& model_columns, int* residues) {
    if (!map.has_wild_type())
        throw InputError(fmt::format("{}: the column map has no wt_aa field; give the wild type with --wt", map.source()));
    std::vector<std::uint8_t> states(model_columns.size(), gap_state);
    int count = 0;
    for (std::size_t i = 0; i < model_columns.size(); ++i) {
        const auto position = map.position(model_columns[i]);
        if (!position) continue;
        const char letter = map.wild_type(*position);
        if (letter == '\0') continue;
        states[i] = state_of(letter);
        ++count;
    }
    if (residues != nullptr) *residues = count;
    return states;
}

void check_wild_type_against_map(const std::vector<std::uint8_t>& wild_type, const PositionMap& map,
                                 const std::vector<int>& model_columns, std::string_view wild_type_name) {
    if (!map.has_wild_type()) return;
    for (std::size_t i = 0; i < model_columns.size(); ++i) {
        const auto position = map.position(model_columns[i]);
        if (!position) continue;
        const char expected = map.wild_type(*position);
        if (expected == '\0') continue;
        const char actual = letter_of(wild_type[i]);
        if (actual != expected)
            throw InputError(fmt::format("{}: wt_aa of position {} (column {}) is {}, but the wild type {} has {} there",
                                         map.source(), *position, model_columns[i] + 1, expected, wild_type_name, actual));
    }
}

std::string_view to_string(MutantStatus status) {
    switch (status) {
        case MutantStatus::scored: return "scored";
        case MutantStatus::outside_model: return "outside_model";
        case MutantStatus::unaligned: return "unaligned";
    }
    return "?";
}

std::vector<MutantScore> score_mutants(const model::Rbm& rbm, const std::vector<std::uint8_t>& wild_type,
                                       const PositionMap& map, const std::vector<Mutant>& mutants,
                                       const std::vector<std::string>& contexts) {
    if (static_cast<int>(wild_type.size()) != rbm.sites)
        throw UsageError(fmt::format("score_mutants: the wild type has {} sites, the model N = {}", wild_type.size(), rbm.sites));
    if (contexts.size() != mutants.size())
        throw UsageError("score_mutants: one context per mutant is needed");
    std::vector<int> site_of_column;
    for (std::size_t i = 0; i < rbm.columns.size(); ++i) {
        const int column = rbm.columns[i];
        if (column >= static_cast<int>(site_of_column.size())) site_of_column.resize(static_cast<std::size_t>(column) + 1, -1);
        site_of_column[static_cast<std::size_t>(column)] = static_cast<int>(i);
    }
    const auto site_of = [&](int column) {
        return column >= 0 && column < static_cast<int>(site_of_column.size()) ? site_of_column[static_cast<std::size_t>(column)] : -1;
    };

    std::vector<MutantScore> scores(mutants.size());
    std::vector<std::size_t> scored;
    for (std::size_t m = 0; m < mutants.size(); ++m) {
        MutantScore& score = scores[m];
        score.mutant = mutants[m];
        for (const auto& s : mutants[m].substitutions) {
            const auto column = map.column(s.position, contexts[m]);
            const char map_letter = map.wild_type(s.position);
            if (map_letter != '\0' && map_letter != s.wild_type)
                throw InputError(fmt::format("{}: mutant '{}': the wild type has {} at position {} (column map {}), not {}",
                                             contexts[m], mutants[m].name, map_letter, s.position, map.source(),
                                             s.wild_type));
            score.columns.push_back(column ? *column : -1);
            if (!column) {
                score.status = MutantStatus::unaligned;
                continue;
            }
            const int site = site_of(*column);
            if (site < 0) {
                if (score.status == MutantStatus::scored) score.status = MutantStatus::outside_model;
                continue;
            }
            const char actual = letter_of(wild_type[static_cast<std::size_t>(site)]);
            if (actual != s.wild_type)
                throw InputError(fmt::format("{}: mutant '{}': the wild type has {} at position {} (alignment column "
                                             "{}), not {}",
                                             contexts[m], mutants[m].name, actual == '-' ? std::string("a gap")
                                                                                         : std::string(1, actual),
                                             s.position, *column + 1, s.wild_type));
        }
        if (score.status == MutantStatus::scored) scored.push_back(m);
    }

    model::StateMatrix sequences(static_cast<Eigen::Index>(scored.size()) + 1, rbm.sites);
    for (int i = 0; i < rbm.sites; ++i) sequences.col(i).setConstant(wild_type[static_cast<std::size_t>(i)]);
    for (std::size_t r = 0; r < scored.size(); ++r) {
        const MutantScore& score = scores[scored[r]];
        for (std::size_t k = 0; k < score.mutant.substitutions.size(); ++k)
            sequences(static_cast<Eigen::Index>(r) + 1, site_of(score.columns[k])) =
                state_of(score.mutant.substitutions[k].mutant);
    }
    Eigen::VectorXd energies(sequences.rows());
    model::free_energy(rbm, sequences, energies);
    for (std::size_t r = 0; r < scored.size(); ++r)
        scores[scored[r]].delta_f = energies[static_cast<Eigen::Index>(r) + 1] - energies[0];
    return scores;
}

std::vector<MutantScore> score_all_single_mutants(const model::Rbm& rbm, const std::vector<std::uint8_t>& wild_type,
                                                  const PositionMap& map, int* skipped) {
    std::vector<Mutant> mutants;
    std::vector<std::string> contexts;
    int without_position = 0;
    for (int i = 0; i < rbm.sites; ++i) {
        const std::uint8_t wt = wild_type[static_cast<std::size_t>(i)];
        if (wt == gap_state) continue;
        const auto position = map.position(rbm.columns[static_cast<std::size_t>(i)]);
        if (!position) {
            ++without_position;
            continue;
        }
        for (int a = 1; a < std::min(rbm.states, q_states); ++a) {
            if (a == wt) continue;
            Mutant mutant;
            mutant.substitutions.push_back({letter_of(wt), *position, letter_of(a)});
            mutant.name = fmt::format("{}{}{}", letter_of(wt), *position, letter_of(a));
            contexts.push_back(fmt::format("single mutant {}", mutant.name));
            mutants.push_back(std::move(mutant));
        }
    }
    if (skipped != nullptr) *skipped = without_position;
    return score_mutants(rbm, wild_type, map, mutants, contexts);
}

MutantTable read_mutant_table(const std::string& path, const std::string& mutant_column, const std::string& score_column) {
    const auto lines = io::read_content_lines(path);
    if (lines.empty()) throw InputError(fmt::format("{}: no mutants", path));
    const char delimiter = delimiter_of(lines.front().text);
    const auto header = split_fields(lines.front().text, delimiter, fmt::format("{}: line {}", path, lines.front().number));
    const int mutant_field = field_index(header, mutant_column);
    MutantTable table;
    if (mutant_field < 0) {
        // A plain list: one mutant per line, no header.
        const bool single_field = std::all_of(lines.begin(), lines.end(), [](const io::TextLine& line) {
            return line.text.find('\t') == std::string_view::npos && line.text.find(',') == std::string_view::npos;
        });
        if (!single_field || !score_column.empty())
            throw InputError(fmt::format("{}: line {}: no column named '{}' in the header (fields: {})", path,
                                         lines.front().number, mutant_column, join_fields(header)));
        for (const auto& line : lines) {
            table.mutants.emplace_back(trim(line.text));
            table.contexts.push_back(fmt::format("{}: line {}", path, line.number));
        }
        return table;
    }
    int score_field = -1;
    if (!score_column.empty()) {
        score_field = field_index(header, score_column);
        if (score_field < 0)
            throw InputError(fmt::format("{}: line {}: no column named '{}' in the header (fields: {})", path,
                                         lines.front().number, score_column, join_fields(header)));
    }
    for (std::size_t k = 1; k < lines.size(); ++k) {
        const auto context = fmt::format("{}: line {}", path, lines[k].number);
        const auto fields = split_fields(lines[k].text, delimiter, context);
        if (static_cast<int>(fields.size()) <= std::max(mutant_field, score_field))
            throw InputError(fmt::format("{}: {} fields, the header has {}", context, fields.size(), header.size()));
        table.mutants.push_back(fields[static_cast<std::size_t>(mutant_field)]);
        table.contexts.push_back(context);
        if (score_field >= 0) {
            const std::string& cell = fields[static_cast<std::size_t>(score_field)];
            double value = std::numeric_limits<double>::quiet_NaN();
            if (!cell.empty() && cell != "NA" && cell != "nan" && cell != "NaN") {
                const auto [end, error] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
                if (error != std::errc() || end != cell.data() + cell.size() || !std::isfinite(value))
                    throw InputError(fmt::format("{}: {} '{}' is not a number", context, score_column, cell));
            }
            table.scores.push_back(value);
        }
    }
    if (table.mutants.empty()) throw InputError(fmt::format("{}: no mutants after the header", path));
    return table;
}

namespace {

std::vector<double> average_ranks(const std::vector<double>& values) {
    std::vector<std::size_t> order(values.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
    std::vector<double> ranks(values.size());
    for (std::size_t start = 0; start < order.size();) {
        std::size_t end = start + 1;
        while (end < order.size() && values[order[end]] == values[order[start]]) ++end;
        const double rank = 0.5 * static_cast<double>(start + end - 1) + 1.0;
        for (std::size_t k = start; k < end; ++k) ranks[order[k]] = rank;
        start = end;
    }
    return ranks;
}

}  // namespace

double spearman(const std::vector<double>& x, const std::vector<double>& y) {
    if (x.size() != y.size())
        throw UsageError(fmt::format("spearman: {} values against {}", x.size(), y.size()));
    if (x.size() < 3) return std::numeric_limits<double>::quiet_NaN();
    return model::correlate(average_ranks(x), average_ranks(y)).pearson;
}

}  // namespace pottsrbm::design
