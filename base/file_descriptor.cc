#include "base/file_descriptor.h"

#include "base/error.h"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace purist {

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = other.release();
    }
    return *this;
}

FileDescriptor::~FileDescriptor() {
    // A destructor cannot report; callers that care about close errors call close().
    if (fd_ >= 0) ::close(fd_);
}

int FileDescriptor::release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
}

void FileDescriptor::close() {
    int fd = release();
    // Linux closes the descriptor even when close() fails, so never retry on EINTR.
    if (fd >= 0 && ::close(fd) == -1 && errno != EINTR) throw SysError("closing file descriptor");
}

FileDescriptor openFile(const std::string& path, int flags, mode_t mode) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd == -1) throw SysError("opening '" + path + "'");
    return FileDescriptor(fd);
}

FileDescriptor openFileAt(int dirFd, const std::string& name, int flags, mode_t mode,
                          const std::string& shownPath) {
    int fd = ::openat(dirFd, name.c_str(), flags | O_CLOEXEC, mode);
    if (fd == -1) throw SysError("opening '" + shownPath + "'");
    return FileDescriptor(fd);
}

void writeAll(int fd, std::string_view data, const std::string& what) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n == -1) {
            if (errno == EINTR) continue;
            throw SysError("writing " + what);
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
}

size_t readSome(int fd, char* buffer, size_t size, const std::string& what) {
    for (;;) {
        ssize_t n = ::read(fd, buffer, size);
        if (n >= 0) return static_cast<size_t>(n);
        if (errno != EINTR) throw SysError("reading " + what);
    }
}

std::string readFile(const std::string& path) {
    FileDescriptor fd = openFile(path, O_RDONLY);
    std::string out;
    char buffer[65536];
    while (size_t n = readSome(fd.get(), buffer, sizeof buffer, "'" + path + "'"))
        out.append(buffer, n);
    return out;
}

void writeFile(const std::string& path, std::string_view data, mode_t mode) {
    FileDescriptor fd = openFile(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    writeAll(fd.get(), data, "'" + path + "'");
    fd.close();
}

} // namespace purist
