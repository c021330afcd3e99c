// The data pipeline shared by every verb that reads training data: read an alignment, apply the
// filters, compute (or read) the sequence weights. `pottsrbm stats --write-filtered` shows
// exactly what `pottsrbm train` will see.
#pragma once

#include "pottsrbm/io/alignment_reader.hpp"
#include "pottsrbm/msa/alignment.hpp"
#include "pottsrbm/msa/filter.hpp"

#include <Eigen/Core>

#include <string>

namespace pottsrbm::io {

struct PreprocessParams {
    ReadOptions read;
    msa::FilterParams filters;
    double identity = 0.8;       ///< --identity: theta of the sequence weights
    bool no_weights = false;     ///< --no-weights: every weight is 1
    std::string weights_file;    ///< --weights FILE: read weights (one per filtered sequence)
    /// UsageError naming the option and the value.
    void validate() const;
};

struct PreparedAlignment {
    msa::Alignment alignment;
    msa::FilterReport filters;
    Eigen::VectorXd weights;  ///< M
    [[nodiscard]] double effective_sequences() const { return weights.sum(); }
};

/// Reads `path`, filters it and weights it, logging what was removed and M_eff.
[[nodiscard]] PreparedAlignment prepare_alignment(const std::string& path, const PreprocessParams& params);

}  // namespace pottsrbm::io
