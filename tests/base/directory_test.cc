#include "base/directory.h"
#include "base/error.h"
#include "base/file_descriptor.h"
#include "base/temp_dir.h"
#include "tests/support/hostile_trees.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>

namespace purist {
namespace {

std::vector<std::string> sortedNames(const std::vector<DirectoryEntry>& entries) {
    std::vector<std::string> names;
    for (auto& e : entries)
        names.push_back(e.name);
    std::sort(names.begin(), names.end());
    return names;
}

TEST(DirectoryTest, ListsEntriesWithoutDotsAndKeepsTheDescriptor) {
    TempDir dir;
    writeFile(dir.path() + "/file", "x");
    std::filesystem::create_directory(dir.path() + "/sub");
    std::filesystem::create_symlink("file", dir.path() + "/link");
    EXPECT_EQ(sortedNames(listDirectory(dir.path())),
              (std::vector<std::string>{"file", "link", "sub"}));

    FileDescriptor fd = openFile(dir.path(), O_RDONLY | O_DIRECTORY);
    auto first = listDirectory(fd.get(), dir.path());
    auto second = listDirectory(fd.get(), dir.path()); // the same descriptor, read again
    EXPECT_EQ(sortedNames(first), sortedNames(second));
    for (const auto& e : first) {
        if (e.type == DT_UNKNOWN) continue; // some file systems do not say
        unsigned char expected = e.name == "sub" ? DT_DIR : e.name == "link" ? DT_LNK : DT_REG;
        EXPECT_EQ(e.type, expected) << e.name;
    }
}

TEST(DirectoryTest, MissingDirectoryIsASysErrorNamingIt) {
    try {
        listDirectory("/nonexistent/purist-dir");
        FAIL() << "expected SysError";
    } catch (const SysError& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/purist-dir"), std::string::npos);
    }
}

// Down a 40-deep chain holding at most 3 descriptors, and back up through "..": every
// level is the directory it was, and never more than 3 descriptors are open.
TEST(DirectoryPathTest, HoldsBoundedDescriptorsAndReopensAncestorsOnTheWayUp) {
    TempDir dir;
    std::string root = dir.path() + "/chain";
    testing::makeDeepChain(root, 40, 10);
    DirectoryPath walk(openDirectoryAt(AT_FDCWD, root, root), root, 3);
    std::vector<ino_t> inodes = {walk.status().st_ino};
    for (int i = 0; i < 40; ++i) {
        std::vector<DirectoryEntry> entries = listDirectory(walk.fd(), walk.path());
        auto sub = std::find_if(entries.begin(), entries.end(),
                                [](const DirectoryEntry& e) { return e.name != "leaf"; });
        ASSERT_NE(sub, entries.end());
        walk.enter(openDirectoryAt(walk.fd(), sub->name, walk.pathOf(sub->name)), sub->name);
        inodes.push_back(walk.status().st_ino);
        EXPECT_LE(walk.openCount(), 3u);
    }
    EXPECT_EQ(walk.depth(), 40u);
    EXPECT_EQ(walk.path(), root + "/" + testing::deepChainPath(40, 10));
    for (int i = 40; i > 0; --i) {
        walk.leave();
        struct stat st;
        ASSERT_EQ(::fstat(walk.fd(), &st), 0);
        EXPECT_EQ(st.st_ino, inodes[static_cast<size_t>(i - 1)]) << "level " << i - 1;
        EXPECT_LE(walk.openCount(), 3u);
    }
    EXPECT_EQ(walk.path(), root);
}

// An ancestor whose descriptor was closed is reopened through ".."; if the tree was
// rearranged meanwhile, ".." is somewhere else, and the walk stops instead of going there.
TEST(DirectoryPathTest, RefusesToClimbIntoADirectoryThatIsNotTheParentItLeft) {
    TempDir dir;
    std::string root = dir.path() + "/r";
    std::filesystem::create_directories(root + "/a/b/c");
    std::filesystem::create_directories(root + "/elsewhere");
    DirectoryPath walk(openDirectoryAt(AT_FDCWD, root, root), root, 1);
    for (const char* name : {"a", "b", "c"})
        walk.enter(openDirectoryAt(walk.fd(), name, walk.pathOf(name)), name);
    ASSERT_EQ(::rename((root + "/a/b").c_str(), (root + "/elsewhere/b").c_str()), 0);
    walk.leave();                      // c/.. is still b
    EXPECT_THROW(walk.leave(), Error); // b/.. is now "elsewhere", not a
}

TEST(DirectoryTest, OpenParentBeneathNeverFollowsASymlink) {
    TempDir dir, outside;
    std::filesystem::create_directories(dir.path() + "/a/b");
    writeFile(dir.path() + "/a/b/f", "x");
    writeFile(outside.path() + "/f", "outside");
    std::filesystem::create_symlink(outside.path(), dir.path() + "/a/link");
    std::string name;
    FileDescriptor parent = openParentBeneath(dir.path(), "a/b/f", name);
    EXPECT_EQ(name, "f");
    struct stat st;
    EXPECT_EQ(::fstatat(parent.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW), 0);
    EXPECT_THROW(openParentBeneath(dir.path(), "a/link/f", name), SysError);
    EXPECT_THROW(openParentBeneath(dir.path(), "a/../../f", name), Error);
}

TEST(DirectoryTest, LongPathsAreElidedInMessages) {
    EXPECT_EQ(shownPath("/short/path"), "/short/path");
    std::string deep = "/" + testing::deepChainPath(100, 50);
    std::string shown = shownPath(deep);
    EXPECT_LT(shown.size(), 1024u);
    EXPECT_TRUE(shown.starts_with(deep.substr(0, 100)));
    EXPECT_TRUE(shown.ends_with(deep.substr(deep.size() - 100)));
    EXPECT_NE(shown.find("..."), std::string::npos);
}

// Removal of every hostile tree: nothing left, nothing outside touched (the symlinks are
// removed, never followed), with descriptors limited so that one per level would fail.
TEST(RemoveTreeTest, RemovesEveryHostileTreeAndNothingOutsideIt) {
    TempDir dir("purist-test-", testing::scratchParent());
    struct stat etcBefore;
    ASSERT_EQ(::stat("/etc", &etcBefore), 0);
    testing::forEachHostileTree(
        dir.path(), false,
        [](const testing::HostileTree& tree, const std::string& root, const std::string& outside) {
            testing::withDescriptorLimit(48, [&] { removeTree(root); });
            struct stat st;
            EXPECT_EQ(::lstat(root.c_str(), &st), -1);
            tree.make(root, outside);
            testing::withDescriptorLimit(48, [&] { removeContents(root); });
            EXPECT_TRUE(std::filesystem::is_empty(root));
        });
    struct stat etcAfter;
    ASSERT_EQ(::stat("/etc", &etcAfter), 0);
    EXPECT_EQ(etcAfter.st_mode, etcBefore.st_mode);
    EXPECT_EQ(etcAfter.st_mtim.tv_sec, etcBefore.st_mtim.tv_sec);
}

// The quadratic path strings of the recursive removal took hundreds of MiB on this chain.
TEST(RemoveTreeTest, DeepChainTakesMemoryLinearInItsDepth) {
    TempDir dir("purist-test-", testing::scratchParent());
    std::string root = dir.path() + "/chain";
    testing::makeDeepChain(root, 2000, 200);
    bool failed = false;
    long kib = testing::peakKibInChild([&] { removeTree(root); }, failed);
    EXPECT_FALSE(failed);
    EXPECT_FALSE(std::filesystem::exists(root));
    EXPECT_LT(kib, 64 * 1024) << "peak RSS " << kib << " KiB";
}

// Copying every hostile tree (as `store add` copies a source): symlinks stay symlinks
// with their targets, nothing outside is read into the copy or changed, the deep chain is
// copied whole in 48 descriptors.
TEST(CopyTreeTest, CopiesEveryHostileTreeWithoutFollowingItsSymlinks) {
    TempDir dir("purist-test-", testing::scratchParent());
    std::string copy = dir.path() + "/copy";
    testing::forEachHostileTree(
        dir.path(), true,
        [&](const testing::HostileTree& tree, const std::string& root, const std::string&) {
            testing::withDescriptorLimit(48, [&] { copyTree(root, copy); });
            for (const auto& entry : std::filesystem::directory_iterator(root)) {
                std::string name = entry.path().filename().string();
                auto original = std::filesystem::symlink_status(entry.path());
                auto copied = std::filesystem::symlink_status(copy + "/" + name);
                EXPECT_EQ(copied.type(), original.type()) << name;
                if (std::filesystem::is_symlink(original)) {
                    EXPECT_EQ(std::filesystem::read_symlink(copy + "/" + name),
                              std::filesystem::read_symlink(entry.path()));
                }
            }
            if (tree.name.find("deep") == std::string::npos) return;
            std::string name;
            FileDescriptor parent =
                openParentBeneath(copy, testing::deepChainPath(5000, 200) + "/leaf", name);
            FileDescriptor leaf = openFileAt(parent.get(), name, O_RDONLY, 0, name);
            char buffer[16];
            EXPECT_EQ(readSome(leaf.get(), buffer, sizeof buffer, "leaf"), 5u);
        });
}

TEST(CopyTreeTest, RefusesAFifoAndCopiesTheExecuteBit) {
    TempDir dir;
    std::filesystem::create_directories(dir.path() + "/t");
    writeFile(dir.path() + "/t/run", "#!/bin/sh\n", 0700);
    writeFile(dir.path() + "/t/data", "x", 0600);
    copyTree(dir.path() + "/t", dir.path() + "/c");
    struct stat st;
    ASSERT_EQ(::lstat((dir.path() + "/c/run").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0755u);
    ASSERT_EQ(::lstat((dir.path() + "/c/data").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0644u);
    ASSERT_EQ(::mkfifo((dir.path() + "/t/fifo").c_str(), 0644), 0);
    EXPECT_THROW(copyTree(dir.path() + "/t", dir.path() + "/c2"), FormatError);
}

} // namespace
} // namespace purist
