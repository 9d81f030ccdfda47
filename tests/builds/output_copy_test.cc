// copyOutputTree: a copy of an output tree as new inodes, following nothing, in bounded
// descriptors however deep the tree.

#include "builds/output_copy.h"

#include "base/error.h"
#include "base/file_descriptor.h"
#include "base/temp_dir.h"
#include "tests/support/test_support.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace purist::builds {
namespace {

struct stat statOf(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == -1) throw SysError("lstat " + path);
    return st;
}

class OutputCopyTest : public ::testing::Test {
protected:
    TempDir dir_{"output-copy-"};
    std::string from() const { return dir_.path() + "/from"; }
    std::string to() const { return dir_.path() + "/to"; }
};

TEST_F(OutputCopyTest, CopiesFilesDirectoriesAndSymlinksAsNewInodes) {
    testing::makeFile(from() + "/bin/tool", "#!/bin/sh\n", 0755);
    testing::makeFile(from() + "/share/data", std::string(3 << 20, 'x'), 0644);
    testing::makeFile(from() + "/empty", "", 0644);
    ASSERT_EQ(::symlink("/etc/passwd", (from() + "/share/host").c_str()), 0);
    ASSERT_EQ(::symlink("..", (from() + "/bin/up").c_str()), 0);
    copyOutputTree(from(), to());

    EXPECT_EQ(readFile(to() + "/bin/tool"), "#!/bin/sh\n");
    EXPECT_TRUE(statOf(to() + "/bin/tool").st_mode & S_IXUSR);
    EXPECT_FALSE(statOf(to() + "/share/data").st_mode & S_IXUSR);
    EXPECT_EQ(readFile(to() + "/share/data"), std::string(3 << 20, 'x'));
    EXPECT_EQ(readFile(to() + "/empty"), "");
    // Links are copied as links, never followed.
    EXPECT_TRUE(S_ISLNK(statOf(to() + "/share/host").st_mode));
    char target[64] = {};
    ASSERT_GT(::readlink((to() + "/share/host").c_str(), target, sizeof target - 1), 0);
    EXPECT_STREQ(target, "/etc/passwd");
    EXPECT_TRUE(S_ISLNK(statOf(to() + "/bin/up").st_mode));
    // New inodes: a descriptor of the original cannot change the copy.
    EXPECT_NE(statOf(to() + "/share/data").st_ino, statOf(from() + "/share/data").st_ino);
    FileDescriptor old = openFile(from() + "/bin/tool", O_WRONLY);
    writeAll(old.get(), "changed", "the original");
    EXPECT_EQ(readFile(to() + "/bin/tool"), "#!/bin/sh\n");
}

TEST_F(OutputCopyTest, AnOutputThatIsAFileOrASymlinkIsCopiedAsOne) {
    testing::makeFile(from(), "flat", 0644);
    copyOutputTree(from(), to());
    EXPECT_EQ(readFile(to()), "flat");
    ASSERT_EQ(::symlink("/etc", (dir_.path() + "/link").c_str()), 0);
    copyOutputTree(dir_.path() + "/link", dir_.path() + "/link-copy");
    EXPECT_TRUE(S_ISLNK(statOf(dir_.path() + "/link-copy").st_mode));
}

TEST_F(OutputCopyTest, RefusesWhatAStorePathCannotHold) {
    testing::makeFile(from() + "/ok", "x");
    ASSERT_EQ(::mkfifo((from() + "/pipe").c_str(), 0644), 0);
    try {
        copyOutputTree(from(), to());
        FAIL() << "a FIFO was copied";
    } catch (const FormatError& e) {
        EXPECT_NE(std::string(e.what()).find(from() + "/pipe' is a FIFO"), std::string::npos)
            << e.what();
    }
}

// 300 levels of 200-byte names: a path of 60 KB, far beyond PATH_MAX, copied with 32
// descriptors allowed (kept small: each level costs a few system calls on both sides).
TEST_F(OutputCopyTest, DeepTreeNeedsNeitherLongPathsNorManyDescriptors) {
    const std::string name(200, 'd');
    ASSERT_EQ(::mkdir(from().c_str(), 0755), 0);
    {
        FileDescriptor at = openFile(from(), O_RDONLY | O_DIRECTORY);
        for (int i = 0; i < 300; ++i) {
            ASSERT_EQ(::mkdirat(at.get(), name.c_str(), 0755), 0);
            at = openFileAt(at.get(), name, O_RDONLY | O_DIRECTORY, 0, name);
        }
        FileDescriptor leaf = openFileAt(at.get(), "leaf", O_WRONLY | O_CREAT, 0644, "leaf");
        writeAll(leaf.get(), "bottom", "leaf");
    }
    rlimit saved{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
    rlimit few{32, saved.rlim_max};
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &few), 0);
    EXPECT_NO_THROW(copyOutputTree(from(), to()));
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);

    FileDescriptor at = openFile(to(), O_RDONLY | O_DIRECTORY);
    for (int i = 0; i < 300; ++i)
        at = openFileAt(at.get(), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, name);
    FileDescriptor leaf = openFileAt(at.get(), "leaf", O_RDONLY, 0, "leaf");
    char buffer[16] = {};
    EXPECT_EQ(readSome(leaf.get(), buffer, sizeof buffer, "leaf"), 6u);
    EXPECT_STREQ(buffer, "bottom");
}

} // namespace
} // namespace purist::builds
