#include "fm/io/interrupt.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <utility>

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

void test_kill_point(int64_t epoch, int64_t step) {
  static const auto target = []() -> std::pair<long long, long long> {
    long long e = -1, s = -1;
    const char* spec = std::getenv("FMKIT_TEST_KILL_AT");
    if (spec == nullptr || std::sscanf(spec, "%lld:%lld", &e, &s) != 2) return {-1, -1};
    return {e, s};
  }();
  if (target.first == epoch && target.second == step) std::raise(SIGKILL);
}

}  // namespace fm
