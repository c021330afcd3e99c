// Thread-count control (see threads.hpp).
#include "pottsrbm/core/threads.hpp"

#include <omp.h>

#include <thread>

namespace pottsrbm {
namespace {
int g_threads = 0;
}

void set_threads(int count) {
    g_threads = count > 0 ? count : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    omp_set_num_threads(g_threads);
}

int threads() {
    if (g_threads == 0) set_threads(0);
    return g_threads;
}

}  // namespace pottsrbm
