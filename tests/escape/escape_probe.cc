// escape_probe: the builder of the escape suite. Each subcommand makes one real attempt
// to get out of the sandbox and prints one verdict line:
//
//   ALLOWED: <what it reached>      the attempt worked
//   BLOCKED: <how it was refused>   it did not
//
// and exits 0; a usage error exits 2. The suite (escape_test.cc) runs every subcommand in
// strict and off mode and compares. Subcommands whose effect only the host can judge
// (daemon, kill-all, fork-bomb, sleep) print what they did and the suite checks the host.

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <csetjmp>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/userfaultfd.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <string>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <vector>

namespace {

[[noreturn]] void verdict(bool allowed, const std::string& detail) {
    std::printf("%s: %s\n", allowed ? "ALLOWED" : "BLOCKED", detail.c_str());
    std::fflush(stdout);
    std::exit(0);
}

std::string errnoText(int e) {
    const char* name = strerrorname_np(e);
    return std::string(name ? name : "E?") + " (" + std::strerror(e) + ")";
}

[[noreturn]] void blockedBy(const std::string& step) {
    verdict(false, step + ": " + errnoText(errno));
}

// Reads a file, or lists a directory; true if either worked.
bool canRead(const std::string& path, std::string& detail) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        detail = "open " + path + ": " + errnoText(errno);
        return false;
    }
    struct stat info {};
    ::fstat(fd, &info);
    if (S_ISDIR(info.st_mode)) {
        DIR* dir = ::fdopendir(fd);
        int entries = 0;
        while (dir && ::readdir(dir))
            ++entries;
        if (dir) ::closedir(dir);
        detail = "listed " + path + " (" + std::to_string(entries) + " entries)";
        return true;
    }
    char buffer[64];
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    int e = errno;
    ::close(fd);
    if (n < 0) {
        detail = "read " + path + ": " + errnoText(e);
        return false;
    }
    detail = "read " + std::to_string(n) + " bytes of " + path;
    return true;
}

int connectTo(int type, const std::string& host, int port) {
    int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
    if (fd == -1) blockedBy("socket");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, host.c_str(), &address.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == -1)
        blockedBy("connect " + host + ":" + std::to_string(port));
    return fd;
}

// Tries to become root of a new user namespace (the way an unprivileged builder gains
// CAP_SYS_CHROOT and CAP_SYS_ADMIN); returns what happened.
std::string tryNewUserNamespace(int extraFlags) {
    uid_t uid = ::getuid();
    gid_t gid = ::getgid();
    if (::unshare(CLONE_NEWUSER | extraFlags) == -1) return "unshare failed: " + errnoText(errno);
    auto write = [](const char* path, const std::string& text) {
        int fd = ::open(path, O_WRONLY | O_CLOEXEC);
        if (fd == -1) return false;
        bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
        ::close(fd);
        return ok;
    };
    bool mapped = write("/proc/self/setgroups", "deny") &&
                  write("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1") &&
                  write("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1");
    return mapped ? "root in a new user namespace" : "new user namespace, unmapped";
}

// The address of the abstract unix socket `name` (no file: a leading NUL byte).
sockaddr_un abstractAddress(const std::string& name, socklen_t& length) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path + 1, name.data(), name.size());
    length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    return address;
}

// A unix socket made for `unix-receivers`, bound to an abstract name where it could be.
struct Receiver {
    std::string method;
    int fd;
};

#if defined(__x86_64__)
sigjmp_buf noInt80;
void onNoInt80(int) {
    siglongjmp(noInt80, 1);
}

// Whether int 0x80 works here: a kernel without 32-bit emulation (or booted with
// ia32_emulation=0) answers it with a general protection fault, SIGSEGV.
bool haveInt80() {
    struct sigaction catcher {
    }, previous{};
    catcher.sa_handler = onNoInt80;
    if (::sigaction(SIGSEGV, &catcher, &previous) == -1) return false;
    bool works = false;
    if (sigsetjmp(noInt80, 1) == 0) {
        long pid;
        asm volatile("int $0x80" : "=a"(pid) : "a"(20L /* i386 getpid */) : "memory");
        works = pid == ::getpid();
    }
    ::sigaction(SIGSEGV, &previous, nullptr);
    return works;
}

// A 32-bit x86 system call from this 64-bit process: the kernel (and a seccomp filter)
// sees the i386 ABI, as for a 32-bit program. Arguments are truncated to 32 bits.
long int80(long number, long a, long b, long c) {
    long result;
    asm volatile("int $0x80" : "=a"(result) : "a"(number), "b"(a), "c"(b), "d"(c) : "memory");
    return static_cast<int>(result);
}
#endif

// Every way a build could make a unix socket that receives from an abstract name (one per
// method, named NAME-METHOD): a listener, a bound datagram socket, a datagram socketpair
// end disconnected with AF_UNSPEC (which a datagram pair allows; the pair's end bound
// first), stream and seqpacket pair ends (which cannot listen), and, on x86-64, the same
// through the 32-bit ABI (socketcall(2), and the direct i386 calls). `refusals` gets what
// each failed method met.
std::vector<Receiver> makeReceivers(const std::string& name, std::string& refusals) {
    std::vector<Receiver> made;
    auto refused = [&](const std::string& method, const std::string& step) {
        refusals += (refusals.empty() ? "" : "; ") + method + ": " + step + " " + errnoText(errno);
    };
    // Binds `fd` to @NAME-METHOD and makes it receive: listen for connection types,
    // disconnect a connected datagram socket.
    auto receive = [&](const std::string& method, int fd, bool datagram, bool paired) {
        if (fd < 0) return;
        socklen_t length = 0;
        sockaddr_un address = abstractAddress(name + "-" + method, length);
        if (::bind(fd, reinterpret_cast<sockaddr*>(&address), length) == -1)
            return refused(method, "bind");
        if (!datagram && ::listen(fd, 4) == -1) return refused(method, "listen");
        if (datagram && paired) {
            sockaddr unspecified{};
            unspecified.sa_family = AF_UNSPEC;
            if (::connect(fd, &unspecified, sizeof unspecified) == -1)
                return refused(method, "connect AF_UNSPEC");
        }
        made.push_back({method, fd});
        std::printf("RECEIVING: %s @%s-%s\n", method.c_str(), name.c_str(), method.c_str());
    };
    auto pair = [&](const std::string& method, int type) {
        int fds[2];
        if (::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, fds) == -1)
            return refused(method, "socketpair");
        receive(method, fds[0], type == SOCK_DGRAM || type == SOCK_RAW, true);
    };
    for (auto [method, type] :
         {std::pair{"socket-stream", SOCK_STREAM}, std::pair{"socket-seqpacket", SOCK_SEQPACKET},
          std::pair{"socket-dgram", SOCK_DGRAM}}) {
        int fd = ::socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
        if (fd == -1) refused(method, "socket");
        receive(method, fd, type == SOCK_DGRAM, false);
    }
    pair("pair-dgram", SOCK_DGRAM);
    pair("pair-raw", SOCK_RAW);
    pair("pair-stream", SOCK_STREAM);
    pair("pair-seqpacket", SOCK_SEQPACKET);
#if defined(__x86_64__)
    if (!haveInt80()) {
        errno = ENOSYS;
        refused("i386", "int 0x80");
        return made;
    }
    // socketcall's arguments and socketpair's result live in memory below 4 GiB.
    void* low = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (low == MAP_FAILED) {
        refused("i386", "mmap MAP_32BIT");
        return made;
    }
    auto* args = static_cast<uint32_t*>(low);
    auto* result = args + 8;
    constexpr long kSocketcall = 102, kSocket = 359, kSocketpair = 360;
    auto i386 = [&](const std::string& method, long ret, int fd, bool datagram, bool paired) {
        if (ret < 0) {
            errno = static_cast<int>(-ret);
            return refused(method, "system call");
        }
        receive(method, fd, datagram, paired);
    };
    uint32_t addr = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(args));
    uint32_t resultAddr = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(result));
    args[0] = AF_UNIX, args[1] = SOCK_STREAM, args[2] = 0;
    long ret = int80(kSocketcall, 1 /* SYS_SOCKET */, addr, 0);
    i386("socketcall-socket", ret, static_cast<int>(ret), false, false);
    args[0] = AF_UNIX, args[1] = SOCK_DGRAM, args[2] = 0, args[3] = resultAddr;
    ret = int80(kSocketcall, 8 /* SYS_SOCKETPAIR */, addr, 0);
    i386("socketcall-pair", ret, static_cast<int>(result[0]), true, true);
    ret = int80(kSocket, AF_UNIX, SOCK_DGRAM, 0);
    i386("i386-socket", ret, static_cast<int>(ret), true, false);
    // socketpair takes a fourth argument, in esi.
    long pairRet;
    asm volatile("int $0x80"
                 : "=a"(pairRet)
                 : "a"(kSocketpair), "b"(AF_UNIX), "c"(SOCK_DGRAM), "d"(0), "S"(resultAddr)
                 : "memory");
    i386("i386-socketpair", static_cast<int>(pairRet), static_cast<int>(result[0]), true, true);
#endif
    return made;
}

bool hasSpecialBits(const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 && (info.st_mode & (S_ISUID | S_ISGID));
}

int run(const std::vector<std::string>& a) {
    const std::string& cmd = a[0];
    auto need = [&](size_t n) {
        if (a.size() != n + 1) {
            std::fprintf(stderr, "escape_probe %s: expected %zu arguments\n", cmd.c_str(), n);
            std::exit(2);
        }
    };
    std::string detail;

    if (cmd == "read-path") {
        need(1);
        bool reached = canRead(a[1], detail);
        verdict(reached, detail);
    }
    if (cmd == "list-has") { // list-has DIR NAME: does listing DIR reveal NAME?
        need(2);
        DIR* dir = ::opendir(a[1].c_str());
        if (!dir) blockedBy("opendir " + a[1]);
        while (dirent* entry = ::readdir(dir))
            if (a[2] == entry->d_name) verdict(true, "listing " + a[1] + " shows " + a[2]);
        verdict(false, "listing " + a[1] + " does not show " + a[2]);
    }
    if (cmd == "write-path") {
        need(1);
        int fd = ::open(a[1].c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd == -1) blockedBy("open " + a[1]);
        if (::write(fd, "escaped\n", 8) != 8) blockedBy("write " + a[1]);
        verdict(true, "wrote " + a[1]);
    }
    if (cmd == "connect-tcp") {
        need(2);
        connectTo(SOCK_STREAM, a[1], std::stoi(a[2]));
        verdict(true, "connected to " + a[1] + ":" + a[2]);
    }
    if (cmd == "udp-echo") { // a query to a resolver-like UDP service; a reply means reached
        need(2);
        int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd == -1) blockedBy("socket");
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<uint16_t>(std::stoi(a[2])));
        ::inet_pton(AF_INET, a[1].c_str(), &address.sin_addr);
        if (::sendto(fd, "query", 5, 0, reinterpret_cast<sockaddr*>(&address), sizeof address) ==
            -1)
            blockedBy("sendto " + a[1]);
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 500) <= 0) verdict(false, "no answer from " + a[1] + ":" + a[2]);
        char buffer[64];
        if (::recv(fd, buffer, sizeof buffer, 0) <= 0) blockedBy("recv");
        verdict(true, "answer from " + a[1] + ":" + a[2]);
    }
    if (cmd == "resolve") { // resolve NAME: a DNS lookup through the system resolver
        need(1);
        addrinfo* found = nullptr;
        int rc = ::getaddrinfo(a[1].c_str(), nullptr, nullptr, &found);
        if (rc != 0) verdict(false, "cannot resolve " + a[1] + ": " + ::gai_strerror(rc));
        char text[INET6_ADDRSTRLEN] = "?";
        if (found->ai_family == AF_INET)
            ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr, text,
                        sizeof text);
        ::freeaddrinfo(found);
        verdict(true, "resolved " + a[1] + " to " + text);
    }
    if (cmd == "raw-socket") {
        need(0);
        int fd = ::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
        if (fd != -1) verdict(true, "opened a raw ICMP socket");
        int e = errno;
        fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
        if (fd != -1) verdict(true, "opened a packet socket");
        verdict(false, "raw ICMP: " + errnoText(e) + "; packet: " + errnoText(errno));
    }
    if (cmd == "chroot-break") { // chroot-break TARGET: the classic mkdir + chroot + chdir ..
        need(1);
        std::string how = tryNewUserNamespace(0);
        ::mkdir("/tmp/chroot-break", 0755);
        if (::chroot("/tmp/chroot-break") == -1) blockedBy(how + "; chroot");
        for (int i = 0; i < 256; ++i)
            (void)!::chdir("..");
        if (::chroot(".") == -1) blockedBy(how + "; chroot(.)");
        // Evaluated first: the order of a call's arguments is unspecified.
        bool reached = canRead(a[1], detail);
        verdict(reached, how + "; broke out of the chroot; " + detail);
    }
    if (cmd == "mount-tmpfs") {
        need(1);
        if (::mount("tmpfs", a[1].c_str(), "tmpfs", 0, nullptr) == -1) blockedBy("mount");
        verdict(true, "mounted a tmpfs on " + a[1]);
    }
    if (cmd == "remount-write") { // remount-write DIR: make a read-only mount writable
        need(1);
        std::string how = tryNewUserNamespace(CLONE_NEWNS);
        int rc = ::mount(nullptr, a[1].c_str(), nullptr, MS_REMOUNT | MS_BIND, nullptr);
        how += rc == 0 ? "; remounted rw" : "; remount: " + errnoText(errno);
        std::string file = a[1] + "/escape-written";
        int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd == -1) blockedBy(how + "; open " + file);
        verdict(true, how + "; wrote " + file);
    }
    if (cmd == "pivot-root") { // pivot-root TARGET: pivot and look for TARGET under old root
        need(1);
        std::string how = tryNewUserNamespace(CLONE_NEWNS);
        if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == -1)
            blockedBy(how + "; making / private");
        ::mkdir("/tmp/pivot", 0755);
        if (::mount("tmpfs", "/tmp/pivot", "tmpfs", 0, nullptr) == -1)
            blockedBy(how + "; mount tmpfs");
        ::mkdir("/tmp/pivot/old", 0755);
        if (::syscall(SYS_pivot_root, "/tmp/pivot", "/tmp/pivot/old") == -1)
            blockedBy(how + "; pivot_root");
        bool reached = canRead("/old" + a[1], detail);
        verdict(reached, how + "; pivoted; " + detail);
    }
    if (cmd == "unshare-root") { // unshare-root TARGET: read a root-only host file as ns root
        need(1);
        std::string how = tryNewUserNamespace(0);
        bool reached = canRead(a[1], detail);
        verdict(reached, how + "; " + detail);
    }
    if (cmd == "ptrace") {
        need(1);
        pid_t pid = std::stoi(a[1]);
        if (::ptrace(PTRACE_ATTACH, pid, nullptr, nullptr) == -1) blockedBy("ptrace " + a[1]);
        verdict(true, "attached to pid " + a[1]);
    }
    if (cmd == "kill") { // signal 0: the permission check of a real kill, without killing
        need(1);
        if (::kill(std::stoi(a[1]), 0) == -1) blockedBy("kill " + a[1]);
        verdict(true, "may signal pid " + a[1]);
    }
    if (cmd == "kill-all") {
        need(0);
        if (::kill(-1, SIGKILL) == -1) blockedBy("kill(-1)");
        verdict(true, "kill(-1, SIGKILL) succeeded; the host decides what it reached");
    }
    if (cmd == "chmod-special") { // chmod-special PATH MODE(octal)
        need(2);
        int fd = ::open(a[1].c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
        if (fd == -1) blockedBy("open " + a[1]);
        ::close(fd);
        mode_t mode = static_cast<mode_t>(std::stoul(a[2], nullptr, 8));
        if (::chmod(a[1].c_str(), mode) == -1 && ::fchmodat(AT_FDCWD, a[1].c_str(), mode, 0) == -1)
            blockedBy("chmod " + a[2]);
        verdict(hasSpecialBits(a[1]), "chmod " + a[2] + " " + a[1]);
    }
    if (cmd == "chmod2-special") { // chmod2-special PATH MODE: through fchmodat2 (Linux 6.6)
        need(2);
        int fd = ::open(a[1].c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
        if (fd == -1) blockedBy("open " + a[1]);
        ::close(fd);
        mode_t mode = static_cast<mode_t>(std::stoul(a[2], nullptr, 8));
        constexpr long kFchmodat2 = 452; // the same number on every architecture
        if (::syscall(kFchmodat2, AT_FDCWD, a[1].c_str(), mode, 0) == -1) {
            if (errno == ENOSYS) verdict(false, "fchmodat2 does not exist on this kernel");
            blockedBy("fchmodat2 " + a[2]);
        }
        verdict(hasSpecialBits(a[1]), "fchmodat2 " + a[2] + " " + a[1]);
    }
    if (cmd == "create-special") { // create-special PATH MODE: the bits given at creation
        need(2);
        mode_t mode = static_cast<mode_t>(std::stoul(a[2], nullptr, 8));
        int fd = ::open(a[1].c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        if (fd == -1) blockedBy("open with mode " + a[2]);
        ::close(fd);
        verdict(hasSpecialBits(a[1]), "created " + a[1] + " with mode " + a[2]);
    }
    if (cmd == "setxattr") {
        need(1);
        int fd = ::open(a[1].c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd == -1) blockedBy("open " + a[1]);
        ::close(fd);
        if (::setxattr(a[1].c_str(), "user.purist", "x", 1, 0) == -1) blockedBy("setxattr");
        verdict(true, "set user.purist on " + a[1]);
    }
    if (cmd == "mknod") {
        need(1);
        if (::mknod(a[1].c_str(), S_IFBLK | 0600, makedev(8, 0)) == -1) blockedBy("mknod");
        verdict(true, "created block device " + a[1]);
    }
    if (cmd == "extra-devices") { // device nodes in /dev beyond the minimal set
        need(0);
        const std::string allowed[] = {"null", "zero", "full", "random", "urandom", "tty"};
        DIR* dir = ::opendir("/dev");
        if (!dir) blockedBy("opendir /dev");
        std::string found;
        while (dirent* entry = ::readdir(dir)) {
            std::string name = entry->d_name;
            struct stat info {};
            if (::lstat(("/dev/" + name).c_str(), &info) == -1) continue;
            if (!S_ISCHR(info.st_mode) && !S_ISBLK(info.st_mode)) continue;
            bool minimal = false;
            for (const auto& ok : allowed)
                minimal = minimal || name == ok;
            if (!minimal) found += " " + name;
        }
        verdict(!found.empty(), found.empty() ? "only the minimal devices" : "devices:" + found);
    }
    if (cmd == "tiocsti") { // push input into any terminal this process can reach
        need(0);
        char c = '#';
        std::string tried;
        for (int fd = 0; fd < 1024; ++fd) {
            if (!::isatty(fd)) continue;
            if (::ioctl(fd, TIOCSTI, &c) == 0) verdict(true, "TIOCSTI on fd " + std::to_string(fd));
            tried += " fd" + std::to_string(fd) + ":" + errnoText(errno);
        }
        int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
        if (tty == -1)
            verdict(false, "no terminal descriptor" + tried + "; /dev/tty: " + errnoText(errno));
        if (::ioctl(tty, TIOCSTI, &c) == 0) verdict(true, "TIOCSTI on /dev/tty");
        verdict(false, "TIOCSTI on /dev/tty: " + errnoText(errno));
    }
    if (cmd == "hostname") {
        need(0);
        utsname names{};
        ::uname(&names);
        verdict(std::string(names.nodename) != "localhost",
                std::string("host name is ") + names.nodename);
    }
    if (cmd == "interfaces") { // network interfaces besides lo (and whether lo is up)
        need(0);
        struct if_nameindex* list = ::if_nameindex();
        if (!list) blockedBy("if_nameindex");
        std::string others, lo = "lo missing";
        for (struct if_nameindex* i = list; i->if_index; ++i) {
            if (std::string(i->if_name) != "lo") {
                others += std::string(" ") + i->if_name;
                continue;
            }
            int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            ifreq request{};
            std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
            bool up = fd != -1 && ::ioctl(fd, SIOCGIFFLAGS, &request) == 0 &&
                      (request.ifr_flags & IFF_UP);
            lo = up ? "lo up" : "lo down";
            if (fd != -1) ::close(fd);
        }
        ::if_freenameindex(list);
        verdict(!others.empty(), lo + (others.empty() ? "; no other interface" : ";" + others));
    }
    if (cmd == "shm") { // shm KEY: a host SysV shared memory segment
        need(1);
        int id = ::shmget(static_cast<key_t>(std::stol(a[1])), 0, 0);
        if (id == -1) blockedBy("shmget " + a[1]);
        verdict(true, "found the host's shared memory segment " + a[1]);
    }
    if (cmd == "abstract-unix") { // abstract-unix NAME: a host service on an abstract socket
        need(1);
        int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd == -1) blockedBy("socket");
        socklen_t length = 0;
        sockaddr_un address = abstractAddress(a[1], length);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&address), length) == -1)
            blockedBy("connect @" + a[1]);
        verdict(true, "connected to @" + a[1]);
    }
    if (cmd == "daemon") { // daemon FILE: double fork + setsid, then append to FILE forever
        need(1);
        pid_t child = ::fork();
        if (child == 0) {
            ::setsid();
            if (::fork() != 0) ::_exit(0);
            for (;;) {
                int fd = ::open(a[1].c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
                if (fd != -1) {
                    (void)!::write(fd, ".", 1);
                    ::close(fd);
                }
                ::usleep(50 * 1000);
            }
        }
        ::waitpid(child, nullptr, 0);
        // The daemon has written at least once before the build ends.
        for (int i = 0; i < 200 && ::access(a[1].c_str(), F_OK) != 0; ++i)
            ::usleep(25 * 1000);
        std::printf("STARTED: daemon writing to %s\n", a[1].c_str());
        return 0;
    }
    if (cmd == "fork-bomb") { // fork until refused; children wait to be killed
        need(0);
        constexpr long kCap = 2000;
        long count = 0;
        for (;;) {
            pid_t pid = ::fork();
            if (pid == 0) {
                for (;;)
                    ::pause();
            }
            if (pid == -1) break;
            ++count;
            if (count >= kCap) break; // without a bound, stop before the host runs out of pids
        }
        std::printf("FORKED: %ld %s\n", count,
                    count >= kCap ? "unbounded" : errnoText(errno).c_str());
        return 0;
    }
    if (cmd == "sleep") { // sleep SECONDS [MESSAGE]: the timeouts' builder
        if (a.size() == 3) {
            std::printf("%s\n", a[2].c_str());
            std::fflush(stdout);
        }
        ::sleep(static_cast<unsigned>(std::stoi(a[1])));
        std::printf("WOKE\n");
        return 0;
    }
    // ---- Keyrings, kernel attack surface, abstract sockets, 8-bit controls (issue 9) ----
    if (cmd == "keyring-read") { // keyring-read NAME: a key the caller keeps in its session
        need(1);
        long key =
            ::syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING, "user", a[1].c_str(), 0);
        if (key == -1) blockedBy("keyctl search @s for " + a[1]);
        char value[256] = {};
        long n = ::syscall(SYS_keyctl, KEYCTL_READ, key, value, sizeof value - 1);
        if (n == -1) blockedBy("keyctl read " + a[1]);
        verdict(true, "read the caller's key " + a[1] + ": " +
                          std::string(value, static_cast<size_t>(std::min(n, 255L))));
    }
    if (cmd == "keyring-plant") { // keyring-plant NAME: leave a key in this user's keyring
        need(1);
        const char value[] = "left by an earlier build";
        if (::syscall(SYS_add_key, "user", a[1].c_str(), value, sizeof value - 1,
                      KEY_SPEC_USER_KEYRING) == -1)
            blockedBy("add_key to @u");
        verdict(true, "planted " + a[1] + " in the keyring of uid " + std::to_string(::getuid()));
    }
    if (cmd == "keyring-find") { // keyring-find NAME: a key an earlier build left
        need(1);
        std::printf("UID: %u\n", ::getuid());
        long key =
            ::syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_USER_KEYRING, "user", a[1].c_str(), 0);
        if (key == -1) blockedBy("keyctl search @u for " + a[1]);
        verdict(true, "found " + a[1] + ", left by an earlier build of uid " +
                          std::to_string(::getuid()));
    }
    if (cmd == "syscall") { // syscall NAME: reach a kernel facility strict mode refuses
        need(1);
        long rc = -1;
        const std::string& name = a[1];
        if (name == "perf_event_open") {
            perf_event_attr attr{};
            attr.size = sizeof attr;
            attr.type = PERF_TYPE_SOFTWARE;
            attr.config = PERF_COUNT_SW_CPU_CLOCK;
            attr.exclude_kernel = 1;
            attr.exclude_hv = 1;
            rc = ::syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
        } else if (name == "userfaultfd") {
            rc = ::syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
        } else if (name == "io_uring_setup") {
            io_uring_params params{};
            rc = ::syscall(SYS_io_uring_setup, 1, &params);
        } else if (name == "io_uring_enter") {
            // A descriptor that is no ring: the kernel answers EBADF, the filter EPERM.
            rc = ::syscall(SYS_io_uring_enter, -1, 0, 0, 0, nullptr, 0);
            if (rc == -1 && errno == EBADF) verdict(true, "io_uring_enter reached the kernel");
        } else if (name == "io_uring_register") {
            // No ring either: the kernel answers EBADF, or EINVAL for fd -1 (its "blind"
            // operations, Linux 6.11), the filter EPERM.
            rc = ::syscall(SYS_io_uring_register, -1, 0, nullptr, 0);
            if (rc == -1 && (errno == EBADF || errno == EINVAL))
                verdict(true, "io_uring_register reached the kernel (" + errnoText(errno) + ")");
        } else {
            std::fprintf(stderr, "escape_probe syscall: unknown '%s'\n", name.c_str());
            return 2;
        }
        if (rc == -1) blockedBy(name);
        verdict(true, name + " gave descriptor " + std::to_string(rc));
    }
    if (cmd == "abstract-listen") { // abstract-listen NAME MS: wait for a connection
        need(2);
        int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd == -1) blockedBy("socket");
        socklen_t length = 0;
        sockaddr_un address = abstractAddress(a[1], length);
        if (::bind(fd, reinterpret_cast<sockaddr*>(&address), length) == -1 ||
            ::listen(fd, 4) == -1)
            blockedBy("listening on @" + a[1]);
        std::printf("LISTENING: @%s\n", a[1].c_str());
        std::fflush(stdout);
        pollfd waiter{fd, POLLIN, 0};
        if (::poll(&waiter, 1, std::stoi(a[2])) == 1 && ::accept(fd, nullptr, nullptr) != -1)
            verdict(true, "a process outside the build connected to @" + a[1]);
        verdict(false, "nothing connected to @" + a[1] + " in " + a[2] + " ms");
    }
    if (cmd == "unix-receivers") { // unix-receivers NAME MS: wait for anyone to reach one
        need(2);
        std::string refusals;
        std::vector<Receiver> receivers = makeReceivers(a[1], refusals);
        std::printf("READY: %zu receivers\n", receivers.size());
        std::fflush(stdout);
        std::vector<pollfd> waiters;
        for (const Receiver& r : receivers)
            waiters.push_back({r.fd, POLLIN, 0});
        if (!waiters.empty() && ::poll(waiters.data(), waiters.size(), std::stoi(a[2])) > 0) {
            for (size_t i = 0; i < waiters.size(); ++i)
                if (waiters[i].revents)
                    verdict(true, "a process outside the build reached @" + a[1] + "-" +
                                      receivers[i].method);
        }
        verdict(false, "nothing reached the build in " + a[2] + " ms" +
                           (refusals.empty() ? "" : "; refused: " + refusals));
    }
    if (cmd == "csi8") { // csi8: 8-bit CSI sequences that clear the screen and colour text
        need(0);
        std::printf("purist-csi8: before\x9b"
                    "2J\x9b"
                    "1;31mafter\x9b"
                    "0m\n");
        return 0;
    }
    std::fprintf(stderr, "escape_probe: unknown subcommand '%s'\n", cmd.c_str());
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: escape_probe SUBCOMMAND [ARGS...]\n");
        return 2;
    }
    return run(std::vector<std::string>(argv + 1, argv + argc));
}
