#include "policy/build_users.h"

#include "base/error.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace purist::policy {
namespace {

// getgrnam_r/getpwnam_r report "buffer too small" as ERANGE; retry with a larger one.
template <typename Entry, typename Lookup>
bool lookUp(Lookup lookup, const std::string& name, Entry& entry, std::vector<char>& buffer) {
    buffer.resize(4096);
    for (;;) {
        Entry* result = nullptr;
        int rc = lookup(name.c_str(), &entry, buffer.data(), buffer.size(), &result);
        if (rc == ERANGE && buffer.size() < (1u << 24)) {
            buffer.resize(buffer.size() * 2);
            continue;
        }
        if (rc != 0) throw SysError(rc, "looking up '" + name + "'");
        return result != nullptr;
    }
}

// Opens the directory `path`, creating missing components, one component at a time
// relative to the last, so no link (a build user's, or anyone's) can redirect the locks.
// A directory someone else may change is refused: they could remove a lock file while a
// build holds it and hand that build's user to another.
FileDescriptor openTrustedDir(const std::string& path) {
    if (path.empty() || path.front() != '/')
        throw SandboxError("the build user lock dir must be an absolute path, not '" + path + "'");
    uid_t self = ::geteuid();
    auto check = [&](int fd, const std::string& shown, bool last) {
        struct stat info {};
        if (::fstat(fd, &info) == -1) throw SysError("examining " + shown);
        if (!S_ISDIR(info.st_mode)) throw SandboxError(shown + " is not a directory");
        if (info.st_uid != 0 && info.st_uid != self)
            throw SandboxError("the build user lock dir " + shown + " belongs to uid " +
                               std::to_string(info.st_uid) +
                               ", who could fake or remove its locks; remove it");
        bool othersWrite = (info.st_mode & (S_IWGRP | S_IWOTH)) != 0;
        if (othersWrite && (last || !(info.st_mode & S_ISVTX))) {
            char mode[8];
            std::snprintf(mode, sizeof mode, "%04o", info.st_mode & 07777);
            throw SandboxError("the build user lock dir " + shown + " may be changed by " +
                               "other users (mode " + mode + "), who could fake or remove " +
                               "its locks");
        }
    };
    FileDescriptor dir = openFile("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    check(dir.get(), "/", path == "/");
    std::string shown;
    for (size_t start = 1; start < path.size();) {
        size_t end = path.find('/', start);
        if (end == std::string::npos) end = path.size();
        std::string name = path.substr(start, end - start);
        start = end + 1;
        if (name.empty() || name == ".") continue;
        if (name == "..")
            throw SandboxError("the build user lock dir must not contain '..': " + path);
        shown += "/" + name;
        bool last = path.find_first_not_of('/', end) == std::string::npos;
        if (::mkdirat(dir.get(), name.c_str(), last ? 0700 : 0755) == -1 && errno != EEXIST)
            throw SysError("creating " + shown);
        int fd = ::openat(dir.get(), name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd == -1) {
            if (errno == ENOTDIR || errno == ELOOP)
                throw SandboxError("the build user lock dir " + shown +
                                   " is a symbolic link or not a directory; remove it");
            throw SysError("opening " + shown);
        }
        dir = FileDescriptor(fd);
        check(dir.get(), shown, last);
    }
    return dir;
}

} // namespace

std::string buildUsersCreationCommands(const std::string& group, unsigned count) {
    return "  groupadd --system " + group + "\n" + "  for i in $(seq 1 " + std::to_string(count) +
           "); do\n" + "    useradd --system --no-create-home --home-dir /var/empty --shell " +
           "/usr/sbin/nologin \\\n" + "      --gid " + group + " --groups " + group +
           " --comment \"purist build user $i\" " + group + "$i\n" + "  done\n" +
           "(or run scripts/create-build-users.sh)";
}

std::vector<BuildUser> lookUpBuildUsers(const std::string& group) {
    auto refuse = [&](const std::string& why) {
        return SandboxError("running as root, builds must run as members of the build users "
                            "group '" +
                            group + "' (setting build-users-group), but " + why +
                            ". Create it as root with:\n" + buildUsersCreationCommands(group));
    };
    struct group groupEntry {};
    std::vector<char> groupBuffer;
    if (!lookUp(::getgrnam_r, group, groupEntry, groupBuffer))
        throw refuse("the group does not exist");
    std::vector<BuildUser> users;
    for (char** member = groupEntry.gr_mem; member && *member; ++member) {
        struct passwd userEntry {};
        std::vector<char> userBuffer;
        if (!lookUp(::getpwnam_r, *member, userEntry, userBuffer))
            throw refuse("its member '" + std::string(*member) + "' is not a user");
        if (userEntry.pw_uid == 0)
            throw refuse("its member '" + std::string(*member) + "' is root");
        users.push_back({*member, userEntry.pw_uid, groupEntry.gr_gid});
    }
    if (users.empty()) throw refuse("the group has no members");
    return users;
}

BuildUserPool::BuildUserPool(const std::string& group, const std::string& lockDir)
    : users_(lookUpBuildUsers(group)), lockDir_(lockDir), lockDirFd_(openTrustedDir(lockDir)) {}

std::optional<BuildUserLock> BuildUserPool::tryAcquire() {
    for (const auto& user : users_) {
        std::string path = lockDir_ + "/" + user.name;
        FileDescriptor fd = openFileAt(lockDirFd_.get(), user.name,
                                       O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600, path);
        if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) return BuildUserLock(user, std::move(fd));
        if (errno != EWOULDBLOCK) throw SysError("locking " + path);
    }
    return std::nullopt;
}

BuildUserLock BuildUserPool::acquire(const std::function<void()>& waiting) {
    // The queue: whoever holds it looks for a user, the others wait for it (flock wakes
    // them in turn). No holder of the queue holds a user, so it cannot deadlock.
    std::string queuePath = lockDir_ + "/.queue";
    FileDescriptor queue = openFileAt(lockDirFd_.get(), ".queue",
                                      O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600, queuePath);
    using Clock = std::chrono::steady_clock;
    std::optional<Clock::time_point> lastTold;
    // Another process holding the queue is itself waiting for a user (the queue is
    // machine-wide): say so now, not only once this process is first in line.
    if (::flock(queue.get(), LOCK_EX | LOCK_NB) == -1) {
        if (errno != EWOULDBLOCK && errno != EINTR) throw SysError("locking " + queuePath);
        if (waiting) {
            waiting();
            lastTold = Clock::now();
        }
        while (::flock(queue.get(), LOCK_EX) == -1) {
            if (errno != EINTR) throw SysError("locking " + queuePath);
        }
    }
    auto pause = std::chrono::milliseconds(10);
    for (;;) {
        if (std::optional<BuildUserLock> lock = tryAcquire()) return std::move(*lock);
        // A blocking flock would wait for one user while another is freed: poll them all.
        if (waiting && (!lastTold || Clock::now() - *lastTold >= std::chrono::minutes(1))) {
            waiting();
            lastTold = Clock::now();
        }
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds(200));
    }
}

} // namespace purist::policy
