// Each check kind on a small real store, passing and failing; the evidence (chain, file,
// offset, excerpt); waivers, expired waivers and baselines.

#include "checker/engine.h"

#include "checker/content_scanner.h"
#include "checker/evidence.h"
#include "checker/waivers.h"
#include "rules/spec_checks.h"
#include "tests/checker/checker_fixture.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include <sys/stat.h>

namespace purist::checker {
namespace {

using ::testing::HasSubstr;
using testing::SmallStore;

// hello -> libgreet -> bootstrap-tools, the leak of examples/; `clean` refers to nothing.
class LeakStore : public ::testing::Test {
protected:
    void SetUp() override {
        tools = s.pathFor("bootstrap-tools");
        s.add(tools, {{"bin/gcc", "#!/bin/sh\necho gcc\n"}});
        libgreet = s.pathFor("libgreet");
        libPrefix = std::string(64, 'L') + "\x01\x02-rpath:";
        s.add(libgreet, {{"lib/libgreet.so", libPrefix + s.print(tools) + "/lib\n"},
                         {"include/greet.h", "int greet(void);\n"}});
        hello = s.pathFor("hello");
        helloPrefix = "\x7f"
                      "ELF" +
                      std::string(1000, '\0') + "RUNPATH=";
        s.add(hello, {{"bin/hello", helloPrefix + s.print(libgreet) + "/lib:/usr/bin/env\n"}});
        clean = s.pathFor("clean");
        s.add(clean, {{"", "nothing here\n"}});
    }

    SmallStore s;
    StorePath tools = StorePath::fromBaseName("00000000000000000000000000000000-x");
    StorePath libgreet = tools, hello = tools, clean = tools;
    std::string libPrefix, helloPrefix;
};

const char* kBootstrapPolicy = R"(rules:
  - id: no-bootstrap
    message: '{name} reaches {offender_name}'
    match: { names: ['hello|libgreet|clean'] }
    forbid-requisites: { names: [bootstrap-tools] }
)";

TEST_F(LeakStore, ForbidRequisitesGivesShortestChainWithFileAndOffset) {
    reports::Report report = s.check(kBootstrapPolicy, {hello, libgreet, clean});
    ASSERT_EQ(report.findings.size(), 2u);
    const reports::Finding& f =
        report.findings[1].path == s.print(hello) ? report.findings[1] : report.findings[0];
    EXPECT_EQ(f.ruleId, "no-bootstrap");
    EXPECT_EQ(f.path, s.print(hello));
    EXPECT_EQ(f.offender, s.print(tools));
    EXPECT_EQ(f.message, "hello reaches bootstrap-tools");
    ASSERT_EQ(f.chain.size(), 2u);
    EXPECT_EQ(f.chain[0].from, s.print(hello));
    EXPECT_EQ(f.chain[0].to, s.print(libgreet));
    EXPECT_EQ(f.chain[0].file, "bin/hello");
    // The hash part starts after the store dir and its slash.
    EXPECT_EQ(f.chain[0].offset, helloPrefix.size() + s.store().layout().storeDir.size() + 1);
    std::string helloBytes = helloPrefix + s.print(libgreet) + "/lib:/usr/bin/env\n";
    EXPECT_EQ(f.chain[0].excerpt,
              makeExcerpt(helloBytes, f.chain[0].offset, 32, kReferenceExcerptContext));
    EXPECT_THAT(f.chain[0].excerpt,
                HasSubstr(std::string(libgreet.hashPart()) + "-libgreet/lib:/usr/bin/e"));
    EXPECT_EQ(f.chain[1].from, s.print(libgreet));
    EXPECT_EQ(f.chain[1].to, s.print(tools));
    EXPECT_EQ(f.chain[1].file, "lib/libgreet.so");
    EXPECT_EQ(f.chain[1].offset, libPrefix.size() + s.store().layout().storeDir.size() + 1);
    EXPECT_EQ(f.chain[1].excerpt, makeExcerpt(libPrefix + s.print(tools) + "/lib\n",
                                              f.chain[1].offset, 32, kReferenceExcerptContext));
    const reports::Finding& g =
        report.findings[1].path == s.print(hello) ? report.findings[0] : report.findings[1];
    EXPECT_EQ(g.path, s.print(libgreet));
    ASSERT_EQ(g.chain.size(), 1u);
    EXPECT_TRUE(reports::reportFails(report));
    ASSERT_EQ(report.checked.size(), 3u);
    EXPECT_EQ(report.checked[0].closure.size(), 3u);
}

// Issue 10: RE2 walks the patterns of one set as one regexp, and past a million nodes it
// printed "CoalesceWalker::ShortVisit called" to stderr (log_errors does not reach that
// line) and refused the set, so a policy listing 40,000 names (or a million aliases) was
// noise and an error. The checker splits its patterns into sets small enough to compile:
// nothing on stderr, and the name listed last still matches.
TEST_F(LeakStore, FortyThousandNamePatternsCompileQuietlyAndAllMatch) {
    std::string policy = "rules:\n  - id: r\n    forbid-requisites:\n      names: [";
    for (int i = 0; i < 40000; ++i)
        policy += "'n" + std::to_string(i) + "-a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t', ";
    policy += "'^bootstrap-tools$']\n";
    ::testing::internal::CaptureStderr();
    reports::Report report = s.check(policy, {hello, clean});
    EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
    ASSERT_EQ(report.findings.size(), 1u);
    EXPECT_EQ(report.findings[0].path, s.print(hello));
    EXPECT_EQ(report.findings[0].offender, s.print(tools));
}

TEST_F(LeakStore, ForbidRequisitesPassesWhenNothingLeaks) {
    reports::Report report = s.check(kBootstrapPolicy, {clean});
    EXPECT_TRUE(report.findings.empty());
    EXPECT_FALSE(reports::reportFails(report));
}

TEST_F(LeakStore, ForbidRequisitesByExplicitPath) {
    reports::Report report =
        s.check("rules:\n  - id: r\n    forbid-requisites: { paths: ['" + s.print(tools) + "'] }\n",
                {hello, clean});
    ASSERT_EQ(report.findings.size(), 1u);
    EXPECT_EQ(report.findings[0].offender, s.print(tools));
}

TEST_F(LeakStore, ForbidReferencesSeesDirectReferencesOnly) {
    const std::string policy =
        "rules:\n  - id: r\n    forbid-references: { names: [bootstrap-tools] }\n";
    EXPECT_TRUE(s.check(policy, {hello}).findings.empty());
    reports::Report report = s.check(policy, {libgreet});
    ASSERT_EQ(report.findings.size(), 1u);
    ASSERT_EQ(report.findings[0].chain.size(), 1u);
    EXPECT_EQ(report.findings[0].chain[0].file, "lib/libgreet.so");
}

TEST_F(LeakStore, AllowOnlyRequisites) {
    reports::Report report = s.check(
        "rules:\n  - id: r\n    allow-only-requisites: { names: ['^libgreet$'] }\n", {hello});
    ASSERT_EQ(report.findings.size(), 1u);
    EXPECT_EQ(report.findings[0].offender, s.print(tools));
    EXPECT_EQ(report.findings[0].chain.size(), 2u);
    EXPECT_TRUE(
        s.check("rules:\n  - id: r\n    allow-only-requisites: { names: [libgreet, bootstrap] }\n",
                {hello})
            .findings.empty());
}

TEST_F(LeakStore, AllowOnlyReferences) {
    reports::Report report =
        s.check("rules:\n  - id: r\n    allow-only-references: { names: [glibc] }\n", {hello});
    ASSERT_EQ(report.findings.size(), 1u);
    EXPECT_EQ(report.findings[0].offender, s.print(libgreet));
    EXPECT_TRUE(
        s.check("rules:\n  - id: r\n    allow-only-references: { names: [libgreet] }\n", {hello})
            .findings.empty());
}

TEST_F(LeakStore, ClosureSizePathsAndSize) {
    auto narSize = [&](const StorePath& p) { return s.store().db().queryInfo(p).narSize; };
    uint64_t closure = narSize(hello) + narSize(libgreet) + narSize(tools);
    auto limitPolicy = [](const std::string& check) {
        return "rules:\n  - id: r\n    " + check + "\n";
    };
    EXPECT_TRUE(s.check(limitPolicy("max-closure-size: " + std::to_string(closure)), {hello})
                    .findings.empty());
    reports::Report over =
        s.check(limitPolicy("max-closure-size: " + std::to_string(closure - 1)), {hello});
    ASSERT_EQ(over.findings.size(), 1u);
    EXPECT_THAT(over.findings[0].message, HasSubstr(std::to_string(closure) + " bytes"));
    // The largest members, as sizes: largest first, none as a content site.
    const reports::Finding& finding = over.findings[0];
    EXPECT_TRUE(finding.sites.empty());
    ASSERT_EQ(finding.largest.size(), 3u);
    std::vector<std::pair<std::string, uint64_t>> largest, expected;
    for (const reports::SizedMember& member : finding.largest)
        largest.emplace_back(member.path, member.bytes);
    for (const StorePath& p : {hello, libgreet, tools})
        expected.emplace_back(s.print(p), narSize(p));
    std::stable_sort(expected.begin(), expected.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    EXPECT_EQ(largest, expected);
    EXPECT_TRUE(s.check(limitPolicy("max-closure-paths: 3"), {hello}).findings.empty());
    reports::Report paths = s.check(limitPolicy("max-closure-paths: 2"), {hello});
    ASSERT_EQ(paths.findings.size(), 1u);
    EXPECT_THAT(paths.findings[0].message, HasSubstr("has 3 paths"));
    EXPECT_TRUE(s.check(limitPolicy("max-size: " + std::to_string(narSize(hello))), {hello})
                    .findings.empty());
    EXPECT_EQ(s.check(limitPolicy("max-size: " + std::to_string(narSize(hello) - 1)), {hello})
                  .findings.size(),
              1u);
}

TEST_F(LeakStore, ForbidContentReportsFileOffsetAndExcerpt) {
    reports::Report report = s.check(R"(rules:
  - id: usr
    forbid-content: { patterns: ['/usr/(bin|lib)/'] }
)",
                                     {hello, libgreet});
    ASSERT_EQ(report.findings.size(), 1u);
    const reports::Finding& f = report.findings[0];
    EXPECT_EQ(f.path, s.print(hello));
    EXPECT_EQ(f.offender, "/usr/(bin|lib)/");
    ASSERT_EQ(f.sites.size(), 1u);
    EXPECT_EQ(f.sites[0].file, "bin/hello");
    uint64_t expected = helloPrefix.size() + s.print(libgreet).size() + std::string("/lib:").size();
    EXPECT_EQ(f.sites[0].offset, expected);
    EXPECT_THAT(f.sites[0].excerpt, HasSubstr("/lib:/usr/bin/env."));
    EXPECT_THAT(f.message, HasSubstr("'/usr/bin/'"));
    EXPECT_TRUE(s.check("rules:\n  - id: usr\n    forbid-content: { patterns: ['/usr/bin/'], "
                        "skip-files: ['^bin/'] }\n",
                        {hello})
                    .findings.empty());
}

TEST_F(LeakStore, StorePermissionsPassOnCanonicalPathsAndFailOnDamage) {
    const std::string policy = "rules:\n  - id: perms\n    store-permissions:\n";
    EXPECT_TRUE(s.check(policy, {hello, libgreet}).findings.empty());
    std::string file = s.store().realPath(libgreet) + "/include/greet.h";
    ASSERT_EQ(::chmod(file.c_str(), 0666), 0);
    reports::Report report = s.check(policy, {libgreet});
    std::vector<std::string> offenders;
    for (const auto& f : report.findings) {
        offenders.push_back(f.offender);
        ASSERT_EQ(f.sites.size(), 1u);
        EXPECT_EQ(f.sites[0].file, "include/greet.h");
        EXPECT_EQ(f.sites[0].excerpt, "mode 0666");
    }
    EXPECT_EQ(offenders,
              (std::vector<std::string>{"entries whose mode is not canonical (0444, 0555)",
                                        "world-writable entries"}));
    ASSERT_EQ(::chmod(file.c_str(), 04555), 0);
    report = s.check(policy, {libgreet});
    ASSERT_EQ(report.findings.size(), 2u);
    EXPECT_EQ(report.findings[1].offender, "setuid, setgid or sticky entries");
}

TEST_F(LeakStore, StoreDirModeIsCheckedOncePerRun) {
    std::string realDir = s.store().layout().realStoreDir;
    struct stat st;
    ASSERT_EQ(::stat(realDir.c_str(), &st), 0);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
    const std::string want = std::string(mode) == "1735" ? "1775" : "1735";
    reports::Report report =
        s.check("rules:\n  - id: dir\n    store-permissions: { store-dir: { mode: '" + want +
                    "' }, canonical-mtime: false }\n",
                {hello, libgreet});
    ASSERT_EQ(report.findings.size(), 1u);
    EXPECT_EQ(report.findings[0].path, s.store().layout().storeDir);
    EXPECT_EQ(report.findings[0].offender,
              "store dir mode is " + std::string(mode) + ", expected " + want);
    EXPECT_TRUE(s.check("rules:\n  - id: dir\n    store-permissions: { store-dir: { mode: '" +
                            std::string(mode) + "' } }\n",
                        {hello})
                    .findings.empty());
}

TEST_F(LeakStore, SelectorNamesPathsExcludeAndOutputs) {
    auto count = [&](const std::string& match) {
        return s
            .check("rules:\n  - id: r\n    match: " + match + "\n    max-size: 0\n",
                   {hello, libgreet, clean})
            .findings.size();
    };
    EXPECT_EQ(count("{}"), 3u);
    EXPECT_EQ(count("{ names: ['^hello$'] }"), 1u);
    EXPECT_EQ(count("{ names: [hello], paths: [libgreet] }"), 2u);
    EXPECT_EQ(count("{ exclude: [clean] }"), 2u);
    EXPECT_EQ(count("{ outputs: [out] }"), 3u);
    EXPECT_EQ(count("{ outputs: [dev] }"), 0u);
}

// Issue 11: a store derivation (named *.drv, as Nix tells them) is checked only by rules
// that ask for derivations; its build closure reaches the bootstrap tools by design.
TEST_F(LeakStore, DerivationsOnlyWhereARuleAsksForThem) {
    StorePath drv = s.pathFor("hello.drv");
    s.add(drv, {{"", "Derive([(\"out\",\"" + s.print(hello) + "\",\"\",\"\")],[(\"" +
                         s.print(tools) + "\",[\"out\"])])"}});
    auto paths = [&](const std::string& match) {
        std::set<std::string> found;
        for (const reports::Finding& f :
             s.check("rules:\n  - id: r\n    match: " + match +
                         "\n    forbid-requisites: { names: [bootstrap-tools] }\n",
                     {hello, libgreet, clean, drv})
                 .findings)
            found.insert(f.path);
        return found;
    };
    EXPECT_EQ(paths("{}"), (std::set<std::string>{s.print(hello), s.print(libgreet)}));
    EXPECT_EQ(paths("{ derivations: exclude }"), paths("{}"));
    EXPECT_EQ(paths("{ derivations: only }"), (std::set<std::string>{s.print(drv)}));
    EXPECT_EQ(paths("{ derivations: include }"),
              (std::set<std::string>{s.print(hello), s.print(libgreet), s.print(drv)}));
    EXPECT_EQ(paths("{ derivations: include, names: ['\\.drv$'] }"),
              (std::set<std::string>{s.print(drv)}));
}

TEST_F(LeakStore, LiveWaiverMarksFindingsAndTheRunPasses) {
    reports::Report report = s.check(std::string(kBootstrapPolicy) + R"(waivers:
  - rule: no-bootstrap
    path: 'hello|libgreet'
    reason: upstream fix pending
    expires: 2999-12-31
)",
                                     {hello, libgreet});
    ASSERT_EQ(report.findings.size(), 2u);
    for (const auto& f : report.findings)
        EXPECT_EQ(f.waiverReason, "upstream fix pending");
    EXPECT_FALSE(reports::reportFails(report));
}

TEST_F(LeakStore, ExpiredWaiverIsAFindingAndWaivesNothing) {
    CheckOptions options;
    options.today = "2026-11-23";
    reports::Report report = s.check(std::string(kBootstrapPolicy) + R"(waivers:
  - rule: no-bootstrap
    path: hello
    reason: was temporary
    expires: 2026-11-22
)",
                                     {hello}, options);
    ASSERT_EQ(report.findings.size(), 2u);
    EXPECT_EQ(report.findings[0].ruleId, "no-bootstrap");
    EXPECT_FALSE(report.findings[0].waiverReason);
    EXPECT_EQ(report.findings[1].ruleId, kExpiredWaiverRule);
    EXPECT_EQ(report.findings[1].severity, reports::Severity::Warning);
    EXPECT_THAT(report.findings[1].message, HasSubstr("expired on 2026-11-22"));
    // It points at the waiver's own line, not at a store path.
    EXPECT_TRUE(report.findings[1].sites.empty());
    ASSERT_TRUE(report.findings[1].source);
    EXPECT_EQ(report.findings[1].source->line, 7);
    EXPECT_GT(report.findings[1].source->column, 0);
    EXPECT_EQ(report.rules.back().id, kExpiredWaiverRule);
    EXPECT_TRUE(reports::reportFails(report));
    // The last day of a waiver still counts.
    options.today = "2026-11-22";
    reports::Report lastDay = s.check(
        std::string(kBootstrapPolicy) +
            "waivers:\n  - { rule: no-bootstrap, path: hello, reason: r, expires: 2026-11-22 }\n",
        {hello}, options);
    ASSERT_EQ(lastDay.findings.size(), 1u);
    EXPECT_TRUE(lastDay.findings[0].waiverReason);
}

TEST_F(LeakStore, BaselineAcceptsKnownFindingsOnly) {
    reports::Report first = s.check(kBootstrapPolicy, {hello});
    ASSERT_EQ(first.findings.size(), 1u);
    TempDir dir;
    writeBaseline(dir.path() + "/baseline.json", first);
    CheckOptions options;
    options.baseline = readBaseline(dir.path() + "/baseline.json");
    EXPECT_EQ(options.baseline, (std::set<std::string>{first.findings[0].fingerprint}));
    reports::Report second = s.check(kBootstrapPolicy, {hello, libgreet}, options);
    ASSERT_EQ(second.findings.size(), 2u);
    for (const auto& f : second.findings)
        EXPECT_EQ(f.inBaseline, f.path == s.print(hello)) << f.path;
    EXPECT_TRUE(reports::reportFails(second)); // libgreet's finding is new
    reports::Report third = s.check(kBootstrapPolicy, {hello}, options);
    EXPECT_FALSE(reports::reportFails(third));
}

TEST_F(LeakStore, FailOnSeverity) {
    const std::string policy = "rules:\n  - id: r\n    severity: warning\n    max-size: 0\n";
    CheckOptions options;
    options.failOn = reports::Severity::Error;
    EXPECT_FALSE(reports::reportFails(s.check(policy, {hello}, options)));
    options.failOn = reports::Severity::Warning;
    EXPECT_TRUE(reports::reportFails(s.check(policy, {hello}, options)));
    options.failOn = reports::Severity::Info;
    EXPECT_TRUE(reports::reportFails(s.check(policy, {hello}, options)));
}

TEST_F(LeakStore, SpecChecksRunThroughTheSameEngine) {
    YAML::Node spec =
        YAML::Load("checks:\n  disallowedRequisites: [bootstrap-tools.yaml]\n  maxSize: 1MiB\n");
    rules::Policy policy;
    policy.rules = rules::rulesFromSpecChecks(
        spec["checks"], {"hello.yaml",
                         "hello",
                         {{"out", s.print(hello)}},
                         [&](const std::string&, const rules::SourceLocation&) {
                             return std::vector<std::string>{s.print(tools)};
                         },
                         {}});
    s.loadGraph();
    Checker checker(policy, s.view());
    reports::Report report = checker.check({static_cast<uint32_t>(s.graph().find(hello)),
                                            static_cast<uint32_t>(s.graph().find(libgreet))},
                                           {});
    ASSERT_EQ(report.findings.size(), 1u);
    EXPECT_EQ(report.findings[0].ruleId, "spec/hello/disallowedRequisites");
    EXPECT_EQ(report.findings[0].chain.size(), 2u);
    EXPECT_EQ(report.findings[0].chain[1].file, "lib/libgreet.so");
}

// Policies have Nix's semantics: a path's reference to itself is one of its references
// (allow-only-references: [] fails it, forbid-references sees it), it is not among its own
// requisites unless ignore-self-refs: false says so, and an allow list may be empty.
TEST(SelfReferences, CountAsNixCountsThem) {
    testing::SmallStore s;
    StorePath self = s.pathFor("tool");
    s.add(self, {{"bin/tool", "#!" + s.print(self) + "/bin/sh"}});
    auto findings = [&](const std::string& check) {
        return s.check("rules:\n  - id: r\n    " + check + "\n", {self}).findings.size();
    };
    EXPECT_EQ(findings("allow-only-references: []"), 1u);
    EXPECT_EQ(findings("allow-only-references: {ignore-self-refs: true}"), 0u);
    EXPECT_EQ(findings("forbid-references: {names: ['^tool$']}"), 1u);
    EXPECT_EQ(findings("allow-only-requisites: []"), 0u);
    EXPECT_EQ(findings("allow-only-requisites: {ignore-self-refs: false}"), 1u);
    EXPECT_EQ(findings("forbid-requisites: {names: ['^tool$']}"), 0u);
    EXPECT_EQ(findings("forbid-requisites: {names: ['^tool$'], ignore-self-refs: false}"), 1u);
}

TEST(Fingerprint, StableAcrossRebuildsAndDistinctAcrossRules) {
    std::string a = fingerprintOf("r", "/s/00000000000000000000000000000000-hello",
                                  "/s/11111111111111111111111111111111-gcc");
    std::string b = fingerprintOf("r", "/s/22222222222222222222222222222222-hello",
                                  "/s/33333333333333333333333333333333-gcc");
    EXPECT_EQ(a, b);
    EXPECT_EQ(a.size(), 32u);
    EXPECT_NE(a, fingerprintOf("q", "/s/00000000000000000000000000000000-hello",
                               "/s/11111111111111111111111111111111-gcc"));
    EXPECT_NE(a, fingerprintOf("r", "/s/00000000000000000000000000000000-hello",
                               "/s/11111111111111111111111111111111-cc"));
    // Moving a byte from one field to the next changes the fingerprint.
    EXPECT_NE(fingerprintOf("no-bootstra", "phello-2.12", "bootstrap-tools"),
              fingerprintOf("no-bootstrap", "hello-2.12", "bootstrap-tools"));
}

TEST(Fingerprint, IgnoresVersionsButNotOutputs) {
    const std::pair<const char*, const char*> names[] = {
        {"hello-2.12", "hello"},
        {"bootstrap-tools", "bootstrap-tools"},
        {"bootstrap-tools-1.0", "bootstrap-tools"},
        {"python3.11-requests-2.31.0", "python3.11-requests"},
        {"hello-2.12-dev", "hello-dev"},
        {"glibc-2.38-44-bin", "glibc-bin"},
        {"hello-2.12.drv", "hello.drv"},
        {"source", "source"},
        {"x-", "x-"},
    };
    for (const auto& [name, stable] : names)
        EXPECT_EQ(nameWithoutVersion(name), stable) << name;
    const std::string a = "/s/00000000000000000000000000000000-hello-2.12";
    const std::string b = "/s/11111111111111111111111111111111-hello-2.13";
    const std::string dev = "/s/11111111111111111111111111111111-hello-2.13-dev";
    EXPECT_EQ(fingerprintOf("r", a, "/s/22222222222222222222222222222222-tools-1"),
              fingerprintOf("r", b, "/s/33333333333333333333333333333333-tools-2"));
    EXPECT_NE(fingerprintOf("r", a, ""), fingerprintOf("r", dev, ""));
    // A spec check's rule id names the spec with its version.
    EXPECT_EQ(fingerprintOf("spec/hello-1.0/maxSize", a, ""),
              fingerprintOf("spec/hello-1.1/maxSize", b, ""));
    EXPECT_NE(fingerprintOf("spec/hello-1.0/maxSize", a, ""),
              fingerprintOf("spec/hello-1.0/maxClosureSize", a, ""));
    // A string that is not a store path (a content pattern) is kept whole.
    EXPECT_NE(fingerprintOf("r", a, "gcc-12"), fingerprintOf("r", a, "gcc-13"));
}

TEST(FormatMessage, FillsKnownPlaceholdersOnly) {
    EXPECT_EQ(formatMessage("{path} needs {offender} {x}", {{"path", "p"}, {"offender", "o"}}),
              "p needs o {x}");
    EXPECT_EQ(formatMessage("{ unbalanced", {}), "{ unbalanced");
}

} // namespace
} // namespace purist::checker
