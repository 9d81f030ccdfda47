#include "sandbox/child_process.h"

#include "base/error.h"
#include "base/file_descriptor.h"
#include "base/sanitizers.h"
#include "sandbox/mounts.h"
#include "sandbox/seccomp_filter.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <initializer_list>
#include <iterator>
#include <linux/keyctl.h>
#include <memory>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace purist::sandbox {
namespace {

// Descriptor numbers in the intermediate and the builder after arrangeDescriptors().
constexpr int kErrorFd = 3;
constexpr int kStatusFd = 4;
constexpr int kControlFd = 5;
constexpr int kFirstUnusedFd = 6;

// Exit codes of the forked processes when they report a failure through the error pipe.
constexpr int kSetupFailed = 125;
constexpr int kExecFailed = 127;

// Writes `message` to the error pipe and exits. Only for the forked processes.
[[noreturn]] void failSetup(int errorFd, const std::string& message) {
    (void)!::write(errorFd, message.data(), message.size());
    ::_exit(kSetupFailed);
}

void setSignalMask(std::initializer_list<int> blocked) {
    sigset_t set;
    sigemptyset(&set);
    for (int sig : blocked)
        sigaddset(&set, sig);
    if (::sigprocmask(SIG_SETMASK, &set, nullptr) == -1) throw SysError("setting the signal mask");
}

// Leaves exactly: 0 = /dev/null, 1 and 2 = the log pipe, 3 = error pipe, 4 = status pipe,
// 5 = control socket. Every other descriptor is closed: the caller's terminal, its files,
// and the pipes of other builds started at the same moment, which would otherwise keep
// those builds' logs open (or hand this builder a terminal to inject input into).
void arrangeDescriptors(const ChildPipes& pipes) {
    int devNull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devNull == -1) throw SysError("opening /dev/null");
    const int keep[] = {devNull, pipes.log, pipes.error, pipes.status, pipes.control};
    constexpr size_t kKept = sizeof keep / sizeof keep[0];
    int high[kKept];
    // First above the target range, so the dup2s below cannot overwrite one another.
    for (size_t i = 0; i < kKept; ++i) {
        high[i] = ::fcntl(keep[i], F_DUPFD_CLOEXEC, kFirstUnusedFd);
        if (high[i] == -1) throw SysError("duplicating a pipe descriptor");
    }
    if (::dup2(high[0], 0) == -1 || ::dup2(high[1], 1) == -1 || ::dup2(high[1], 2) == -1 ||
        ::dup3(high[2], kErrorFd, O_CLOEXEC) == -1 || ::dup3(high[3], kStatusFd, O_CLOEXEC) == -1 ||
        ::dup3(high[4], kControlFd, O_CLOEXEC) == -1)
        throw SysError("arranging the builder's descriptors");
    if (::close_range(kFirstUnusedFd, ~0U, 0) == -1)
        throw SysError("closing inherited descriptors");
}

// As root, the builder runs as the build user with the build group as its only group:
// never root, and no supplementary group of the caller that could open host files.
void dropToBuildUser(const SandboxConfig& config) {
    if (!config.buildUid) return;
    uid_t uid = *config.buildUid;
    gid_t gid = *config.buildGid;
    if (::setgroups(1, &gid) == -1) throw SysError("setgroups(" + std::to_string(gid) + ")");
    if (::setgid(gid) == -1) throw SysError("setgid(" + std::to_string(gid) + ")");
    if (::setuid(uid) == -1) throw SysError("setuid(" + std::to_string(uid) + ")");
    // A process that could switch back to root could undo every step above.
    if (::getuid() != uid || ::geteuid() != uid || ::setuid(0) != -1)
        throw SandboxError("could not drop root: the builder would keep a way back to uid 0");
}

// The builder starts with a session keyring of its own, empty: the one it would inherit
// holds the keys of whoever started purist (a build read a key stored with `keyctl add
// user k v @s`). With a build user, that user's own keyrings are emptied too, so no key
// one build leaves there reaches the next (a build user runs one build at a time,
// machine-wide). After the switch, so the keyring is the build user's and counts against
// its quota. Sandboxed builds cannot call keyctl at all (seccomp_filter.cc); this covers
// unsandboxed ones, and is a second wall for the others.
void startWithFreshKeyrings(bool buildUser) {
    if (::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, nullptr) == -1) {
        if (errno == ENOSYS) return; // a kernel without keyrings has none to inherit
        throw SysError("giving the builder a fresh session keyring");
    }
    if (!buildUser) return; // the caller's own keyrings are the caller's
    for (long keyring : {KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING}) {
        if (::syscall(SYS_keyctl, KEYCTL_CLEAR, keyring) == -1)
            throw SysError("emptying the build user's keyrings");
    }
}

// Set after the switch to the build user, whose processes it counts; soft and hard limit
// alike, so the builder cannot raise it again.
void limitProcesses(unsigned long maxProcesses) {
    if (maxProcesses == 0) return;
    rlimit limit{maxProcesses, maxProcesses};
    if (::setrlimit(RLIMIT_NPROC, &limit) == -1)
        throw SysError("limiting the build to " + std::to_string(maxProcesses) + " processes");
}

// The build's cgroups' cgroup.procs, opened by the intermediate while the host's files are
// reachable, for the builder to join (joinCgroups).
std::vector<FileDescriptor> openCgroups(const SandboxConfig& config) {
    std::vector<FileDescriptor> procs;
    for (const std::string& file : config.cgroupJoin)
        procs.push_back(openFile(file, O_WRONLY | O_CLOEXEC));
    return procs;
}

// The builder moves itself into the build's cgroups before anything else, so that it and
// everything it starts are counted and limited from the first instruction of the build,
// and the whole build can be killed through them. The intermediate stays outside: killing
// the build never kills the process that reports how it ended. A cgroup namespace of its
// own then roots the builder's view of cgroups at the build's cgroup (the intermediate
// makes none then: enterNamespaces).
// The builder shares the intermediate's memory until exec: it closes its own copies of
// the descriptors without touching the owners, which are the intermediate's.
void joinCgroups(const std::vector<FileDescriptor>& procs, bool isolate) {
    if (procs.empty()) return;
    for (const FileDescriptor& file : procs) {
        if (::write(file.get(), "0", 1) != 1) throw SysError("joining the build's cgroup");
        if (::close(file.get()) == -1) throw SysError("closing a cgroup.procs descriptor");
    }
    if (isolate && ::unshare(CLONE_NEWCGROUP) == -1)
        throw SysError("creating the build's cgroup namespace");
}

// Landlock's scoping (Linux 6.12, Landlock ABI 6), defined here because Debian 12's
// kernel headers predate it.
struct LandlockRulesetAttr {
    uint64_t handledAccessFs;
    uint64_t handledAccessNet;
    uint64_t scoped;
};
constexpr uint64_t kScopeAbstractUnixSocket = 1u << 0;
constexpr uint64_t kScopeSignal = 1u << 1;
constexpr long kLandlockScopeAbi = 6;
constexpr unsigned kLandlockCreateRulesetVersion = 1u << 0;

// Confines the builder's IPC to its own build: it cannot connect to an abstract unix
// socket, nor signal a process, that something outside the build made. A fixed-output
// build shares the host's network namespace, and with it the host's abstract sockets (a
// session bus, an X server, systemd's): this is what keeps it from them. Other builds
// have a network namespace of their own, where there is none; for them it is a second
// wall. Needs no_new_privs. A kernel without Landlock scoping gets a line in the build's
// log for a fixed-output build, not a silent gap.
void scopeIpcToTheBuild(bool hostNetwork) {
    long abi =
        ::syscall(SYS_landlock_create_ruleset, nullptr, size_t{0}, kLandlockCreateRulesetVersion);
    if (abi < kLandlockScopeAbi) {
        if (hostNetwork) {
            static constexpr char kWarning[] =
                "purist: this kernel has no Landlock scoping (Linux 6.12): this fixed-output "
                "build can reach the host's abstract unix sockets\n";
            (void)!::write(2, kWarning, sizeof kWarning - 1);
        }
        return;
    }
    // Set by installSeccompFilter already; landlock_restrict_self needs it, so it is not
    // left to that.
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) throw SysError("setting no_new_privs");
    LandlockRulesetAttr attr{0, 0, kScopeAbstractUnixSocket | kScopeSignal};
    long ruleset = ::syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
    if (ruleset == -1) throw SysError("creating a Landlock ruleset");
    FileDescriptor rulesetFd(static_cast<int>(ruleset));
    if (::syscall(SYS_landlock_restrict_self, rulesetFd.get(), 0) == -1)
        throw SysError("confining the builder with Landlock");
}

// Kills the builder when the intermediate dies (the caller was killed, say). SIGKILL, not
// SIGTERM: the builder is the init of its PID namespace, which ignores every signal it has
// no handler for except SIGKILL, so a SIGTERM left it running, orphaned, writing into a
// scratch directory the next purist reclaims. Its death takes the namespace down with it.
// The check after prctl closes the window in which the intermediate died before the call.
void dieWithIntermediate(int lifeline) {
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1)
        throw SysError("setting PR_SET_PDEATHSIG");
    pollfd poller{lifeline, 0, 0};
    if (::poll(&poller, 1, 0) == -1) throw SysError("polling the intermediate's lifeline");
    if (poller.revents & (POLLHUP | POLLERR)) ::_exit(kSetupFailed);
}

[[noreturn]] void runBuilder(const ChildSetup& setup, const std::vector<FileDescriptor>& cgroups,
                             int lifeline) {
    const SandboxConfig& config = *setup.config;
    try {
        joinCgroups(cgroups, config.isolate);
        if (config.isolate) {
            enterSandboxRoot(config, setup.identity);
        } else if (::chdir(config.buildDir.c_str()) == -1) {
            throw SysError("changing into the build directory '" + config.buildDir + "'");
        }
        // Its own process group, which is what `off` mode kills first when the build ends.
        if (::setpgid(0, 0) == -1) throw SysError("creating the builder's process group");
        // Dropping the build user's privileges clears PR_SET_PDEATHSIG, so it comes after.
        dropToBuildUser(config);
        startWithFreshKeyrings(config.buildUid.has_value());
        limitProcesses(config.maxProcesses);
        if (setup.seccomp) installSeccompFilter(*setup.seccomp);
        if (config.isolate) scopeIpcToTheBuild(config.hostNetwork);
        dieWithIntermediate(lifeline);
        ::umask(022);
        setSignalMask({});
    } catch (const std::exception& e) {
        failSetup(kErrorFd, e.what());
    }
    ::execve(setup.exec->path(), setup.exec->argv(), setup.exec->envp());
    // A missing or unrunnable builder is the build's failure, not the sandbox's: say so in
    // its log, where the user looks, and exit as a shell would.
    int error = errno;
    std::string message = std::string("purist: cannot execute builder '") + setup.exec->path() +
                          "': " + std::strerror(error);
    // The usual first-hour cause: `builder: /bin/sh` under the default, empty sandbox-paths.
    // ENOENT also means the program loader of a dynamic builder is not there.
    if (config.isolate && error == ENOENT)
        message += std::string("; a sandboxed build sees only its inputs and the host paths of "
                               "the sandbox-paths setting (empty by default), so '") +
                   setup.exec->path() +
                   "' or the libraries it loads are missing: add their directories (e.g. /bin "
                   "/usr /lib '/lib64?') to sandbox-paths in purist.yaml or with --option "
                   "sandbox-paths, or take the builder from an input";
    message += "\n";
    (void)!::write(2, message.data(), message.size());
    ::_exit(kExecFailed);
}

struct BuilderStart {
    const ChildSetup* setup;
    const std::vector<FileDescriptor>* cgroups; ///< the builder gets copies (no CLONE_FILES)
    int lifelineRead;
    int lifelineWrite;
};

int builderMain(void* arg) {
    const BuilderStart& start = *static_cast<const BuilderStart*>(arg);
    if (::close(kStatusFd) == -1 || ::close(kControlFd) == -1 || ::close(start.lifelineWrite) == -1)
        failSetup(kErrorFd, SysError("closing the intermediate's pipes in the builder").what());
    runBuilder(*start.setup, *start.cgroups, start.lifelineRead);
}

// Starts the builder in a new process that borrows this one's memory until it execs
// (clone with CLONE_VM | CLONE_VFORK, as posix_spawn does), instead of fork(): on a
// virtual machine, copying the page tables and the copy-on-write faults that follow cost
// more than the rest of the sandbox's set-up. This is safe because the intermediate is
// single-threaded (a fork() child) and stays suspended until the builder has exec'd or
// exited: no lock can be held and no memory changes under the builder. The builder gets
// its own descriptor table, file system context and signal handlers (no CLONE_FILES,
// CLONE_FS or CLONE_SIGHAND), and, being the first process created after unshare()
// (CLONE_NEWPID), it is PID 1 of the new namespace, as with fork(). It shares the
// intermediate's thread-local storage too: an exception it throws and catches (then
// _exit) leaves the intermediate's C++ exception globals as it found them only because
// the intermediate never rethrows outside a catch block; keep it that way.
//
// Except under AddressSanitizer, which cannot follow a CLONE_VM child onto a stack of its own:
// the child shares the suspended parent's sanitizer thread state, whose stack bounds are the
// parent's, so every noreturn call on the builder's stack (a failed exec's _exit, a throw)
// prints "ASan is ignoring requested __asan_handle_no_return ... False positive error
// reports may follow" into the build's log (google/sanitizers#189). A sanitizer build forks.
pid_t spawnBuilder(BuilderStart& start) {
#if PURIST_ADDRESS_SANITIZER
    pid_t child = ::fork();
    if (child == -1) throw SysError("starting the builder");
    if (child == 0) ::_exit(builderMain(&start));
    return child;
#endif
    // The builder's stack while it sets up the root; pages it never touches cost nothing.
    constexpr size_t kStackSize = 1 << 20;
    void* stack = ::mmap(nullptr, kStackSize, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
    if (stack == MAP_FAILED) throw SysError("allocating the builder's stack");
    // A guard page below it turns an overflow into a crash, not a write into other memory.
    if (::mprotect(stack, 4096, PROT_NONE) == -1) throw SysError("guarding the builder's stack");
    pid_t pid = ::clone(builderMain, static_cast<char*>(stack) + kStackSize,
                        CLONE_VM | CLONE_VFORK | SIGCHLD, &start);
    if (pid == -1) throw SysError("starting the builder");
    return pid;
}

// The pids of this process's children, from /proc (the kernel here has no
// /proc/PID/task/TID/children). Only used in `off` mode, where this process is the
// subreaper that orphans of the build are handed to.
std::vector<pid_t> listChildren() {
    std::vector<pid_t> children;
    DIR* dir = ::opendir("/proc");
    if (!dir) throw SysError("listing /proc");
    std::unique_ptr<DIR, int (*)(DIR*)> closer(dir, ::closedir);
    const std::string self = std::to_string(::getpid());
    while (dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
        std::string stat;
        try {
            stat = readFile(std::string("/proc/") + entry->d_name + "/stat");
        } catch (const SysError&) {
            continue; // exited while we looked
        }
        // "pid (comm) state ppid ...": comm may contain anything, so parse after the last ')'.
        size_t close = stat.rfind(')');
        if (close == std::string::npos || close + 4 >= stat.size()) continue;
        size_t ppidStart = stat.find(' ', close + 3);
        if (ppidStart == std::string::npos) continue;
        size_t ppidEnd = stat.find(' ', ppidStart + 1);
        if (stat.compare(ppidStart + 1, ppidEnd - ppidStart - 1, self) == 0)
            children.push_back(static_cast<pid_t>(std::stol(entry->d_name)));
    }
    return children;
}

// `off` mode has no PID namespace to end everything at once. This process is the build's
// subreaper, so daemons that double-fork and call setsid are reparented here; kill and
// reap until no child is left.
void killEveryDescendant(pid_t builder) {
    ::kill(-builder, SIGKILL); // the builder's group; ESRCH when it is already empty
    for (;;) {
        pid_t reaped = ::waitpid(-1, nullptr, WNOHANG);
        if (reaped > 0) continue;
        if (reaped == -1 && errno == ECHILD) return;
        if (reaped == -1 && errno != EINTR) throw SysError("waiting for the build's processes");
        // ESRCH only means the child exited between the listing and the kill.
        for (pid_t child : listChildren())
            ::kill(child, SIGKILL);
        // Killed processes' own children are reparented here before they can be reaped,
        // so every round shrinks the tree and the loop ends.
        if (::waitpid(-1, nullptr, 0) == -1 && errno == ECHILD) return;
    }
}

// Waits for the builder and kills it when asked: by a byte on the control socket (a
// timeout, or the caller gave up), by the end of that socket (the caller is gone, however
// it went), or by SIGTERM. With a PID namespace the builder is its PID 1, and the kernel
// kills and reaps every other process in it before the builder's exit is reported.
int superviseBuilder(pid_t builder, bool isolate) {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGCHLD);
    sigaddset(&signals, SIGTERM);
    FileDescriptor signalFd(::signalfd(-1, &signals, SFD_CLOEXEC));
    if (!signalFd) throw SysError("creating a signalfd");
    auto killBuilder = [&] {
        // The builder is not reaped yet (only this loop reaps it), so its pid cannot have
        // been reused; a failure only means it is already dead.
        ::kill(builder, SIGKILL);
        if (!isolate) ::kill(-builder, SIGKILL);
    };
    bool controlOpen = true;
    int builderStatus = 0;
    for (;;) {
        pollfd fds[2] = {{signalFd.get(), POLLIN, 0}, {kControlFd, POLLIN, 0}};
        if (::poll(fds, controlOpen ? 2 : 1, -1) == -1) {
            if (errno == EINTR) continue;
            throw SysError("waiting for the builder");
        }
        if (controlOpen && fds[1].revents) {
            char request[64];
            ssize_t n = ::read(kControlFd, request, sizeof request);
            if (n == -1 && errno != EINTR && errno != EAGAIN)
                throw SysError("reading the control socket");
            if (n == 0) controlOpen = false; // the caller is gone: end the build
            if (n != -1) killBuilder();
        }
        if (!(fds[0].revents & POLLIN)) continue;
        signalfd_siginfo info;
        if (::read(signalFd.get(), &info, sizeof info) != sizeof info) {
            if (errno == EINTR || errno == EAGAIN) continue;
            throw SysError("reading the signalfd");
        }
        if (info.ssi_signo == SIGTERM) {
            killBuilder();
            continue;
        }
        bool builderDone = false;
        for (;;) {
            int status = 0;
            pid_t reaped = ::waitpid(-1, &status, WNOHANG);
            if (reaped <= 0) break;
            if (reaped == builder) {
                builderStatus = status;
                builderDone = true;
            }
        }
        if (builderDone) break;
    }
    if (!isolate) killEveryDescendant(builder);
    return builderStatus;
}

// Whether the build's scratch space (kScratchDirs, one file system: mounts.cc) is full now
// that the build is over, as a bit mask of kScratchDirs: a build that failed with it full
// failed because of build-dir-size, and the caller says so. /build is not part of it when
// it is the host's directory. The builder's pivot_root moved this process into the
// sandbox's root too (same mount namespace); if it never got that far, nothing is reported.
int32_t fullScratchDirs(const SandboxConfig& config, const struct stat& hostRoot) {
    struct stat root {};
    if (::stat("/", &root) == -1) throw SysError("examining the sandbox root");
    if (root.st_dev == hostRoot.st_dev && root.st_ino == hostRoot.st_ino) return 0;
    struct statfs info {};
    if (::statfs("/tmp", &info) == -1) throw SysError("examining /tmp");
    if (info.f_bavail != 0) return 0;
    int32_t full = 0;
    for (size_t i = 0; i < std::size(kScratchDirs); ++i)
        if (!(i == 0 && config.buildDirOnHost)) full |= 1 << i;
    return full;
}

} // namespace

void resetSignalDispositions() {
    // The system call itself, as glibc's sigaction refuses its two internal real-time
    // signals (32 and 33), which posix_spawn leaves ignored in the program it starts.
    struct KernelSigaction {
        void (*handler)(int);
        unsigned long flags;
        void (*restorer)();
        uint64_t mask;
    } byDefault{SIG_DFL, 0, nullptr, 0};
    for (int sig = 1; sig < NSIG; ++sig) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        if (::syscall(SYS_rt_sigaction, sig, &byDefault, nullptr, sizeof byDefault.mask) == -1)
            throw SysError("resetting the handler of signal " + std::to_string(sig));
    }
}

SandboxIdentity identityFor(const SandboxConfig& config) {
    if (config.buildUid) return {*config.buildUid, *config.buildGid, false};
    return {1000, 100, true};
}

ExecArguments::ExecArguments(const SandboxConfig& config) : path_(config.builder) {
    strings_.reserve(1 + config.args.size() + config.env.size());
    size_t slash = config.builder.rfind('/');
    strings_.push_back(slash == std::string::npos ? config.builder
                                                  : config.builder.substr(slash + 1));
    for (const auto& arg : config.args)
        strings_.push_back(arg);
    for (const auto& [name, value] : config.env)
        strings_.push_back(name + "=" + value);
    // strings_ no longer grows, so pointers into it stay valid.
    for (size_t i = 0; i < strings_.size(); ++i) {
        (i <= config.args.size() ? argv_ : envp_).push_back(strings_[i].data());
    }
    argv_.push_back(nullptr);
    envp_.push_back(nullptr);
}

void runIntermediate(const ChildSetup& setup) {
    const SandboxConfig& config = *setup.config;
    int errorFd = setup.pipes.error;
    pid_t builder = -1;
    try {
        // A builder must start with the default dispositions, or `yes | head` would spin
        // and timeouts could not interrupt it.
        struct sigaction byDefault {};
        byDefault.sa_handler = SIG_DFL;
        for (int sig : kLauncherIgnoredSignals) {
            if (::sigaction(sig, &byDefault, nullptr) == -1)
                throw SysError("resetting the handler of signal " + std::to_string(sig));
        }
        setSignalMask({SIGCHLD, SIGTERM});
        // A build must not run on after purist is gone: purist holds the only other end
        // of the control socket, which the kernel closes however purist ends, and its end
        // makes superviseBuilder kill the build (in off mode, daemons included). The
        // launcher's end is not the build's: if it dies (killed, out of memory), builds
        // already started finish and report to purist as usual.
        if (::getppid() != setup.parent) ::_exit(kSetupFailed);
        arrangeDescriptors(setup.pipes);
        errorFd = kErrorFd;
        // A new session has no controlling terminal: the builder cannot open /dev/tty, and
        // TIOCSTI cannot push keystrokes into the terminal purist was started from.
        if (::setsid() == -1) throw SysError("setsid");

        std::vector<FileDescriptor> cgroups = openCgroups(config);
        if (config.isolate) {
            // A builder that joins its build's cgroups makes a cgroup namespace of its own
            // there (joinCgroups): one is enough.
            enterNamespaces(setup.identity, config.hostNetwork, cgroups.empty());
        } else if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == -1) {
            throw SysError("becoming the build's subreaper");
        }

        // The root this process will see once the builder has pivoted into the sandbox's:
        // until then, "/tmp" would name the host's.
        struct stat hostRoot {};
        if (::stat("/", &hostRoot) == -1) throw SysError("examining /");
        int lifeline[2];
        if (::pipe2(lifeline, O_CLOEXEC) == -1) throw SysError("creating the lifeline pipe");
        BuilderStart start{&setup, &cgroups, lifeline[0], lifeline[1]};
        builder = spawnBuilder(start);
        cgroups.clear(); // the builder has joined them (or failed, and says so)
        // The intermediate keeps neither the log nor the error pipe, so both reach EOF
        // exactly when the builder (and, in a PID namespace, all it started) is gone.
        if (::close(lifeline[0]) == -1 || ::close(kErrorFd) == -1 || ::dup2(0, 1) == -1 ||
            ::dup2(0, 2) == -1)
            throw SysError("closing the intermediate's copies of the pipes");
        errorFd = -1;
        int32_t pid = builder;
        writeAll(kStatusFd, std::string_view(reinterpret_cast<const char*>(&pid), sizeof pid),
                 "the builder's pid");
        int32_t report[2] = {superviseBuilder(builder, config.isolate),
                             config.isolate ? fullScratchDirs(config, hostRoot) : 0};
        // One write, so the caller reads both or neither.
        writeAll(kStatusFd, std::string_view(reinterpret_cast<const char*>(report), sizeof report),
                 "the builder's exit status");
    } catch (const std::exception& e) {
        if (builder > 0) ::kill(builder, SIGKILL);
        if (errorFd >= 0) failSetup(errorFd, e.what());
        ::_exit(kSetupFailed);
    }
    ::_exit(0);
}

} // namespace purist::sandbox
