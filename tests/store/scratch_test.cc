// Scratch space under a store's tmp/: a dead process's is reclaimed, a live one's is not.

#include "base/error.h"
#include "base/temp_dir.h"
#include "store/local_store.h"
#include "store/scratch.h"
#include "tests/support/test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <sys/wait.h>
#include <unistd.h>

namespace purist {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> entries(const std::string& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir))
        names.push_back(entry.path().filename().string());
    return names;
}

// A child that makes a scratch directory with a read-only file in it (as a canonicalised
// copy is), says where, and waits to be killed.
struct ScratchOwner {
    pid_t pid = -1;
    std::string path;

    explicit ScratchOwner(const std::string& tmpDir) {
        int ready[2];
        EXPECT_EQ(::pipe(ready), 0);
        pid = ::fork();
        if (pid == 0) {
            ::close(ready[0]);
            try {
                ScratchDir scratch(tmpDir, "add");
                testing::makeFile(scratch.path() + "/copy/file", "data", 0444);
                fs::permissions(scratch.path() + "/copy", fs::perms(0555));
                std::string line = scratch.path() + "\n";
                if (::write(ready[1], line.data(), line.size()) < 0) _exit(2);
                ::pause();
            } catch (...) {
            }
            _exit(1);
        }
        ::close(ready[1]);
        char buffer[4096];
        ssize_t n;
        while ((n = ::read(ready[0], buffer, sizeof buffer)) > 0)
            if (path.append(buffer, static_cast<size_t>(n)).back() == '\n') break;
        ::close(ready[0]);
        if (!path.empty()) path.pop_back();
    }
    void kill() {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        pid = -1;
    }
    ~ScratchOwner() {
        if (pid > 0) kill();
    }
};

TEST(ScratchTest, ADeadProcessesScratchIsReclaimedAndALiveOnesIsNot) {
    TempDir dir("purist-scratch-test-");
    ScratchOwner live(dir.path()), dead(dir.path());
    ASSERT_FALSE(live.path.empty());
    ASSERT_FALSE(dead.path.empty());
    EXPECT_NE(live.path.find("/scratch-add-" + std::to_string(live.pid) + "-"), std::string::npos)
        << live.path;
    dead.kill();
    testing::makeFile(dir.path() + "/output-locks", "");
    ScratchReclaim first = reclaimDeadScratch(dir.path());
    EXPECT_EQ(first.removed, 1u);
    EXPECT_EQ(first.live, 1u);
    EXPECT_FALSE(fs::exists(dead.path));
    EXPECT_TRUE(fs::exists(live.path + "/copy/file")) << "a live process's scratch was touched";
    EXPECT_TRUE(fs::exists(dir.path() + "/output-locks")) << "only scratch directories go";

    // The next process to open the store read-write reclaims it too.
    live.kill();
    std::string root = dir.path() + "/root";
    fs::create_directories(root + "/tmp");
    ScratchOwner killed(root + "/tmp");
    killed.kill();
    ASSERT_TRUE(fs::exists(killed.path));
    LocalStore store(StoreLayout::atRoot(root));
    EXPECT_FALSE(fs::exists(killed.path));
}

TEST(ScratchTest, OwnScratchIsRemovedOnDestructionAndAKeptOneSurvivesReclaim) {
    TempDir dir("purist-scratch-test-");
    std::string kept;
    {
        ScratchDir gone(dir.path(), "build");
        ScratchDir keep(dir.path(), "build");
        testing::makeFile(keep.path() + "/log", "why it failed");
        keep.keep();
        kept = keep.path();
        EXPECT_NE(kept.find("/kept-build-"), std::string::npos) << kept;
        EXPECT_EQ(reclaimDeadScratch(dir.path()).live, 1u) << "its own scratch is live";
    }
    EXPECT_EQ(reclaimDeadScratch(dir.path()).removed, 0u);
    EXPECT_EQ(entries(dir.path()), std::vector<std::string>{fs::path(kept).filename().string()});
}

// Issue 10: purist before 563cc97 named its scratch add-XXXXXX and build-XXXXXX and locked
// neither, so whether their owner still runs cannot be known, and an old --keep-failed kept
// a build-XXXXXX on purpose. They are listed, never removed; names that only look alike
// (another length, a file) are neither.
TEST(ScratchTest, AnOlderPuristsScratchIsListedAndLeftAlone) {
    TempDir dir("purist-scratch-test-");
    testing::makeFile(dir.path() + "/add-Ab3xYz/copy/file", "data", 0444);
    testing::makeFile(dir.path() + "/build-q1W2e3/build/log", "why it failed");
    fs::create_directories(dir.path() + "/build-toolong1");
    fs::create_directories(dir.path() + "/add-ab_cd1");
    testing::makeFile(dir.path() + "/add-qwerty", "a file");
    ScratchReclaim reclaim = reclaimDeadScratch(dir.path());
    std::sort(reclaim.legacy.begin(), reclaim.legacy.end());
    EXPECT_EQ(reclaim.legacy,
              (std::vector<std::string>{dir.path() + "/add-Ab3xYz", dir.path() + "/build-q1W2e3"}));
    EXPECT_EQ(reclaim.removed, 0u);
    EXPECT_TRUE(fs::exists(dir.path() + "/add-Ab3xYz/copy/file"));
    EXPECT_TRUE(fs::exists(dir.path() + "/build-q1W2e3/build/log"));
    EXPECT_EQ(entries(dir.path()).size(), 5u);
}

} // namespace
} // namespace purist
