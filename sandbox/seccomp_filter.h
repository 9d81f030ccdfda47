#pragma once
// The system call filter of a strict build. Internal to sandbox/.

#include <linux/filter.h>
#include <string>
#include <vector>

namespace purist::sandbox {

/// The filter as one BPF program, ready for the kernel: compiled once per process with
/// libseccomp, so a build's child only makes the system calls that load it.
///
/// It refuses, and only refuses: creating setuid or setgid files (chmod family,
/// open/creat/mknod with those bits) with EPERM, setting extended attributes or ACLs with
/// ENOTSUP, openat2 (whose arguments a filter cannot see) with ENOSYS so callers fall
/// back to openat, the kernel keyrings (add_key, keyctl, request_key) with EPERM, and,
/// unless allowed, perf_event_open, userfaultfd and io_uring (io_uring_setup,
/// io_uring_enter, io_uring_register) with EPERM. A fixed-output build's filter also
/// refuses, with EPERM, every way to make a socket that could accept a connection or a
/// unix datagram from outside the build: listen(), unix datagram sockets and socketpairs,
/// and 32-bit socket(), listen() and socketpair() through socketcall(2), whose arguments a
/// filter cannot see. Native, 32-bit x86 and x32 system calls
/// are covered on x86-64; system calls newer than the installed libseccomp are covered for
/// the native architecture. docs/sandbox.md lists each refusal and why.
struct SeccompProgram {
    std::vector<sock_filter> instructions;
};

/// The compiled filter for a build that may use the facilities named in `allowed` (names
/// from policy::kAllowableSyscalls: "perf_event_open", "userfaultfd", "io_uring"), and
/// shares the host's network namespace when `hostNetwork` (a fixed-output build), built on
/// first use for each combination and kept; thread-safe. Throws SandboxError for a name it
/// does not know, or when libseccomp cannot build it (and again on every later call).
const SeccompProgram& compiledSeccompFilter(const std::vector<std::string>& allowed = {},
                                            bool hostNetwork = false);

/// Sets PR_SET_NO_NEW_PRIVS and loads `filter` into the calling thread (inherited by all it
/// starts). Allocates nothing, so it is safe in a child forked from a threaded process.
/// Throws SysError naming the step that failed.
void installSeccompFilter(const SeccompProgram& filter);

} // namespace purist::sandbox
