// Model files: one NumPy .npz archive per model (see docs/model-format.md), readable with numpy
// alone. Writes are atomic; loading validates format version, every array's dtype and shape,
// and finiteness, and names the file and the field in every error.
#pragma once

#include "pottsrbm/model/rbm.hpp"

#include <string>

namespace pottsrbm::model {

inline constexpr int model_format_version = 1;

/// Writes `rbm` to `path` atomically (temporary file + rename). Refuses to overwrite an existing
/// file unless `force` (UsageError).
void save_model(const Rbm& rbm, const std::string& path, bool force);

/// Loads and validates a model file (InputError naming the file and field on any problem).
[[nodiscard]] Rbm load_model(const std::string& path);

}  // namespace pottsrbm::model
