#include "checker/evidence.h"

#include "base/directory.h"
#include "base/error.h"
#include "base/file_descriptor.h"
#include "checker/content_scanner.h"
#include "store/ref_scanner.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace purist::checker {

namespace {

constexpr size_t kContext = kReferenceExcerptContext;
constexpr size_t kHashLength = 32;

// The bytes around `offset` in the entry `file` of `root`, read with one pread (contents)
// or readlink (symlink target); a directory entry's hit is in its name.
std::string excerptAt(const std::string& root, const std::string& file, uint64_t offset) {
    // The entry is reached one name at a time below the root, never through a symlink, and
    // without a path that a deep tree would make longer than PATH_MAX.
    std::string name = root;
    FileDescriptor parent;
    if (!file.empty()) parent = openParentBeneath(root, file, name);
    int dirFd = parent ? parent.get() : AT_FDCWD;
    std::string full = shownPath(file.empty() ? root : root + "/" + file);
    struct stat st;
    if (::fstatat(dirFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        throw SysError("reading the metadata of '" + full + "'");
    if (S_ISLNK(st.st_mode)) {
        return makeExcerpt(readLinkAt(dirFd, name, full), static_cast<size_t>(offset), kHashLength,
                           kContext);
    }
    if (!S_ISREG(st.st_mode))
        return makeExcerpt(name, static_cast<size_t>(offset), kHashLength, kContext);
    uint64_t from = offset > kContext ? offset - kContext : 0;
    std::string bytes(static_cast<size_t>(offset - from) + kHashLength + kContext, '\0');
    FileDescriptor fd = openFileAt(dirFd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY, 0, full);
    ssize_t n = ::pread(fd.get(), bytes.data(), bytes.size(), static_cast<off_t>(from));
    if (n < 0) throw SysError("reading '" + full + "'");
    bytes.resize(static_cast<size_t>(n));
    return makeExcerpt(bytes, static_cast<size_t>(offset - from), kHashLength, kContext);
}

} // namespace

std::map<std::string, ReferenceEvidence>
locateReferences(const std::string& realPath, const std::vector<std::string>& hashParts) {
    std::map<std::string, ReferenceEvidence> result;
    struct stat st;
    if (hashParts.empty() || ::lstat(realPath.c_str(), &st) != 0) return result;
    for (const auto& [hashPart, site] : scanForReferences(realPath, hashParts))
        result.emplace(hashPart, ReferenceEvidence{site.file, site.offset,
                                                   excerptAt(realPath, site.file, site.offset)});
    return result;
}

} // namespace purist::checker
