#include "sandbox/launcher.h"

#include "base/error.h"
#include "base/file_descriptor.h"
#include "base/install_layout.h"
#include "sandbox/launcher_protocol.h"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

// At exit: kills the launcher and waits for it, so that it does not outlive purist and its
// CPU time (with that of the builds it reaped) counts as purist's. Killed, not asked: it
// has nothing to finish (a build's intermediate is its own process, and ends with its
// control socket), and a run that built nothing would otherwise wait for its start-up and
// namespace probe, a few ms (its probe's child dies with it). Nothing to do in a forked
// child whose parent started the launcher.
void stopLauncherAtExit() {
    if (!g_state || g_state->owner != ::getpid() || g_state->pid <= 0) return;
    // Another thread still talking to the launcher (exit() called mid-build) keeps it:
    // the kernel closes the socket when the process is gone.
    std::unique_lock lock(g_state->mutex, std::try_to_lock);
    if (!lock) return;
    g_state->socket = FileDescriptor();
    // The launcher is not reaped until the wait below (purist does not ignore SIGCHLD:
    // cli/main.cc), so the pid is still its own; an exit handler has no one to report a
    // failure to, and the closed socket ends the launcher anyway.
    if (::kill(g_state->pid, SIGKILL) == -1) return;
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

// The helper's path: the first of base/install_layout.h's candidates that is there, i.e.
// beside the running executable, else <prefix>/libexec/purist from <prefix>/bin, else (for
// a test or benchmark run from the build tree only) the build tree's copy. Never silently
// a build tree's helper for an installed or copied purist.
std::string helperPath() {
    const std::string self = runningExecutable();
    const auto candidates = installCandidates(InstallDir::Libexec, "purist-sandbox", self);
    std::string looked;
    for (const InstallCandidate& candidate : candidates) {
        looked += (looked.empty() ? "" : ", ") + candidate.path;
        if (!candidate.inBuildTree) {
            if (::access(candidate.path.c_str(), X_OK) == 0) return candidate.path;
            continue;
        }
        // The build tree's copy is trusted only as a file no one but its owner, root or
        // this user, can change: purist may run as root.
        struct stat info {};
        if (::stat(candidate.path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
            (info.st_uid == 0 || info.st_uid == ::geteuid()) &&
            !(info.st_mode & (S_IWGRP | S_IWOTH)) && ::access(candidate.path.c_str(), X_OK) == 0)
            return candidate.path;
        looked += " (owned by root or by this user, and writable by no one else)";
    }
    if (self.empty())
        throw SandboxError("the sandbox helper purist-sandbox cannot be found: where purist "
                           "runs from is unknown (/proc/self/exe cannot be read)");
    throw SandboxError("the sandbox helper purist-sandbox is missing: looked for " + looked +
                       "; it is installed with purist (in <prefix>/libexec/purist), or copy "
                       "it beside " +
                       self);
}

// Starts a launcher for this process. Called with the state's mutex held.
void startLauncher(LauncherState& st) {
    const std::string helper = helperPath();
    if (st.pid > 0) {
        // The previous one is gone, or going (its socket broke): reap it.
        while (::waitpid(st.pid, nullptr, 0) == -1 && errno == EINTR) {
        }
        st.pid = -1;
    }
    st.socket = FileDescriptor();
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == -1)
        throw launcherFailure("creating its socket");
    FileDescriptor ours(fds[0]), theirs(fds[1]);
    // posix_spawn, not fork: purist's memory is not copied, so purist does not pay a
    // copy-on-write fault on every page it writes for the rest of the run (hundreds, at
    // 11-15 us each on a VM). glibc starts the child with CLONE_VM | CLONE_VFORK, safe in
    // a process with threads because the child only runs these file actions, with every
    // signal blocked, then execs; a failed exec is its return value.
    // Only the socket crosses the exec, at the descriptor the helper expects. The caller's
    // other descriptors (another build's pipes above all) are closed: this process lives
    // as long as the caller. If the socket is there already (purist started with a
    // standard descriptor closed), the dup2 action clears its close-on-exec flag.
    posix_spawn_file_actions_t actions;
    if (int rc = ::posix_spawn_file_actions_init(&actions); rc != 0)
        throw launcherFailure("preparing to start it", rc);
    std::unique_ptr<posix_spawn_file_actions_t, int (*)(posix_spawn_file_actions_t*)> destroy(
        &actions, ::posix_spawn_file_actions_destroy);
    if (int rc = ::posix_spawn_file_actions_adddup2(&actions, theirs.get(), kLauncherSocketFd);
        rc != 0)
        throw launcherFailure("preparing its socket", rc);
    if (int rc = ::posix_spawn_file_actions_addclosefrom_np(&actions, kLauncherSocketFd + 1);
        rc != 0)
        throw launcherFailure("preparing to close the caller's descriptors", rc);
    char* const argv[] = {const_cast<char*>("purist-sandbox"), nullptr};
    char* const envp[] = {nullptr};
    pid_t pid = -1;
    if (int rc = ::posix_spawn(&pid, helper.c_str(), &actions, nullptr, argv, envp); rc != 0)
        throw launcherFailure("starting " + helper, rc);
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
    } catch (const SysError& e) {
        // Only a launcher that is gone (killed, or out of memory) is replaced: the request
        // cannot have been served in part (the descriptors go with its first byte), so a
        // new launcher takes it. Any other failure is this build's.
        if (e.errorNumber() != EPIPE && e.errorNumber() != ECONNRESET) throw;
        startLauncher(st);
        sendMessage(st.socket.get(), request, fds, kPipeCount);
    }
}

} // namespace purist::sandbox