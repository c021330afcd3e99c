// Thread-count control shared by all parallel kernels (OpenMP underneath).
#pragma once

namespace pottsrbm {

/// Sets the number of worker threads (0 = all hardware threads).
void set_threads(int threads);
/// The number of worker threads parallel kernels use.
[[nodiscard]] int threads();

}  // namespace pottsrbm
