// The garbage collector in-process: every kind of root, the lock protocol against a process
// adding temp roots, batches and --max-freed, refusals, and kill -9 at random points.

#include "base/error.h"
#include "base/file_descriptor.h"
#include "base/temp_dir.h"
#include "store/disk_space.h"
#include "store/gc.h"
#include "store/gc_roots.h"
#include "store/gc_temp_roots.h"
#include "store/path_lock.h"
#include "tests/support/test_support.h"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <random>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace purist {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A child process that runs `body` and then waits to be killed; the parent learns through
// a pipe that `body` is done.
class Child {
public:
    template <typename F> explicit Child(F body) {
        int fds[2];
        if (::pipe(fds) == -1) throw SysError("pipe");
        pid_ = ::fork();
        if (pid_ == -1) throw SysError("fork");
        if (pid_ == 0) {
            ::close(fds[0]);
            try {
                body();
            } catch (const std::exception& e) {
                ::_exit(3);
            }
            char c = 'r';
            if (::write(fds[1], &c, 1) != 1) ::_exit(4);
            for (;;)
                ::pause();
        }
        ::close(fds[1]);
        ready_ = FileDescriptor(fds[0]);
    }
    ~Child() { kill(); }
    /// Waits until the body ran; false if the child died first.
    bool waitReady() {
        char c;
        return ::read(ready_.get(), &c, 1) == 1;
    }
    /// True if the body has finished within `timeout`.
    bool readyWithin(std::chrono::milliseconds timeout) {
        struct timeval tv {
            0, static_cast<suseconds_t>(timeout.count() * 1000)
        };
        fd_set set;
        FD_ZERO(&set);
        FD_SET(ready_.get(), &set);
        return ::select(ready_.get() + 1, &set, nullptr, nullptr, &tv) == 1 && waitReady();
    }
    void kill() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }

private:
    pid_t pid_ = -1;
    FileDescriptor ready_;
};

class GcTest : public ::testing::Test {
protected:
    TempDir dir_{"purist-gc-test-"};
    std::string rootDir_ = dir_.path() + "/root";
    std::optional<LocalStore> store_{StoreLayout::atRoot(rootDir_)};
    LocalStore& store() { return *store_; }

    /// Registers a path named `name` whose one file names each of `refs`.
    StorePath add(const std::string& name, const std::vector<StorePath>& refs = {},
                  const std::string& extra = "") {
        StorePath path = store().storeDir().makeOutputPath(
            "out", hashString(HashAlgorithm::Sha256, name + extra), name);
        std::string location = store().layout().tmpDir() + "/" + path.baseName();
        std::string contents = name + "\n";
        for (const StorePath& ref : refs)
            contents += store().storeDir().print(ref) + "\n";
        testing::makeFile(location + "/file", contents);
        StorePathSet candidates(refs.begin(), refs.end());
        store().registerNewPaths({NewPath{path, location, std::nullopt, ""}}, candidates);
        return path;
    }

    static StorePathSet asSet(const std::vector<StorePath>& paths) {
        return StorePathSet(paths.begin(), paths.end());
    }
    static GcOptions dryRun() {
        GcOptions options;
        options.dryRun = true;
        return options;
    }
    static GcOptions maxFreed(uint64_t bytes) {
        GcOptions options;
        options.maxFreed = bytes;
        return options;
    }
    static GcOptions batchesOf(size_t size) {
        GcOptions options;
        options.batchSize = size;
        return options;
    }
    bool valid(const StorePath& p) { return store().db().isValid(p); }
    bool onDisk(const StorePath& p) {
        struct stat st;
        return ::lstat(store().realPath(p).c_str(), &st) == 0;
    }
    std::string gcroots() { return store().layout().gcRootsDir(); }

    GcResult collect(GcOptions options = {}) {
        options.runtimeRoots = options.runtimeRoots && runtimeRoots_;
        return collectGarbage(store(), options);
    }

    /// No valid path misses its files or has an invalid reference, and every file is right.
    void expectConsistent() {
        for (const StorePath& p : store().db().queryAllValidPaths()) {
            EXPECT_TRUE(onDisk(p)) << p.baseName();
            for (const StorePath& ref : store().db().queryReferences(p))
                EXPECT_TRUE(valid(ref)) << p.baseName() << " -> " << ref.baseName();
        }
        for (const VerifyProblem& problem : store().verify({}))
            ADD_FAILURE() << problem.path.baseName() << ": " << problem.problem;
    }

    // Most tests run no processes of their own whose state could name these paths.
    bool runtimeRoots_ = false;
};

TEST_F(GcTest, RegularFileRootKeepsItsClosureAndTheRestGoesWithLogs) {
    StorePath lib = add("lib");
    StorePath app = add("app", {lib});
    StorePath old = add("old", {lib});
    StorePath oldest = add("oldest", {old});
    testing::makeFile(gcroots() + "/" + app.baseName(), "");
    testing::makeFile(store().layout().logsDir() + "/" + old.baseName() + ".log", "log");

    GcResult dry = collect(dryRun());
    EXPECT_EQ(asSet(dry.dead), (StorePathSet{old, oldest}));
    EXPECT_TRUE(valid(old) && onDisk(old)) << "a dry run deletes nothing";

    GcResult result = collect();
    ASSERT_EQ(result.dead.size(), 2u);
    // Referrers go first: `oldest` before the `old` it refers to.
    EXPECT_EQ(result.dead[0], oldest);
    EXPECT_EQ(result.dead[1], old);
    EXPECT_EQ(result.bytesFreed, dry.bytesFreed);
    EXPECT_EQ(result.logsRemoved, 1u);
    EXPECT_FALSE(fs::exists(store().layout().logsDir() + "/" + old.baseName() + ".log"));
    for (const StorePath& p : {lib, app})
        EXPECT_TRUE(valid(p) && onDisk(p)) << p.baseName();
    for (const StorePath& p : {old, oldest})
        EXPECT_TRUE(!valid(p) && !onDisk(p)) << p.baseName();
    expectConsistent();
}

TEST_F(GcTest, SymlinkRootsIndirectRootsAndProfiles) {
    StorePath direct = add("direct"), indirect = add("indirect"), profile = add("profile");
    StorePath removed = add("removed"), dead = add("dead");
    fs::create_directories(gcroots() + "/per-user/alice");
    fs::create_symlink(store().realPath(direct) + "/file", gcroots() + "/per-user/alice/d");
    // gcroots/auto/x -> result -> store path: alive while `result` is there.
    fs::create_directories(gcroots() + "/auto");
    fs::create_symlink(store().realPath(indirect), dir_.path() + "/result");
    fs::create_symlink(dir_.path() + "/result", gcroots() + "/auto/x");
    fs::create_symlink(store().realPath(removed), dir_.path() + "/result-2");
    fs::create_symlink(dir_.path() + "/result-2", gcroots() + "/auto/y");
    fs::remove(dir_.path() + "/result-2"); // the user removed the link: the root is gone
    // profiles/per-user/root/profile -> profile-1-link -> store path, as Nix keeps them; and
    // gcroots/profiles -> profiles/, which is neither a root nor stale.
    std::string profiles = store().layout().root + "/profiles";
    fs::create_directories(profiles + "/per-user/root");
    fs::create_symlink(store().realPath(profile), profiles + "/per-user/root/profile-1-link");
    fs::create_symlink("profile-1-link", profiles + "/per-user/root/profile");
    fs::create_symlink(profiles, gcroots() + "/profiles");

    GcResult result = collect();
    EXPECT_EQ(asSet(result.dead), (StorePathSet{removed, dead}));
    std::set<std::string> locations;
    for (const GcRootRef& r : result.roots)
        locations.insert(r.location + " -> " + r.path.baseName());
    EXPECT_TRUE(locations.count(gcroots() + "/per-user/alice/d -> " + direct.baseName()));
    EXPECT_TRUE(locations.count(dir_.path() + "/result -> " + indirect.baseName()));
    EXPECT_TRUE(
        locations.count(profiles + "/per-user/root/profile-1-link -> " + profile.baseName()));
    GcRootScan scan = findGcRoots(gcRootDirs(store().layout().root), store().storeDir(),
                                  store().layout().realStoreDir);
    EXPECT_EQ(scan.stale, std::vector<std::string>{gcroots() + "/auto/y"});
    expectConsistent();
}

// A running process's open file, cwd and environment keep paths alive (and their closure),
// unless runtime roots are off.
TEST_F(GcTest, RuntimeRootsOfARunningProcess) {
    StorePath lib = add("lib"), open = add("open", {lib}), cwd = add("cwd");
    StorePath dead = add("dead");
    std::string openFile = store().realPath(open) + "/file";
    std::string cwdDir = store().realPath(cwd);
    Child child([&] {
        int fd = ::open(openFile.c_str(), O_RDONLY);
        if (fd == -1 || ::chdir(cwdDir.c_str()) == -1) throw SysError("setting up");
    });
    ASSERT_TRUE(child.waitReady());
    runtimeRoots_ = true;
    GcResult dry = collect(dryRun());
    std::set<StorePath> wouldGo(dry.dead.begin(), dry.dead.end());
    EXPECT_TRUE(wouldGo.count(dead));
    EXPECT_FALSE(wouldGo.count(open)) << "held open";
    EXPECT_FALSE(wouldGo.count(lib)) << "in the closure of a path held open";
    EXPECT_FALSE(wouldGo.count(cwd)) << "a process's cwd";
    bool runtimeKind = false;
    for (const GcRootRef& r : dry.roots)
        runtimeKind = runtimeKind || (r.kind == GcRootRef::Kind::Runtime && r.path == open &&
                                      r.location.find("/fd/") != std::string::npos);
    EXPECT_TRUE(runtimeKind);

    runtimeRoots_ = false;
    GcResult off = collect(dryRun());
    std::set<StorePath> offGo(off.dead.begin(), off.dead.end());
    EXPECT_TRUE(offGo.count(open) && offGo.count(cwd)) << "gc-runtime-roots off";

    runtimeRoots_ = true;
    collect();
    EXPECT_TRUE(valid(open) && valid(lib) && valid(cwd));
    EXPECT_FALSE(valid(dead));
    child.kill();
    collect();
    EXPECT_FALSE(valid(open) || valid(lib) || valid(cwd));
    expectConsistent();
}

TEST_F(GcTest, EnvironmentOfARunningProcessIsARuntimeRoot) {
    StorePath env = add("env");
    std::string value = "PURIST_GC_TEST=" + store().storeDir().print(env) + "/bin/x";
    pid_t pid = ::fork();
    ASSERT_NE(pid, -1);
    if (pid == 0) {
        char* argv[] = {const_cast<char*>("sleep"), const_cast<char*>("30"), nullptr};
        char* envp[] = {value.data(), nullptr};
        ::execve("/bin/sleep", argv, envp);
        ::_exit(127);
    }
    // Until exec, the child's environ is ours; wait for /proc to show the new one.
    for (int i = 0; i < 200; ++i) {
        std::string environ;
        try {
            environ = readFile("/proc/" + std::to_string(pid) + "/environ");
        } catch (const SysError&) {
        }
        if (environ.find("PURIST_GC_TEST") != std::string::npos) break;
        std::this_thread::sleep_for(10ms);
    }
    runtimeRoots_ = true;
    collect();
    EXPECT_TRUE(valid(env));
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    collect();
    EXPECT_FALSE(valid(env));
}

// Another process's temp roots keep paths alive while it lives; its file goes once it died.
TEST_F(GcTest, TempRootsOfALiveProcessKeepPathsUntilItDies) {
    StorePath lib = add("lib"), input = add("input", {lib}), dead = add("dead");
    std::string root = rootDir_;
    Child child([&] {
        // Held (never destroyed) until the child is killed.
        auto* roots = new TempRoots(root);
        roots->add(input);
    });
    ASSERT_TRUE(child.waitReady());
    GcResult result = collect();
    EXPECT_EQ(result.dead, std::vector<StorePath>{dead});
    EXPECT_TRUE(valid(input) && valid(lib));
    bool temporary = false;
    for (const GcRootRef& r : result.roots)
        temporary = temporary || (r.kind == GcRootRef::Kind::Temporary && r.path == input);
    EXPECT_TRUE(temporary);
    child.kill();
    result = collect();
    EXPECT_GE(result.staleTempRootFiles, 1u);
    EXPECT_FALSE(valid(input) || valid(lib));
    EXPECT_TRUE(testing::listDir(tempRootsDir(root)).empty());
    expectConsistent();
}

// The protocol itself: while a collector holds the temp roots, a process adding one waits,
// so that it checks validity only after the collection; and a collection waits for readers.
TEST_F(GcTest, AddingATempRootWaitsForARunningCollection) {
    StorePath path = add("path");
    std::string root = rootDir_;
    int warm[2], go[2];
    ASSERT_EQ(::pipe(warm), 0);
    ASSERT_EQ(::pipe(go), 0);
    Child child([&] {
        auto* roots = new TempRoots(root); // held until the child is killed
        roots->add(std::vector<std::string>{"00000000000000000000000000000000-warmup"});
        char c = 'w';
        if (::write(warm[1], &c, 1) != 1 || ::read(go[0], &c, 1) != 1) throw Error("pipe");
        roots->add(path);
    });
    char c;
    ASSERT_EQ(::read(warm[0], &c, 1), 1) << "the child has its temp-roots file";
    {
        GcLock collector(root, GcLock::Mode::Exclusive);
        TempRootsSnapshot snapshot = lockTempRoots(root);
        ASSERT_EQ(snapshot.roots.size(), 1u);
        ASSERT_EQ(::write(go[1], "g", 1), 1);
        EXPECT_FALSE(child.readyWithin(300ms)) << "the temp root was added during a collection";
    }
    EXPECT_TRUE(child.readyWithin(5000ms)) << "the temp root was never added";
    TempRootsSnapshot after = lockTempRoots(root);
    EXPECT_EQ(after.roots.size(), 2u);

    // A reader (check, audit) keeps collections out while it reads.
    {
        GcReaderLock reader(root);
        EXPECT_TRUE(reader.held());
        EXPECT_FALSE(GcLock::tryLock(root, GcLock::Mode::Exclusive).held());
    }
    EXPECT_TRUE(GcLock::tryLock(root, GcLock::Mode::Exclusive).held());
    for (int fd : {warm[0], warm[1], go[0], go[1]})
        ::close(fd);
}

TEST_F(GcTest, MaxFreedStopsAfterEnoughAndKeepsTheStoreConsistent) {
    // A chain of ten dead paths: any prefix of the deletion order leaves no dangling reference.
    std::vector<StorePath> chain{add("p0")};
    for (int i = 1; i < 10; ++i)
        chain.push_back(add("p" + std::to_string(i), {chain.back()}));
    uint64_t each = store().db().queryInfo(chain[5]).narSize;
    GcResult result = collect(maxFreed(2 * each + 1));
    EXPECT_EQ(result.dead.size(), 3u);
    EXPECT_GE(result.bytesFreed, 2 * each + 1);
    EXPECT_FALSE(valid(chain[9]));
    EXPECT_TRUE(valid(chain[6]));
    expectConsistent();
    result = collect(maxFreed(1));
    EXPECT_EQ(result.dead, std::vector<StorePath>{chain[6]});
    expectConsistent();
}

TEST_F(GcTest, OutputsReferringToEachOtherGoInOneBatch) {
    StorePath a =
        store().storeDir().makeOutputPath("out", hashString(HashAlgorithm::Sha256, "a"), "a");
    StorePath b =
        store().storeDir().makeOutputPath("dev", hashString(HashAlgorithm::Sha256, "a"), "a-dev");
    std::string tmp = store().layout().tmpDir();
    testing::makeFile(tmp + "/" + a.baseName() + "/f", store().storeDir().print(b));
    testing::makeFile(tmp + "/" + b.baseName() + "/f", store().storeDir().print(a));
    store().registerNewPaths({NewPath{a, tmp + "/" + a.baseName(), std::nullopt, ""},
                              NewPath{b, tmp + "/" + b.baseName(), std::nullopt, ""}},
                             {});
    StorePath above = add("above", {a});
    GcResult result = collect(batchesOf(1));
    EXPECT_EQ(result.dead.size(), 3u);
    EXPECT_FALSE(valid(a) || valid(b) || valid(above));
    expectConsistent();
}

// A read-only tree with a symlink out of it: removed without following the link.
TEST_F(GcTest, ReadOnlyTreesGoWithoutFollowingSymlinks) {
    testing::makeFile(dir_.path() + "/victim/keep", "host file");
    std::string src = dir_.path() + "/src";
    testing::makeFile(src + "/a/b/c/file", "x");
    fs::create_symlink(dir_.path() + "/victim", src + "/a/b/out");
    fs::create_symlink(dir_.path() + "/victim/keep", src + "/a/keep");
    StorePath p = store().addSource(src);
    // Canonicalised: every directory 0555.
    struct stat st;
    ASSERT_EQ(::lstat((store().realPath(p) + "/a/b").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0555u);
    store_.emplace(StoreLayout::atRoot(rootDir_)); // drop this process's temp root of p
    collect();
    EXPECT_FALSE(onDisk(p));
    EXPECT_EQ(readFile(dir_.path() + "/victim/keep"), "host file");
}

TEST_F(GcTest, InvalidLeftoversGoUnlessTheirLockIsHeld) {
    StorePath crashed = store().storeDir().makeOutputPath(
        "out", hashString(HashAlgorithm::Sha256, "crashed"), "crashed");
    StorePath building = store().storeDir().makeOutputPath(
        "out", hashString(HashAlgorithm::Sha256, "building"), "building");
    testing::makeFile(store().realPath(crashed) + "/half", "x");
    testing::makeFile(store().realPath(building) + "/half", "x");
    testing::makeFile(store().layout().realStoreDir + "/not-a-store-path", "x");
    FileDescriptor lockFile = openPathLockFile(store().layout().tmpDir());
    PathLock lock(lockFile.get(), building.baseName());
    ASSERT_TRUE(lock.tryLock());
    GcResult result = collect();
    EXPECT_EQ(result.leftoversRemoved, 1u);
    EXPECT_FALSE(onDisk(crashed));
    EXPECT_TRUE(onDisk(building)) << "a build holds its lock: its output is being made";
    EXPECT_TRUE(fs::exists(store().layout().realStoreDir + "/not-a-store-path"));
}

TEST_F(GcTest, DeleteIsRefusedForLiveOrReferencedPathsNamingWhy) {
    StorePath lib = add("lib"), app = add("app", {lib}), rooted = add("rooted");
    StorePath alone = add("alone");
    testing::makeFile(gcroots() + "/" + rooted.baseName(), "");
    auto refusal = [&](const std::vector<StorePath>& paths) {
        try {
            deletePaths(store(), paths, false);
        } catch (const StoreError& e) {
            return std::string(e.what());
        }
        return std::string("not refused");
    };
    std::string r = refusal({lib});
    EXPECT_NE(r.find(store().storeDir().print(lib) + " is referenced by " +
                     store().storeDir().print(app)),
              std::string::npos)
        << r;
    r = refusal({rooted, alone});
    EXPECT_NE(r.find("is alive: it is a root (" + gcroots() + "/" + rooted.baseName() + ")"),
              std::string::npos)
        << r;
    EXPECT_TRUE(valid(alone)) << "a refused request deletes nothing";
    StorePath missing = StorePath::fromBaseName("00000000000000000000000000000000-missing");
    EXPECT_NE(refusal({missing}).find("is not valid"), std::string::npos);

    GcResult result = deletePaths(store(), {lib, app}, false);
    EXPECT_EQ(result.dead, (std::vector<StorePath>{app, lib}));
    EXPECT_FALSE(valid(lib) || valid(app) || onDisk(lib) || onDisk(app));
    EXPECT_TRUE(valid(alone) && valid(rooted));
    expectConsistent();
}

// min-free / max-free: a collection only when free space is below min-free.
TEST_F(GcTest, CollectsOnlyWhenLowOnSpace) {
    StorePath a = add("a"), b = add("b");
    EXPECT_FALSE(collectIfLowOnSpace(store(), 0, 0, false)) << "min-free 0: never";
    EXPECT_FALSE(collectIfLowOnSpace(store(), 1, 0, false)) << "more than 1 byte is free";
    EXPECT_TRUE(valid(a) && valid(b));
    // Less free than min-free, and max-free 1 byte above what is free: one path is enough.
    uint64_t free = freeSpace(store().layout().realStoreDir);
    std::optional<GcResult> some =
        collectIfLowOnSpace(store(), std::numeric_limits<uint64_t>::max(), free + 1, false);
    ASSERT_TRUE(some);
    EXPECT_EQ(some->dead.size(), 1u);
    std::optional<GcResult> all =
        collectIfLowOnSpace(store(), std::numeric_limits<uint64_t>::max(), 0, false);
    ASSERT_TRUE(all);
    EXPECT_EQ(all->dead.size(), 1u);
    EXPECT_FALSE(valid(a) || valid(b));
}

TEST_F(GcTest, AReadOnlyStoreIsRefused) {
    add("x");
    LocalStore readOnly(StoreLayout::atRoot(rootDir_), Database::Mode::ReadOnly);
    EXPECT_THROW(collectGarbage(readOnly, {}), StoreError);
    EXPECT_THROW(deletePaths(readOnly, {}, false), StoreError);
    GcOptions listing;
    listing.action = GcOptions::Action::PrintDead;
    listing.runtimeRoots = false;
    EXPECT_EQ(collectGarbage(readOnly, listing).dead.size(), 1u) << "listing only reads";
}

// kill -9 at random points of a collection, 100 times: after each, every valid path is
// complete and refers only to valid paths; the next collection finishes the job.
TEST_F(GcTest, KilledAtRandomPointsLeavesAConsistentStore) {
    const int rounds = 100;
    std::mt19937 random(12345);
    std::string root = rootDir_;
    StorePath keep = add("keep");
    testing::makeFile(gcroots() + "/" + keep.baseName(), "");
    int interruptedMidway = 0;
    for (int round = 0; round < rounds; ++round) {
        // Twelve dead paths in two chains, in small batches, so a kill lands between the
        // transaction and the removal of files, or inside a removal, as often as not.
        std::vector<StorePath> chain{add("a", {keep}, std::to_string(round))};
        for (int i = 1; i < 6; ++i)
            chain.push_back(add("a" + std::to_string(i), {chain.back()}, std::to_string(round)));
        chain.push_back(add("b", {}, std::to_string(round)));
        for (int i = 1; i < 6; ++i)
            chain.push_back(
                add("b" + std::to_string(i), {chain.back(), keep}, std::to_string(round)));
        const int killAfter = static_cast<int>(random() % 12);
        const bool byTimer = round % 2 == 1;
        const long timerUs = static_cast<long>(random() % 4000);
        // No SQLite connection may be open across fork (the child's would share its locks'
        // bookkeeping): this process closes its own and opens it again after.
        store_.reset();
        pid_t pid = ::fork();
        ASSERT_NE(pid, -1);
        if (pid == 0) {
            LocalStore mine(StoreLayout::atRoot(root));
            GcOptions options;
            options.runtimeRoots = false;
            options.batchSize = 4;
            int deleted = 0;
            if (byTimer) {
                // Anywhere: opening the locks, a transaction, a removal half done.
                ::signal(SIGALRM, [](int) { ::raise(SIGKILL); });
                struct itimerval timer {};
                timer.it_value.tv_usec = timerUs + 1;
                ::setitimer(ITIMER_REAL, &timer, nullptr);
            } else {
                options.onDeleted = [&](const StorePath&) {
                    if (deleted++ == killAfter) ::raise(SIGKILL);
                };
            }
            collectGarbage(mine, options);
            ::_exit(0);
        }
        int status = 0;
        ASSERT_EQ(::waitpid(pid, &status, 0), pid);
        store_.emplace(StoreLayout::atRoot(root));
        ASSERT_TRUE(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
            << "round " << round << ": status " << status;
        size_t validLeft = 0;
        for (const StorePath& p : chain)
            validLeft += valid(p);
        if (validLeft > 0 && validLeft < chain.size()) ++interruptedMidway;
        expectConsistent();
        if (HasFailure()) FAIL() << "after round " << round;
        GcResult rest = collect();
        for (const StorePath& p : chain)
            EXPECT_TRUE(!valid(p) && !onDisk(p)) << "round " << round << ": " << p.baseName();
        EXPECT_TRUE(valid(keep) && onDisk(keep));
    }
    EXPECT_EQ(testing::listDir(store().layout().realStoreDir).size(), 1u);
    // The kills did land mid-collection, not only before or after it.
    EXPECT_GE(interruptedMidway, rounds / 4);
}

} // namespace
} // namespace purist
