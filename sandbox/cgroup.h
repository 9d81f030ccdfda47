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

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace purist::sandbox {

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
};

/// The probe's result: reads /proc/self/cgroup and /proc/self/mountinfo, and tries to create
/// (and removes) a cgroup below this process's own in each hierarchy. Thread-safe.
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
    /// a build never runs with fewer limits than announced.
    static std::optional<BuildCgroup> create(uint64_t maxMemory, uint64_t maxProcesses);

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
    /// Whether some limits can only be noticed by asking (v1 pids has no notification):
    /// then the caller calls limitHit() every few hundred milliseconds.
    bool needsPolling() const { return pidsDir_.has_value() && v1_; }

    /// Which limit the build has hit so far, from the kernel's counters (out-of-memory
    /// kills; forks refused by pids.max).
    CgroupLimit limitHit() const;

    /// Kills every process in the build's cgroups (v2: cgroup.kill; v1: each pid listed).
    void killAll() const;

    /// Removes the cgroups, waiting up to a second for exiting processes to leave and
    /// killing those that stay. Throws SandboxError naming the cgroup if one remains.
    void remove();

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

    bool v1_ = false;
    std::optional<std::string> memoryDir_;
    std::optional<std::string> pidsDir_;
    std::vector<std::string> join_;
    /// v1: an eventfd the kernel signals on out-of-memory; v2: an epoll descriptor
    /// watching `watched_`.
    FileDescriptor eventFd_;
    /// v1: memory.oom_control, kept open while its event is registered; v2: memory.events
    /// and pids.events, which the kernel marks (POLLPRI) when they change.
    std::vector<FileDescriptor> watched_;
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
