#include "sandbox/seccomp_filter.h"

#include "base/error.h"
#include "base/file_descriptor.h"
#include "policy/settings.h"

#include <array>
#include <cerrno>
#include <fcntl.h>
#include <initializer_list>
#include <linux/seccomp.h>
#include <memory>
#include <mutex>
#include <optional>
#include <seccomp.h>
#include <string>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace purist::sandbox {
namespace {

struct FilterRelease {
    void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Filter = std::unique_ptr<void, FilterRelease>;

Filter newFilter(uint32_t badArchAction) {
    Filter filter(seccomp_init(SCMP_ACT_ALLOW));
    if (!filter) throw SysError(ENOMEM, "creating a seccomp filter");
    int rc = seccomp_attr_set(filter.get(), SCMP_FLTATR_ACT_BADARCH, badArchAction);
    if (rc < 0) throw SysError(-rc, "setting the seccomp action for foreign architectures");
    return filter;
}

// The filter is built with libseccomp's table of system calls; calls newer than the
// installed libseccomp (fchmodat2, setxattrat) are not in it, so they go into a second,
// native-only filter by number. Numbers from 424 on are the same on every architecture.
struct Filters {
    Filter main = newFilter(SCMP_ACT_KILL_PROCESS);
    Filter fallback = newFilter(SCMP_ACT_ALLOW);
    bool fallbackUsed = false;

    void refuse(const char* name, int fallbackNumber, uint32_t action,
                std::initializer_list<scmp_arg_cmp> args) {
        int number = seccomp_syscall_resolve_name(name);
        void* target = main.get();
        if (number == __NR_SCMP_ERROR) {
            if (fallbackNumber < 0) return; // not a system call on this architecture
            number = fallbackNumber;
            target = fallback.get();
            fallbackUsed = true;
        }
        int rc = seccomp_rule_add_array(target, action, number, static_cast<unsigned>(args.size()),
                                        args.size() ? args.begin() : nullptr);
        if (rc < 0) throw SysError(-rc, std::string("adding the seccomp rule for ") + name);
    }

    // libseccomp writes the generated BPF to a descriptor; a memfd keeps it in memory.
    static std::vector<sock_filter> exportProgram(void* filter) {
        int fd = ::memfd_create("purist-seccomp", MFD_CLOEXEC);
        if (fd == -1) throw SysError("creating a memfd for the seccomp filter");
        FileDescriptor memory(fd);
        int rc = seccomp_export_bpf(filter, memory.get());
        if (rc < 0) throw SysError(-rc, "exporting the seccomp filter");
        off_t size = ::lseek(memory.get(), 0, SEEK_END);
        if (size <= 0 || size % sizeof(sock_filter) != 0 || ::lseek(memory.get(), 0, SEEK_SET) != 0)
            throw SysError("reading back the seccomp filter");
        std::vector<sock_filter> program(static_cast<size_t>(size) / sizeof(sock_filter));
        char* bytes = reinterpret_cast<char*>(program.data());
        for (size_t have = 0; have < static_cast<size_t>(size);) {
            size_t n = readSome(memory.get(), bytes + have, static_cast<size_t>(size) - have,
                                "the seccomp filter");
            if (n == 0) throw SysError(EIO, "reading back the seccomp filter");
            have += n;
        }
        return program;
    }

    // One program, so that a build loads one filter: the fallback first, its "allow"
    // returns turned into jumps to the main program after it (seccomp's answer is the most
    // restrictive of all filters, and the fallback only ever allows or refuses, so this
    // is the same filter as loading both).
    SeccompProgram compile() {
        std::vector<sock_filter> program;
        if (fallbackUsed) {
            program = exportProgram(fallback.get());
            for (size_t i = 0; i < program.size(); ++i) {
                sock_filter& op = program[i];
                if (op.code == (BPF_RET | BPF_K) && op.k == SECCOMP_RET_ALLOW)
                    op = BPF_JUMP(BPF_JMP | BPF_JA, static_cast<uint32_t>(program.size() - i - 1),
                                  0, 0);
            }
        }
        std::vector<sock_filter> mainProgram = exportProgram(main.get());
        program.insert(program.end(), mainProgram.begin(), mainProgram.end());
        if (program.size() > BPF_MAXINSNS)
            throw SysError(E2BIG, "joining the seccomp filters (" + std::to_string(program.size()) +
                                      " instructions)");
        return SeccompProgram{std::move(program)};
    }
};

scmp_arg_cmp hasBits(unsigned arg, scmp_datum_t bits) {
    return scmp_arg_cmp{arg, SCMP_CMP_MASKED_EQ, bits, bits};
}

constexpr int kNoFallback = -1;

// The type bits of socket()'s and socketpair()'s type argument (SOCK_CLOEXEC and
// SOCK_NONBLOCK are above them), and socketcall(2)'s numbers for socket, listen and
// socketpair (linux/net.h's SYS_SOCKET, SYS_LISTEN and SYS_SOCKETPAIR).
constexpr scmp_datum_t kSocketTypeMask = 0xf;
constexpr scmp_datum_t kSocketcallSocket = 1;
constexpr scmp_datum_t kSocketcallListen = 4;
constexpr scmp_datum_t kSocketcallPair = 8;

// Kernel facilities a build seldom needs, each a large, much-exploited interface: refused
// unless the `sandbox-allow-syscalls` setting names them. The order is that of
// policy::kAllowableSyscalls; a bit of the mask per entry.
struct OptionalFacility {
    const char* name;
    std::initializer_list<std::pair<const char*, int>> calls; // name, number if libseccomp lacks it
};
const OptionalFacility kOptionalFacilities[] = {
    // Hardware and software performance counters: a long line of local privilege
    // escalations (CVE-2013-2094, CVE-2023-6931), and side channels on other processes.
    {"perf_event_open", {{"perf_event_open", kNoFallback}}},
    // Lets a process stall the kernel in the middle of a copy from user memory, which
    // turns narrow race conditions into reliable exploits (CVE-2016-5195's exploits, and
    // why vm.unprivileged_userfaultfd exists).
    {"userfaultfd", {{"userfaultfd", kNoFallback}}},
    // A second system call interface beside the filter's view: its operations (open,
    // connect, ...) are not system calls a seccomp filter sees, and it has had many
    // privilege escalations (Google disabled it on ChromeOS, Android and its servers).
    {"io_uring", {{"io_uring_setup", 425}, {"io_uring_enter", 426}, {"io_uring_register", 427}}},
};
static_assert(std::size(kOptionalFacilities) == policy::kAllowableSyscalls.size());

unsigned allowedMask(const std::vector<std::string>& allowed) {
    unsigned mask = 0;
    for (const std::string& name : allowed) {
        size_t i = 0;
        while (i < std::size(kOptionalFacilities) && name != kOptionalFacilities[i].name)
            ++i;
        if (i == std::size(kOptionalFacilities))
            throw SandboxError("sandbox-allow-syscalls: unknown system call '" + name + "'");
        mask |= 1u << i;
    }
    return mask;
}

SeccompProgram buildFilter(unsigned allowed, bool hostNetwork) {
    Filters filters;
#if defined(__x86_64__)
    // 32-bit and x32 programs must meet the same rules, not a hole in the filter.
    for (uint32_t arch : {SCMP_ARCH_X86, SCMP_ARCH_X32}) {
        int rc = seccomp_arch_add(filters.main.get(), arch);
        if (rc < 0 && rc != -EEXIST) throw SysError(-rc, "adding an architecture to the filter");
    }
#endif

    // A setuid or setgid file left in an output or in the build dir could be run by anyone
    // on the host who reaches it, with the build user's identity. Refusing the mode bits
    // where files get them closes that; canonicalisation strips any that slip through.
    const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
    for (scmp_datum_t bit : {scmp_datum_t{S_ISUID}, scmp_datum_t{S_ISGID}}) {
        filters.refuse("chmod", kNoFallback, eperm, {hasBits(1, bit)});
        filters.refuse("fchmod", kNoFallback, eperm, {hasBits(1, bit)});
        filters.refuse("fchmodat", kNoFallback, eperm, {hasBits(2, bit)});
        filters.refuse("fchmodat2", 452, eperm, {hasBits(2, bit)});
        filters.refuse("creat", kNoFallback, eperm, {hasBits(1, bit)});
        filters.refuse("mknod", kNoFallback, eperm, {hasBits(1, bit)});
        filters.refuse("mknodat", kNoFallback, eperm, {hasBits(2, bit)});
        for (scmp_datum_t creating : {scmp_datum_t{O_CREAT}, scmp_datum_t{__O_TMPFILE}}) {
            filters.refuse("open", kNoFallback, eperm, {hasBits(1, creating), hasBits(2, bit)});
            filters.refuse("openat", kNoFallback, eperm, {hasBits(2, creating), hasBits(3, bit)});
        }
    }
    // openat2 passes its mode inside a struct the filter cannot read. ENOSYS makes libc
    // and programs fall back to openat, which the rules above see.
    filters.refuse("openat2", 437, SCMP_ACT_ERRNO(ENOSYS), {});

    // Extended attributes and ACLs are not part of a store path's contents (NAR has no
    // place for them); a build that sets them would produce outputs that differ on disk
    // from what is registered.
    const uint32_t enotsup = SCMP_ACT_ERRNO(ENOTSUP);
    for (const char* call : {"setxattr", "lsetxattr", "fsetxattr"})
        filters.refuse(call, kNoFallback, enotsup, {});
    filters.refuse("setxattrat", 463, enotsup, {});

    // The kernel keyrings are not namespaced by anything a build has of its own: a builder
    // could read keys of the process that started purist (through the session keyring it
    // inherited) and leave keys for the next build of its build user (the user keyring).
    // Each builder also joins a fresh session keyring (child_process.cc); refusing the
    // calls as Docker's and Flatpak's default profiles do closes the rest.
    for (const char* call : {"add_key", "keyctl", "request_key"})
        filters.refuse(call, kNoFallback, eperm, {});

    // EPERM is what the kernel itself answers when an administrator disables these
    // (kernel.perf_event_paranoid, vm.unprivileged_userfaultfd, kernel.io_uring_disabled),
    // so programs that can do without them already handle it.
    for (size_t i = 0; i < std::size(kOptionalFacilities); ++i) {
        if (allowed & (1u << i)) continue;
        for (const auto& [call, number] : kOptionalFacilities[i].calls)
            filters.refuse(call, number, eperm, {});
    }

    // A fixed-output build shares the host's network namespace, and with it the abstract
    // unix socket names: any host process, of any user, could connect to an abstract
    // socket the build listens on, or send a datagram to one it bound, and over that
    // channel take a descriptor the build passes out or hand it one (the CVE-2024-27297
    // class). Landlock scopes only the connections a build makes. So such a build cannot
    // listen() at all (a fetcher serves nothing; for TCP this closes inbound connections
    // too), nor make a unix datagram socket, which receives from any sender unless it is
    // connected (and a socketpair's end can be disconnected with AF_UNSPEC; SOCK_RAW is a
    // datagram socket for AF_UNIX). Connecting out stays: a unix socket a sandbox-paths
    // entry exposes (an SSH agent) is reached as before. No path socket is reachable from
    // outside either: its root is its own, and its output directory lies below a 0700
    // directory of purist's. Every other sandboxed build has a network namespace of its
    // own, whose abstract names no host process sees.
    if (hostNetwork) {
        filters.refuse("listen", kNoFallback, eperm, {});
        for (scmp_datum_t type : {scmp_datum_t{SOCK_DGRAM}, scmp_datum_t{SOCK_RAW}}) {
            scmp_arg_cmp ofType{1, SCMP_CMP_MASKED_EQ, kSocketTypeMask, type};
            filters.refuse("socket", kNoFallback, eperm,
                           {scmp_arg_cmp{0, SCMP_CMP_EQ, AF_UNIX, 0}, ofType});
            filters.refuse("socketpair", kNoFallback, eperm, {ofType});
        }
        // 32-bit x86 programs may make sockets through socketcall(2), whose arguments are
        // in memory a filter cannot read: its socket() and socketpair() are refused
        // outright, whatever the family (a 32-bit program in a fixed-output build needs the
        // direct socket system calls, Linux 4.3, which the rules above see), and so is its
        // listen().
        for (scmp_datum_t call : {kSocketcallSocket, kSocketcallListen, kSocketcallPair})
            filters.refuse("socketcall", kNoFallback, eperm,
                           {scmp_arg_cmp{0, SCMP_CMP_EQ, call, 0}});
    }

    return filters.compile();
}

} // namespace

const SeccompProgram& compiledSeccompFilter(const std::vector<std::string>& allowed,
                                            bool hostNetwork) {
    constexpr size_t kVariants = size_t{1} << std::size(kOptionalFacilities);
    static std::mutex mutex;
    static std::array<std::optional<SeccompProgram>, 2 * kVariants> compiled;
    unsigned mask = allowedMask(allowed);
    size_t slot = mask + (hostNetwork ? kVariants : 0);
    std::lock_guard<std::mutex> lock(mutex);
    if (!compiled[slot]) {
        try {
            compiled[slot] = buildFilter(mask, hostNetwork);
        } catch (const SysError& e) {
            throw SandboxError(std::string("building the seccomp filter: ") + e.what());
        }
    }
    return *compiled[slot];
}

void installSeccompFilter(const SeccompProgram& filter) {
    // No new privileges: a setuid binary in a sandbox path (or one the builder makes)
    // runs without raising privileges, and loading the filter below needs no capability.
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) throw SysError("setting no_new_privs");
    sock_fprog loadable{static_cast<unsigned short>(filter.instructions.size()),
                        const_cast<sock_filter*>(filter.instructions.data())};
    if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &loadable, 0, 0) == -1)
        throw SysError("loading the seccomp filter");
}

} // namespace purist::sandbox
