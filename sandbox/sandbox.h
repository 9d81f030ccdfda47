#pragma once
// Running one builder in a sandbox: the contract between the build orchestration
// (sandbox/builder.*) and the namespace code (sandbox/sandbox.cc and its helpers).

#include <chrono>
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
    std::string source; ///< host path (file or directory)
    std::string target; ///< absolute path inside the sandbox
    bool readOnly = true;
    bool optional = false; ///< a missing source is skipped instead of an error (`path?`)
};

/// Everything runInSandbox needs; the caller resolves policy into these fields.
struct SandboxConfig {
    /// false: no namespaces at all (mode `off`, or `no-sandbox` in relaxed mode): the
    /// builder runs on the host with the clean environment below, in `buildDir`.
    bool isolate = true;

    std::string builder;                    ///< absolute path, as seen inside the sandbox
    std::vector<std::string> args;          ///< argv[1..]
    std::map<std::string, std::string> env; ///< the complete environment; nothing inherited

    /// Host directory for the fresh root; must exist, be empty, and sit on the same file
    /// system as the real store dir. After the run, outputs the builder created are at
    /// `sandboxRoot + storeDir + "/" + <base name>` on the host.
    std::string sandboxRoot;
    /// Logical store dir: created in the root, group `buildGid`, mode 1775, holding only
    /// the bind mounts the caller lists (the input closure), so it cannot be enumerated.
    std::string storeDir;
    /// Host build directory, mounted read-write at `/build` (the working directory).
    std::string buildDir;
    /// Input closure (read-only), sandbox-paths, anything else the build may see.
    std::vector<BindMount> mounts;

    /// true only for fixed-output builds: keep the host network and add /etc/resolv.conf.
    /// false: a new network namespace holding only `lo`, up.
    bool hostNetwork = false;

    /// As root: the build user to run as (never root). Unset when not root: the caller
    /// is mapped to uid 1000 / gid 100 in a new user namespace.
    std::optional<uid_t> buildUid;
    std::optional<gid_t> buildGid;

    std::chrono::seconds timeout{0};       ///< 0: none
    std::chrono::seconds maxSilentTime{0}; ///< 0: none

    /// The builder's stdout and stderr, filtered of terminal control sequences, line by
    /// line; written to `logPath` if set and passed to `onLogLine` if set.
    std::string logPath;
    std::function<void(std::string_view line)> onLogLine;
};

/// How the builder ended.
struct SandboxResult {
    int exitCode = -1;          ///< when it exited
    int signal = 0;             ///< when it was killed by a signal
    bool timedOut = false;      ///< `timeout` expired
    bool silentTooLong = false; ///< `maxSilentTime` expired
    std::chrono::milliseconds elapsed{0};
    bool succeeded() const { return exitCode == 0 && signal == 0 && !timedOut && !silentTooLong; }
};

/// Runs the builder as configured and waits for it and every process it started: when it
/// returns, none of them is left. Throws SandboxError naming the step (and path) that
/// failed when the sandbox cannot be set up as asked; never runs with less isolation.
SandboxResult runInSandbox(const SandboxConfig& config);

/// Whether this process can create the namespaces `isolate = true` needs; if not, why.
bool canIsolate(std::string* why = nullptr);

} // namespace purist::sandbox
