// Outputs of `pottsrbm motifs`: a self-contained HTML report (inline SVG and CSS, no script, no
// network resource; every id, label and name HTML-escaped), and the same numbers as TSV and JSON.
// Logos (weights per site and residue), input histograms and the contact map are drawn with
// core/svg.hpp.
#pragma once

#include "pottsrbm/analysis/contacts.hpp"
#include "pottsrbm/analysis/units.hpp"

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace pottsrbm::analysis {

/// Contact predictions shown in the report (when a structure is given).
struct ContactSummary {
    CouplingApproximation approximation = CouplingApproximation::pgm;
    std::string structure_path;
    const DistanceMap* distances = nullptr;
    std::vector<PairScore> ranked;
    std::vector<Ppv> ppv;
    std::string map_svg;
    int unit_sites = 4;  ///< pairs among each unit's top this-many sites are checked
};

/// Everything the report states about where its numbers came from.
struct ReportContext {
    std::string version;        ///< pottsrbm version and revision
    std::string command_line;
    std::string model_path;
    const model::Rbm* rbm = nullptr;
    std::string alignment_path;
    double effective_sequences = 0;
    std::int64_t sequences = 0;
    SamplingParams sampling;
    std::int64_t samples = 0;
    MotifParams params;
    std::string order;          ///< ranking criterion name
    UnitFilter filter;
    const ReferenceNumbering* reference = nullptr;
    const Labels* labels = nullptr;
    std::string labels_path;
    const ContactSummary* contacts = nullptr;
};

/// Pairs among a unit's top `sites` sites and how many are in contact.
struct UnitSiteContacts {
    struct Pair {
        int column_i = 0;  ///< original 0-based
        int column_j = 0;
        double distance = 0;  ///< NaN when unknown
    };
    std::vector<Pair> pairs;
    int known = 0;       ///< pairs with a distance
    int within_8 = 0;    ///< distance < 8 A
    int within_5 = 0;    ///< distance < 5 A
};
[[nodiscard]] UnitSiteContacts unit_site_contacts(const UnitSummary& unit, const DistanceMap& distances, int sites);

/// Column label of model site `site`: its original 1-based column, and with a reference
/// "12 (K15)" or "12 (-)".
[[nodiscard]] std::string position_label(const model::Rbm& rbm, const ReferenceNumbering* reference, int site);

/// Fill colour of a residue letter by chemistry (WebLogo's scheme; grey for the gap).
[[nodiscard]] std::string residue_colour(char letter);

/// The weight logo of one unit: positive weights stacked above the axis, negative below, letter
/// heights proportional to |W_{i mu}(a)| (letters under half a pixel are not drawn), the gap as a
/// grey box; tooltips give the exact weight. Non-adjacent sites are separated by a dashed line.
[[nodiscard]] std::string logo_svg(const std::vector<LogoColumn>& logo, const ReferenceNumbering* reference,
                                   const std::string& title);

/// Overlaid input histograms: data (filled) and model samples (line), and per-class lines.
[[nodiscard]] std::string histogram_svg(const UnitSummary& unit, const Labels* labels, const std::string& title);

/// The HTML report; `order` lists the indices into `units` to show, in rank order.
void write_motifs_html(std::ostream& out, const std::vector<UnitSummary>& units, const std::vector<int>& order,
                       const WeightedSequences& data, const ReportContext& context);
/// units.tsv: one line per shown unit, in rank order, after "# " provenance lines.
void write_units_tsv(std::ostream& out, const std::vector<UnitSummary>& units, const std::vector<int>& order,
                     const ReportContext& context);
/// logos.tsv: unit, column, reference residue, state letter, weight (float, 9 significant digits:
/// reads back to the model's value exactly), site norm; for every logo site of the shown units.
void write_logos_tsv(std::ostream& out, const std::vector<UnitSummary>& units, const std::vector<int>& order,
                     const ReportContext& context);
/// units.json: provenance, the contacts summary and every number of every shown unit.
void write_motifs_json(std::ostream& out, const std::vector<UnitSummary>& units, const std::vector<int>& order,
                       const WeightedSequences& data, const ReportContext& context);

}  // namespace pottsrbm::analysis
