#pragma once
// The system call filter of a strict build. Internal to sandbox/.

#include <linux/filter.h>
#include <vector>

namespace purist::sandbox {

/// The filter as BPF programs, ready for the kernel: compiled once per process with
/// libseccomp, so a build's child only makes the system calls that load it.
///
/// It refuses, and only refuses: creating setuid or setgid files (chmod family,
/// open/creat/mknod with those bits) with EPERM, setting extended attributes or ACLs with
/// ENOTSUP, and openat2 (whose arguments a filter cannot see) with ENOSYS so callers fall
/// back to openat. Native, 32-bit x86 and x32 system calls are covered on x86-64; system
/// calls newer than the installed libseccomp are covered for the native architecture.
struct SeccompPrograms {
    std::vector<std::vector<sock_filter>> programs;
};

/// The compiled filter, built on first use; thread-safe. Throws SandboxError when
/// libseccomp cannot build it (and again on every later call).
const SeccompPrograms& compiledSeccompFilter();

/// Sets PR_SET_NO_NEW_PRIVS and loads `filter` into the calling thread (inherited by all it
/// starts). Allocates nothing, so it is safe in a child forked from a threaded process.
/// Throws SysError naming the step that failed.
void installSeccompFilter(const SeccompPrograms& filter);

} // namespace purist::sandbox
