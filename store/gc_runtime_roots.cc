#include "store/gc_runtime_roots.h"

#include "base/directory.h"
#include "base/error.h"
#include "base/file_descriptor.h"

#include <cerrno>
#include <climits>
#include <fcntl.h>
#include <string_view>
#include <unistd.h>

namespace purist {
namespace {

// The characters of a store path's base name (Nix's name rules plus the hash's alphabet).
bool isNameChar(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '+' ||
           c == '-' || c == '.' || c == '_' || c == '?' || c == '=';
}

class Finder {
public:
    explicit Finder(const std::vector<std::string>& storeDirs) {
        for (const std::string& dir : storeDirs)
            prefixes_.push_back(dir + "/");
    }

    // Every `<storeDir>/<name>` in `text`.
    void scan(std::string_view text, const std::string& location) {
        for (const std::string& prefix : prefixes_) {
            for (size_t at = text.find(prefix); at != std::string_view::npos;
                 at = text.find(prefix, at + 1)) {
                // Wherever it appears, even inside a longer path (/x/nix/store/...): a root
                // too many keeps a path a while longer, a root too few loses it.
                size_t start = at + prefix.size(), end = start;
                while (end < text.size() && isNameChar(text[end]))
                    ++end;
                // A hash part (32 characters), a dash and a name of at least one character.
                if (end - start >= 34)
                    roots.push_back({location, std::string(text.substr(start, end - start))});
            }
        }
    }

    std::vector<RuntimeRoot> roots;

private:
    std::vector<std::string> prefixes_;
};

// The target of a /proc link, or "" if the process is gone or not ours to read.
std::string readProcLink(int dirFd, const char* name) {
    char buffer[PATH_MAX];
    ssize_t n = ::readlinkat(dirFd, name, buffer, sizeof buffer);
    return n <= 0 ? std::string() : std::string(buffer, static_cast<size_t>(n));
}

// A /proc file's contents, or "" if the process is gone or not ours to read. Environments
// and maps are read whole; they are small.
std::string readProcFile(int dirFd, const char* name) {
    FileDescriptor fd(::openat(dirFd, name, O_RDONLY | O_CLOEXEC));
    if (!fd) return "";
    std::string contents;
    char buffer[65536];
    for (;;) {
        ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        contents.append(buffer, static_cast<size_t>(n));
    }
    return contents;
}

} // namespace

std::vector<RuntimeRoot> findRuntimeRoots(const std::vector<std::string>& storeDirs,
                                          const std::string& procDir) {
    Finder finder(storeDirs);
    FileDescriptor proc = openFile(procDir, O_RDONLY | O_DIRECTORY);
    for (const DirectoryEntry& process : listDirectory(proc.get(), procDir)) {
        if (process.name.find_first_not_of("0123456789") != std::string::npos) continue;
        const std::string at = procDir + "/" + process.name;
        FileDescriptor dir(
            ::openat(proc.get(), process.name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!dir) continue; // exited meanwhile
        for (const char* link : {"exe", "cwd", "root"})
            finder.scan(readProcLink(dir.get(), link), at + "/" + link);
        FileDescriptor fds(::openat(dir.get(), "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (fds) {
            std::vector<DirectoryEntry> entries;
            try {
                entries = listDirectory(fds.get(), at + "/fd");
            } catch (const SysError&) {
                // Exited while its descriptors were listed.
            }
            for (const DirectoryEntry& fd : entries)
                finder.scan(readProcLink(fds.get(), fd.name.c_str()), at + "/fd/" + fd.name);
        }
        finder.scan(readProcFile(dir.get(), "maps"), at + "/maps");
        finder.scan(readProcFile(dir.get(), "environ"), at + "/environ");
    }
    return std::move(finder.roots);
}

} // namespace purist
