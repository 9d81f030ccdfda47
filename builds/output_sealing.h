#pragma once
// Making a build's outputs purist's before they are registered: sealed (replaced by a copy
// no process of the build ever held open) where a descriptor of them may have left the
// build, else given to purist's user where a build user wrote them. Internal to builds/
// (build_runner.cc).

#include "store/local_store.h"

#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace purist::builds {

/// Whether a process outside the build may hold a descriptor of an output, so that the
/// outputs must be sealed (sealOutputs) before registration: a fixed-output build
/// (`fixedOutput`), an unsandboxed one (`isolated` false), or one with a sandbox-paths
/// entry outside the store mounted (`hostPathMounted`). Why each: see the definition.
bool mustSealOutputs(bool fixedOutput, bool isolated, bool hostPathMounted);

/// Replaces each of `outputs` by a copy under `sealedDir` (an empty directory on the store's
/// file system) made now, after every process of the build is gone, and points its
/// `location` there; the original is removed. Throws SysError naming the path, or
/// FormatError for an entry no store path can hold (builds/output_copy.h).
void sealOutputs(std::vector<NewPath>& outputs, const std::string& sealedDir);

/// Gives the output at `path` to purist's effective user and group before it is
/// canonicalised and registered, copying instead of changing an inode that `buildUid` (the
/// build user, if any) did not write or that has other links. Throws SysError naming the
/// path.
void takeOwnership(const std::string& path, std::optional<uid_t> buildUid);

} // namespace purist::builds
