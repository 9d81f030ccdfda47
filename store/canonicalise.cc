#include "store/canonicalise.h"

#include "base/directory.h"
#include "base/error.h"

#include <cerrno>
#include <fcntl.h>
#include <string_view>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <vector>

namespace purist {
namespace {

std::vector<std::string> entryNames(const std::string& path) {
    std::vector<std::string> names;
    for (DirectoryEntry& entry : listDirectory(path))
        names.push_back(std::move(entry.name));
    return names;
}

void removeExtendedAttributes(const std::string& path) {
    ssize_t size = ::llistxattr(path.c_str(), nullptr, 0);
    if (size == -1) {
        if (errno == ENOTSUP || errno == ENODATA) return;
        throw SysError("listing extended attributes of '" + path + "'");
    }
    if (size == 0) return;
    std::vector<char> names(static_cast<size_t>(size));
    size = ::llistxattr(path.c_str(), names.data(), names.size());
    if (size == -1) throw SysError("listing extended attributes of '" + path + "'");
    for (size_t i = 0; i < static_cast<size_t>(size);) {
        std::string name(names.data() + i);
        i += name.size() + 1;
        // The kernel or LSM owns these and refuses their removal; they carry no content
        // and no permission a builder chose.
        if (name == "security.selinux" || name == "system.nfs4_acl") continue;
        if (::lremovexattr(path.c_str(), name.c_str()) == -1 && errno != ENODATA)
            throw SysError("removing extended attribute '" + name + "' from '" + path + "'");
    }
}

void canonicaliseOne(const std::string& path, const CanonicaliseOptions& options, bool isRoot) {
    struct stat st;
    if (::lstat(path.c_str(), &st) == -1) throw SysError("examining '" + path + "'");
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode))
        throw FormatError("'" + path +
                          "' is neither a regular file, a directory nor a symlink, "
                          "so it cannot be in the store");

    if (S_ISDIR(st.st_mode))
        for (const std::string& name : entryNames(path))
            canonicaliseOne(path + "/" + name, options, false);

    removeExtendedAttributes(path);
    if (options.owner || options.group) {
        uid_t uid = options.owner ? *options.owner : static_cast<uid_t>(-1);
        gid_t gid = options.group ? *options.group : static_cast<gid_t>(-1);
        if (::lchown(path.c_str(), uid, gid) == -1)
            throw SysError("changing owner of '" + path + "'");
    }
    if (!S_ISLNK(st.st_mode)) {
        // Setting the whole mode drops setuid, setgid, sticky and every write bit.
        mode_t mode = S_ISDIR(st.st_mode) || (st.st_mode & S_IXUSR) ? 0555 : 0444;
        if (isRoot && S_ISDIR(st.st_mode) && options.keepRootWritable) mode = 0755;
        if (::chmod(path.c_str(), mode) == -1) throw SysError("changing mode of '" + path + "'");
    }
    struct timespec times[2];
    times[0].tv_sec = 1;
    times[0].tv_nsec = 0;
    times[1] = times[0];
    if (::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) == -1)
        throw SysError("setting the modification time of '" + path + "'");
}

} // namespace

void canonicalisePath(const std::string& path, const CanonicaliseOptions& options) {
    canonicaliseOne(path, options, true);
}

void makeTreeWritable(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) == -1) throw SysError("examining '" + path + "'");
    if (!S_ISDIR(st.st_mode)) return;
    if (::chmod(path.c_str(), 0755) == -1) throw SysError("changing mode of '" + path + "'");
    for (const std::string& name : entryNames(path))
        makeTreeWritable(path + "/" + name);
}

} // namespace purist
