#include "base/temp_dir.h"

#include "base/directory.h"
#include "base/error.h"
#include "base/file_descriptor.h"

#include <cerrno>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace purist {

TempDir::TempDir(const std::string& prefix, std::string parent) {
    if (parent.empty()) {
        const char* tmp = std::getenv("TMPDIR");
        parent = tmp && *tmp ? tmp : "/tmp";
    }
    std::string pattern = parent + "/" + prefix + "XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (!::mkdtemp(buffer.data()))
        throw SysError("creating temporary directory in '" + parent + "'");
    path_ = buffer.data();
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)), keep_(other.keep_) {
    other.keep_ = true;
}

TempDir::~TempDir() {
    if (keep_ || path_.empty()) return;
    try {
        removeTree(path_);
    } catch (const Error&) {
        // A destructor cannot throw; a leftover temporary directory is the lesser harm.
    }
}

namespace {

void removeEntries(int dirFd, const std::string& shown) {
    // Canonicalised store paths are read-only directories; entries cannot be unlinked
    // from them until the owner write bit is back.
    if (::fchmod(dirFd, 0700) == -1 && errno != EPERM)
        throw SysError("making '" + shown + "' writable");
    std::vector<std::pair<std::string, bool>> entries;
    for (DirectoryEntry& entry : listDirectory(dirFd, shown))
        entries.emplace_back(std::move(entry.name),
                             entry.type == DT_DIR || entry.type == DT_UNKNOWN);

    for (auto& [name, maybeDir] : entries) {
        std::string childShown = shown + "/" + name;
        if (maybeDir) {
            struct stat st;
            if (::fstatat(dirFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == -1)
                throw SysError("examining '" + childShown + "'");
            if (S_ISDIR(st.st_mode)) {
                FileDescriptor child =
                    openFileAt(dirFd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, childShown);
                removeEntries(child.get(), childShown);
                if (::unlinkat(dirFd, name.c_str(), AT_REMOVEDIR) == -1)
                    throw SysError("removing '" + childShown + "'");
                continue;
            }
        }
        if (::unlinkat(dirFd, name.c_str(), 0) == -1)
            throw SysError("removing '" + childShown + "'");
    }
}

} // namespace

void removeContents(const std::string& path) {
    FileDescriptor fd = openFile(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    removeEntries(fd.get(), path);
}

void removeTree(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) == -1) {
        if (errno == ENOENT) return;
        throw SysError("examining '" + path + "'");
    }
    if (!S_ISDIR(st.st_mode)) {
        if (::unlink(path.c_str()) == -1 && errno != ENOENT)
            throw SysError("removing '" + path + "'");
        return;
    }
    removeContents(path);
    if (::rmdir(path.c_str()) == -1 && errno != ENOENT) throw SysError("removing '" + path + "'");
}

} // namespace purist
