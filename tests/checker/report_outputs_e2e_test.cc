// End to end: what a CI job does with one run of `purist check` or `purist audit`: several
// report formats from one run (one audit in the history), and baselines a reviewer reads
// that survive rebuilds and version bumps.

#include "base/file_descriptor.h"
#include "checker/audit_history.h"
#include "checker/engine.h"
#include "tests/checker/checker_fixture.h"
#include "tests/support/test_support.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <set>

namespace purist {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::runPurist;

class ReportOutputsTest : public ::testing::Test {
protected:
    void SetUp() override {
        tools = s.pathFor("bootstrap-tools-1.0");
        s.add(tools, {{"bin/gcc", "gcc"}});
        hello = s.pathFor("hello-2.12");
        s.add(hello, {{"bin/hello", "cc " + s.print(tools) + "/bin/gcc\n"}});
        policy = dir.path() + "/leak.yaml";
        testing::makeFile(policy, R"(rules:
  - id: no-bootstrap
    match: { names: ['hello'] }
    forbid-requisites: { names: ['bootstrap-tools'] }
)");
    }

    testing::RunResult purist(const std::string& command, std::vector<std::string> args) {
        std::vector<std::string> all = {"--root", s.store().layout().root, command};
        all.insert(all.end(), args.begin(), args.end());
        return runPurist(all);
    }
    std::string file(const std::string& name) const { return dir.path() + "/" + name; }

    checker::testing::SmallStore s;
    TempDir dir{"purist-report-outputs-"};
    StorePath tools = StorePath::fromBaseName("00000000000000000000000000000000-x");
    StorePath hello = tools;
    std::string policy;
};

TEST_F(ReportOutputsTest, SeveralFormatsFromOneAuditAreOneHistoryRow) {
    auto run = purist("audit", {"--policy", policy, "--output", "json=" + file("r.json"),
                                "--output", "sarif=" + file("r.sarif"), "--output",
                                "junit=" + file("r.xml"), "--output", "html=" + file("r.html")});
    EXPECT_EQ(run.exitCode, 1) << run.err;
    // The --format report (text by default) still goes to stdout.
    EXPECT_THAT(run.out, HasSubstr("no-bootstrap"));
    auto json = nlohmann::json::parse(readFile(file("r.json")));
    EXPECT_EQ(json["findings"].size(), 1u);
    auto sarif = nlohmann::json::parse(readFile(file("r.sarif")));
    EXPECT_EQ(sarif["runs"][0]["results"].size(), 1u);
    EXPECT_THAT(readFile(file("r.xml")), HasSubstr("<testsuites"));
    EXPECT_THAT(readFile(file("r.html")), HasSubstr("<!DOCTYPE html>"));
    // The same findings in every file: the fingerprint of the JSON is the SARIF one.
    EXPECT_EQ(json["findings"][0]["fingerprint"],
              sarif["runs"][0]["results"][0]["partialFingerprints"]["puristFingerprint/v2"]);

    Database db(s.store().layout().dbPath, Database::Mode::ReadOnly);
    checker::AuditHistory history(db);
    EXPECT_EQ(history.runs().size(), 1u) << "four formats, one audit";
}

TEST_F(ReportOutputsTest, BareOutputAndFormatPairsTogether) {
    auto run =
        purist("check", {s.print(hello), "--policy", policy, "--format", "sarif", "--output",
                         file("main.sarif"), "--output", "github=" + file("annotations.txt")});
    EXPECT_EQ(run.exitCode, 1) << run.err;
    EXPECT_TRUE(run.out.empty()) << run.out;
    EXPECT_NO_THROW(nlohmann::json::parse(readFile(file("main.sarif"))));
    EXPECT_THAT(readFile(file("annotations.txt")), HasSubstr("::error "));
}

TEST_F(ReportOutputsTest, OutputMistakesAreUsageErrorsBeforeTheRun) {
    struct Case {
        std::vector<std::string> outputs;
        const char* message;
    };
    const Case cases[] = {
        {{file("a"), file("b")}, "to write several formats, give each as FORMAT=FILE"},
        {{"json=" + file("a"), "sarif=" + file("a")}, "is already the destination"},
        {{file("a"), "json=" + file("a")}, "is already the destination"},
        {{"json="}, "no file after '='"},
    };
    for (const Case& c : cases) {
        std::vector<std::string> args = {s.print(hello), "--policy", policy};
        for (const std::string& output : c.outputs) {
            args.push_back("--output");
            args.push_back(output);
        }
        auto run = purist("check", args);
        EXPECT_EQ(run.exitCode, 2) << ::testing::PrintToString(c.outputs) << run.err;
        EXPECT_THAT(run.err, HasSubstr(c.message));
        EXPECT_FALSE(std::filesystem::exists(file("a")));
    }
    // A name with '=' whose left side is no format is a file name.
    auto named = purist("check", {s.print(hello), "--policy", policy, "--output", file("x=y")});
    EXPECT_EQ(named.exitCode, 1) << named.err;
    EXPECT_TRUE(std::filesystem::exists(file("x=y")));
}

TEST_F(ReportOutputsTest, BaselineNamesRulePathAndOffenderAndExitsZero) {
    auto run = purist(
        "check", {s.print(hello), "--policy", policy, "--write-baseline", file("baseline.json")});
    EXPECT_EQ(run.exitCode, 0) << run.err;
    EXPECT_THAT(run.err, HasSubstr("wrote the baseline"));
    std::string text = readFile(file("baseline.json"));
    auto json = nlohmann::json::parse(text);
    EXPECT_EQ(json["version"], 2);
    ASSERT_EQ(json["findings"].size(), 1u);
    const auto& entry = json["findings"][0];
    EXPECT_EQ(entry["rule"], "no-bootstrap");
    EXPECT_EQ(entry["path"], "hello-2.12");
    EXPECT_EQ(entry["offender"], "bootstrap-tools-1.0");
    EXPECT_EQ(entry["fingerprint"].get<std::string>().size(), 32u);
    // One entry a line, so a reviewer reads the diff of a baseline change line by line.
    EXPECT_THAT(text, HasSubstr("\n    {\"fingerprint\":"));
}

TEST_F(ReportOutputsTest, AVersionBumpKeepsBaselinedFindingsInTheBaseline) {
    ASSERT_EQ(purist("check", {s.print(hello), "--policy", policy, "--write-baseline",
                               file("baseline.json")})
                  .exitCode,
              0);
    // Both the package and the tool it leaks are bumped: every hash and version changes.
    StorePath newTools = s.pathFor("bootstrap-tools-1.1");
    s.add(newTools, {{"bin/gcc", "gcc 1.1"}});
    StorePath newHello = s.pathFor("hello-2.13");
    s.add(newHello, {{"bin/hello", "cc " + s.print(newTools) + "/bin/gcc\n"}});
    auto run = purist("check", {s.print(newHello), "--policy", policy, "--baseline",
                                file("baseline.json"), "--format", "json"});
    EXPECT_EQ(run.exitCode, 0) << run.out << run.err;
    auto json = nlohmann::json::parse(run.out);
    ASSERT_EQ(json["findings"].size(), 1u);
    EXPECT_EQ(json["findings"][0]["inBaseline"], true);
    // Another package leaking the same tool is a new finding.
    StorePath other = s.pathFor("hello-extra-1.0");
    s.add(other, {{"bin/x", s.print(newTools)}});
    EXPECT_EQ(
        purist("check", {s.print(other), "--policy", policy, "--baseline", file("baseline.json")})
            .exitCode,
        1);
}

TEST_F(ReportOutputsTest, AVersionOneBaselineIsStillRead) {
    // What purist 0.1 wrote: bare fingerprints, names with their versions.
    std::string old = checker::legacyFingerprintOf("no-bootstrap", s.print(hello), s.print(tools));
    testing::makeFile(file("v1.json"), "{\"version\": 1, \"fingerprints\": [\"" + old + "\"]}\n");
    auto run = purist("check", {s.print(hello), "--policy", policy, "--baseline", file("v1.json")});
    EXPECT_EQ(run.exitCode, 0) << run.out << run.err;
    // Rewriting it gives the readable version-2 file.
    ASSERT_EQ(purist("check", {s.print(hello), "--policy", policy, "--baseline", file("v1.json"),
                               "--write-baseline", file("v1.json")})
                  .exitCode,
              0);
    EXPECT_EQ(nlohmann::json::parse(readFile(file("v1.json")))["version"], 2);

    testing::makeFile(file("v3.json"), "{\"version\": 3, \"findings\": []}\n");
    auto future =
        purist("check", {s.print(hello), "--policy", policy, "--baseline", file("v3.json")});
    EXPECT_EQ(future.exitCode, 2);
    EXPECT_THAT(future.err, HasSubstr("baseline version 3 is not one this purist reads"));
}

TEST_F(ReportOutputsTest, AuditHistoryAsJsonAndOneRunsFindings) {
    ASSERT_EQ(purist("audit", {"--policy", policy}).exitCode, 1);
    // The second audit no longer has the leak: a policy that forbids something else.
    testing::makeFile(file("other.yaml"),
                      "rules:\n  - id: small\n    severity: warning\n    max-size: 0\n");
    ASSERT_EQ(purist("audit", {"--policy", file("other.yaml")}).exitCode, 0);

    auto history = purist("audit", {"history", "--format", "json"});
    ASSERT_EQ(history.exitCode, 0) << history.err;
    auto runs = nlohmann::json::parse(history.out);
    ASSERT_EQ(runs.size(), 2u);
    EXPECT_EQ(runs[0]["run"], 1);
    EXPECT_EQ(runs[0]["errors"], 1);
    EXPECT_EQ(runs[0]["new"], 1);
    EXPECT_EQ(runs[1]["warnings"], 2);
    EXPECT_EQ(runs[1]["fixed"], 1);
    EXPECT_EQ(runs[1]["policy"], file("other.yaml"));

    auto second = purist("audit", {"history", "--run", "2", "--format", "json"});
    ASSERT_EQ(second.exitCode, 0) << second.err;
    auto run = nlohmann::json::parse(second.out);
    EXPECT_EQ(run["run"]["run"], 2);
    ASSERT_EQ(run["findings"].size(), 2u);
    for (const auto& f : run["findings"]) {
        EXPECT_EQ(f["rule"], "small");
        EXPECT_EQ(f["severity"], "warning");
        EXPECT_EQ(f["new"], true);
    }
    ASSERT_EQ(run["fixed"].size(), 1u);
    EXPECT_EQ(run["fixed"][0]["rule"], "no-bootstrap");
    EXPECT_EQ(run["fixed"][0]["path"], s.print(hello));
    EXPECT_EQ(run["fixed"][0]["offender"], s.print(tools));

    auto text = purist("audit", {"history", "--run", "1"});
    ASSERT_EQ(text.exitCode, 0) << text.err;
    EXPECT_THAT(text.out,
                HasSubstr("new   error no-bootstrap " + s.print(hello) + " -> " + s.print(tools)));
    auto missing = purist("audit", {"history", "--run", "7"});
    EXPECT_EQ(missing.exitCode, 2);
    EXPECT_THAT(missing.err, HasSubstr("no audit run 7"));
    EXPECT_THAT(missing.err, HasSubstr("runs 1 to 2"));
}

TEST_F(ReportOutputsTest, AuditOfAClosureIsItsOwnScopeInTheHistory) {
    StorePath other = s.pathFor("other-1.0");
    s.add(other, {{"bin/other", "uses " + s.print(tools)}});
    auto scoped =
        purist("audit", {"--policy", policy, "--closure-of", s.print(hello), "--format", "json"});
    EXPECT_EQ(scoped.exitCode, 1) << scoped.err;
    auto report = nlohmann::json::parse(scoped.out);
    std::set<std::string> checked;
    for (const auto& c : report["checked"])
        checked.insert(c["path"]);
    EXPECT_EQ(checked, (std::set<std::string>{s.print(hello), s.print(tools)}))
        << "other-1.0 is outside hello's closure";
    // The whole store in between does not count as the closure's previous run.
    ASSERT_EQ(purist("audit", {"--policy", policy}).exitCode, 1);
    ASSERT_EQ(purist("audit", {"--policy", policy, "--closure-of", s.print(hello)}).exitCode, 1);
    auto history = purist("audit", {"history", "--format", "json"});
    auto runs = nlohmann::json::parse(history.out);
    ASSERT_EQ(runs.size(), 3u);
    EXPECT_EQ(runs[0]["scope"], s.print(hello));
    EXPECT_EQ(runs[0]["paths"], 2);
    EXPECT_EQ(runs[1]["scope"], "");
    EXPECT_EQ(runs[2]["new"], 0) << "same finding as the first run of this scope";
    auto text = purist("audit", {"history"});
    EXPECT_THAT(text.out, HasSubstr("[closure of " + s.print(hello) + "]"));
    auto bad = purist("audit", {"--policy", policy, "--closure-of", file("nowhere")});
    EXPECT_EQ(bad.exitCode, 2) << bad.err;
}

TEST_F(ReportOutputsTest, QueriesSpeakJson) {
    auto why = purist("why", {s.print(hello), "bootstrap-tools", "--json"});
    ASSERT_EQ(why.exitCode, 0) << why.err;
    auto chains = nlohmann::json::parse(why.out);
    EXPECT_EQ(chains["path"], s.print(hello));
    EXPECT_EQ(chains["dependency"], s.print(tools));
    ASSERT_EQ(chains["chains"].size(), 1u);
    const auto& hop = chains["chains"][0][0];
    EXPECT_EQ(hop["to"], s.print(tools));
    EXPECT_EQ(hop["file"], "bin/hello");
    // The hash part of the reference, after "cc " and the store dir.
    EXPECT_EQ(hop["offset"], 3 + s.store().layout().storeDir.size() + 1);
    auto no = purist("why", {s.print(tools), s.print(hello), "--json"});
    EXPECT_EQ(no.exitCode, 1);
    EXPECT_EQ(nlohmann::json::parse(no.out)["chains"].size(), 0u);

    auto config = runPurist({"--root", s.store().layout().root, "config", "show", "--json"});
    ASSERT_EQ(config.exitCode, 0) << config.err;
    bool sawSandbox = false;
    for (const auto& setting : nlohmann::json::parse(config.out)) {
        EXPECT_TRUE(setting.contains("value") && setting.contains("origin") &&
                    setting.contains("type") && setting.contains("default"));
        if (setting["name"] == "sandbox") sawSandbox = true;
    }
    EXPECT_TRUE(sawSandbox);

    auto store = [&](std::vector<std::string> args) {
        args.insert(args.begin(), "store");
        args.push_back("--json");
        auto run = runPurist([&] {
            std::vector<std::string> all = {"--root", s.store().layout().root};
            all.insert(all.end(), args.begin(), args.end());
            return all;
        }());
        EXPECT_EQ(run.exitCode, 0) << run.err;
        return nlohmann::json::parse(run.out);
    };
    EXPECT_EQ(store({"refs", s.print(hello)}), nlohmann::json::array({s.print(tools)}));
    EXPECT_EQ(store({"referrers", s.print(tools)}), nlohmann::json::array({s.print(hello)}));
    EXPECT_EQ(store({"closure", s.print(hello)}).size(), 2u);
    auto sized = store({"closure", "--size", s.print(hello)});
    EXPECT_EQ(sized["paths"].size(), 2u);
    EXPECT_EQ(sized["totalNarSize"],
              s.store().db().queryInfo(hello).narSize + s.store().db().queryInfo(tools).narSize);
    auto verified = store({"verify"});
    EXPECT_EQ(verified["checked"], 2);
    EXPECT_TRUE(verified["problems"].empty());
    auto roots = store({"roots"});
    EXPECT_TRUE(roots["roots"].is_array());
    EXPECT_TRUE(roots["stale"].is_array());
}

// `purist check SPEC` in a repository: the SARIF result points at the spec's check, relative
// to the repository, with the store chain beside it; a rebuild keeps its fingerprint.
TEST(SpecFindingsTest, SarifLocatesTheCheckInTheSpecRelativeToTheRepository) {
    if (std::string why = testing::whyNoStrictBuilds(); !why.empty()) {
        PURIST_SKIP_OUTSIDE_CI(why);
    }
    TempDir dir("purist-spec-sarif-");
    // Unsandboxed set-up steps run as a build user, who must be able to reach the store.
    std::filesystem::permissions(dir.path(), std::filesystem::perms(0755));
    const std::string repo = dir.path() + "/repo";
    const std::string examples = std::string(PURIST_SOURCE_DIR) + "/examples";
    std::filesystem::create_directories(repo + "/.git");
    std::filesystem::copy(examples, repo + "/pkgs", std::filesystem::copy_options::recursive);
    const std::string root = dir.path() + "/root";
    // hello is built before its check is added: a build whose checks fail registers nothing
    // (as in Nix), and `purist check SPEC` is for re-checking built outputs against checks
    // changed since, which are not hashed into the output path.
    auto build = [&] {
        const std::string hello = repo + "/pkgs/hello.yaml";
        std::string spec = readFile(hello);
        testing::makeFile(hello, spec.substr(0, spec.find("checks:")));
        auto result = runPurist({"--root", root, "build", "--config", repo + "/pkgs/purist.yaml",
                                 hello, "--no-out-link"});
        testing::makeFile(hello, spec);
        return result;
    };
    // The check is on this line of hello.yaml; the test finds it rather than hard-coding it.
    auto checkLine = [&] {
        std::string text = readFile(repo + "/pkgs/hello.yaml");
        size_t at = text.find("disallowedRequisites:");
        return 1 + std::count(text.begin(), text.begin() + static_cast<long>(at), '\n');
    };
    auto sarifOfCheck = [&] {
        // As CI runs it: from the repository's top, the spec named relative to it.
        std::filesystem::path before = std::filesystem::current_path();
        std::filesystem::current_path(repo + "/pkgs");
        auto run = runPurist({"--root", root, "check", "hello.yaml", "--format", "sarif"});
        std::filesystem::current_path(before);
        EXPECT_EQ(run.exitCode, 1) << run.err;
        return nlohmann::json::parse(run.out);
    };
    auto first = build();
    ASSERT_EQ(first.exitCode, 0) << first.err;
    nlohmann::json sarif = sarifOfCheck();
    const auto& run = sarif["runs"][0];
    EXPECT_EQ(run["originalUriBaseIds"]["%SRCROOT%"]["uri"], "file://" + repo + "/");
    ASSERT_EQ(run["results"].size(), 1u);
    const auto& result = run["results"][0];
    EXPECT_EQ(result["ruleId"], "spec/hello-1.0/disallowedRequisites");
    const auto& primary = result["locations"][0]["physicalLocation"];
    EXPECT_EQ(primary["artifactLocation"]["uri"], "pkgs/hello.yaml");
    EXPECT_EQ(primary["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    EXPECT_EQ(primary["region"]["startLine"], checkLine());
    // The store chain hello → libgreet → bootstrap-tools, as related locations.
    const auto& related = result["relatedLocations"];
    ASSERT_EQ(related.size(), 3u) << related.dump(1);
    EXPECT_THAT(related[0]["physicalLocation"]["artifactLocation"]["uri"].get<std::string>(),
                ::testing::MatchesRegex("file://.*-hello-1\\.0/bin/hello"));
    EXPECT_THAT(related[1]["physicalLocation"]["artifactLocation"]["uri"].get<std::string>(),
                ::testing::MatchesRegex("file://.*-libgreet-1\\.0/lib/libgreet\\.la"));
    EXPECT_THAT(related[2]["message"]["text"].get<std::string>(), HasSubstr("bootstrap-tools"));
    std::string fingerprint = result["partialFingerprints"]["puristFingerprint/v2"];

    // A rebuild (the builder's script changed, a line added above the check, the version
    // bumped): another output path, the check on another line, the same fingerprint.
    std::string spec = readFile(repo + "/pkgs/hello.yaml");
    spec.replace(spec.find("name: hello-1.0"), 15, "name: hello-1.1\n# bumped");
    spec.replace(spec.find("set -e"), 6, "set -e; : rebuilt");
    testing::makeFile(repo + "/pkgs/hello.yaml", spec);
    auto second = build();
    ASSERT_EQ(second.exitCode, 0) << second.err;
    nlohmann::json again = sarifOfCheck();
    const auto& rebuilt = again["runs"][0]["results"][0];
    EXPECT_EQ(rebuilt["ruleId"], "spec/hello-1.1/disallowedRequisites");
    EXPECT_EQ(rebuilt["locations"][0]["physicalLocation"]["region"]["startLine"], checkLine());
    EXPECT_NE(rebuilt["relatedLocations"][0], related[0]) << "a new output path";
    EXPECT_EQ(rebuilt["partialFingerprints"]["puristFingerprint/v2"], fingerprint);
}

// `purist build --output FORMAT=FILE`: the gate's findings where `purist check SPEC` puts
// them, written whether the build passes or fails, so CI can upload the SARIF of a build
// its checks refused (issue 13: findings from `purist build` located in the spec).
TEST(SpecFindingsTest, BuildWritesItsChecksAsReportsPassedOrFailed) {
    if (std::string why = testing::whyNoStrictBuilds(); !why.empty()) {
        PURIST_SKIP_OUTSIDE_CI(why);
    }
    TempDir dir("purist-build-sarif-");
    std::filesystem::permissions(dir.path(), std::filesystem::perms(0755));
    const std::string repo = dir.path() + "/repo";
    std::filesystem::create_directories(repo + "/.git");
    std::filesystem::copy(std::string(PURIST_SOURCE_DIR) + "/examples", repo + "/pkgs",
                          std::filesystem::copy_options::recursive);
    const std::string root = dir.path() + "/root";
    auto build = [&](const std::string& spec, const std::string& name) {
        std::filesystem::path before = std::filesystem::current_path();
        std::filesystem::current_path(repo);
        auto run = runPurist({"--root", root, "build", "--config", "pkgs/purist.yaml",
                              "pkgs/" + spec, "--no-out-link", "--output",
                              "sarif=" + name + ".sarif", "--output", "junit=" + name + ".xml"});
        std::filesystem::current_path(before);
        return run;
    };

    auto refused = build("hello.yaml", "refused");
    ASSERT_EQ(refused.exitCode, 3) << refused.err;
    nlohmann::json sarif = nlohmann::json::parse(readFile(repo + "/refused.sarif"));
    const auto& run = sarif["runs"][0];
    EXPECT_EQ(run["originalUriBaseIds"]["%SRCROOT%"]["uri"], "file://" + repo + "/");
    ASSERT_EQ(run["results"].size(), 1u) << run["results"].dump(1);
    const auto& result = run["results"][0];
    EXPECT_EQ(result["ruleId"], "spec/hello-1.0/disallowedRequisites");
    EXPECT_EQ(result["level"], "error");
    const auto& primary = result["locations"][0]["physicalLocation"];
    EXPECT_EQ(primary["artifactLocation"]["uri"], "pkgs/hello.yaml");
    EXPECT_EQ(primary["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    std::string text = readFile(repo + "/pkgs/hello.yaml");
    size_t at = text.find("disallowedRequisites:");
    EXPECT_EQ(primary["region"]["startLine"],
              1 + std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
    // hello → libgreet → bootstrap-tools, read from the unregistered output where it lay.
    EXPECT_EQ(result["relatedLocations"].size(), 3u) << result.dump(1);
    EXPECT_THAT(readFile(repo + "/refused.xml"), HasSubstr("<failure"));

    // A build whose checks pass writes the same reports, with nothing found.
    auto passed = build("hello-clean.yaml", "passed");
    ASSERT_EQ(passed.exitCode, 0) << passed.err;
    nlohmann::json clean = nlohmann::json::parse(readFile(repo + "/passed.sarif"));
    EXPECT_TRUE(clean["runs"][0]["results"].empty());
    EXPECT_EQ(clean["runs"][0]["tool"]["driver"]["rules"][0]["id"],
              "spec/hello-1.0/disallowedRequisites");
    EXPECT_THAT(readFile(repo + "/passed.xml"), Not(HasSubstr("<failure")));

    // A format purist does not write is refused before anything is built.
    auto typo = runPurist({"--root", root, "build", "--config", repo + "/pkgs/purist.yaml",
                           repo + "/pkgs/hello.yaml", "--output", "sarf=x.sarif"});
    EXPECT_EQ(typo.exitCode, 2) << typo.err;
    EXPECT_THAT(typo.err, Not(HasSubstr("building")));
}

} // namespace
} // namespace purist
