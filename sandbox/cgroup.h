#pragma once
// A cgroup per build: the memory and process limits the kernel enforces for a whole build,
// whatever the builder forks. Internal to sandbox/; used by the caller (runInSandbox), never
// in the forked processes: the builder only joins its cgroup through the files named here.
//
// Two layouts are handled. cgroup v2 (one hierarchy, `memory.max`, `memory.swap.max`,
// `pids.max`, `cgroup.kill`), which most machines have; and the v1 `memory` and `pids`
// controllers, each in a hierarchy of its own (`memory.limit_in_bytes`,
// `memory.memsw.limit_in_bytes`, `pids.max`), which hybrid layouts have (their v2 hierarchy
// holds no controllers). A build's cgroup is created below the one purist runs in, so that
// a user with a delegated cgroup gets limits too, and nothing outside it is touched.

#include "base/file_descriptor.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace purist::sandbox {

/// Where the cgroup code finds the kernel's files. `root` is put before every path it reads
/// or writes: /proc/self/cgroup, /proc/self/mountinfo and the mount points they name. The
/// real ones: an empty root and no hooks. A test points `root` at a directory tree that
/// mimics cgroupfs; as a plain directory is no cgroupfs, the hooks do what the kernel does
/// when a cgroup is made (its control files appear) and before one is removed.
struct CgroupFileSystem {
    std::string root;
    std::function<void(const std::string& dir)> created;  ///< after a cgroup's mkdir
    std::function<void(const std::string& dir)> removing; ///< before a cgroup's rmdir
};

/// What this process can limit with cgroups. Probed once per process.
struct CgroupSupport {
    enum class Version { None, V1, V2 };
    Version version = Version::None;
    bool memory = false; ///< a build's memory can be limited
    bool pids = false;   ///< a build's number of processes can be limited
    /// Where build cgroups are created: the memory hierarchy (v1) or the one hierarchy (v2).
    std::string memoryParent;
    /// The pids hierarchy's directory (v1); the same as memoryParent on v2.
    std::string pidsParent;
    /// Why memory or pids is false, for the warning that names what cannot be enforced.
    std::string whyNot;
    /// Where the files are (the real ones, but in tests).
    CgroupFileSystem files;
};

/// Reads `files.root`/proc/self/cgroup and /proc/self/mountinfo, and tries to create (and
/// removes) a cgroup below this process's own in each hierarchy. On cgroup v2 it may hand
/// the controllers down from purist's cgroup (cgroup.subtree_control), moving purist into
/// a leaf of its own if it must (see cgroup.cc).
CgroupSupport probeCgroups(const CgroupFileSystem& files);

/// probeCgroups of the real files, once per process. Thread-safe.
const CgroupSupport& cgroupSupport();

/// A limit a build hit.
enum class CgroupLimit { None, Memory, Processes };

/// The cgroup(s) of one build: created with its limits, removed when the owner goes (after
/// every process in them is gone). Not thread-safe; owned by the thread running the build.
class BuildCgroup {
public:
    /// Creates the build's cgroups for the limits that `cgroupSupport()` can enforce (0: no
    /// limit of that kind). Returns nullopt when there is nothing to create. Throws
    /// SandboxError naming the file when a cgroup the probe said could be made cannot be:
    /// a build never runs with fewer limits than announced. Reuses a recycled cgroup.
    static std::optional<BuildCgroup> create(uint64_t maxMemory, uint64_t maxProcesses);
    /// The same in the hierarchies `support` names (which must outlive the cgroup), never
    /// reusing one: for tests of other layouts than this machine's.
    static std::optional<BuildCgroup> create(const CgroupSupport& support, uint64_t maxMemory,
                                             uint64_t maxProcesses);

    BuildCgroup(BuildCgroup&& other) noexcept;
    BuildCgroup& operator=(BuildCgroup&&) = delete;
    BuildCgroup(const BuildCgroup&) = delete;
    BuildCgroup& operator=(const BuildCgroup&) = delete;
    /// Removes the cgroups, killing what is still in them (best effort; see remove()).
    ~BuildCgroup();

    /// The `cgroup.procs` files a process writes "0" to, to join the build's cgroups.
    const std::vector<std::string>& joinFiles() const { return join_; }
    /// Whether the pids limit is the cgroup's (else RLIMIT_NPROC is the fallback).
    bool limitsProcesses() const { return pidsDir_.has_value(); }

    /// A descriptor that becomes readable (POLLIN) when the kernel reports an event that may
    /// be a limit being hit, or -1. Read it with drainEvent() before checking.
    int eventFd() const { return eventFd_.get(); }
    void drainEvent() const;
    /// Whether some limits can only be noticed by asking (v1 pids has no notification, nor
    /// has a file that cannot be polled): then the caller calls limitHit() every few
    /// hundred milliseconds.
    bool needsPolling() const { return needsPolling_; }

    /// Which limit the build has hit so far, from the kernel's counters (out-of-memory
    /// kills; forks refused by pids.max).
    CgroupLimit limitHit() const;

    /// Kills every process in the build's cgroups (v2: cgroup.kill; v1: each pid listed).
    void killAll() const;

    /// Removes the cgroups, waiting up to a second for exiting processes to leave and
    /// killing those that stay. Throws SandboxError naming the cgroup if one remains.
    void remove();

    /// Whether a process is still in the build's cgroups (v2: cgroup.events, which counts
    /// the cgroups below too; v1: pids.current, else cgroup.procs).
    bool populated() const;

    /// The cgroup directories: the memory one (v1), or the one (v2), and the pids one (v1;
    /// the same on v2). Empty when there is none.
    std::string memoryDir() const { return memoryDir_.value_or(""); }
    std::string pidsDir() const { return pidsDir_.value_or(""); }

    /// After a build whose processes are all gone: keeps the emptied cgroups for the next
    /// build of this process (creating and removing a memory cgroup costs about 0.3 ms of
    /// kernel time, a tenth of a strict build's set-up), or removes them if anything is
    /// still in them. Kept cgroups are removed when the process exits normally, and by
    /// the next purist if it is killed. Throws as remove() does.
    void recycle();

private:
    friend struct CgroupPool;
    BuildCgroup() = default;
    /// Sets the limits of a recycled cgroup for its next build, and takes the counters'
    /// values as the new baseline.
    void limit(uint64_t maxMemory, uint64_t maxProcesses);

    // Removes one cgroup directory, waiting for exiting processes (remove()).
    void removeDir(std::optional<std::string>& dir, std::chrono::steady_clock::time_point deadline);

    const CgroupFileSystem* files_ = nullptr;
    bool v1_ = false;
    bool needsPolling_ = false;
    bool pooled_ = false; ///< goes back to this process's pool when recycled
    std::optional<std::string> memoryDir_;
    std::optional<std::string> pidsDir_;
    std::vector<std::string> join_;
    /// v1: an eventfd the kernel signals on out-of-memory; v2: an epoll descriptor
    /// watching `watched_`.
    FileDescriptor eventFd_;
    /// v1: memory.oom_control, kept open while its event is registered; v2: memory.events
    /// and pids.events, which the kernel marks (POLLPRI) when they change.
    std::vector<FileDescriptor> watched_;
    /// The counters limitHit() and populated() read, kept open: a read of an open cgroup
    /// file is one system call, opening one costs more than the read (recycled cgroups are
    /// read after every build). -1 where there is none.
    int memoryEvents_ = -1;       ///< v1 memory.oom_control, v2 memory.events (in watched_)
    int pidsEvents_ = -1;         ///< pids.events (in watched_ on v2, in counters_ on v1)
    FileDescriptor pidsCurrent_;  ///< v1 pids.current
    FileDescriptor cgroupEvents_; ///< v2 cgroup.events
    std::vector<FileDescriptor> counters_;
    /// The limits written to the kernel's files.
    uint64_t memoryLimit_ = 0;
    uint64_t processLimit_ = 0;
    /// The counters' values when this build began (a recycled cgroup keeps its history),
    /// and when limitHit() last read them.
    uint64_t oomKillsBefore_ = 0;
    uint64_t pidsMaxBefore_ = 0;
    mutable uint64_t oomKillsSeen_ = 0;
    mutable uint64_t pidsMaxSeen_ = 0;
};

} // namespace purist::sandbox
