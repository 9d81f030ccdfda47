#include "sandbox/namespaces.h"

#include "base/error.h"
#include "base/file_descriptor.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace purist::sandbox {
namespace {

bool haveCgroupNamespaces() {
    return ::access("/proc/self/ns/cgroup", F_OK) == 0;
}

void writeProcFile(const std::string& path, const std::string& content) {
    FileDescriptor fd = openFile(path, O_WRONLY);
    writeAll(fd.get(), content, "'" + path + "'");
    fd.close();
}

std::string describeFlags(int flags) {
    std::string out;
    auto add = [&](int flag, const char* name) {
        if (flags & flag) out += out.empty() ? name : std::string("|") + name;
    };
    add(CLONE_NEWUSER, "CLONE_NEWUSER");
    add(CLONE_NEWNS, "CLONE_NEWNS");
    add(CLONE_NEWPID, "CLONE_NEWPID");
    add(CLONE_NEWIPC, "CLONE_NEWIPC");
    add(CLONE_NEWUTS, "CLONE_NEWUTS");
    add(CLONE_NEWNET, "CLONE_NEWNET");
    add(CLONE_NEWCGROUP, "CLONE_NEWCGROUP");
    return out;
}

// A fresh network namespace has `lo` down; builds that talk to themselves over
// 127.0.0.1 (test suites) need it up, and nothing else is there to reach.
void bringUpLoopback() {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd == -1) throw SysError("creating a socket to configure 'lo'");
    FileDescriptor socketFd(fd);
    ifreq request{};
    std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
    if (::ioctl(socketFd.get(), SIOCGIFFLAGS, &request) == -1)
        throw SysError("reading the flags of interface 'lo' (SIOCGIFFLAGS)");
    request.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (::ioctl(socketFd.get(), SIOCSIFFLAGS, &request) == -1)
        throw SysError("bringing up interface 'lo' (SIOCSIFFLAGS)");
}

} // namespace

void enterNamespaces(const SandboxIdentity& identity, bool hostNetwork, bool cgroupNamespace) {
    uid_t outerUid = ::geteuid();
    gid_t outerGid = ::getegid();

    // Mount: the sandbox root and its bind mounts exist only here, and nothing the builder
    // mounts reaches the host. PID: the builder cannot see, ptrace or signal host processes,
    // and when it (PID 1) exits the kernel kills everything it started. IPC: no host SysV
    // shared memory or message queues. UTS: the host name cannot leak into outputs.
    // Cgroup: the builder sees its own cgroup as the root, not the host's hierarchy.
    int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
    // User: without root, the only way to get the powers to build the root; the caller
    // is mapped to an ordinary uid, so the builder holds no capabilities once it runs.
    if (identity.userNamespace) flags |= CLONE_NEWUSER;
    // Network: no host interfaces, so no exfiltration and no downloads that the output
    // hash does not pin. Fixed-output builds keep the host network by design.
    if (!hostNetwork) flags |= CLONE_NEWNET;
    if (cgroupNamespace && haveCgroupNamespaces()) flags |= CLONE_NEWCGROUP;
    if (::unshare(flags) == -1) throw SysError("unshare(" + describeFlags(flags) + ")");

    if (identity.userNamespace) {
        // An unprivileged writer of gid_map must deny setgroups first; it also stops the
        // builder dropping a supplementary group to get past a group-denied permission
        // (CVE-2014-8989).
        writeProcFile("/proc/self/setgroups", "deny");
        writeProcFile("/proc/self/uid_map",
                      std::to_string(identity.uid) + " " + std::to_string(outerUid) + " 1\n");
        writeProcFile("/proc/self/gid_map",
                      std::to_string(identity.gid) + " " + std::to_string(outerGid) + " 1\n");
    }

    static constexpr char kHostName[] = "localhost";
    if (::sethostname(kHostName, sizeof kHostName - 1) == -1)
        throw SysError("setting the host name to 'localhost'");
    if (!hostNetwork) bringUpLoopback();
}

NamespaceProbe startNamespaceProbe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) == -1) throw SysError("creating the namespace probe's pipe");
    FileDescriptor readEnd(fds[0]), writeEnd(fds[1]);
    SandboxIdentity identity{1000, 100, ::geteuid() != 0};
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid == -1) throw SysError("forking the namespace probe");
    if (pid == 0) {
        // Nobody wants the verdict once the launcher is gone (purist kills it at exit).
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1 || ::getppid() != parent) ::_exit(1);
        std::string verdict;
        try {
            enterNamespaces(identity, false, true);
            verdict = "\1";
        } catch (const std::exception& e) {
            verdict = std::string(1, '\0') + e.what();
        }
        (void)!::write(writeEnd.get(), verdict.data(), verdict.size());
        ::_exit(0);
    }
    return {pid, std::move(readEnd)};
}

std::string readProbeVerdict(const NamespaceProbe& probe) {
    std::string verdict;
    char buffer[512];
    for (;;) {
        ssize_t n = ::read(probe.verdict.get(), buffer, sizeof buffer);
        if (n > 0) {
            verdict.append(buffer, static_cast<size_t>(n));
            continue;
        }
        if (n == -1 && errno == EINTR) continue;
        if (n == -1)
            return std::string(1, '\0') +
                   "reading the namespace probe's verdict: " + std::strerror(errno);
        break;
    }
    if (verdict.empty()) return std::string(1, '\0') + "the namespace probe died";
    return verdict;
}

} // namespace purist::sandbox
