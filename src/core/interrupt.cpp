// SIGINT/SIGTERM handling (see interrupt.hpp).
#include "pottsrbm/core/interrupt.hpp"

#include <csignal>
#include <cstdlib>
#include <unistd.h>

namespace pottsrbm {
namespace {
std::atomic<bool> g_requested{false};
std::atomic<int> g_signal{0};

extern "C" void handle_signal(int signal_number) {
    if (g_requested.exchange(true)) {
        // Second signal: the user insists.
        ::_exit(128 + signal_number);
    }
    g_signal.store(signal_number);
    static const char message[] = "\ninterrupt received: finishing the current step and saving a checkpoint "
                                  "(press Ctrl-C again to abort at once)\n";
    [[maybe_unused]] auto written = ::write(STDERR_FILENO, message, sizeof message - 1);
}
}  // namespace

void install_interrupt_handlers() {
    g_requested.store(false);
    g_signal.store(0);
    struct sigaction action {};
    action.sa_handler = handle_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

const std::atomic<bool>& interrupt_requested() { return g_requested; }

int interrupt_signal() { return g_signal.load(); }

}  // namespace pottsrbm
