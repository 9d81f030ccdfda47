// Tests for builds/output_locks.cc: a build's output locks are tried in base-name order, the
// first one held elsewhere stops the trying, and wait() takes them all once it is let go.

#include "builds/output_locks.h"

#include "base/error.h"
#include "base/temp_dir.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <optional>
#include <string>

namespace purist::builds {
namespace {

StorePath pathNamed(char hashLetter, const std::string& name) {
    return StorePath::fromBaseName(std::string(32, hashLetter) + "-" + name);
}

class OutputLocksTest : public ::testing::Test {
protected:
    // Whether another holder could take the lock of `path` now (through its own open file
    // description, as another purist process would); it lets go at once.
    bool freeElsewhere(const StorePath& path) {
        FileDescriptor other = openPathLockFile(dir_.path());
        PathLock lock(other.get(), path.baseName());
        return lock.tryLock();
    }

    TempDir dir_{"output-locks-test-"};
    OutputLockFile file_{dir_.path()};
    StorePath a_ = pathNamed('a', "x"), b_ = pathNamed('b', "x"), c_ = pathNamed('c', "x");
};

TEST_F(OutputLocksTest, FreeLocksAreAllHeldUntilTheLocksGo) {
    {
        OutputLocks locks(file_.descriptor(), {c_, a_, b_});
        EXPECT_FALSE(locks.mustWait());
        EXPECT_FALSE(freeElsewhere(a_));
        EXPECT_FALSE(freeElsewhere(b_));
        EXPECT_FALSE(freeElsewhere(c_));
    }
    EXPECT_TRUE(freeElsewhere(a_));
    EXPECT_TRUE(freeElsewhere(b_));
    EXPECT_TRUE(freeElsewhere(c_));
}

// Listed c, a, b with b held elsewhere: a is taken (it comes first by base name), b is found
// held, and c is not tried, so a process holding c and waiting for a cannot deadlock with us.
TEST_F(OutputLocksTest, TriesInBaseNameOrderAndStopsAtTheFirstHeldElsewhere) {
    FileDescriptor other = openPathLockFile(dir_.path());
    PathLock held(other.get(), b_.baseName());
    ASSERT_TRUE(held.tryLock());

    OutputLocks locks(file_.descriptor(), {c_, a_, b_});
    EXPECT_TRUE(locks.mustWait());
    EXPECT_FALSE(freeElsewhere(a_)) << "a comes before b: taken";
    EXPECT_TRUE(freeElsewhere(c_)) << "c comes after b: not tried";
}

TEST_F(OutputLocksTest, WaitTakesEveryLockOnceItsHolderLetsGo) {
    FileDescriptor other = openPathLockFile(dir_.path());
    std::optional<PathLock> held;
    held.emplace(other.get(), b_.baseName());
    ASSERT_TRUE(held->tryLock());

    OutputLocks locks(file_.descriptor(), {b_, c_});
    ASSERT_TRUE(locks.mustWait());
    std::future<void> waiting = std::async(std::launch::async, [&locks] { locks.wait(); });
    EXPECT_EQ(waiting.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout)
        << "b is still held elsewhere";
    held.reset();
    waiting.get();
    EXPECT_FALSE(freeElsewhere(b_));
    EXPECT_FALSE(freeElsewhere(c_));
}

TEST_F(OutputLocksTest, TheLockFileIsOpenedOnceOnFirstUse) {
    OutputLockFile file(dir_.path() + "/missing");
    EXPECT_THROW(file.descriptor(), SysError) << "nothing is opened before the first use";
    int fd = file_.descriptor();
    EXPECT_EQ(file_.descriptor(), fd);
}

} // namespace
} // namespace purist::builds
