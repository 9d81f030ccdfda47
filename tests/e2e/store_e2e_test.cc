// End to end: the purist binary's store commands, checked against Nix where it is present.

#include "base/file_descriptor.h"
#include "base/temp_dir.h"
#include "tests/support/test_support.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace purist {
namespace {

namespace fs = std::filesystem;
using testing::runProgram;
using testing::runPurist;

class StoreE2ETest : public ::testing::Test {
protected:
    TempDir dir_{"purist-e2e-"};
    std::string root() const { return dir_.path() + "/root"; }

    void makeTree(const std::string& at) {
        testing::makeFile(at + "/bin/hello", "#!/bin/sh\necho hello\n", 0755);
        testing::makeFile(at + "/share/data", "data\n");
        fs::create_symlink("../bin/hello", at + "/share/link");
    }
};

TEST_F(StoreE2ETest, AddGivesThePathNixGives) {
    makeTree(dir_.path() + "/pkg");
    auto purist = runPurist({"--root", root(), "--store-dir", "/nix/store", "store", "add",
                             "--dry-run", dir_.path() + "/pkg"});
    ASSERT_EQ(purist.exitCode, 0) << purist.err;
    if (!testing::haveProgram("nix-store")) {
        PURIST_SKIP_OUTSIDE_CI("nix-store (Debian nix-bin) is not installed");
    }
    auto nix = runProgram(
        {"nix-store", "--store", dir_.path() + "/nix-chroot", "--add", dir_.path() + "/pkg"}, "",
        {"NIX_REMOTE="});
    ASSERT_EQ(nix.exitCode, 0) << nix.err;
    EXPECT_EQ(purist.out, nix.out);
}

TEST_F(StoreE2ETest, DumpIsByteForByteNixStoreDump) {
    makeTree(dir_.path() + "/pkg");
    auto purist = runPurist({"store", "dump", dir_.path() + "/pkg"});
    ASSERT_EQ(purist.exitCode, 0) << purist.err;
    if (!testing::haveProgram("nix-store")) {
        PURIST_SKIP_OUTSIDE_CI("nix-store (Debian nix-bin) is not installed");
    }
    auto nix = runProgram({"nix-store", "--dump", dir_.path() + "/pkg"});
    ASSERT_EQ(nix.exitCode, 0) << nix.err;
    EXPECT_EQ(purist.out, nix.out);
}

TEST_F(StoreE2ETest, AddQueryVerifyRoundTrip) {
    makeTree(dir_.path() + "/pkg");
    auto add = runPurist({"--root", root(), "store", "add", dir_.path() + "/pkg"});
    ASSERT_EQ(add.exitCode, 0) << add.err;
    std::string path = add.out.substr(0, add.out.find('\n'));
    EXPECT_EQ(path.rfind(root() + "/store/", 0), 0u) << path;

    auto info = runPurist({"--root", root(), "store", "info", "--json", path});
    ASSERT_EQ(info.exitCode, 0) << info.err;
    EXPECT_NE(info.out.find("\"narHash\": \"sha256:"), std::string::npos) << info.out;

    auto closure = runPurist({"--root", root(), "store", "closure", path});
    EXPECT_EQ(closure.exitCode, 0);
    EXPECT_EQ(closure.out, path + "\n");

    auto verify = runPurist({"--root", root(), "store", "verify"});
    EXPECT_EQ(verify.exitCode, 0) << verify.out << verify.err;

    auto restore = runPurist({"store", "restore", dir_.path() + "/copy"},
                             runPurist({"store", "dump", path}).out);
    ASSERT_EQ(restore.exitCode, 0) << restore.err;
    EXPECT_EQ(readFile(dir_.path() + "/copy/share/data"), "data\n");
}

// Issue 9, door 1's class: a `result` link to a store path that is itself a link names
// that store path, never the path (or host file) the store path points to.
TEST_F(StoreE2ETest, AResultLinkToALinkStorePathNamesTheLinkNotItsTarget) {
    makeTree(dir_.path() + "/pkg");
    auto real = runPurist({"--root", root(), "store", "add", dir_.path() + "/pkg"});
    ASSERT_EQ(real.exitCode, 0) << real.err;
    std::string target = real.out.substr(0, real.out.find('\n'));
    fs::create_symlink(target, dir_.path() + "/alias");
    auto alias = runPurist({"--root", root(), "store", "add", dir_.path() + "/alias"});
    ASSERT_EQ(alias.exitCode, 0) << alias.err;
    std::string linkPath = alias.out.substr(0, alias.out.find('\n'));
    ASSERT_NE(linkPath, target);
    // result -> the link store path -> the real one; and a second hop outside the store.
    fs::create_symlink(linkPath, dir_.path() + "/result");
    fs::create_symlink(dir_.path() + "/result", dir_.path() + "/result-of-result");
    for (const char* name : {"/result", "/result-of-result"}) {
        auto closure = runPurist({"--root", root(), "store", "closure", dir_.path() + name});
        ASSERT_EQ(closure.exitCode, 0) << closure.err;
        EXPECT_EQ(closure.out.substr(0, closure.out.find('\n')), linkPath) << name;
    }
}

TEST_F(StoreE2ETest, HostileNarIsRefusedWithExitTwoAndNothingLeft) {
    auto restore =
        runPurist({"store", "restore", dir_.path() + "/out"}, "this is not a NAR at all");
    EXPECT_EQ(restore.exitCode, 2);
    EXPECT_NE(restore.err.find("not a NAR"), std::string::npos) << restore.err;
    EXPECT_FALSE(fs::exists(dir_.path() + "/out"));
}

TEST_F(StoreE2ETest, QueryingAnInvalidPathIsAnError) {
    makeTree(dir_.path() + "/pkg");
    ASSERT_EQ(runPurist({"--root", root(), "store", "add", dir_.path() + "/pkg"}).exitCode, 0);
    auto info = runPurist({"--root", root(), "store", "info",
                           root() + "/store/00000000000000000000000000000000-missing"});
    EXPECT_EQ(info.exitCode, 2);
    EXPECT_NE(info.err.find("missing"), std::string::npos) << info.err;
}

TEST_F(StoreE2ETest, HelpExplainsEveryStoreCommand) {
    auto help = runPurist({"store", "--help"});
    EXPECT_EQ(help.exitCode, 0);
    for (const char* cmd :
         {"add", "hash", "dump", "restore", "info", "refs", "referrers", "closure", "verify"})
        EXPECT_NE(help.out.find(cmd), std::string::npos) << cmd;
    EXPECT_EQ(runPurist({"store", "no-such-command"}).exitCode, 2);
}

} // namespace
} // namespace purist
