#include "builds/output_copy.h"

#include "base/directory.h"
#include "base/error.h"
#include "base/file_descriptor.h"

#include <cerrno>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace purist::builds {
namespace {

const char* typeName(mode_t mode) {
    if (S_ISSOCK(mode)) return "socket";
    if (S_ISFIFO(mode)) return "FIFO";
    if (S_ISCHR(mode)) return "character device";
    if (S_ISBLK(mode)) return "block device";
    return "file of unknown type";
}

std::string readLinkAt(int dirFd, const std::string& name, const std::string& shown) {
    std::string target(256, '\0');
    for (;;) {
        ssize_t n = ::readlinkat(dirFd, name.c_str(), target.data(), target.size());
        if (n == -1) throw SysError("reading the symlink '" + shown + "'");
        if (static_cast<size_t>(n) < target.size()) {
            target.resize(static_cast<size_t>(n));
            return target;
        }
        target.resize(target.size() * 2);
    }
}

// Copies the bytes of `in` (a regular file of `size` bytes when opened) to `out`. A clone
// (FICLONE: btrfs, XFS) shares the blocks and is near free; elsewhere copy_file_range
// copies in the kernel. Either way the result is a new inode: writes to the old one, a
// clone's included (copy on write), never reach it. At most `size` bytes are copied, so a
// writer still appending cannot keep this loop going.
void copyContents(int in, int out, off_t size, const std::string& shown) {
    if (size == 0) return;
    if (::ioctl(out, FICLONE, in) == 0) return;
    off_t done = 0;
    bool kernelCopy = true;
    std::vector<char> buffer;
    while (done < size) {
        size_t want = static_cast<size_t>(size - done);
        ssize_t n;
        if (kernelCopy) {
            n = ::copy_file_range(in, nullptr, out, nullptr, want, 0);
            if (n == -1 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
                            errno == EOPNOTSUPP || errno == EPERM)) {
                kernelCopy = false;
                continue;
            }
        } else {
            if (buffer.empty()) buffer.resize(1 << 20);
            n = ::read(in, buffer.data(), std::min(want, buffer.size()));
            if (n > 0)
                writeAll(out, std::string_view(buffer.data(), static_cast<size_t>(n)), shown);
        }
        if (n == -1) {
            if (errno == EINTR) continue;
            throw SysError("copying '" + shown + "'");
        }
        if (n == 0) return; // it shrank meanwhile: the copy holds what was there
        done += n;
    }
}

// Copies the entry `name` of the source directory `srcDir` into `dstDir` as `dstName`;
// for a directory, only creates it and returns its open descriptor (and its stat in
// `info`) for the walk to descend into.
FileDescriptor copyEntry(int srcDir, const std::string& name, int dstDir,
                         const std::string& dstName, const std::string& shown, struct stat& info) {
    if (::fstatat(srcDir, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) == -1)
        throw SysError("examining '" + shown + "'");
    if (S_ISLNK(info.st_mode)) {
        std::string target = readLinkAt(srcDir, name, shown);
        if (::symlinkat(target.c_str(), dstDir, dstName.c_str()) == -1)
            throw SysError("copying the symlink '" + shown + "'");
        return FileDescriptor();
    }
    if (S_ISDIR(info.st_mode)) {
        // O_NOFOLLOW: an entry swapped for a symlink since the fstatat is refused (ELOOP or
        // ENOTDIR), not followed; the type is checked again on what was opened.
        FileDescriptor dir =
            openFileAt(srcDir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, shown);
        if (::fstat(dir.get(), &info) == -1) throw SysError("examining '" + shown + "'");
        if (::mkdirat(dstDir, dstName.c_str(), 0700) == -1)
            throw SysError("copying the directory '" + shown + "'");
        return dir;
    }
    if (!S_ISREG(info.st_mode))
        throw FormatError("'" + shown + "' is a " + typeName(info.st_mode) +
                          ", which a store path cannot hold");
    // O_NONBLOCK: a FIFO swapped in meanwhile does not block the open; fstat refuses it.
    FileDescriptor in =
        openFileAt(srcDir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0, shown);
    if (::fstat(in.get(), &info) == -1) throw SysError("examining '" + shown + "'");
    if (!S_ISREG(info.st_mode))
        throw Error("'" + shown + "' changed while it was copied: it is now a " +
                    typeName(info.st_mode));
    FileDescriptor out = openFileAt(dstDir, dstName, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
                                    (info.st_mode & S_IXUSR) ? 0700 : 0600, shown);
    copyContents(in.get(), out.get(), info.st_size, shown);
    out.close();
    return FileDescriptor();
}

// One directory on the walk's current path: its remaining entries, and its identity, to
// check that `..` leads back to it.
struct Level {
    std::vector<DirectoryEntry> entries;
    size_t next = 0;
    dev_t device;
    ino_t inode;
    size_t shownLength; ///< of the shown path of this directory
};

} // namespace

void copyOutputTree(const std::string& from, const std::string& to) {
    if (from.size() < 2 || from[0] != '/' || to.size() < 2 || to[0] != '/')
        throw Error("copying '" + from + "' to '" + to + "': both must be absolute paths");
    struct stat info {};
    auto split = [](const std::string& path) {
        size_t slash = path.rfind('/');
        return std::pair(slash == 0 ? std::string("/") : path.substr(0, slash),
                         path.substr(slash + 1));
    };
    auto [fromParent, fromName] = split(from);
    auto [toParent, toName] = split(to);
    FileDescriptor srcParent = openFile(fromParent, O_RDONLY | O_DIRECTORY);
    FileDescriptor dstParent = openFile(toParent, O_RDONLY | O_DIRECTORY);
    std::string shown = from;
    FileDescriptor src = copyEntry(srcParent.get(), fromName, dstParent.get(), toName, shown, info);
    if (!src) return;
    // The walk keeps one descriptor per side, the current directory's, and climbs back
    // with `..`: descriptors do not grow with the depth. The destination is this
    // process's own new tree; the source's `..` is checked against the directory it
    // left, so a directory moved meanwhile stops the copy.
    FileDescriptor dst =
        openFileAt(dstParent.get(), toName, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, to);
    srcParent = FileDescriptor();
    dstParent = FileDescriptor();
    std::vector<Level> path;
    path.push_back({listDirectory(src.get(), shown), 0, info.st_dev, info.st_ino, shown.size()});
    while (!path.empty()) {
        Level& level = path.back();
        if (level.next == level.entries.size()) {
            path.pop_back();
            if (path.empty()) break;
            src = openFileAt(src.get(), "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, shown);
            dst = openFileAt(dst.get(), "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, to);
            shown.resize(path.back().shownLength);
            if (::fstat(src.get(), &info) == -1) throw SysError("examining '" + shown + "'");
            if (info.st_dev != path.back().device || info.st_ino != path.back().inode)
                throw Error("'" + shown + "' was moved while it was copied");
            continue;
        }
        const std::string& name = level.entries[level.next++].name;
        std::string childShown = shown + "/" + name;
        FileDescriptor child = copyEntry(src.get(), name, dst.get(), name, childShown, info);
        if (!child) continue;
        dst = openFileAt(dst.get(), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, to);
        src = std::move(child);
        shown = std::move(childShown);
        path.push_back(
            {listDirectory(src.get(), shown), 0, info.st_dev, info.st_ino, shown.size()});
    }
}

} // namespace purist::builds
