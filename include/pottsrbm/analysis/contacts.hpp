// Contact predictions from coupling scores, checked against a structure: reading a distance file,
// ranking site pairs, positive predictive value (PPV) of the top predictions, and the contact-map
// SVG. Columns are original alignment columns: 0-based in memory, 1-based in every file.
#pragma once

#include "pottsrbm/analysis/couplings.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <unordered_map>
#include <vector>

namespace pottsrbm::analysis {

/// Inter-residue distances between alignment columns.
class DistanceMap {
public:
    /// Records the distance of columns (i, j) (0-based, either order). Returns false when the pair
    /// was already recorded.
    bool add(int column_i, int column_j, double distance);
    /// The distance, or nullopt when the pair is absent.
    [[nodiscard]] std::optional<double> distance(int column_i, int column_j) const;
    [[nodiscard]] std::size_t pairs() const { return distances_.size(); }

private:
    std::unordered_map<std::uint64_t, double> distances_;
};

/// Reads a distance file (gzip allowed) with lines "i j score dist" (i, j 1-based alignment
/// columns, integral, i != j; score ignored; dist in Angstrom), as in ArDCA's *_struct.dat.
/// Blank lines and '#' comments are skipped. A distance <= 0 marks a missing pair (it is not
/// stored). InputError "PATH: line K: ..." for a line without 4 numbers, a non-integral or
/// non-positive column, i == j, a non-finite or negative distance, or a pair given twice.
[[nodiscard]] DistanceMap read_distances(const std::string& path);

/// One site pair with its scores.
struct PairScore {
    int site_i = 0;    ///< model sites, site_i < site_j
    int site_j = 0;
    int column_i = 0;  ///< original 0-based columns
    int column_j = 0;
    double score = 0;      ///< APC-corrected Frobenius norm
    double frobenius = 0;  ///< raw Frobenius norm
    double distance = std::numeric_limits<double>::quiet_NaN();  ///< NaN when unknown
};

/// Every pair i < j, sorted by decreasing score (ties: increasing (site_i, site_j)).
/// `columns`: N original 0-based columns of the sites; `distances` may be null.
[[nodiscard]] std::vector<PairScore> rank_pairs(const Eigen::Ref<const Eigen::MatrixXd>& scores,
                                                const Eigen::Ref<const Eigen::MatrixXd>& frobenius,
                                                const std::vector<int>& columns, const DistanceMap* distances);

/// PPV of the `top` best pairs with |column_i - column_j| >= min_separation whose distance is
/// known (pairs without a distance are skipped, not counted as wrong): the fraction with
/// distance < cutoff.
struct Ppv {
    std::string label;  ///< "L/2", "L", "2L", or the number
    int requested = 0;
    int evaluated = 0;  ///< fewer than requested when not enough pairs have a distance
    int true_positives = 0;
    double cutoff = 0;
    double ppv = std::numeric_limits<double>::quiet_NaN();
};
[[nodiscard]] Ppv positive_predictive_value(const std::vector<PairScore>& ranked, int top, double cutoff,
                                            int min_separation = 5);

/// PPV of the top L/2, L and 2L pairs (L = number of sites) at each cutoff (8 and 5 Angstrom by
/// default), |i - j| > 4.
[[nodiscard]] std::vector<Ppv> ppv_table(const std::vector<PairScore>& ranked, int length,
                                         const std::vector<double>& cutoffs = {8.0, 5.0}, int min_separation = 5);

/// Contact map (SVG): lower triangle the APC score of every pair (white to blue); upper triangle
/// the known contacts (distance < 8 A light grey, < 5 A darker) and the top `shown` predictions
/// with |i - j| >= min_separation as circles (green: distance < 8 A, red: >= 8 A, blue: unknown).
/// Axes are original 1-based columns. Tooltips give the pair, score and distance. `provenance`
/// (version, seed) is written as a comment at the top and as a line at the bottom.
[[nodiscard]] std::string contact_map_svg(const std::vector<PairScore>& ranked, const std::vector<int>& columns,
                                          const DistanceMap* distances, int shown, const std::string& title,
                                          int min_separation = 5, const std::string& provenance = "");

/// Writes `ranked` as TSV after `comments` (each written as "# line"): columns i j score frobenius
/// separation, and distance (empty when unknown) when `with_distances`; i < j 1-based columns.
void write_pairs_tsv(std::ostream& out, const std::vector<PairScore>& ranked, bool with_distances,
                     const std::vector<std::string>& comments);

/// Writes the PPV table as aligned text: one line per (cutoff, top).
void write_ppv_text(std::ostream& out, const std::vector<Ppv>& table);

}  // namespace pottsrbm::analysis
