// Tests for builds/build_dirs.cc: a build gets empty private directories with the modes it
// needs, a finished build's are reused emptied, and strict builds share one sandbox root.

#include "builds/build_dirs.h"

#include "base/temp_dir.h"
#include "tests/support/test_support.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sys/stat.h>

namespace purist::builds {
namespace {

unsigned modeOf(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
}

bool isEmptyDirectory(const std::string& path) {
    return std::filesystem::is_directory(path) && std::filesystem::is_empty(path);
}

class BuildDirPoolTest : public ::testing::Test {
protected:
    TempDir dir_{"build-dirs-test-"};
    BuildDirPool pool_{dir_.path()};
};

TEST_F(BuildDirPoolTest, ANewBuildGetsEmptyDirectoriesWithTheirModes) {
    std::unique_ptr<BuildDirs> dirs = pool_.take(true);
    EXPECT_EQ(std::filesystem::path(dirs->top.path()).parent_path(), dir_.path());
    EXPECT_EQ(modeOf(dirs->top.path()), 0700u);
    EXPECT_EQ(modeOf(dirs->build()), 0700u);
    EXPECT_EQ(modeOf(dirs->out()), 0755u);
    EXPECT_EQ(modeOf(dirs->sealed()), 0700u);
    for (const std::string& dir : {dirs->build(), dirs->out(), dirs->sealed()})
        EXPECT_TRUE(isEmptyDirectory(dir)) << dir;
}

TEST_F(BuildDirPoolTest, AnUnsandboxedBuildsBuildUserMayPassThroughTheTopButNotListIt) {
    EXPECT_EQ(modeOf(pool_.take(false)->top.path()), 0711u);
}

TEST_F(BuildDirPoolTest, AFinishedBuildsDirectoriesAreReusedEmptied) {
    std::unique_ptr<BuildDirs> first = pool_.take(false);
    std::string top = first->top.path();
    testing::makeFile(first->build() + "/deep/file", "left by the builder");
    testing::makeFile(first->out() + "/output", "an output");
    testing::makeFile(first->sealed() + "/sealed", "a sealed copy");
    pool_.giveBack(std::move(first));

    std::unique_ptr<BuildDirs> second = pool_.take(true);
    EXPECT_EQ(second->top.path(), top);
    EXPECT_EQ(modeOf(top), 0700u) << "the mode is the new build's";
    for (const std::string& dir : {second->build(), second->out(), second->sealed()})
        EXPECT_TRUE(isEmptyDirectory(dir)) << dir;
    std::unique_ptr<BuildDirs> third = pool_.take(true);
    EXPECT_NE(third->top.path(), top) << "one build's directories at a time";
    pool_.giveBack(nullptr); // kept for --keep-failed: nothing to take back
}

TEST_F(BuildDirPoolTest, DirectoriesThatCannotBeEmptiedAreNotReused) {
    std::unique_ptr<BuildDirs> first = pool_.take(true);
    std::string top = first->top.path();
    // `build` gone: emptying it fails, and the directories are removed instead.
    std::filesystem::remove(first->build());
    pool_.giveBack(std::move(first));
    EXPECT_FALSE(std::filesystem::exists(top));
    EXPECT_NE(pool_.take(true)->top.path(), top);
}

TEST_F(BuildDirPoolTest, StrictBuildsShareOneSandboxRoot) {
    const std::string& root = pool_.sandboxRoot();
    EXPECT_EQ(root, dir_.path() + "/sandbox-root");
    EXPECT_TRUE(isEmptyDirectory(root));
    EXPECT_EQ(modeOf(root), 0755u);
    EXPECT_EQ(&pool_.sandboxRoot(), &root);
    // Another run (another process) finds it there.
    BuildDirPool next(dir_.path());
    EXPECT_EQ(next.sandboxRoot(), root);
}

} // namespace
} // namespace purist::builds
