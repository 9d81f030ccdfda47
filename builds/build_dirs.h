#pragma once
// The directories a build runs in: its private ones under the store root's tmp/, reused from
// one build to the next, and the mount point of every strict build's root. Internal to
// builds/ (build_runner.cc).

#include "store/scratch.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace purist::builds {

/// A build's private directories under the store root's tmp/, on the store's file system
/// so that outputs move into the store with rename(): `build` (its /build) and `out` (the
/// store dir it writes its outputs to, when sandboxed). A finished build's are emptied and
/// given to the next: creating and removing three directories per build cost 0.3 ms here.
struct BuildDirs {
    ScratchDir top; // reclaimed by the next process if this one is killed
    std::string build() const { return top.path() + "/build"; }
    std::string out() const { return top.path() + "/out"; }
    /// Where outputs are copied to before registration (builds/output_sealing.h).
    std::string sealed() const { return top.path() + "/sealed"; }
};

/// The build directories of one run, and the one sandbox root its strict builds share. Not
/// thread-safe: used on the orchestrator's thread.
class BuildDirPool {
public:
    /// `tmpDir`: the store root's tmp/.
    explicit BuildDirPool(std::string tmpDir) : tmpDir_(std::move(tmpDir)) {}

    /// Directories for a new build, empty: a finished build's, or new ones (`build` 0700,
    /// `out` 0755, `sealed` 0700). The top one is 0700, or 0711 for an unsandboxed build
    /// (`isolated` false), whose builder reaches its build directory by its host path as a
    /// build user: let through, but not able to list it. Throws SysError.
    std::unique_ptr<BuildDirs> take(bool isolated);

    /// Takes back a finished build's directories and empties them for the next build; if
    /// emptying fails, they are removed instead, as far as possible. Null (directories kept
    /// for --keep-failed) gives nothing back. Throws nothing but std::bad_alloc.
    void giveBack(std::unique_ptr<BuildDirs> dirs);

    /// The mount point of every strict build's root (`<tmpDir>/sandbox-root`), created on the
    /// first call. Throws SysError.
    const std::string& sandboxRoot();

private:
    std::string tmpDir_;
    std::vector<std::unique_ptr<BuildDirs>> spare_;
    std::string sandboxRoot_;
};

} // namespace purist::builds
