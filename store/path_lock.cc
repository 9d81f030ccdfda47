#include "store/path_lock.h"

#include "base/error.h"

#include <cerrno>
#include <cstdint>
#include <fcntl.h>
#include <utility>

namespace purist {

FileDescriptor openPathLockFile(const std::string& tmpDir) {
    return openFile(tmpDir + "/output-locks", O_RDWR | O_CREAT, 0600);
}

namespace {

off_t offsetOf(const std::string& baseName) {
    uint64_t h = 1469598103934665603ull; // FNV-1a
    for (char c : baseName)
        h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
    return static_cast<off_t>(h >> 2);
}

} // namespace

PathLock::PathLock(int lockFileFd, const std::string& baseName)
    : fd_(lockFileFd), offset_(offsetOf(baseName)) {}

PathLock::PathLock(PathLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), offset_(other.offset_),
      held_(std::exchange(other.held_, false)) {}

PathLock::~PathLock() {
    // Unlocking a held range of an open file cannot fail; the file itself stays open.
    if (held_) set(F_OFD_SETLK, F_UNLCK);
}

bool PathLock::tryLock() {
    if (set(F_OFD_SETLK, F_WRLCK)) return held_ = true;
    if (errno == EAGAIN || errno == EACCES) return false;
    throw SysError("locking a store path");
}

void PathLock::lock() {
    while (!set(F_OFD_SETLKW, F_WRLCK)) {
        if (errno != EINTR) throw SysError("waiting for a store path's lock");
    }
    held_ = true;
}

bool PathLock::set(int command, short type) {
    struct flock range {};
    range.l_type = type;
    range.l_whence = SEEK_SET;
    range.l_start = offset_;
    range.l_len = 1;
    return ::fcntl(fd_, command, &range) == 0;
}

} // namespace purist
