#include "sandbox/launcher.h"

#include "base/error.h"
#include "base/file_descriptor.h"
#include "sandbox/launcher_protocol.h"

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <new>
#include <optional>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace purist::sandbox {
namespace {

struct LauncherState {
    std::mutex mutex;
    FileDescriptor socket;
    pid_t pid = -1;          // the launcher
    pid_t owner = -1;        // the process that started it
    bool probeAsked = false; // a probe request sent, its answer not read yet
};

// Set once, never destroyed: forked children use it too.
LauncherState* g_state = nullptr;

// A forked child of the caller must not talk to its parent's launcher: it gets its own on
// first use. Runs in the child only, where no other thread exists, so the mutex (perhaps
// held by another thread of the parent at the fork) is made anew.
void forgetLauncherInChild() {
    if (!g_state) return;
    g_state->socket = FileDescriptor();
    g_state->pid = -1;
    g_state->owner = -1;
    new (&g_state->mutex) std::mutex;
}

// At exit: closes the socket, which ends the launcher, and waits for it, so that it does
// not outlive purist and its CPU time (with that of the builds it reaped) counts as
// purist's. Nothing to do in a forked child whose parent started the launcher.
void stopLauncherAtExit() {
    if (!g_state || g_state->owner != ::getpid() || g_state->pid <= 0) return;
    g_state->socket = FileDescriptor();
    while (::waitpid(g_state->pid, nullptr, 0) == -1 && errno == EINTR) {
    }
}

LauncherState& state() {
    static LauncherState* s = [] {
        g_state = new LauncherState;
        if (int rc = ::pthread_atfork(nullptr, nullptr, forgetLauncherInChild); rc != 0)
            throw launcherFailure("registering its fork handler", rc);
        if (std::atexit(stopLauncherAtExit) != 0)
            throw SandboxError("sandbox launcher: cannot register its exit handler");
        return g_state;
    }();
    return *s;
}

// Starts a launcher for this process. Called with the state's mutex held.
// The helper's path: next to the running executable (the build puts purist and
// purist-sandbox in one directory), else where this build of the library put it (tests
// and benchmarks run from elsewhere).
std::string helperPath() {
    std::error_code error;
    std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
    std::string beside = error ? std::string() : (self.parent_path() / "purist-sandbox").string();
    for (const std::string& candidate : {beside, std::string(PURIST_SANDBOX_HELPER)})
        if (!candidate.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    throw SandboxError("the sandbox helper purist-sandbox is missing: looked for " +
                       (beside.empty() ? std::string() : beside + " and ") + PURIST_SANDBOX_HELPER);
}

void startLauncher(LauncherState& st) {
    const std::string helper = helperPath();
    if (st.pid > 0) {
        // The previous one is gone (its socket broke): reap it.
        ::waitpid(st.pid, nullptr, WNOHANG);
        st.pid = -1;
    }
    st.socket = FileDescriptor();
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == -1)
        throw launcherFailure("creating its socket");
    FileDescriptor ours(fds[0]), theirs(fds[1]);
    char* const argv[] = {const_cast<char*>("purist-sandbox"), nullptr};
    char* const envp[] = {nullptr};
    // No handler of the caller may run in the child before the exec resets them.
    sigset_t all, previous;
    sigfillset(&all);
    if (int rc = ::pthread_sigmask(SIG_SETMASK, &all, &previous); rc != 0)
        throw launcherFailure("blocking signals", rc);
    pid_t pid = ::fork();
    int forkErrno = errno;
    if (pid == 0) {
        // Only the socket crosses the exec, at the descriptor the helper expects. The
        // caller's other descriptors (another build's pipes above all) are closed: this
        // process lives as long as the caller.
        if (::dup2(theirs.get(), kLauncherSocketFd) == -1 ||
            ::close_range(kLauncherSocketFd + 1, ~0U, 0) == -1)
            ::_exit(126);
        ::execve(helper.c_str(), argv, envp);
        ::_exit(127);
    }
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    if (pid == -1) throw launcherFailure("forking it", forkErrno);
    st.socket = std::move(ours);
    st.pid = pid;
    st.owner = ::getpid();
    st.probeAsked = false;
}

// Sends a probe request, once per launcher. Called with the state's mutex held.
void askProbe(LauncherState& st) {
    if (st.probeAsked) return;
    sendMessage(st.socket.get(), std::string(1, kProbeRequest), nullptr, 0);
    st.probeAsked = true;
}

// The launcher, started if needed. Called with the state's mutex held.
LauncherState& ensureLauncher(LauncherState& st) {
    if (st.owner != ::getpid() || !st.socket) startLauncher(st);
    return st;
}

} // namespace

void startLauncherEarly() {
    LauncherState& st = state();
    std::lock_guard lock(st.mutex);
    askProbe(ensureLauncher(st));
}

bool probeIsolation(std::string* why) {
    LauncherState& st = state();
    std::lock_guard lock(st.mutex);
    askProbe(ensureLauncher(st));
    std::vector<FileDescriptor> none;
    std::optional<std::string> answer = receiveMessage(st.socket.get(), none, 0);
    st.probeAsked = false;
    if (!answer || answer->empty()) {
        st.socket = FileDescriptor(); // started anew on the next request
        throw SandboxError("sandbox launcher: it exited before answering the namespace probe");
    }
    if (why) *why = answer->substr(1);
    return (*answer)[0] == '\1';
}

void launchIntermediate(const SandboxConfig& config, const ChildPipes& pipes) {
    const std::string request = kLaunchRequest + encodeConfig(config);
    const int fds[kPipeCount] = {pipes.log, pipes.error, pipes.status, pipes.control};
    LauncherState& st = state();
    std::lock_guard lock(st.mutex);
    ensureLauncher(st);
    try {
        sendMessage(st.socket.get(), request, fds, kPipeCount);
    } catch (const SysError&) {
        // The launcher died since the last build (killed, or out of memory). The request
        // cannot have been served in part (the descriptors go with its first byte), so a
        // new launcher takes it.
        startLauncher(st);
        sendMessage(st.socket.get(), request, fds, kPipeCount);
    }
}

} // namespace purist::sandbox