#include "sandbox/sandbox.h"

#include "base/error.h"
#include "base/file_descriptor.h"
#include "sandbox/child_process.h"
#include "sandbox/log_filter.h"
#include "sandbox/mounts.h"
#include "sandbox/namespaces.h"
#include "sandbox/seccomp_filter.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <mutex>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace purist::sandbox {
namespace {

using Clock = std::chrono::steady_clock;

// After the builder is gone, how long to keep reading a log pipe someone else still holds
// open (a descriptor passed out over a socket in a host-network build).
constexpr auto kLogDrainLimit = std::chrono::seconds(2);

// A failed system call of the parent, as the SandboxError runInSandbox promises.
SandboxError sysFailure(const std::string& step, int errorNumber = errno) {
    return SandboxError(SysError(errorNumber, step).what());
}

struct Pipe {
    FileDescriptor read, write;
};

Pipe makePipe(const char* what) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) == -1) throw sysFailure(std::string("creating the ") + what);
    return {FileDescriptor(fds[0]), FileDescriptor(fds[1])};
}

bool isEmptyDirectory(const std::string& path) {
    DIR* dir = ::opendir(path.c_str());
    if (!dir) return false;
    std::unique_ptr<DIR, int (*)(DIR*)> closer(dir, ::closedir);
    while (dirent* entry = ::readdir(dir)) {
        std::string_view name = entry->d_name;
        if (name != "." && name != "..") return false;
    }
    return true;
}

bool isDirectory(const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

// Refuses a configuration the sandbox cannot honour before anything is forked, so the
// error names the field and no weaker sandbox is ever set up instead.
void validate(const SandboxConfig& config) {
    auto fail = [](const std::string& message) { throw SandboxError("sandbox: " + message); };
    if (config.builder.empty() || config.builder[0] != '/')
        fail("the builder must be an absolute path, not '" + config.builder + "'");
    if (config.buildUid.has_value() != config.buildGid.has_value())
        fail("buildUid and buildGid must be given together");
    bool root = ::geteuid() == 0;
    if (root && !config.buildUid)
        fail("running as root needs a build user (buildUid/buildGid); a builder never runs as "
             "root");
    if (!root && config.buildUid)
        fail("a build user (buildUid) can only be used when purist runs as root");
    if (config.buildUid && (*config.buildUid == 0 || *config.buildGid == 0))
        fail("the build user and group must not be root");
    if (!isDirectory(config.buildDir))
        fail("the build directory '" + config.buildDir + "' does not exist");
    if (!config.isolate) return;
    if (!isCleanAbsolutePath(config.storeDir) || config.storeDir == "/")
        fail("the store dir '" + config.storeDir + "' must be a clean absolute path");
    if (!isDirectory(config.sandboxRoot) || !isEmptyDirectory(config.sandboxRoot))
        fail("the sandbox root '" + config.sandboxRoot + "' must be an existing empty directory");
    if (!isCleanAbsolutePath(config.outputDir) || !isDirectory(config.outputDir))
        fail("the output directory '" + config.outputDir +
             "' must be an existing directory, given as a clean absolute path");
    for (const auto& m : config.mounts) {
        if (!isCleanAbsolutePath(m.target) || m.target == "/")
            fail("the mount target '" + m.target + "' must be a clean absolute path below /");
        if (m.source.empty() || m.source[0] != '/')
            fail("the mount source '" + m.source + "' must be an absolute path");
    }
}

SandboxIdentity identityFor(const SandboxConfig& config) {
    if (config.buildUid) return {*config.buildUid, *config.buildGid, false};
    return {1000, 100, true};
}

// The forked intermediate process, killed (with everything it started) and reaped when
// this owner goes away, whatever the reason.
class IntermediateProcess {
public:
    explicit IntermediateProcess(pid_t pid) : pid_(pid) {}
    IntermediateProcess(const IntermediateProcess&) = delete;
    IntermediateProcess& operator=(const IntermediateProcess&) = delete;
    ~IntermediateProcess() {
        if (pid_ <= 0) return;
        requestKill();
        int status;
        while (::waitpid(pid_, &status, 0) == -1 && errno == EINTR) {
        }
    }

    // The intermediate answers SIGTERM by killing the builder with SIGKILL; it never dies of
    // it, because it has SIGTERM blocked from its first instruction.
    // A failure means the intermediate is already gone, which wait() then reports.
    void requestKill() const { ::kill(pid_, SIGTERM); }

    int wait() {
        int status = 0;
        while (::waitpid(pid_, &status, 0) == -1) {
            if (errno != EINTR) throw sysFailure("waiting for the sandbox");
        }
        pid_ = -1;
        return status;
    }

    /// Gives up ownership without waiting; the caller reaps the process.
    pid_t release() { return std::exchange(pid_, -1); }

private:
    pid_t pid_;
};

// Intermediates that have reported their builder's end and only have to exit. Their exit
// tears down the build's namespaces (mounts, network), which takes a while and need not
// delay the caller: they are reaped without waiting at the next runInSandbox, and the
// rest at the end of the process. A zombie until then, an intermediate's pid cannot be
// reused, so waitpid on it is safe at any time.
class LateReaper {
public:
    void add(pid_t pid) {
        std::lock_guard lock(mutex_);
        pending_.push_back(pid);
    }

    void reapExited() {
        std::lock_guard lock(mutex_);
        std::erase_if(pending_, [](pid_t pid) {
            int status;
            pid_t reaped = ::waitpid(pid, &status, WNOHANG);
            // -1 (ECHILD) only if someone else reaped it, which sandbox.h asks not to do.
            return reaped == pid || reaped == -1;
        });
    }

    ~LateReaper() {
        for (pid_t pid : pending_) {
            int status;
            while (::waitpid(pid, &status, 0) == -1 && errno == EINTR) {
            }
        }
    }

private:
    std::mutex mutex_;
    std::vector<pid_t> pending_;
};

LateReaper& lateReaper() {
    static LateReaper reaper;
    return reaper;
}

// Reads everything the set-up steps wrote to the error pipe, up to EOF (exec or exit).
std::string readAll(int fd, const char* what) {
    std::string out;
    char buffer[4096];
    while (size_t n = readSome(fd, buffer, sizeof buffer, what))
        out.append(buffer, n);
    return out;
}

// Reads exactly one int32 from the status pipe; nullopt at EOF.
std::optional<int32_t> readInt(int fd) {
    int32_t value = 0;
    size_t have = 0;
    while (have < sizeof value) {
        size_t n = readSome(fd, reinterpret_cast<char*>(&value) + have, sizeof value - have,
                            "the sandbox status pipe");
        if (n == 0) return std::nullopt;
        have += n;
    }
    return value;
}

int millisecondsUntil(Clock::time_point deadline, Clock::time_point now) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
    return static_cast<int>(std::clamp<long long>(left, 0, 24 * 3600 * 1000));
}

// Collects the filtered log of one build: lines go to the log file and the callback.
class LogSink {
public:
    explicit LogSink(const SandboxConfig& config)
        : onLogLine_(config.onLogLine), filter_([this](std::string_view line) { take(line); }) {
        if (!config.logPath.empty()) {
            logPath_ = config.logPath;
            logFile_ = openFile(logPath_, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        }
    }

    void feed(std::string_view bytes) {
        filter_.feed(bytes);
        flush();
    }

    void finish() {
        filter_.finish();
        flush();
        if (logFile_) logFile_.close();
    }

private:
    void take(std::string_view line) {
        if (logFile_) {
            pending_.append(line);
            pending_.push_back('\n');
        }
        if (onLogLine_) onLogLine_(line);
    }

    // One write per chunk read, not per line.
    void flush() {
        if (pending_.empty()) return;
        writeAll(logFile_.get(), pending_, "the build log '" + logPath_ + "'");
        pending_.clear();
    }

    const std::function<void(std::string_view)>& onLogLine_;
    LogFilter filter_;
    std::string logPath_;
    FileDescriptor logFile_;
    std::string pending_;
};

// Reads the log until the builder is gone, enforcing the timeouts, and returns its wait
// status as the intermediate reported it.
int superviseBuild(const SandboxConfig& config, IntermediateProcess& intermediate, int logFd,
                   int statusFd, SandboxResult& result, Clock::time_point start) {
    LogSink sink(config);
    std::optional<Clock::time_point> hardDeadline;
    if (config.timeout.count() > 0) hardDeadline = start + config.timeout;
    Clock::time_point lastOutput = start;
    std::optional<Clock::time_point> drainDeadline;
    bool killRequested = false, logOpen = true;
    std::optional<int32_t> waitStatus;

    while (logOpen || !waitStatus) {
        Clock::time_point now = Clock::now();
        if (!killRequested && !waitStatus) {
            if (hardDeadline && now >= *hardDeadline) {
                result.timedOut = true;
            } else if (config.maxSilentTime.count() > 0 &&
                       now >= lastOutput + config.maxSilentTime) {
                result.silentTooLong = true;
            }
            if (result.timedOut || result.silentTooLong) {
                intermediate.requestKill();
                killRequested = true;
            }
        }
        if (waitStatus && now >= *drainDeadline) break;

        int timeoutMs = -1;
        if (waitStatus) {
            timeoutMs = millisecondsUntil(*drainDeadline, now);
        } else if (!killRequested) {
            if (hardDeadline) timeoutMs = millisecondsUntil(*hardDeadline, now);
            if (config.maxSilentTime.count() > 0) {
                int silent = millisecondsUntil(lastOutput + config.maxSilentTime, now);
                timeoutMs = timeoutMs < 0 ? silent : std::min(timeoutMs, silent);
            }
        }

        pollfd fds[2];
        nfds_t count = 0;
        if (logOpen) fds[count++] = {logFd, POLLIN, 0};
        if (!waitStatus) fds[count++] = {statusFd, POLLIN, 0};
        int ready = ::poll(fds, count, timeoutMs);
        if (ready == -1) {
            if (errno == EINTR) continue;
            throw sysFailure("polling the build's log");
        }
        for (nfds_t i = 0; i < count; ++i) {
            if (!fds[i].revents) continue;
            if (fds[i].fd == logFd) {
                char buffer[65536];
                size_t n = readSome(logFd, buffer, sizeof buffer, "the build's log pipe");
                if (n == 0) {
                    logOpen = false;
                } else {
                    lastOutput = Clock::now();
                    sink.feed(std::string_view(buffer, n));
                }
            } else {
                waitStatus = readInt(statusFd);
                if (!waitStatus)
                    throw SandboxError("sandbox: the supervising process died before the builder "
                                       "finished");
                drainDeadline = Clock::now() + kLogDrainLimit;
            }
        }
    }
    sink.finish();
    return *waitStatus;
}

} // namespace

SandboxResult runInSandbox(const SandboxConfig& config) {
    lateReaper().reapExited();
    validate(config);
    Clock::time_point start = Clock::now();
    SandboxIdentity identity = identityFor(config);
    ExecArguments exec(config);
    const SeccompPrograms* seccomp = config.isolate ? &compiledSeccompFilter() : nullptr;

    // The build user must be able to write its build directory, and no one else may.
    if (config.buildUid) {
        if (::chown(config.buildDir.c_str(), *config.buildUid, *config.buildGid) == -1 ||
            ::chmod(config.buildDir.c_str(), 0700) == -1)
            throw sysFailure("giving the build directory '" + config.buildDir +
                             "' to the build user");
    }

    Pipe logPipe = makePipe("log pipe");
    Pipe errorPipe = makePipe("error pipe");
    Pipe statusPipe = makePipe("status pipe");
    ChildSetup setup{&config,
                     identity,
                     &exec,
                     seccomp,
                     ChildPipes{logPipe.write.get(), errorPipe.write.get(), statusPipe.write.get()},
                     ::getpid()};

    // Every signal is blocked across fork(): the child must not run a handler of the
    // caller's before it has reset them, and SIGTERM must stay blocked in the intermediate.
    sigset_t all, previous;
    sigfillset(&all);
    if (int rc = ::pthread_sigmask(SIG_SETMASK, &all, &previous); rc != 0)
        throw sysFailure("blocking signals", rc);
    pid_t pid = ::fork();
    int forkErrno = errno;
    if (pid == 0) runIntermediate(setup);
    if (pid == -1) {
        ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
        throw sysFailure("forking the sandbox", forkErrno);
    }
    IntermediateProcess intermediate(pid);
    if (int rc = ::pthread_sigmask(SIG_SETMASK, &previous, nullptr); rc != 0)
        throw sysFailure("restoring the signal mask", rc);
    logPipe.write.close();
    errorPipe.write.close();
    statusPipe.write.close();

    std::string setupError = readAll(errorPipe.read.get(), "the sandbox error pipe");
    if (!setupError.empty()) {
        intermediate.wait();
        throw SandboxError("setting up the sandbox for '" + config.builder + "': " + setupError);
    }
    if (!readInt(statusPipe.read.get())) {
        int status = intermediate.wait();
        throw SandboxError("setting up the sandbox for '" + config.builder +
                           "': the supervising process exited with status " +
                           std::to_string(status));
    }

    SandboxResult result;
    int status = superviseBuild(config, intermediate, logPipe.read.get(), statusPipe.read.get(),
                                result, start);
    // The status arrives only once the builder and (in a PID namespace) every process it
    // started are gone; the intermediate exits right after sending it.
    lateReaper().add(intermediate.release());
    if (WIFEXITED(status)) result.exitCode = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
    result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    return result;
}

bool canIsolate(std::string* why) {
    static std::once_flag once;
    static bool possible = false;
    static std::string reason;
    std::call_once(once, [] { possible = probeNamespaces(&reason); });
    if (!possible && why) *why = reason;
    return possible;
}

} // namespace purist::sandbox
