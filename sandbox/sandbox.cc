#include "sandbox/sandbox.h"

#include "base/error.h"
#include "base/file_descriptor.h"
#include "policy/settings.h"
#include "sandbox/cgroup.h"
#include "sandbox/child_process.h"
#include "sandbox/launcher.h"
#include "sandbox/log_filter.h"
#include "sandbox/mounts.h"
#include "sandbox/namespaces.h"

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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>

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

// exec(2) takes at most MAX_ARG_STRLEN (32 pages) per argument or environment entry and
// ARG_MAX in all. A spec past them failed deep in the sandbox (E2BIG), or, past the 64 MiB a
// launcher request may hold, as "Broken pipe" when the launcher hung up on it (issue 10).
// It is the spec's fault, so a BuildError naming the entry.
void checkExecLimits(const SandboxConfig& config) {
    constexpr size_t kMaxArgument = 32 * 4096;
    const long argMax = ::sysconf(_SC_ARG_MAX);
    size_t total = 0;
    auto count = [&](const std::string& what, size_t length) {
        if (length + 1 > kMaxArgument)
            throw BuildError("sandbox: " + what + " is " + std::to_string(length) +
                             " bytes; exec(2) takes at most " + std::to_string(kMaxArgument - 1) +
                             " bytes per argument or environment variable");
        total += length + 1 + sizeof(char*);
    };
    count("the builder path", config.builder.size());
    for (size_t i = 0; i < config.args.size(); ++i)
        count("argument " + std::to_string(i + 1), config.args[i].size());
    for (const auto& [name, value] : config.env)
        count("environment variable " + name, name.size() + 1 + value.size());
    if (argMax > 0 && total > static_cast<size_t>(argMax))
        throw BuildError("sandbox: the builder's arguments and environment take " +
                         std::to_string(total) + " bytes; exec(2) takes at most " +
                         std::to_string(argMax) + " here");
}

// Refuses a configuration the sandbox cannot honour before anything is forked, so the
// error names the field and no weaker sandbox is ever set up instead.
void validate(const SandboxConfig& config) {
    auto fail = [](const std::string& message) { throw SandboxError("sandbox: " + message); };
    if (config.builder.empty() || config.builder[0] != '/')
        fail("the builder must be an absolute path, not '" + config.builder + "'");
    if (config.buildUid.has_value() != config.buildGid.has_value())
        fail("buildUid and buildGid must be given together");
    checkExecLimits(config);
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
    bool anyFromStore = false;
    for (const auto& m : config.mounts) {
        if (!isCleanAbsolutePath(m.target) || m.target == "/")
            fail("the mount target '" + m.target + "' must be a clean absolute path below /");
        if (m.fromStore) {
            // `..` would climb out of the store dir (mounts.cc refuses it again).
            if (m.source.empty() || !isCleanAbsolutePath("/" + m.source))
                fail("the store mount source '" + m.source +
                     "' must be a clean path relative to the store dir");
            anyFromStore = true;
        } else if (m.source.empty() || m.source[0] != '/') {
            fail("the mount source '" + m.source + "' must be an absolute path");
        }
    }
    if (anyFromStore && (!isCleanAbsolutePath(config.realStoreDir) || config.realStoreDir == "/"))
        fail("the real store dir '" + config.realStoreDir + "' must be a clean absolute path");
}

// The intermediate process of one build, as the caller reaches it: the caller's end of
// its control socket, and its status pipe. It is the launcher's child (the launcher reaps
// it); until it exits, it holds the status pipe open. When this owner goes away early,
// whatever the reason, the build is killed and the intermediate's exit awaited.
class IntermediateProcess {
public:
    IntermediateProcess(FileDescriptor control, int statusFd)
        : control_(std::move(control)), statusFd_(statusFd) {}
    IntermediateProcess(const IntermediateProcess&) = delete;
    IntermediateProcess& operator=(const IntermediateProcess&) = delete;
    ~IntermediateProcess() {
        if (done_) return;
        requestKill();
        try {
            wait();
        } catch (const Error&) {
            // A destructor cannot throw; closing the control socket below ends the build.
        }
    }

    // The intermediate answers by killing the builder with SIGKILL. A failure means it is
    // gone already (EPIPE) or has a request pending (EAGAIN): nothing left to ask.
    void requestKill() const { (void)::send(control_.get(), "k", 1, MSG_NOSIGNAL | MSG_DONTWAIT); }

    // Waits until the intermediate has exited: the end of its status pipe.
    void wait() {
        char buffer[64];
        while (readSome(statusFd_, buffer, sizeof buffer, "the sandbox status pipe") > 0) {
        }
        done_ = true;
    }

    // The builder is gone and the intermediate only exits (tearing down the build's
    // namespaces, which takes a while): the caller need not wait for that.
    void forget() { done_ = true; }

private:
    FileDescriptor control_;
    int statusFd_;
    bool done_ = false;
};

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

// Collects the filtered log of one build: lines go to the log file and the callback, up
// to max-log-size bytes of the builder's output; past it, nothing more is kept or echoed.
class LogSink {
public:
    explicit LogSink(const SandboxConfig& config)
        : onLogLine_(config.onLogLine), maxSize_(config.maxLogSize),
          filter_([this](std::string_view line) { take(line); }) {
        if (!config.logPath.empty()) {
            logPath_ = config.logPath;
            logFile_ = openFile(logPath_, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        }
    }

    /// Returns false once the log has grown past max-log-size: the build must be killed.
    /// The log then ends with a line saying why.
    bool feed(std::string_view bytes) {
        if (full_) return false;
        if (maxSize_ > 0 && bytes.size() > maxSize_ - received_) {
            filter_.feed(bytes.substr(0, maxSize_ - received_));
            filter_.finish();
            take("purist: the build log exceeded max-log-size (" + policy::formatSize(maxSize_) +
                 "); the build was killed");
            flush();
            full_ = true;
            return false;
        }
        received_ += bytes.size();
        filter_.feed(bytes);
        flush();
        return true;
    }

    void finish() {
        if (!full_) filter_.finish();
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
    uint64_t maxSize_;
    uint64_t received_ = 0;
    bool full_ = false;
    LogFilter filter_;
    std::string logPath_;
    FileDescriptor logFile_;
    std::string pending_;
};

// How often a build's cgroup is asked whether a limit was hit, when the kernel cannot
// notify (v1 pids): a fork bomb is stopped within this.
constexpr auto kCgroupPollInterval = std::chrono::milliseconds(200);

// Reads the log until the builder is gone, enforcing the timeouts and the limits, and
// returns its wait status as the intermediate reported it.
int superviseBuild(const SandboxConfig& config, IntermediateProcess& intermediate,
                   const BuildCgroup* cgroup, int logFd, int statusFd, SandboxResult& result,
                   Clock::time_point start) {
    LogSink sink(config);
    auto limitExceeded = [&](ExceededLimit which) {
        if (result.exceeded != ExceededLimit::None) return;
        result.exceeded = which;
        intermediate.requestKill();
        if (cgroup) cgroup->killAll();
    };
    auto checkCgroup = [&] {
        if (!cgroup) return;
        switch (cgroup->limitHit()) {
        case CgroupLimit::Memory:
            return limitExceeded(ExceededLimit::Memory);
        case CgroupLimit::Processes:
            return limitExceeded(ExceededLimit::Processes);
        case CgroupLimit::None:
            return;
        }
    };
    bool pollCgroup = cgroup && cgroup->needsPolling();
    int cgroupEvents = cgroup ? cgroup->eventFd() : -1;
    Clock::time_point nextCgroupPoll = start + kCgroupPollInterval;
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
        if (pollCgroup && !waitStatus && now >= nextCgroupPoll) {
            checkCgroup();
            nextCgroupPoll = now + kCgroupPollInterval;
        }

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
        if (pollCgroup && !waitStatus) {
            int untilCheck = millisecondsUntil(nextCgroupPoll, now);
            timeoutMs = timeoutMs < 0 ? untilCheck : std::min(timeoutMs, untilCheck);
        }

        pollfd fds[3];
        nfds_t count = 0;
        if (logOpen) fds[count++] = {logFd, POLLIN, 0};
        if (!waitStatus) fds[count++] = {statusFd, POLLIN, 0};
        if (cgroupEvents >= 0 && !waitStatus) fds[count++] = {cgroupEvents, POLLIN, 0};
        int ready = ::poll(fds, count, timeoutMs);
        if (ready == -1) {
            if (errno == EINTR) continue;
            throw sysFailure("polling the build's log");
        }
        for (nfds_t i = 0; i < count; ++i) {
            if (!fds[i].revents) continue;
            if (fds[i].fd == cgroupEvents) {
                cgroup->drainEvent();
                checkCgroup();
            } else if (fds[i].fd == logFd) {
                char buffer[65536];
                size_t n = readSome(logFd, buffer, sizeof buffer, "the build's log pipe");
                if (n == 0) {
                    logOpen = false;
                } else {
                    lastOutput = Clock::now();
                    if (!sink.feed(std::string_view(buffer, n)))
                        limitExceeded(ExceededLimit::LogSize);
                }
            } else {
                waitStatus = readInt(statusFd);
                // The sandbox was set up and the builder ran: losing its supervisor (killed,
                // or out of memory) fails this build (exit 3), it is no sandbox failure (4).
                if (!waitStatus)
                    throw BuildError("sandbox: the supervising process died before the builder "
                                     "finished");
                int32_t full = readInt(statusFd).value_or(0);
                for (size_t bit = 0; bit < std::size(kScratchDirs); ++bit)
                    if (full & (1 << bit)) result.fullScratchDirs.push_back(kScratchDirs[bit]);
                drainDeadline = Clock::now() + kLogDrainLimit;
            }
        }
    }
    sink.finish();
    // A limit hit just before the end (the event still queued), or one that killed only a
    // child the builder survived: the build fails all the same.
    if (waitStatus) checkCgroup();
    return *waitStatus;
}

} // namespace

SandboxResult runInSandbox(const SandboxConfig& config) {
    validate(config);
    Clock::time_point start = Clock::now();

    // The build user must be able to write its build directory, and no one else may.
    if (config.buildUid) {
        if (::chown(config.buildDir.c_str(), *config.buildUid, *config.buildGid) == -1 ||
            ::chmod(config.buildDir.c_str(), 0700) == -1)
            throw sysFailure("giving the build directory '" + config.buildDir +
                             "' to the build user");
    }

    // The build's own cgroups, and the copy of the config the intermediate gets, which
    // names them: with a pids cgroup, RLIMIT_NPROC (which would also count other builds of
    // the same user) is not set.
    const SandboxConfig* launched = &config;
    SandboxConfig withCgroup;
    std::optional<BuildCgroup> cgroup = BuildCgroup::create(config.maxMemory, config.maxProcesses);
    if (cgroup) {
        withCgroup = config;
        withCgroup.cgroupJoin = cgroup->joinFiles();
        if (cgroup->limitsProcesses()) withCgroup.maxProcesses = 0;
        launched = &withCgroup;
    }

    Pipe logPipe = makePipe("log pipe");
    Pipe errorPipe = makePipe("error pipe");
    Pipe statusPipe = makePipe("status pipe");
    int control[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, control) == -1)
        throw sysFailure("creating the control socket");
    FileDescriptor controlOurs(control[0]), controlTheirs(control[1]);
    launchIntermediate(*launched, ChildPipes{logPipe.write.get(), errorPipe.write.get(),
                                             statusPipe.write.get(), controlTheirs.get()});
    IntermediateProcess intermediate(std::move(controlOurs), statusPipe.read.get());
    logPipe.write.close();
    errorPipe.write.close();
    statusPipe.write.close();
    controlTheirs.close();

    std::string setupError = readAll(errorPipe.read.get(), "the sandbox error pipe");
    if (!setupError.empty()) {
        intermediate.wait();
        throw SandboxError("setting up the sandbox for '" + config.builder + "': " + setupError);
    }
    if (!readInt(statusPipe.read.get())) {
        intermediate.wait();
        throw SandboxError("setting up the sandbox for '" + config.builder +
                           "': the supervising process exited without starting the builder");
    }

    SandboxResult result;
    int status = superviseBuild(config, intermediate, cgroup ? &*cgroup : nullptr,
                                logPipe.read.get(), statusPipe.read.get(), result, start);
    // The status arrives only once the builder and (in a PID namespace) every process it
    // started are gone, and with them everything in the build's cgroups, which can go now;
    // the intermediate, never in them, exits right after sending it.
    intermediate.forget();
    if (cgroup) cgroup->recycle();
    if (WIFEXITED(status)) result.exitCode = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
    result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    return result;
}

void prepareSandbox() {
    // First, while this process is the only one in its cgroup: on cgroup v2, making build
    // cgroups may need purist to move into a leaf of its own (cgroup.cc), which its helper,
    // once started, would prevent.
    try {
        cgroupSupport();
        startLauncherEarly();
    } catch (const Error&) {
        // Only a head start: the build that needs the launcher reports why it is missing.
    }
}

std::string unenforcedLimits(uint64_t maxMemory, unsigned long maxProcesses) {
    const CgroupSupport& support = cgroupSupport();
    std::string missing;
    if (maxMemory > 0 && !support.memory) missing = "max-memory (not enforced)";
    if (maxProcesses > 0 && !support.pids)
        missing += std::string(missing.empty() ? "" : " and ") +
                   "max-processes (only as RLIMIT_NPROC, which counts every process of the "
                   "build's user)";
    if (missing.empty()) return "";
    return "no cgroup can be created for builds here, so these limits are not what they say: " +
           missing + "; why: " + support.whyNot;
}

bool canIsolate(std::string* why) {
    static std::once_flag once;
    static bool possible = false;
    static std::string reason;
    // The probe runs in the launcher, whose fork is cheap, and may be done already
    // (prepareSandbox); a launcher that cannot be started means no sandbox either.
    std::call_once(once, [] {
        try {
            possible = probeIsolation(&reason);
            // Said here, so that a missing helper (below) is not reported as missing
            // namespaces.
            if (!possible) reason = "Linux namespaces are not available: " + reason;
        } catch (const Error& e) {
            possible = false;
            reason = e.what();
        }
    });
    if (!possible && why) *why = reason;
    return possible;
}

} // namespace purist::sandbox
