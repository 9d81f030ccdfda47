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

/// Where a build's network comes from.
enum class Network {
    Host,  ///< the host's own (fixed-output builds): no network namespace
    Fresh, ///< a new network namespace, made by enterNamespaces, with `lo` up
    Ready, ///< a spare from makeSpareNetwork, entered by the caller beforehand
};

/// Moves the calling process into fresh user (if `identity.userNamespace`), mount, PID,
/// IPC, UTS, cgroup (when the kernel has it) and, with Network::Fresh, network
/// namespaces; maps the caller to the identity's uid/gid, names the host `localhost` and
/// brings up `lo`. The new PID namespace applies to children forked afterwards, not to the
/// caller. Throws SandboxError naming the step that failed.
void enterNamespaces(const SandboxIdentity& identity, Network network);

/// Makes a network namespace for one build ahead of time: new, with `lo` up, and entered
/// by no process. The calling process goes into it and back to `home` (its own network
/// namespace, open), so it needs CAP_SYS_ADMIN in the initial user namespace: root. A
/// build's intermediate enters the result with setns() instead of paying for a new one
/// (0.4 ms on a small VM, most of unshare()'s cost) while it sets up. Throws SysError if
/// the namespace cannot be made; if the way back to `home` fails, the process exits, as it
/// would otherwise hand the wrong network to every host-network build after it.
FileDescriptor makeSpareNetwork(int home);

/// Probes, in a throw-away child, whether enterNamespaces can succeed for this process.
/// Returns false and sets `why` when it cannot.
bool probeNamespaces(std::string* why);

} // namespace purist::sandbox
