#pragma once
// The system call filter of a strict build. Internal to sandbox/.

namespace purist::sandbox {

/// Sets PR_SET_NO_NEW_PRIVS and installs a seccomp filter on the calling thread (inherited
/// by everything it starts) that refuses, and only refuses: creating setuid or setgid files
/// (chmod family, open/creat/mknod with those bits) with EPERM, setting extended attributes
/// or ACLs with ENOTSUP, and openat2 (whose arguments a filter cannot see) with ENOSYS so
/// callers fall back to openat. Native, 32-bit x86 and x32 system calls are covered on
/// x86-64. Throws SysError naming the rule or step that failed.
void installSeccompFilter();

} // namespace purist::sandbox
