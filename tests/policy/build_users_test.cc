#include "policy/build_users.h"

#include "base/error.h"
#include "base/temp_dir.h"
#include "tests/support/test_support.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <grp.h>
#include <optional>
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

} // namespace
} // namespace purist::policy
