#include "base/directory.h"
#include "base/error.h"
#include "base/file_descriptor.h"
#include "base/temp_dir.h"
#include "store/canonicalise.h"
#include "tests/support/hostile_trees.h"
#include "tests/support/test_support.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

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

// Every hostile tree is canonicalised without changing anything its symlinks point at,
// with descriptors limited so that one per level would fail.
TEST(CanonicaliseTest, CanonicalisesEveryHostileTreeAndNothingOutsideIt) {
    TempDir dir("purist-test-", testing::scratchParent());
    struct stat etc = lstatOf("/etc"), passwd = lstatOf("/etc/passwd");
    testing::forEachHostileTree(
        dir.path(), false,
        [](const testing::HostileTree&, const std::string& root, const std::string&) {
            testing::withDescriptorLimit(48, [&] { canonicalisePath(root); });
            EXPECT_EQ(lstatOf(root).st_mode & 07777, 0555u);
            EXPECT_EQ(lstatOf(root).st_mtime, 1);
        });
    EXPECT_EQ(lstatOf("/etc").st_mode, etc.st_mode);
    EXPECT_EQ(lstatOf("/etc").st_mtim.tv_sec, etc.st_mtim.tv_sec);
    EXPECT_EQ(lstatOf("/etc/passwd").st_mode, passwd.st_mode);
    EXPECT_EQ(lstatOf("/etc/passwd").st_mtim.tv_sec, passwd.st_mtim.tv_sec);
}

TEST(CanonicaliseTest, ReachesTheBottomOfADeepChain) {
    TempDir dir("purist-test-", testing::scratchParent());
    std::string root = dir.path() + "/chain";
    testing::makeDeepChain(root, 3000, 200);
    bool failed = false;
    long kib = testing::peakKibInChild([&] { canonicalisePath(root); }, failed);
    ASSERT_FALSE(failed);
    EXPECT_LT(kib, testing::memoryBoundKib(64 * 1024)) << "peak RSS " << kib << " KiB";
    std::string name;
    FileDescriptor parent =
        openParentBeneath(root, testing::deepChainPath(3000, 200) + "/leaf", name);
    struct stat st;
    ASSERT_EQ(::fstatat(parent.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW), 0);
    EXPECT_EQ(st.st_mode & 07777, 0444u);
    EXPECT_EQ(st.st_mtime, 1);
    ASSERT_EQ(::fstat(parent.get(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0555u);
    removeTree(root);
}

// Issue 9, door 6: a builder hard-links a file it may write, but does not own, into its
// output. Canonicalising the output must leave that inode exactly as it was; the output
// gets a copy.
TEST(CanonicaliseTest, CopiesAFileWithOtherLinksInsteadOfChangingIt) {
    TempDir dir;
    std::string host = dir.path() + "/host-file";
    testing::makeFile(host, "host contents\n", 0666);
    ASSERT_EQ(::chmod(host.c_str(), 0666), 0);
    struct timespec old[2] = {{1000000, 0}, {1000000, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, host.c_str(), old, 0), 0);
    std::string out = dir.path() + "/out";
    fs::create_directories(out + "/sub");
    ASSERT_EQ(::link(host.c_str(), (out + "/sub/data").c_str()), 0);
    std::string rootLink = dir.path() + "/out-file";
    ASSERT_EQ(::link(host.c_str(), rootLink.c_str()), 0);
    // A hard-linked symlink: lchown and utimensat would reach the other link's inode too.
    std::string hostLink = dir.path() + "/host-link";
    fs::create_symlink("somewhere", hostLink);
    ASSERT_EQ(::utimensat(AT_FDCWD, hostLink.c_str(), old, AT_SYMLINK_NOFOLLOW), 0);
    ASSERT_EQ(::linkat(AT_FDCWD, hostLink.c_str(), AT_FDCWD, (out + "/link").c_str(), 0), 0);
    struct stat hostBefore = lstatOf(host), linkBefore = lstatOf(hostLink);

    canonicalisePath(out);
    canonicalisePath(rootLink);

    struct stat hostAfter = lstatOf(host);
    EXPECT_EQ(hostAfter.st_mode & 07777, 0666u);
    EXPECT_EQ(hostAfter.st_mtim.tv_sec, 1000000);
    EXPECT_EQ(hostAfter.st_uid, hostBefore.st_uid);
    EXPECT_EQ(hostAfter.st_nlink, 1u) << "both copies replaced their link";
    EXPECT_EQ(readFile(host), "host contents\n");
    for (const std::string& copy : {out + "/sub/data", rootLink}) {
        struct stat st = lstatOf(copy);
        EXPECT_NE(st.st_ino, hostBefore.st_ino) << copy;
        EXPECT_EQ(st.st_mode & 07777, 0444u) << copy;
        EXPECT_EQ(st.st_mtime, 1) << copy;
        EXPECT_EQ(st.st_nlink, 1u) << copy;
        EXPECT_EQ(readFile(copy), "host contents\n") << copy;
    }
    struct stat linkAfter = lstatOf(hostLink), copiedLink = lstatOf(out + "/link");
    EXPECT_EQ(linkAfter.st_mtim.tv_sec, linkBefore.st_mtim.tv_sec);
    EXPECT_NE(copiedLink.st_ino, linkBefore.st_ino);
    EXPECT_EQ(copiedLink.st_mtime, 1);
    EXPECT_EQ(fs::read_symlink(out + "/link"), "somewhere");
    // The copies leave no scratch name behind.
    EXPECT_EQ(std::distance(fs::directory_iterator(out), fs::directory_iterator()), 2);
    EXPECT_EQ(std::distance(fs::directory_iterator(out + "/sub"), fs::directory_iterator()), 1);
}

// As root, a file the build user did not write (here: owned by another uid) is copied
// even with a single link, and what purist registers is owned by the owner it names.
TEST(CanonicaliseTest, CopiesAFileTheWriterDoesNotOwn) {
    if (::geteuid() != 0) {
        PURIST_SKIP_OUTSIDE_CI("chown to other users needs root");
        return;
    }
    TempDir dir;
    std::string out = dir.path() + "/out";
    testing::makeFile(out + "/mine", "mine", 0644);
    testing::makeFile(out + "/theirs", "theirs", 0644);
    ASSERT_EQ(::lchown((out + "/mine").c_str(), 4343, 4343), 0);
    ASSERT_EQ(::lchown((out + "/theirs").c_str(), 4242, 4242), 0);
    ASSERT_EQ(::lchown(out.c_str(), 4343, 4343), 0);
    ino_t mine = lstatOf(out + "/mine").st_ino, theirs = lstatOf(out + "/theirs").st_ino;
    CanonicaliseOptions options;
    options.owner = 0;
    options.group = 0;
    options.writer = 4343;
    canonicalisePath(out, options);
    EXPECT_EQ(lstatOf(out + "/mine").st_ino, mine);
    EXPECT_NE(lstatOf(out + "/theirs").st_ino, theirs);
    for (const char* name : {"", "/mine", "/theirs"}) {
        EXPECT_EQ(lstatOf(out + name).st_uid, 0u) << name;
        EXPECT_EQ(lstatOf(out + name).st_gid, 0u) << name;
    }
    EXPECT_EQ(readFile(out + "/theirs"), "theirs");
}

} // namespace
} // namespace purist
