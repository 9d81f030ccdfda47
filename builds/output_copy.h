#pragma once
// Sealing a build's outputs: what is registered is a copy made after the build, which no
// process of the build ever held open. Internal to builds/ (build_runner.cc).

#include <string>

namespace purist::builds {

/// Copies the tree at `from` to `to` as new inodes: directories, regular files (their
/// bytes and the owner's execute bit) and symlinks, which is all a store path can hold;
/// anything else (a socket, a FIFO, a device) is a FormatError naming it. `to` must not
/// exist and its parent must; new entries get modes 0700/0600 and the caller's owner, for
/// canonicalisation to finish.
///
/// Why: a builder may have passed a writable descriptor of an output file (or of a
/// directory) to a process outside the build (CVE-2024-27297); writes through it land in
/// the old inodes, never in the copy. The copy follows no symlink in `from`, opens each
/// entry relative to its directory's descriptor with O_NOFOLLOW, and checks each file's
/// type on the opened descriptor, so a tree changed meanwhile through such a descriptor
/// makes it fail (SysError or Error) rather than copy a host file. Memory grows with the
/// depth of the tree (one listing per level), and the number of open descriptors does not
/// (a handful, however deep it is). Both paths are absolute. Throws SysError naming the
/// path that failed.
void copyOutputTree(const std::string& from, const std::string& to);

} // namespace purist::builds
