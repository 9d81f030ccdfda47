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

// Gives the owner every permission on the directory open as `fd`. A canonical store path
// is read-only, and a builder may leave a directory even its owner cannot list.
void makeOwnerAccessible(int fd, mode_t mode, const std::string& shown) {
    if ((mode & 0700) == 0700) return;
    if (::fchmod(fd, 0700) == -1 && errno != EPERM)
        throw SysError("making '" + shownPath(shown) + "' writable");
}

// Empties the directory open as `top`, depth first, without recursion: what it holds at
// any time is one DirectoryPath and, per level, the names still to remove there.
void removeEntries(FileDescriptor top, const std::string& shown) {
    struct Level {
        std::vector<DirectoryEntry> entries;
        size_t next = 0;
        std::string name; // of this directory in its parent
    };
    DirectoryPath walk(std::move(top), shown);
    makeOwnerAccessible(walk.fd(), walk.status().st_mode, shown);
    std::vector<Level> levels;
    levels.push_back({listDirectory(walk.fd(), walk.path()), 0, ""});
    while (!levels.empty()) {
        Level& level = levels.back();
        if (level.next == level.entries.size()) {
            std::string name = std::move(level.name);
            levels.pop_back();
            if (levels.empty()) break;
            walk.leave();
            if (::unlinkat(walk.fd(), name.c_str(), AT_REMOVEDIR) == -1 && errno != ENOENT)
                throw SysError("removing '" + shownPath(walk.shownPathOf(name)) + "'");
            continue;
        }
        DirectoryEntry& entry = level.entries[level.next++];
        std::string name = std::move(entry.name);
        if (entry.type == DT_DIR || entry.type == DT_UNKNOWN) {
            struct stat st;
            if (::fstatat(walk.fd(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == -1) {
                if (errno == ENOENT) continue;
                throw SysError("examining '" + shownPath(walk.shownPathOf(name)) + "'");
            }
            if (S_ISDIR(st.st_mode)) {
                walk.enter(openDirectoryToChange(walk.fd(), name, walk.shownPathOf(name)), name);
                makeOwnerAccessible(walk.fd(), walk.status().st_mode, walk.path());
                levels.push_back({listDirectory(walk.fd(), walk.path()), 0, std::move(name)});
                continue;
            }
        }
        if (::unlinkat(walk.fd(), name.c_str(), 0) == -1 && errno != ENOENT)
            throw SysError("removing '" + shownPath(walk.shownPathOf(name)) + "'");
    }
}

} // namespace

void removeContents(const std::string& path) {
    removeEntries(openDirectoryToChange(AT_FDCWD, path, path), path);
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
