#include "base/error.h"
#include "base/temp_dir.h"
#include "store/canonicalise.h"
#include "tests/support/test_support.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sys/stat.h>
#include <sys/xattr.h>

namespace purist {
namespace {

namespace fs = std::filesystem;

struct stat lstatOf(const std::string& path) {
    struct stat st;
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
    return st;
}

TEST(CanonicaliseTest, SetsModesAndMtimesAndDropsSpecialBits) {
    TempDir dir;
    std::string t = dir.path() + "/t";
    testing::makeFile(t + "/plain", "x", 0666);
    testing::makeFile(t + "/exe", "x", 0777);
    testing::makeFile(t + "/setuid", "x", 0755);
    ASSERT_EQ(::chmod((t + "/setuid").c_str(), 06755), 0);
    fs::create_directories(t + "/d");
    ASSERT_EQ(::chmod((t + "/d").c_str(), 01777), 0);
    fs::create_symlink("plain", t + "/link");

    canonicalisePath(t);

    EXPECT_EQ(lstatOf(t + "/plain").st_mode & 07777, 0444u);
    EXPECT_EQ(lstatOf(t + "/exe").st_mode & 07777, 0555u);
    EXPECT_EQ(lstatOf(t + "/setuid").st_mode & 07777, 0555u);
    EXPECT_EQ(lstatOf(t + "/d").st_mode & 07777, 0555u);
    EXPECT_EQ(lstatOf(t).st_mode & 07777, 0555u);
    for (const char* p : {"", "/plain", "/exe", "/d", "/link"})
        EXPECT_EQ(lstatOf(t + p).st_mtime, 1) << p;
    EXPECT_TRUE(S_ISLNK(lstatOf(t + "/link").st_mode));
}

TEST(CanonicaliseTest, RemovesExtendedAttributes) {
    TempDir dir;
    std::string f = dir.path() + "/f";
    testing::makeFile(f, "x");
    if (::setxattr(f.c_str(), "user.purist-test", "v", 1, 0) == -1) {
        PURIST_SKIP_OUTSIDE_CI("this file system refuses user extended attributes");
    }
    canonicalisePath(f);
    EXPECT_EQ(::getxattr(f.c_str(), "user.purist-test", nullptr, 0), -1);
}

TEST(CanonicaliseTest, RefusesSpecialFiles) {
    TempDir dir;
    ASSERT_EQ(::mkfifo((dir.path() + "/fifo").c_str(), 0644), 0);
    EXPECT_THROW(canonicalisePath(dir.path() + "/fifo"), Error);
}

TEST(CanonicaliseTest, MakeTreeWritableLetsATreeBeRemoved) {
    TempDir dir;
    testing::makeFile(dir.path() + "/t/a/b", "x");
    canonicalisePath(dir.path() + "/t");
    makeTreeWritable(dir.path() + "/t");
    EXPECT_EQ(lstatOf(dir.path() + "/t/a").st_mode & 0777, 0755u);
    fs::remove_all(dir.path() + "/t");
    EXPECT_FALSE(fs::exists(dir.path() + "/t"));
}

} // namespace
} // namespace purist
