#include "policy/build_users.h"

#include "base/error.h"
#include "base/temp_dir.h"
#include "tests/support/test_support.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <grp.h>
#include <optional>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace purist::policy {
namespace {

TEST(BuildUsers, MissingGroupIsRefusedWithTheCommandsThatCreateIt) {
    try {
        lookUpBuildUsers("purist-no-such-group-xyz");
        FAIL() << "expected SandboxError";
    } catch (const SandboxError& e) {
        std::string what = e.what();
        EXPECT_NE(what.find("does not exist"), std::string::npos) << what;
        EXPECT_NE(what.find("groupadd --system purist-no-such-group-xyz"), std::string::npos);
        EXPECT_NE(what.find("useradd"), std::string::npos);
    }
}

TEST(BuildUsers, GroupWithoutMembersIsRefused) {
    // Any group of this system that lists no members ("root" normally, "daemon", ...).
    std::string empty;
    ::setgrent();
    while (struct group* g = ::getgrent()) {
        if (!g->gr_mem || !g->gr_mem[0]) {
            empty = g->gr_name;
            break;
        }
    }
    ::endgrent();
    if (empty.empty()) PURIST_SKIP_OUTSIDE_CI("every group of this system has members");
    try {
        lookUpBuildUsers(empty);
        FAIL() << "expected SandboxError";
    } catch (const SandboxError& e) {
        EXPECT_NE(std::string(e.what()).find("has no members"), std::string::npos) << e.what();
    }
}

// Every user of the pool, held (as other purist processes' builds would hold them).
std::vector<BuildUserLock> holdEveryUser(BuildUserPool& pool) {
    std::vector<BuildUserLock> held;
    while (std::optional<BuildUserLock> lock = pool.tryAcquire())
        held.push_back(std::move(*lock));
    return held;
}

TEST(BuildUsers, PoolHandsOutEachUserOnce) {
    if (!::getgrnam("purist-build")) {
        PURIST_SKIP_OUTSIDE_CI("needs the purist-build group (scripts/create-build-users.sh)");
    }
    TempDir dir("build-users-test-");
    BuildUserPool pool("purist-build", dir.path() + "/userpool");
    ASSERT_GE(pool.size(), 2u);
    std::vector<BuildUserLock> held;
    for (size_t i = 0; i < pool.size(); ++i)
        held.push_back(pool.acquire());
    for (size_t i = 0; i < held.size(); ++i) {
        EXPECT_NE(held[i].user().uid, 0u);
        for (size_t j = i + 1; j < held.size(); ++j)
            EXPECT_NE(held[i].user().uid, held[j].user().uid);
    }
    EXPECT_FALSE(pool.tryAcquire().has_value());
    held.pop_back();
    EXPECT_TRUE(pool.tryAcquire().has_value());
}

// Waiting callers take turns: a user given back goes to the one that waited first, not to
// one that asks just after (as a process whose own build just finished would).
TEST(BuildUsers, AUserGivenBackGoesToTheCallerThatWaitedFirst) {
    if (!::getgrnam("purist-build")) {
        PURIST_SKIP_OUTSIDE_CI("needs the purist-build group (scripts/create-build-users.sh)");
    }
    TempDir dir("build-users-test-");
    BuildUserPool pool("purist-build", dir.path() + "/userpool");
    std::vector<BuildUserLock> held = holdEveryUser(pool);
    ASSERT_GE(held.size(), 2u);
    std::atomic<bool> firstDone{false}, secondDone{false};
    std::optional<BuildUserLock> firstLock, secondLock;
    std::thread first([&] {
        firstLock.emplace(pool.acquire());
        firstDone = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300)); // first is waiting now
    held.pop_back();
    std::thread second([&] {
        secondLock.emplace(pool.acquire());
        secondDone = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    EXPECT_TRUE(firstDone) << "the caller that waited first did not get the user";
    EXPECT_FALSE(secondDone) << "the later caller took the user";
    held.pop_back();
    first.join();
    second.join();
    EXPECT_TRUE(firstLock && secondLock);
}

// The queue is machine-wide, so a caller queued behind another waiter (another purist
// process) says it waits at once, not only when its turn in the queue comes.
TEST(BuildUsers, ACallerQueuedBehindAnotherWaiterSaysItWaitsToo) {
    if (!::getgrnam("purist-build")) {
        PURIST_SKIP_OUTSIDE_CI("needs the purist-build group (scripts/create-build-users.sh)");
    }
    TempDir dir("build-users-test-");
    BuildUserPool pool("purist-build", dir.path() + "/userpool");
    std::vector<BuildUserLock> held = holdEveryUser(pool);
    ASSERT_GE(held.size(), 2u);
    std::atomic<int> firstWaited{0}, secondWaited{0};
    std::thread first([&] { BuildUserLock lock = pool.acquire([&] { ++firstWaited; }); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300)); // first holds the queue
    std::thread second([&] { BuildUserLock lock = pool.acquire([&] { ++secondWaited; }); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(firstWaited, 1);
    EXPECT_EQ(secondWaited, 1) << "the caller behind another waiter said nothing";
    held.clear();
    first.join();
    second.join();
}

// With every user held (by other purist processes, say), acquire says so once and waits
// until one is given back.
TEST(BuildUsers, AcquireWaitsForAUserToBeGivenBack) {
    if (!::getgrnam("purist-build")) {
        PURIST_SKIP_OUTSIDE_CI("needs the purist-build group (scripts/create-build-users.sh)");
    }
    TempDir dir("build-users-test-");
    BuildUserPool pool("purist-build", dir.path() + "/userpool");
    std::vector<BuildUserLock> held = holdEveryUser(pool);
    ASSERT_EQ(held.size(), pool.size());
    uid_t released = held.back().user().uid;
    std::atomic<int> waited{0};
    std::atomic<bool> done{false};
    std::thread waiter([&] {
        BuildUserLock lock = pool.acquire([&] { ++waited; });
        EXPECT_EQ(lock.user().uid, released);
        done = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_FALSE(done) << "acquire returned while every user was held";
    EXPECT_EQ(waited, 1) << "acquire did not say it waits";
    held.pop_back(); // gives the user back
    waiter.join();
    EXPECT_EQ(waited, 1);
}

// Issue 9, door 5: the pool's locks lived under each store root, so two purist processes
// with different roots ran builds as the same user at once. Two pools made as purist
// makes them, whatever the store, now hand out each user once.
TEST(BuildUsers, PoolsOfDifferentStoresShareTheMachineWideLocks) {
    if (::geteuid() != 0) PURIST_SKIP_OUTSIDE_CI("the machine-wide lock dir is root's");
    if (!::getgrnam("purist-build")) {
        PURIST_SKIP_OUTSIDE_CI("needs the purist-build group (scripts/create-build-users.sh)");
    }
    BuildUserPool first("purist-build");
    BuildUserPool second("purist-build");
    // Every user, waiting for those other purist processes on this machine (concurrent
    // tests among them) hold: one they gave back mid-test would reach `second`.
    std::vector<BuildUserLock> held;
    for (size_t i = 0; i < first.size(); ++i)
        held.push_back(first.acquire());
    EXPECT_FALSE(second.tryAcquire().has_value())
        << "a second pool handed out a user the first holds";
    uid_t given = held.back().user().uid;
    held.pop_back();
    std::optional<BuildUserLock> lock = second.tryAcquire();
    ASSERT_TRUE(lock.has_value());
    EXPECT_EQ(lock->user().uid, given);
    struct stat info {};
    ASSERT_EQ(::lstat(kMachineWideBuildUserLockDir, &info), 0);
    EXPECT_TRUE(S_ISDIR(info.st_mode));
    EXPECT_EQ(info.st_uid, 0u);
    EXPECT_EQ(info.st_mode & 077, 0u);
}

void expectRefused(const std::string& lockDir, const std::string& reason) {
    SCOPED_TRACE(lockDir);
    try {
        BuildUserPool pool("purist-build", lockDir);
        ADD_FAILURE() << "expected SandboxError for " << lockDir;
    } catch (const SandboxError& e) {
        EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
    }
}

// Whoever can change the lock dir can hand one build's user to another: a link, another
// user's directory or a directory others may write is refused, and nothing is created
// through it.
TEST(BuildUsers, ALockDirOthersCouldChangeIsRefused) {
    if (::geteuid() != 0) PURIST_SKIP_OUTSIDE_CI("chown to another user needs root");
    if (!::getgrnam("purist-build")) {
        PURIST_SKIP_OUTSIDE_CI("needs the purist-build group (scripts/create-build-users.sh)");
    }
    TempDir dir("build-users-test-");
    const std::string& t = dir.path();
    ASSERT_EQ(::mkdir((t + "/real").c_str(), 0755), 0);
    ASSERT_EQ(::symlink((t + "/real").c_str(), (t + "/link").c_str()), 0);
    expectRefused(t + "/link/userpool", "is a symbolic link");
    EXPECT_FALSE(std::filesystem::exists(t + "/real/userpool")) << "created through the link";
    expectRefused(t + "/link", "is a symbolic link");

    ASSERT_EQ(::mkdir((t + "/theirs").c_str(), 0755), 0);
    ASSERT_EQ(::chown((t + "/theirs").c_str(), 65534, 65534), 0);
    expectRefused(t + "/theirs/userpool", "belongs to uid 65534");

    ASSERT_EQ(::mkdir((t + "/open").c_str(), 0755), 0);
    ASSERT_EQ(::chmod((t + "/open").c_str(), 0777), 0);
    expectRefused(t + "/open/userpool", "may be changed by other users (mode 0777)");
    // Sticky, as /tmp: others cannot replace what root made there; the lock dir itself
    // must still be root's alone.
    ASSERT_EQ(::chmod((t + "/open").c_str(), 01777), 0);
    EXPECT_NO_THROW(BuildUserPool("purist-build", t + "/open/userpool"));
    ASSERT_EQ(::chmod((t + "/open/userpool").c_str(), 0770), 0);
    expectRefused(t + "/open/userpool", "may be changed by other users (mode 0770)");
}

} // namespace
} // namespace purist::policy
