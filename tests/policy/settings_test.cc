#include "policy/settings.h"

#include "base/error.h"
#include "base/file_descriptor.h"
#include "base/temp_dir.h"
#include "tests/support/test_support.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace purist::policy {
namespace {

using purist::testing::makeFile;

class SettingsTest : public ::testing::Test {
protected:
    TempDir dir_{"settings-test-"};
    std::string file(const std::string& name, const std::string& text) {
        std::string path = dir_.path() + "/" + name;
        makeFile(path, text);
        return path;
    }
    SettingsSources noSources() {
        SettingsSources s;
        s.systemFile = "";
        return s;
    }
};

TEST_F(SettingsTest, DefaultsComeFromTheTable) {
    Settings s = loadSettings(noSources());
    EXPECT_EQ(s.sandbox, SandboxMode::Strict);
    EXPECT_TRUE(s.sandboxPaths.empty());
    EXPECT_EQ(s.buildUsersGroup, "purist-build");
    EXPECT_EQ(s.timeout, 0u);
    EXPECT_EQ(s.maxSilentTime, 3600u) << "finite, so a hung build does not run for ever";
    EXPECT_EQ(s.maxJobs, 1u);
    EXPECT_EQ(s.maxMemory.percentOfRam, 50u);
    EXPECT_GT(s.maxMemory.bytes, 0u);
    EXPECT_EQ(s.maxProcesses, 4096u);
    EXPECT_EQ(s.maxLogSize, 64u << 20);
    EXPECT_EQ(s.buildDirSize.percentOfRam, 50u);
    ASSERT_EQ(s.origins.size(), settingDescriptors().size());
    for (const auto& [name, origin] : s.origins) {
        EXPECT_EQ(origin.kind, SettingOrigin::Kind::Default) << name;
        EXPECT_EQ(describeOrigin(origin), "default");
    }
}

TEST_F(SettingsTest, LaterSourcesWinAndEachOriginIsReported) {
    SettingsSources sources = noSources();
    sources.systemFile = file("system.yaml", "sandbox: relaxed\n"
                                             "timeout: 10\n"
                                             "max-jobs: 3\n"
                                             "build-users-group: sysbld\n"
                                             "max-silent-time: 7\n");
    sources.userFile = file("user.yaml", "timeout: 20\nmax-jobs: 4\nbuild-users-group: userbld\n");
    sources.configFile = file("config.yaml", "max-jobs: 5\n"
                                             "sandbox-paths:\n"
                                             "  - /bin\n"
                                             "  - /usr/lib=/lib?\n");
    sources.environment = {{"PURIST_BUILD_USERS_GROUP", "envbld"}, {"PURIST_SANDBOX", "off"}};
    sources.flags = {{"sandbox", {"--sandbox", "strict"}}};

    Settings s = loadSettings(sources);
    EXPECT_EQ(s.sandbox, SandboxMode::Strict);
    EXPECT_EQ(s.origins["sandbox"].kind, SettingOrigin::Kind::Flag);
    EXPECT_EQ(describeOrigin(s.origins["sandbox"]), "--sandbox (flag)");

    EXPECT_EQ(s.buildUsersGroup, "envbld");
    EXPECT_EQ(describeOrigin(s.origins["build-users-group"]),
              "PURIST_BUILD_USERS_GROUP (environment)");

    EXPECT_EQ(s.maxJobs, 5u);
    EXPECT_EQ(describeOrigin(s.origins["max-jobs"]), sources.configFile + ":1:11 (--config file)");
    ASSERT_EQ(s.sandboxPaths.size(), 2u);
    EXPECT_EQ(s.sandboxPaths[0], (SandboxPath{"/bin", "/bin", false}));
    EXPECT_EQ(s.sandboxPaths[1], (SandboxPath{"/usr/lib", "/lib", true}));
    EXPECT_EQ(s.origins["sandbox-paths"].where, sources.configFile + ":3:3");

    EXPECT_EQ(s.timeout, 20u);
    EXPECT_EQ(describeOrigin(s.origins["timeout"]), sources.userFile + ":1:10 (user file)");

    EXPECT_EQ(s.maxSilentTime, 7u);
    EXPECT_EQ(describeOrigin(s.origins["max-silent-time"]),
              sources.systemFile + ":5:18 (system file)");
    EXPECT_EQ(s.origins["store-root"].kind, SettingOrigin::Kind::Default);
}

TEST_F(SettingsTest, EnvironmentListsAreWords) {
    SettingsSources sources = noSources();
    sources.environment = {{"PURIST_SANDBOX_PATHS", " /bin  /usr /lib64? "},
                           {"PURIST_MAX_JOBS", "auto"}};
    Settings s = loadSettings(sources);
    ASSERT_EQ(s.sandboxPaths.size(), 3u);
    EXPECT_TRUE(s.sandboxPaths[2].optional);
    EXPECT_GE(s.maxJobs, 1u);
}

TEST_F(SettingsTest, MissingSystemAndUserFilesAreFineButAMissingConfigIsNot) {
    SettingsSources sources = noSources();
    sources.systemFile = dir_.path() + "/absent-system.yaml";
    sources.userFile = dir_.path() + "/absent-user.yaml";
    EXPECT_NO_THROW(loadSettings(sources));
    sources.configFile = dir_.path() + "/absent.yaml";
    try {
        loadSettings(sources);
        FAIL() << "expected ConfigError";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.file(), sources.configFile);
    }
}

struct BadFile {
    const char* text;
    int line;
    int column;
    const char* needle;
};

class BadSettingsFileTest : public SettingsTest, public ::testing::WithParamInterface<BadFile> {};

TEST_P(BadSettingsFileTest, NamesFileLineAndColumn) {
    const BadFile& bad = GetParam();
    SettingsSources sources = noSources();
    sources.configFile = file("bad.yaml", bad.text);
    try {
        loadSettings(sources);
        FAIL() << "expected ConfigError for:\n" << bad.text;
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.file(), sources.configFile);
        EXPECT_EQ(e.line(), bad.line) << e.what();
        EXPECT_EQ(e.column(), bad.column) << e.what();
        EXPECT_NE(std::string(e.what()).find(bad.needle), std::string::npos) << e.what();
        std::string prefix = sources.configFile + ":" + std::to_string(bad.line) + ":" +
                             std::to_string(bad.column) + ": ";
        EXPECT_EQ(std::string(e.what()).rfind(prefix, 0), 0u) << e.what();
    }
}

INSTANTIATE_TEST_SUITE_P(
    Table, BadSettingsFileTest,
    ::testing::Values(
        BadFile{"sandbox: strict\nsandbx: off\n", 2, 1, "unknown key 'sandbx' in config file"},
        BadFile{"sandbox: lax\n", 1, 10, "strict, relaxed or off"},
        BadFile{"timeout: ten\n", 1, 10, "whole number"},
        BadFile{"timeout: -1\n", 1, 10, "whole number"},
        BadFile{"max-jobs: 0\n", 1, 11, "between 1 and 1024"},
        BadFile{"max-jobs: [1, 2]\n", 1, 11, "single value"},
        BadFile{"sandbox-paths: /bin\n", 1, 16, "sandbox-paths must be a list of strings"},
        BadFile{"sandbox-paths:\n  - /bin\n  - relative/path\n", 3, 5, "absolute"},
        BadFile{"sandbox-paths:\n  - [/bin]\n", 2, 5,
                "sandbox-paths entry must be a string, not a list"},
        BadFile{"store-root: var/purist\n", 1, 13, "absolute path"},
        BadFile{"build-users-group: {a: b}\n", 1, 20, "not a mapping"},
        BadFile{"timeout:\n", 1, 1, "no value"},
        BadFile{"- sandbox\n", 1, 1, "config file must be a mapping, not a list"},
        BadFile{"sandbox: [strict\n", 2, 1, ""}));

TEST_F(SettingsTest, BadEnvironmentValueNamesTheVariable) {
    SettingsSources sources = noSources();
    sources.environment = {{"PURIST_TIMEOUT", "soon"}};
    try {
        loadSettings(sources);
        FAIL() << "expected ConfigError";
    } catch (const ConfigError& e) {
        EXPECT_EQ(std::string(e.what()).rfind("PURIST_TIMEOUT: ", 0), 0u) << e.what();
    }
}

TEST_F(SettingsTest, BadFlagValueNamesTheFlag) {
    SettingsSources sources = noSources();
    sources.flags = {{"sandbox", {"--sandbox", "maybe"}}};
    try {
        loadSettings(sources);
        FAIL() << "expected ConfigError";
    } catch (const ConfigError& e) {
        EXPECT_EQ(std::string(e.what()).rfind("--sandbox: ", 0), 0u) << e.what();
    }
    sources.flags = {{"no-such-setting", {"--option", "1"}}};
    EXPECT_THROW(loadSettings(sources), UsageError);
}

TEST_F(SettingsTest, EveryDescriptorShowsWhatItApplied) {
    Settings s;
    for (const auto& d : settingDescriptors()) {
        RawSettingValue v;
        v.position.where = "test";
        std::string text = d.name == "sandbox"                  ? "relaxed"
                           : d.name == "sandbox-paths"          ? "/a=/b?"
                           : d.name == "build-users-group"      ? "grp"
                           : d.name.starts_with("store")        ? "/x/y"
                           : d.name == "sandbox-allow-syscalls" ? "userfaultfd"
                           : d.name == "gc-runtime-roots"       ? "false"
                                                                : "9";
        bool size = d.name == "max-memory" || d.name == "max-log-size" ||
                    d.name == "build-dir-size" || d.name == "min-free" || d.name == "max-free";
        if (size) text = "9MiB";
        v.isList = d.type.starts_with("list");
        v.items = {RawSettingItem{text, "", 0, 0, "test"}};
        d.apply(s, v);
        EXPECT_EQ(d.show(s), size ? "9 MiB" : text) << d.name;
        EXPECT_FALSE(d.help.empty()) << d.name;
        EXPECT_TRUE(d.envVar.starts_with("PURIST_")) << d.name;
    }
}

// Booleans follow the rule of specs and rules (the YAML core schema) from every source.
TEST_F(SettingsTest, BooleansFollowTheSameRulesAsInSpecsAndRules) {
    SettingsSources sources = noSources();
    sources.configFile = file("config.yaml", "gc-runtime-roots: False\n");
    EXPECT_FALSE(loadSettings(sources).gcRuntimeRoots);
    sources.configFile = file("config.yaml", "gc-runtime-roots: TRUE\n");
    EXPECT_TRUE(loadSettings(sources).gcRuntimeRoots);
    sources.configFile.clear();
    sources.environment = {{"PURIST_GC_RUNTIME_ROOTS", "False"}};
    EXPECT_FALSE(loadSettings(sources).gcRuntimeRoots);
    for (const char* bad : {"yes", "on", "1"}) {
        sources.environment = {{"PURIST_GC_RUNTIME_ROOTS", bad}};
        EXPECT_THROW(loadSettings(sources), ConfigError) << bad;
    }
}

// Only the facilities the seccomp filter knows may be allowed; a typo is refused where it
// was written, not silently ignored while the call stays refused.
TEST_F(SettingsTest, SandboxAllowSyscallsTakesKnownNamesOnly) {
    SettingsSources sources;
    sources.systemFile.clear();
    sources.environment = {{"PURIST_SANDBOX_ALLOW_SYSCALLS", "io_uring perf_event_open io_uring"}};
    Settings s = loadSettings(sources);
    EXPECT_EQ(s.sandboxAllowSyscalls, (std::vector<std::string>{"io_uring", "perf_event_open"}));

    sources.environment = {{"PURIST_SANDBOX_ALLOW_SYSCALLS", "keyctl"}};
    try {
        loadSettings(sources);
        FAIL() << "keyctl was accepted";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("PURIST_SANDBOX_ALLOW_SYSCALLS"), std::string::npos)
            << e.what();
        EXPECT_NE(std::string(e.what()).find("'keyctl' is not one of perf_event_open, "
                                             "userfaultfd, io_uring"),
                  std::string::npos)
            << e.what();
    }
}

TEST_F(SettingsTest, SizesTakeBinaryUnitsOrAShareOfTheRam) {
    struct Case {
        const char* text;
        uint64_t bytes;
        unsigned percent;
    };
    const Case cases[] = {{"0", 0, 0},           {"100", 100, 0},
                          {"64K", 64 << 10, 0},  {"64MiB", 64 << 20, 0},
                          {"2G", 2ull << 30, 0}, {"1TiB", 1ull << 40, 0}};
    for (const Case& c : cases) {
        SettingsSources sources = noSources();
        sources.flags = {{"max-memory", {"--option", c.text}}};
        Settings s = loadSettings(sources);
        EXPECT_EQ(s.maxMemory.bytes, c.bytes) << c.text;
        EXPECT_EQ(s.maxMemory.percentOfRam, c.percent) << c.text;
    }
    SettingsSources sources = noSources();
    sources.flags = {{"build-dir-size", {"--option", "25%"}}};
    Settings s = loadSettings(sources);
    EXPECT_EQ(s.buildDirSize.percentOfRam, 25u);
    EXPECT_EQ(s.buildDirSize.bytes, SizeSetting::ofRam(25).bytes);
    EXPECT_TRUE(findSetting("build-dir-size")->show(s).starts_with("25% of RAM ("))
        << s.buildDirSize.bytes;
    for (const char* bad : {"1.5G", "-1", "101%", "0%", "MiB", "99999999999GiB"}) {
        sources.flags = {{"max-memory", {"--option", bad}}};
        EXPECT_THROW(loadSettings(sources), ConfigError) << bad;
    }
    sources.flags = {{"max-log-size", {"--option", "50%"}}};
    EXPECT_THROW(loadSettings(sources), ConfigError) << "a log size is not a share of the RAM";
    EXPECT_EQ(formatSize(64u << 20), "64 MiB");
    EXPECT_EQ(formatSize(1536u << 20), "1.5 GiB");
    EXPECT_EQ(formatSize(100), "100 bytes");
}

TEST(SettingsDocs, DocsConfigMdIsGeneratedFromTheTable) {
    std::string path = std::string(PURIST_SOURCE_DIR) + "/docs/config.md";
    std::string expected = renderSettingsMarkdown();
    testing::expectGoldenFile(path, expected);
}

} // namespace
} // namespace purist::policy
