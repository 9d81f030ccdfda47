#include "base/error.h"
#include "base/temp_dir.h"
#include "store/gc_roots.h"
#include "tests/support/test_support.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace purist {
namespace {

namespace fs = std::filesystem;

TEST(GcRootsTest, FindsEveryKindOfRoot) {
    TempDir dir;
    std::string roots = dir.path() + "/gcroots", real = dir.path() + "/store";
    StoreDir storeDir("/nix/store");
    const std::string a = "00000000000000000000000000000000-a";
    const std::string b = "11111111111111111111111111111111-b";
    const std::string c = "22222222222222222222222222222222-c";
    const std::string d = "33333333333333333333333333333333-d";
    fs::create_directories(roots + "/per-user/alice");
    fs::create_directories(roots + "/auto");
    testing::makeFile(roots + "/" + a, "");                                        // named file
    fs::create_symlink("/nix/store/" + b + "/bin/x", roots + "/per-user/alice/b"); // into a path
    fs::create_symlink(dir.path() + "/result", roots + "/auto/xyz");               // indirect
    fs::create_symlink(real + "/" + c, dir.path() + "/result");      // the link it names
    fs::create_symlink(dir.path() + "/gone", roots + "/auto/stale"); // its link was deleted
    fs::create_symlink("/nix/store/" + d, roots + "/per-user/alice/d");
    testing::makeFile(roots + "/not-a-store-path", "");

    GcRootScan scan = findGcRoots(roots, storeDir, real);
    std::map<std::string, std::string> found;
    for (const GcRoot& r : scan.roots)
        found[r.path.baseName()] = r.location;
    EXPECT_EQ(found.size(), 4u);
    EXPECT_EQ(found[a], roots + "/" + a);
    EXPECT_EQ(found[b], roots + "/per-user/alice/b");
    EXPECT_EQ(found[c], dir.path() + "/result");
    EXPECT_EQ(found[d], roots + "/per-user/alice/d");
    std::sort(scan.stale.begin(), scan.stale.end());
    EXPECT_EQ(scan.stale,
              (std::vector<std::string>{roots + "/auto/stale", roots + "/not-a-store-path"}));
}

TEST(GcRootsTest, MissingDirectoryHasNoRoots) {
    GcRootScan scan = findGcRoots("/nonexistent/gcroots", StoreDir("/nix/store"), "/nix/store");
    EXPECT_TRUE(scan.roots.empty());
    EXPECT_TRUE(scan.stale.empty());
}

TEST(GcRootsTest, AResultLinkIsAnIndirectRootThatDiesWithTheLink) {
    TempDir dir;
    std::string roots = dir.path() + "/gcroots", real = dir.path() + "/store";
    const std::string a = "00000000000000000000000000000000-a";
    const std::string b = "11111111111111111111111111111111-b";
    fs::create_directories(roots);
    fs::create_directories(real + "/" + a);
    fs::create_directories(real + "/" + b);
    std::string link = dir.path() + "/result";

    addResultLink(roots, real + "/" + a, link);
    EXPECT_EQ(fs::read_symlink(link), real + "/" + a);
    GcRootScan scan = findGcRoots(roots, StoreDir("/nix/store"), real);
    ASSERT_EQ(scan.roots.size(), 1u);
    EXPECT_EQ(scan.roots[0].location, link);
    EXPECT_EQ(scan.roots[0].path.baseName(), a);

    // A second build replaces the link and keeps one root, which now keeps `b` alive.
    addResultLink(roots, real + "/" + b, link);
    scan = findGcRoots(roots, StoreDir("/nix/store"), real);
    ASSERT_EQ(scan.roots.size(), 1u);
    EXPECT_EQ(scan.roots[0].path.baseName(), b);
    EXPECT_EQ(std::distance(fs::directory_iterator(roots + "/auto"), fs::directory_iterator()), 1);

    fs::remove(link);
    scan = findGcRoots(roots, StoreDir("/nix/store"), real);
    EXPECT_TRUE(scan.roots.empty());
    EXPECT_EQ(scan.stale.size(), 1u);
}

TEST(GcRootsTest, AResultLinkNeverReplacesWhatIsNotASymlink) {
    TempDir dir;
    std::string link = dir.path() + "/result";
    testing::makeFile(link, "mine");
    EXPECT_THROW(addResultLink(dir.path() + "/gcroots", "/nix/store/x", link), UsageError);
    EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(link)));
    EXPECT_EQ(fs::file_size(link), 4u);
    EXPECT_FALSE(fs::exists(dir.path() + "/gcroots"));
}

} // namespace
} // namespace purist
