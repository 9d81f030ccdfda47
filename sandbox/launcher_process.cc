// The sandbox helper's side of sandbox/launcher.h: the loop of the purist-sandbox process.

#include "sandbox/child_memory.h"
#include "sandbox/child_process.h"
#include "sandbox/launcher_protocol.h"
#include "sandbox/namespaces.h"
#include "sandbox/seccomp_filter.h"

#include <cerrno>
#include <fcntl.h>
#include <optional>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace purist::sandbox {
namespace {

// What an intermediate and its builder allocate before the exec: the paths of the root's
// set-up, a few kilobytes. More is served from the heap.
constexpr size_t kChildMemory = 64 << 10;

// Reaps every intermediate that has exited, without waiting for the others.
void reapExited() {
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
}

// Tells the caller why its build could not start, on its error pipe (the second of the
// request's descriptors, ChildPipes order). Best effort: if even this fails, the caller
// reads EOF and says so.
void tellCaller(const std::vector<FileDescriptor>& pipes, std::string_view message) {
    (void)!::write(pipes[1].get(), message.data(), message.size());
}

// Runs in a just-forked intermediate: decodes the request and becomes the build's
// intermediate. Decoding here, not in the helper, puts its allocations in this process's
// own memory (useChildMemory) and leaves the helper nothing to free once it shares its
// pages with this process (each first write would copy a page).
[[noreturn]] void startIntermediate(const std::string& request,
                                    const std::vector<FileDescriptor>& pipes, pid_t launcher) {
    try {
        SandboxConfig config = decodeConfig(std::string_view(request).substr(1));
        ExecArguments exec(config);
        // The default filter was compiled in the launcher; a build allowed more, or a
        // fixed-output build, compiles its own here, in this process only: rare, and
        // about 0.3 ms (measured on the 2-core dev VM).
        const SeccompProgram* seccomp =
            config.isolate ? &compiledSeccompFilter(config.allowedSyscalls, config.hostNetwork)
                           : nullptr;
        ChildSetup setup{&config,
                         identityFor(config),
                         &exec,
                         seccomp,
                         ChildPipes{pipes[0].get(), pipes[1].get(), pipes[2].get(), pipes[3].get()},
                         launcher};
        runIntermediate(setup);
    } catch (const std::exception& e) {
        tellCaller(pipes, e.what());
    }
    ::_exit(1);
}

// Compiles the seccomp program in this process, once, before any intermediate is forked,
// so that none compiles it again. If it cannot be, every sandboxed build reports why.
void compileSeccompOnce() {
    try {
        compiledSeccompFilter();
    } catch (const Error&) {
    }
}

// Serves one launch request: forks the intermediate. A failure is reported where the
// caller looks for set-up failures, the error pipe.
void serve(int socket, const std::string& request, std::vector<FileDescriptor>& pipes) {
    if (pipes.size() != kPipeCount || request.empty() || request[0] != kLaunchRequest)
        return; // the caller then reads EOF on every pipe
    compileSeccompOnce();
    // runIntermediate expects every signal blocked from its first instruction.
    sigset_t all, previous;
    sigfillset(&all);
    int failure = 0;
    pid_t launcher = ::getpid();
    if (::sigprocmask(SIG_SETMASK, &all, &previous) == -1) {
        failure = errno;
    } else {
        pid_t pid = ::fork();
        if (pid == 0) {
            useChildMemory(kChildMemory);
            if (::close(socket) == -1) ::_exit(1);
            startIntermediate(request, pipes, launcher);
        }
        if (pid == -1) failure = errno;
        // With every signal left blocked, this process would not die of anything but
        // SIGKILL; it ends instead.
        if (::sigprocmask(SIG_SETMASK, &previous, nullptr) == -1)
            throw launcherFailure("restoring the signal mask");
    }
    if (failure != 0) tellCaller(pipes, launcherFailure("forking the sandbox", failure).what());
    pipes.clear(); // the intermediate has its copies; the caller keeps its own
}

} // namespace

void runLauncher(int socket) {
    try {
        // Only the socket stays open: the caller's other descriptors (another build's
        // pipes above all) must not be kept open by this long-lived process.
        if (::dup2(socket, kLauncherSocketFd) == -1) ::_exit(1);
        socket = kLauncherSocketFd;
        int devNull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devNull == -1 || ::dup2(devNull, 0) == -1 || ::dup2(devNull, 1) == -1 ||
            ::dup2(devNull, 2) == -1 || ::close_range(kLauncherSocketFd + 1, ~0U, 0) == -1)
            ::_exit(1);
        // A terminal's signals reach the caller, which then goes, and this process with it
        // (end of file on the socket); on its own it ignores them and a closed socket
        // (kLauncherIgnoredSignals). Every other signal gets its default, whatever purist's
        // own caller ignored, which is what lets each intermediate restore only those.
        resetSignalDispositions();
        struct sigaction ignore {};
        ignore.sa_handler = SIG_IGN;
        for (int sig : kLauncherIgnoredSignals) {
            if (::sigaction(sig, &ignore, nullptr) == -1) ::_exit(1);
        }
        sigset_t none;
        sigemptyset(&none);
        if (::sigprocmask(SIG_SETMASK, &none, nullptr) == -1) ::_exit(1);
        // The namespace probe runs beside the requests: its child takes a few ms, and
        // the caller may be gone before it wants the answer (a run with nothing to build
        // asks early, then exits), which must not keep it waiting.
        std::optional<NamespaceProbe> probe;
        for (;;) {
            reapExited(); // the probe's child too: its verdict is in its pipe
            pollfd fds[2] = {{socket, POLLIN, 0}, {probe ? probe->verdict.get() : -1, POLLIN, 0}};
            if (::poll(fds, 2, -1) == -1) {
                if (errno == EINTR) continue;
                throw launcherFailure("waiting for requests");
            }
            if (fds[1].revents) {
                sendMessage(socket, readProbeVerdict(*probe), nullptr, 0);
                probe.reset();
            }
            if (!fds[0].revents) continue;
            std::vector<FileDescriptor> pipes;
            std::optional<std::string> request = receiveMessage(socket, pipes, kPipeCount);
            if (!request) break; // the caller is gone, or done
            if (*request != std::string(1, kProbeRequest)) {
                serve(socket, *request, pipes);
            } else if (!probe) {
                try {
                    probe = startNamespaceProbe();
                } catch (const SysError& e) {
                    sendMessage(socket, std::string(1, '\0') + e.what(), nullptr, 0);
                    continue;
                }
                // While the probe's child runs (on the other CPU, or once this one waits).
                compileSeccompOnce();
            }
        }
        // Unanswered: no one asks any more. It is not reaped yet (its verdict would have
        // been read first), so the pid is still its own.
        if (probe && ::kill(probe->pid, SIGKILL) == -1)
            throw launcherFailure("ending the namespace probe");
    } catch (...) {
        // A broken socket or a bad message: there is no one left to tell. Builds already
        // started go on; purist still ends them through their control sockets.
        ::_exit(1);
    }
    ::_exit(0);
}

} // namespace purist::sandbox
