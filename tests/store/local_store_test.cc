#include "base/error.h"
#include "base/file_descriptor.h"
#include "base/temp_dir.h"
#include "store/local_store.h"
#include "tests/support/test_support.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fcntl.h>
#include <filesystem>
#include <latch>
#include <mutex>
#include <set>
#include <sys/stat.h>
#include <thread>

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

// Registration fails at each of its steps in turn (the fault-injection seam), in a batch of
// a directory and a single file: whatever was moved or sealed before the failure is taken
// out of the store again, and nothing is registered.
TEST_F(LocalStoreTest, RegistrationThatFailsAtAnyStepLeavesNothingInTheStore) {
    using Step = LocalStore::RegistrationStep;
    struct Case {
        const char* name;
        Step step;
        size_t index;
        size_t stepsBefore; ///< steps the registration took before the failing one
    };
    const Case cases[] = {
        {"MoveFirst", Step::Move, 0, 0},  {"SealFirst", Step::Seal, 0, 1},
        {"MoveSecond", Step::Move, 1, 2}, {"SealSecond", Step::Seal, 1, 3},
        {"Commit", Step::Commit, 2, 4},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        TempDir dir;
        LocalStore store(StoreLayout::atRoot(dir.path() + "/root"));
        auto output = [&](const std::string& name, bool directory) {
            StorePath path = store.storeDir().makeOutputPath(
                "out", hashString(HashAlgorithm::Sha256, name), name);
            std::string location = store.layout().tmpDir() + "/" + path.baseName();
            testing::makeFile(directory ? location + "/bin/tool" : location, "contents");
            return NewPath{path, location, std::nullopt, ""};
        };
        std::vector<NewPath> batch = {output("dir", true), output("file", false)};
        std::vector<std::pair<Step, size_t>> taken;
        store.injectRegistrationFault([&](Step step, size_t index) {
            if (step == c.step && index == c.index) throw SysError(EIO, "injected fault");
            taken.emplace_back(step, index);
        });
        EXPECT_THROW(store.registerNewPaths(batch, {}), SysError);
        EXPECT_EQ(taken.size(), c.stepsBefore) << "the fault was injected where the case says";
        for (const NewPath& p : batch) {
            EXPECT_FALSE(store.db().isValid(p.path)) << p.path.baseName();
            EXPECT_FALSE(fs::exists(fs::symlink_status(store.realPath(p.path))))
                << store.realPath(p.path) << " is left in the store";
        }
        EXPECT_TRUE(store.db().queryAllValidPaths().empty());
    }
}

TEST_F(LocalStoreTest, RegistrationTakesItsStepsInOrder) {
    using Step = LocalStore::RegistrationStep;
    NewPath a = makeOutput("a", {{"file", "a"}});
    NewPath b = makeOutput("b", {{"file", "b"}});
    std::vector<std::pair<Step, size_t>> taken;
    store_.injectRegistrationFault(
        [&](Step step, size_t index) { taken.emplace_back(step, index); });
    store_.registerNewPaths({a, b}, {});
    EXPECT_EQ(taken, (std::vector<std::pair<Step, size_t>>{{Step::Move, 0},
                                                           {Step::Seal, 0},
                                                           {Step::Move, 1},
                                                           {Step::Seal, 1},
                                                           {Step::Commit, 2}}));
    EXPECT_TRUE(store_.db().isValid(a.path));
    EXPECT_TRUE(store_.db().isValid(b.path));
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

// Issue 11: a store opened read-only (a Nix store always is) refuses every write before
// it touches a file: nothing is copied, moved into the store dir or registered.
TEST_F(LocalStoreTest, AReadOnlyStoreRefusesWritesBeforeTouchingAnything) {
    testing::makeFile(dir_.path() + "/src/file", "x");
    NewPath output = makeOutput("out", {{"file", "y"}});
    LocalStore readOnly(store_.layout(), Database::Mode::ReadOnly);
    EXPECT_TRUE(readOnly.readOnly());
    auto before = testing::listDir(store_.layout().realStoreDir);
    auto tmpBefore = testing::listDir(store_.layout().tmpDir());
    EXPECT_THROW(readOnly.addSource(dir_.path() + "/src"), StoreError);
    EXPECT_THROW(readOnly.registerNewPaths({output}, {}), StoreError);
    EXPECT_EQ(testing::listDir(store_.layout().realStoreDir), before);
    EXPECT_EQ(testing::listDir(store_.layout().tmpDir()), tmpBefore);
    EXPECT_TRUE(fs::exists(output.location)) << "the output was left where it was";
    EXPECT_FALSE(store_.db().isValid(output.path));

    // A Nix store's layout opens read-only whatever mode is asked, and keeps its tmp dir.
    StoreLayout nix = store_.layout();
    nix.nix = true;
    LocalStore nixStore(nix, Database::Mode::ReadWrite);
    EXPECT_TRUE(nixStore.readOnly());
    EXPECT_THROW(nixStore.addSource(dir_.path() + "/src"), StoreError);
    EXPECT_THROW(nixStore.reclaimScratch(), StoreError);
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

// Defect 4 of issue 10: two adders of one tree both found the path invalid, and each removed
// whatever was at the destination before moving its copy in, so a path another adder had just
// made valid was deleted and replaced (seen shrinking from 1,921 to 200 entries). Small trees
// make the adders of a round reach their validity checks within the time of one registration.
// Once a path is valid, every look at it (each adder's when it returns, and a watcher's
// throughout) must find the same inode and every file.
TEST_F(LocalStoreTest, ConcurrentAddersNeverRemoveOrReplaceAValidPath) {
    constexpr int kAdders = 8, kRounds = 40, kFiles = 3;
    std::vector<std::string> problems;
    for (int round = 0; round < kRounds && problems.empty(); ++round) {
        std::string src = dir_.path() + "/tree" + std::to_string(round);
        for (int i = 0; i < kFiles; ++i)
            testing::makeFile(src + "/f" + std::to_string(i),
                              "round " + std::to_string(round) + " file " + std::to_string(i));
        const StorePath path = computeSourcePath(store_.storeDir(), src);
        const std::string real = store_.realPath(path);

        std::mutex mutex;
        std::set<ino_t> inodes; // of the valid path, as seen by everyone
        auto report = [&](const std::string& problem) {
            std::lock_guard lock(mutex);
            if (problems.size() < 5)
                problems.push_back("round " + std::to_string(round) + ": " + problem);
        };
        auto look = [&] {
            struct stat st {};
            if (::lstat(real.c_str(), &st) == -1) return report("valid but missing from disk");
            {
                std::lock_guard lock(mutex);
                inodes.insert(st.st_ino);
            }
            std::error_code ec;
            int files = 0;
            for (auto it = fs::directory_iterator(real, ec); !ec && it != fs::directory_iterator();
                 it.increment(ec))
                ++files;
            if (ec || files != kFiles)
                report("a valid path held " + std::to_string(files) + " of " +
                       std::to_string(kFiles) + " files" + (ec ? ": " + ec.message() : ""));
        };
        std::atomic<bool> done{false};
        std::latch start(kAdders);
        std::thread watcher([&] {
            StoreDb db(store_.layout().dbPath, store_.storeDir(), Database::Mode::ReadOnly);
            while (!done) {
                if (db.isValid(path)) look();
                std::this_thread::yield();
            }
        });
        std::vector<std::thread> adders;
        for (int a = 0; a < kAdders; ++a)
            adders.emplace_back([&] {
                try {
                    LocalStore store(store_.layout());
                    start.arrive_and_wait();
                    if (store.addSource(src) != path) report("an adder got another path");
                    look();
                } catch (const std::exception& e) {
                    report(std::string("an adder failed: ") + e.what());
                }
            });
        for (std::thread& t : adders)
            t.join();
        done = true;
        watcher.join();
        if (inodes.size() != 1)
            report("the valid path was replaced: " + std::to_string(inodes.size()) + " inodes");
        EXPECT_TRUE(store_.verify({path}).empty());
    }
    EXPECT_TRUE(problems.empty()) << ::testing::PrintToString(problems);
}

// Defect 6 of issue 10: opening a corrupt DB threw from Database's constructor after SQLite
// had opened the file, and a constructor that throws runs no destructor: every attempt kept
// a descriptor (and the connection's memory).
TEST_F(LocalStoreTest, OpeningACorruptDatabaseLeaksNoHandle) {
    std::string root = dir_.path() + "/corrupt";
    testing::makeFile(root + "/db/db.sqlite", std::string(8192, 'x'));
    auto openDescriptors = [] {
        size_t n = 0;
        for (const auto& entry : fs::directory_iterator("/proc/self/fd")) {
            (void)entry;
            ++n;
        }
        return n;
    };
    size_t before = openDescriptors();
    for (int i = 0; i < 20; ++i) {
        EXPECT_THROW(LocalStore(StoreLayout::atRoot(root), Database::Mode::ReadOnly), Error);
        EXPECT_THROW(LocalStore(StoreLayout::atRoot(root)), Error);
    }
    EXPECT_EQ(openDescriptors(), before);
}

TEST(StoreLayoutTest, NixStoreLayout) {
    StoreLayout l = StoreLayout::nixStore("nix:///nix");
    EXPECT_EQ(l.storeDir, "/nix/store");
    EXPECT_EQ(l.realStoreDir, "/nix/store");
    EXPECT_EQ(l.dbPath, "/nix/var/nix/db/db.sqlite");
    EXPECT_TRUE(l.nix);
    EXPECT_THROW(StoreLayout::nixStore("relative"), UsageError);
    EXPECT_THROW(StoreLayout::nixStore("nix://relative"), UsageError);
    EXPECT_THROW(StoreLayout::nixStore("daemon"), UsageError);
    EXPECT_THROW(StoreLayout::nixStore("ssh://host"), UsageError);
    EXPECT_THROW(StoreLayout::nixStore("local?root=/x&state=/y"), UsageError);
    EXPECT_EQ(StoreLayout::nixStore("local").realStoreDir, "/nix/store");

    // Issue 11: Nix's chroot store, DIR holding DIR/nix/store, in Nix's spellings and
    // purist's; a bare DIR is what holds a database, and both at once is ambiguous.
    TempDir dir("nix-layout-");
    const std::string root = dir.path() + "/chroot";
    testing::makeFile(root + "/nix/var/nix/db/db.sqlite", "");
    for (const std::string& spec :
         {root, root + "/", "local?root=" + root, "nix://" + root + "/nix", root + "/nix"}) {
        SCOPED_TRACE(spec);
        StoreLayout chroot = StoreLayout::nixStore(spec);
        EXPECT_EQ(chroot.storeDir, "/nix/store");
        EXPECT_EQ(chroot.realStoreDir, root + "/nix/store");
        EXPECT_EQ(chroot.dbPath, root + "/nix/var/nix/db/db.sqlite");
        EXPECT_EQ(chroot.root, root + "/nix/var/nix");
    }
    EXPECT_THROW(StoreLayout::nixStore(dir.path()), StoreError); // holds no store
    testing::makeFile(root + "/var/nix/db/db.sqlite", "");
    EXPECT_THROW(StoreLayout::nixStore(root), UsageError); // both: ambiguous
    EXPECT_EQ(StoreLayout::nixStore("local?root=" + root).realStoreDir, root + "/nix/store");
    EXPECT_EQ(StoreLayout::nixStore("nix://" + root).realStoreDir, root + "/store");
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
