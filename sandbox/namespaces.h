#pragma once
// Entering the namespaces of a strict build. Internal to sandbox/; runs in the forked
// intermediate process, never in the caller.

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
/// IPC, UTS, cgroup (when the kernel has it) and, unless `hostNetwork`, network
/// namespaces; maps the caller to the identity's uid/gid, names the host `localhost` and
/// brings up `lo`. The new PID namespace applies to children forked afterwards, not to the
/// caller. Throws SandboxError naming the step that failed.
void enterNamespaces(const SandboxIdentity& identity, bool hostNetwork);

/// Probes, in a throw-away child, whether enterNamespaces can succeed for this process.
/// Returns false and sets `why` when it cannot.
bool probeNamespaces(std::string* why);

} // namespace purist::sandbox
