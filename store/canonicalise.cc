#include "store/canonicalise.h"

#include "base/directory.h"
#include "base/error.h"
#include "base/file_descriptor.h"

#include <cerrno>
#include <climits>
#include <dirent.h>
#include <fcntl.h>
#include <functional>
#include <optional>
#include <string_view>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <vector>

namespace purist {
namespace {

const struct timespec kCanonicalTimes[2] = {{1, 0}, {1, 0}};

/// Removes every extended attribute through `list` and `remove` (fd- or path-based).
void removeExtendedAttributes(const std::function<ssize_t(char*, size_t)>& list,
                              const std::function<int(const char*)>& remove,
                              const std::string& shown) {
    ssize_t size = list(nullptr, 0);
    if (size == -1) {
        if (errno == ENOTSUP || errno == ENODATA) return;
        throw SysError("listing extended attributes of '" + shownPath(shown) + "'");
    }
    if (size == 0) return;
    std::vector<char> names(static_cast<size_t>(size));
    size = list(names.data(), names.size());
    if (size == -1) throw SysError("listing extended attributes of '" + shownPath(shown) + "'");
    for (size_t i = 0; i < static_cast<size_t>(size);) {
        std::string name(names.data() + i);
        i += name.size() + 1;
        // The kernel or LSM owns these and refuses their removal; they carry no content
        // and no permission a builder chose.
        if (name == "security.selinux" || name == "system.nfs4_acl") continue;
        if (remove(name.c_str()) == -1 && errno != ENODATA)
            throw SysError("removing extended attribute '" + name + "' from '" + shownPath(shown) +
                           "'");
    }
}

void removeExtendedAttributesOf(int fd, const std::string& shown) {
    removeExtendedAttributes([fd](char* b, size_t n) { return ::flistxattr(fd, b, n); },
                             [fd](const char* name) { return ::fremovexattr(fd, name); }, shown);
}

/// Symlinks cannot be opened for flistxattr(); their parent's /proc link and their name
/// reach them without following them, and without a path as long as the tree is deep.
void removeSymlinkExtendedAttributes(int dirFd, const std::string& name, const std::string& shown) {
    std::string path = "/proc/self/fd/" + std::to_string(dirFd) + "/" + name;
    removeExtendedAttributes(
        [&path](char* b, size_t n) { return ::llistxattr(path.c_str(), b, n); },
        [&path](const char* attr) { return ::lremovexattr(path.c_str(), attr); }, shown);
}

/// Canonicalises one tree. Every change goes through a descriptor, or relative to the
/// parent directory's descriptor with AT_SYMLINK_NOFOLLOW, after checking that the inode
/// there is the one examined.
class Canonicaliser {
public:
    explicit Canonicaliser(const CanonicaliseOptions& options) : options_(options) {}

    void run(const std::string& path) {
        struct stat st;
        if (::fstatat(AT_FDCWD, path.c_str(), &st, AT_SYMLINK_NOFOLLOW) == -1)
            throw SysError("examining '" + shownPath(path) + "'");
        if (!S_ISDIR(st.st_mode)) {
            // The root's parent is the caller's (a build or scratch directory): trusted.
            std::string name = path;
            while (name.size() > 1 && name.back() == '/')
                name.pop_back();
            size_t slash = name.find_last_of('/');
            std::string parent = slash == std::string::npos ? "." : name.substr(0, slash + 1);
            if (slash != std::string::npos) name = name.substr(slash + 1);
            FileDescriptor parentFd = openDirectoryAt(AT_FDCWD, parent, parent);
            leaf(parentFd.get(), name, path, st, std::nullopt);
            return;
        }
        FileDescriptor root = openDirectoryToChange(AT_FDCWD, path, path);
        DirectoryPath walk(std::move(root), path);
        struct Level {
            std::vector<DirectoryEntry> entries;
            size_t next = 0;
            mode_t mode; // this directory's canonical mode, set on the way down
        };
        std::vector<Level> levels;
        levels.push_back({{}, 0, startDirectory(walk, st, true)});
        levels.back().entries = listDirectory(walk.fd(), walk.path());
        while (!levels.empty()) {
            Level& level = levels.back();
            if (level.next == level.entries.size()) {
                // Last, as copies made below change the directory's mtime.
                if (::futimens(walk.fd(), kCanonicalTimes) == -1)
                    throw SysError("setting the modification time of '" + shownPath(walk.path()) +
                                   "'");
                levels.pop_back();
                if (!levels.empty()) walk.leave();
                continue;
            }
            std::string name = std::move(level.entries[level.next++].name);
            std::string shown = walk.shownPathOf(name);
            if (::fstatat(walk.fd(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == -1)
                throw SysError("examining '" + shownPath(shown) + "'");
            if (S_ISDIR(st.st_mode)) {
                walk.enter(openDirectoryToChange(walk.fd(), name, shown), name);
                levels.push_back({{}, 0, startDirectory(walk, st, false)});
                levels.back().entries = listDirectory(walk.fd(), walk.path());
                continue;
            }
            leaf(walk.fd(), name, shown, st, level.mode);
        }
    }

private:
    /// On the way down: the directory's owner, attributes and mode, so that nothing but
    /// purist may change its entries while they are canonicalised. Returns the mode.
    mode_t startDirectory(const DirectoryPath& walk, const struct stat& examined, bool isRoot) {
        const struct stat& st = walk.status();
        if (st.st_dev != examined.st_dev || st.st_ino != examined.st_ino)
            throw FormatError("'" + shownPath(walk.path()) +
                              "' was replaced while it was canonicalised");
        removeExtendedAttributesOf(walk.fd(), walk.path());
        changeOwner(walk.fd(), walk.path());
        mode_t mode = isRoot && options_.keepRootWritable ? 0755 : 0555;
        if (::fchmod(walk.fd(), mode) == -1)
            throw SysError("changing mode of '" + shownPath(walk.path()) + "'");
        return mode;
    }

    void changeOwner(int fd, const std::string& shown) {
        if (!options_.owner && !options_.group) return;
        uid_t uid = options_.owner ? *options_.owner : static_cast<uid_t>(-1);
        gid_t gid = options_.group ? *options_.group : static_cast<gid_t>(-1);
        if (::fchown(fd, uid, gid) == -1)
            throw SysError("changing owner of '" + shownPath(shown) + "'");
    }

    /// True if the inode may be reachable from outside the tree, or was not written by the
    /// tree's writer: it must not be changed in place.
    bool foreign(const struct stat& st) const {
        if (st.st_nlink > 1) return true;
        if (!options_.writer) return false;
        return st.st_uid != *options_.writer && st.st_uid != ::geteuid();
    }

    /// A file or symlink `name` in `dirFd`; `dirMode` is the directory's canonical mode
    /// (nullopt for the caller's directory above a root that is not a directory).
    void leaf(int dirFd, const std::string& name, const std::string& shown, const struct stat& st,
              std::optional<mode_t> dirMode) {
        if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
            throw FormatError("'" + shownPath(shown) +
                              "' is neither a regular file, a directory nor a symlink, "
                              "so it cannot be in the store");
        bool copy = foreign(st);
        if (S_ISLNK(st.st_mode)) {
            if (copy) replaceSymlink(dirFd, name, shown, dirMode);
            removeSymlinkExtendedAttributes(dirFd, name, shown);
            if ((options_.owner || options_.group) &&
                ::fchownat(dirFd, name.c_str(), options_.owner.value_or(static_cast<uid_t>(-1)),
                           options_.group.value_or(static_cast<gid_t>(-1)),
                           AT_SYMLINK_NOFOLLOW) == -1)
                throw SysError("changing owner of '" + shownPath(shown) + "'");
            if (::utimensat(dirFd, name.c_str(), kCanonicalTimes, AT_SYMLINK_NOFOLLOW) == -1)
                throw SysError("setting the modification time of '" + shownPath(shown) + "'");
            return;
        }
        FileDescriptor fd =
            copy ? replaceFile(dirFd, name, shown, st, dirMode) : openFile(dirFd, name, shown, st);
        removeExtendedAttributesOf(fd.get(), shown);
        changeOwner(fd.get(), shown);
        // Setting the whole mode drops setuid, setgid, sticky and every write bit.
        if (::fchmod(fd.get(), st.st_mode & S_IXUSR ? 0555 : 0444) == -1)
            throw SysError("changing mode of '" + shownPath(shown) + "'");
        if (::futimens(fd.get(), kCanonicalTimes) == -1)
            throw SysError("setting the modification time of '" + shownPath(shown) + "'");
    }

    /// Opens the regular file examined as `st`, checking it is still that inode.
    FileDescriptor openFile(int dirFd, const std::string& name, const std::string& shown,
                            const struct stat& st) {
        // O_NONBLOCK: a FIFO swapped in cannot block the open (the inode check refuses it).
        int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
        int fd = ::openat(dirFd, name.c_str(), flags);
        if (fd == -1 && errno == EACCES && st.st_uid == ::geteuid()) {
            // A file its owner may not read (mode 0000): this user's own, with one link, so
            // giving the owner read permission changes nothing anyone else sees.
            if (::fchmodat(dirFd, name.c_str(), 0400, 0) == -1)
                throw SysError("changing mode of '" + shownPath(shown) + "'");
            fd = ::openat(dirFd, name.c_str(), flags);
        }
        if (fd == -1) throw SysError("opening '" + shownPath(shown) + "'");
        FileDescriptor owned(fd);
        struct stat opened;
        if (::fstat(fd, &opened) == -1) throw SysError("examining '" + shownPath(shown) + "'");
        if (opened.st_dev != st.st_dev || opened.st_ino != st.st_ino || !S_ISREG(opened.st_mode))
            throw FormatError("'" + shownPath(shown) + "' was replaced while it was canonicalised");
        return owned;
    }

    /// Runs `change` on directory `dirFd` with its owner's write permission, which an
    /// unprivileged purist needs to add an entry to a directory it already made 0555.
    template <typename Change>
    void inWritableDirectory(int dirFd, std::optional<mode_t> dirMode, const std::string& shown,
                             Change&& change) {
        bool lift = dirMode && !(*dirMode & S_IWUSR) && ::geteuid() != 0;
        if (lift && ::fchmod(dirFd, *dirMode | S_IWUSR) == -1)
            throw SysError("making the directory of '" + shownPath(shown) + "' writable");
        change();
        if (lift && ::fchmod(dirFd, *dirMode) == -1)
            throw SysError("changing mode of the directory of '" + shownPath(shown) + "'");
    }

    /// A name no entry has: ".purist-copy-<pid>-<n>", short enough beside any name.
    std::string scratchName() {
        return ".purist-copy-" + std::to_string(::getpid()) + "-" + std::to_string(copies_++);
    }

    /// Replaces the file `name` with a new inode holding the same bytes, and returns it
    /// open. The old inode loses this link and is otherwise untouched: no chmod, chown,
    /// utimes or attribute removal ever reaches it.
    FileDescriptor replaceFile(int dirFd, const std::string& name, const std::string& shown,
                               const struct stat& st, std::optional<mode_t> dirMode) {
        FileDescriptor from(::openat(dirFd, name.c_str(),
                                     O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
        if (!from) throw SysError("opening '" + shownPath(shown) + "' to copy it");
        struct stat opened;
        if (::fstat(from.get(), &opened) == -1)
            throw SysError("examining '" + shownPath(shown) + "'");
        if (opened.st_dev != st.st_dev || opened.st_ino != st.st_ino || !S_ISREG(opened.st_mode))
            throw FormatError("'" + shownPath(shown) + "' was replaced while it was canonicalised");
        FileDescriptor to;
        inWritableDirectory(dirFd, dirMode, shown, [&] {
            std::string scratch;
            for (;;) {
                scratch = scratchName();
                int fd = ::openat(dirFd, scratch.c_str(),
                                  O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (fd != -1) {
                    to = FileDescriptor(fd);
                    break;
                }
                if (errno != EEXIST) throw SysError("copying '" + shownPath(shown) + "'");
            }
            try {
                copyFileContents(from.get(), to.get(), shown);
                if (::renameat(dirFd, scratch.c_str(), dirFd, name.c_str()) == -1)
                    throw SysError("replacing '" + shownPath(shown) + "' with its copy");
            } catch (...) {
                ::unlinkat(dirFd, scratch.c_str(), 0);
                throw;
            }
        });
        return to;
    }

    void replaceSymlink(int dirFd, const std::string& name, const std::string& shown,
                        std::optional<mode_t> dirMode) {
        std::string target = readLinkAt(dirFd, name, shown);
        inWritableDirectory(dirFd, dirMode, shown, [&] {
            std::string scratch;
            for (;;) {
                scratch = scratchName();
                if (::symlinkat(target.c_str(), dirFd, scratch.c_str()) == 0) break;
                if (errno != EEXIST) throw SysError("copying symlink '" + shownPath(shown) + "'");
            }
            if (::renameat(dirFd, scratch.c_str(), dirFd, name.c_str()) == -1) {
                int error = errno;
                ::unlinkat(dirFd, scratch.c_str(), 0);
                throw SysError(error, "replacing '" + shownPath(shown) + "' with its copy");
            }
        });
    }

    const CanonicaliseOptions& options_;
    unsigned long copies_ = 0;
};

} // namespace

void canonicalisePath(const std::string& path, const CanonicaliseOptions& options) {
    Canonicaliser(options).run(path);
}

void makeTreeWritable(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) == -1) throw SysError("examining '" + shownPath(path) + "'");
    if (!S_ISDIR(st.st_mode)) return;
    DirectoryPath walk(openDirectoryToChange(AT_FDCWD, path, path), path);
    std::vector<std::vector<DirectoryEntry>> levels;
    auto start = [&] {
        if (::fchmod(walk.fd(), 0755) == -1)
            throw SysError("changing mode of '" + shownPath(walk.path()) + "'");
        levels.push_back(listDirectory(walk.fd(), walk.path()));
    };
    start();
    while (!levels.empty()) {
        if (levels.back().empty()) {
            levels.pop_back();
            if (!levels.empty()) walk.leave();
            continue;
        }
        DirectoryEntry entry = std::move(levels.back().back());
        levels.back().pop_back();
        if (entry.type != DT_DIR && entry.type != DT_UNKNOWN) continue;
        if (::fstatat(walk.fd(), entry.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == -1)
            throw SysError("examining '" + shownPath(walk.shownPathOf(entry.name)) + "'");
        if (!S_ISDIR(st.st_mode)) continue;
        walk.enter(openDirectoryToChange(walk.fd(), entry.name, walk.shownPathOf(entry.name)),
                   entry.name);
        start();
    }
}

} // namespace purist
