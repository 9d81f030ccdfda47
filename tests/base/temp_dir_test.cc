#include "base/error.h"
#include "base/file_descriptor.h"
#include "base/temp_dir.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sys/stat.h>

namespace purist {
namespace {

namespace fs = std::filesystem;

TEST(TempDirTest, RemovesReadOnlyTreesOnDestruction) {
    std::string path;
    {
        TempDir dir("purist-test-");
        path = dir.path();
        fs::create_directories(path + "/a/b");
        writeFile(path + "/a/b/file", "x");
        ASSERT_EQ(::chmod((path + "/a/b").c_str(), 0555), 0);
        ASSERT_EQ(::chmod((path + "/a").c_str(), 0555), 0);
        ASSERT_TRUE(fs::exists(path + "/a/b/file"));
    }
    EXPECT_FALSE(fs::exists(path));
}

TEST(TempDirTest, KeepLeavesTheDirectory) {
    std::string path;
    {
        TempDir dir;
        dir.keep();
        path = dir.path();
    }
    EXPECT_TRUE(fs::is_directory(path));
    removeTree(path);
    EXPECT_FALSE(fs::exists(path));
}

TEST(TempDirTest, RemoveTreeDoesNotFollowSymlinks) {
    TempDir outside, inside;
    writeFile(outside.path() + "/precious", "keep me");
    fs::create_symlink(outside.path(), inside.path() + "/link");
    removeTree(inside.path() + "/link");
    EXPECT_TRUE(fs::exists(outside.path() + "/precious"));
}

TEST(ErrorTest, ConfigErrorNamesFileLineAndColumn) {
    ConfigError e("policy.yaml", 3, 7, "unknown key 'foo'");
    EXPECT_STREQ(e.what(), "policy.yaml:3:7: unknown key 'foo'");
    EXPECT_EQ(e.line(), 3);
    EXPECT_EQ(e.column(), 7);
}

TEST(ErrorTest, SysErrorCarriesErrno) {
    try {
        openFile("/nonexistent/purist/file", 0);
        FAIL() << "expected SysError";
    } catch (const SysError& e) {
        EXPECT_EQ(e.errorNumber(), ENOENT);
        EXPECT_NE(std::string(e.what()).find("/nonexistent/purist/file"), std::string::npos);
    }
}

} // namespace
} // namespace purist
