#include "checker/path_walker.h"

#include "base/directory.h"
#include "base/error.h"

#include <algorithm>
#include <fcntl.h>
#include <unistd.h>
#include <vector>

namespace purist::checker {

namespace {

std::vector<std::string> sortedNames(int fd, const std::string& shown) {
    std::vector<std::string> names;
    for (DirectoryEntry& entry : listDirectory(fd, shownPath(shown)))
        names.push_back(std::move(entry.name));
    std::sort(names.begin(), names.end());
    return names;
}

} // namespace

void walkPath(const std::string& root, const std::function<void(const WalkEntry&)>& visit) {
    struct stat st;
    if (::fstatat(AT_FDCWD, root.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        throw SysError("reading the metadata of '" + shownPath(root) + "'");
    std::string relative;
    visit(WalkEntry{relative, st, AT_FDCWD, root, root});
    if (!S_ISDIR(st.st_mode)) return;
    DirectoryPath walk(openDirectoryAt(AT_FDCWD, root, root), root);
    struct Level {
        std::vector<std::string> names;
        size_t next = 0;
        size_t relativeLength; // of `relative` in this directory
    };
    std::vector<Level> levels;
    levels.push_back({sortedNames(walk.fd(), root), 0, 0});
    while (!levels.empty()) {
        Level& level = levels.back();
        if (level.next == level.names.size()) {
            levels.pop_back();
            if (levels.empty()) break;
            walk.leave();
            relative.resize(levels.back().relativeLength);
            continue;
        }
        const std::string& name = level.names[level.next++];
        relative.resize(level.relativeLength);
        if (!relative.empty()) relative += '/';
        relative += name;
        std::string shown = walk.shownPathOf(name);
        if (::fstatat(walk.fd(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
            throw SysError("reading the metadata of '" + shownPath(shown) + "'");
        visit(WalkEntry{relative, st, walk.fd(), name, shown});
        if (!S_ISDIR(st.st_mode)) continue;
        walk.enter(openDirectoryAt(walk.fd(), name, shown), name);
        if (walk.status().st_ino != st.st_ino || walk.status().st_dev != st.st_dev)
            throw Error("'" + shownPath(shown) + "' was replaced while it was walked");
        size_t length = relative.size();
        levels.push_back({sortedNames(walk.fd(), walk.path()), 0, length});
    }
}

FileDescriptor openVisited(const WalkEntry& entry) {
    FileDescriptor fd = openFileAt(entry.dirFd, entry.name, O_RDONLY | O_NOFOLLOW | O_NOCTTY, 0,
                                   shownPath(entry.shownPath));
    struct stat st;
    if (::fstat(fd.get(), &st) == -1)
        throw SysError("examining '" + shownPath(entry.shownPath) + "'");
    if (st.st_dev != entry.status.st_dev || st.st_ino != entry.status.st_ino)
        throw Error("'" + shownPath(entry.shownPath) + "' was replaced while it was walked");
    return fd;
}

std::string readVisitedLink(const WalkEntry& entry) {
    return readLinkAt(entry.dirFd, entry.name, entry.shownPath);
}

} // namespace purist::checker
