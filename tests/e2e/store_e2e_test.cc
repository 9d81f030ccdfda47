// End to end: the purist binary's store commands, checked against Nix where it is present.

#include "base/file_descriptor.h"
#include "base/temp_dir.h"
#include "tests/support/test_support.h"

#include "store/sqlite.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

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
    EXPECT_NE(info.out.find("\"narHash\":\"sha256-"), std::string::npos) << info.out;

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

// Issue 11: `store info --json` in the shape of `nix path-info --json`. The same source
// added by Nix (to a chroot store) and by purist (with Nix's store dir) is the same path, and
// every field Nix prints has Nix's value, but for the registration time; the keys Nix 2.8
// leaves out when empty are there with the empty value.
TEST_F(StoreE2ETest, InfoJsonIsNixPathInfoJsonForAnAddedSource) {
    makeTree(dir_.path() + "/pkg");
    auto add = runPurist(
        {"--root", root(), "--store-dir", "/nix/store", "store", "add", dir_.path() + "/pkg"});
    ASSERT_EQ(add.exitCode, 0) << add.err;
    std::string path = add.out.substr(0, add.out.find('\n'));
    auto info =
        runPurist({"--root", root(), "--store-dir", "/nix/store", "store", "info", "--json", path});
    ASSERT_EQ(info.exitCode, 0) << info.err;
    nlohmann::json actual = nlohmann::json::parse(info.out);
    ASSERT_EQ(actual.size(), 1u);
    EXPECT_EQ(actual[0]["deriver"], nullptr);
    EXPECT_EQ(actual[0]["valid"], true);
    EXPECT_EQ(actual[0]["ultimate"], true);
    EXPECT_EQ(actual[0]["signatures"], nlohmann::json::array());
    EXPECT_TRUE(actual[0]["registrationTime"].is_number_integer());
    EXPECT_TRUE(actual[0]["narHash"].get<std::string>().starts_with("sha256-")) << info.out;
    // The keys in Nix's order.
    std::vector<std::string> keys;
    const nlohmann::ordered_json ordered = nlohmann::ordered_json::parse(info.out);
    for (const auto& [key, value] : ordered[0].items())
        keys.push_back(key);
    EXPECT_EQ(keys,
              (std::vector<std::string>{"path", "narHash", "narSize", "references", "ca", "deriver",
                                        "registrationTime", "ultimate", "signatures", "valid"}));
    auto missing = runPurist({"--root", root(), "--store-dir", "/nix/store", "store", "info",
                              "--json", "/nix/store/00000000000000000000000000000000-missing"});
    EXPECT_EQ(missing.exitCode, 0) << missing.err;
    EXPECT_EQ(nlohmann::json::parse(missing.out),
              nlohmann::json::parse(R"([{"path":"/nix/store/00000000000000000000000000000000-)"
                                    R"(missing","valid":false}])"));

    if (!testing::haveProgram("nix")) {
        PURIST_SKIP_OUTSIDE_CI("nix (Debian nix-bin) is not installed");
    }
    std::string chroot = dir_.path() + "/nix-chroot";
    auto nixAdd = runProgram({"nix-store", "--store", chroot, "--add", dir_.path() + "/pkg"}, "",
                             {"NIX_REMOTE="});
    ASSERT_EQ(nixAdd.exitCode, 0) << nixAdd.err;
    ASSERT_EQ(nixAdd.out, add.out);
    auto nix = runProgram({"nix", "--extra-experimental-features", "nix-command", "path-info",
                           "--store", chroot, "--option", "substituters", "", "--json", path},
                          "", {"NIX_REMOTE="});
    ASSERT_EQ(nix.exitCode, 0) << nix.err;
    nlohmann::json expected = nlohmann::json::parse(nix.out);
    ASSERT_EQ(expected.size(), 1u);
    for (const auto& [key, value] : expected[0].items()) {
        if (key == "registrationTime") continue;
        EXPECT_EQ(actual[0][key], value) << key;
    }
    EXPECT_EQ(actual[0]["narHash"], expected[0]["narHash"]);
    EXPECT_EQ(actual[0]["ca"], expected[0]["ca"]);
}

// Issue 11: a rescan looks only for the paths the scan at registration had among its
// candidates. A source is added without a scan, so a file of it that names another valid
// path is no reference and no problem (before, verify reported "refers to ... but the
// database does not record it" and exited 1, where `nix-store --verify` finds nothing).
TEST_F(StoreE2ETest, VerifyDoesNotTakeAPathNamedInASourceForAReference) {
    makeTree(dir_.path() + "/pkg");
    auto first = runPurist({"--root", root(), "store", "add", dir_.path() + "/pkg"});
    ASSERT_EQ(first.exitCode, 0) << first.err;
    std::string named = first.out.substr(0, first.out.find('\n'));
    testing::makeFile(dir_.path() + "/notes/README", "built with " + named + "/bin/hello\n");
    auto second = runPurist({"--root", root(), "store", "add", dir_.path() + "/notes"});
    ASSERT_EQ(second.exitCode, 0) << second.err;
    auto verify = runPurist({"--root", root(), "store", "verify"});
    EXPECT_EQ(verify.exitCode, 0) << verify.out << verify.err;
    EXPECT_EQ(verify.out, "");
    EXPECT_NE(verify.err.find("verified 2 paths: 0 problems"), std::string::npos) << verify.err;
}

// Issue 11: a build output's references came from a scan, so verify still rescans it: its
// reference to itself, dropped from the DB, is found again, with the file and byte; an
// output printing a valid path it was not given is no problem.
TEST_F(StoreE2ETest, VerifyRescansABuildOutputsReferences) {
    if (std::string why = testing::whyNoStrictBuilds(); !why.empty()) {
        PURIST_SKIP_OUTSIDE_CI(why);
    }
    fs::permissions(dir_.path(), fs::perms(0755));
    makeTree(dir_.path() + "/pkg");
    auto source = runPurist({"--root", root(), "store", "add", dir_.path() + "/pkg"});
    ASSERT_EQ(source.exitCode, 0) << source.err;
    std::string unrelated = source.out.substr(0, source.out.find('\n'));
    testing::makeFile(dir_.path() + "/self.yaml",
                      "name: self\nbuilder: /bin/sh\nargs: [-c, 'mkdir $out; echo $out > "
                      "$out/self; echo " +
                          unrelated + " > $out/unrelated']\nenv: {PATH: /bin:/usr/bin}\n");
    auto built = runPurist({"--root", root(), "build", "--config",
                            std::string(PURIST_SOURCE_DIR) + "/examples/purist.yaml",
                            "--no-out-link", dir_.path() + "/self.yaml"});
    ASSERT_EQ(built.exitCode, 0) << built.err;
    std::string out = built.out.substr(0, built.out.find('\n'));
    auto clean = runPurist({"--root", root(), "store", "verify"});
    EXPECT_EQ(clean.exitCode, 0) << clean.out << clean.err;
    {
        Database db(root() + "/db/db.sqlite", Database::Mode::ReadWrite);
        db.exec("delete from Refs where referrer = reference");
    }
    auto verify = runPurist({"--root", root(), "store", "verify"});
    EXPECT_EQ(verify.exitCode, 1) << verify.out << verify.err;
    EXPECT_EQ(verify.out, out + ": refers to " + out + " (in 'self' at byte " +
                              std::to_string(root().size() + 7) +
                              ") but the database does not record it\n");
}

// The store flags and variables: --root wins over $PURIST_ROOT, and $PURIST_STORE_DIR
// still applies beside --root (CLI11 no longer reads the variables: selectLayout does).
TEST_F(StoreE2ETest, RootAndStoreDirFromFlagsAndEnvironment) {
    makeTree(dir_.path() + "/pkg");
    auto dry =
        runPurist({"--store-dir", "/nix/store", "store", "add", "--dry-run", dir_.path() + "/pkg"});
    ASSERT_EQ(dry.exitCode, 0) << dry.err;
    auto add =
        runPurist({"--root", root(), "store", "add", dir_.path() + "/pkg"}, "",
                  {"PURIST_ROOT=" + dir_.path() + "/env-root", "PURIST_STORE_DIR=/nix/store"});
    ASSERT_EQ(add.exitCode, 0) << add.err;
    EXPECT_EQ(add.out, dry.out);
    EXPECT_TRUE(fs::exists(root() + "/db/db.sqlite"));
    EXPECT_FALSE(fs::exists(dir_.path() + "/env-root"));
    auto fromEnv = runPurist({"store", "info", "--json", add.out.substr(0, add.out.find('\n'))}, "",
                             {"PURIST_ROOT=" + root(), "PURIST_STORE_DIR=/nix/store"});
    EXPECT_EQ(fromEnv.exitCode, 0) << fromEnv.err;
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
