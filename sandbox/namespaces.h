#pragma once
// Entering the namespaces of a strict build. Internal to sandbox/; runs in the forked
// intermediate process, never in the caller.

#include "base/file_descriptor.h"

#include <string>
#include <sys/types.h>

namespace purist::sandbox {

/// The identity the builder has inside its namespaces.
struct SandboxIdentity {
    uid_t uid;
    gid_t gid;
    /// true when a user namespace maps the caller to uid/gid (the caller is not root).
    bool userNamespace;
};

/// Moves the calling process into fresh user (if `identity.userNamespace`), mount, PID,
/// IPC, UTS, cgroup (when the kernel has it, and `cgroupNamespace`: not when the builder
/// makes its own once it has joined its build's cgroup) and, unless `hostNetwork`, network
/// namespaces; maps the caller to the identity's uid/gid, names the host `localhost` and
/// brings up `lo`. The new PID namespace applies to children forked afterwards, not to the
/// caller. Throws SysError (with errno) naming the step that failed, which the set-up
/// writes to its error pipe and runInSandbox turns into a SandboxError.
void enterNamespaces(const SandboxIdentity& identity, bool hostNetwork, bool cgroupNamespace);

/// A probe under way: a throw-away child that tries enterNamespaces for this process.
struct NamespaceProbe {
    pid_t pid = -1;
    /// Readable once the child is done. It writes its verdict there: a byte, 1 if it
    /// could or 0 if not, then why not, as text.
    FileDescriptor verdict;
};

/// Starts a probe; the caller waits for `verdict` (poll) as it likes. The child is the
/// caller's to reap. Throws SysError if the child cannot be started.
NamespaceProbe startNamespaceProbe();

/// The probe's verdict as startNamespaceProbe describes it, read to its end (blocks until
/// the child is done). A child that died without one is a 0 with the reason.
std::string readProbeVerdict(const NamespaceProbe& probe);

} // namespace purist::sandbox
