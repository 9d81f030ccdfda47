#pragma once
// Visiting every entry of a store path on disk, without following symlinks.

#include "base/file_descriptor.h"

#include <functional>
#include <string>
#include <sys/stat.h>

namespace purist::checker {

/// One entry a walk visits. Valid only during the visit.
struct WalkEntry {
    const std::string& relativePath; ///< "" for the root, else "dir/file"
    const struct stat& status;       ///< lstat()'s, never a symlink's target's
    int dirFd;                       ///< the directory holding it (AT_FDCWD for the root)
    const std::string& name;         ///< its name in `dirFd` (the root's path for the root)
    const std::string& shownPath;    ///< the root's path and relativePath, for errors
};

/// Calls `visit` for `root` itself and every entry below it, parents before children,
/// entries of a directory in byte order. Symlinks are reported, never followed. Memory is
/// linear in the depth and descriptors bounded, whatever the tree. Throws SysError naming
/// the entry that could not be read.
void walkPath(const std::string& root, const std::function<void(const WalkEntry&)>& visit);

/// Opens the regular file `entry` for reading, relative to its directory and without
/// following a symlink; throws SysError, or Error if it is no longer the inode visited.
FileDescriptor openVisited(const WalkEntry& entry);

/// The target of the symlink `entry`, read relative to its directory.
std::string readVisitedLink(const WalkEntry& entry);

} // namespace purist::checker
