#include "fm/io/interrupt.h"

#include <atomic>
#include <csignal>

namespace fm {
namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_sigint(int) {
  g_interrupted.store(true);
  // Restore the default action: a second Ctrl-C ends the process at once.
  std::signal(SIGINT, SIG_DFL);
}

}  // namespace

void install_interrupt_handler() { std::signal(SIGINT, on_sigint); }
bool interrupt_requested() { return g_interrupted.load(); }
void request_interrupt() { g_interrupted.store(true); }

}  // namespace fm
