#pragma once
// The lock that stands for one store path while it is being made valid. Builders hold it on
// their outputs from before they check validity until the outputs are registered; adders
// hold it on the path they add from before they check validity until it is registered. So
// whoever finds a path invalid while holding its lock is the only one who may put it in
// place, and a valid path is never removed or replaced (as Nix does with its .lock files).

#include "base/file_descriptor.h"

#include <string>
#include <sys/types.h>

namespace purist {

/// Opens `<tmpDir>/output-locks`, the file whose bytes stand for store paths (PathLock).
/// Each call opens a new open file description: locks taken through different ones exclude
/// each other even within one process. Throws SysError.
FileDescriptor openPathLockFile(const std::string& tmpDir);

/// A write lock on one byte of the path lock file standing for one store path: an
/// open-file-description lock (F_OFD_SETLK), so it excludes other purist processes and
/// other descriptions in this one, goes away with the process however it dies, and moves
/// with the object that holds it. One shared file instead of a lock file per path: nothing to
/// create per path, nothing left behind. Two paths share a byte only if 62 bits of their
/// names' hashes collide, and then one merely waits for the other. The lock file descriptor
/// must outlive the lock. Not thread-safe; movable.
class PathLock {
public:
    PathLock(int lockFileFd, const std::string& baseName);
    PathLock(PathLock&& other) noexcept;
    PathLock(const PathLock&) = delete;
    PathLock& operator=(const PathLock&) = delete;
    ~PathLock();

    /// Takes the lock if it is free; false if another holder has it. Throws SysError.
    bool tryLock();
    /// Waits for the lock. Throws SysError.
    void lock();

private:
    bool set(int command, short type);

    int fd_;
    off_t offset_;
    bool held_ = false;
};

} // namespace purist
