#pragma once
/// \file
/// Cooperative SIGINT handling: the first Ctrl-C sets a flag that long loops poll, so they can save
/// a checkpoint and stop cleanly (exit 130); a second Ctrl-C kills the process as usual.

#include <cstdint>

namespace fm {

/// Installs the SIGINT handler (idempotent).
void install_interrupt_handler();
/// True once SIGINT was received.
bool interrupt_requested();
/// Sets the flag as if SIGINT had arrived (tests, embedding applications).
void request_interrupt();

/// Crash-safety tests only: when the environment variable FMKIT_TEST_KILL_AT is "EPOCH:STEP" and
/// (`epoch`, `step`) equals it, the process kills itself with SIGKILL here — a deterministic
/// crash point, unlike a timer. Does nothing when the variable is unset (read once).
void test_kill_point(int64_t epoch, int64_t step);

}  // namespace fm
