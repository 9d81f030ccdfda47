// The escape suite: a builder (escape_probe) makes real attempts to get out of the
// sandbox. Strict isolation must block every one, for the reason each case states; the
// same attempt is run with isolate=false (mode `off`) and its outcome asserted too, so
// the difference between the modes is tested rather than assumed.
//
// The host side is real: a store with a path outside the closure, a world-readable host
// file, a TCP listener and a UDP "resolver" on 127.0.0.1, an abstract unix socket, a SysV
// shared memory segment, and a victim process running as the build user.

#include "base/error.h"
#include "base/file_descriptor.h"
#include "base/temp_dir.h"
#include "sandbox/sandbox.h"
#include "tests/support/test_support.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <grp.h>
#include <iostream>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace purist::sandbox {
namespace {

using namespace std::chrono_literals;

enum class Outcome { Blocked, Allowed, Recorded };

bool runningAsRoot() {
    return ::geteuid() == 0;
}

// As root, builds run as this user and group (no /etc/passwd entry needed: the sandbox
// writes its own). The uid is unique to this test process, so suites running in parallel
// (ctest -j) neither count nor kill each other's processes.
const uid_t kBuildUid = 40000 + static_cast<uid_t>(::getpid() % 20000);
constexpr gid_t kBuildGid = 30000;

FileDescriptor listenOn(int type, uint16_t& port) {
    int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
    if (fd == -1) throw SysError("socket");
    FileDescriptor socketFd(fd);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), length) == -1) throw SysError("bind");
    if (type == SOCK_STREAM && ::listen(fd, 16) == -1) throw SysError("listen");
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == -1)
        throw SysError("getsockname");
    port = ntohs(address.sin_port);
    return socketFd;
}

// A sleeping process as the build user, that off-mode builds can reach and strict ones
// must not.
pid_t spawnVictim() {
    pid_t pid = ::fork();
    if (pid == -1) throw SysError("fork");
    if (pid == 0) {
        if (runningAsRoot()) {
            gid_t gid = kBuildGid;
            if (::setgroups(1, &gid) == -1 || ::setgid(gid) == -1 || ::setuid(kBuildUid) == -1)
                ::_exit(126);
        }
        // exec makes the process dumpable again after the uid change, so only the sandbox
        // stands between a builder and ptrace.
        ::execl("/bin/sleep", "sleep", "600", nullptr);
        ::_exit(127);
    }
    return pid;
}

bool alive(pid_t pid) {
    return ::waitpid(pid, nullptr, WNOHANG) == 0;
}

// Whether `pid` (a child) exits within `limit`; it is reaped if so. A SIGKILL sent by
// another process takes effect when the target next runs, which on a loaded machine can
// be after the sender has gone.
bool exitsWithin(pid_t pid, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (alive(pid)) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

void killAndReap(pid_t pid) {
    if (pid <= 0) return;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
}

// Processes owned by `uid`, except `except`; only meaningful as root (build uid unique).
std::vector<pid_t> processesOf(uid_t uid, pid_t except) {
    std::vector<pid_t> found;
    DIR* dir = ::opendir("/proc");
    if (!dir) return found;
    while (dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
        struct stat info {};
        std::string path = std::string("/proc/") + entry->d_name;
        if (::stat(path.c_str(), &info) == -1 || info.st_uid != uid) continue;
        pid_t pid = static_cast<pid_t>(std::stol(entry->d_name));
        if (pid != except) found.push_back(pid);
    }
    ::closedir(dir);
    return found;
}

// Everything on the host the probes aim at. Built once for the suite.
struct Host {
    TempDir dir{"purist-escape-"};
    std::string store, inputName, input, secretName, secret, hostFile, shared, probe, home;
    FileDescriptor tcp, udp, abstractUnix;
    uint16_t tcpPort = 0, udpPort = 0;
    std::string abstractName;
    std::string nameserver = "192.0.2.1"; ///< the host's first IPv4 resolver, or TEST-NET-1
    key_t shmKey = 0;
    int shmId = -1;
    pid_t victim = -1;
    std::thread udpThread;
    FileDescriptor stopUdp[2];
    int runs = 0;

    Host() {
        const std::string& t = dir.path();
        if (::chmod(t.c_str(), 0755) == -1) throw SysError("chmod " + t);
        store = t + "/store";
        inputName = "7rjj86a15146cq0l9fwssfvvqqgqjpfm-input";
        secretName = "zzzz86a15146cq0l9fwssfvvqqgqjpfm-secret";
        input = store + "/" + inputName;
        secret = store + "/" + secretName;
        testing::makeFile(input + "/data", "input\n");
        testing::makeFile(secret + "/data", "not in the closure\n");
        // The input belongs to the build user, so only the read-only mount stops writes.
        if (runningAsRoot() && (::chown(input.c_str(), kBuildUid, kBuildGid) == -1 ||
                                ::chown((input + "/data").c_str(), kBuildUid, kBuildGid) == -1))
            throw SysError("chown " + input);
        hostFile = t + "/host-secret";
        testing::makeFile(hostFile, "host secret\n", 0644);
        shared = t + "/shared";
        std::filesystem::create_directory(shared);
        ::chmod(shared.c_str(), 0777);
        probe = t + "/escape_probe";
        std::filesystem::copy_file(PURIST_ESCAPE_PROBE, probe);
        ::chmod(probe.c_str(), 0755);
        if (::access("/etc/resolv.conf", R_OK) == 0) {
            std::string conf = readFile("/etc/resolv.conf");
            for (size_t at = conf.find("nameserver "); at != std::string::npos;
                 at = conf.find("nameserver ", at + 1)) {
                std::string address = conf.substr(at + 11, conf.find('\n', at) - at - 11);
                in_addr parsed{};
                if (::inet_pton(AF_INET, address.c_str(), &parsed) == 1) {
                    nameserver = address;
                    break;
                }
            }
        }
        const char* h = std::getenv("HOME");
        home = h && *h ? h : "/root";

        tcp = listenOn(SOCK_STREAM, tcpPort);
        udp = listenOn(SOCK_DGRAM, udpPort);
        startUdpResolver();

        abstractName = "purist-escape-" + std::to_string(::getpid());
        int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd == -1) throw SysError("socket(AF_UNIX)");
        abstractUnix = FileDescriptor(fd);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::memcpy(address.sun_path + 1, abstractName.data(), abstractName.size());
        auto length =
            static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + abstractName.size());
        if (::bind(fd, reinterpret_cast<sockaddr*>(&address), length) == -1 ||
            ::listen(fd, 16) == -1)
            throw SysError("abstract unix socket");

        shmKey = static_cast<key_t>(0x50000000 | (::getpid() & 0xffffff));
        shmId = ::shmget(shmKey, 4096, IPC_CREAT | IPC_EXCL | 0666);
        if (shmId == -1) throw SysError("shmget");

        victim = spawnVictim();
    }

    ~Host() {
        killAndReap(victim);
        if (shmId != -1) ::shmctl(shmId, IPC_RMID, nullptr);
        if (stopUdp[1]) (void)!::write(stopUdp[1].get(), "x", 1);
        if (udpThread.joinable()) udpThread.join();
    }

    // Answers every datagram on 127.0.0.1: a stand-in for a resolver on the host.
    void startUdpResolver() {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) == -1) throw SysError("pipe");
        stopUdp[0] = FileDescriptor(fds[0]);
        stopUdp[1] = FileDescriptor(fds[1]);
        udpThread = std::thread([this] {
            for (;;) {
                pollfd fds[2] = {{udp.get(), POLLIN, 0}, {stopUdp[0].get(), POLLIN, 0}};
                if (::poll(fds, 2, -1) <= 0 || fds[1].revents) return;
                char buffer[512];
                sockaddr_in from{};
                socklen_t length = sizeof from;
                ssize_t n = ::recvfrom(udp.get(), buffer, sizeof buffer, 0,
                                       reinterpret_cast<sockaddr*>(&from), &length);
                if (n > 0)
                    ::sendto(udp.get(), "answer", 6, 0, reinterpret_cast<sockaddr*>(&from), length);
            }
        });
    }

    // Replaces placeholders such as {hostfile} in a probe argument.
    std::string expand(std::string arg) const {
        const std::pair<std::string, std::string> vars[] = {
            {"{store}", store},
            {"{input}", input},
            {"{secretname}", secretName},
            {"{secret}", secret},
            {"{hostfile}", hostFile},
            {"{shared}", shared},
            {"{home}", home},
            {"{tcpport}", std::to_string(tcpPort)},
            {"{udpport}", std::to_string(udpPort)},
            {"{victim}", std::to_string(victim)},
            {"{shmkey}", std::to_string(shmKey)},
            {"{abstract}", abstractName},
            {"{nameserver}", nameserver},
        };
        for (const auto& [key, value] : vars) {
            for (size_t at; (at = arg.find(key)) != std::string::npos;)
                arg.replace(at, key.size(), value);
        }
        return arg;
    }
};

struct ProbeRun {
    SandboxResult result;
    std::vector<std::string> log;
    std::string buildDir; ///< on the host
    std::string verdictLine() const {
        for (const auto& line : log)
            if (line.rfind("ALLOWED:", 0) == 0 || line.rfind("BLOCKED:", 0) == 0) return line;
        return "";
    }
    Outcome outcome() const {
        std::string v = verdictLine();
        if (v.rfind("ALLOWED:", 0) == 0) return Outcome::Allowed;
        if (v.rfind("BLOCKED:", 0) == 0) return Outcome::Blocked;
        return Outcome::Recorded;
    }
    std::string line(const std::string& prefix) const {
        for (const auto& l : log)
            if (l.rfind(prefix, 0) == 0) return l;
        return "";
    }
};

struct RunOptions {
    std::chrono::seconds timeout{20};
    std::chrono::seconds maxSilentTime{0};
    unsigned long maxProcesses = 512;
    bool hostNetwork = false; ///< as a fixed-output build has it
};

class EscapeTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (canIsolate()) host_ = std::make_unique<Host>();
    }
    static void TearDownTestSuite() { host_.reset(); }

    void SetUp() override {
        std::string why;
        if (!canIsolate(&why)) PURIST_SKIP_OUTSIDE_CI("cannot create namespaces: " + why);
    }

    static Host& host() { return *host_; }

    // Runs escape_probe with `args` (placeholders expanded) strictly or with isolate=false.
    static ProbeRun runProbe(bool strict, const std::vector<std::string>& args,
                             const RunOptions& options = {}) {
        Host& h = host();
        int n = h.runs++;
        std::string root = h.dir.path() + "/root-" + std::to_string(n);
        std::string build = h.dir.path() + "/build-" + std::to_string(n);
        std::string out = h.dir.path() + "/out-" + std::to_string(n);
        std::filesystem::create_directory(root);
        std::filesystem::create_directory(out);
        std::filesystem::create_directory(build);
        ::chmod(build.c_str(), 0755);

        SandboxConfig config;
        config.isolate = strict;
        config.builder = strict ? "/escape_probe" : h.probe;
        for (const auto& a : args)
            config.args.push_back(h.expand(a));
        config.env = {{"PATH", "/path-not-set"}, {"HOME", "/homeless-shelter"}};
        config.sandboxRoot = root;
        config.storeDir = h.store;
        config.outputDir = out;
        config.buildDir = build;
        for (const char* path : {"/bin", "/lib", "/lib64", "/usr"})
            config.mounts.push_back({path, path, true, true});
        config.mounts.push_back({h.input, h.input, true, false});
        config.mounts.push_back({h.probe, "/escape_probe", true, false});
        if (runningAsRoot()) {
            config.buildUid = kBuildUid;
            config.buildGid = kBuildGid;
        }
        config.timeout = options.timeout;
        config.maxSilentTime = options.maxSilentTime;
        config.maxProcesses = options.maxProcesses;
        config.hostNetwork = options.hostNetwork;
        ProbeRun run;
        config.onLogLine = [&](std::string_view line) { run.log.emplace_back(line); };
        run.result = runInSandbox(config);
        run.buildDir = build;
        removeTree(root);
        removeTree(out);
        return run;
    }

    static std::unique_ptr<Host> host_;
};

std::unique_ptr<Host> EscapeTest::host_;

struct EscapeCase {
    const char* name;
    std::vector<std::string> args;
    const char* strictReason; ///< what must appear in the strict verdict: the reason it failed
    Outcome off;              ///< what isolate=false allows (Recorded: host-dependent)
};

// Paths in the build dir are relative: it is /build in strict mode and a host directory
// in off mode, the working directory in both.
const EscapeCase kCases[] = {
    {"list the store", {"list-has", "{store}", "{secretname}"}, "does not show", Outcome::Allowed},
    {"read a store path outside the closure",
     {"read-path", "{secret}/data"},
     "ENOENT",
     Outcome::Allowed},
    {"read /etc/shadow", {"read-path", "/etc/shadow"}, "ENOENT", Outcome::Blocked},
    {"list /root", {"read-path", "/root"}, "ENOENT", Outcome::Blocked},
    {"list the caller's home", {"read-path", "{home}"}, "ENOENT", Outcome::Recorded},
    {"read a world-readable host file", {"read-path", "{hostfile}"}, "ENOENT", Outcome::Allowed},
    {"read a host process's command line",
     {"read-path", "/proc/{victim}/cmdline"},
     "ENOENT",
     Outcome::Allowed},
    {"write a host dir the build user may write",
     {"write-path", "{shared}/written"},
     "ENOENT",
     Outcome::Allowed},
    {"write into the root", {"write-path", "/escape-written"}, "EROFS", Outcome::Blocked},
    {"overwrite /etc/passwd", {"write-path", "/etc/passwd"}, "EROFS", Outcome::Blocked},
    {"write into an input", {"write-path", "{input}/data"}, "EROFS", Outcome::Allowed},
    {"remount an input writable", {"remount-write", "{input}"}, "EROFS", Outcome::Allowed},
    {"TCP to a listener on the host's 127.0.0.1",
     {"connect-tcp", "127.0.0.1", "{tcpport}"},
     "ECONNREFUSED",
     Outcome::Allowed},
    {"DNS-like UDP to a resolver on the host",
     {"udp-echo", "127.0.0.1", "{udpport}"},
     "no answer",
     Outcome::Allowed},
    {"read the host's resolv.conf", {"read-path", "/etc/resolv.conf"}, "ENOENT", Outcome::Recorded},
    {"DNS lookup through the system resolver",
     {"resolve", "example.com"},
     "cannot resolve",
     Outcome::Recorded},
    {"UDP to the host's nameserver",
     {"udp-echo", "{nameserver}", "53"},
     "ENETUNREACH",
     Outcome::Recorded},
    {"open a raw socket", {"raw-socket"}, "EPERM", Outcome::Blocked},
    {"chroot break-out (via a new user namespace)",
     {"chroot-break", "{hostfile}"},
     "ENOENT",
     Outcome::Allowed},
    {"mount a file system", {"mount-tmpfs", "/tmp"}, "EPERM", Outcome::Blocked},
    {"pivot_root back to the host", {"pivot-root", "{hostfile}"}, "ENOENT", Outcome::Allowed},
    {"regain root with a user namespace",
     {"unshare-root", "/etc/shadow"},
     "ENOENT",
     Outcome::Blocked},
    {"ptrace a process outside", {"ptrace", "{victim}"}, "ESRCH", Outcome::Allowed},
    {"signal a host process", {"kill", "{victim}"}, "ESRCH", Outcome::Allowed},
    {"chmod a setuid file", {"chmod-special", "suid", "4755"}, "EPERM", Outcome::Allowed},
    {"chmod a setgid file", {"chmod-special", "sgid", "2755"}, "EPERM", Outcome::Allowed},
    {"create a file setuid", {"create-special", "created-suid", "4755"}, "EPERM", Outcome::Allowed},
    // fchmodat2 is newer than Debian's libseccomp: the filter names it by number.
    {"fchmodat2 a setuid file", {"chmod2-special", "suid2", "4755"}, "EPERM", Outcome::Allowed},
    {"set an extended attribute", {"setxattr", "xattr"}, "EOPNOTSUPP", Outcome::Allowed},
    {"create a device node", {"mknod", "sda"}, "EPERM", Outcome::Blocked},
    {"/dev devices beyond the minimal set",
     {"extra-devices"},
     "only the minimal devices",
     Outcome::Allowed},
    {"learn the host name", {"hostname"}, "host name is localhost", Outcome::Recorded},
    {"see network interfaces other than lo",
     {"interfaces"},
     "lo up; no other interface",
     Outcome::Recorded},
    {"attach host SysV shared memory", {"shm", "{shmkey}"}, "ENOENT", Outcome::Allowed},
    {"connect to a host abstract unix socket",
     {"abstract-unix", "{abstract}"},
     "ECONNREFUSED",
     Outcome::Allowed},
};

TEST_F(EscapeTest, StrictBlocksEveryAttemptAndOffModeIsMeasured) {
    int blocked = 0;
    for (const auto& c : kCases) {
        SCOPED_TRACE(c.name);
        ProbeRun strict = runProbe(true, c.args);
        ProbeRun off = runProbe(false, c.args);
        std::cout << "[escape] " << c.name << "\n    strict: " << strict.verdictLine()
                  << "\n    off:    " << off.verdictLine() << "\n";
        EXPECT_EQ(strict.result.exitCode, 0) << ::testing::PrintToString(strict.log);
        EXPECT_EQ(strict.outcome(), Outcome::Blocked) << strict.verdictLine();
        EXPECT_NE(strict.verdictLine().find(c.strictReason), std::string::npos)
            << "expected the reason '" << c.strictReason << "' in: " << strict.verdictLine();
        if (strict.outcome() == Outcome::Blocked) ++blocked;
        EXPECT_NE(off.outcome(), Outcome::Recorded) << "no verdict in off mode";
        if (c.off != Outcome::Recorded) {
            EXPECT_EQ(off.outcome(), c.off) << "off mode: " << off.verdictLine();
        }
    }
    EXPECT_EQ(blocked, static_cast<int>(std::size(kCases)));
}

// A fixed-output build keeps the host's network namespace, and with it the host's
// abstract unix sockets, which are not network: Landlock's scoping (Linux 6.12) keeps it
// from them in strict mode. Off mode connects.
TEST_F(EscapeTest, FixedOutputBuildsCannotReachTheHostsAbstractSockets) {
    if (::syscall(SYS_landlock_create_ruleset, nullptr, size_t{0}, 1u) < 6)
        PURIST_SKIP_OUTSIDE_CI("the kernel has no Landlock scoping (Landlock ABI 6)");
    RunOptions hostNetwork;
    hostNetwork.hostNetwork = true;
    ProbeRun strict = runProbe(true, {"abstract-unix", "{abstract}"}, hostNetwork);
    ProbeRun off = runProbe(false, {"abstract-unix", "{abstract}"}, hostNetwork);
    std::cout << "[escape] fixed-output: connect to a host abstract unix socket\n    strict: "
              << strict.verdictLine() << "\n    off:    " << off.verdictLine() << "\n";
    EXPECT_EQ(strict.result.exitCode, 0);
    EXPECT_EQ(strict.outcome(), Outcome::Blocked) << strict.verdictLine();
    EXPECT_NE(strict.verdictLine().find("EPERM"), std::string::npos) << strict.verdictLine();
    EXPECT_EQ(off.outcome(), Outcome::Allowed) << off.verdictLine();
}

// Off mode learns the real host name and sees the real interfaces; strict does not.
TEST_F(EscapeTest, HostNameAndInterfacesDifferFromOffMode) {
    char name[256] = {};
    ASSERT_EQ(::gethostname(name, sizeof name - 1), 0);
    ProbeRun off = runProbe(false, {"hostname"});
    EXPECT_NE(off.verdictLine().find(std::string("host name is ") + name), std::string::npos)
        << off.verdictLine();

    bool hostHasOthers = false;
    if (struct if_nameindex* list = ::if_nameindex()) {
        for (struct if_nameindex* i = list; i->if_index; ++i)
            hostHasOthers = hostHasOthers || std::string(i->if_name) != "lo";
        ::if_freenameindex(list);
    }
    ProbeRun offNet = runProbe(false, {"interfaces"});
    EXPECT_EQ(offNet.outcome(), hostHasOthers ? Outcome::Allowed : Outcome::Blocked)
        << offNet.verdictLine();
}

// A daemon (double fork + setsid) keeps appending to a file in the build dir; once
// runInSandbox has returned, the file must stop growing.
TEST_F(EscapeTest, DaemonDoesNotOutliveTheBuild) {
    for (bool strict : {true, false}) {
        SCOPED_TRACE(strict ? "strict" : "off");
        ProbeRun run = runProbe(strict, {"daemon", "heartbeat"});
        ASSERT_NE(run.line("STARTED:"), "") << "the daemon did not start";
        std::string heartbeat = run.buildDir + "/heartbeat";
        ASSERT_TRUE(std::filesystem::exists(heartbeat)) << "the daemon never wrote";
        auto before = std::filesystem::file_size(heartbeat);
        std::this_thread::sleep_for(300ms);
        EXPECT_EQ(std::filesystem::file_size(heartbeat), before) << "the daemon is still running";
        if (runningAsRoot()) {
            EXPECT_EQ(processesOf(kBuildUid, host().victim).size(), 0u);
        }
    }
}

TEST_F(EscapeTest, TimeoutKillsTheBuild) {
    for (bool strict : {true, false}) {
        SCOPED_TRACE(strict ? "strict" : "off");
        RunOptions options;
        options.timeout = 1s;
        ProbeRun run = runProbe(strict, {"sleep", "30"}, options);
        EXPECT_TRUE(run.result.timedOut);
        EXPECT_FALSE(run.result.succeeded());
        EXPECT_LT(run.result.elapsed, 10s);
        EXPECT_EQ(run.line("WOKE"), "");
        if (runningAsRoot()) {
            EXPECT_EQ(processesOf(kBuildUid, host().victim).size(), 0u);
        }
    }
}

TEST_F(EscapeTest, SilenceKillsTheBuild) {
    for (bool strict : {true, false}) {
        SCOPED_TRACE(strict ? "strict" : "off");
        RunOptions options;
        options.maxSilentTime = 1s;
        ProbeRun run = runProbe(strict, {"sleep", "30", "said something"}, options);
        EXPECT_TRUE(run.result.silentTooLong);
        EXPECT_FALSE(run.result.timedOut);
        EXPECT_NE(run.line("said something"), "");
        EXPECT_LT(run.result.elapsed, 10s);
    }
}

// A fork bomb meets the process limit instead of the host's pid table, and nothing of it
// is left afterwards.
TEST_F(EscapeTest, ForkBombIsBounded) {
    for (bool strict : {true, false}) {
        SCOPED_TRACE(strict ? "strict" : "off");
        RunOptions options;
        options.maxProcesses = 64;
        ProbeRun run = runProbe(strict, {"fork-bomb"}, options);
        std::string forked = run.line("FORKED:");
        std::cout << "[escape] fork bomb (" << (strict ? "strict" : "off") << "): " << forked
                  << "\n";
        ASSERT_NE(forked, "") << ::testing::PrintToString(run.log);
        long count = std::stol(forked.substr(8));
        EXPECT_LT(count, 64);
        EXPECT_NE(forked.find("EAGAIN"), std::string::npos);
        if (runningAsRoot()) {
            EXPECT_EQ(processesOf(kBuildUid, host().victim).size(), 0u);
        }
    }
}

// kill(-1, SIGKILL) reaches every process the builder may signal: in strict mode only its
// own namespace, in off mode every process of the build user on the host.
TEST_F(EscapeTest, KillAllSparesHostProcessesOnlyWhenStrict) {
    Host& h = host();
    runProbe(true, {"kill-all"});
    // A kill takes effect when the victim next runs: give it time to show.
    if (exitsWithin(h.victim, std::chrono::milliseconds(200))) {
        ADD_FAILURE() << "a strict build killed a host process";
        h.victim = spawnVictim();
    }
    if (!runningAsRoot()) {
        // Without build users an off-mode builder is the caller's own uid: kill(-1) would
        // take this test (and purist) with it. That is the measured difference.
        std::cout << "[escape] kill(-1) in off mode would kill the caller; not run\n";
        return;
    }
    runProbe(false, {"kill-all"});
    if (exitsWithin(h.victim, std::chrono::seconds(5))) {
        h.victim = -1; // reaped
    } else {
        ADD_FAILURE() << "off mode was expected to reach the host process";
        killAndReap(h.victim);
    }
    h.victim = spawnVictim();
}

// The caller runs in a terminal (its controlling terminal, and stdin/stdout/stderr are
// that terminal, as for a user at a shell); the builder tries TIOCSTI on every terminal it
// can reach. Nothing may arrive at the terminal.
TEST_F(EscapeTest, TiocstiCannotReachTheCallersTerminal) {
    for (bool strict : {true, false}) {
        SCOPED_TRACE(strict ? "strict" : "off");
        int master = -1, slave = -1;
        ASSERT_EQ(::openpty(&master, &slave, nullptr, nullptr, nullptr), 0);
        FileDescriptor masterFd(master);
        int verdictPipe[2];
        ASSERT_EQ(::pipe2(verdictPipe, O_CLOEXEC), 0);
        FileDescriptor verdictRead(verdictPipe[0]), verdictWrite(verdictPipe[1]);
        pid_t caller = ::fork();
        ASSERT_NE(caller, -1);
        if (caller > 0) ++host().runs; // the child used this run's directories
        if (caller == 0) {
            // A session whose controlling terminal is the pty, with the terminal as stdio
            // and one extra descriptor left open without O_CLOEXEC.
            ::setsid();
            ::ioctl(slave, TIOCSCTTY, 0);
            ::dup2(slave, 0);
            ::dup2(slave, 1);
            ::dup2(slave, 2);
            std::string line;
            try {
                line = runProbe(strict, {"tiocsti"}).verdictLine();
            } catch (const std::exception& e) {
                line = std::string("error: ") + e.what();
            }
            (void)!::write(verdictPipe[1], line.data(), line.size());
            ::_exit(0);
        }
        ::close(slave);
        verdictWrite.close();
        std::string verdict;
        char buffer[512];
        while (size_t n = readSome(verdictRead.get(), buffer, sizeof buffer, "verdict"))
            verdict.append(buffer, n);
        int status = 0;
        ::waitpid(caller, &status, 0);
        // Injected input is echoed by the terminal to the master side.
        std::string echoed;
        ::fcntl(master, F_SETFL, O_NONBLOCK);
        for (ssize_t n; (n = ::read(master, buffer, sizeof buffer)) > 0;)
            echoed.append(buffer, static_cast<size_t>(n));
        std::cout << "[escape] TIOCSTI (" << (strict ? "strict" : "off") << "): " << verdict
                  << "\n";
        EXPECT_EQ(verdict.rfind("BLOCKED:", 0), 0u) << verdict;
        EXPECT_EQ(echoed.find('#'), std::string::npos) << "input reached the terminal";
    }
}

} // namespace
} // namespace purist::sandbox
