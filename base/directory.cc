#include "base/directory.h"

#include "base/error.h"

#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <string_view>
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
