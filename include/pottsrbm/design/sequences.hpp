// Sequence sets over a model's sites: projection of alignments read from files onto the model's
// columns, and exact nearest-neighbour search by Hamming distance (novelty of designed sequences).
//
// Shapes: StateMatrix = M x N uint8 Potts states (row-major), N = number of model sites.
#pragma once

#include "pottsrbm/model/rbm.hpp"
#include "pottsrbm/msa/alignment.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace pottsrbm::design {

/// The rows of `alignment` over the model's columns (original 0-based columns): projected through
/// alignment.columns when it holds every model column (full or filtered alignment rows), otherwise
/// taken as they are when the alignment has exactly N columns (one per model site, e.g. samples
/// written by `pottsrbm sample`). InputError naming the file and the first missing column otherwise.
[[nodiscard]] model::StateMatrix project_onto_model(const msa::Alignment& alignment,
                                                    const std::vector<int>& model_columns);

/// Exact nearest neighbours in Hamming distance among the rows of a reference set. Rows are stored
/// padded to 32 bytes and compared 32 sites at a time (AVX2 when available), with an early exit
/// once a row cannot beat the best distance found so far.
class NearestNeighbours {
public:
    explicit NearestNeighbours(const model::StateMatrix& reference);

    struct Hit {
        int distance = 0;     ///< number of differing sites
        std::int64_t index = -1;  ///< row of the reference (the first one at that distance)
    };
    /// Nearest reference row to `query` (N states), skipping reference row `exclude` (-1: none).
    [[nodiscard]] Hit nearest(const std::uint8_t* query, std::int64_t exclude = -1) const;
    /// Distances of every row of `queries` (parallel over rows; the result does not depend on the
    /// thread count). `exclude_same_index`: query row m skips reference row m (leave-one-out
    /// distances of a set to itself).
    [[nodiscard]] std::vector<int> distances(const model::StateMatrix& queries, bool exclude_same_index = false) const;

    [[nodiscard]] std::int64_t size() const { return rows_; }
    [[nodiscard]] int sites() const { return sites_; }

private:
    std::int64_t rows_ = 0;
    int sites_ = 0;
    int stride_ = 0;  ///< padded row length (multiple of 32)
    std::vector<std::uint8_t> data_;
};

}  // namespace pottsrbm::design
