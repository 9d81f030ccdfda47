#include "base/directory.h"

#include "base/error.h"

#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string_view>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace purist {
namespace {

std::vector<DirectoryEntry> readAndClose(DIR* dir, const std::string& shownPath) {
    std::vector<DirectoryEntry> entries;
    errno = 0;
    while (struct dirent* entry = ::readdir(dir)) {
        std::string_view name = entry->d_name;
        if (name != "." && name != "..") entries.push_back({std::string(name), entry->d_type});
        errno = 0;
    }
    int readErrno = errno;
    ::closedir(dir);
    if (readErrno) throw SysError(readErrno, "listing '" + shownPath + "'");
    return entries;
}

} // namespace

std::vector<DirectoryEntry> listDirectory(int dirFd, const std::string& shownPath) {
    // fdopendir takes ownership of its descriptor; give it a duplicate so the caller's
    // stays open, and rewind because the duplicate shares the file offset.
    int dupFd = ::fcntl(dirFd, F_DUPFD_CLOEXEC, 0);
    if (dupFd == -1) throw SysError("duplicating descriptor of '" + shownPath + "'");
    DIR* dir = ::fdopendir(dupFd);
    if (!dir) {
        ::close(dupFd);
        throw SysError("listing '" + shownPath + "'");
    }
    ::rewinddir(dir);
    return readAndClose(dir, shownPath);
}

std::vector<DirectoryEntry> listDirectory(const std::string& path) {
    DIR* dir = ::opendir(path.c_str());
    if (!dir) throw SysError("listing '" + path + "'");
    return readAndClose(dir, path);
}

FileDescriptor openDirectoryAt(int dirFd, const std::string& name, const std::string& shown) {
    int fd = ::openat(dirFd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd == -1) throw SysError("opening directory '" + shownPath(shown) + "'");
    return FileDescriptor(fd);
}

FileDescriptor openDirectoryToChange(int dirFd, const std::string& name, const std::string& shown) {
    int fd = ::openat(dirFd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd != -1) return FileDescriptor(fd);
    if (errno != EACCES) throw SysError("opening directory '" + shownPath(shown) + "'");
    FileDescriptor handle(
        ::openat(dirFd, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!handle) throw SysError("opening directory '" + shownPath(shown) + "'");
    // fchmod() refuses O_PATH descriptors; the /proc link names exactly this inode.
    std::string viaProc = "/proc/self/fd/" + std::to_string(handle.get());
    if (::chmod(viaProc.c_str(), 0700) == -1)
        throw SysError("making '" + shownPath(shown) + "' readable");
    fd = ::openat(handle.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd == -1) throw SysError("opening directory '" + shownPath(shown) + "'");
    return FileDescriptor(fd);
}

FileDescriptor openParentBeneath(const std::string& root, const std::string& relative,
                                 std::string& name) {
    FileDescriptor dir = openDirectoryAt(AT_FDCWD, root, root);
    size_t start = 0;
    for (;;) {
        size_t slash = relative.find('/', start);
        if (slash == std::string::npos) break;
        std::string component = relative.substr(start, slash - start);
        if (!component.empty() && component != ".") {
            if (component == "..")
                throw Error("'" + shownPath(relative) + "' leaves '" + shownPath(root) + "'");
            dir = openDirectoryAt(dir.get(), component, root + "/" + relative.substr(0, slash));
        }
        start = slash + 1;
    }
    name = relative.substr(start);
    if (name.empty() || name == "." || name == "..")
        throw Error("'" + shownPath(relative) + "' does not name an entry below '" +
                    shownPath(root) + "'");
    return dir;
}

void copyFileContents(int from, int to, const std::string& shown) {
    // A reflink shares the blocks but not the inode: the host file may change its own
    // contents later without touching the copy.
    if (::ioctl(to, FICLONE, from) == 0) return;
    for (;;) {
        ssize_t n = ::copy_file_range(from, nullptr, to, nullptr, 1 << 30, 0);
        if (n == 0) return;
        if (n > 0) continue;
        if (errno == EINTR) continue;
        if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
            throw SysError("copying '" + shownPath(shown) + "'");
        break;
    }
    std::vector<char> buffer(1 << 16);
    for (;;) {
        size_t n = readSome(from, buffer.data(), buffer.size(), "'" + shownPath(shown) + "'");
        if (n == 0) return;
        writeAll(to, std::string_view(buffer.data(), n), "a copy of '" + shownPath(shown) + "'");
    }
}

std::string readLinkAt(int dirFd, const std::string& name, const std::string& shown) {
    // Linux keeps a symlink's target in one page: 4,095 bytes at the most.
    char target[4096];
    ssize_t n = ::readlinkat(dirFd, name.c_str(), target, sizeof target);
    if (n == -1) throw SysError("reading symlink '" + shownPath(shown) + "'");
    if (static_cast<size_t>(n) >= sizeof target)
        throw FormatError("symlink '" + shownPath(shown) + "' has a target that is too long");
    return std::string(target, static_cast<size_t>(n));
}

namespace {

/// Copies the file or symlink `name` in `fromDir` (status `st`) as `toName` in `toDir`.
void copyEntry(int fromDir, const std::string& name, const std::string& shown,
               const struct stat& st, int toDir, const std::string& toName) {
    if (S_ISLNK(st.st_mode)) {
        std::string target = readLinkAt(fromDir, name, shown);
        if (::symlinkat(target.c_str(), toDir, toName.c_str()) == -1)
            throw SysError("copying symlink '" + shownPath(shown) + "'");
        return;
    }
    if (!S_ISREG(st.st_mode))
        throw FormatError("'" + shownPath(shown) +
                          "' is neither a regular file, a directory nor a symlink");
    // O_NONBLOCK: a FIFO swapped in cannot block the open; the inode check refuses it.
    FileDescriptor in(
        ::openat(fromDir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (!in) throw SysError("opening '" + shownPath(shown) + "'");
    struct stat opened;
    if (::fstat(in.get(), &opened) == -1) throw SysError("examining '" + shownPath(shown) + "'");
    if (opened.st_ino != st.st_ino || opened.st_dev != st.st_dev || !S_ISREG(opened.st_mode))
        throw FormatError("'" + shownPath(shown) + "' was replaced while it was copied");
    FileDescriptor out(::openat(toDir, toName.c_str(),
                                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                st.st_mode & S_IXUSR ? 0755 : 0644));
    if (!out) throw SysError("creating a copy of '" + shownPath(shown) + "'");
    copyFileContents(in.get(), out.get(), shown);
    out.close();
}

} // namespace

void copyTree(const std::string& from, const std::string& to) {
    struct stat st;
    if (::fstatat(AT_FDCWD, from.c_str(), &st, AT_SYMLINK_NOFOLLOW) == -1)
        throw SysError("examining '" + shownPath(from) + "'");
    if (!S_ISDIR(st.st_mode)) {
        copyEntry(AT_FDCWD, from, from, st, AT_FDCWD, to);
        return;
    }
    if (::mkdir(to.c_str(), 0755) == -1) throw SysError("creating '" + shownPath(to) + "'");
    DirectoryPath source(openDirectoryAt(AT_FDCWD, from, from), from);
    DirectoryPath copy(openDirectoryAt(AT_FDCWD, to, to), to);
    std::vector<std::vector<DirectoryEntry>> levels;
    levels.push_back(listDirectory(source.fd(), source.path()));
    while (!levels.empty()) {
        if (levels.back().empty()) {
            levels.pop_back();
            if (levels.empty()) break;
            source.leave();
            copy.leave();
            continue;
        }
        std::string name = std::move(levels.back().back().name);
        levels.back().pop_back();
        std::string shown = source.shownPathOf(name);
        if (::fstatat(source.fd(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == -1)
            throw SysError("examining '" + shown + "'");
        if (!S_ISDIR(st.st_mode)) {
            copyEntry(source.fd(), name, shown, st, copy.fd(), name);
            continue;
        }
        if (::mkdirat(copy.fd(), name.c_str(), 0755) == -1)
            throw SysError("creating '" + copy.shownPathOf(name) + "'");
        source.enter(openDirectoryAt(source.fd(), name, shown), name);
        if (source.status().st_ino != st.st_ino || source.status().st_dev != st.st_dev)
            throw FormatError("'" + shown + "' was replaced while it was copied");
        copy.enter(openDirectoryAt(copy.fd(), name, copy.shownPathOf(name)), name);
        levels.push_back(listDirectory(source.fd(), source.path()));
    }
}

namespace {
constexpr size_t kWhole = 1024, kHead = 256, kTail = 512;
} // namespace

std::string shownPath(const std::string& path) {
    if (path.size() <= kWhole) return path;
    return path.substr(0, kHead) + "..." + path.substr(path.size() - kTail);
}

std::string DirectoryPath::shownPathOf(const std::string& name) const {
    size_t size = path_.size() + 1 + name.size();
    if (size <= kWhole) return path_ + "/" + name;
    std::string tail = "/" + name;
    if (tail.size() >= kTail)
        tail = tail.substr(tail.size() - kTail);
    else
        tail = path_.substr(path_.size() - (kTail - tail.size())) + tail;
    return path_.substr(0, kHead) + "..." + tail;
}

DirectoryPath::DirectoryPath(FileDescriptor root, std::string shown, size_t maxOpen)
    : maxOpen_(maxOpen < 1 ? 1 : maxOpen), path_(std::move(shown)) {
    Level level{std::move(root), {}, path_.size()};
    if (::fstat(level.fd.get(), &level.status) == -1)
        throw SysError("examining '" + shownPath(path_) + "'");
    levels_.push_back(std::move(level));
}

void DirectoryPath::enter(FileDescriptor child, const std::string& name) {
    path_ += '/';
    path_ += name;
    Level level{std::move(child), {}, path_.size()};
    if (::fstat(level.fd.get(), &level.status) == -1)
        throw SysError("examining '" + shownPath(path_) + "'");
    levels_.push_back(std::move(level));
    // Close the shallowest descriptor still open: it is the one needed last.
    if (openCount() > maxOpen_) levels_[firstOpen_++].fd = FileDescriptor();
}

void DirectoryPath::leave() {
    if (levels_.size() < 2) throw Error("internal error: leaving the root of a walk");
    Level child = std::move(levels_.back());
    levels_.pop_back();
    path_.resize(levels_.back().pathLength);
    if (firstOpen_ < levels_.size()) return;
    // The parent's descriptor was closed on the way down: ".." of the child is the parent
    // unless someone moved the child meanwhile, which the device and inode check catches.
    // ".." is never a symlink, and O_NOFOLLOW keeps it that way.
    Level& parent = levels_.back();
    int fd = ::openat(child.fd.get(), "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd == -1) throw SysError("reopening directory '" + shownPath(path_) + "'");
    parent.fd = FileDescriptor(fd);
    struct stat st;
    if (::fstat(fd, &st) == -1) throw SysError("examining '" + shownPath(path_) + "'");
    if (st.st_dev != parent.status.st_dev || st.st_ino != parent.status.st_ino)
        throw Error("'" + shownPath(path_) +
                    "' is no longer the parent of the directory walked below it (something "
                    "moved it meanwhile); stopping rather than going elsewhere");
    firstOpen_ = levels_.size() - 1;
}

} // namespace purist
