// End to end: purist reading an existing Nix store (issue 11, "an existing Nix store, read
// right"). The suite builds a small Nix store of its own with Nix 2.8 (`nix-build --store
// DIR`, Nix's chroot store: paths name /nix/store, files are under DIR/nix/store) and
// compares purist with Nix on it: `store verify` with `nix-store --verify --check-contents`,
// `store info --json` with `nix path-info --json`; and it audits it with the shipped packs.
//
// The store holds every kind of path a Nix store has: build outputs (one referring to
// itself), derivations (whose text names their outputs, which Nix does not record as
// references), a source (builtins.path) whose file mentions a valid path, a text file
// (builtins.toFile, ca "text:") naming a path without a reference, and an output that
// prints a valid path it was not given.

#include "base/file_descriptor.h"
#include "base/temp_dir.h"
#include "store/sqlite.h"
#include "tests/support/test_support.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

namespace purist::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char* const kNixFile = R"NIX(
let
  sh = args: derivation ({ system = builtins.currentSystem; builder = "/bin/sh";
                           PATH = "/bin:/usr/bin"; } // args);
in rec {
  bootstrap = sh { name = "bootstrap-tools";
    args = [ "-c" "mkdir -p $out/bin; printf '#!/bin/sh\\necho hello\\n' > $out/bin/tool; chmod +x $out/bin/tool" ]; };
  dep = sh { name = "dep"; args = [ "-c" "mkdir $out; echo dep > $out/file" ]; };
  # Built with the bootstrap tools, keeps no reference to them; refers to dep and itself.
  hello = sh { name = "hello"; inherit bootstrap dep;
    args = [ "-c" "mkdir $out; $bootstrap/bin/tool > $out/greeting; ln -s $dep $out/dep; echo $out > $out/self" ]; };
  # Leaks the bootstrap tools into its runtime closure.
  leaky = sh { name = "leaky"; inherit bootstrap;
    args = [ "-c" "mkdir $out; ln -s $bootstrap/bin/tool $out/tool" ]; };
  # Prints a valid path it was not given: not a reference (Nix scans for its inputs only).
  mentions = sh { name = "mentions";
    args = [ "-c" "mkdir $out; echo ${builtins.unsafeDiscardStringContext dep.outPath} > $out/note" ]; };
  # A source whose file names dep's path (the suite writes it), and text files.
  src = builtins.path { path = ./src; name = "src"; };
  script = builtins.toFile "script.sh" "cat ${src}/note";
  mention = builtins.toFile "mention.txt" (builtins.unsafeDiscardStringContext dep.outPath);
  user = sh { name = "user"; inherit script src mention;
    args = [ "-c" "mkdir $out; ln -s $script $out/script; ln -s $mention $out/mention" ]; };
}
)NIX";

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    for (size_t start = 0; start < text.size();) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        if (end > start) out.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

/// The files under `dir` with their sizes and modification times, to show nothing changed.
std::map<std::string, std::pair<uintmax_t, int64_t>> snapshot(const std::string& dir) {
    std::map<std::string, std::pair<uintmax_t, int64_t>> files;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        struct stat st;
        if (::lstat(entry.path().c_str(), &st) != 0) continue;
        files[entry.path().string()] = {static_cast<uintmax_t>(st.st_size),
                                        static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 +
                                            st.st_mtim.tv_nsec};
    }
    return files;
}

class NixStoreE2ETest : public ::testing::Test {
protected:
    // One Nix store for the suite (building it takes about a second); tests that change it
    // work on a copy (copyOfStore).
    static void SetUpTestSuite() {
        if (::geteuid() != 0) {
            skipReason_ = "nix-build into a chroot store here needs root";
            return;
        }
        if (!haveProgram("nix-build") || !haveProgram("nix")) {
            skipReason_ = "Nix is not installed (apt-get install nix-bin)";
            return;
        }
        dir_ = new TempDir("nix-store-e2e-");
        fs::permissions(dir_->path(), fs::perms(0755));
        makeFile(dir_->path() + "/store.nix", kNixFile);
        makeFile(dir_->path() + "/src/README", "a source\n");
        RunResult dep = nixBuild({"dep"});
        if (dep.exitCode != 0) {
            buildError_ = "nix-build -A dep failed:\n" + dep.err;
            return;
        }
        depPath_ = lines(dep.out).back();
        makeFile(dir_->path() + "/src/note", "built against " + depPath_ + "\n");
        RunResult all = nixBuild({"hello", "leaky", "mentions", "user"});
        if (all.exitCode != 0) {
            buildError_ = "nix-build failed:\n" + all.err;
            return;
        }
        outputs_ = lines(all.out);
    }
    static void TearDownTestSuite() {
        delete dir_;
        dir_ = nullptr;
    }

    void SetUp() override {
        if (!skipReason_.empty()) {
            PURIST_SKIP_OUTSIDE_CI(skipReason_);
        }
        ASSERT_EQ(buildError_, "");
        ASSERT_EQ(outputs_.size(), 4u);
    }

    static RunResult nixBuild(const std::vector<std::string>& attrs) {
        std::vector<std::string> argv = nixBuildCommand(storeRoot());
        argv.push_back(dir_->path() + "/store.nix");
        for (const std::string& attr : attrs) {
            argv.push_back("-A");
            argv.push_back(attr);
        }
        return runProgram(argv, "", {"NIX_REMOTE="});
    }
    /// The chroot store's root: what `nix-build --store` was given.
    static std::string storeRoot() { return dir_->path() + "/chroot"; }

    static RunResult nix(std::vector<std::string> args, const std::string& root = "") {
        std::vector<std::string> argv = {"nix", "--extra-experimental-features", "nix-command"};
        argv.insert(argv.end(), args.begin(), args.end());
        argv.insert(argv.end(),
                    {"--store", root.empty() ? storeRoot() : root, "--option", "substituters", ""});
        return runProgram(argv, "", {"NIX_REMOTE="});
    }

    /// Every valid path of the store, from Nix.
    static std::vector<std::string> allPaths(const std::string& root = "") {
        RunResult r = nix({"path-info", "--all"}, root);
        EXPECT_EQ(r.exitCode, 0) << r.err;
        return lines(r.out);
    }

    /// A copy of the chroot store that a test may change.
    std::string copyOfStore() {
        std::string copy = scratch_.path() + "/chroot";
        RunResult cp = runProgram({"cp", "-a", storeRoot(), copy});
        EXPECT_EQ(cp.exitCode, 0) << cp.err;
        return copy;
    }

    static std::string pathNamed(const std::string& suffix) {
        for (const std::string& p : allPaths())
            if (p.size() > suffix.size() && p.ends_with("-" + suffix)) return p;
        ADD_FAILURE() << "no path named " << suffix;
        return "";
    }

    static std::string realPath(const std::string& root, const std::string& path) {
        return root + path; // a chroot store: /nix/store/x is at ROOT/nix/store/x
    }

    TempDir scratch_{"nix-store-e2e-test-"};
    static inline TempDir* dir_ = nullptr;
    static inline std::string skipReason_, buildError_, depPath_;
    static inline std::vector<std::string> outputs_;
};

// `store verify` agrees with `nix-store --verify --check-contents` on the whole store and on
// every path alone. Before issue 11, every .drv whose outputs exist was "refers to <output>
// but the database does not record it" (a derivation names its outputs; Nix never records
// them), and so were the source and the outputs that name a valid path they do not refer to.
TEST_F(NixStoreE2ETest, VerifyAgreesWithNixOnACleanStore) {
    RunResult nixVerify = runProgram(
        {"nix-store", "--store", storeRoot(), "--verify", "--check-contents"}, "", {"NIX_REMOTE="});
    ASSERT_EQ(nixVerify.exitCode, 0) << nixVerify.err;

    // purist's own spelling of the store (StoreFlagSpellingsAndTheEnvironment tries Nix's).
    const std::string store = "nix://" + storeRoot() + "/nix";
    RunResult whole = runPurist({"--store", store, "store", "verify"});
    EXPECT_EQ(whole.exitCode, 0) << whole.out << whole.err;
    EXPECT_EQ(whole.out, "");
    std::vector<std::string> paths = allPaths();
    EXPECT_TRUE(
        contains(whole.err, "verified " + std::to_string(paths.size()) + " paths: 0 problems"))
        << whole.err;
    // Each kind is there: derivations, outputs, the source, the text files.
    size_t derivations = 0;
    for (const std::string& p : paths)
        derivations += p.ends_with(".drv");
    EXPECT_GE(derivations, 6u);
    for (const char* name : {"-src", "-script.sh", "-mention.txt", "-mentions", "-hello"})
        EXPECT_EQ(std::count_if(paths.begin(), paths.end(),
                                [&](const std::string& p) { return p.ends_with(name); }),
                  1)
            << name;
    for (const std::string& path : paths) {
        SCOPED_TRACE(path);
        RunResult one = runPurist({"--store", store, "store", "verify", path});
        EXPECT_EQ(one.exitCode, 0) << one.out << one.err;
    }
}

// A changed file is a problem for both; a reference the contents hold that the database
// lost, or one it records that the contents do not hold, is a problem for purist where the
// references came from a scan (an output), and nothing for a derivation, whose references
// were declared (Nix checks neither).
TEST_F(NixStoreE2ETest, VerifyFindsWhatChangedWhereNixDoesAndRescansOnlyScannedReferences) {
    std::string root = copyOfStore();
    std::string hello = pathNamed("hello");
    std::string dep = pathNamed("dep");
    std::string helloDrv = pathNamed("hello.drv");
    {
        Database db(root + "/nix/var/nix/db/db.sqlite", Database::Mode::ReadWrite);
        // hello's reference to itself is gone from the DB (its contents still hold it);
        // hello.drv loses its reference to dep.drv and gains one to dep; a reference from
        // the leaky output to dep, which its contents do not hold, appears.
        db.exec("delete from Refs where referrer = (select id from ValidPaths where path = '" +
                hello + "') and reference = referrer");
        db.exec("delete from Refs where referrer = (select id from ValidPaths where path = '" +
                helloDrv +
                "') and reference = (select id from ValidPaths where path like "
                "'%-dep.drv')");
        db.exec("insert into Refs (referrer, reference) select a.id, b.id from ValidPaths a, "
                "ValidPaths b where a.path = '" +
                helloDrv + "' and b.path = '" + dep + "'");
        db.exec("insert into Refs (referrer, reference) select a.id, b.id from ValidPaths a, "
                "ValidPaths b where a.path like '%-leaky' and b.path = '" +
                dep + "'");
    }
    RunResult refsOnly = runPurist({"--store", "nix://" + root + "/nix", "store", "verify"});
    EXPECT_EQ(refsOnly.exitCode, 1) << refsOnly.out << refsOnly.err;
    EXPECT_TRUE(contains(refsOnly.out, hello + ": refers to " + hello +
                                           " (in 'self' at byte 11) but the database does not "
                                           "record it"))
        << refsOnly.out;
    EXPECT_TRUE(contains(refsOnly.out, "-leaky: the database records a reference to " + dep +
                                           " that its contents do not hold"))
        << refsOnly.out;
    EXPECT_FALSE(contains(refsOnly.out, ".drv")) << refsOnly.out;
    EXPECT_EQ(lines(refsOnly.out).size(), 2u) << refsOnly.out;
    RunResult nixRefs = runProgram({"nix-store", "--store", root, "--verify", "--check-contents"},
                                   "", {"NIX_REMOTE="});
    EXPECT_EQ(nixRefs.exitCode, 0) << "Nix does not check references:\n" << nixRefs.err;

    // Now a changed file: both see it.
    std::string greeting = realPath(root, hello) + "/greeting";
    fs::permissions(greeting, fs::perms(0644));
    writeFile(greeting, "changed\n");
    RunResult nixVerify = runProgram({"nix-store", "--store", root, "--verify", "--check-contents"},
                                     "", {"NIX_REMOTE="});
    EXPECT_NE(nixVerify.exitCode, 0) << nixVerify.err;
    EXPECT_TRUE(contains(nixVerify.err, hello)) << nixVerify.err;
    RunResult changed = runPurist({"--store", "nix://" + root + "/nix", "store", "verify", hello});
    EXPECT_EQ(changed.exitCode, 1) << changed.out << changed.err;
    EXPECT_TRUE(contains(changed.out, hello + ": NAR hash is ")) << changed.out;
}

// `store info --json` is `nix path-info --json`, field by field, on every path of the store
// (for a derivation, `nix path-info --derivation`: without it Nix describes its outputs),
// and on a path that is not valid. Keys Nix 2.8 leaves out when empty are there with the
// empty value.
TEST_F(NixStoreE2ETest, InfoJsonIsNixPathInfoJson) {
    std::vector<std::string> paths = allPaths();
    std::string missing = "/nix/store/00000000000000000000000000000000-missing";
    for (const std::string& path : paths) {
        SCOPED_TRACE(path);
        std::vector<std::string> args = {"path-info", "--json", path};
        if (path.ends_with(".drv")) args.insert(args.begin() + 1, "--derivation");
        RunResult nixInfo = nix(args);
        ASSERT_EQ(nixInfo.exitCode, 0) << nixInfo.err;
        RunResult info = runPurist(
            {"--store", "nix://" + storeRoot() + "/nix", "store", "info", "--json", path});
        ASSERT_EQ(info.exitCode, 0) << info.err;
        json expected = json::parse(nixInfo.out), actual = json::parse(info.out);
        ASSERT_EQ(expected.size(), 1u);
        ASSERT_EQ(actual.size(), 1u);
        for (const auto& [key, value] : expected[0].items())
            EXPECT_EQ(actual[0][key], value) << key;
        const json empties = {{"ca", nullptr},
                              {"deriver", nullptr},
                              {"ultimate", false},
                              {"signatures", json::array()}};
        for (const auto& [key, value] : empties.items()) {
            if (!expected[0].contains(key)) {
                EXPECT_EQ(actual[0][key], value) << key;
            }
        }
        EXPECT_EQ(actual[0]["valid"], true);
        EXPECT_TRUE(actual[0]["narHash"].get<std::string>().starts_with("sha256-"));
        EXPECT_TRUE(actual[0]["registrationTime"].is_number_integer());
    }
    RunResult nixMissing = nix({"path-info", "--json", missing});
    RunResult purist =
        runPurist({"--store", "nix://" + storeRoot() + "/nix", "store", "info", "--json", missing});
    EXPECT_EQ(purist.exitCode, nixMissing.exitCode) << purist.err << nixMissing.err;
    EXPECT_EQ(json::parse(purist.out), json::parse(nixMissing.out));
}

// --store names a Nix store in each of Nix's spellings and purist's own, and wins over
// $PURIST_ROOT and $PURIST_STORE_DIR (as Nix's --store over $NIX_REMOTE); with --root or
// --store-dir on the command line it is a usage error.
TEST_F(NixStoreE2ETest, StoreFlagSpellingsAndTheEnvironment) {
    std::string hello = pathNamed("hello");
    std::string expected;
    for (const std::string& store : {storeRoot(), storeRoot() + "/", "local?root=" + storeRoot(),
                                     "nix://" + storeRoot() + "/nix", storeRoot() + "/nix"}) {
        SCOPED_TRACE(store);
        RunResult info = runPurist({"--store", store, "store", "info", "--json", hello}, "",
                                   {"PURIST_ROOT=" + scratch_.path() + "/purist-root",
                                    "PURIST_STORE_DIR=/elsewhere/store"});
        ASSERT_EQ(info.exitCode, 0) << info.err;
        if (expected.empty()) expected = info.out;
        EXPECT_EQ(info.out, expected);
        EXPECT_TRUE(contains(info.out, "\"valid\":true")) << info.out;
    }
    EXPECT_FALSE(fs::exists(scratch_.path() + "/purist-root")) << "$PURIST_ROOT was not used";

    RunResult both =
        runPurist({"--root", scratch_.path() + "/r", "--store", storeRoot(), "store", "verify"});
    EXPECT_EQ(both.exitCode, 2);
    EXPECT_TRUE(contains(both.err, "--store and --root cannot be used together")) << both.err;
    RunResult dir =
        runPurist({"--store-dir", "/nix/store", "--store", storeRoot(), "store", "verify"});
    EXPECT_EQ(dir.exitCode, 2);
    EXPECT_TRUE(contains(dir.err, "--store and --store-dir")) << dir.err;
    RunResult neither = runPurist({"--store", scratch_.path(), "store", "verify"});
    EXPECT_EQ(neither.exitCode, 2) << neither.err;
    EXPECT_TRUE(contains(neither.err, "no Nix store at")) << neither.err;
    RunResult daemon = runPurist({"--store", "daemon", "store", "verify"});
    EXPECT_EQ(daemon.exitCode, 2) << daemon.err;
}

// Every command that writes refuses a Nix store before it touches anything: nothing is
// renamed into the store, no scratch or lock file appears under its state dir, the DB is
// unchanged. (Before issue 11, `store add` moved its copy into DIR/nix/store and then failed
// on the read-only DB, leaving an unregistered path behind.)
TEST_F(NixStoreE2ETest, WritingCommandsRefuseANixStoreBeforeTouchingIt) {
    std::string root = copyOfStore();
    makeFile(scratch_.path() + "/file", "to add\n");
    makeFile(scratch_.path() + "/spec.yaml",
             "name: x\nbuilder: /bin/sh\nargs: [-c, 'echo x > $out']\n");
    auto before = snapshot(root);
    // A reader (SQLite's read-only connection, as Nix's own readers) may create or touch
    // the DB's -wal and -shm files, and so its directory; the DB file itself stays as it
    // was. A command that refuses must not even open the DB.
    auto changes = [&before](const std::string& dir, bool readerRan = false) {
        std::string out;
        auto now = snapshot(dir);
        auto sqliteOwn = [&](const std::string& file) {
            return readerRan && (file.ends_with("/db.sqlite-shm") ||
                                 file.ends_with("/db.sqlite-wal") || file.ends_with("/db"));
        };
        for (const auto& [file, stamp] : now)
            if ((!before.count(file) || before.at(file) != stamp) && !sqliteOwn(file))
                out += "changed: " + file + "\n";
        for (const auto& [file, stamp] : before)
            if (!now.count(file)) out += "removed: " + file + "\n";
        return out;
    };
    struct Attempt {
        std::vector<std::string> args;
        const char* says;
    };
    for (const Attempt& a :
         {Attempt{{"store", "add", scratch_.path() + "/file"}, "purist store add writes"},
          Attempt{{"store", "add", "--name", "named", scratch_.path() + "/file"},
                  "purist store add writes"},
          Attempt{{"build", "--no-out-link", scratch_.path() + "/spec.yaml"}, "--store"}}) {
        std::vector<std::string> args = {"--store", "nix://" + root + "/nix"};
        args.insert(args.end(), a.args.begin(), a.args.end());
        SCOPED_TRACE(a.args[0] + " " + a.args[1]);
        RunResult r = runPurist(args);
        EXPECT_EQ(r.exitCode, 2) << r.err;
        EXPECT_TRUE(contains(r.err, a.says)) << r.err;
        EXPECT_TRUE(contains(r.err, "read-only")) << r.err;
        EXPECT_EQ(changes(root), "");
    }
    // What only reads still works, and the dry run computes Nix's path without a store.
    RunResult dry =
        runPurist({"--store", root, "store", "add", "--dry-run", scratch_.path() + "/file"});
    EXPECT_EQ(dry.exitCode, 0) << dry.err;
    RunResult nixAdd = runProgram(
        {"nix-store", "--store", scratch_.path() + "/other", "--add", scratch_.path() + "/file"},
        "", {"NIX_REMOTE="});
    ASSERT_EQ(nixAdd.exitCode, 0) << nixAdd.err;
    EXPECT_EQ(dry.out, nixAdd.out);
    RunResult audit =
        runPurist({"--store", root, "audit", "--policy",
                   std::string(PURIST_SOURCE_DIR) + "/rules/packs/store-permissions.yaml"});
    EXPECT_TRUE(contains(audit.err, "not recorded")) << audit.err;
    EXPECT_EQ(changes(root, true), "");
}

std::set<std::string> findingPaths(const std::string& report, const std::string& rule) {
    std::set<std::string> paths;
    const json parsed = json::parse(report);
    for (const auto& finding : parsed["findings"])
        if (finding["ruleId"] == rule) paths.insert(finding["path"].get<std::string>());
    return paths;
}

// The shipped bootstrap-tools pack flags the output that ships the bootstrap tools, and no
// derivation: every derivation built with them reaches them at build time by design. A rule
// that asks for derivations gets them (only, or as well).
TEST_F(NixStoreE2ETest, AuditsLeaveDerivationsToRulesThatAskForThem) {
    const std::string pack = std::string(PURIST_SOURCE_DIR) + "/rules/packs/bootstrap-tools.yaml";
    const std::string rule = "bootstrap-tools/no-bootstrap-requisites";
    std::string leaky = pathNamed("leaky");
    RunResult audit = runPurist({"--store", "nix://" + storeRoot() + "/nix", "audit", "--policy",
                                 pack, "--format", "json"});
    EXPECT_EQ(audit.exitCode, 1) << audit.err;
    EXPECT_EQ(findingPaths(audit.out, rule), (std::set<std::string>{leaky})) << audit.out;

    std::set<std::string> buildsWithBootstrap = {pathNamed("hello.drv"), pathNamed("leaky.drv")};
    for (const char* which : {"only", "include"}) {
        SCOPED_TRACE(which);
        std::string policy = scratch_.path() + "/" + which + ".yaml";
        makeFile(policy, std::string("rules:\n  - id: builds\n    match: {derivations: ") + which +
                             "}\n    forbid-requisites: {names: ['^bootstrap-tools']}\n");
        RunResult r = runPurist({"--store", "nix://" + storeRoot() + "/nix", "audit", "--policy",
                                 policy, "--format", "json"});
        EXPECT_EQ(r.exitCode, 1) << r.err;
        std::set<std::string> expected = buildsWithBootstrap;
        if (std::string(which) == "include") expected.insert(leaky);
        EXPECT_EQ(findingPaths(r.out, "builds"), expected) << r.out;
    }
    // A content rule for derivations: the builder is the host's /bin/sh in every one.
    std::string builders = scratch_.path() + "/builders.yaml";
    makeFile(builders, "rules:\n  - id: builders\n    match: {derivations: only}\n"
                       "    forbid-content: {patterns: ['\\(\"builder\",\"/(bin|usr)/']}\n");
    RunResult r = runPurist({"--store", "nix://" + storeRoot() + "/nix", "audit", "--policy",
                             builders, "--format", "json"});
    EXPECT_EQ(r.exitCode, 1) << r.err;
    std::set<std::string> drvs;
    for (const std::string& p : allPaths())
        if (p.ends_with(".drv")) drvs.insert(p);
    EXPECT_EQ(findingPaths(r.out, "builders"), drvs);
}

} // namespace
} // namespace purist::testing
