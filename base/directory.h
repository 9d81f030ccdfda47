#pragma once
// Reading a directory's entries, and walking down a tree of them: the loops every tree
// walk in purist needs. A walk never follows a symlink, holds a bounded number of
// descriptors and memory linear in the depth, whatever the tree.

#include "base/file_descriptor.h"

#include <cstddef>
#include <string>
#include <sys/stat.h>
#include <sys/types.h>
#include <vector>

namespace purist {

struct DirectoryEntry {
    std::string name;
    unsigned char type; ///< d_type: DT_DIR, DT_REG, DT_LNK, ... or DT_UNKNOWN
};

/// The entries of the directory open at `dirFd` (which stays open and is not moved), in
/// the order the file system returns them, without "." and "..". Throws SysError naming
/// `shownPath`.
std::vector<DirectoryEntry> listDirectory(int dirFd, const std::string& shownPath);

/// The same for the directory at `path`.
std::vector<DirectoryEntry> listDirectory(const std::string& path);

/// Opens the directory `name` in `dirFd` for reading without following a symlink (O_NOFOLLOW:
/// a symlink is ELOOP, anything else ENOTDIR). Throws SysError naming `shownPath`.
FileDescriptor openDirectoryAt(int dirFd, const std::string& name, const std::string& shownPath);

/// As openDirectoryAt, but a directory its owner may not read (mode 0000, 0300, a builder's
/// choice) is first given mode 0700, through an O_PATH descriptor so that no symlink
/// swapped in for it is followed. For walks that change modes anyway (removal,
/// canonicalisation); the caller sets the mode it wants afterwards.
FileDescriptor openDirectoryToChange(int dirFd, const std::string& name,
                                     const std::string& shownPath);

/// Opens the directory that holds `relative` ("dir/sub/file", non-empty) below the
/// directory `root`, one name at a time and never through a symlink, and sets `name` to
/// the last name. Two descriptors at a time, whatever the depth. Throws SysError.
FileDescriptor openParentBeneath(const std::string& root, const std::string& relative,
                                 std::string& name);

/// The target of the symlink `name` in `dirFd`. Throws SysError naming `shownPath`, or
/// FormatError if the target is longer than a symlink on Linux can hold.
std::string readLinkAt(int dirFd, const std::string& name, const std::string& shownPath);

/// Copies the bytes of the file open as `from` (from its offset to its end) to `to`: a
/// reflink where the file system offers one (a new inode either way), else
/// copy_file_range, else read and write. Throws SysError naming `shownPath`.
void copyFileContents(int from, int to, const std::string& shownPath);

/// Copies the tree at `from` to `to`, which must not exist (its parent must): directories
/// (mode 0755), regular files (0755 if the owner may execute, else 0644) and symlinks, as
/// symlinks, never followed. Without recursion, in memory linear in the depth and bounded
/// descriptors. Throws FormatError on a device, socket or FIFO, SysError otherwise; what
/// was copied before an error stays for the caller to remove.
void copyTree(const std::string& from, const std::string& to);

/// `path` as an error message shows it: whole up to 1,024 bytes, else its first 256 and
/// last 512 around "...", so that an error about a 2,000-deep tree stays readable. Shown
/// paths are shown as they are.
std::string shownPath(const std::string& path);

/// The directories from a walk's root down to the one it is in, as descriptors, without a
/// descriptor per level: at most `maxOpen` stay open (the deepest); an ancestor whose
/// descriptor was closed is reopened through ".." from its child on the way back up, and
/// must have the device and inode it had on the way down (a directory moved while it was
/// walked is an error, never a route elsewhere). Memory is linear in the depth: the
/// path shown in errors grows and shrinks by one name per level.
/// Not thread-safe; one walk at a time.
class DirectoryPath {
public:
    static constexpr size_t kDefaultMaxOpen = 16;

    /// `root` is a directory open for reading; `shown` names it in errors.
    DirectoryPath(FileDescriptor root, std::string shown, size_t maxOpen = kDefaultMaxOpen);

    /// Goes down into `child`, the directory `name` of the current one (opened by the
    /// caller, e.g. with openDirectoryAt). Throws SysError if it cannot be examined.
    void enter(FileDescriptor child, const std::string& name);
    /// Goes back up to the parent of the current directory. Throws SysError (the parent
    /// cannot be reopened) or Error (it is not the directory it was on the way down).
    void leave();

    /// The current directory's descriptor, valid until the next enter() or leave().
    int fd() const { return levels_.back().fd.get(); }
    /// The current directory's status, as fstat() saw it when it was entered.
    const struct stat& status() const { return levels_.back().status; }
    /// 0 at the root.
    size_t depth() const { return levels_.size() - 1; }
    /// The current directory's path, the root's `shown` followed by the names entered.
    const std::string& path() const { return path_; }
    /// The path of `name` inside the current directory. Linear in the depth: for errors
    /// and tests; a walk names each entry with shownPathOf().
    std::string pathOf(const std::string& name) const { return path_ + "/" + name; }
    /// shownPath(pathOf(name)), in time bounded whatever the depth.
    std::string shownPathOf(const std::string& name) const;
    /// How many descriptors are open now (for tests: never above maxOpen).
    size_t openCount() const { return levels_.size() - firstOpen_; }

private:
    struct Level {
        FileDescriptor fd; // closed (-1) for levels below firstOpen_
        struct stat status;
        size_t pathLength; // length of path_ at this level
    };
    std::vector<Level> levels_;
    size_t firstOpen_ = 0; // levels [firstOpen_, size) hold open descriptors
    size_t maxOpen_;
    std::string path_;
};

} // namespace purist
