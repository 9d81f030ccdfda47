#pragma once
// The locks that let a garbage collection run beside builds, adds and audits of the same
// store (docs/store.md, "Garbage collection", gives the whole protocol):
//   - `<root>/gc.lock`: the collector holds it exclusively for the whole collection; a
//     process holds it shared while it creates its temp-roots file, and a reader of many
//     paths (check, audit) for as long as it reads;
//   - `<root>/temproots/<pid>-XXXXXX`: one file per live process that uses or makes store
//     paths, listing their base names, read-locked by its owner for its whole life. The
//     owner takes a write lock to append; the collector read-locks every file before it
//     reads them and keeps the locks until it is done, so an owner that adds a root during
//     a collection waits for its end. A file nobody holds a lock on belongs to a dead
//     process and is removed by the next collector.
// All locks are open-file-description locks (F_OFD_SETLK): they go away with the process
// however it dies, and two descriptions in one process exclude each other.

#include "base/file_descriptor.h"
#include "store/store_path.h"

#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace purist {

/// `<root>/gc.lock`.
std::string gcLockPath(const std::string& root);
/// `<root>/temproots`.
std::string tempRootsDir(const std::string& root);

/// Holds `<root>/gc.lock` exclusively (the collector) or shared (everyone else) for its
/// lifetime, waiting for it on construction. Movable, not copyable.
class GcLock {
public:
    enum class Mode { Shared, Exclusive };
    /// Opens (creating) and locks the file. Throws SysError naming it.
    GcLock(const std::string& root, Mode mode);
    /// Takes the lock only if it is free at once; `held()` says whether it was.
    static GcLock tryLock(const std::string& root, Mode mode);
    GcLock(GcLock&&) noexcept = default;
    GcLock& operator=(GcLock&&) noexcept = default;
    bool held() const { return bool(fd_); }

private:
    GcLock() = default;
    FileDescriptor fd_;
};

/// For a process that reads store paths for a while without a temp root per path (check,
/// audit): holds gc.lock shared, so no collection starts until it is done, and waits for a
/// running one to finish. A store whose root this process cannot write (an existing Nix
/// store opened read-only, another user's store) is read without the lock: purist never
/// collects there, and the lock file cannot be created. Movable.
class GcReaderLock {
public:
    explicit GcReaderLock(const std::string& root);
    /// Holds nothing.
    GcReaderLock() = default;
    bool held() const { return lock_.has_value(); }

private:
    std::optional<GcLock> lock_;
};

/// This process's temporary roots in the store rooted at `root`. A process registers a
/// path here *before* it checks the path's validity or starts to use or make it; from
/// then until it exits, no collection removes the path or its closure. Thread-safe.
class TempRoots {
public:
    explicit TempRoots(std::string root) : root_(std::move(root)) {}
    TempRoots(const TempRoots&) = delete;
    TempRoots& operator=(const TempRoots&) = delete;

    /// Adds `baseNames` (store path base names) as temp roots, waiting while a collection
    /// runs. Names already added are skipped. Throws SysError.
    void add(const std::vector<std::string>& baseNames);
    void add(const StorePath& path) { add(std::vector<std::string>{path.baseName()}); }
    void add(const StorePathSet& paths);
    /// The file, once the first root was added (for tests and messages).
    std::string file() const;

private:
    void openFile();

    std::string root_;
    mutable std::mutex mutex_;
    FileDescriptor fd_;
    std::string file_;
    std::set<std::string> added_;
};

/// The temp roots of every live process, as the collector reads them: `held` keeps every
/// file read-locked (so no owner adds a root) until this object goes.
struct TempRootsSnapshot {
    struct Root {
        std::string file; ///< the temp-roots file that names it
        std::string baseName;
    };
    std::vector<Root> roots;
    std::vector<FileDescriptor> held;
    size_t staleFilesRemoved = 0; ///< files of dead processes, removed
};

/// Reads and read-locks every temp-roots file under `root`, removing those of dead
/// processes. The caller must hold the GcLock exclusively (so no file is being created).
/// Throws SysError.
TempRootsSnapshot lockTempRoots(const std::string& root);

} // namespace purist
