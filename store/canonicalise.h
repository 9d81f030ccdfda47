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
    /// Leaves the top directory's mode at 0755 (everything else as below), so that it can
    /// still be renamed into the store by a caller that is not root; the caller sets 0555
    /// once it is in place. Nothing is hashed from a directory's mode, so the NAR is the same.
    bool keepRootWritable = false;
};

/// Walks `path` without following symlinks and sets: mtime 1 (symlinks too), mode 0444
/// for files (0555 if any execute bit was set), 0555 for directories, which also drops
/// setuid, setgid, sticky and every write bit; removes every extended attribute (ACLs
/// included). Throws FormatError on a file type a store cannot hold, SysError otherwise,
/// naming the path.
void canonicalisePath(const std::string& path, const CanonicaliseOptions& options = {});

/// Makes the directories of a canonical tree writable by their owner again (0755), so the
/// tree can be deleted or rebuilt. Files are not touched.
void makeTreeWritable(const std::string& path);

} // namespace purist
