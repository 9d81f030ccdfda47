#include "store/gc_temp_roots.h"

#include "base/directory.h"
#include "base/error.h"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace purist {
namespace {

enum class Wait { No, Yes };

// An open-file-description lock on the whole file. False if another holder has a
// conflicting lock and `wait` is No.
bool lockWhole(int fd, short type, Wait wait, const std::string& shown) {
    struct flock range {};
    range.l_type = type;
    range.l_whence = SEEK_SET;
    for (;;) {
        if (::fcntl(fd, wait == Wait::Yes ? F_OFD_SETLKW : F_OFD_SETLK, &range) == 0) return true;
        if (errno == EINTR) continue;
        if (wait == Wait::No && (errno == EAGAIN || errno == EACCES)) return false;
        throw SysError("locking '" + shown + "'");
    }
}

FileDescriptor openGcLockFile(const std::string& root) {
    return openFile(gcLockPath(root), O_RDWR | O_CREAT, 0600);
}

void makeDirectory(const std::string& path) {
    if (::mkdir(path.c_str(), 0755) == -1 && errno != EEXIST)
        throw SysError("creating directory '" + path + "'");
}

} // namespace

std::string gcLockPath(const std::string& root) {
    return root + "/gc.lock";
}

std::string tempRootsDir(const std::string& root) {
    return root + "/temproots";
}

GcLock::GcLock(const std::string& root, Mode mode) : fd_(openGcLockFile(root)) {
    lockWhole(fd_.get(), mode == Mode::Exclusive ? F_WRLCK : F_RDLCK, Wait::Yes, gcLockPath(root));
}

GcLock GcLock::tryLock(const std::string& root, Mode mode) {
    GcLock lock;
    FileDescriptor fd = openGcLockFile(root);
    if (lockWhole(fd.get(), mode == Mode::Exclusive ? F_WRLCK : F_RDLCK, Wait::No,
                  gcLockPath(root)))
        lock.fd_ = std::move(fd);
    return lock;
}

GcReaderLock::GcReaderLock(const std::string& root) {
    try {
        lock_.emplace(root, GcLock::Mode::Shared);
    } catch (const SysError& e) {
        // No write access to the root: not a store this process could collect, nor one
        // whose collector could be told anything.
        int err = e.errorNumber();
        if (err != EACCES && err != EPERM && err != EROFS && err != ENOENT) throw;
    }
}

void TempRoots::openFile() {
    makeDirectory(tempRootsDir(root_));
    // Created and locked under gc.lock (shared), so a collector, which reads the files
    // holding gc.lock exclusively, never sees the file before its owner's lock is on it
    // (it would take it for a dead process's and remove it).
    GcLock gcLock(root_, GcLock::Mode::Shared);
    std::string pattern = tempRootsDir(root_) + "/" + std::to_string(::getpid()) + "-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    int fd = ::mkostemp(buffer.data(), O_CLOEXEC);
    if (fd == -1) throw SysError("creating a temp-roots file in '" + tempRootsDir(root_) + "'");
    fd_ = FileDescriptor(fd);
    file_ = buffer.data();
    lockWhole(fd_.get(), F_RDLCK, Wait::Yes, file_);
}

void TempRoots::add(const std::vector<std::string>& baseNames) {
    std::lock_guard guard(mutex_);
    std::string record;
    for (const std::string& name : baseNames)
        if (!added_.count(name)) record += name + '\0';
    if (record.empty()) return;
    if (!fd_) openFile();
    // The write lock waits while a collector holds its read lock on this file: a root added
    // during a collection is added after it, and the caller checks validity only then.
    lockWhole(fd_.get(), F_WRLCK, Wait::Yes, file_);
    try {
        if (::lseek(fd_.get(), 0, SEEK_END) == -1) throw SysError("seeking in '" + file_ + "'");
        writeAll(fd_.get(), record, "writing temp roots to '" + file_ + "'");
    } catch (...) {
        lockWhole(fd_.get(), F_RDLCK, Wait::Yes, file_);
        throw;
    }
    // Back to a read lock: never unlocked, so the file always says its owner is alive.
    lockWhole(fd_.get(), F_RDLCK, Wait::Yes, file_);
    for (const std::string& name : baseNames)
        added_.insert(name);
}

void TempRoots::add(const StorePathSet& paths) {
    std::vector<std::string> names;
    names.reserve(paths.size());
    for (const StorePath& path : paths)
        names.push_back(path.baseName());
    add(names);
}

std::string TempRoots::file() const {
    std::lock_guard guard(mutex_);
    return file_;
}

TempRootsSnapshot lockTempRoots(const std::string& root) {
    TempRootsSnapshot snapshot;
    const std::string dir = tempRootsDir(root);
    struct stat st;
    if (::lstat(dir.c_str(), &st) == -1) {
        if (errno == ENOENT) return snapshot;
        throw SysError("examining '" + dir + "'");
    }
    FileDescriptor dirFd = openFile(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    for (const DirectoryEntry& entry : listDirectory(dirFd.get(), dir)) {
        const std::string file = dir + "/" + entry.name;
        FileDescriptor fd(::openat(dirFd.get(), entry.name.c_str(),
                                   O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
        if (!fd) {
            if (errno == ENOENT) continue;
            throw SysError("opening temp-roots file '" + file + "'");
        }
        // Nobody holds it: its owner is dead (files are created under gc.lock, which the
        // caller holds, so none is between creation and its owner's lock).
        if (lockWhole(fd.get(), F_WRLCK, Wait::No, file)) {
            if (::unlinkat(dirFd.get(), entry.name.c_str(), 0) == -1 && errno != ENOENT)
                throw SysError("removing the stale temp-roots file '" + file + "'");
            ++snapshot.staleFilesRemoved;
            continue;
        }
        // Waits only while the owner appends; from now on its next append waits for us.
        lockWhole(fd.get(), F_RDLCK, Wait::Yes, file);
        std::string contents;
        char buffer[65536];
        while (size_t n = readSome(fd.get(), buffer, sizeof buffer, "reading '" + file + "'"))
            contents.append(buffer, n);
        size_t start = 0;
        while (start < contents.size()) {
            size_t end = contents.find('\0', start);
            // A record cut short by a crash mid-write ends the file without its NUL.
            if (end == std::string::npos) end = contents.size();
            if (end > start) snapshot.roots.push_back({file, contents.substr(start, end - start)});
            start = end + 1;
        }
        snapshot.held.push_back(std::move(fd));
    }
    return snapshot;
}

} // namespace purist
