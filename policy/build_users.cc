#include "policy/build_users.h"

#include "base/error.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
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

BuildUserPool::BuildUserPool(const std::string& group, std::string lockDir)
    : users_(lookUpBuildUsers(group)), lockDir_(std::move(lockDir)) {
    if (::mkdir(lockDir_.c_str(), 0700) != 0 && errno != EEXIST)
        throw SysError("creating the build user lock dir " + lockDir_);
}

std::optional<BuildUserLock> BuildUserPool::tryAcquire() {
    for (const auto& user : users_) {
        std::string path = lockDir_ + "/" + user.name;
        FileDescriptor fd = openFile(path, O_RDWR | O_CREAT, 0600);
        if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) return BuildUserLock(user, std::move(fd));
        if (errno != EWOULDBLOCK) throw SysError("locking " + path);
    }
    return std::nullopt;
}

BuildUserLock BuildUserPool::acquire(const std::function<void()>& waiting) {
    // The queue: whoever holds it looks for a user, the others wait for it (flock wakes
    // them in turn). No holder of the queue holds a user, so it cannot deadlock.
    std::string queuePath = lockDir_ + "/.queue";
    FileDescriptor queue = openFile(queuePath, O_RDWR | O_CREAT, 0600);
    while (::flock(queue.get(), LOCK_EX) == -1) {
        if (errno != EINTR) throw SysError("locking " + queuePath);
    }
    using Clock = std::chrono::steady_clock;
    auto pause = std::chrono::milliseconds(10);
    std::optional<Clock::time_point> lastTold;
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
