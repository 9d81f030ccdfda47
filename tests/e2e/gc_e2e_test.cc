// `purist store gc` and `purist store delete` end to end: the CLI's listings, --max-freed
// and refusals; collections in a loop beside real builds; audit history after a collection.

#include "base/file_descriptor.h"
#include "base/temp_dir.h"
#include "tests/checker/checker_fixture.h"
#include "tests/support/test_support.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace purist {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::runPurist;
using testing::RunResult;

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        out.push_back(line);
    return out;
}

class GcCliTest : public ::testing::Test {
protected:
    TempDir dir_{"purist-gc-e2e-"};
    std::string root_ = dir_.path() + "/root";

    RunResult purist(std::vector<std::string> args) {
        args.insert(args.begin(), {"--root", root_});
        // No process of this test names these paths; runtime roots are tested in gc_test.
        return runPurist(args, "", {"PURIST_GC_RUNTIME_ROOTS=false"});
    }
    std::string add(const std::string& name, const std::string& contents) {
        testing::makeFile(dir_.path() + "/src/" + name, contents);
        RunResult r = purist({"store", "add", dir_.path() + "/src/" + name});
        EXPECT_EQ(r.exitCode, 0) << r.err;
        return lines(r.out).at(0);
    }
};

TEST_F(GcCliTest, ListingsDryRunMaxFreedAndRefusals) {
    std::string kept = add("kept", "kept");
    std::string small = add("small", "s");
    std::string big = add("big", std::string(10000, 'b'));
    testing::makeFile(root_ + "/gcroots/" + fs::path(kept).filename().string(), "");

    RunResult roots = purist({"store", "gc", "--print-roots"});
    ASSERT_EQ(roots.exitCode, 0) << roots.err;
    EXPECT_EQ(roots.out,
              root_ + "/gcroots/" + fs::path(kept).filename().string() + " -> " + kept + "\n");
    RunResult live = purist({"store", "gc", "--print-live"});
    EXPECT_EQ(live.out, kept + "\n");
    RunResult dead = purist({"store", "gc", "--print-dead"});
    std::vector<std::string> deadPaths = lines(dead.out);
    std::sort(deadPaths.begin(), deadPaths.end());
    std::vector<std::string> expected{small, big};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(deadPaths, expected);
    RunResult dry = purist({"store", "gc", "--dry-run"});
    EXPECT_THAT(dry.err, HasSubstr("would delete 2 store paths"));
    EXPECT_TRUE(fs::exists(small) && fs::exists(big)) << "a dry run deletes nothing";

    // Refusals: a root, a path that is not valid, a Nix store, exclusive listings.
    RunResult rooted = purist({"store", "delete", kept});
    EXPECT_NE(rooted.exitCode, 0);
    EXPECT_THAT(rooted.err, HasSubstr(kept + " is alive: it is a root (" + root_ + "/gcroots/"));
    EXPECT_TRUE(fs::exists(kept));
    TempDir nix{"purist-gc-e2e-nix-"};
    RunResult nixStore = runPurist({"--store", "nix://" + nix.path(), "store", "gc"});
    EXPECT_EQ(nixStore.exitCode, 2);
    EXPECT_THAT(nixStore.err, HasSubstr("opens a Nix store read-only"));
    EXPECT_TRUE(testing::listDir(nix.path()).empty()) << "nothing was created in it";
    RunResult nixDelete = runPurist({"--store", "nix://" + nix.path(), "store", "delete", big});
    EXPECT_EQ(nixDelete.exitCode, 2);
    EXPECT_EQ(purist({"store", "gc", "--print-dead", "--print-live"}).exitCode, 2);
    EXPECT_EQ(purist({"store", "gc", "--max-freed", "lots"}).exitCode, 2);

    // --max-freed 1: one path is enough.
    RunResult one = purist({"store", "gc", "--max-freed", "1"});
    ASSERT_EQ(one.exitCode, 0) << one.err;
    EXPECT_THAT(one.err, HasSubstr("deleted 1 store path, "));
    EXPECT_NE(fs::exists(small), fs::exists(big));

    RunResult deleted = purist({"store", "delete", fs::exists(small) ? small : big});
    ASSERT_EQ(deleted.exitCode, 0) << deleted.err;
    EXPECT_FALSE(fs::exists(small) || fs::exists(big));
    RunResult nothing = purist({"store", "gc"});
    EXPECT_THAT(nothing.err, HasSubstr("deleted 0 store paths"));
    RunResult verify = purist({"store", "verify"});
    EXPECT_EQ(verify.exitCode, 0) << verify.out << verify.err;
}

// `store roots` and `store gc --print-roots` on a Nix store list what
// `nix-store --gc --print-roots` lists: profile generations under profiles/, and not
// gcroots/profiles (a link to the profiles directory) as a stale root.
TEST(GcNixRootsTest, RootsAgreeWithNixStoreGcPrintRoots) {
    if (!testing::haveProgram("nix-store")) {
        PURIST_SKIP_OUTSIDE_CI("needs nix-store (Nix 2.8)");
    }
    TempDir dir{"purist-gc-nix-roots-"};
    testing::makeFile(dir.path() + "/hi.txt", "hi\n");
    const std::string chroot = dir.path() + "/chroot";
    RunResult added =
        testing::runProgram({"nix-store", "--store", chroot, "--add", dir.path() + "/hi.txt"});
    ASSERT_EQ(added.exitCode, 0) << added.err;
    const std::string path = lines(added.out).at(0);
    const std::string state = chroot + "/nix/var/nix";
    fs::create_directories(state + "/profiles/per-user/root");
    fs::create_directories(state + "/gcroots/per-user/root");
    fs::create_symlink(path, state + "/profiles/per-user/root/profile-1-link");
    fs::create_symlink("profile-1-link", state + "/profiles/per-user/root/profile");
    // Nix made gcroots/profiles -> /nix/var/nix/profiles; this store's own is the one here.
    fs::remove(state + "/gcroots/profiles");
    fs::create_symlink(state + "/profiles", state + "/gcroots/profiles");
    fs::create_directories(state + "/gcroots/auto");
    fs::create_symlink(dir.path() + "/result", state + "/gcroots/auto/abc");
    fs::create_symlink(path, dir.path() + "/result");

    // Nix also reads every process's links under /proc for runtime roots, and fails outright
    // ("reading symlink: File name too long") when a test running beside it sits in a
    // 400 KB deep directory; in a PID namespace of its own, with its own /proc, it sees only
    // itself. (purist's `store roots` reads no /proc.)
    std::vector<std::string> nixCommand = {"nix-store",    "--store", chroot, "--option",
                                           "substituters", "",        "--gc", "--print-roots"};
    if (::geteuid() == 0 && testing::haveProgram("unshare"))
        nixCommand.insert(nixCommand.begin(), {"unshare", "--pid", "--fork", "--mount-proc"});
    RunResult nix = testing::runProgram(nixCommand);
    ASSERT_EQ(nix.exitCode, 0) << nix.err;
    ASSERT_NE(nix.out, "");
    RunResult roots = runPurist({"--store", "nix://" + chroot + "/nix", "store", "roots"});
    ASSERT_EQ(roots.exitCode, 0) << roots.err;
    EXPECT_EQ(roots.out, nix.out);
    EXPECT_EQ(roots.err, "") << "nothing is stale";
    RunResult gcRoots =
        runPurist({"--store", "nix://" + chroot + "/nix", "store", "gc", "--print-roots"}, "",
                  {"PURIST_GC_RUNTIME_ROOTS=false"});
    ASSERT_EQ(gcRoots.exitCode, 0) << gcRoots.err;
    EXPECT_EQ(gcRoots.out, nix.out);
}

// The leak an audit found is "fixed" once the leaking paths are collected.
TEST(GcAuditTest, AuditHistoryShowsFindingsFixedAfterTheOldPathsAreCollected) {
    checker::testing::SmallStore s;
    StorePath tools = s.pathFor("bootstrap-tools");
    s.add(tools, {{"bin/gcc", "gcc"}});
    StorePath libgreet = s.pathFor("libgreet");
    s.add(libgreet, {{"lib/libgreet.so", "CC=" + s.print(tools) + "/bin/gcc\n"}});
    StorePath hello = s.pathFor("hello");
    s.add(hello, {{"bin/hello", "rpath " + s.print(libgreet) + "/lib\n"}});
    // The maintainer's fix: a clean hello, rooted; the old ones are garbage now.
    StorePath fixed = s.pathFor("hello");
    s.add(fixed, {{"bin/hello", "fine\n"}});
    const std::string root = s.store().layout().root;
    testing::makeFile(root + "/gcroots/" + fixed.baseName(), "");
    testing::makeFile(root + "/gcroots/" + tools.baseName(), "");
    TempDir dir{"purist-gc-audit-"};
    testing::makeFile(dir.path() + "/leak.yaml", R"(rules:
  - id: no-bootstrap
    match: { names: ['hello|libgreet'] }
    forbid-requisites: { names: [bootstrap-tools] }
)");
    const std::vector<std::string> env{"PURIST_GC_RUNTIME_ROOTS=false"};
    RunResult before =
        runPurist({"--root", root, "audit", "--policy", dir.path() + "/leak.yaml"}, "", env);
    EXPECT_EQ(before.exitCode, 1) << before.out << before.err;
    RunResult gc = runPurist({"--root", root, "store", "gc"}, "", env);
    ASSERT_EQ(gc.exitCode, 0) << gc.err;
    EXPECT_THAT(gc.err, HasSubstr("deleted 2 store paths"));
    RunResult after =
        runPurist({"--root", root, "audit", "--policy", dir.path() + "/leak.yaml"}, "", env);
    EXPECT_EQ(after.exitCode, 0) << after.out << after.err;
    RunResult history = runPurist({"--root", root, "audit", "history"}, "", env);
    ASSERT_EQ(history.exitCode, 0) << history.err;
    // Run 1: 4 paths, two errors, both new. Run 2: 2 paths, no finding, the two fixed.
    EXPECT_THAT(history.out, ::testing::ContainsRegex("\n1 +[0-9TZ:-]+ +4 +2 +0 +0 +2 +0 "))
        << history.out;
    EXPECT_THAT(history.out, ::testing::ContainsRegex("\n2 +[0-9TZ:-]+ +2 +0 +0 +0 +0 +2 "))
        << history.out;
}

// Builds and collections on one store at once, in a loop: every build succeeds (no input
// vanishes under it) and nobody sees "database is locked".
TEST(GcBesideBuildsTest, CollectionsInALoopBesideBuilds) {
    if (std::string why = testing::whyNoStrictBuilds(); !why.empty()) {
        PURIST_SKIP_OUTSIDE_CI(why);
    }
    TempDir dir{"purist-gc-builds-"};
    fs::permissions(dir.path(), fs::perms(0755));
    const std::string root = dir.path() + "/root";
    const std::string config = std::string(PURIST_SOURCE_DIR) + "/examples/purist.yaml";
    // dep copies a source; top reads dep's output. Both are garbage once a build is over
    // (--no-out-link), so the collector removes them between and during builds.
    testing::makeFile(dir.path() + "/dep.yaml", R"(name: dep
builder: /bin/sh
args: ["-c", "PATH=/bin:/usr/bin; mkdir $out && cp $src/file $out/file"]
sources: { src: src }
)");
    testing::makeFile(dir.path() + "/top.yaml", R"(name: top
builder: /bin/sh
args: ["-c", "PATH=/bin:/usr/bin; sleep 0.3; mkdir $out && cat $dep/file $dep/file > $out/file"]
inputs: { dep: dep.yaml }
)");
    std::atomic<bool> stop{false};
    std::atomic<int> collections{0};
    std::string gcErrors;
    std::thread collector([&] {
        while (!stop) {
            RunResult r =
                runPurist({"--root", root, "store", "gc"}, "", {"PURIST_GC_RUNTIME_ROOTS=false"});
            if (r.exitCode != 0) gcErrors += r.err;
            ++collections;
        }
    });
    const int builds = testing::underCi() ? 6 : 4;
    for (int i = 0; i < builds; ++i) {
        testing::makeFile(dir.path() + "/src/file", "round " + std::to_string(i) + "\n");
        RunResult r = runPurist({"--root", root, "build", "--config", config, "--no-out-link",
                                 dir.path() + "/top.yaml"});
        EXPECT_EQ(r.exitCode, 0) << "build " << i << ": " << r.err;
        EXPECT_EQ(r.err.find("database is locked"), std::string::npos) << r.err;
        if (r.exitCode == 0) {
            std::string out = lines(r.out).at(0);
            // The output may be collected as soon as the build exits; if it is still there,
            // it is whole.
            std::string file;
            try {
                file = readFile(root + "/store/" + fs::path(out).filename().string() + "/file");
            } catch (const std::exception&) {
            }
            if (!file.empty()) {
                EXPECT_EQ(file,
                          "round " + std::to_string(i) + "\nround " + std::to_string(i) + "\n");
            }
        }
    }
    stop = true;
    collector.join();
    EXPECT_EQ(gcErrors, "");
    EXPECT_GE(collections.load(), builds) << "the collector ran beside the builds";
    RunResult verify = runPurist({"--root", root, "store", "verify"});
    EXPECT_EQ(verify.exitCode, 0) << verify.out << verify.err;
}

} // namespace
} // namespace purist
