// Model files: one NumPy .npz archive per model (see docs/model-format.md), readable with numpy
// alone. Writes are atomic; loading validates format version, every array's dtype and shape,
// and finiteness, and names the file and the field in every error.
#pragma once

#include "pottsrbm/core/npz.hpp"
#include "pottsrbm/model/rbm.hpp"

#include <string>
#include <string_view>

namespace pottsrbm::model {

inline constexpr int model_format_version = 1;
/// Value of the text array `format` in every model file.
inline constexpr std::string_view model_format_name = "pottsrbm-rbm";

/// The `alphabet` text written for q states: "-ACDEFGHIKLMNPQRSTVWY" for q = 21, otherwise the
/// first q symbols of 0-9, A-Z, a-z followed by U+0100, U+0101, ... (UsageError unless 2 <= q <= 256).
[[nodiscard]] std::string model_alphabet(int states);

/// Writes `rbm` to `path` atomically (temporary file + rename; nothing is left behind on failure).
/// Refuses to overwrite an existing file unless `force`, or to write into a missing directory
/// (UsageError); RuntimeFailure for an invalid model (Rbm::validate) or an I/O error.
void save_model(const Rbm& rbm, const std::string& path, bool force);

/// Loads and validates a model file (InputError naming the file and field on any problem).
[[nodiscard]] Rbm load_model(const std::string& path);

/// The arrays of a model file, for containers that embed a model (training checkpoints add
/// their own arrays beside these). save_model writes exactly this archive. RuntimeFailure for an
/// invalid model.
[[nodiscard]] npz::Archive model_to_archive(const Rbm& rbm);
/// Validates and decodes the model arrays of an archive read from `path` (ignores other arrays).
/// load_model is read + this.
[[nodiscard]] Rbm model_from_archive(const npz::Archive& archive, const std::string& path);

}  // namespace pottsrbm::model
