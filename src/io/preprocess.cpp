// The read -> filter -> weight pipeline (see preprocess.hpp).
#include "pottsrbm/io/preprocess.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/log.hpp"
#include "pottsrbm/msa/weights.hpp"

#include <fmt/format.h>

#include <cmath>
#include <fstream>

namespace pottsrbm::io {

void PreprocessParams::validate() const {
    filters.validate();
    if (!(identity >= 0.0 && identity <= 1.0))
        throw UsageError(fmt::format("--identity: expected a value in [0, 1], got {}", identity));
    if (no_weights && !weights_file.empty()) throw UsageError("--no-weights and --weights cannot be used together");
}

PreparedAlignment prepare_alignment(const std::string& path, const PreprocessParams& params) {
    PreparedAlignment prepared;
    prepared.alignment = read_alignment(path, params.read);
    const auto& nonstandard = prepared.alignment.nonstandard;
    log::info("read {}: {} sequences x {} columns ({})", path, prepared.alignment.sequences(),
              prepared.alignment.original_length, to_string(prepared.alignment.format));
    if (nonstandard.total() > 0) {
        log::info("{} non-standard symbols (B Z J X U O *) in {} sequences {}", nonstandard.total(),
                  nonstandard.sequences,
                  params.read.nonstandard == NonstandardPolicy::map_to_gap ? "mapped to the gap" : "dropped");
    }
    prepared.filters = msa::apply_filters(prepared.alignment, params.filters);
    const auto& report = prepared.filters;
    if (report.removed_by_focus + report.removed_gappy_columns + report.removed_gappy_sequences +
            report.removed_duplicates > 0) {
        log::info("filters: {} columns outside the focus sequence, {} gappy sequences, {} gappy columns, "
                  "{} duplicates removed; {} x {} left",
                  report.removed_by_focus, report.removed_gappy_sequences, report.removed_gappy_columns,
                  report.removed_duplicates, prepared.alignment.sequences(), prepared.alignment.length());
    }
    const auto m = prepared.alignment.sequences();
    if (params.no_weights) {
        prepared.weights = Eigen::VectorXd::Ones(m);
    } else if (!params.weights_file.empty()) {
        std::ifstream in(params.weights_file);
        if (!in) throw InputError(fmt::format("{}: cannot open weights file", params.weights_file));
        prepared.weights = msa::read_weights(in, params.weights_file, m);
    } else {
        prepared.weights = msa::compute_weights(prepared.alignment, params.identity);
    }
    log::info("M = {}, N = {}, M_eff = {:.2f}", m, prepared.alignment.length(), prepared.effective_sequences());
    return prepared;
}

}  // namespace pottsrbm::io
