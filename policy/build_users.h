#pragma once
// Build users: as root, every sandboxed build runs as its own member of the build users
// group (never as root), so concurrent builds cannot touch each other's processes/files.

#include "base/file_descriptor.h"

#include <functional>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace purist::policy {

/// One member of the build users group.
struct BuildUser {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0; ///< the build users group's gid (not the user's primary group)
};

/// A build user held for one build: while this object lives, no other build (in this or
/// another purist process) gets the same user. Movable, not copyable.
class BuildUserLock {
public:
    BuildUserLock(BuildUser user, FileDescriptor lock)
        : user_(std::move(user)), lock_(std::move(lock)) {}
    const BuildUser& user() const { return user_; }

private:
    BuildUser user_;
    FileDescriptor lock_; // flock(LOCK_EX) held; closing it releases the user
};

/// The shell commands that create `group` with `count` members, for error messages.
std::string buildUsersCreationCommands(const std::string& group, unsigned count = 8);

/// The members of the build users group `group`, looked up with getgrnam_r/getpwnam_r.
/// Throws SandboxError, with the commands that create them, when the group is missing,
/// has no members, or a member is missing or is root.
std::vector<BuildUser> lookUpBuildUsers(const std::string& group);

/// Where build users' locks live: one directory for the whole machine, so two purist
/// processes never run builds as the same user at once, whatever store each one uses (two
/// builds sharing a user could signal, trace and write into each other). On /run, a
/// tmpfs, so no lock outlives a reboot.
inline constexpr const char* kMachineWideBuildUserLockDir = "/run/purist/userpool";

/// Hands out build users through lock files `<lockDir>/<user>` (flock). Thread-safe: each
/// acquire opens its own descriptor, and flock locks conflict between descriptors.
class BuildUserPool {
public:
    /// Looks up the group (see lookUpBuildUsers) and opens `lockDir`, creating what is
    /// missing of it (0755, the last 0700), without following a symbolic link on the way.
    /// Throws SandboxError if any directory on the way belongs to a user other than root
    /// or this process's, or could be changed by others (group or world writable, unless
    /// sticky; the lock dir itself never): its locks could be faked or removed.
    explicit BuildUserPool(const std::string& group,
                           const std::string& lockDir = kMachineWideBuildUserLockDir);

    /// A free build user, or nullopt if all are busy.
    std::optional<BuildUserLock> tryAcquire();
    /// A free build user. While all are busy (other purist processes' builds hold them;
    /// this process runs no more builds at once than there are members), calls `waiting`
    /// (then again every minute) and tries every 10 ms, backing off to every 200 ms, until
    /// one is free. Callers take turns: each holds `<lockDir>/.queue` (flock) while it
    /// looks, so a process whose own finished build frees a user cannot take it again
    /// ahead of one that has been waiting.
    BuildUserLock acquire(const std::function<void()>& waiting = {});
    size_t size() const { return users_.size(); }
    /// The build users group's gid.
    gid_t gid() const { return users_.front().gid; }

private:
    std::vector<BuildUser> users_;
    std::string lockDir_;
    FileDescriptor lockDirFd_; // every lock file is opened relative to it, never by path
};

} // namespace purist::policy
