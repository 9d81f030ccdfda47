#include "base/error.h"
#include "base/file_descriptor.h"
#include "base/temp_dir.h"
#include "store/local_store.h"
#include "tests/support/test_support.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sys/stat.h>

namespace purist {
namespace {

namespace fs = std::filesystem;

class LocalStoreTest : public ::testing::Test {
protected:
    TempDir dir_{"purist-store-test-"};
    LocalStore store_{StoreLayout::atRoot(dir_.path() + "/root")};

    /// A build output made in the store's tmp dir, as a build leaves it.
    NewPath makeOutput(const std::string& name, const std::map<std::string, std::string>& files) {
        StorePath path =
            store_.storeDir().makeOutputPath("out", hashString(HashAlgorithm::Sha256, name), name);
        std::string location = store_.layout().tmpDir() + "/" + path.baseName();
        for (const auto& [file, contents] : files)
            testing::makeFile(location + "/" + file, contents);
        return NewPath{path, location, std::nullopt, ""};
    }
};

TEST_F(LocalStoreTest, AddSourceIsIdempotentCanonicalAndReadOnly) {
    testing::makeFile(dir_.path() + "/src/bin/tool", "#!/bin/sh\n", 0775);
    testing::makeFile(dir_.path() + "/src/data", "x", 0666);
    StorePath p = store_.addSource(dir_.path() + "/src");
    EXPECT_EQ(p.name(), "src");
    EXPECT_EQ(store_.addSource(dir_.path() + "/src"), p);
    EXPECT_EQ(p, computeSourcePath(store_.storeDir(), dir_.path() + "/src"));
    ValidPathInfo info = store_.db().queryInfo(p);
    EXPECT_EQ(info.ca, "fixed:r:" + info.narHash.toNixString());
    EXPECT_TRUE(info.references.empty());
    struct stat st;
    ASSERT_EQ(::lstat((store_.realPath(p) + "/bin/tool").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0555u);
    EXPECT_EQ(st.st_mtime, 1);
    ASSERT_EQ(::lstat((store_.realPath(p) + "/data").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0444u);
    EXPECT_TRUE(fs::exists(dir_.path() + "/src/data")) << "the source must be left alone";
    EXPECT_TRUE(store_.verify({p}).empty());
}

TEST_F(LocalStoreTest, RegisterNewPathsFindsReferencesWithTheirSites) {
    testing::makeFile(dir_.path() + "/lib-src/lib.so", "library");
    StorePath lib = store_.addSource(dir_.path() + "/lib-src", "lib");
    std::string libPath = store_.storeDir().print(lib);
    NewPath app = makeOutput("app", {{"bin/app", "#!/bin/sh\nexec " + libPath + "/lib.so\n"},
                                     {"share/doc", "no references here"}});
    std::string appPath = store_.storeDir().print(app.path);
    // A self-reference, as an rpath to one's own lib dir makes.
    testing::makeFile(app.location + "/lib/rpath", appPath + "/lib");

    auto scanned = store_.registerNewPaths({app}, {lib});
    ASSERT_EQ(scanned.size(), 1u);
    EXPECT_EQ(scanned[0].info.references, (StorePathSet{lib, app.path}));
    // Sites point at the hash part, just past "<store dir>/".
    uint64_t hashOffset = store_.storeDir().dir().size() + 1;
    EXPECT_EQ(scanned[0].sites.at(std::string(lib.hashPart())),
              (ReferenceSite{"bin/app", 15 + hashOffset}));
    EXPECT_EQ(scanned[0].sites.at(std::string(app.path.hashPart())),
              (ReferenceSite{"lib/rpath", hashOffset}));
    EXPECT_TRUE(store_.db().isValid(app.path));
    EXPECT_FALSE(fs::exists(app.location)) << "the output was moved into the store";
    EXPECT_TRUE(fs::exists(store_.realPath(app.path) + "/bin/app"));
    EXPECT_EQ(store_.db().queryReferrers(lib), (StorePathSet{app.path}));
    EXPECT_TRUE(store_.verify({}).empty());
}

TEST_F(LocalStoreTest, FailedRegistrationLeavesNothingInTheStore) {
    NewPath ok = makeOutput("ok", {{"file", "fine"}});
    NewPath bad = makeOutput("bad", {{"file", "fine"}});
    ASSERT_EQ(::mkfifo((bad.location + "/fifo").c_str(), 0644), 0); // a store cannot hold it
    EXPECT_THROW(store_.registerNewPaths({ok, bad}, {}), Error);
    EXPECT_FALSE(store_.db().isValid(ok.path));
    EXPECT_FALSE(store_.db().isValid(bad.path));
    EXPECT_FALSE(fs::exists(store_.realPath(ok.path)));
    EXPECT_FALSE(fs::exists(store_.realPath(bad.path)));
}

TEST_F(LocalStoreTest, VerifyReportsTamperingAndMissingPaths) {
    testing::makeFile(dir_.path() + "/a/file", "original");
    testing::makeFile(dir_.path() + "/b/file", "other");
    StorePath a = store_.addSource(dir_.path() + "/a");
    StorePath b = store_.addSource(dir_.path() + "/b");
    std::string file = store_.realPath(a) + "/file";
    ASSERT_EQ(::chmod(file.c_str(), 0644), 0);
    writeFile(file, "tampered, and longer");
    makeTreeWritable(store_.realPath(b));
    removeTree(store_.realPath(b));
    auto problems = store_.verify({});
    ASSERT_EQ(problems.size(), 3u); // a: hash and size differ; b: missing
    std::string all;
    for (const auto& p : problems)
        all += store_.storeDir().print(p.path) + ": " + p.problem + "\n";
    EXPECT_NE(all.find("NAR hash is"), std::string::npos) << all;
    EXPECT_NE(all.find("missing from disk"), std::string::npos) << all;
}

TEST_F(LocalStoreTest, ParsesUserPaths) {
    testing::makeFile(dir_.path() + "/s/x", "x");
    StorePath p = store_.addSource(dir_.path() + "/s");
    std::string full = store_.storeDir().print(p);
    fs::create_symlink(full, dir_.path() + "/result");
    EXPECT_EQ(store_.parseUserPath(full), p);
    EXPECT_EQ(store_.parseUserPath(full + "/x"), p);
    EXPECT_EQ(store_.parseUserPath(dir_.path() + "/result"), p);
    EXPECT_EQ(store_.parseUserPath(p.baseName()), p);
    EXPECT_THROW(store_.parseUserPath("/etc/passwd"), UsageError);
}

TEST(StoreLayoutTest, NixStoreLayout) {
    StoreLayout l = StoreLayout::nixStore("nix:///nix");
    EXPECT_EQ(l.storeDir, "/nix/store");
    EXPECT_EQ(l.realStoreDir, "/nix/store");
    EXPECT_EQ(l.dbPath, "/nix/var/nix/db/db.sqlite");
    EXPECT_EQ(StoreLayout::nixStore("/tmp/chroot/nix").realStoreDir, "/tmp/chroot/nix/store");
    EXPECT_THROW(StoreLayout::nixStore("relative"), UsageError);
}

// An invalid leftover at a path's store location (a crash, or an unsandboxed build user's
// doing) is replaced: read-only directories are emptied through their descriptors, and a
// symlink in it is removed, never followed to what it points at.
TEST_F(LocalStoreTest, RegistrationReplacesALeftoverWithoutFollowingItsLinks) {
    std::string outside = dir_.path() + "/outside";
    testing::makeFile(outside + "/keep", "host file", 0600);
    ASSERT_EQ(::chmod(outside.c_str(), 0700), 0);
    NewPath out = makeOutput("replaced", {{"data", "new"}});
    std::string leftover = store_.realPath(out.path);
    testing::makeFile(leftover + "/sub/old", "old", 0444);
    ASSERT_EQ(::symlink(outside.c_str(), (leftover + "/sub/link").c_str()), 0);
    ASSERT_EQ(::chmod((leftover + "/sub").c_str(), 0555), 0);
    ASSERT_EQ(::chmod(leftover.c_str(), 0555), 0);

    store_.registerNewPaths({out}, {});
    EXPECT_EQ(readFile(leftover + "/data"), "new");
    EXPECT_FALSE(fs::exists(leftover + "/sub"));
    EXPECT_EQ(readFile(outside + "/keep"), "host file");
    struct stat st;
    ASSERT_EQ(::stat(outside.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0700u) << "the link's target must not be touched";
}

} // namespace
} // namespace purist
