#include "base/directory.h"

#include "base/error.h"

#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <string_view>
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

} // namespace purist
