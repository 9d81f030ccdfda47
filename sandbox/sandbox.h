#pragma once
// Running one builder in a sandbox: the contract between the build orchestration
// (builds/build_runner.*) and the namespace code (sandbox/sandbox.cc and its helpers).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace purist::sandbox {

/// A host path made visible inside the sandbox root.
struct BindMount {
    /// A host path (file or directory); with `fromStore`, a path relative to
    /// SandboxConfig::realStoreDir: a store path's base name, perhaps with a subpath.
    std::string source;
    std::string target; ///< absolute path inside the sandbox
    bool readOnly = true;
    bool optional = false; ///< a missing source is skipped instead of an error (`path?`)
    /// `source` is in the store, whose contents builds wrote: it is data, never a route.
    /// It is opened beneath the store dir's descriptor without following any symlink on
    /// the way (a link in a subpath is an error), and mounted from that descriptor. A store
    /// path that is itself a symlink is recreated at `target` as the same symlink, never
    /// mounted, so it resolves inside the sandbox and not on the host (as Nix does).
    bool fromStore = false;
};

/// Everything runInSandbox needs; the caller resolves policy into these fields.
struct SandboxConfig {
    /// false: no namespaces at all (mode `off`, or `no-sandbox` in relaxed mode): the
    /// builder runs on the host with the clean environment below, in `buildDir`.
    bool isolate = true;

    std::string builder;                    ///< absolute path, as seen inside the sandbox
    std::vector<std::string> args;          ///< argv[1..]
    std::map<std::string, std::string> env; ///< the complete environment; nothing inherited

    /// Host directory the sandbox's root is mounted on (isolate only): an existing empty
    /// directory. The root is a tmpfs mounted over it in the sandbox's own mount namespace,
    /// so nothing is ever written to it on the host and concurrent builds may share one.
    std::string sandboxRoot;
    /// Logical store dir (isolate only), the same path as the real store dir. Inside the
    /// sandbox it is `outputDir`, group `buildGid`, mode 1775, holding only the bind mounts
    /// of the input closure (the caller lists them in `mounts`), so it cannot be
    /// enumerated. It is the only writable place in the root besides /build, /tmp and
    /// /dev/shm. With `isolate = false` the builder writes its outputs straight into the
    /// real store dir on the host, which the build user must be able to write.
    std::string storeDir;
    /// Host directory holding the store paths (isolate only): where the mounts with
    /// `fromStore` are found. Its own path is the caller's configuration and may contain
    /// symlinks; nothing below it is followed.
    std::string realStoreDir;
    /// Host directory that the builder sees as the store dir (isolate only), created empty
    /// by the caller on the same file system as the real store dir. After the run, outputs
    /// the builder created are at `outputDir + "/" + <base name>`, owned by the build user,
    /// to be moved into the store; beside them, the inputs' mount points are empty
    /// directories or files. Nothing stays mounted.
    std::string outputDir;
    /// Host build directory, created by the caller; mounted read-write at `/build` (the
    /// working directory), or the working directory itself with `isolate = false` (then the
    /// build user must be able to reach it). With a build user, runInSandbox gives it to
    /// buildUid:buildGid with mode 0700.
    std::string buildDir;
    /// Input closure (read-only), sandbox-paths, anything else the build may see (isolate
    /// only). Targets are clean absolute paths; parents are mounted before children. Binds
    /// are not recursive: submounts of a source stay hidden. Read-only and read-write binds
    /// are both nosuid and nodev.
    std::vector<BindMount> mounts;

    /// true only for fixed-output builds: keep the host network and add /etc/resolv.conf.
    /// false: a new network namespace holding only `lo`, up.
    bool hostNetwork = false;

    /// Kernel facilities the seccomp filter lets this build use though strict mode refuses
    /// them (isolate only): names from policy::kAllowableSyscalls, the setting
    /// `sandbox-allow-syscalls`. An unknown name fails the set-up.
    std::vector<std::string> allowedSyscalls;

    /// As root: the build user to run as (never root; required as root, in both modes; the
    /// builder's only group is buildGid). Unset when not root: the caller is mapped to uid
    /// 1000 / gid 100 in a new user namespace (isolate), or the builder runs as the caller.
    std::optional<uid_t> buildUid;
    std::optional<gid_t> buildGid;

    /// How many processes the build may hold at once, so a fork bomb fails instead of
    /// exhausting the host's pids: the `pids.max` of the build's cgroup where one can be
    /// made (cgroupSupport), else the builder's RLIMIT_NPROC, which counts per build user
    /// (as root: give each concurrent build its own), or per user namespace uid; with
    /// `isolate = false` and no build user, the caller's own processes count too. 0: no
    /// limit (the caller's own RLIMIT_NPROC).
    unsigned long maxProcesses = 4096;
    /// Bytes of memory (swap included) the whole build may use, tmpfs files it writes
    /// included: the `memory.max` of its cgroup. 0, or no cgroup here: no limit.
    uint64_t maxMemory = 0;
    /// Bytes of log the builder may write (before filtering); past it the build is killed
    /// and its log ends with a line saying why. 0: no limit.
    uint64_t maxLogSize = 0;
    /// Size of each tmpfs the sandbox gives the build for scratch space: /tmp, /dev/shm, and
    /// /build unless `buildDirOnHost` (isolate only). 0: the kernel's default, half the RAM.
    uint64_t buildDirSize = 0;
    /// true: /build is `buildDir` itself, on the host's disk and unbounded, so that it
    /// outlives the build (`--keep-failed`) or the caller can watch it; false: /build is a
    /// tmpfs of `buildDirSize` and `buildDir` stays empty (isolate only; what purist's
    /// builds use unless `--keep-failed`).
    bool buildDirOnHost = true;
    /// Set by runInSandbox, not by callers: the cgroup.procs files of the build's cgroups,
    /// which the builder joins before anything else.
    std::vector<std::string> cgroupJoin;

    std::chrono::seconds timeout{0};       ///< 0: none
    std::chrono::seconds maxSilentTime{0}; ///< 0: none

    /// The builder's stdout and stderr, filtered of terminal control sequences, line by
    /// line; written to `logPath` if set and passed to `onLogLine` if set.
    std::string logPath;
    std::function<void(std::string_view line)> onLogLine;
};

/// A resource limit of SandboxConfig that a build can exceed.
enum class ExceededLimit { None, Memory, Processes, LogSize };

/// How the builder ended.
struct SandboxResult {
    int exitCode = -1;          ///< when it exited
    int signal = 0;             ///< when it was killed by a signal
    bool timedOut = false;      ///< `timeout` expired
    bool silentTooLong = false; ///< `maxSilentTime` expired
    /// The limit the build hit, which fails it (and kills it, for all but a process or
    /// memory limit noticed only once it had ended).
    ExceededLimit exceeded = ExceededLimit::None;
    /// The scratch file systems bounded by `buildDirSize` (/build, /tmp, /dev/shm) that were
    /// full when the build ended: a failure likely caused by that bound.
    std::vector<std::string> fullScratchDirs;
    std::chrono::milliseconds elapsed{0};
    bool succeeded() const {
        return exitCode == 0 && signal == 0 && !timedOut && !silentTooLong &&
               exceeded == ExceededLimit::None;
    }
};

/// Runs the builder as configured and waits for it and every process it started: when it
/// returns, none of them is left (in a PID namespace; with `isolate = false` the sandbox is
/// the subreaper of the build and kills what is left). The one process of purist's own
/// that supervised the build may still be exiting (tearing down the namespaces); it is
/// reaped by a later call or when this process exits. Throws SandboxError naming the step
/// (and path) that failed when the sandbox cannot be set up as asked, including an invalid
/// config; never runs with less isolation. A builder that cannot be executed is the
/// build's failure, not the sandbox's: exit code 127 and a `purist: cannot execute` log
/// line. Thread-safe: several builds may run at once from different threads; `onLogLine`
/// is called on the calling thread. The caller must not ignore SIGCHLD (its children are
/// waited for).
SandboxResult runInSandbox(const SandboxConfig& config);

/// Optional: starts the helper process runInSandbox uses, and its namespace probe (for
/// canIsolate), so that both are ready when the first build needs them. Returns once the
/// helper is exec'd, about 1 ms here; if it cannot be started, says nothing (the build
/// that needs it will).
void prepareSandbox();

/// Whether this process can create the namespaces `isolate = true` needs; if not, why:
/// namespaces the kernel refuses, or a sandbox helper that cannot be started.
bool canIsolate(std::string* why = nullptr);

/// The limits among `maxMemory` and `maxProcesses` (0: not asked for) that no cgroup can
/// enforce here, as a sentence naming them, what stands in for them and why; empty when
/// every one asked for is enforced. Thread-safe.
std::string unenforcedLimits(uint64_t maxMemory, unsigned long maxProcesses);

} // namespace purist::sandbox
