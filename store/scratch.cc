#include "store/scratch.h"

#include "base/directory.h"
#include "base/error.h"
#include "base/temp_dir.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace purist {
namespace {

constexpr std::string_view kScratchPrefix = "scratch-";
constexpr std::string_view kKeptPrefix = "kept-";

// Whether `name` is what purist's TempDir("add-"/"build-", tmpDir) made before scratch
// directories were locked (563cc97): the prefix and mkdtemp's six letters or digits.
bool isLegacyScratchName(std::string_view name) {
    for (std::string_view prefix : {std::string_view("add-"), std::string_view("build-")}) {
        if (name.size() != prefix.size() + 6 || name.substr(0, prefix.size()) != prefix) continue;
        std::string_view suffix = name.substr(prefix.size());
        return std::all_of(suffix.begin(), suffix.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        });
    }
    return false;
}

bool sameFile(const struct stat& a, const struct stat& b) {
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// Opens a directory for flock: O_PATH descriptors cannot be locked.
int openDirectory(int dirFd, const char* name) {
    return ::openat(dirFd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

} // namespace

ScratchDir::ScratchDir(const std::string& tmpDir, const std::string& kind) {
    const std::string pattern = tmpDir + "/" + std::string(kScratchPrefix) + kind + "-" +
                                std::to_string(::getpid()) + "-XXXXXX";
    // Between mkdtemp and flock a reclaimer may see the directory unlocked and take it. It
    // then either holds the lock (our LOCK_NB fails) or has removed the directory (the path no
    // longer names what we opened); either way we start again under a new name.
    for (int attempt = 0; attempt < 16; ++attempt) {
        std::vector<char> buffer(pattern.begin(), pattern.end());
        buffer.push_back('\0');
        if (!::mkdtemp(buffer.data()))
            throw SysError("creating a scratch directory in '" + tmpDir + "'");
        std::string path = buffer.data();
        FileDescriptor fd(openDirectory(AT_FDCWD, path.c_str()));
        if (!fd) {
            if (errno == ENOENT) continue;
            throw SysError("opening the scratch directory '" + path + "'");
        }
        if (::flock(fd.get(), LOCK_EX | LOCK_NB) == -1) {
            if (errno == EWOULDBLOCK) continue;
            throw SysError("locking the scratch directory '" + path + "'");
        }
        struct stat opened {
        }, named{};
        if (::fstat(fd.get(), &opened) == -1)
            throw SysError("examining the scratch directory '" + path + "'");
        if (::lstat(path.c_str(), &named) == -1) {
            if (errno == ENOENT) continue;
            throw SysError("examining the scratch directory '" + path + "'");
        }
        if (!sameFile(opened, named)) continue;
        path_ = std::move(path);
        lock_ = std::move(fd);
        return;
    }
    throw StoreError("could not create a scratch directory in '" + tmpDir +
                     "': another process removed every one made (16 attempts)");
}

ScratchDir::ScratchDir(ScratchDir&& other) noexcept
    : path_(std::move(other.path_)), lock_(std::move(other.lock_)), keep_(other.keep_) {
    other.path_.clear();
}

ScratchDir::~ScratchDir() {
    if (keep_ || path_.empty()) return;
    try {
        removeTree(path_);
    } catch (const Error&) {
        // A destructor cannot throw. What is left is reclaimed by the next process, since
        // the lock goes with this object.
    }
}

void ScratchDir::keep() {
    size_t slash = path_.rfind('/');
    std::string name = path_.substr(slash + 1);
    std::string kept =
        path_.substr(0, slash + 1) + std::string(kKeptPrefix) + name.substr(kScratchPrefix.size());
    if (::renameat2(AT_FDCWD, path_.c_str(), AT_FDCWD, kept.c_str(), RENAME_NOREPLACE) == -1)
        throw SysError("keeping the scratch directory '" + path_ + "' as '" + kept + "'");
    path_ = std::move(kept);
    keep_ = true;
}

namespace {

// Removes the scratch directory of a dead process. Its lock is free as soon as the process
// is gone, but the build it ran may still be dying: the builder is killed when its
// supervisor sees purist's end of the control socket close, and until the kernel has torn
// down its PID namespace it can still create files in the outputs' directory, so a removal
// can meet ENOTEMPTY (seen in CrashBuildE2eTest after kill -9 of `purist build`). That is
// retried for a few seconds; a directory that still fills is left for the next reclaimer.
bool removeDeadScratch(const std::string& path) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    auto pause = std::chrono::milliseconds(5);
    for (;;) {
        try {
            removeTree(path);
            return true;
        } catch (const SysError& e) {
            if (e.errorNumber() != ENOTEMPTY) throw;
            if (std::chrono::steady_clock::now() >= deadline) return false;
        }
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds(200));
    }
}

} // namespace

ScratchReclaim reclaimDeadScratch(const std::string& tmpDir) {
    ScratchReclaim result;
    FileDescriptor dir(openDirectory(AT_FDCWD, tmpDir.c_str()));
    if (!dir) {
        if (errno == ENOENT) return result;
        throw SysError("opening '" + tmpDir + "' to reclaim scratch space");
    }
    for (const DirectoryEntry& entry : listDirectory(dir.get(), tmpDir)) {
        if (isLegacyScratchName(entry.name)) {
            struct stat st {};
            if (::fstatat(dir.get(), entry.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISDIR(st.st_mode))
                result.legacy.push_back(tmpDir + "/" + entry.name);
            continue;
        }
        if (entry.name.compare(0, kScratchPrefix.size(), kScratchPrefix) != 0) continue;
        const std::string path = tmpDir + "/" + entry.name;
        FileDescriptor fd(openDirectory(dir.get(), entry.name.c_str()));
        if (!fd) {
            // Gone meanwhile (its owner or another reclaimer removed it), not a directory
            // (nothing purist made), or another user's that this one could not remove anyway.
            if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP || errno == EACCES ||
                errno == EPERM)
                continue;
            throw SysError("opening the scratch directory '" + path + "'");
        }
        if (::flock(fd.get(), LOCK_EX | LOCK_NB) == -1) {
            if (errno != EWOULDBLOCK)
                throw SysError("locking the scratch directory '" + path + "'");
            ++result.live;
            continue;
        }
        // Holding the lock, check the name still leads to what was locked: another
        // reclaimer may have removed it and a new one taken the name in between.
        struct stat opened {
        }, named{};
        if (::fstat(fd.get(), &opened) == -1) throw SysError("examining '" + path + "'");
        if (::fstatat(dir.get(), entry.name.c_str(), &named, AT_SYMLINK_NOFOLLOW) == -1) {
            if (errno == ENOENT) continue;
            throw SysError("examining '" + path + "'");
        }
        if (!sameFile(opened, named)) continue;
        if (removeDeadScratch(path))
            ++result.removed;
        else
            ++result.live;
    }
    return result;
}

} // namespace purist
