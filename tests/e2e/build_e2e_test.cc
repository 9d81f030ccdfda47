// `purist build` end to end: the examples in strict mode, rebuilds, out links and GC
// roots, the sandbox modes, and every way a build can fail.

#include "base/file_descriptor.h"
#include "base/temp_dir.h"
#include "policy/build_users.h"
#include "tests/support/test_support.h"

#include <gtest/gtest.h>

#include <dirent.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <optional>
#include <thread>

namespace purist::testing {
namespace {

const std::string kExamples = std::string(PURIST_SOURCE_DIR) + "/examples";

using testing::listDir;

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        out.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

class BuildE2eTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (std::string why = whyNoStrictBuilds(); !why.empty()) {
            PURIST_SKIP_OUTSIDE_CI(why);
        }
        dir_.emplace("build-e2e-");
        // Unsandboxed builds run as a build user, who must be able to reach the store.
        std::filesystem::permissions(dir_->path(), std::filesystem::perms(0755));
        root_ = dir_->path() + "/root";
    }

    RunResult build(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
        std::vector<std::string> argv = {"--root", root_, "build", "--config",
                                         kExamples + "/purist.yaml"};
        argv.insert(argv.end(), args.begin(), args.end());
        return runPurist(argv, "", env);
    }
    std::string spec(const std::string& name, const std::string& text) {
        std::string path = dir_->path() + "/" + name;
        makeFile(path, text);
        return path;
    }
    std::string link(const std::string& name) { return dir_->path() + "/" + name; }
    std::vector<std::string> storeEntries() { return listDir(root_ + "/store"); }
    bool storeHas(const std::string& suffix) {
        for (const auto& e : storeEntries())
            if (e.ends_with(suffix)) return true;
        return false;
    }

    std::optional<TempDir> dir_;
    std::string root_;
};

TEST_F(BuildE2eTest, ExamplesBuildInStrictModeWithResultLinksThatAreGcRoots) {
    RunResult r = build({kExamples + "/hello-clean.yaml", kExamples + "/libgreet.yaml",
                         kExamples + "/greeting-fixed.yaml", "--out-link", link("result")});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    std::vector<std::string> paths = lines(r.out);
    ASSERT_EQ(paths.size(), 3u) << r.out;
    EXPECT_TRUE(paths[0].ends_with("-hello-1.0")) << paths[0];
    EXPECT_TRUE(paths[1].ends_with("-libgreet-1.0")) << paths[1];
    EXPECT_TRUE(paths[2].ends_with("-greeting.txt")) << paths[2];
    for (const char* name : {"bootstrap-tools-1.0", "libgreet-1.0", "hello-1.0"})
        EXPECT_TRUE(contains(r.err, std::string("building '") + name + "'")) << r.err;
    EXPECT_TRUE(contains(r.err, "sandbox strict")) << r.err;
    EXPECT_TRUE(contains(r.err, "hello-1.0> Hello, sandbox!")) << r.err;

    const std::vector<std::string> names = {"result", "result-2", "result-3"};
    for (size_t i = 0; i < names.size(); ++i) {
        std::error_code ec;
        std::string target = std::filesystem::read_symlink(link(names[i]), ec).string();
        EXPECT_EQ(target, paths[i]) << names[i];
    }
    EXPECT_EQ(readFile(link("result-3")), "hello, fixed world\n");
    RunResult hello = runProgram({link("result") + "/bin/hello", "e2e"});
    EXPECT_EQ(hello.exitCode, 0) << hello.err;
    EXPECT_EQ(hello.out, "Hello, e2e!\n") << hello.err;

    // Indirect roots: gcroots/auto/<name> -> each result link.
    std::set<std::string> rootTargets;
    for (const auto& name : listDir(root_ + "/gcroots/auto"))
        rootTargets.insert(std::filesystem::read_symlink(root_ + "/gcroots/auto/" + name).string());
    EXPECT_EQ(rootTargets,
              (std::set<std::string>{link("result"), link("result-2"), link("result-3")}));

    // ... which `purist store roots` reads as the roots keeping the outputs alive.
    RunResult roots = runPurist({"--root", root_, "store", "roots"});
    ASSERT_EQ(roots.exitCode, 0) << roots.err;
    for (size_t i = 0; i < names.size(); ++i)
        EXPECT_TRUE(contains(roots.out, link(names[i]) + " -> " + paths[i])) << roots.out;

    // The leak the checker example catches: libgreet's output names the bootstrap tools.
    std::string la = readFile(link("result-2") + "/lib/libgreet.la");
    EXPECT_TRUE(contains(la, "-bootstrap-tools-1.0/bin/gcc")) << la;

    // Build logs are kept under logs/.
    bool helloLog = false;
    for (const auto& name : listDir(root_ + "/logs"))
        helloLog = helloLog || (name.ends_with("-hello-1.0.log") &&
                                contains(readFile(root_ + "/logs/" + name), "Hello, sandbox!"));
    EXPECT_TRUE(helloLog);
}

// `purist build` gates on a spec's checks (build_checks_e2e_test); `purist check SPEC`
// re-checks built outputs, against checks changed since (checks are not hashed into the
// output paths, so editing one rebuilds nothing).
TEST_F(BuildE2eTest, CheckingASpecRunsItsChecksOnItsBuiltOutputs) {
    // Not built yet (in a store that exists): the spec's outputs cannot be checked.
    ASSERT_EQ(build({kExamples + "/greeting-fixed.yaml", "--no-out-link"}).exitCode, 0);
    RunResult early = runPurist({"--root", root_, "check", kExamples + "/hello-clean.yaml"});
    EXPECT_EQ(early.exitCode, 2) << early.out << early.err;
    EXPECT_TRUE(contains(early.err, "purist build first")) << early.err;

    // hello's `checks: disallowedRequisites: [bootstrap-tools.yaml]` fails the build, with
    // the chain through libgreet's libgreet.la; hello-clean's identical check passes.
    RunResult leaky = build({kExamples + "/hello.yaml", "--no-out-link"});
    EXPECT_EQ(leaky.exitCode, 3) << leaky.out << leaky.err;
    EXPECT_TRUE(contains(leaky.err, "spec/hello-1.0/disallowedRequisites")) << leaky.err;
    // The hash part of libgreet's path, after "#!/bin/sh\n. " and the store dir.
    const std::string helloHop =
        "bin/hello @ " + std::to_string(12 + (root_ + "/store/").size()) + "  \"#!/bin/sh";
    EXPECT_TRUE(contains(leaky.err, helloHop)) << leaky.err;
    EXPECT_TRUE(contains(leaky.err, "lib/libgreet.la @ ")) << leaky.err;
    ASSERT_EQ(build({kExamples + "/hello-clean.yaml", "--no-out-link"}).exitCode, 0);
    RunResult clean = runPurist({"--root", root_, "check", kExamples + "/hello-clean.yaml"});
    EXPECT_EQ(clean.exitCode, 0) << clean.out << clean.err;

    // The same build, its check changed: valid already, so `build` builds nothing and
    // checks nothing; `check` judges the output by the new check.
    std::string app = spec("app.yaml", readFile(kExamples + "/hello-clean.yaml"));
    for (const char* input : {"libgreet-clean.yaml", "bootstrap-tools.yaml"})
        makeFile(dir_->path() + "/" + input, readFile(kExamples + "/" + input));
    std::filesystem::create_directory_symlink(kExamples + "/src", dir_->path() + "/src");
    std::string text = readFile(app);
    text.replace(text.find("[bootstrap-tools.yaml]"), 22, "[libgreet-clean.yaml]");
    makeFile(app, text);
    RunResult rebuilt = build({app, "--no-out-link"});
    EXPECT_EQ(rebuilt.exitCode, 0) << rebuilt.err;
    EXPECT_FALSE(contains(rebuilt.err, "building")) << rebuilt.err;
    RunResult changed = runPurist({"--root", root_, "check", app});
    EXPECT_EQ(changed.exitCode, 1) << changed.out << changed.err;
    EXPECT_TRUE(contains(changed.out, "spec/hello-1.0/disallowedRequisites")) << changed.out;
    EXPECT_TRUE(contains(changed.out, helloHop)) << changed.out;
    // Spec checks and a policy combine.
    RunResult both = runPurist({"--root", root_, "check", "--policy", kExamples + "/policy.yaml",
                                kExamples + "/hello-clean.yaml", "--format", "json"});
    EXPECT_EQ(both.exitCode, 0) << both.out << both.err;
    EXPECT_TRUE(contains(both.out, "spec/hello-1.0/disallowedRequisites")) << both.out;
}

TEST_F(BuildE2eTest, ASecondBuildBuildsNothing) {
    RunResult first = build({kExamples + "/hello-clean.yaml", "--no-out-link"});
    ASSERT_EQ(first.exitCode, 0) << first.err;
    size_t entries = storeEntries().size();
    RunResult second = build({kExamples + "/hello-clean.yaml", "--no-out-link"});
    ASSERT_EQ(second.exitCode, 0) << second.err;
    EXPECT_EQ(second.out, first.out);
    EXPECT_FALSE(contains(second.err, "building")) << second.err;
    EXPECT_EQ(storeEntries().size(), entries);
    EXPECT_TRUE(listDir(root_ + "/gcroots/auto").empty()) << "--no-out-link adds no root";
    EXPECT_FALSE(std::filesystem::exists(link("result")));
}

// As root, a build whose every build user is held elsewhere (here by this test, as another
// purist process would) says so and waits, then builds once one is given back: with -j1
// (the job runs on the scheduler's thread) and -j2 (on a worker).
TEST_F(BuildE2eTest, AsRootABuildWaitsForABuildUserHeldElsewhere) {
    if (::geteuid() != 0) PURIST_SKIP_OUTSIDE_CI("build users are for builds run as root");
    std::filesystem::create_directories(root_);
    policy::BuildUserPool pool("purist-build"); // machine-wide, as purist's
    for (const char* jobs : {"-j1", "-j2"}) {
        SCOPED_TRACE(jobs);
        // Every user, waiting for those that concurrent tests' builds hold: the pool is
        // machine-wide, and a user taken with tryAcquire's gaps would be freed mid-test.
        std::vector<policy::BuildUserLock> held;
        for (size_t i = 0; i < pool.size(); ++i)
            held.push_back(pool.acquire());
        std::string name = std::string("patient") + (jobs + 1);
        std::string file = spec(name + ".yaml", "name: " + name +
                                                    "\nbuilder: /bin/sh\n"
                                                    "args: [-c, 'echo patient > $out']\n");
        std::atomic<bool> done{false};
        RunResult result;
        std::thread purist([&] {
            result = build({file, "--no-out-link", jobs});
            done = true;
        });
        // Long enough for purist to start and reach the pool on a loaded machine (at load
        // 10, 500 ms was not: it found the users given back and never waited).
        std::this_thread::sleep_for(std::chrono::milliseconds(1500));
        EXPECT_FALSE(done) << "the build did not wait for a build user";
        held.clear();
        purist.join();
        EXPECT_EQ(result.exitCode, 0) << result.err;
        EXPECT_TRUE(contains(result.err, "waiting for a free build user for '" + name + "'"))
            << result.err;
        EXPECT_TRUE(storeHas("-" + name));
    }
}

TEST_F(BuildE2eTest, NoSandboxIsRefusedInStrictModeAndHonouredInRelaxedMode) {
    std::string file = spec("unsandboxed.yaml", "name: unsandboxed\nbuilder: /bin/sh\n"
                                                "args: [-c, 'echo $PWD > $out']\n"
                                                "no-sandbox: true\n");
    RunResult strict = build({file, "--no-out-link"});
    EXPECT_EQ(strict.exitCode, 4) << strict.err;
    EXPECT_TRUE(contains(strict.err, file + ":4:13: 'unsandboxed' asks for no-sandbox: true, "
                                            "which sandbox mode strict refuses"))
        << strict.err;
    EXPECT_FALSE(storeHas("-unsandboxed"));

    RunResult relaxed = build({file, "--no-out-link", "--sandbox", "relaxed"});
    ASSERT_EQ(relaxed.exitCode, 0) << relaxed.err;
    EXPECT_TRUE(contains(relaxed.err, "sandbox off")) << relaxed.err;
    // Unsandboxed, the build directory is the host path, not /build.
    std::string out = readFile(lines(relaxed.out).at(0));
    EXPECT_TRUE(out.starts_with(root_ + "/tmp/scratch-build-")) << out;
}

TEST_F(BuildE2eTest, FixedOutputMismatchNamesBothHashesAndRegistersNothing) {
    std::string file = spec(
        "wrong.yaml", "name: wrong.txt\nbuilder: /bin/sh\n"
                      "args: [-c, 'echo \"hello, other world\" > $out']\n"
                      "fixed-output: {hash: 'sha256-syIWboH1nig9En1G+6Dp3D0gDmMv5qYxrrhSi8W8xko=', "
                      "mode: flat}\n");
    RunResult r = build({file, "--no-out-link"});
    EXPECT_EQ(r.exitCode, 3) << r.err;
    EXPECT_TRUE(contains(r.err, "hash mismatch in fixed-output build 'wrong.txt'")) << r.err;
    EXPECT_TRUE(contains(r.err, "declared: sha256-syIWboH1nig9En1G+6Dp3D0gDmMv5qYxrrhSi8W8xko="))
        << r.err;
    EXPECT_TRUE(contains(r.err, "got:      sha256-nre60CbDhAxn7w/AqKLD+bjLp9hhITYcPUGmP+vM3s4="))
        << r.err;
    EXPECT_FALSE(storeHas("-wrong.txt"));
}

TEST_F(BuildE2eTest, AFailedBuildRegistersNothingAndItsDependantsAreNamed) {
    std::string failing =
        spec("failing.yaml", "name: failing\nbuilder: /bin/sh\n"
                             "args: [-c, 'echo partial > $out; echo giving up; exit 3']\n");
    std::string dependant = spec("dependant.yaml", "name: dependant\nbuilder: /bin/sh\n"
                                                   "args: [-c, 'echo > $out']\n"
                                                   "inputs: [failing.yaml]\n");
    std::string fine =
        spec("fine.yaml", "name: fine\nbuilder: /bin/sh\nargs: [-c, 'echo > $out']\n");
    for (std::string mode : {"strict", "off"}) {
        RunResult r = build({dependant, fine, "--no-out-link", "--sandbox", mode, "-j", "2"});
        EXPECT_EQ(r.exitCode, 3) << mode << r.err;
        EXPECT_TRUE(contains(r.err, "failing> giving up")) << r.err;
        EXPECT_TRUE(contains(r.err, failing + ": builder for 'failing' failed with exit code 3"))
            << r.err;
        EXPECT_TRUE(contains(r.err, "not built because an input failed:\n  " + dependant)) << r.err;
        EXPECT_FALSE(storeHas("-failing")) << mode;
        EXPECT_FALSE(storeHas("-dependant")) << mode;
        EXPECT_TRUE(storeHas("-fine")) << mode << ": independent builds still run";
    }
    // --keep-failed keeps the build directory and says where.
    RunResult kept = build({failing, "--no-out-link", "--keep-failed"});
    EXPECT_EQ(kept.exitCode, 3);
    auto at = kept.err.find("note: keeping the build directory of 'failing': ");
    ASSERT_NE(at, std::string::npos) << kept.err;
    std::string keptDir = lines(kept.err.substr(at)).at(0).substr(48);
    EXPECT_TRUE(std::filesystem::is_directory(keptDir + "/build")) << keptDir;
    EXPECT_FALSE(storeHas("-failing"));
}

// The gate, as Nix's: a build whose outputs break their spec's checks fails (exit 3), its
// dependants are not built, nothing of it is registered or left in the store dir, and the
// error shows what `purist check` shows: the rule, the chain, the file and byte offset of
// each hop. base <- mid <- app <- user; each of mid and app writes "prefix:<input path>" to
// share/ref, so every hop is share/ref at the byte after "prefix:" and the store dir.
class BuildGateTest : public BuildE2eTest {
protected:
    void SetUp() override {
        BuildE2eTest::SetUp();
        if (IsSkipped()) return;
        spec("base.yaml", script("base", "mkdir $out; echo base > $out/file"));
        spec("mid.yaml", script("mid", refTo("base"), "inputs: [base.yaml]\n"));
        user_ = spec("user.yaml", script("user", "echo > $out", "inputs: [app.yaml]\n"));
        fine_ = spec("fine.yaml", script("fine", "echo > $out"));
    }

    static std::string script(const std::string& name, const std::string& body,
                              const std::string& rest = "") {
        return "name: " + name + "\nbuilder: /bin/sh\nargs: [-c, '" + body +
               "']\nenv: {PATH: /bin:/usr/bin}\n" + rest;
    }
    static std::string refTo(const std::string& input) {
        return "mkdir -p $out/share; printf prefix:%s $" + input + " > $out/share/ref";
    }
    // app, 4 KiB of zeros beside its reference to mid, with `checks`.
    std::string app(const std::string& checks) {
        return spec("app.yaml", script("app", refTo("mid") + "; head -c 4096 /dev/zero > $out/z",
                                       "inputs: [mid.yaml]\nchecks: " + checks + "\n"));
    }
    // Scratch directories a run left under tmp/: none, unless --keep-failed kept one.
    std::vector<std::string> scratchLeft() {
        std::vector<std::string> left;
        for (const auto& e : listDir(root_ + "/tmp"))
            if (e.starts_with("scratch-") || e.starts_with("kept-")) left.push_back(e);
        return left;
    }
    void expectStoreClean() {
        RunResult verify = runPurist({"--root", root_, "store", "verify"});
        EXPECT_EQ(verify.exitCode, 0) << verify.out << verify.err;
        EXPECT_TRUE(contains(verify.out + verify.err, " 0 problems")) << verify.out << verify.err;
    }
    // Whether the store DB holds `path` as valid.
    bool isValid(const std::string& path) {
        return runPurist({"--root", root_, "store", "info", path}).exitCode == 0;
    }
    // The checked path of the report's first finding ("✗ PATH: ...").
    static std::string refusedPath(const std::string& err) {
        size_t at = err.find("✗ ");
        if (at == std::string::npos) return "";
        at += std::string("✗ ").size();
        return err.substr(at, err.find(':', at) - at);
    }

    std::string user_, fine_;
};

TEST_F(BuildGateTest, OutputsThatBreakTheirChecksFailTheBuildAndRegisterNothing) {
    const std::string hop = "share/ref @ " + std::to_string(7 + (root_ + "/store/").size()) +
                            "  \"prefix:" + root_ + "/store/";
    struct Case {
        const char* checks;
        const char* rule;
        std::vector<std::string> evidence;
    };
    const Case cases[] = {
        {"{allowedReferences: []}",
         "allowedReferences",
         {"-mid, which allowedReferences does not list", hop}},
        {"{disallowedReferences: [mid.yaml]}",
         "disallowedReferences",
         {"-mid, which disallowedReferences forbids", hop}},
        // The chain app -> mid -> base, each hop with its file and offset.
        {"{disallowedRequisites: [base.yaml]}",
         "disallowedRequisites",
         {"-base, which disallowedRequisites forbids", "└─ " + hop, "   └─ " + hop}},
        {"{maxSize: 1000}", "maxSize", {" bytes, above maxSize 1000"}},
    };
    for (const std::string mode : {"strict", "off"})
        for (const Case& c : cases) {
            SCOPED_TRACE(mode + " " + c.checks);
            std::string file = app(c.checks);
            RunResult r = build({user_, fine_, "--no-out-link", "--sandbox", mode, "-j", "2"});
            EXPECT_EQ(r.exitCode, 3) << r.err;
            EXPECT_TRUE(contains(r.err, file + ": outputs of 'app' fail their checks, so none is "
                                               "registered"))
                << r.err;
            EXPECT_TRUE(contains(r.err, std::string("error spec/app/") + c.rule + ": 1 finding"))
                << r.err;
            for (const std::string& evidence : c.evidence)
                EXPECT_TRUE(contains(r.err, evidence)) << evidence << "\n" << r.err;
            EXPECT_TRUE(contains(r.err, "not built because an input failed:\n  " + user_)) << r.err;
            std::string out = refusedPath(r.err);
            EXPECT_TRUE(out.ends_with("-app")) << r.err;
            EXPECT_FALSE(isValid(out)) << out;
            EXPECT_FALSE(storeHas("-app"));
            EXPECT_FALSE(storeHas("-user"));
            EXPECT_TRUE(storeHas("-mid"));
            EXPECT_TRUE(storeHas("-fine")) << "independent builds still run";
            EXPECT_EQ(scratchLeft(), std::vector<std::string>{});
            expectStoreClean();
        }
}

TEST_F(BuildGateTest, KeepFailedKeepsTheRefusedOutputAndSaysWhere) {
    for (const std::string mode : {"strict", "off"}) {
        SCOPED_TRACE(mode);
        app("{disallowedRequisites: [base.yaml]}");
        RunResult r = build({user_, "--no-out-link", "--sandbox", mode, "--keep-failed"});
        EXPECT_EQ(r.exitCode, 3) << r.err;
        std::string out = refusedPath(r.err);
        const std::string note = "note: keeping the output " + out +
                                 " of 'app', which failed "
                                 "its checks: ";
        auto at = r.err.find(note);
        ASSERT_NE(at, std::string::npos) << r.err;
        std::string kept = lines(r.err.substr(at + note.size())).at(0);
        EXPECT_TRUE(kept.starts_with(root_ + "/tmp/kept-build-")) << kept;
        EXPECT_TRUE(kept.ends_with(out.substr(out.rfind('/')))) << kept;
        std::string mid;
        for (const auto& e : storeEntries())
            if (e.ends_with("-mid")) mid = root_ + "/store/" + e;
        EXPECT_EQ(readFile(kept + "/share/ref"), "prefix:" + mid);
        EXPECT_FALSE(isValid(out));
        EXPECT_FALSE(storeHas("-app"));
        expectStoreClean();
        for (const auto& e : scratchLeft())
            removeTree(root_ + "/tmp/" + e);
    }
}

TEST_F(BuildGateTest, OutputsThatPassTheirChecksAreRegistered) {
    std::string file = app("{allowedReferences: [mid.yaml], allowedRequisites: [mid.yaml, "
                           "base.yaml], disallowedReferences: [base.yaml], maxSize: 1MiB, "
                           "maxClosureSize: 1MiB}");
    RunResult r = build({file, user_, "--no-out-link"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    std::vector<std::string> paths = lines(r.out);
    ASSERT_EQ(paths.size(), 2u) << r.out;
    EXPECT_TRUE(isValid(paths[0])) << paths[0];
    EXPECT_TRUE(isValid(paths[1])) << paths[1];
    RunResult checked = runPurist({"--root", root_, "check", file});
    EXPECT_EQ(checked.exitCode, 0) << checked.out << checked.err;
    expectStoreClean();
}

// Nix registers none of a derivation's outputs when one breaks its checks (as
// nix_verdicts_e2e_test's NixRegistersNoOutputOfARefusedBuild shows of Nix 2.8).
TEST_F(BuildGateTest, OneOutputBreakingItsChecksRegistersNoOutput) {
    std::string file = spec("two.yaml", script("two", "mkdir $out $lib; ln -s $out $lib/link",
                                               "outputs: [out, lib]\nchecks:\n  outputChecks:\n"
                                               "    out: {allowedReferences: []}\n"
                                               "    lib: {allowedReferences: []}\n"));
    RunResult r = build({file, "--no-out-link"});
    EXPECT_EQ(r.exitCode, 3) << r.err;
    EXPECT_TRUE(contains(r.err, "error spec/two/outputChecks.lib.allowedReferences: 1 finding"))
        << r.err;
    EXPECT_TRUE(contains(r.err, "└─ link @ " + std::to_string((root_ + "/store/").size())))
        << r.err;
    EXPECT_FALSE(contains(r.err, "outputChecks.out.")) << "out passes its own check\n" << r.err;
    EXPECT_TRUE(refusedPath(r.err).ends_with("-two-lib")) << r.err;
    EXPECT_FALSE(storeHas("-two"));
    EXPECT_FALSE(storeHas("-two-lib"));
    EXPECT_EQ(scratchLeft(), std::vector<std::string>{});
    expectStoreClean();
}

TEST_F(BuildE2eTest, TimeoutKillsTheBuild) {
    std::string file = spec("slow.yaml", "name: slow\nbuilder: /bin/sh\n"
                                         "args: [-c, 'echo started; sleep 60; echo > $out']\n"
                                         "env: {PATH: /bin:/usr/bin}\n");
    auto begin = std::chrono::steady_clock::now();
    RunResult r = build({file, "--no-out-link", "--timeout", "1"});
    auto elapsed = std::chrono::steady_clock::now() - begin;
    EXPECT_EQ(r.exitCode, 3) << r.err;
    EXPECT_TRUE(contains(r.err, "builder for 'slow' timed out after 1 seconds")) << r.err;
    EXPECT_LT(elapsed, std::chrono::seconds(20));
    EXPECT_FALSE(storeHas("-slow"));
}

TEST_F(BuildE2eTest, OffModeBuildsStraightIntoTheStoreAndRefusesAForeignStoreDir) {
    RunResult r =
        build({kExamples + "/hello-clean.yaml", "--sandbox", "off", "--out-link", link("off")});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "sandbox off")) << r.err;
    EXPECT_EQ(runProgram({link("off") + "/bin/hello"}).out, "Hello, world!\n");

    RunResult foreign = runPurist({"--root", dir_->path() + "/other", "--store-dir", "/nix/store",
                                   "build", "--config", kExamples + "/purist.yaml", "--sandbox",
                                   "off", "--no-out-link", kExamples + "/hello-clean.yaml"});
    EXPECT_EQ(foreign.exitCode, 4) << foreign.err;
    EXPECT_TRUE(contains(foreign.err, "logical store dir /nix/store is not where the files are"))
        << foreign.err;
}

TEST_F(BuildE2eTest, BadSpecIsAConfigurationErrorWithItsPosition) {
    std::string file = spec("typo.yaml", "name: typo\nbuilder: /bin/sh\nouptuts: [out]\n");
    RunResult r = build({file, "--no-out-link"});
    EXPECT_EQ(r.exitCode, 2) << r.err;
    EXPECT_TRUE(contains(r.err, file + ":3:1: unknown key 'ouptuts'")) << r.err;
}

TEST_F(BuildE2eTest, AsRootAMissingBuildUsersGroupIsRefusedWithTheCommandsThatCreateIt) {
    if (::geteuid() != 0) {
        PURIST_SKIP_OUTSIDE_CI("build users are used only when purist runs as root");
    }
    RunResult r = build({kExamples + "/hello-clean.yaml", "--no-out-link", "--option",
                         "build-users-group", "purist-no-such-group"});
    EXPECT_EQ(r.exitCode, 4) << r.err;
    EXPECT_TRUE(contains(r.err, "build users group 'purist-no-such-group'")) << r.err;
    EXPECT_TRUE(contains(r.err, "groupadd --system purist-no-such-group")) << r.err;
    EXPECT_FALSE(storeHas("-hello-1.0"));
}

TEST(ConfigShowE2e, PrintsEveryValueWithItsOrigin) {
    TempDir dir("config-e2e-");
    std::string config = dir.path() + "/purist.yaml";
    makeFile(config, "sandbox: relaxed\nmax-jobs: 3\n");
    RunResult r = runPurist({"config", "show", "--config", config, "--timeout", "9"}, "",
                            {"PURIST_MAX_SILENT_TIME=4", "XDG_CONFIG_HOME=" + dir.path()});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_TRUE(contains(r.out, "relaxed")) << r.out;
    EXPECT_TRUE(contains(r.out, "# " + config + ":1:10 (--config file)")) << r.out;
    EXPECT_TRUE(contains(r.out, "# " + config + ":2:11 (--config file)")) << r.out;
    EXPECT_TRUE(contains(r.out, "# PURIST_MAX_SILENT_TIME (environment)")) << r.out;
    EXPECT_TRUE(contains(r.out, "# --timeout (flag)")) << r.out;
    EXPECT_TRUE(contains(r.out, "build-users-group")) << r.out;

    makeFile(config, "sandbox: relaxed\nmax-jobs: many\n");
    RunResult bad = runPurist({"config", "show", "--config", config});
    EXPECT_EQ(bad.exitCode, 2);
    EXPECT_TRUE(contains(bad.err, config + ":2:11: max-jobs must be a whole number")) << bad.err;
}

} // namespace
} // namespace purist::testing
