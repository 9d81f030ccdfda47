#pragma once
// Building the file system a strict build sees. Internal to sandbox/; runs in the builder
// process after it has entered its namespaces, never in the caller.

#include "sandbox/namespaces.h"
#include "sandbox/sandbox.h"

namespace purist::sandbox {

/// Mounts the sandbox's file system on `config.sandboxRoot`, in this mount namespace only
/// (store dir = `config.outputDir` holding only the configured mounts, /build, /dev, /proc,
/// /tmp, /etc, sandbox paths), makes it the root with pivot_root, detaches the host's root,
/// makes the root read-only except for the store dir, and changes into /build. Must run in
/// a fresh mount namespace, as PID 1 of the new PID namespace (for /proc). Throws SysError
/// naming the step and path that failed.
void enterSandboxRoot(const SandboxConfig& config, const SandboxIdentity& identity);

/// Whether `path` is absolute and free of empty, `.` and `..` components, so that joining
/// it to the sandbox root cannot leave the root.
bool isCleanAbsolutePath(const std::string& path);

} // namespace purist::sandbox
