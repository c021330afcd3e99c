// SIGINT/SIGTERM handling for long computations: the first signal sets a flag that the work
// checks at safe points (e.g. after a training update) to save its state and stop; a second
// signal terminates at once.
#pragma once

#include <atomic>

namespace pottsrbm {

/// Installs the handlers (idempotent) and clears the flag.
void install_interrupt_handlers();
/// Set once SIGINT or SIGTERM has been received.
[[nodiscard]] const std::atomic<bool>& interrupt_requested();
/// The signal number received (0 if none).
[[nodiscard]] int interrupt_signal();

}  // namespace pottsrbm
