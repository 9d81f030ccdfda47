#pragma once
// The processes runInSandbox forks: the intermediate that enters the namespaces and
// outlives nothing it started, and the builder it forks. Internal to sandbox/.

#include "sandbox/namespaces.h"
#include "sandbox/sandbox.h"
#include "sandbox/seccomp_filter.h"

#include <csignal>
#include <string>
#include <sys/types.h>
#include <vector>

namespace purist::sandbox {

/// Who the builder is inside the sandbox: the build user as root, else uid 1000 / gid 100
/// in a user namespace.
SandboxIdentity identityFor(const SandboxConfig& config);

/// argv and envp for the builder, prepared before fork() so the child only reads them.
class ExecArguments {
public:
    explicit ExecArguments(const SandboxConfig& config);
    ExecArguments(const ExecArguments&) = delete;
    ExecArguments& operator=(const ExecArguments&) = delete;

    const char* path() const { return path_.c_str(); }
    char* const* argv() const { return argv_.data(); }
    char* const* envp() const { return envp_.data(); }

private:
    std::string path_;
    std::vector<std::string> strings_;
    std::vector<char*> argv_;
    std::vector<char*> envp_;
};

/// The scratch directories build-dir-size bounds (together: one file system), in the order
/// of the bits the intermediate reports full ones with (after the wait status, on the
/// status pipe).
inline constexpr const char* kScratchDirs[] = {"/build", "/tmp", "/dev/shm"};

/// The write ends of the pipes between runInSandbox and the processes it forks. Each is
/// O_CLOEXEC, so the builder's exec closes the two it must not keep.
struct ChildPipes {
    int log;     ///< becomes the builder's stdout and stderr
    int error;   ///< a set-up failure, as text; EOF without text means exec happened
    int status;  ///< the builder's pid (int32), then its wait status (int32) once it is gone,
                 ///< with the mask of full scratch dirs (int32, kScratchDirs)
    int control; ///< the intermediate's end of a socket: a byte, or its end, kills the build
};

/// What the intermediate process needs besides the configuration.
struct ChildSetup {
    const SandboxConfig* config;
    SandboxIdentity identity;
    const ExecArguments* exec;
    const SeccompProgram* seccomp; ///< loaded before exec; null with `isolate = false`
    ChildPipes pipes;
    pid_t parent; ///< the launcher's pid, to notice a parent that died before prctl
};

/// The signals the launcher ignores: a terminal's ^C, \, and hang-up reach purist, whose
/// end closes the launcher's socket and ends it, and a closed socket must not kill it.
/// Every other signal of the launcher has its default disposition
/// (resetSignalDispositions when it starts), so an intermediate it forks restores only
/// these before the builder inherits them: four system calls, not 64.
inline constexpr int kLauncherIgnoredSignals[] = {SIGHUP, SIGINT, SIGQUIT, SIGPIPE};

/// Gives every signal its default disposition. A process started by a shell may inherit
/// ignored ones (SIGINT and SIGQUIT under `&`, SIGPIPE); a builder must not.
void resetSignalDispositions();

/// Runs in the child right after the launcher's fork(), with every signal blocked. Enters
/// the namespaces (when `config.isolate`), forks the builder, reports its pid, waits for
/// it, kills on SIGTERM, makes sure nothing it started is left, then reports the wait
/// status and exits. Never returns. Errors before the builder's exec go to `pipes.error`.
[[noreturn]] void runIntermediate(const ChildSetup& setup);

} // namespace purist::sandbox
