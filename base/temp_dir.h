#pragma once
// A temporary directory removed with everything in it when its owner goes away.

#include <string>

namespace purist {

/// Creates a fresh directory `<parent>/<prefix>XXXXXX` (mode 0700) and removes it
/// recursively on destruction unless keep() was called. Movable, not copyable.
class TempDir {
public:
    /// `parent` defaults to $TMPDIR or /tmp. Throws SysError.
    explicit TempDir(const std::string& prefix = "purist-", std::string parent = "");
    TempDir(TempDir&& other) noexcept;
    TempDir& operator=(TempDir&&) = delete;
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir();

    const std::string& path() const { return path_; }
    /// The directory survives this object (for --keep-failed and post-mortems).
    void keep() { keep_ = true; }

private:
    std::string path_;
    bool keep_ = false;
};

/// Removes `path` and everything below it, making read-only directories writable first.
/// A missing path is not an error. Does not follow symlinks. Throws SysError.
void removeTree(const std::string& path);

/// Removes everything inside the directory `path`, which stays, empty and with mode 0700.
/// Does not follow symlinks. Throws SysError.
void removeContents(const std::string& path);

} // namespace purist
