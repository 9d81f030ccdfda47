#pragma once
// The launcher: a small process that forks the intermediate of every build, so that the
// caller never forks while it builds. Internal to sandbox/.
//
// Why: fork() write-protects all of the forking process's private memory, so each page it
// writes afterwards takes a copy-on-write fault. purist is large (SQLite's cache, the
// build graph, several threads) and keeps writing while the build runs; one fork per
// build cost it about 60 such faults per build, a third of all the page faults of a
// trivial build, and on a virtual machine a fault costs over 10 µs. The launcher is
// started once, does nothing but wait for requests, and so barely pays the fault tax.
//
// The launcher is purist-sandbox, started once by the caller with posix_spawn (which
// copies none of the caller's memory; launcher.cc says why); it is
// single-threaded and forks the intermediates (the rule: fork, then unshare in the child;
// never clone or vfork from a process that may have threads). It ends when the caller
// closes its end of the socket, which the kernel does when the caller dies, however it
// dies. Each build ends the same way through its own control socket, whose other end only
// the caller holds; a launcher that dies on its own leaves running builds alone.

#include "sandbox/child_process.h"
#include "sandbox/sandbox.h"

namespace purist::sandbox {

/// Starts runIntermediate for `config` in a new process forked by the launcher, which gets
/// copies of `pipes` (the caller keeps and closes its own). Returns once the request is
/// sent: the caller learns how the start went from the pipes, as from any set-up step (a
/// launcher that cannot fork writes why to `pipes.error`). The intermediate is the
/// launcher's child, not the caller's, and the launcher reaps it. Starts the launcher on
/// first use, and again in a forked child of the caller or after the launcher died.
/// Thread-safe. Throws SandboxError if the launcher cannot be started or reached.
void launchIntermediate(const SandboxConfig& config, const ChildPipes& pipes);

/// Starts the launcher, if this process has none, and has it probe whether namespaces can
/// be created; returns once the launcher is exec'd, without waiting for the probe.
/// Thread-safe. Throws SandboxError if the launcher cannot be started.
void startLauncherEarly();

/// Whether the launcher could create the namespaces of a strict build, and if not why (it
/// tries in a child of its own, and this waits for the answer: the probe
/// startLauncherEarly asked for, or one asked now). Thread-safe. Throws SandboxError if
/// the launcher cannot be started or reached.
bool probeIsolation(std::string* why);

} // namespace purist::sandbox
