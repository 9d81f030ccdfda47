// Tests for builds/build_environment.cc: the environment a spec gives its builder, the mounts
// of its sandbox, and the sandbox configuration that holds them, each without running a
// build.

#include "builds/build_environment.h"

#include "base/error.h"
#include "base/temp_dir.h"
#include "tests/support/test_support.h"

#include <gtest/gtest.h>

#include <optional>

namespace purist::builds {
namespace {

using purist::testing::makeFile;

const std::string kTool = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-tool";

class BuildEnvironmentTest : public ::testing::Test {
protected:
    void SetUp() override {
        makeFile(dir_.path() + "/src/data.txt", "data\n");
        makeFile(dir_.path() + "/lib.yaml", "name: lib\nbuilder: /bin/sh\noutputs: [out, dev]\n");
        // Its own PATH, unlike bare's (a spec may set no other variable purist sets).
        makeFile(dir_.path() + "/app.yaml", "name: app\nbuilder: /bin/sh\nargs: [-c, make]\n"
                                            "env: {LANG: C, PATH: /bin}\n"
                                            "inputs: {cc: lib.yaml, tool: " +
                                                kTool +
                                                "}\nsources: {src: src}\noutputs: [out, doc]\n");
        makeFile(dir_.path() + "/bare.yaml",
                 "name: bare\nbuilder: /bin/true\ninputs: [" + kTool + ", lib.yaml]\n");
        graph_ = BuildGraph::load({dir_.path() + "/app.yaml", dir_.path() + "/bare.yaml"});
        graph_.resolve(storeDir_, [this](const std::string& hostPath) {
            return computeSourcePath(storeDir_, hostPath);
        });
        app_ = graph_.indexOf(dir_.path() + "/app.yaml");
        bare_ = graph_.indexOf(dir_.path() + "/bare.yaml");
        lib_ = graph_.indexOf(dir_.path() + "/lib.yaml");
    }

    std::string outputOf(size_t node, const std::string& output) const {
        for (const auto& [name, path] : graph_.nodes()[node].outputs)
            if (name == output) return storeDir_.print(path);
        ADD_FAILURE() << "no output " << output;
        return "";
    }

    TempDir dir_{"build-environment-test-"};
    StoreDir storeDir_{"/nix/store"};
    BuildGraph graph_;
    size_t app_ = 0, bare_ = 0, lib_ = 0;
};

TEST_F(BuildEnvironmentTest, TheInputsAreTheInputSpecsOutputsAndStorePathsButNotTheSources) {
    StorePathSet expected = {graph_.nodes()[lib_].outputs[0].second,
                             graph_.nodes()[lib_].outputs[1].second, storeDir_.parse(kTool)};
    EXPECT_EQ(inputPaths(graph_, app_), expected);
    EXPECT_EQ(inputPaths(graph_, bare_), expected);
    EXPECT_TRUE(inputPaths(graph_, lib_).empty());
}

TEST_F(BuildEnvironmentTest, ABuilderGetsNixsVariablesItsOutputsSourcesAndInputs) {
    std::string inputs;
    for (const StorePath& path : inputPaths(graph_, app_))
        inputs += (inputs.empty() ? "" : " ") + storeDir_.print(path);
    std::map<std::string, std::string> expected = {
        {"LANG", "C"},
        {"PATH", "/bin"},
        {"NIX_BUILD_TOP", "/build"},
        {"TMPDIR", "/build"},
        {"TEMPDIR", "/build"},
        {"TMP", "/build"},
        {"TEMP", "/build"},
        {"PWD", "/build"},
        {"HOME", "/homeless-shelter"},
        {"NIX_STORE", "/nix/store"},
        {"name", "app"},
        {"builder", "/bin/sh"},
        {"PURIST_INPUTS", inputs},
        {"out", outputOf(app_, "out")},
        {"doc", outputOf(app_, "doc")},
        {"outputs", "out doc"},
        {"src", storeDir_.print(graph_.nodes()[app_].sourcePaths.at("src"))},
        {"cc", outputOf(lib_, "out")},
        {"cc_dev", outputOf(lib_, "dev")},
        {"tool", kTool},
    };
    EXPECT_EQ(builderEnvironment(graph_, app_, storeDir_, "/build"), expected);
}

TEST_F(BuildEnvironmentTest, WithoutAPathTheBuilderGetsOneThatFindsNothing) {
    std::string top = "/store-root/tmp/scratch-build-1-x/build";
    std::map<std::string, std::string> env = builderEnvironment(graph_, bare_, storeDir_, top);
    EXPECT_EQ(env.at("PATH"), "/path-not-set");
    for (const char* var : {"NIX_BUILD_TOP", "TMPDIR", "TEMPDIR", "TMP", "TEMP", "PWD"})
        EXPECT_EQ(env.at(var), top) << var;
    EXPECT_EQ(env.at("lib"), outputOf(lib_, "out")) << "named after the spec file's stem";
    EXPECT_EQ(env.at("lib_dev"), outputOf(lib_, "dev"));
    EXPECT_EQ(env.count(""), 0u) << "a store path in the list form has no variable";
    EXPECT_EQ(env.size(), 16u) << "12 of purist's, out and outputs, lib and lib_dev";
}

class BuildSandboxTest : public BuildEnvironmentTest {
protected:
    void SetUp() override {
        BuildEnvironmentTest::SetUp();
        store_.emplace(StoreLayout::atRoot(dir_.path() + "/root", "/nix/store"));
    }
    std::optional<LocalStore> store_;
};

TEST_F(BuildSandboxTest, AStrictBuildsConfigHoldsItsSpecSettingsPlacementAndMounts) {
    policy::Settings settings;
    settings.timeout = 7;
    settings.maxSilentTime = 5;
    settings.maxMemory.bytes = 1 << 30;
    settings.maxProcesses = 99;
    settings.maxLogSize = 12345;
    settings.buildDirSize.bytes = 1 << 20;
    settings.sandboxAllowSyscalls = {"bpf"};
    BuildPlacement placement{true, "/tmp/b/build", "/tmp/b/out", "/tmp/sandbox-root", true};
    std::vector<sandbox::BindMount> mounts = {{"/bin", "/bin", true, false, false}};
    sandbox::SandboxConfig config =
        sandboxConfig(*store_, graph_, app_, placement, settings, mounts);

    EXPECT_TRUE(config.isolate);
    EXPECT_EQ(config.builder, "/bin/sh");
    EXPECT_EQ(config.args, (std::vector<std::string>{"-c", "make"}));
    EXPECT_EQ(config.storeDir, "/nix/store");
    EXPECT_EQ(config.realStoreDir, dir_.path() + "/root/store");
    EXPECT_FALSE(config.hostNetwork);
    EXPECT_EQ(config.allowedSyscalls, std::vector<std::string>{"bpf"});
    EXPECT_EQ(config.timeout, std::chrono::seconds(7));
    EXPECT_EQ(config.maxSilentTime, std::chrono::seconds(5));
    EXPECT_EQ(config.maxMemory, 1u << 30);
    EXPECT_EQ(config.maxProcesses, 99u);
    EXPECT_EQ(config.maxLogSize, 12345u);
    EXPECT_EQ(config.buildDirSize, 1u << 20);
    EXPECT_TRUE(config.buildDirOnHost);
    EXPECT_EQ(config.buildDir, "/tmp/b/build");
    EXPECT_EQ(config.outputDir, "/tmp/b/out");
    EXPECT_EQ(config.sandboxRoot, "/tmp/sandbox-root");
    ASSERT_EQ(config.mounts.size(), 1u);
    EXPECT_EQ(config.mounts[0].source, "/bin");
    EXPECT_EQ(config.env, builderEnvironment(graph_, app_, storeDir_, "/build"));
    EXPECT_EQ(config.logPath, store_->layout().logsDir() + "/" +
                                  graph_.nodes()[app_].outputs[0].second.baseName() + ".log");
    EXPECT_FALSE(config.buildUid.has_value()) << "taken when the build runs";
    EXPECT_FALSE(config.onLogLine);
}

TEST_F(BuildSandboxTest, AnUnsandboxedBuildSeesItsHostBuildDirectoryAndNoSandbox) {
    BuildPlacement placement{false, "/tmp/b/build", "/tmp/b/out", "/tmp/sandbox-root", false};
    sandbox::SandboxConfig config =
        sandboxConfig(*store_, graph_, bare_, placement, policy::Settings{}, {});
    EXPECT_FALSE(config.isolate);
    EXPECT_EQ(config.env.at("TMPDIR"), "/tmp/b/build");
    EXPECT_EQ(config.outputDir, "");
    EXPECT_EQ(config.sandboxRoot, "");
    EXPECT_FALSE(config.buildDirOnHost);
}

TEST_F(BuildSandboxTest, AFixedOutputBuildKeepsTheHostNetwork) {
    makeFile(dir_.path() + "/fetch.yaml", "name: fetch\nbuilder: /bin/sh\nfixed-output: {hash: '" +
                                              hashString(HashAlgorithm::Sha256, "x").toSri() +
                                              "'}\n");
    BuildGraph graph = BuildGraph::load({dir_.path() + "/fetch.yaml"});
    graph.resolve(storeDir_,
                  [this](const std::string& p) { return computeSourcePath(storeDir_, p); });
    BuildPlacement placement{true, "/b", "/o", "/r", false};
    EXPECT_TRUE(sandboxConfig(*store_, graph, 0, placement, policy::Settings{}, {}).hostNetwork);
}

TEST_F(BuildSandboxTest, SandboxPathsInTheStoreAreMountedFromItWithTheirClosure) {
    StorePath data = store_->addSource(dir_.path() + "/src");
    StorePath input = store_->addSource(dir_.path() + "/lib.yaml");
    std::string gone = "/nix/store/00000000000000000000000000000000-gone";
    // Named in the logical store dir with a subpath, in the real one, on the host, and
    // an invalid store path that is optional.
    std::vector<policy::SandboxPath> entries = {
        {"/data", storeDir_.print(data) + "/data.txt", false},
        {"/real", store_->realPath(data), false},
        {"/bin", "/bin", false},
        {"/gone", gone, true},
    };
    BuildMounts mounts = buildMounts(*store_, entries, {input});
    EXPECT_TRUE(mounts.hostPathMounted);
    ASSERT_EQ(mounts.mounts.size(), 5u);
    EXPECT_EQ(mounts.mounts[0].target, "/data");
    EXPECT_EQ(mounts.mounts[0].source, data.baseName() + "/data.txt");
    EXPECT_TRUE(mounts.mounts[0].fromStore);
    EXPECT_EQ(mounts.mounts[1].source, data.baseName());
    EXPECT_TRUE(mounts.mounts[1].fromStore);
    EXPECT_EQ(mounts.mounts[2].source, "/bin");
    EXPECT_FALSE(mounts.mounts[2].fromStore);
    // Then every store path it may read, by base name, read-only: the input and the entry.
    StorePathSet expected = {data, input};
    auto it = expected.begin();
    for (size_t i = 3; i < 5; ++i, ++it) {
        EXPECT_EQ(mounts.mounts[i].source, it->baseName());
        EXPECT_EQ(mounts.mounts[i].target, storeDir_.print(*it));
        EXPECT_TRUE(mounts.mounts[i].readOnly);
        EXPECT_TRUE(mounts.mounts[i].fromStore);
    }

    EXPECT_FALSE(
        buildMounts(*store_, {{"/data", storeDir_.print(data), false}}, {input}).hostPathMounted)
        << "only store paths: no host directory";
    try {
        buildMounts(*store_, {{"/gone", gone, false}}, {});
        ADD_FAILURE() << "an invalid store path that is not optional was mounted";
    } catch (const BuildError& e) {
        EXPECT_EQ(std::string(e.what()),
                  "sandbox-paths entry " + gone + " names a store path that is not valid");
    }
}

} // namespace
} // namespace purist::builds
