// End to end: `purist check`, `why` and `audit` on a small real store, as CI would run
// them: exit codes per --fail-on, formats, output files, waivers, baselines.

#include "base/file_descriptor.h"
#include "tests/checker/checker_fixture.h"
#include "tests/support/test_support.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>

namespace purist {
namespace {

using ::testing::HasSubstr;
using testing::runPurist;

class CheckE2ETest : public ::testing::Test {
protected:
    void SetUp() override {
        tools = s.pathFor("bootstrap-tools");
        s.add(tools, {{"bin/gcc", "gcc"}});
        libgreet = s.pathFor("libgreet");
        s.add(libgreet, {{"lib/libgreet.so", "CC=" + s.print(tools) + "/bin/gcc\n"}});
        hello = s.pathFor("hello");
        s.add(hello, {{"bin/hello", "rpath " + s.print(libgreet) + "/lib\n"}});
        writePolicy("leak.yaml", R"(rules:
  - id: no-bootstrap
    match: { names: ['hello|libgreet'] }
    forbid-requisites: { names: [bootstrap-tools] }
)");
        writePolicy("warn.yaml",
                    "rules:\n  - id: big\n    severity: warning\n    max-closure-paths: 1\n");
        writePolicy("info.yaml", "rules:\n  - id: note\n    severity: info\n    max-size: 0\n");
    }

    std::string writePolicy(const std::string& name, const std::string& text) {
        std::string file = dir.path() + "/" + name;
        testing::makeFile(file, text);
        return file;
    }
    std::string policy(const std::string& name) const { return dir.path() + "/" + name; }

    testing::RunResult check(std::vector<std::string> args) {
        std::vector<std::string> all = {"--root", s.store().layout().root, "check"};
        all.insert(all.end(), args.begin(), args.end());
        return runPurist(all);
    }

    checker::testing::SmallStore s;
    TempDir dir{"purist-check-e2e-"};
    StorePath tools = StorePath::fromBaseName("00000000000000000000000000000000-x");
    StorePath libgreet = tools, hello = tools;
};

TEST_F(CheckE2ETest, ExitCodesFollowFailOn) {
    struct Case {
        const char* policy;
        const char* failOn;
        int exitCode;
    };
    const Case cases[] = {
        {"leak.yaml", "error", 1},   {"leak.yaml", "info", 1},    {"warn.yaml", "error", 0},
        {"warn.yaml", "warning", 1}, {"info.yaml", "warning", 0}, {"info.yaml", "info", 1},
    };
    for (const auto& c : cases) {
        auto r = check({s.print(hello), "--policy", policy(c.policy), "--fail-on", c.failOn});
        EXPECT_EQ(r.exitCode, c.exitCode) << c.policy << " --fail-on " << c.failOn << "\n"
                                          << r.out << r.err;
    }
    auto clean = check({s.print(tools), "--policy", policy("leak.yaml")});
    EXPECT_EQ(clean.exitCode, 0) << clean.out << clean.err;
}

// The shipped example policy on a store shaped like the example package set.
TEST_F(CheckE2ETest, ExamplePolicyCatchesTheLeakWithItsChain) {
    auto r = check({s.print(hello), "--policy",
                    std::string(PURIST_SOURCE_DIR) + "/examples/policy.yaml", "--format", "json"});
    EXPECT_EQ(r.exitCode, 1) << r.err;
    auto json = nlohmann::json::parse(r.out);
    ASSERT_EQ(json["findings"].size(), 1u);
    EXPECT_EQ(json["findings"][0]["ruleId"], "examples/no-bootstrap-tools");
    EXPECT_EQ(json["findings"][0]["chain"].size(), 2u);
    EXPECT_EQ(check({s.print(tools), "--policy",
                     std::string(PURIST_SOURCE_DIR) + "/examples/policy.yaml"})
                  .exitCode,
              0);
}

// `--policy FILE PATH PATH`: each --policy takes one file, the rest are paths.
TEST_F(CheckE2ETest, PolicyFlagTakesOneFileEach) {
    auto r = check({"--policy", policy("leak.yaml"), "--policy", policy("info.yaml"),
                    s.print(hello), s.print(libgreet), "--format", "json"});
    EXPECT_EQ(r.exitCode, 1) << r.err;
    auto json = nlohmann::json::parse(r.out);
    EXPECT_EQ(json["checked"].size(), 2u);
    EXPECT_EQ(json["policyFiles"].size(), 2u);
}

TEST_F(CheckE2ETest, UsageAndConfigErrorsExitTwo) {
    writePolicy("bad.yaml", "rules:\n  - id: a\n    max-closure-size: 1.5GiB\n");
    auto bad = check({s.print(hello), "--policy", policy("bad.yaml")});
    EXPECT_EQ(bad.exitCode, 2);
    EXPECT_THAT(bad.err,
                HasSubstr(policy("bad.yaml") +
                          ":3:23: max-closure-size: size '1.5GiB': fractions are refused"));
    EXPECT_TRUE(bad.out.empty()) << "nothing is checked with a bad policy: " << bad.out;
    // A good policy beside a bad one: still nothing checked.
    auto mixed =
        check({s.print(hello), "--policy", policy("leak.yaml"), "--policy", policy("bad.yaml")});
    EXPECT_EQ(mixed.exitCode, 2);
    EXPECT_TRUE(mixed.out.empty());
    EXPECT_EQ(
        check({s.print(hello), "--policy", policy("leak.yaml"), "--fail-on", "fatal"}).exitCode, 2);
    EXPECT_EQ(check({s.print(hello)}).exitCode, 2);
    auto missing =
        check({s.store().layout().realStoreDir + "/00000000000000000000000000000000-nope",
               "--policy", policy("leak.yaml")});
    EXPECT_EQ(missing.exitCode, 2);
    EXPECT_THAT(missing.err, HasSubstr("is not a valid path"));
}

TEST_F(CheckE2ETest, JsonReportCarriesTheChainWithFilesAndOffsets) {
    std::string out = dir.path() + "/report.json";
    auto r = check(
        {s.print(hello), "--policy", policy("leak.yaml"), "--format", "json", "--output", out});
    EXPECT_EQ(r.exitCode, 1) << r.err;
    EXPECT_TRUE(r.out.empty());
    auto json = nlohmann::json::parse(readFile(out));
    ASSERT_EQ(json["findings"].size(), 1u);
    const auto& chain = json["findings"][0]["chain"];
    ASSERT_EQ(chain.size(), 2u);
    EXPECT_EQ(chain[0]["file"], "bin/hello");
    EXPECT_EQ(chain[0]["offset"], 6 + s.store().layout().storeDir.size() + 1);
    EXPECT_EQ(chain[1]["file"], "lib/libgreet.so");
    EXPECT_EQ(chain[1]["offset"], 3 + s.store().layout().storeDir.size() + 1);
}

TEST_F(CheckE2ETest, EveryFormatRenders) {
    for (const char* format : {"text", "json", "sarif", "junit", "html", "github"}) {
        auto r = check({s.print(hello), "--policy", policy("leak.yaml"), "--format", format});
        EXPECT_EQ(r.exitCode, 1) << format << r.err;
        EXPECT_THAT(r.out, HasSubstr("no-bootstrap")) << format;
    }
}

TEST_F(CheckE2ETest, JunitHasACaseOnlyWhereTheRulesSelectorPicksThePath) {
    // no-bootstrap picks hello and libgreet by name, not bootstrap-tools itself.
    auto r = check(
        {s.print(hello), s.print(tools), "--policy", policy("leak.yaml"), "--format", "junit"});
    EXPECT_EQ(r.exitCode, 1) << r.err;
    EXPECT_THAT(r.out, HasSubstr("name=\"" + s.print(hello) + "\""));
    EXPECT_THAT(r.out, ::testing::Not(HasSubstr("name=\"" + s.print(tools) + "\"")));
    EXPECT_THAT(r.out, HasSubstr("<testsuites name=\"purist\" tests=\"1\" failures=\"1\""));
}

TEST_F(CheckE2ETest, ResultLinkIsAccepted) {
    std::string link = dir.path() + "/result";
    std::filesystem::create_symlink(s.store().realPath(hello), link);
    auto r = check({link, "--policy", policy("leak.yaml")});
    EXPECT_EQ(r.exitCode, 1) << r.err;
    EXPECT_THAT(r.out, HasSubstr(s.print(hello)));
}

TEST_F(CheckE2ETest, BaselineThenOnlyNewFindingsFail) {
    std::string baseline = dir.path() + "/baseline.json";
    auto first =
        check({s.print(hello), "--policy", policy("leak.yaml"), "--write-baseline", baseline});
    EXPECT_EQ(first.exitCode, 0) << "a written baseline is the purpose of the run";
    auto again = check({s.print(hello), "--policy", policy("leak.yaml"), "--baseline", baseline});
    EXPECT_EQ(again.exitCode, 0) << again.out << again.err;
    auto more = check({s.print(hello), s.print(libgreet), "--policy", policy("leak.yaml"),
                       "--baseline", baseline});
    EXPECT_EQ(more.exitCode, 1);
    testing::makeFile(dir.path() + "/junk.json", "{\"fingerprints\": 3}");
    EXPECT_EQ(check({s.print(hello), "--policy", policy("leak.yaml"), "--baseline",
                     dir.path() + "/junk.json"})
                  .exitCode,
              2);
}

TEST_F(CheckE2ETest, WaiversFileLiveAndExpired) {
    writePolicy("live.yaml", "waivers:\n  - { rule: no-bootstrap, path: hello, reason: 'tracked in "
                             "#12', expires: 2999-01-01 }\n");
    auto live =
        check({s.print(hello), "--policy", policy("leak.yaml"), "--waivers", policy("live.yaml")});
    EXPECT_EQ(live.exitCode, 0) << live.out << live.err;
    EXPECT_THAT(live.out, HasSubstr("tracked in #12"));
    writePolicy(
        "old.yaml",
        "waivers:\n  - { rule: no-bootstrap, path: hello, reason: r, expires: 2001-01-01 }\n");
    auto old =
        check({s.print(hello), "--policy", policy("leak.yaml"), "--waivers", policy("old.yaml")});
    EXPECT_EQ(old.exitCode, 1);
    EXPECT_THAT(old.out, HasSubstr("purist/expired-waiver"));
    writePolicy("unknown.yaml",
                "waivers:\n  - { rule: nope, path: hello, reason: r, expires: 2999-01-01 }\n");
    auto unknown = check(
        {s.print(hello), "--policy", policy("leak.yaml"), "--waivers", policy("unknown.yaml")});
    EXPECT_EQ(unknown.exitCode, 2);
    EXPECT_THAT(unknown.err, HasSubstr("unknown.yaml:2:13: waiver names rule 'nope'"));
}

TEST_F(CheckE2ETest, WhyShowsTheChainAsATree) {
    auto r = runPurist({"--root", s.store().layout().root, "why", s.print(hello), s.print(tools)});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_EQ(r.out.rfind(s.print(hello) + "\n", 0), 0u) << r.out;
    EXPECT_THAT(r.out, HasSubstr("└───bin/hello at byte " +
                                 std::to_string(6 + s.store().layout().storeDir.size() + 1)));
    EXPECT_THAT(r.out, HasSubstr("→ " + s.print(libgreet)));
    EXPECT_THAT(r.out, HasSubstr("    └───lib/libgreet.so at byte"));
    EXPECT_THAT(r.out, HasSubstr("→ " + s.print(tools)));
    auto byName =
        runPurist({"--root", s.store().layout().root, "why", s.print(hello), "bootstrap"});
    EXPECT_EQ(byName.exitCode, 0) << byName.err;
    EXPECT_EQ(byName.out, r.out);
    auto ambiguous = runPurist({"--root", s.store().layout().root, "why", s.print(hello), "o"});
    EXPECT_EQ(ambiguous.exitCode, 2);
    EXPECT_THAT(ambiguous.err, HasSubstr("names several paths"));
    auto all = runPurist(
        {"--root", s.store().layout().root, "why", "--all", s.print(hello), s.print(tools)});
    EXPECT_EQ(all.exitCode, 0);
    auto no = runPurist({"--root", s.store().layout().root, "why", s.print(tools), s.print(hello)});
    EXPECT_EQ(no.exitCode, 1);
    EXPECT_THAT(no.err, HasSubstr("does not depend on"));
}

TEST_F(CheckE2ETest, AuditReportsEveryPathsClosureSizeEvenWhereNoRuleNeededIt) {
    // info.yaml's max-size rule needs no closure; the sizes are reported all the same.
    auto run = runPurist({"--root", s.store().layout().root, "audit", "--policy",
                          policy("info.yaml"), "--format", "json"});
    ASSERT_EQ(run.exitCode, 0) << run.err;
    auto report = nlohmann::json::parse(run.out);
    auto narSize = [&](const StorePath& p) { return s.store().db().queryInfo(p).narSize; };
    std::map<std::string, std::pair<uint64_t, uint64_t>> expected = {
        {s.print(tools), {narSize(tools), 1}},
        {s.print(libgreet), {narSize(libgreet) + narSize(tools), 2}},
        {s.print(hello), {narSize(hello) + narSize(libgreet) + narSize(tools), 3}},
    };
    ASSERT_EQ(report["checked"].size(), 3u);
    for (const auto& checked : report["checked"]) {
        auto want = expected.at(checked["path"].get<std::string>());
        EXPECT_EQ(checked["closureSize"], want.first) << checked["path"];
        EXPECT_EQ(checked["closurePaths"], want.second) << checked["path"];
    }
}

TEST_F(CheckE2ETest, AuditChecksEveryPathAndRecordsHistory) {
    const std::string root = s.store().layout().root;
    auto first = runPurist({"--root", root, "audit", "--policy", policy("leak.yaml")});
    EXPECT_EQ(first.exitCode, 1) << first.err;
    EXPECT_THAT(first.out, HasSubstr("checked 3 paths"));
    EXPECT_EQ(first.err.find('\r'), std::string::npos)
        << "no progress bar when stderr is not a terminal";
    auto second = runPurist({"--root", root, "audit", "--policy", policy("warn.yaml")});
    EXPECT_EQ(second.exitCode, 0) << second.err;
    auto history = runPurist({"--root", root, "audit", "history"});
    ASSERT_EQ(history.exitCode, 0) << history.err;
    EXPECT_THAT(history.out, HasSubstr("run"));
    // Run 1: two leak findings, both new. Run 2: two warnings new, the two errors fixed.
    EXPECT_THAT(history.out, ::testing::ContainsRegex("\n1 +[0-9TZ:-]+ +3 +2 +0 +0 +2 +0 "));
    EXPECT_THAT(history.out, ::testing::ContainsRegex("\n2 +[0-9TZ:-]+ +3 +0 +2 +0 +2 +2 "));
}

} // namespace
} // namespace purist
