#pragma once
// The locks a build holds on its outputs (store/path_lock.h, the one scheme for builders and
// adders) from before it checks their validity until they are registered or discarded, so
// two purist processes never build one output at once. Internal to builds/
// (build_runner.cc).

#include "base/file_descriptor.h"
#include "store/path_lock.h"
#include "store/store_path.h"

#include <string>
#include <utility>
#include <vector>

namespace purist::builds {

/// The path lock file of one run (openPathLockFile), opened on first use and shared by every
/// build of the run. Must outlive every OutputLocks taken through it. Not thread-safe: used
/// on the orchestrator's thread.
class OutputLockFile {
public:
    /// `tmpDir`: the store root's tmp/, where the lock file is.
    explicit OutputLockFile(std::string tmpDir) : tmpDir_(std::move(tmpDir)) {}

    /// The lock file's descriptor, opening the file the first time. Throws SysError.
    int descriptor();

private:
    std::string tmpDir_;
    FileDescriptor fd_;
};

/// The locks on one build's outputs, released when this object goes. Movable; not
/// thread-safe: tried on the orchestrator's thread, then waited for on the build's worker.
class OutputLocks {
public:
    /// Tries the lock of each of `outputs` through `lockFile` in base-name order, the order
    /// every process takes them in, so two never wait on each other. Stops trying at the
    /// first lock another holder has: then mustWait() is true, and wait() takes them all.
    /// Throws SysError.
    OutputLocks(int lockFile, const std::vector<StorePath>& outputs);

    /// Whether a lock was held elsewhere when they were tried.
    bool mustWait() const { return mustWait_; }

    /// Takes each lock, blocking, in base-name order (those held already are held again,
    /// which changes nothing). Throws SysError.
    void wait();

private:
    std::vector<PathLock> locks_;
    bool mustWait_ = false;
};

} // namespace purist::builds
