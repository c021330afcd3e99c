// Training checkpoints: one .npz holding the model arrays (as in a model file, so a checkpoint
// can also be used as a model), the optimizer moments, the persistent chains with their RNG
// states, the position in the schedule, and fingerprints of the training data and of the
// hyperparameters that must not change on --resume. Written atomically.
#pragma once

#include "pottsrbm/train/trainer.hpp"

#include <string>

namespace pottsrbm::train {

inline constexpr int checkpoint_format_version = 1;

/// Writes `state` to `path` atomically (temporary file + rename); overwrites an older checkpoint.
void save_checkpoint(const std::string& path, const TrainingState& state, const Trainer& trainer);

/// Reads a checkpoint for `trainer`. InputError naming the file and the field when it is
/// malformed; UsageError when it was written for other data or other hyperparameters (names them).
[[nodiscard]] TrainingState load_checkpoint(const std::string& path, const Trainer& trainer);

/// A stable 64-bit fingerprint (FNV-1a) of the training and validation sets.
[[nodiscard]] std::uint64_t data_fingerprint(const Trainer& trainer);
/// The hyperparameters that define the run, as "name=value" lines (stored and compared on resume).
[[nodiscard]] std::string run_signature(const TrainParams& params, long long epochs);

}  // namespace pottsrbm::train
