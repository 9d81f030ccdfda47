#include "sandbox/launcher.h"

#include "base/error.h"
#include "base/file_descriptor.h"
#include "sandbox/seccomp_filter.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
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

// The descriptors of one request, in ChildPipes order, passed as SCM_RIGHTS.
constexpr size_t kPipeCount = 4;
// Where the launcher keeps its end of the socket once it has closed everything else.
constexpr int kLauncherSocketFd = 3;
// A request larger than this is refused: a corrupt length, not a config.
constexpr uint32_t kMaxRequest = 64u << 20;

SandboxError launcherFailure(const std::string& step, int errorNumber = errno) {
    return SandboxError("sandbox launcher: " + std::string(SysError(errorNumber, step).what()));
}

// ---- The request: the fields of SandboxConfig the intermediate and builder use. ----

class Encoder {
public:
    void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
    void u32(uint32_t v) { out_.append(reinterpret_cast<const char*>(&v), sizeof v); }
    void u64(uint64_t v) { out_.append(reinterpret_cast<const char*>(&v), sizeof v); }
    void str(const std::string& s) {
        u32(static_cast<uint32_t>(s.size()));
        out_.append(s);
    }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

class Decoder {
public:
    explicit Decoder(std::string_view in) : in_(in) {}
    uint8_t u8() { return static_cast<uint8_t>(bytes(1)[0]); }
    uint32_t u32() { return fixed<uint32_t>(); }
    uint64_t u64() { return fixed<uint64_t>(); }
    std::string str() { return std::string(bytes(u32())); }
    void finish() const {
        if (!in_.empty()) throw SandboxError("sandbox launcher: trailing bytes in a request");
    }

private:
    template <typename T> T fixed() {
        T v;
        std::memcpy(&v, bytes(sizeof v).data(), sizeof v);
        return v;
    }
    std::string_view bytes(size_t n) {
        if (n > in_.size()) throw SandboxError("sandbox launcher: truncated request");
        std::string_view out = in_.substr(0, n);
        in_.remove_prefix(n);
        return out;
    }
    std::string_view in_;
};

std::string encodeConfig(const SandboxConfig& c) {
    Encoder e;
    e.u8(c.isolate);
    e.u8(c.hostNetwork);
    e.str(c.builder);
    e.u32(static_cast<uint32_t>(c.args.size()));
    for (const auto& arg : c.args)
        e.str(arg);
    e.u32(static_cast<uint32_t>(c.env.size()));
    for (const auto& [name, value] : c.env) {
        e.str(name);
        e.str(value);
    }
    e.str(c.sandboxRoot);
    e.str(c.storeDir);
    e.str(c.outputDir);
    e.str(c.buildDir);
    e.u32(static_cast<uint32_t>(c.mounts.size()));
    for (const auto& m : c.mounts) {
        e.str(m.source);
        e.str(m.target);
        e.u8(m.readOnly);
        e.u8(m.optional);
    }
    e.u8(c.buildUid.has_value());
    e.u32(c.buildUid.value_or(0));
    e.u32(c.buildGid.value_or(0));
    e.u64(c.maxProcesses);
    return e.take();
}

SandboxConfig decodeConfig(std::string_view bytes) {
    Decoder d(bytes);
    SandboxConfig c;
    c.isolate = d.u8();
    c.hostNetwork = d.u8();
    c.builder = d.str();
    for (uint32_t n = d.u32(); n > 0; --n)
        c.args.push_back(d.str());
    for (uint32_t n = d.u32(); n > 0; --n) {
        std::string name = d.str();
        c.env[name] = d.str();
    }
    c.sandboxRoot = d.str();
    c.storeDir = d.str();
    c.outputDir = d.str();
    c.buildDir = d.str();
    for (uint32_t n = d.u32(); n > 0; --n) {
        BindMount m;
        m.source = d.str();
        m.target = d.str();
        m.readOnly = d.u8();
        m.optional = d.u8();
        c.mounts.push_back(std::move(m));
    }
    bool hasUser = d.u8();
    uid_t uid = d.u32();
    gid_t gid = d.u32();
    if (hasUser) {
        c.buildUid = uid;
        c.buildGid = gid;
    }
    c.maxProcesses = d.u64();
    d.finish();
    return c;
}

// ---- Messages: a 32-bit length, the bytes, and descriptors on the first byte. ----

// Sends `payload` with `fds` attached. MSG_NOSIGNAL: a dead peer is EPIPE, not SIGPIPE.
void sendMessage(int socket, const std::string& payload, const int* fds, size_t fdCount) {
    uint32_t length = static_cast<uint32_t>(payload.size());
    std::string frame(reinterpret_cast<const char*>(&length), sizeof length);
    frame += payload;
    size_t sent = 0;
    while (sent < frame.size()) {
        iovec iov{frame.data() + sent, frame.size() - sent};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kPipeCount)];
        if (sent == 0 && fdCount > 0) {
            msg.msg_control = control;
            msg.msg_controllen = CMSG_SPACE(sizeof(int) * fdCount);
            cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
            cmsg->cmsg_level = SOL_SOCKET;
            cmsg->cmsg_type = SCM_RIGHTS;
            cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fdCount);
            std::memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * fdCount);
        }
        ssize_t n = ::sendmsg(socket, &msg, MSG_NOSIGNAL);
        if (n == -1) {
            if (errno == EINTR) continue;
            throw SysError("sending to the sandbox launcher's socket");
        }
        sent += static_cast<size_t>(n);
    }
}

// Receives one message and up to `maxFds` descriptors (owned by the caller afterwards, in
// `fds`). Returns nullopt at end of file before the first byte.
std::optional<std::string> receiveMessage(int socket, std::vector<FileDescriptor>& fds,
                                          size_t maxFds) {
    std::string frame;
    size_t want = sizeof(uint32_t);
    bool haveLength = false;
    while (frame.size() < want) {
        char buffer[65536];
        iovec iov{buffer, std::min(sizeof buffer, want - frame.size())};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kPipeCount)];
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        ssize_t n = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
        if (n == -1) {
            if (errno == EINTR) continue;
            throw SysError("reading the sandbox launcher's socket");
        }
        for (cmsghdr* cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
            if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
            size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < count; ++i) {
                int fd;
                std::memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof fd);
                fds.emplace_back(fd); // owned even when over the limit, so it is closed
            }
        }
        if (fds.size() > maxFds)
            throw SandboxError("sandbox launcher: a message carried too many descriptors");
        if (n == 0) {
            if (frame.empty()) return std::nullopt;
            throw SandboxError("sandbox launcher: the other end closed the socket mid-message");
        }
        frame.append(buffer, static_cast<size_t>(n));
        if (!haveLength && frame.size() == sizeof(uint32_t)) {
            uint32_t length;
            std::memcpy(&length, frame.data(), sizeof length);
            if (length > kMaxRequest)
                throw SandboxError("sandbox launcher: a message of " + std::to_string(length) +
                                   " bytes is too large");
            haveLength = true;
            want += length;
        }
    }
    return frame.substr(sizeof(uint32_t));
}

// ---- The launcher process. ----

// Reaps every intermediate that has exited, without waiting for the others.
void reapExited() {
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
}

// Serves one request: forks the intermediate. A failure before the fork is reported
// where the caller looks for set-up failures, the error pipe.
void serve(int socket, const std::string& request, std::vector<FileDescriptor>& pipes) {
    if (pipes.size() != kPipeCount) return; // the caller then reads EOF on every pipe
    try {
        SandboxConfig config = decodeConfig(request);
        ExecArguments exec(config);
        const SeccompPrograms* seccomp = config.isolate ? &compiledSeccompFilter() : nullptr;
        ChildSetup setup{&config,
                         identityFor(config),
                         &exec,
                         seccomp,
                         ChildPipes{pipes[0].get(), pipes[1].get(), pipes[2].get(), pipes[3].get()},
                         ::getpid()};
        // runIntermediate expects every signal blocked from its first instruction.
        sigset_t all, previous;
        sigfillset(&all);
        if (::sigprocmask(SIG_SETMASK, &all, &previous) == -1)
            throw launcherFailure("blocking signals");
        pid_t pid = ::fork();
        int forkErrno = errno;
        if (pid == 0) {
            ::close(socket);
            runIntermediate(setup);
        }
        ::sigprocmask(SIG_SETMASK, &previous, nullptr);
        if (pid == -1) throw launcherFailure("forking the sandbox", forkErrno);
    } catch (const std::exception& e) {
        std::string_view message = e.what();
        // Best effort: if even this fails, the caller reads EOF and says so.
        (void)!::write(pipes[1].get(), message.data(), message.size());
    }
    pipes.clear(); // the intermediate has its copies; the caller keeps its own
}

[[noreturn]] void runLauncher(int socket) {
    try {
        // Only the socket stays open: the caller's other descriptors (another build's
        // pipes above all) must not be kept open by this long-lived process.
        if (::dup2(socket, kLauncherSocketFd) == -1) ::_exit(1);
        socket = kLauncherSocketFd;
        int devNull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devNull == -1 || ::dup2(devNull, 0) == -1 || ::dup2(devNull, 1) == -1 ||
            ::dup2(devNull, 2) == -1 || ::close_range(kLauncherSocketFd + 1, ~0U, 0) == -1)
            ::_exit(1);
        // A terminal's ^C reaches the caller, which then goes, and this process with it
        // (end of file on the socket); on its own it ignores ^C and a closed socket.
        struct sigaction ignore {};
        ignore.sa_handler = SIG_IGN;
        if (::sigaction(SIGINT, &ignore, nullptr) == -1 ||
            ::sigaction(SIGPIPE, &ignore, nullptr) == -1)
            ::_exit(1);
        sigset_t none;
        sigemptyset(&none);
        if (::sigprocmask(SIG_SETMASK, &none, nullptr) == -1) ::_exit(1);
        for (;;) {
            reapExited();
            std::vector<FileDescriptor> pipes;
            std::optional<std::string> request = receiveMessage(socket, pipes, kPipeCount);
            if (!request) break; // the caller is gone, or done
            serve(socket, *request, pipes);
        }
    } catch (...) {
        // A broken socket or a bad message: there is no one left to tell. The
        // intermediates get SIGTERM when this process exits.
        ::_exit(1);
    }
    ::_exit(0);
}

// ---- The caller's side. ----

struct LauncherState {
    std::mutex mutex;
    FileDescriptor socket;
    pid_t pid = -1;   // the launcher
    pid_t owner = -1; // the process that started it
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

LauncherState& state() {
    static LauncherState* s = [] {
        g_state = new LauncherState;
        if (int rc = ::pthread_atfork(nullptr, nullptr, forgetLauncherInChild); rc != 0)
            throw launcherFailure("registering its fork handler", rc);
        return g_state;
    }();
    return *s;
}

// Starts a launcher for this process. Called with the state's mutex held.
void startLauncher(LauncherState& st) {
    // The filter is compiled once per process, under a once-flag: done here, before the
    // fork, the launcher inherits it instead of ever finding that flag held by a thread
    // the fork did not copy. A failure is thrown again where a strict build asks for it.
    try {
        compiledSeccompFilter();
    } catch (const SandboxError&) {
    }
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
    // No handler of the caller may run in the launcher before it has set its own.
    sigset_t all, previous;
    sigfillset(&all);
    if (int rc = ::pthread_sigmask(SIG_SETMASK, &all, &previous); rc != 0)
        throw launcherFailure("blocking signals", rc);
    pid_t pid = ::fork();
    int forkErrno = errno;
    if (pid == 0) runLauncher(theirs.get());
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    if (pid == -1) throw launcherFailure("forking it", forkErrno);
    st.socket = std::move(ours);
    st.pid = pid;
    st.owner = ::getpid();
}

} // namespace

void launchIntermediate(const SandboxConfig& config, const ChildPipes& pipes) {
    const std::string request = encodeConfig(config);
    const int fds[kPipeCount] = {pipes.log, pipes.error, pipes.status, pipes.control};
    LauncherState& st = state();
    std::lock_guard lock(st.mutex);
    if (st.owner != ::getpid() || !st.socket) startLauncher(st);
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
