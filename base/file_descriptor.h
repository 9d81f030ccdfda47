#pragma once
// An owning file descriptor, and the read/write loops that every user of one needs.

#include <string>
#include <string_view>
#include <sys/types.h>

namespace purist {

/// Owns one file descriptor and closes it when destroyed. Movable, not copyable.
/// Not thread-safe; one owner at a time.
class FileDescriptor {
public:
    FileDescriptor() = default;
    explicit FileDescriptor(int fd) : fd_(fd) {}
    FileDescriptor(FileDescriptor&& other) noexcept : fd_(other.release()) {}
    FileDescriptor& operator=(FileDescriptor&& other) noexcept;
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor();

    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    /// Gives up ownership; the caller now closes the descriptor.
    int release();
    /// Closes now and reports a failed close (which can mean lost writes) as SysError.
    void close();

private:
    int fd_ = -1;
};

/// open(2) that throws SysError naming `path`. O_CLOEXEC is always added.
FileDescriptor openFile(const std::string& path, int flags, mode_t mode = 0);
/// openat(2) relative to `dirFd`, same contract as openFile; `shownPath` names it in errors.
FileDescriptor openFileAt(int dirFd, const std::string& name, int flags, mode_t mode,
                          const std::string& shownPath);

/// Writes all of `data`, retrying on EINTR and short writes; throws SysError.
void writeAll(int fd, std::string_view data, const std::string& what);
/// Reads up to `size` bytes, retrying on EINTR; returns 0 at end of file; throws SysError.
size_t readSome(int fd, char* buffer, size_t size, const std::string& what);
/// Reads a whole (small) file into memory; throws SysError naming `path`.
std::string readFile(const std::string& path);
/// Writes `data` to `path`, creating or truncating it.
void writeFile(const std::string& path, std::string_view data, mode_t mode = 0644);

} // namespace purist
