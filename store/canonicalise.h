#pragma once
// What registration does to a path's metadata so that every valid path looks the same
// however it was produced: Nix's canonicalisePathMetaData.

#include <optional>
#include <string>
#include <sys/types.h>

namespace purist {

struct CanonicaliseOptions {
    /// When set (as root), files are chowned to this owner; otherwise ownership is kept.
    std::optional<uid_t> owner;
    std::optional<gid_t> group;
    /// The user that wrote the tree (a build user). A file or symlink owned by anyone else
    /// (purist's own user aside) is treated as one with other links: copied, not changed.
    std::optional<uid_t> writer;
    /// Leaves the top directory's mode at 0755 (everything else as below), so that it can
    /// still be renamed into the store by a caller that is not root; the caller sets 0555
    /// once it is in place. Nothing is hashed from a directory's mode, so the NAR is the same.
    bool keepRootWritable = false;
};

/// Walks `path` without following symlinks and sets: mtime 1 (symlinks too), mode 0444
/// for files (0555 if any execute bit was set), 0555 for directories, which also drops
/// setuid, setgid, sticky and every write bit; removes every extended attribute (ACLs
/// included).
///
/// Never changes an inode that may also be someone else's: a file or symlink with more
/// than one link (a builder can hard-link a host file it may write into its output), or
/// not owned by `options.writer`, is first replaced in its directory by a copy (a new
/// inode with the same contents or target), and the copy is canonicalised.
///
/// Memory is linear in the tree's depth and descriptors bounded, whatever the depth; every
/// change is made through a descriptor or relative to the parent's, so nothing is reached
/// through a symlink. Throws FormatError on a file type a store cannot hold, SysError
/// otherwise, naming the path.
void canonicalisePath(const std::string& path, const CanonicaliseOptions& options = {});

/// Makes the directories of a canonical tree writable by their owner again (0755), so the
/// tree can be deleted or rebuilt. Files are not touched; symlinks are not followed.
void makeTreeWritable(const std::string& path);

} // namespace purist
