#include "store/gc_roots.h"

#include "base/directory.h"
#include "base/error.h"
#include "store/hash.h"

#include <algorithm>
#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <tuple>
#include <unistd.h>

namespace purist {
namespace {

// An indirect root is a link to a link; anything longer is a loop or a mistake.
constexpr int kMaxLinkHops = 8;

class RootScanner {
public:
    RootScanner(const StoreDir& storeDir, const std::string& realStoreDir)
        : storeDir_(storeDir), realStoreDir_(realStoreDir) {}

    void scanDirectory(const std::string& dir) {
        struct stat st;
        if (::stat(dir.c_str(), &st) == -1 && errno == ENOENT) return;
        std::vector<DirectoryEntry> entries = listDirectory(dir);

        for (auto& [name, type] : entries) {
            std::string location = dir + "/" + name;
            if (type == DT_UNKNOWN) type = typeOf(location);
            if (type == DT_DIR) {
                scanDirectory(location);
            } else if (type == DT_REG) {
                // The fast kind: the name is the root; the file's contents do not matter.
                try {
                    scan_.roots.push_back({location, StorePath::fromBaseName(name)});
                } catch (const FormatError&) {
                    scan_.stale.push_back(location);
                }
            } else if (type == DT_LNK) {
                followLink(location);
            }
        }
    }

    // A root reached twice (`profile` -> `profile-1-link` -> store, and `profile-1-link`
    // itself) is listed once, in Nix's order: by store path, then location.
    GcRootScan take() {
        auto key = [](const GcRoot& r) { return std::tie(r.path, r.location); };
        std::sort(scan_.roots.begin(), scan_.roots.end(),
                  [&](const GcRoot& a, const GcRoot& b) { return key(a) < key(b); });
        scan_.roots.erase(
            std::unique(scan_.roots.begin(), scan_.roots.end(),
                        [&](const GcRoot& a, const GcRoot& b) { return key(a) == key(b); }),
            scan_.roots.end());
        return std::move(scan_);
    }

private:
    static unsigned char typeOf(const std::string& path) {
        struct stat st;
        if (::lstat(path.c_str(), &st) == -1) throw SysError("examining GC root '" + path + "'");
        if (S_ISDIR(st.st_mode)) return DT_DIR;
        if (S_ISREG(st.st_mode)) return DT_REG;
        if (S_ISLNK(st.st_mode)) return DT_LNK;
        return DT_UNKNOWN;
    }

    static std::string readLink(const std::string& path) {
        char buffer[PATH_MAX];
        ssize_t n = ::readlink(path.c_str(), buffer, sizeof buffer);
        if (n == -1) {
            if (errno == ENOENT || errno == EINVAL) return "";
            throw SysError("reading GC root '" + path + "'");
        }
        return std::string(buffer, static_cast<size_t>(n));
    }

    void followLink(const std::string& location) {
        std::string target = readLink(location);
        std::string shown = location;
        for (int hop = 0; hop < kMaxLinkHops && !target.empty(); ++hop) {
            if (target[0] != '/') {
                // Relative to the directory holding the link.
                target = shown.substr(0, shown.find_last_of('/') + 1) + target;
            }
            for (const StoreDir& dir : {storeDir_, StoreDir(realStoreDir_)}) {
                if (dir.isInStore(target)) {
                    try {
                        scan_.roots.push_back({shown, dir.parseWithSubpath(target).first});
                        return;
                    } catch (const FormatError&) {
                        scan_.stale.push_back(location);
                        return;
                    }
                }
            }
            // Not in the store: an indirect root names another link. A link to anything
            // else outside the store (gcroots/profiles -> the profiles directory, which is
            // read on its own) keeps nothing alive and is not stale either, as in Nix.
            struct stat st;
            if (::lstat(target.c_str(), &st) == -1) {
                if (errno != ENOENT && errno != ENOTDIR)
                    throw SysError("examining '" + target + "', named by GC root '" + location +
                                   "'");
                break; // the link it names is gone: a removed root
            }
            if (!S_ISLNK(st.st_mode)) return;
            shown = target;
            target = readLink(target);
        }
        scan_.stale.push_back(location);
    }

    const StoreDir& storeDir_;
    std::string realStoreDir_;
    GcRootScan scan_;
};

} // namespace

GcRootScan findGcRoots(const std::string& gcRootsDir, const StoreDir& storeDir,
                       const std::string& realStoreDir) {
    return findGcRoots(std::vector<std::string>{gcRootsDir}, storeDir, realStoreDir);
}

GcRootScan findGcRoots(const std::vector<std::string>& dirs, const StoreDir& storeDir,
                       const std::string& realStoreDir) {
    RootScanner scanner(storeDir, realStoreDir);
    for (const std::string& dir : dirs)
        scanner.scanDirectory(dir);
    return scanner.take();
}

std::vector<std::string> gcRootDirs(const std::string& root) {
    return {root + "/gcroots", root + "/profiles"};
}

namespace {

// Points `link` at `target`, replacing an earlier symlink atomically; refuses to replace
// anything that is not a symlink.
void replaceSymlink(const std::string& target, const std::string& link) {
    struct stat st {};
    if (::lstat(link.c_str(), &st) == 0 && !S_ISLNK(st.st_mode))
        throw UsageError("cannot create the out link '" + link +
                         "': it exists and is not a symlink");
    std::string temporary = link + ".tmp-" + std::to_string(::getpid());
    ::unlink(temporary.c_str());
    if (::symlink(target.c_str(), temporary.c_str()) == -1)
        throw SysError("creating symlink '" + temporary + "'");
    if (::rename(temporary.c_str(), link.c_str()) == -1) {
        int saved = errno;
        ::unlink(temporary.c_str());
        throw SysError(saved, "replacing '" + link + "'");
    }
}

} // namespace

void addResultLink(const std::string& gcRootsDir, const std::string& target,
                   const std::string& link) {
    replaceSymlink(target, link);
    std::string autoDir = gcRootsDir + "/auto";
    if (::mkdir(autoDir.c_str(), 0755) == -1 && errno != EEXIST)
        throw SysError("creating '" + autoDir + "'");
    std::string name = hashString(HashAlgorithm::Sha256, link).toBase32().substr(0, 32);
    replaceSymlink(link, autoDir + "/" + name);
}

} // namespace purist
