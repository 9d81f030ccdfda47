#pragma once
// Scratch space under a store's tmp/: where `store add` copies a source and a build keeps
// its build directory before the result moves into the store. A process killed with -9
// cannot clean up after itself, so every scratch directory says whether its owner is alive,
// and whoever comes next removes the ones whose owner is gone.

#include "base/file_descriptor.h"

#include <cstddef>
#include <string>
#include <vector>

namespace purist {

/// A private directory `<tmpDir>/scratch-<kind>-<pid>-XXXXXX` (mode 0700), locked with
/// flock(LOCK_EX) on the directory itself for as long as this object lives. The lock, not the
/// pid in the name, is what marks it live: it goes away with the process however it dies,
/// and it works across PID namespaces. The pid is there for a person reading tmp/.
/// The descriptor is close-on-exec, so no builder or helper inherits the lock.
/// Removed (tree first, then the lock) on destruction unless keep() was called. Movable.
class ScratchDir {
public:
    /// Creates and locks the directory. Throws SysError naming `tmpDir`.
    ScratchDir(const std::string& tmpDir, const std::string& kind);
    ScratchDir(ScratchDir&& other) noexcept;
    ScratchDir& operator=(ScratchDir&&) = delete;
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    ~ScratchDir();

    const std::string& path() const { return path_; }
    /// Keeps the directory for a post-mortem (--keep-failed): renames it to
    /// `<tmpDir>/kept-<kind>-<pid>-XXXXXX`, which reclaimDeadScratch() leaves alone, and
    /// path() follows it. Throws SysError.
    void keep();

private:
    std::string path_;
    FileDescriptor lock_;
    bool keep_ = false;
};

/// What reclaimDeadScratch() did.
struct ScratchReclaim {
    size_t removed = 0; ///< scratch directories of dead processes removed
    size_t live = 0;    ///< left alone: their owner holds them, or its build is still dying
    /// Scratch directories in the format of purist before 563cc97 (Dec 2026): `add-XXXXXX`
    /// and `build-XXXXXX`, full paths. Found, never removed: see reclaimDeadScratch().
    std::vector<std::string> legacy;
};

/// Removes every scratch directory under `tmpDir` whose lock is free (its owner is dead),
/// and leaves those of live processes alone. Directories of another user that this one
/// cannot open are counted neither way and left alone. A missing `tmpDir` reclaims nothing.
///
/// Directories left by older versions are listed in `legacy` and left alone: those versions
/// took no lock on their scratch, so a live one cannot be told from a dead one (removing a
/// live `store add`'s tree while it renames a copy into the store would delete files of a
/// path it then registers), and their `--keep-failed` kept a failed build's directory under
/// the same `build-` name as a killed build's, as the post-mortem the user asked for.
/// Called by every process that opens a store read-write, by `store verify`, and by the
/// garbage collector when there is one. Throws SysError on a failure to remove.
ScratchReclaim reclaimDeadScratch(const std::string& tmpDir);

} // namespace purist
