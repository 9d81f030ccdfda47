// The build orchestration with the namespace code replaced by a fake: what each builder is
// given (environment, mounts, network, user), and what happens to its outputs.

#include "builds/build_runner.h"
#include "builds/spec_check_rules.h"

#include "base/error.h"
#include "base/file_descriptor.h"
#include "base/temp_dir.h"
#include "tests/support/test_support.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <future>
#include <grp.h>
#include <mutex>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace purist::builds {
namespace {

using purist::testing::makeFile;

class BuilderTest : public ::testing::Test {
protected:
    void SetUp() override {
        // Neither root nor namespaces are needed: the fake stands in for both. (As root,
        // AsRootEachBuildRunsAsABuildUser runs the build user pool too.)
        options_.asRoot = false;
        options_.canIsolate = [](std::string*) { return true; };
        // The logical store dir differs from the real one, as for a store mimicking Nix's.
        store_.emplace(StoreLayout::atRoot(dir_.path() + "/root", "/nix/store"));
        options_.print = [this](std::string_view line) { printed_ += std::string(line) + "\n"; };
        options_.run = [this](const sandbox::SandboxConfig& config) { return fakeRun(config); };
    }

    // Stands in for sandbox::runInSandbox: records the config and writes each output (naming every
    // input it was given, so references are found) unless told to fail.
    sandbox::SandboxResult fakeRun(const sandbox::SandboxConfig& config) {
        {
            std::lock_guard lock(mutex_);
            configs_[config.env.at("name")] = config;
        }
        if (throwSandboxError_) throw SandboxError("sandbox: cannot mount /nowhere");
        std::vector<std::string> outputs;
        std::istringstream names(config.env.at("outputs"));
        for (std::string name; names >> name;)
            outputs.push_back(name);
        for (const auto& name : outputs) {
            std::string logical = config.env.at(name);
            std::string host =
                config.isolate ? config.outputDir + logical.substr(logical.rfind('/')) : logical;
            makeFile(host, "inputs: " + config.env.at("PURIST_INPUTS") + "\n");
        }
        if (config.onLogLine) config.onLogLine("built " + config.env.at("name"));
        sandbox::SandboxResult result;
        result.exitCode = exitCode_;
        return result;
    }

    std::string spec(const std::string& name, const std::string& text) {
        std::string path = dir_.path() + "/" + name;
        makeFile(path, text);
        return path;
    }

    TempDir dir_{"builder-test-"};
    std::optional<LocalStore> store_;
    BuildOptions options_;
    std::string printed_;
    std::mutex mutex_;
    std::map<std::string, sandbox::SandboxConfig> configs_;
    int exitCode_ = 0;
    bool throwSandboxError_ = false;
};

TEST_F(BuilderTest, EachBuilderGetsItsEnvironmentAndTheClosureOfItsInputs) {
    spec("src/data.txt", "data\n");
    spec("lib.yaml", "name: lib\nbuilder: /bin/sh\noutputs: [out, dev]\n");
    std::string app = spec("app.yaml", "name: app\nbuilder: /bin/sh\nargs: [-c, build]\n"
                                       "env: {LANG: C}\ninputs: [lib.yaml]\nsources: {src: src}\n"
                                       "checks: {allowedReferences: [lib.yaml]}\n");
    // An optional entry naming a store path that is not valid is left out: whatever lies
    // at its location is no store path's content.
    options_.settings.sandboxPaths = {
        {"/bin", "/bin", false},
        {"/opt/x", "/usr/x", true},
        {"/gone", "/nix/store/00000000000000000000000000000000-gone/bin", true}};
    std::vector<BuildResult> results = buildSpecs(*store_, {app}, options_);

    ASSERT_EQ(results.size(), 1u);
    const BuildResult& result = results[0];
    EXPECT_TRUE(result.built);
    ASSERT_EQ(result.outputs.size(), 1u);
    const std::string& out = result.outputs[0].second;
    EXPECT_TRUE(out.starts_with("/nix/store/") && out.ends_with("-app")) << out;

    const sandbox::SandboxConfig& lib = configs_.at("lib");
    const sandbox::SandboxConfig& config = configs_.at("app");
    EXPECT_TRUE(config.isolate);
    EXPECT_EQ(config.builder, "/bin/sh");
    EXPECT_EQ(config.args, (std::vector<std::string>{"-c", "build"}));
    EXPECT_EQ(config.storeDir, "/nix/store");
    EXPECT_FALSE(config.hostNetwork);
    EXPECT_EQ(config.env.at("out"), out);
    EXPECT_EQ(config.env.at("outputs"), "out");
    EXPECT_EQ(config.env.at("LANG"), "C");
    EXPECT_EQ(config.env.at("PATH"), "/path-not-set");
    EXPECT_EQ(config.env.at("HOME"), "/homeless-shelter");
    EXPECT_EQ(config.env.at("NIX_STORE"), "/nix/store");
    for (const char* var : {"NIX_BUILD_TOP", "TMPDIR", "TEMPDIR", "TMP", "TEMP", "PWD"})
        EXPECT_EQ(config.env.at(var), "/build") << var;
    EXPECT_EQ(config.env.at("lib"), lib.env.at("out"));
    EXPECT_EQ(config.env.at("lib_dev"), lib.env.at("dev"));
    EXPECT_TRUE(config.env.at("src").starts_with("/nix/store/"));
    // Every input path, sorted by base name, separated by spaces; sources are not inputs.
    std::set<std::string> inputs = {lib.env.at("out"), lib.env.at("dev")};
    std::string expectedInputs;
    std::vector<std::string> byBaseName(inputs.begin(), inputs.end());
    std::sort(byBaseName.begin(), byBaseName.end(), [](const std::string& a, const std::string& b) {
        return a.substr(11) < b.substr(11);
    });
    for (const auto& p : byBaseName)
        expectedInputs += (expectedInputs.empty() ? "" : " ") + p;
    EXPECT_EQ(config.env.at("PURIST_INPUTS"), expectedInputs);
    EXPECT_EQ(lib.env.count("src"), 0u);

    // Mounts: the sandbox-paths, then the input closure by base name beneath the real store
    // dir (never followed through a link), read-only.
    std::map<std::string, sandbox::BindMount> byTarget;
    for (const auto& m : config.mounts)
        byTarget[m.target] = m;
    EXPECT_EQ(byTarget.at("/bin").source, "/bin");
    EXPECT_TRUE(byTarget.at("/opt/x").optional);
    for (const std::string& input : {lib.env.at("out"), lib.env.at("dev"), config.env.at("src")}) {
        ASSERT_EQ(byTarget.count(input), 1u) << input;
        const sandbox::BindMount& m = byTarget.at(input);
        EXPECT_TRUE(m.readOnly);
        EXPECT_TRUE(m.fromStore);
        EXPECT_EQ(m.source, input.substr(input.rfind('/') + 1));
    }
    EXPECT_EQ(config.realStoreDir, dir_.path() + "/root/store");
    EXPECT_FALSE(byTarget.at("/bin").fromStore);
    EXPECT_EQ(byTarget.count("/gone"), 0u);
    EXPECT_EQ(byTarget.count(out), 0u) << "a build does not see its own output path";
    EXPECT_FALSE(config.buildUid.has_value()) << "not as root: no build user";
    EXPECT_TRUE(config.logPath.ends_with("/logs/" + out.substr(11) + ".log"));
    EXPECT_NE(printed_.find("app> built app\n"), std::string::npos) << printed_;

    // Registered, with the references the scanner found in the output.
    StorePath appPath = store_->storeDir().parse(out);
    ASSERT_TRUE(store_->db().isValid(appPath));
    StorePathSet refs = store_->db().queryReferences(appPath);
    EXPECT_EQ(refs.size(), 2u) << "lib and lib-dev; the source was not named";
    struct stat st {};
    ASSERT_EQ(::lstat(store_->realPath(appPath).c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, ::geteuid()) << "outputs are not left owned by the build user";

    // A second run finds everything valid and runs nothing.
    configs_.clear();
    std::vector<BuildResult> again = buildSpecs(*store_, {app}, options_);
    EXPECT_FALSE(again[0].built);
    EXPECT_EQ(again[0].outputs, result.outputs);
    EXPECT_TRUE(configs_.empty());
}

TEST_F(BuilderTest, FixedOutputBuildsKeepTheHostNetworkAndRecordTheirContentAddress) {
    // The fake writes "inputs: \n" to $out.
    Hash content = hashString(HashAlgorithm::Sha256, "inputs: \n");
    std::string file = spec("fetch.yaml", "name: fetched\nbuilder: /bin/sh\n"
                                          "fixed-output: {hash: '" +
                                              content.toSri() + "'}\n");
    std::vector<BuildResult> results = buildSpecs(*store_, {file}, options_);
    EXPECT_TRUE(configs_.at("fetched").hostNetwork);
    StorePath path = store_->storeDir().parse(results[0].outputs[0].second);
    EXPECT_EQ(path, store_->storeDir().makeFixedOutputPath(FileIngestionMethod::Flat, content,
                                                           "fetched"));
    EXPECT_EQ(store_->db().queryInfo(path).ca, "fixed:" + content.toNixString());
}

TEST_F(BuilderTest, AFailedBuilderRegistersNothingAndLeavesNothing) {
    exitCode_ = 2;
    std::string file = spec("broken.yaml", "name: broken\nbuilder: /bin/sh\n");
    try {
        buildSpecs(*store_, {file}, options_);
        FAIL() << "expected BuildError";
    } catch (const BuildError& e) {
        EXPECT_NE(
            std::string(e.what()).find(file + ": builder for 'broken' failed with exit code 2"),
            std::string::npos)
            << e.what();
    }
    EXPECT_TRUE(store_->db().queryAllValidPaths().empty());
    std::string out = configs_.at("broken").env.at("out");
    EXPECT_NE(::access((dir_.path() + "/root/store/" + out.substr(11)).c_str(), F_OK), 0);
    EXPECT_NE(::access(configs_.at("broken").buildDir.c_str(), F_OK), 0)
        << "the build directory goes without --keep-failed";

    options_.keepFailed = true;
    EXPECT_THROW(buildSpecs(*store_, {file}, options_), BuildError);
    // Kept, it is renamed out of the scratch space that the next process reclaims.
    const std::string note = "note: keeping the build directory of 'broken': ";
    size_t at = printed_.find(note);
    ASSERT_NE(at, std::string::npos) << printed_;
    std::string kept = printed_.substr(at + note.size());
    kept = kept.substr(0, kept.find('\n'));
    EXPECT_NE(kept.find("/tmp/kept-build-"), std::string::npos) << kept;
    EXPECT_EQ(::access((kept + "/build").c_str(), F_OK), 0) << kept;
}

// The gate in a store whose logical dir (/nix/store) is not where its files are: the
// outputs are judged where they lie before registration, with the evidence read there.
TEST_F(BuilderTest, OutputsThatBreakTheirChecksAreNotRegistered) {
    spec("lib.yaml", "name: lib\nbuilder: /bin/sh\n");
    std::string app = spec("app.yaml", "name: app\nbuilder: /bin/sh\ninputs: [lib.yaml]\n"
                                       "outputs: [out, doc]\n"
                                       "checks: {outputChecks: {doc: {maxSize: 1MiB}, out: "
                                       "{disallowedReferences: [lib.yaml]}}}\n");
    std::string user = spec("user.yaml", "name: user\nbuilder: /bin/sh\ninputs: [app.yaml]\n");
    try {
        buildSpecs(*store_, {user}, options_);
        FAIL() << "expected BuildError";
    } catch (const BuildError& e) {
        std::string what = e.what();
        EXPECT_NE(what.find(app + ": outputs of 'app' fail their checks, so none is registered"),
                  std::string::npos)
            << what;
        EXPECT_NE(what.find("error spec/app/outputChecks.out.disallowedReferences: 1 finding"),
                  std::string::npos)
            << what;
        // The fake wrote "inputs: <lib's path>" as the output file itself.
        EXPECT_NE(what.find("└─ (the path itself) @ " +
                            std::to_string(std::string("inputs: /nix/store/").size())),
                  std::string::npos)
            << what;
        EXPECT_EQ(what.find("outputChecks.doc"), std::string::npos) << what;
        EXPECT_NE(what.find("not built because an input failed:\n  " + user), std::string::npos)
            << what;
    }
    EXPECT_EQ(configs_.count("user"), 0u);
    // lib is registered; neither output of app, and nothing of it is left in the store.
    std::vector<StorePath> valid = store_->db().queryAllValidPaths();
    ASSERT_EQ(valid.size(), 1u);
    EXPECT_EQ(valid[0].name(), "lib");
    for (const char* output : {"out", "doc"}) {
        std::string path = configs_.at("app").env.at(output);
        EXPECT_NE(::access((dir_.path() + "/root/store/" + path.substr(11)).c_str(), F_OK), 0)
            << path;
    }
}

// `purist check SPEC` after `purist build`: the outputs computed as the build computes them,
// and the spec's checks as rules; an output never built is a usage error naming it.
TEST_F(BuilderTest, BuiltSpecChecksAreTheOutputsAndTheChecksOfBuiltSpecs) {
    std::string lib = spec("lib.yaml", "name: lib\nbuilder: /bin/sh\n");
    std::string app = spec("app.yaml", "name: app\nbuilder: /bin/sh\ninputs: [lib.yaml]\n"
                                       "checks: {allowedReferences: [lib.yaml]}\n");
    try {
        builtSpecChecks({app}, *store_);
        FAIL() << "expected UsageError";
    } catch (const UsageError& e) {
        EXPECT_THAT(e.what(), ::testing::HasSubstr("output 'out' of '" + app + "'"));
        EXPECT_THAT(e.what(), ::testing::HasSubstr("is not built; run purist build first"));
    }
    std::vector<BuildResult> results = buildSpecs(*store_, {app, lib}, options_);
    BuiltSpecChecks checks = builtSpecChecks({app, lib}, *store_);
    EXPECT_EQ(checks.outputs, (std::vector<std::string>{results[0].outputs[0].second,
                                                        results[1].outputs[0].second}));
    ASSERT_EQ(checks.rules.size(), 1u);
    EXPECT_EQ(checks.rules[0].location.file, app);
    EXPECT_EQ(checks.ruleFiles, std::vector<std::string>{app});
}

TEST_F(BuilderTest, ASandboxThatCannotBeSetUpIsASandboxError) {
    throwSandboxError_ = true;
    std::string file = spec("a.yaml", "name: a\nbuilder: /bin/sh\n");
    try {
        buildSpecs(*store_, {file}, options_);
        FAIL() << "expected SandboxError";
    } catch (const SandboxError& e) {
        EXPECT_NE(std::string(e.what()).find("cannot mount /nowhere"), std::string::npos);
    }
    EXPECT_TRUE(store_->db().queryAllValidPaths().empty());
}

TEST_F(BuilderTest, WhereNamespacesCannotBeMadeNothingIsBuiltAndTheErrorSaysWhy) {
    options_.canIsolate = [](std::string* why) {
        *why = "the sandbox helper purist-sandbox is missing";
        return false;
    };
    std::string file = spec("a.yaml", "name: a\nbuilder: /bin/sh\n");
    try {
        buildSpecs(*store_, {file}, options_);
        FAIL() << "expected SandboxError";
    } catch (const SandboxError& e) {
        EXPECT_STREQ(e.what(), "sandbox mode strict cannot isolate its builds here: the sandbox "
                               "helper purist-sandbox is missing");
    }
    EXPECT_TRUE(configs_.empty());
    // Mode off isolates nothing, so it does not ask.
    options_.settings.sandbox = policy::SandboxMode::Off;
    store_.emplace(StoreLayout::atRoot(dir_.path() + "/off", dir_.path() + "/off/store"));
    buildSpecs(*store_, {file}, options_);
    EXPECT_FALSE(configs_.at("a").isolate);
}

TEST_F(BuilderTest, AsRootEachBuildRunsAsABuildUser) {
    if (::geteuid() != 0) GTEST_SKIP() << "the build user pool needs root";
    if (!::getgrnam("purist-build")) PURIST_SKIP_OUTSIDE_CI("no purist-build group");
    options_.asRoot = true;
    std::string file = spec("a.yaml", "name: a\nbuilder: /bin/sh\n");
    std::vector<BuildResult> results = buildSpecs(*store_, {file}, options_);
    const sandbox::SandboxConfig& config = configs_.at("a");
    ASSERT_TRUE(config.buildUid.has_value());
    EXPECT_NE(*config.buildUid, 0u);
    EXPECT_EQ(config.buildGid, ::getgrnam("purist-build")->gr_gid);
    EXPECT_TRUE(store_->db().isValid(store_->storeDir().parse(results[0].outputs[0].second)));
}

TEST_F(BuilderTest, ABuildGetsEmptyDirectoriesEvenWhenTheyAreReused) {
    std::string first = spec("first.yaml", "name: first\nbuilder: /bin/sh\n");
    std::string second = spec("second.yaml", "name: second\nbuilder: /bin/sh\n");
    std::vector<std::string> seenBuildDirs, leftovers;
    options_.settings.maxJobs = 1;
    options_.run = [&](const sandbox::SandboxConfig& config) {
        for (const std::string& dir : {config.buildDir, config.outputDir})
            for (const auto& entry : std::filesystem::directory_iterator(dir))
                leftovers.push_back(entry.path().string());
        seenBuildDirs.push_back(config.buildDir);
        makeFile(config.buildDir + "/scratch", "left by " + config.env.at("name"));
        makeFile(config.outputDir + "/stray", "not an output");
        return fakeRun(config);
    };
    buildSpecs(*store_, {first, second}, options_);
    ASSERT_EQ(seenBuildDirs.size(), 2u);
    EXPECT_EQ(seenBuildDirs[0], seenBuildDirs[1]) << "the second build reuses the first's";
    EXPECT_THAT(leftovers, ::testing::IsEmpty()) << "but finds nothing of it there";
    EXPECT_FALSE(std::filesystem::exists(seenBuildDirs[0])) << "removed at the end of the run";
}

TEST_F(BuilderTest, TwoProcessesNeverBuildOneOutputAtOnce) {
    // A second store object on the same root stands in for a second purist process: its
    // output locks are on its own open file description, which OFD locks treat as a
    // separate owner.
    std::string file = spec("shared.yaml", "name: shared\nbuilder: /bin/sh\n");
    std::promise<void> firstStarted, releaseFirst;
    std::shared_future<void> release = releaseFirst.get_future().share();
    BuildOptions first = options_;
    first.run = [&](const sandbox::SandboxConfig& config) {
        firstStarted.set_value();
        release.wait();
        return fakeRun(config);
    };
    std::thread firstBuild([&] { buildSpecs(*store_, {file}, first); });
    firstStarted.get_future().wait();

    LocalStore second(store_->layout());
    BuildOptions secondOptions = options_;
    std::string secondPrinted; // its own sink: the two builds print concurrently
    secondOptions.print = [&](std::string_view line) { secondPrinted += std::string(line) + "\n"; };
    std::atomic<int> secondRuns{0};
    secondOptions.run = [&](const sandbox::SandboxConfig& config) {
        ++secondRuns;
        return fakeRun(config);
    };
    std::vector<BuildResult> secondResult;
    std::thread secondBuild([&] { secondResult = buildSpecs(second, {file}, secondOptions); });
    // The second build is waiting for the lock; let the first finish and register.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    releaseFirst.set_value();
    firstBuild.join();
    secondBuild.join();

    EXPECT_EQ(secondRuns.load(), 0) << "the output was built once";
    ASSERT_EQ(secondResult.size(), 1u);
    EXPECT_FALSE(secondResult[0].built);
    EXPECT_TRUE(store_->db().isValid(store_->storeDir().parse(secondResult[0].outputs[0].second)));
    // Normally the second build was waiting on the lock; on a very slow machine it may only
    // have started after the first registered, and then found the output valid at once.
    EXPECT_TRUE(secondPrinted.empty() ||
                secondPrinted.ends_with("'shared' was built by another purist process meanwhile\n"))
        << secondPrinted;
    // The locks are bytes of one file, not a file per output left behind in tmp/.
    std::vector<std::string> left;
    for (const auto& entry : std::filesystem::directory_iterator(store_->layout().tmpDir()))
        left.push_back(entry.path().filename().string());
    EXPECT_THAT(left, ::testing::IsSubsetOf({"output-locks", "sandbox-root"}));
}

TEST_F(BuilderTest, UnsandboxedBuildsNeedTheRealStoreDir) {
    std::string file = spec("ns.yaml", "name: ns\nbuilder: /bin/sh\nno-sandbox: true\n");
    options_.settings.sandbox = policy::SandboxMode::Relaxed;
    try {
        buildSpecs(*store_, {file}, options_);
        FAIL() << "expected SandboxError";
    } catch (const SandboxError& e) {
        EXPECT_NE(std::string(e.what()).find("logical store dir /nix/store is not where the "
                                             "files are"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_TRUE(configs_.empty()) << "refused before anything ran";
}

} // namespace
} // namespace purist::builds
