// Tests for reports/reporters.cc and the five renderers: golden files for each format, the
// official SARIF schema, well-formed XML, escaping of hostile strings, fail-on semantics,
// deterministic order, and the HTML treemap's geometry.

#include "checker/engine.h"
#include "checker/waivers.h"
#include "reports/escaping.h"
#include "reports/report_summary.h"
#include "reports/reporters.h"

#include "base/error.h"
#include "base/temp_dir.h"
#include "tests/reports/report_test_support.h"
#include "tests/support/test_support.h"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <re2/re2.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace purist::reports {
namespace {

using nlohmann::json;

const std::string kHello = storePath("hello-2.12", 1);
const std::string kLibfoo = storePath("libfoo-1.0", 2);
const std::string kGccLib = storePath("gcc-12.2.0-lib", 3);
const std::string kBootstrap = storePath("bootstrap-tools", 4);
const std::string kGlibc = storePath("glibc-2.37-8", 5);
const std::string kToolX = storePath("tool-x-1.0", 6);

constexpr uint64_t KiB = 1024, MiB = 1024 * 1024;

/// The fixture every golden file renders: five described rules (one without findings),
/// an expired waiver's finding and rule as the engine adds them, a 3-hop chain, content sites, a
/// waived finding, a baseline finding, a permission finding on the store dir and a
/// closure of 11 members (one of size 0).
Report fixtureReport() {
    Report report;
    report.toolVersion = "0.1.0";
    report.startedAt = "2026-11-23T10:00:00Z";
    report.storeDir = "/nix/store";
    report.policyFiles = {"rules/packs/bootstrap.yaml", "policy.yaml"};
    report.failOn = Severity::Error;
    report.rules = {
        {"no-bootstrap-tools", Severity::Error, "{path} must not depend on {offender}",
         "https://purist.example/rules/no-bootstrap-tools", "rules/packs/bootstrap.yaml", 3},
        {"no-build-dir", Severity::Warning, "{path} mentions the build directory",
         "Outputs must not refer to /build; patch the configure step.", "policy.yaml", 12},
        {"closure-size-limit", Severity::Info, "closure of {path} is over {limit}", "",
         "policy.yaml", 20},
        {"store-permissions", Severity::Error, "the store dir must be 1735 root:nixbld", "",
         "rules/packs/store-permissions.yaml", 1},
        {"no-usr-bin", Severity::Error, "{path} refers to /usr/bin", "", "policy.yaml", 30},
    };

    CheckedPath hello{kHello, 120 * KiB, 0, {}, {}};
    auto member = [](std::string path, uint64_t size, std::vector<std::string> refs) {
        return ClosureMember{std::move(path), size, std::move(refs)};
    };
    hello.closure = {
        member(kHello, 120 * KiB, {kLibfoo, kGlibc}),
        member(kLibfoo, 2 * MiB, {kGccLib, kGlibc}),
        member(kGccLib, 8 * MiB, {kBootstrap, kGlibc}),
        member(kBootstrap, 60 * MiB, {}),
        member(kGlibc, 30 * MiB, {}),
        member(storePath("zlib-1.3", 7), 400 * KiB, {kGlibc}),
        member(storePath("openssl-3.0.12", 8), 6 * MiB, {kGlibc}),
        member(storePath("ncurses-6.4", 9), 3 * MiB, {kGlibc}),
        member(storePath("bash-5.2-p15", 10), 1536 * KiB, {kGlibc}),
        member(storePath("tzdata-2023c", 11), 4 * MiB, {}),
        member(storePath("empty-hooks", 12), 0, {}),
    };
    for (const ClosureMember& m : hello.closure)
        hello.closureSize += m.narSize;
    hello.closurePaths = hello.closure.size();
    CheckedPath toolX{kToolX, 64 * KiB, 0, {}, {}};
    toolX.closure = {member(kToolX, 64 * KiB, {kBootstrap}), member(kBootstrap, 60 * MiB, {})};
    toolX.closureSize = 64 * KiB + 60 * MiB;
    toolX.closurePaths = 2;
    // Every rule applies to both paths but closure-size-limit, whose selector takes hello only.
    hello.rules = {0, 1, 2, 3, 4};
    toolX.rules = {0, 1, 3, 4};
    report.checked = {hello, toolX};

    Finding leak;
    leak.ruleId = "no-bootstrap-tools";
    leak.severity = Severity::Error;
    leak.message = "hello-2.12 must not depend on bootstrap-tools";
    leak.help = "https://purist.example/rules/no-bootstrap-tools";
    leak.path = kHello;
    leak.offender = kBootstrap;
    leak.chain = {
        {kHello, kLibfoo, "bin/hello", 4242, "...RPATH=" + kLibfoo.substr(0, 30) + "..."},
        {kLibfoo, kGccLib, "lib/libfoo.so.1", 1024, "..." + kGccLib.substr(11, 20) + "..."},
        {kGccLib, kBootstrap, "lib/libgcc_s.so.1", 77, "#!" + kBootstrap + "/bin/sh"},
    };
    leak.fingerprint = "no-bootstrap-tools:hello-2.12:bootstrap-tools";

    Finding waived;
    waived.ruleId = "no-bootstrap-tools";
    waived.severity = Severity::Error;
    waived.message = "tool-x-1.0 must not depend on bootstrap-tools";
    waived.path = kToolX;
    waived.offender = kBootstrap;
    waived.chain = {{kToolX, kBootstrap, "bin/tool-x", 512, "#!" + kBootstrap + "/bin/sh"}};
    waived.waiverReason = "bootstrap shell needed until the 2027 rebuild (ISSUE-12)";
    waived.fingerprint = "no-bootstrap-tools:tool-x-1.0:bootstrap-tools";

    Finding buildDir;
    buildDir.ruleId = "no-build-dir";
    buildDir.severity = Severity::Warning;
    buildDir.message = "hello-2.12 mentions the build directory";
    buildDir.path = kHello;
    buildDir.offender = "/build/source";
    buildDir.sites = {{"bin/hello", 9000, "..../build/source/src/hello.c.."},
                      {"share/doc/hello/config.log", 17, "  $ ./configure --prefix=/build/source"}};
    buildDir.inBaseline = true;
    buildDir.fingerprint = "no-build-dir:hello-2.12:/build/source";

    Finding buildDirTool;
    buildDirTool.ruleId = "no-build-dir";
    buildDirTool.severity = Severity::Warning;
    buildDirTool.message = "tool-x-1.0 mentions the build directory";
    buildDirTool.path = kToolX;
    buildDirTool.offender = "/build/tool-x";
    buildDirTool.sites = {{"share/tool-x/paths.txt", 3, "src=/build/tool-x/src"}};
    // The fingerprint the engine gives every finding it makes; the writers print it as it is.
    buildDirTool.fingerprint =
        checker::fingerprintOf(buildDirTool.ruleId, buildDirTool.path, buildDirTool.offender);

    Finding closureSize;
    closureSize.ruleId = "closure-size-limit";
    closureSize.severity = Severity::Info;
    closureSize.message = "closure of hello-2.12 is 115.5 MiB, over 100 MiB";
    closureSize.path = kHello;
    closureSize.fingerprint = "closure-size-limit:hello-2.12:";
    closureSize.largest = {{kBootstrap, 60 * MiB}, {kGlibc, 30 * MiB}, {kGccLib, 8 * MiB}};

    Finding permissions;
    permissions.ruleId = "store-permissions";
    permissions.severity = Severity::Error;
    permissions.message = "the store dir has mode 0775; expected 1735 root:nixbld";
    permissions.path = "/nix/store";
    permissions.offender = "0775";
    permissions.fingerprint = "store-permissions:/nix/store:0775";

    // The expired waiver as the engine reports it, rule and all (checker/waivers.cc), so
    // that the golden files show the rule id and wording purist emits.
    rules::Waiver lapsed{"no-usr-bin",
                         {"tool-x", std::make_shared<const re2::RE2>("tool-x")},
                         "vendored until upstream drops /usr/bin/env",
                         "2026-10-01",
                         SourceLocation{"ci/waivers.yaml", 7, 5}};
    std::vector<Finding> lapsedFindings;
    EXPECT_TRUE(checker::applyWaivers({lapsed}, "2026-11-23", lapsedFindings));
    Finding expired = lapsedFindings.at(0);
    report.rules.push_back(checker::expiredWaiverRuleInfo());

    // Deliberately not in display order: the reporters sort.
    report.findings = {closureSize, buildDirTool, expired, leak, permissions, buildDir, waived};
    return report;
}

std::string render(const Report& report, ReportFormat format, bool color = false) {
    std::ostringstream out;
    writeReport(report, format, out, {color});
    return out.str();
}

/// Compares `actual` to tests/reports/data/`name`; PURIST_TEST_ACCEPT=1 rewrites it.
void expectGolden(const std::string& name, const std::string& actual) {
    testing::expectGoldenFile(std::string(PURIST_TEST_DATA_DIR) + "/" + name, actual);
}

// PURIST_TEST_ACCEPT=1 rewrites a golden file and compares nothing; any other value, or
// none, compares and leaves the file alone.
TEST(GoldenFiles, OnlyAcceptEqualToOneRewritesThem) {
    TempDir dir("purist-golden-");
    const std::string golden = dir.path() + "/golden.txt";
    writeFile(golden, "old\n");
    const char* before = std::getenv("PURIST_TEST_ACCEPT");
    const std::string saved = before ? before : "";
    for (const char* value : {"yes", "0", "true"}) {
        ::setenv("PURIST_TEST_ACCEPT", value, 1);
        EXPECT_NONFATAL_FAILURE(testing::expectGoldenFile(golden, "new\n"), "differs from");
        EXPECT_EQ(readFile(golden), "old\n") << value;
    }
    ::unsetenv("PURIST_TEST_ACCEPT");
    EXPECT_NONFATAL_FAILURE(testing::expectGoldenFile(golden, "new\n"), "PURIST_TEST_ACCEPT=1");
    ::setenv("PURIST_TEST_ACCEPT", "1", 1);
    testing::expectGoldenFile(golden, "new\n");
    EXPECT_EQ(readFile(golden), "new\n");
    if (before) {
        ::setenv("PURIST_TEST_ACCEPT", saved.c_str(), 1);
    } else {
        ::unsetenv("PURIST_TEST_ACCEPT");
    }
}

/// The exit status a checker script uses when a Python module it needs is missing.
constexpr int kMissingModule = 77;

/// Runs `script` once with python3 on `documents`, each written to a file and passed as an
/// argument after `leadingArgs`: one interpreter start for many checks keeps the suite fast.
/// The scripts print one line per document, "ok" or "invalid: why".
testing::RunResult runPythonOn(const std::string& script, const std::vector<std::string>& documents,
                               const std::vector<std::string>& leadingArgs = {}) {
    TempDir dir("purist-reporters-");
    std::vector<std::string> argv = {"python3", "-c", script};
    argv.insert(argv.end(), leadingArgs.begin(), leadingArgs.end());
    for (size_t i = 0; i < documents.size(); ++i) {
        std::string file = dir.path() + "/document" + std::to_string(i);
        writeFile(file, documents[i]);
        argv.push_back(file);
    }
    return testing::runProgram(argv);
}

/// The per-document verdict lines of a checker script's output.
std::vector<std::string> verdicts(const testing::RunResult& result) {
    std::vector<std::string> lines;
    std::istringstream in(result.out);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line.substr(0, line.find(':')));
    return lines;
}

constexpr const char* kValidateSarif = R"py(
import json, sys
try:
    import jsonschema
except ImportError:
    sys.exit(77)
schema = json.load(open(sys.argv[1]))
validator = jsonschema.Draft202012Validator(
    schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
for path in sys.argv[2:]:
    errors = list(validator.iter_errors(json.load(open(path))))
    if errors:
        print("invalid:", "; ".join(
            "/".join(str(p) for p in e.absolute_path) + " " + e.message for e in errors))
    else:
        print("ok")
)py";

constexpr const char* kParseXml = R"py(
import sys, xml.dom.minidom
for path in sys.argv[1:]:
    try:
        xml.dom.minidom.parse(path)
        print("ok")
    except Exception as error:
        print("invalid:", error)
)py";

/// A report whose strings try to break out of every format.
Report hostileReport() {
    Report report = fixtureReport();
    const std::string evil = "<script>alert('x\")</script> & \x1b[2J\x1b]0;pwned\x07 \xff\xfe "
                             "\xc2\x9b tab\there \"quoted\" ]]> --> \x01";
    report.policyFiles.push_back("policy " + evil + ".yaml");
    report.rules[0].message += evil;
    report.rules[0].help = "javascript:alert(1)";
    for (Finding& finding : report.findings) {
        finding.message += evil;
        if (finding.waiverReason) *finding.waiverReason += evil;
        for (ChainHop& hop : finding.chain) {
            hop.file += " " + evil;
            hop.excerpt += evil;
        }
        for (ContentSite& site : finding.sites) {
            site.file = "dir with space/#?%/" + evil;
            site.excerpt += evil;
        }
    }
    report.checked[0].closure[3].path += evil;
    return report;
}

TEST(ReportFormatTest, ParsesEveryDocumentedName) {
    const std::pair<const char*, ReportFormat> table[] = {
        {"text", ReportFormat::Text},   {"json", ReportFormat::Json},
        {"sarif", ReportFormat::Sarif}, {"junit", ReportFormat::Junit},
        {"html", ReportFormat::Html},   {"github", ReportFormat::Github},
    };
    for (const auto& [name, format] : table) {
        EXPECT_EQ(parseReportFormat(name), format) << name;
        EXPECT_STREQ(reportFormatName(format), name);
    }
}

TEST(ReportFormatTest, RejectsUnknownNamesListingTheValidOnes) {
    for (const char* bad : {"", "xml", "JSON", "sarif2", "text "}) {
        try {
            parseReportFormat(bad);
            ADD_FAILURE() << "accepted '" << bad << "'";
        } catch (const UsageError& e) {
            EXPECT_NE(std::string(e.what()).find("text, json, sarif, junit, html, github"),
                      std::string::npos)
                << e.what();
        }
    }
}

TEST(ReportersTest, TextMatchesGolden) {
    expectGolden("report.txt", render(fixtureReport(), ReportFormat::Text));
}
TEST(ReportersTest, JsonMatchesGolden) {
    expectGolden("report.json", render(fixtureReport(), ReportFormat::Json));
}
TEST(ReportersTest, SarifMatchesGolden) {
    expectGolden("report.sarif", render(fixtureReport(), ReportFormat::Sarif));
}
TEST(ReportersTest, JunitMatchesGolden) {
    expectGolden("report.junit.xml", render(fixtureReport(), ReportFormat::Junit));
}
TEST(ReportersTest, GithubMatchesGolden) {
    expectGolden("report.github.txt", render(fixtureReport(), ReportFormat::Github));
}
TEST(ReportersTest, HtmlMatchesGolden) {
    expectGolden("report.html", render(fixtureReport(), ReportFormat::Html));
}

TEST(ReportersTest, OutputDoesNotDependOnFindingOrder) {
    Report shuffled = fixtureReport();
    std::reverse(shuffled.findings.begin(), shuffled.findings.end());
    std::rotate(shuffled.findings.begin(), shuffled.findings.begin() + 3, shuffled.findings.end());
    for (ReportFormat format : {ReportFormat::Text, ReportFormat::Json, ReportFormat::Sarif,
                                ReportFormat::Junit, ReportFormat::Html})
        EXPECT_EQ(render(fixtureReport(), format), render(shuffled, format))
            << reportFormatName(format);
}

TEST(ReportersTest, TextIsColouredOnlyWhenAsked) {
    std::string plain = render(fixtureReport(), ReportFormat::Text, false);
    std::string colored = render(fixtureReport(), ReportFormat::Text, true);
    EXPECT_EQ(plain.find('\x1b'), std::string::npos);
    EXPECT_NE(colored.find("\x1b[31merror\x1b[0m"), std::string::npos);
    // Stripping the escapes gives back the plain text.
    EXPECT_EQ(std::regex_replace(colored, std::regex("\x1b\\[[0-9;]*m"), ""), plain);
}

TEST(ReportersTest, TextDrawsTheChainAsATree) {
    std::string text = render(fixtureReport(), ReportFormat::Text);
    std::string expected = "    " + kHello + "\n    └─ bin/hello @ 4242";
    EXPECT_NE(text.find(expected), std::string::npos) << text;
    EXPECT_NE(text.find("          " + kBootstrap + "\n"), std::string::npos) << text;
    EXPECT_NE(text.find("    ├─ bin/hello @ 9000"), std::string::npos);
    EXPECT_NE(text.find("    └─ share/doc/hello/config.log @ 17"), std::string::npos);
}

TEST(ReportersTest, SummaryCountsActiveWaivedAndBaselineFindings) {
    std::string text = render(fixtureReport(), ReportFormat::Text);
    EXPECT_NE(text.find("FAIL: 2 errors, 2 warnings, 1 info; 1 waived, 1 in baseline "
                        "(fail-on: error)\n"),
              std::string::npos)
        << text;
    json doc = json::parse(render(fixtureReport(), ReportFormat::Json));
    EXPECT_EQ(doc["summary"], json({{"errors", 2},
                                    {"warnings", 2},
                                    {"info", 1},
                                    {"waived", 1},
                                    {"baseline", 1},
                                    {"failing", 2}}));
}

TEST(ReportersTest, FailOnDecidesTheVerdictInEveryFormat) {
    struct Case {
        Severity failOn;
        bool dropActiveErrors;
        bool fails;
        int junitFailures;
    };
    // Active findings in the fixture: 2 errors (hello leak, store permissions), 2 warnings
    // (tool-x build dir, expired waiver), 1 info. Waived and baseline ones never fail.
    const Case cases[] = {
        {Severity::Error, false, true, 2},  {Severity::Warning, false, true, 4},
        {Severity::Info, false, true, 5},   {Severity::Error, true, false, 0},
        {Severity::Warning, true, true, 2},
    };
    for (const Case& c : cases) {
        Report report = fixtureReport();
        report.failOn = c.failOn;
        if (c.dropActiveErrors)
            std::erase_if(report.findings, [](const Finding& f) {
                return f.severity == Severity::Error && !f.waiverReason && !f.inBaseline;
            });
        SCOPED_TRACE(std::string("fail-on ") + severityName(c.failOn) +
                     (c.dropActiveErrors ? " without active errors" : ""));
        ASSERT_EQ(reportFails(report), c.fails);
        std::string text = render(report, ReportFormat::Text);
        EXPECT_NE(text.find(c.fails ? "\nFAIL: " : "\nPASS: "), std::string::npos);
        EXPECT_NE(text.find(std::string("(fail-on: ") + severityName(c.failOn) + ")"),
                  std::string::npos);
        json doc = json::parse(render(report, ReportFormat::Json));
        EXPECT_EQ(doc["result"], c.fails ? "fail" : "pass");
        EXPECT_EQ(doc["failOn"], severityName(c.failOn));
        int failingFlags = 0;
        for (const json& f : doc["findings"])
            failingFlags += f["failing"].get<bool>();
        EXPECT_EQ(failingFlags, c.junitFailures);
        json sarif = json::parse(render(report, ReportFormat::Sarif));
        EXPECT_EQ(sarif["runs"][0]["properties"]["result"], c.fails ? "fail" : "pass");
        std::string junit = render(report, ReportFormat::Junit);
        std::smatch match;
        ASSERT_TRUE(
            std::regex_search(junit, match, std::regex("<testsuites [^>]*failures=\"(\\d+)\"")));
        EXPECT_EQ(std::stoi(match[1]), c.junitFailures);
        std::string html = render(report, ReportFormat::Html);
        EXPECT_NE(html.find(c.fails ? "<div class=\"verdict fail\">FAIL</div>"
                                    : "<div class=\"verdict pass\">PASS</div>"),
                  std::string::npos);
    }
}

TEST(ReportersTest, JsonHasEveryFieldOfTheReport) {
    Report report = fixtureReport();
    json doc = json::parse(render(report, ReportFormat::Json));
    EXPECT_EQ(doc["schemaVersion"], 1);
    EXPECT_EQ(doc["tool"], json({{"name", "purist"}, {"version", "0.1.0"}}));
    EXPECT_EQ(doc["startedAt"], report.startedAt);
    EXPECT_EQ(doc["storeDir"], report.storeDir);
    EXPECT_EQ(doc["policyFiles"], json(report.policyFiles));
    ASSERT_EQ(doc["rules"].size(), report.rules.size());
    EXPECT_EQ(doc["rules"][0]["sourceLine"], 3);
    ASSERT_EQ(doc["checked"].size(), 2u);
    EXPECT_EQ(doc["checked"][0]["closure"].size(), 11u);
    EXPECT_EQ(doc["checked"][0]["closureSize"], report.checked[0].closureSize);
    EXPECT_EQ(doc["checked"][0]["closure"][0]["references"], json({kLibfoo, kGlibc}));
    ASSERT_EQ(doc["findings"].size(), report.findings.size());
    const json& leak = doc["findings"][0];
    EXPECT_EQ(leak["ruleId"], "no-bootstrap-tools"); // errors first, then by rule id
    EXPECT_EQ(doc["findings"][2]["ruleId"], "store-permissions");
    bool sawChain = false, sawWaiver = false, sawBaseline = false;
    for (const json& f : doc["findings"]) {
        if (f["chain"].size() == 3) {
            sawChain = true;
            EXPECT_EQ(f["chain"][1]["file"], "lib/libfoo.so.1");
            EXPECT_EQ(f["chain"][1]["offset"], 1024);
            EXPECT_EQ(f["chain"][2]["to"], kBootstrap);
        }
        if (f["waived"] == true) {
            sawWaiver = true;
            EXPECT_EQ(f["waiverReason"],
                      "bootstrap shell needed until the 2027 rebuild (ISSUE-12)");
            EXPECT_EQ(f["failing"], false);
        } else {
            EXPECT_TRUE(f["waiverReason"].is_null());
        }
        sawBaseline |= f["inBaseline"] == true;
        EXPECT_FALSE(f["fingerprint"].get<std::string>().empty());
    }
    EXPECT_TRUE(sawChain && sawWaiver && sawBaseline);
}

/// The keys of every object in `value`, as paths ("findings[].chain[].offset").
void collectKeys(const json& value, const std::string& prefix, std::set<std::string>& keys) {
    if (value.is_object()) {
        for (const auto& [key, child] : value.items()) {
            keys.insert(prefix + key);
            collectKeys(child, prefix + key + ".", keys);
        }
    } else if (value.is_array()) {
        for (const json& child : value)
            collectKeys(child, prefix.substr(0, prefix.size() - 1) + "[].", keys);
    }
}

TEST(ReportersTest, JsonMatchesTheDocumentedExample) {
    std::string doc = readFile(std::string(PURIST_SOURCE_DIR) + "/docs/json-format.md");
    size_t start = doc.find("```json\n");
    ASSERT_NE(start, std::string::npos);
    start += 8;
    json example = json::parse(doc.substr(start, doc.find("```", start) - start));
    std::set<std::string> documented, rendered;
    collectKeys(example, "", documented);
    collectKeys(json::parse(render(fixtureReport(), ReportFormat::Json)), "", rendered);
    // The example is abridged (no content sites), so its keys are a subset; every key the
    // renderer writes must be described in the document's tables.
    for (const std::string& key : documented)
        EXPECT_TRUE(rendered.count(key)) << key << " is in the example but not written";
    for (const std::string& key : rendered) {
        std::string leaf = key.substr(key.find_last_of('.') + 1);
        bool described = doc.find("`" + leaf + "`") != std::string::npos ||
                         doc.find("." + leaf + "`") != std::string::npos ||
                         doc.find("\"" + leaf + "\"") != std::string::npos;
        EXPECT_TRUE(described) << key << " is not documented";
    }
    EXPECT_GT(documented.size(), 30u);
}

TEST(ReportersTest, SarifValidatesAgainstTheOfficialSchema) {
    if (!testing::haveProgram("python3")) {
        PURIST_SKIP_OUTSIDE_CI("python3 and python3-jsonschema");
    }
    std::string schema = std::string(PURIST_TEST_DATA_DIR) + "/sarif-2.1.0.json";
    Report empty;
    empty.toolVersion = "0.1.0";
    // The last document lacks a required property: proof the validator is live.
    json broken = json::parse(render(fixtureReport(), ReportFormat::Sarif));
    broken["runs"][0]["results"][0].erase("message");
    // A spec check's finding: located in the spec, relative to the repository.
    Report inRepository = fixtureReport();
    inRepository.sourceRoot = "/home/ci/repo with space/";
    for (Finding& finding : inRepository.findings)
        if (!finding.chain.empty()) finding.source = SourceLocation{"pkgs/hello.yaml", 18, 3};
    testing::RunResult result = runPythonOn(
        kValidateSarif,
        {render(fixtureReport(), ReportFormat::Sarif), render(hostileReport(), ReportFormat::Sarif),
         render(empty, ReportFormat::Sarif), render(inRepository, ReportFormat::Sarif),
         broken.dump()},
        {schema});
    if (result.exitCode == kMissingModule) {
        PURIST_SKIP_OUTSIDE_CI("python3-jsonschema");
    }
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_EQ(verdicts(result), (std::vector<std::string>{"ok", "ok", "ok", "ok", "invalid"}))
        << result.out;
}

TEST(ReportersTest, SarifHasWhatGithubCodeScanningNeeds) {
    json sarif = json::parse(render(fixtureReport(), ReportFormat::Sarif));
    EXPECT_EQ(sarif["version"], "2.1.0");
    ASSERT_EQ(sarif["runs"].size(), 1u);
    const json& run = sarif["runs"][0];
    const json& driver = run["tool"]["driver"];
    EXPECT_EQ(driver["name"], "purist");
    // The five rules of the policy and the engine's expired-waiver rule.
    ASSERT_EQ(driver["rules"].size(), 6u);
    for (const json& rule : driver["rules"]) {
        EXPECT_FALSE(rule["shortDescription"]["text"].get<std::string>().empty());
        EXPECT_FALSE(rule["fullDescription"]["text"].get<std::string>().empty());
        // help only where the rule has some: never its message again.
        if (rule.contains("help")) {
            EXPECT_FALSE(rule["help"]["text"].get<std::string>().empty());
            EXPECT_NE(rule["help"]["text"], rule["shortDescription"]["text"]);
        }
        EXPECT_TRUE(rule["defaultConfiguration"]["level"] == "error" ||
                    rule["defaultConfiguration"]["level"] == "warning" ||
                    rule["defaultConfiguration"]["level"] == "note");
    }
    ASSERT_EQ(run["results"].size(), 7u);
    std::set<std::string> fingerprints;
    for (const json& result : run["results"]) {
        size_t index = result["ruleIndex"];
        EXPECT_EQ(driver["rules"][index]["id"], result["ruleId"]);
        EXPECT_FALSE(result["message"]["text"].get<std::string>().empty());
        ASSERT_EQ(result["locations"].size(), 1u);
        std::string uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
        // A finding about a configuration file points at the file as the user named it.
        EXPECT_TRUE(uri.starts_with(result["ruleId"] == checker::kExpiredWaiverRule
                                        ? "ci/waivers.yaml"
                                        : "file:///nix/store"))
            << uri;
        fingerprints.insert(result["partialFingerprints"]["puristFingerprint/v2"]);
        EXPECT_TRUE(result["baselineState"] == "new" || result["baselineState"] == "unchanged");
    }
    EXPECT_EQ(fingerprints.size(), 7u) << "fingerprints must tell findings apart";

    auto find = [&](const std::string& ruleId, const std::string& pathPart) {
        for (const json& result : run["results"])
            if (result["ruleId"] == ruleId &&
                result["properties"]["path"].get<std::string>().find(pathPart) != std::string::npos)
                return result;
        ADD_FAILURE() << "no result for " << ruleId << " " << pathPart;
        return json();
    };
    json leak = find("no-bootstrap-tools", "hello");
    EXPECT_EQ(leak["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
              "file://" + kHello + "/bin/hello");
    EXPECT_EQ(leak["locations"][0]["physicalLocation"]["region"]["byteOffset"], 4242);
    const json& steps = leak["codeFlows"][0]["threadFlows"][0]["locations"];
    ASSERT_EQ(steps.size(), 4u); // three hops and the offender
    EXPECT_EQ(steps[2]["location"]["physicalLocation"]["artifactLocation"]["uri"],
              "file://" + kGccLib + "/lib/libgcc_s.so.1");
    EXPECT_EQ(steps[2]["location"]["physicalLocation"]["region"]["byteOffset"], 77);
    EXPECT_TRUE(leak["suppressions"].empty());
    EXPECT_EQ(leak["baselineState"], "new");

    json waived = find("no-bootstrap-tools", "tool-x");
    ASSERT_EQ(waived["suppressions"].size(), 1u);
    EXPECT_EQ(waived["suppressions"][0]["kind"], "external");
    EXPECT_EQ(waived["suppressions"][0]["justification"],
              "bootstrap shell needed until the 2027 rebuild (ISSUE-12)");
    EXPECT_EQ(find("no-build-dir", "hello")["baselineState"], "unchanged");
    EXPECT_EQ(find("no-build-dir", "hello")["relatedLocations"].size(), 2u);
    EXPECT_EQ(find("closure-size-limit", "hello")["level"], "note");

    // Fingerprints are stable across a rebuild that changes every hash.
    Report rebuilt = fixtureReport();
    for (Finding& f : rebuilt.findings)
        f.path = std::regex_replace(f.path, std::regex("/[0-9a-z]{32}-"),
                                    "/00000000000000000000000000000000-");
    json again = json::parse(render(rebuilt, ReportFormat::Sarif));
    for (size_t i = 0; i < run["results"].size(); ++i)
        EXPECT_EQ(again["runs"][0]["results"][i]["partialFingerprints"],
                  run["results"][i]["partialFingerprints"]);
}

TEST(ReportersTest, SizesAreSaidAsSizesAndConfigFindingsPointAtTheirLine) {
    Report report = fixtureReport();
    std::string text = render(report, ReportFormat::Text);
    EXPECT_NE(text.find("60.0 MiB (62914560 bytes)"), std::string::npos) << text;
    EXPECT_EQ(text.find("at byte 0"), std::string::npos);
    EXPECT_NE(text.find("at ci/waivers.yaml:7:5"), std::string::npos) << text;

    json sarif = json::parse(render(report, ReportFormat::Sarif));
    for (const json& result : sarif["runs"][0]["results"]) {
        SCOPED_TRACE(result["ruleId"].get<std::string>());
        std::vector<json> locations(result["locations"].begin(), result["locations"].end());
        if (result.contains("relatedLocations"))
            locations.insert(locations.end(), result["relatedLocations"].begin(),
                             result["relatedLocations"].end());
        for (const json& location : locations) {
            std::string uri = location["physicalLocation"]["artifactLocation"]["uri"];
            // One store path per URI, never a store path inside another.
            EXPECT_LE(std::count(uri.begin(), uri.end(), ':'), 1) << uri;
            EXPECT_EQ(uri.find("/nix/store/", 1), uri.rfind("/nix/store/")) << uri;
        }
        if (result["ruleId"] == checker::kExpiredWaiverRule) {
            const json& physical = result["locations"][0]["physicalLocation"];
            EXPECT_EQ(physical["artifactLocation"]["uri"], "ci/waivers.yaml");
            EXPECT_EQ(physical["region"]["startLine"], 7);
            EXPECT_EQ(physical["region"]["startColumn"], 5);
        }
        if (result["ruleId"] == "closure-size-limit") {
            ASSERT_EQ(result["relatedLocations"].size(), 3u);
            EXPECT_EQ(result["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                      "file://" + kBootstrap);
            std::string message = result["relatedLocations"][0]["message"]["text"];
            EXPECT_NE(message.find("60.0 MiB (62914560 bytes)"), std::string::npos) << message;
        }
    }
}

// The runner's side of a workflow command: the command, its properties and its message,
// decoded as GitHub's toolkit decodes them (%25 last, so "%250A" stays "%0A").
struct WorkflowCommand {
    std::string command;
    std::map<std::string, std::string> properties;
    std::string message;
};

std::string decodeCommandText(std::string text, bool property) {
    auto replaceAll = [&text](const std::string& from, const std::string& to) {
        for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + 1))
            text.replace(at, from.size(), to);
    };
    replaceAll("%0D", "\r");
    replaceAll("%0A", "\n");
    if (property) {
        replaceAll("%3A", ":");
        replaceAll("%2C", ",");
    }
    replaceAll("%25", "%");
    return text;
}

std::vector<WorkflowCommand> parseWorkflowCommands(const std::string& output) {
    std::vector<WorkflowCommand> commands;
    std::istringstream in(output);
    for (std::string line; std::getline(in, line);) {
        if (!line.starts_with("::")) continue;
        size_t end = line.find("::", 2);
        if (end == std::string::npos) continue;
        std::string head = line.substr(2, end - 2);
        WorkflowCommand command;
        command.command = head.substr(0, head.find(' '));
        if (head.find(' ') != std::string::npos) {
            std::istringstream props(head.substr(head.find(' ') + 1));
            for (std::string prop; std::getline(props, prop, ',');)
                command.properties[prop.substr(0, prop.find('='))] =
                    decodeCommandText(prop.substr(prop.find('=') + 1), true);
        }
        command.message = decodeCommandText(line.substr(end + 2), false);
        commands.push_back(std::move(command));
    }
    return commands;
}

TEST(ReportersTest, GithubAnnotationsAreOnePerActiveFindingAndDecodeToIt) {
    for (const Report& report : {fixtureReport(), hostileReport()}) {
        std::string output = render(report, ReportFormat::Github);
        std::vector<WorkflowCommand> commands = parseWorkflowCommands(output);
        // Active findings only: the waived one and the baselined one are accepted.
        size_t active = 0, lines = 0;
        for (const Finding& f : report.findings)
            active += !f.waiverReason && !f.inBaseline;
        for (char ch : output)
            lines += ch == '\n';
        ASSERT_EQ(commands.size(), active) << output;
        EXPECT_EQ(lines, active + 1) << "one line per annotation and a summary: " << output;
        for (const WorkflowCommand& command : commands) {
            SCOPED_TRACE(command.message);
            const std::string& title = command.properties.at("title");
            auto finding =
                std::find_if(report.findings.begin(), report.findings.end(), [&](const Finding& f) {
                    return "purist " + f.ruleId == title &&
                           command.message.starts_with(f.message.substr(0, 10));
                });
            ASSERT_NE(finding, report.findings.end()) << title;
            EXPECT_EQ(command.command, isFailing(report, *finding)           ? "error"
                                       : finding->severity == Severity::Info ? "notice"
                                                                             : "warning");
            // Nothing a build wrote reaches the log as a control byte or a line of its own.
            for (char ch : command.message)
                EXPECT_TRUE(ch == '\n' || static_cast<unsigned char>(ch) >= 0x20) << int(ch);
            if (finding->ruleId == checker::kExpiredWaiverRule) {
                EXPECT_EQ(command.properties.at("file"), "ci/waivers.yaml");
                EXPECT_EQ(command.properties.at("line"), "7");
                EXPECT_EQ(command.properties.at("col"), "5");
            } else {
                EXPECT_EQ(command.properties.count("file"), 0u);
            }
            if (!finding->chain.empty()) {
                std::string last;
                appendTerminalSafe(last, finding->chain.back().to);
                EXPECT_NE(command.message.find("\n  -> " + last), std::string::npos);
            }
        }
    }
    EXPECT_EQ(decodeCommandText("100%25 a%0Ab", false), "100% a\nb");
}

TEST(ReportersTest, SarifPastGithubsLimitsIsWarnedAbout) {
    auto findings = [](size_t count) {
        Report report = fixtureReport();
        report.findings.resize(count, report.findings.front());
        return report;
    };
    EXPECT_TRUE(reportFormatWarnings(findings(5000), ReportFormat::Sarif).empty());
    EXPECT_TRUE(reportFormatWarnings(findings(30000), ReportFormat::Json).empty());
    auto shown = reportFormatWarnings(findings(5001), ReportFormat::Sarif);
    ASSERT_EQ(shown.size(), 1u);
    EXPECT_NE(shown[0].find("keeps only the 5000"), std::string::npos) << shown[0];
    auto rejected = reportFormatWarnings(findings(25001), ReportFormat::Sarif);
    ASSERT_EQ(rejected.size(), 1u);
    EXPECT_NE(rejected[0].find("rejects an upload of more than 25000"), std::string::npos)
        << rejected[0];
}

TEST(ReportersTest, JunitValidatesAgainstJenkinsSchema) {
    if (!testing::haveProgram("xmllint")) {
        PURIST_SKIP_OUTSIDE_CI("xmllint (Debian's libxml2-utils)");
    }
    std::string schema = std::string(PURIST_TEST_DATA_DIR) + "/junit-10.xsd";
    Report empty;
    empty.toolVersion = "0.1.0";
    TempDir dir("purist-junit-");
    struct Case {
        const char* name;
        std::string document;
        bool valid;
    } cases[] = {
        {"fixture", render(fixtureReport(), ReportFormat::Junit), true},
        {"hostile", render(hostileReport(), ReportFormat::Junit), true},
        {"empty", render(empty, ReportFormat::Junit), true},
        // What purist wrote before: proof that the validator is live.
        {"skipped on testsuites",
         "<testsuites skipped=\"0\"><testsuite name=\"a\" tests=\"0\" failures=\"0\" "
         "errors=\"0\"/></testsuites>",
         false},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        std::string file = dir.path() + "/report.xml";
        writeFile(file, c.document);
        testing::RunResult result =
            testing::runProgram({"xmllint", "--noout", "--schema", schema, file});
        EXPECT_EQ(result.exitCode == 0, c.valid) << result.err;
    }
}

TEST(ReportersTest, JunitIsWellFormedWithOneCasePerRuleAndPath) {
    std::string junit = render(fixtureReport(), ReportFormat::Junit);
    auto count = [&](const std::string& pattern) {
        std::regex re(pattern);
        return std::distance(std::sregex_iterator(junit.begin(), junit.end(), re),
                             std::sregex_iterator());
    };
    // One case per (rule, path the rule's selector picked): 4 rules x 2 paths, plus
    // closure-size-limit's one (it picks hello only), the store dir for store-permissions,
    // and the one path the synthesised expired-waiver rule names.
    EXPECT_EQ(count("<testsuite "), 6);
    EXPECT_EQ(count("<testcase "), 11);
    EXPECT_EQ(count("<testcase classname=\"purist.closure-size-limit\""), 1);
    EXPECT_EQ(count("<failure "), 2);
    EXPECT_EQ(count("<skipped "), 1);
    EXPECT_NE(junit.find("<skipped message=\"waived: bootstrap shell needed"), std::string::npos);
    if (!testing::haveProgram("python3")) {
        PURIST_SKIP_OUTSIDE_CI("python3 to check the XML is well-formed");
    }
    testing::RunResult result =
        runPythonOn(kParseXml, {render(fixtureReport(), ReportFormat::Junit),
                                render(hostileReport(), ReportFormat::Junit),
                                "<testsuites><testsuite></testsuites>"});
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_EQ(verdicts(result), (std::vector<std::string>{"ok", "ok", "invalid"})) << result.out;
}

TEST(ReportersTest, HostileStringsCannotEscapeAnyFormat) {
    Report report = hostileReport();

    std::string text = render(report, ReportFormat::Text);
    EXPECT_EQ(text.find('\x1b'), std::string::npos) << "raw ESC reached the terminal";
    EXPECT_EQ(text.find('\x07'), std::string::npos);
    EXPECT_EQ(text.find('\x01'), std::string::npos);
    EXPECT_EQ(text.find("\xc2\x9b"), std::string::npos) << "raw C1 CSI reached the terminal";
    EXPECT_NE(text.find("\\x1b[2J"), std::string::npos);
    EXPECT_NE(text.find("\\xff\\xfe"), std::string::npos);

    json doc = json::parse(render(report, ReportFormat::Json)); // valid UTF-8 JSON
    std::string message = doc["findings"][0]["message"];
    EXPECT_NE(message.find("<script>alert('x\")</script> & \x1b[2J"), std::string::npos);
    EXPECT_NE(message.find("\xef\xbf\xbd\xef\xbf\xbd"), std::string::npos)
        << "U+FFFD for \\xff\\xfe";

    json sarif = json::parse(render(report, ReportFormat::Sarif));
    for (const json& result : sarif["runs"][0]["results"]) {
        std::string uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
        EXPECT_EQ(uri.find_first_of(" <>\"#?\\\x1b"), std::string::npos) << uri;
        if (result["ruleId"] == "no-build-dir") {
            EXPECT_NE(uri.find("/dir%20with%20space/%23%3F%25/%3Cscript%3E"), std::string::npos)
                << uri;
        }
    }

    for (ReportFormat format : {ReportFormat::Junit, ReportFormat::Html}) {
        std::string markup = render(report, format);
        SCOPED_TRACE(reportFormatName(format));
        EXPECT_EQ(markup.find("<script>alert"), std::string::npos);
        EXPECT_NE(markup.find("&lt;script&gt;alert(&#39;x&quot;)&lt;/script&gt; &amp; "),
                  std::string::npos);
        EXPECT_EQ(markup.find('\x1b'), std::string::npos);
        EXPECT_EQ(markup.find('\x01'), std::string::npos);
        EXPECT_EQ(markup.find('\xff'), std::string::npos);
        EXPECT_EQ(markup.find("]]>"), std::string::npos);
    }
    std::string html = render(report, ReportFormat::Html);
    EXPECT_EQ(html.find("href=\"javascript:"), std::string::npos) << "help links only http(s)";
    size_t scripts = 0;
    for (size_t at = html.find("<script"); at != std::string::npos;
         at = html.find("<script", at + 1))
        ++scripts;
    EXPECT_EQ(scripts, 1u) << "only the report's own script";
}

TEST(ReportersTest, HtmlIsSelfContained) {
    std::string html = render(fixtureReport(), ReportFormat::Html);
    for (const char* external :
         {"<script src", "<img", "<link", "<iframe", "@import", "url(", "@font-face"})
        EXPECT_EQ(html.find(external), std::string::npos) << external;
    EXPECT_NE(html.find("Content-Security-Policy\" content=\"default-src 'none'"),
              std::string::npos);
    // Every finding's chain is shown with file, offset and excerpt.
    EXPECT_NE(html.find("<code>lib/libgcc_s.so.1</code> at byte 77"), std::string::npos);
    EXPECT_NE(html.find("<span class=\"node offender\">" + kBootstrap + "</span>"),
              std::string::npos);
}

TEST(ReportersTest, HtmlTreemapTilesTheClosureBySize) {
    std::string html = render(fixtureReport(), ReportFormat::Html);
    size_t start = html.find("<svg");
    size_t end = html.find("</svg>", start);
    ASSERT_NE(start, std::string::npos);
    std::string svg = html.substr(start, end - start);
    std::regex rectRe("<title>([^<]*)</title><rect x=\"([0-9.]+)\" y=\"([0-9.]+)\" "
                      "width=\"([0-9.]+)\" height=\"([0-9.]+)\" fill=\"(#[0-9a-f]+)\"");
    double area = 0;
    int rects = 0;
    std::map<std::string, std::string> fillOf;
    for (auto it = std::sregex_iterator(svg.begin(), svg.end(), rectRe);
         it != std::sregex_iterator(); ++it) {
        double x = std::stod((*it)[2]), y = std::stod((*it)[3]);
        double w = std::stod((*it)[4]), h = std::stod((*it)[5]);
        EXPECT_GE(x, 0);
        EXPECT_GE(y, 0);
        EXPECT_LE(x + w, 1000.2);
        EXPECT_LE(y + h, 420.2);
        area += w * h;
        ++rects;
        std::string title = (*it)[1];
        fillOf[title.substr(0, title.find(' '))] = (*it)[6];
    }
    EXPECT_EQ(rects, 10) << "11 members, one of size 0";
    EXPECT_NEAR(area, 1000.0 * 420.0, 1000.0 * 420.0 * 0.01);
    EXPECT_EQ(fillOf[kBootstrap], "#d62728") << "the offender is highlighted";
    EXPECT_EQ(fillOf[kLibfoo], "#f28e2b") << "the chain is highlighted";
    EXPECT_EQ(fillOf[kHello], "#4c78a8");
    EXPECT_EQ(fillOf[kGlibc], "#c9d6e3");
    // tool-x's offender is only named by a waived finding: drawn paler, with its legend.
    std::string second = html.substr(end);
    EXPECT_NE(second.find("fill=\"#f2a7a7\""), std::string::npos);
    EXPECT_NE(second.find("waived offender</span>"), std::string::npos);
    // Sizes order the areas: the 60 MiB offender gets the largest tile.
    EXPECT_NE(svg.find("bootstrap-tools</text><text"), std::string::npos);
}

TEST(ReportersTest, HtmlStaysBoundedOnAuditSizedReports) {
    Report report;
    report.toolVersion = "0.1.0";
    CheckedPath big{storePath("big-closure", 1), 1000, 0, {}, {}};
    for (unsigned i = 0; i < 400; ++i)
        big.closure.push_back({storePath("member-" + std::to_string(i), i), 1000u + i, {}});
    report.checked.push_back(big);
    for (unsigned i = 0; i < 1200; ++i)
        report.checked.push_back({storePath("pkg-" + std::to_string(i), i),
                                  10,
                                  10,
                                  {{storePath("pkg-" + std::to_string(i), i), 10, {}}},
                                  {}});
    std::string html = render(report, ReportFormat::Html);
    size_t firstSvg = html.find("<svg"), firstEnd = html.find("</svg>");
    std::string svg = html.substr(firstSvg, firstEnd - firstSvg);
    size_t rects = 0;
    for (size_t at = svg.find("<rect"); at != std::string::npos; at = svg.find("<rect", at + 1))
        ++rects;
    EXPECT_EQ(rects, 301u) << "300 largest members and one tile for the rest";
    EXPECT_NE(svg.find("100 smaller paths"), std::string::npos);
    EXPECT_NE(html.find("smaller paths, grouped</span>"), std::string::npos);
    size_t svgs = 0;
    for (size_t at = html.find("<svg"); at != std::string::npos; at = html.find("<svg", at + 1))
        ++svgs;
    EXPECT_EQ(svgs, 20u);
    EXPECT_NE(html.find("1,181 further closures not drawn (at most 20 per report)"),
              std::string::npos);
    size_t rows = 0;
    for (size_t at = html.find("<tr id=\"p"); at != std::string::npos;
         at = html.find("<tr id=\"p", at + 1))
        ++rows;
    EXPECT_EQ(rows, 1201u) << "every checked path up to 2,000 rows";
}

TEST(ReportersTest, EmptyReportRendersInEveryFormat) {
    Report empty;
    empty.toolVersion = "0.1.0";
    EXPECT_NE(render(empty, ReportFormat::Text).find("PASS: 0 errors"), std::string::npos);
    EXPECT_EQ(json::parse(render(empty, ReportFormat::Json))["findings"].size(), 0u);
    EXPECT_EQ(json::parse(render(empty, ReportFormat::Sarif))["runs"][0]["results"].size(), 0u);
    EXPECT_NE(render(empty, ReportFormat::Junit).find("tests=\"0\""), std::string::npos);
    EXPECT_NE(render(empty, ReportFormat::Html).find("No findings."), std::string::npos);
}

TEST(ReportersTest, LargeReportsStreamInChunksThatJoinUp) {
    // Far past the 64 KiB chunk, so every renderer drains mid-document.
    Report report = fixtureReport();
    std::vector<Finding> base = report.findings;
    for (int copy = 1; copy < 150; ++copy)
        for (Finding finding : base) {
            finding.path += "-" + std::to_string(copy);
            finding.fingerprint += "-" + std::to_string(copy);
            report.findings.push_back(std::move(finding));
        }
    std::string text = render(report, ReportFormat::Text);
    EXPECT_GT(text.size(), 256u * 1024);
    EXPECT_NE(text.find("FAIL: 300 errors, 300 warnings, 150 info; 150 waived, 150 in baseline"),
              std::string::npos);
    json doc = json::parse(render(report, ReportFormat::Json));
    EXPECT_EQ(doc["findings"].size(), report.findings.size());
    json sarif = json::parse(render(report, ReportFormat::Sarif));
    EXPECT_EQ(sarif["runs"][0]["results"].size(), report.findings.size());
    std::string junit = render(report, ReportFormat::Junit);
    EXPECT_TRUE(junit.ends_with("</testsuite>\n</testsuites>\n"));
    std::string html = render(report, ReportFormat::Html);
    EXPECT_TRUE(html.ends_with("</html>\n"));
    if (!testing::haveProgram("python3")) {
        PURIST_SKIP_OUTSIDE_CI("python3 to check the XML is well-formed");
    }
    testing::RunResult result = runPythonOn(kParseXml, {junit});
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_EQ(verdicts(result), std::vector<std::string>{"ok"}) << result.out;
}

TEST(ReportersTest, AFailedStreamIsAnError) {
    std::ofstream full("/dev/full");
    if (!full) {
        PURIST_SKIP_OUTSIDE_CI("/dev/full");
    }
    EXPECT_THROW(writeReport(fixtureReport(), ReportFormat::Json, full), Error);
}

} // namespace
} // namespace purist::reports
