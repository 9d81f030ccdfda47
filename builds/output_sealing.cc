#include "builds/output_sealing.h"

#include "base/temp_dir.h"
#include "builds/output_copy.h"
#include "store/canonicalise.h"

#include <unistd.h>

namespace purist::builds {

// Whether a process outside the build may hold a descriptor of an output (a builder
// can pass one over a unix socket), and could change it after registration
// (CVE-2024-27297): then the outputs are copied first (sealOutputs). That is:
// - a fixed-output build: it shares the host's network namespace, with its abstract
//   unix sockets (Landlock scoping closes those only on Linux 6.12 and later);
// - an unsandboxed build: it runs on the host;
// - a build with a sandbox-paths entry outside the store: a host directory may hold a
//   socket that a host process listens on.
// Any other build sees only store paths (which hold no sockets: a NAR cannot), its own
// directories, and its own network namespace, /proc, /dev and IPC namespace; every
// process it started is gone when it returns (PID namespace). No descriptor can leave
// it, so its outputs are registered in place, saving a copy
// (store_link_escape_test's BuildWithoutHostPathsHasNoDescriptorChannel tries both
// kinds of socket).
bool mustSealOutputs(bool fixedOutput, bool isolated, bool hostPathMounted) {
    return fixedOutput || !isolated || hostPathMounted;
}

// New inodes that no process of the build ever held open, owned by purist: what is
// checked, hashed and registered is the copy. The original goes at once (unsandboxed:
// from the real store location it was built at), not with the build's directories: its
// pages not yet written back to disk are then dropped instead of written.
void sealOutputs(std::vector<NewPath>& outputs, const std::string& sealedDir) {
    for (NewPath& path : outputs) {
        std::string sealed = sealedDir + "/" + path.path.baseName();
        copyOutputTree(path.location, sealed);
        removeTree(path.location);
        path.location = sealed;
    }
}

// A build user owns what it wrote and could make a registered path writable again: every
// output is given to purist's own user before it is canonicalised and registered. The
// canonicalisation that does it walks without following symlinks, in bounded descriptors,
// and copies, never changes, an inode the build user did not write or that has other
// links (a host file hard-linked into the output).
void takeOwnership(const std::string& path, std::optional<uid_t> buildUid) {
    CanonicaliseOptions options;
    options.owner = ::geteuid();
    options.group = ::getegid();
    options.writer = buildUid;
    options.keepRootWritable = true;
    canonicalisePath(path, options);
}

} // namespace purist::builds
