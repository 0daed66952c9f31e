#pragma once
/// \file
/// Cooperative SIGINT handling: the first Ctrl-C sets a flag that long loops poll, so they can save
/// a checkpoint and stop cleanly (exit 130); a second Ctrl-C kills the process as usual.

namespace fm {

/// Installs the SIGINT handler (idempotent).
void install_interrupt_handler();
/// True once SIGINT was received.
bool interrupt_requested();
/// Sets the flag as if SIGINT had arrived (tests, embedding applications).
void request_interrupt();

}  // namespace fm
