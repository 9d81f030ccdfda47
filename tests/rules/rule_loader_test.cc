// Every way a rule file can be wrong, each with the position the error must name.

#include "rules/rule_loader.h"

#include "base/error.h"
#include "base/temp_dir.h"
#include "tests/support/test_support.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ctime>

namespace purist::rules {
namespace {

using ::testing::HasSubstr;

struct BadFile {
    const char* name;
    const char* yaml;
    int line;
    int column;
    const char* message; ///< a substring the error must contain
};

// The positions are 1-based, as an editor shows them.
const BadFile kBadFiles[] = {
    {"yaml syntax", "rules:\n  - id: a\n    max-size: [1, 2\n", 4, 1, "bad YAML"},
    {"top level is a list", "- id: a\n", 1, 1, "policy file must be a mapping"},
    {"unknown top-level key", "rule:\n  - id: a\n", 1, 1, "unknown key 'rule' in policy file"},
    {"rules not a list", "rules:\n  id: a\n", 2, 3, "rules must be a list"},
    {"rule not a mapping", "rules:\n  - a\n", 2, 5, "rule must be a mapping"},
    {"unknown rule key", "rules:\n  - id: a\n    max-size: 1\n    severty: error\n", 4, 5,
     "unknown key 'severty' in rule"},
    {"missing id", "rules:\n  - max-size: 1\n", 2, 5, "rule needs an 'id'"},
    {"id wrong type", "rules:\n  - id: [a]\n    max-size: 1\n", 2, 9,
     "id must be a string, not a list"},
    {"id integer", "rules:\n  - id: 12\n    max-size: 1\n", 2, 9,
     "id must be a string, not the integer 12 (quote it: \"12\")"},
    {"id bad characters", "rules:\n  - id: 'no spaces'\n    max-size: 1\n", 2, 9,
     "rule id 'no spaces'"},
    {"id reserved", "rules:\n  - id: purist/x\n    max-size: 1\n", 2, 9, "reserved"},
    {"missing check", "rules:\n  - id: a\n    severity: error\n", 2, 5, "has no check"},
    {"two checks", "rules:\n  - id: a\n    max-size: 1\n    max-closure-paths: 2\n", 4, 5,
     "both 'max-size' and 'max-closure-paths'"},
    {"bad severity", "rules:\n  - id: a\n    severity: fatal\n    max-size: 1\n", 3, 15,
     "severity 'fatal' is not one of"},
    {"severity wrong type", "rules:\n  - id: a\n    severity: 2\n    max-size: 1\n", 3, 15,
     "severity must be a string"},
    {"duplicate id", "rules:\n  - id: a\n    max-size: 1\n  - id: a\n    max-size: 2\n", 4, 9,
     "duplicate rule id 'a' (first defined at f.yaml:2:9)"},
    {"duplicate key", "rules:\n  - id: a\n    max-size: 1\n    id: b\n", 4, 5,
     "duplicate key 'id'"},
    {"bad RE2 in match names",
     "rules:\n  - id: a\n    match: { names: ['(unclosed'] }\n    max-size: 1\n", 3, 22,
     "bad RE2 pattern '(unclosed': missing ): (unclosed"},
    {"bad RE2 backreference (not RE2)",
     "rules:\n  - id: a\n    forbid-content:\n      patterns: ['(a)\\1']\n", 4, 18,
     "bad RE2 pattern"},
    {"bad RE2 in forbidden names",
     "rules:\n  - id: a\n    forbid-requisites:\n      names: ['x**']\n", 4, 15,
     "bad RE2 pattern 'x**'"},
    {"unknown selector key", "rules:\n  - id: a\n    match: { name: [x] }\n    max-size: 1\n", 3,
     14, "unknown key 'name' in match"},
    {"selector not a mapping", "rules:\n  - id: a\n    match: hello\n    max-size: 1\n", 3, 12,
     "match must be a mapping"},
    {"selector names not a list",
     "rules:\n  - id: a\n    match: { names: hello }\n    max-size: 1\n", 3, 21,
     "match names must be a list"},
    {"bad output name", "rules:\n  - id: a\n    match: { outputs: ['a b'] }\n    max-size: 1\n", 3,
     24, "output name 'a b'"},
    {"bad derivations selection",
     "rules:\n  - id: a\n    match: { derivations: true }\n    max-size: 1\n", 3, 27,
     "match derivations must be a string"},
    {"unknown derivations selection",
     "rules:\n  - id: a\n    match: { derivations: all }\n    max-size: 1\n", 3, 27,
     "match derivations 'all' is not one of: exclude, include, only"},
    {"size with unknown unit", "rules:\n  - id: a\n    max-size: 5 parsecs\n", 3, 15,
     "unknown unit"},
    {"size negative", "rules:\n  - id: a\n    max-size: -1\n", 3, 15, "must be a byte count"},
    {"size fractional", "rules:\n  - id: a\n    max-size: 1.5GiB\n", 3, 15,
     "fractions are refused"},
    {"size overflow", "rules:\n  - id: a\n    max-size: 99999999999TiB\n", 3, 15, "too large"},
    {"size wrong type", "rules:\n  - id: a\n    max-size: [1]\n", 3, 15, "max-size must be a size"},
    {"paths count quoted", "rules:\n  - id: a\n    max-closure-paths: '10'\n", 3, 24,
     "max-closure-paths must be a whole number (0, 1, 2, ...), not the string '10'"},
    {"paths count with unit", "rules:\n  - id: a\n    max-closure-paths: 10KiB\n", 3, 24,
     "must be a whole number"},
    {"forbid set empty", "rules:\n  - id: a\n    forbid-requisites: {}\n", 3, 24,
     "needs at least one entry"},
    {"forbid set unknown key", "rules:\n  - id: a\n    forbid-references: { name: [x] }\n", 3, 26,
     "unknown key 'name' in forbid-references"},
    {"forbid set is a list", "rules:\n  - id: a\n    allow-only-requisites: [x]\n", 3, 28,
     "allow-only-requisites must be a mapping"},
    {"forbid paths entry empty", "rules:\n  - id: a\n    allow-only-references: { paths: [''] }\n",
     3, 38, "must not be empty"},
    {"content without patterns", "rules:\n  - id: a\n    forbid-content: { skip-files: [x] }\n", 3,
     21, "forbid-content needs 'patterns'"},
    {"content patterns empty", "rules:\n  - id: a\n    forbid-content: { patterns: [] }\n", 3, 33,
     "patterns must not be empty"},
    {"permissions mode unquoted",
     "rules:\n  - id: a\n    store-permissions: { store-dir: { mode: 1735 } }\n", 3, 45,
     "mode must be a string, not the integer 1735 (quote it: \"1735\")"},
    {"permissions mode not octal",
     "rules:\n  - id: a\n    store-permissions: { store-dir: { mode: '1795' } }\n", 3, 45,
     "mode '1795' must be 3 or 4 octal digits"},
    {"permissions flag not bool", "rules:\n  - id: a\n    store-permissions: { no-setuid: yes }\n",
     3, 37, "no-setuid must be true or false"},
    {"permissions unknown key", "rules:\n  - id: a\n    store-permissions: { setuid: true }\n", 3,
     26, "unknown key 'setuid' in store-permissions"},
    {"unknown placeholder",
     "rules:\n  - id: a\n    message: '{path} uses {offendr}'\n    max-size: 1\n", 3, 14,
     "unknown placeholder {offendr}"},
    {"message wrong type", "rules:\n  - id: a\n    message: [x]\n    max-size: 1\n", 3, 14,
     "message must be a string"},
    {"help wrong type", "rules:\n  - id: a\n    help: {url: x}\n    max-size: 1\n", 3, 11,
     "help must be a string"},
    {"bad version", "version: 2\nrules: []\n", 1, 10, "version 2 is not supported"},
    {"empty mapping", "{}\n", 1, 1, "needs 'rules:' or 'waivers:'"},
    {"waiver missing reason",
     "rules:\n  - id: a\n    max-size: 1\nwaivers:\n  - { rule: a, path: x, expires: 2030-01-01 "
     "}\n",
     5, 5, "waiver needs 'reason'"},
    {"waiver bad date",
     "rules:\n  - id: a\n    max-size: 1\nwaivers:\n  - { rule: a, path: x, reason: r, expires: "
     "2030-02-30 }\n",
     5, 45, "is not a day of the calendar"},
    {"waiver date format",
     "rules:\n  - id: a\n    max-size: 1\nwaivers:\n  - { rule: a, path: x, reason: r, expires: "
     "30.1.2030 }\n",
     5, 45, "must be a date written YYYY-MM-DD"},
    {"waiver bad pattern",
     "rules:\n  - id: a\n    max-size: 1\nwaivers:\n  - { rule: a, path: '[', reason: r, expires: "
     "2030-01-01 }\n",
     5, 22, "bad RE2 pattern '['"},
    {"second document", "rules:\n  - id: a\n    max-size: 1\n---\nwaivers: []\n", 4, 1,
     "a second YAML document starts here"},
    {"waiver unknown key",
     "rules:\n  - id: a\n    max-size: 1\nwaivers:\n  - { rule: a, paths: x, reason: r, expires: "
     "2030-01-01 }\n",
     5, 16, "unknown key 'paths' in waiver"},
};

class BadRuleFile : public ::testing::TestWithParam<BadFile> {};

TEST_P(BadRuleFile, IsRefusedWithFileLineAndColumn) {
    const BadFile& bad = GetParam();
    try {
        loadPolicyString(bad.yaml, "f.yaml");
        FAIL() << "loaded without error: " << bad.yaml;
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.file(), "f.yaml");
        EXPECT_EQ(e.line(), bad.line) << e.what();
        EXPECT_EQ(e.column(), bad.column) << e.what();
        EXPECT_THAT(e.what(), HasSubstr(bad.message));
        std::string prefix =
            "f.yaml:" + std::to_string(bad.line) + ":" + std::to_string(bad.column) + ": ";
        EXPECT_EQ(std::string(e.what()).rfind(prefix, 0), 0u) << e.what();
    }
}

INSTANTIATE_TEST_SUITE_P(Table, BadRuleFile, ::testing::ValuesIn(kBadFiles),
                         [](const ::testing::TestParamInfo<BadFile>& info) {
                             std::string name;
                             for (char c : std::string(info.param.name))
                                 name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                             return name;
                         });

TEST(RuleLoader, LoadsEveryCheckKindWithDefaults) {
    Policy policy = loadPolicyString(R"(version: 1
rules:
  - id: fr
    forbid-requisites: { names: [bootstrap], paths: [/nix/store/x] }
  - id: fref
    severity: warning
    forbid-references: { names: [gcc] }
  - id: aor
    allow-only-requisites: { names: [glibc] }
  - id: aoref
    allow-only-references: { paths: [/s/aaa-x] }
  - id: mcs
    max-closure-size: 50MiB
  - id: mcp
    severity: info
    max-closure-paths: 100
  - id: ms
    max-size: 1024
  - id: fc
    match: { names: ['^hello'], paths: ['/store/'], exclude: [doc], outputs: [out, lib], derivations: include }
    forbid-content: { patterns: ['/usr/bin'], skip-files: ['^share/'] }
  - id: sp
    store-permissions: { store-dir: { mode: '1735', owner: root, group: build } }
  - id: sp2
    store-permissions:
)",
                                     "p.yaml");
    ASSERT_EQ(policy.rules.size(), 10u);
    EXPECT_EQ(checkKindName(policy.rules[0].check), "forbid-requisites");
    EXPECT_EQ(checkKindName(policy.rules[1].check), "forbid-references");
    EXPECT_EQ(policy.rules[1].severity, Severity::Warning);
    EXPECT_EQ(checkKindName(policy.rules[2].check), "allow-only-requisites");
    EXPECT_EQ(checkKindName(policy.rules[3].check), "allow-only-references");
    EXPECT_EQ(std::get<LimitCheck>(policy.rules[4].check).limit, 50u << 20);
    EXPECT_EQ(std::get<LimitCheck>(policy.rules[5].check).limit, 100u);
    EXPECT_EQ(policy.rules[5].severity, Severity::Info);
    EXPECT_EQ(std::get<LimitCheck>(policy.rules[6].check).kind, LimitCheck::Kind::Size);
    EXPECT_EQ(policy.rules[7].match.outputs, (std::vector<std::string>{"out", "lib"}));
    EXPECT_EQ(policy.rules[7].match.derivations, DerivationSelection::Include);
    EXPECT_EQ(policy.rules[6].match.derivations, DerivationSelection::Exclude);
    EXPECT_EQ(std::get<ContentCheck>(policy.rules[7].check).skipFiles.size(), 1u);
    const auto& sp = std::get<PermissionsCheck>(policy.rules[8].check);
    EXPECT_EQ(sp.storeDirMode, 01735u);
    EXPECT_EQ(sp.storeDirGroup, "build");
    EXPECT_TRUE(std::get<PermissionsCheck>(policy.rules[9].check).canonicalMtime);
    EXPECT_EQ(policy.rules[0].severity, Severity::Error);
    EXPECT_EQ(policy.rules[0].message, "{path} depends on forbidden {offender}");
    EXPECT_EQ(policy.rules[0].location.describe(), "p.yaml:3:9");
}

TEST(RuleLoader, DuplicateIdAcrossFilesNamesBothPlaces) {
    TempDir dir;
    testing::makeFile(dir.path() + "/a.yaml", "rules:\n  - id: same\n    max-size: 1\n");
    testing::makeFile(dir.path() + "/b.yaml",
                      "rules:\n  - id: other\n    max-size: 1\n  - id: same\n    max-size: 2\n");
    try {
        loadPolicy({dir.path() + "/a.yaml", dir.path() + "/b.yaml"});
        FAIL() << "duplicate id accepted";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.file(), dir.path() + "/b.yaml");
        EXPECT_EQ(e.line(), 4);
        EXPECT_THAT(e.what(), HasSubstr("first defined at " + dir.path() + "/a.yaml:2:9"));
    }
}

TEST(RuleLoader, OneBadFileFailsTheWholePolicy) {
    TempDir dir;
    testing::makeFile(dir.path() + "/good.yaml", "rules:\n  - id: a\n    max-size: 1\n");
    testing::makeFile(dir.path() + "/bad.yaml", "rules:\n  - id: b\n    max-size: 1.5MiB\n");
    EXPECT_THROW(loadPolicy({dir.path() + "/good.yaml", dir.path() + "/bad.yaml"}), ConfigError);
}

TEST(RuleLoader, MissingFileIsAConfigErrorNamingIt) {
    try {
        loadPolicyFile("/nonexistent/policy.yaml");
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_THAT(e.what(), HasSubstr("/nonexistent/policy.yaml"));
        EXPECT_THAT(e.what(), HasSubstr("No such file"));
    }
}

TEST(RuleLoader, WaiverForUnknownRuleIsRefused) {
    TempDir dir;
    testing::makeFile(dir.path() + "/p.yaml", "rules:\n  - id: a\n    max-size: 1\n");
    testing::makeFile(
        dir.path() + "/w.yaml",
        "waivers:\n  - rule: b\n    path: x\n    reason: r\n    expires: 2030-01-01\n");
    Policy policy = loadPolicy({dir.path() + "/p.yaml"});
    try {
        addWaiversFile(policy, dir.path() + "/w.yaml");
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.line(), 2);
        EXPECT_EQ(e.column(), 11);
        EXPECT_THAT(e.what(), HasSubstr("waiver names rule 'b'"));
    }
    testing::makeFile(
        dir.path() + "/w2.yaml",
        "waivers:\n  - rule: a\n    path: x\n    reason: r\n    expires: 2030-01-01\n");
    addWaiversFile(policy, dir.path() + "/w2.yaml");
    ASSERT_EQ(policy.waivers.size(), 1u);
    EXPECT_EQ(policy.waivers[0].expires, "2030-01-01");
    EXPECT_EQ(policy.waivers[0].reason, "r");
}

TEST(RuleLoader, ShippedPacksAndExampleLoad) {
    const std::string src = PURIST_SOURCE_DIR;
    for (const char* file : {"/rules/packs/bootstrap-tools.yaml", "/rules/packs/impure-paths.yaml",
                             "/rules/packs/store-permissions.yaml", "/examples/policy.yaml"}) {
        Policy policy = loadPolicyFile(src + file);
        EXPECT_FALSE(policy.rules.empty()) << file;
    }
}

// Issue 10: lists nested a few hundred deep said "bad YAML: bad file" at the end of the file.
// The error names the innermost list or mapping, whether flow (`[[[`) or block style.
TEST(RuleLoader, NestingTooDeepNamesTheInnermostList) {
    try {
        loadPolicyString("rules:\n  - " + std::string(1000, '[') + std::string(1000, ']') + "\n",
                         "f.yaml");
        FAIL() << "loaded";
    } catch (const ConfigError& e) {
        // The root mapping is level 1, `rules:` level 2, the first '[' (column 5) level 3.
        EXPECT_EQ(e.line(), 2) << e.what();
        EXPECT_EQ(e.column(), 5 + 496) << e.what();
        EXPECT_THAT(e.what(), HasSubstr("nested 499 levels deep here"));
    }
    std::string block = "rules:\n";
    for (int i = 0; i < 1000; ++i)
        block += std::string(i + 1, ' ') + "-\n";
    try {
        loadPolicyString(block, "f.yaml");
        FAIL() << "loaded";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.line(), 499) << e.what();
        EXPECT_THAT(e.what(), HasSubstr("nested 499 levels deep here"));
    }
}

// Issue 10: a list of a million aliases of one pattern made RE2 flood stderr with its own
// log lines when the checker compiled them into one set. A pattern repeated in a list is one
// pattern.
TEST(RuleLoader, PatternRepeatedByAliasesIsCompiledOnce) {
    std::string yaml = "rules:\n  - id: a\n    forbid-requisites:\n      names: [&g gcc";
    for (int i = 0; i < 1000000; ++i)
        yaml += ", *g";
    yaml += ", cc]\n";
    ::testing::internal::CaptureStderr();
    Policy policy = loadPolicyString(yaml, "f.yaml");
    EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
    ASSERT_EQ(policy.rules.size(), 1u);
    const auto& names = std::get<ForbidCheck>(policy.rules[0].check).forbidden.names;
    ASSERT_EQ(names.size(), 2u);
    EXPECT_EQ(names[0].source, "gcc");
    EXPECT_EQ(names[1].source, "cc");
}

// Issue 10: a pattern of a million alternatives made RE2 print "CoalesceWalker::ShortVisit
// called" to stderr 43 times before it failed to compile. A pattern over kMaxPatternBytes
// is refused before RE2 sees it, naming where it is; one at the limit loads quietly.
TEST(RuleLoader, OverlongPatternIsRefusedAtItsLocationWithoutRe2Noise) {
    std::string alternatives;
    for (int i = 0; alternatives.size() < kMaxPatternBytes; ++i)
        alternatives += (i ? "|x" : "x") + std::to_string(i);
    std::string atLimit = alternatives.substr(0, kMaxPatternBytes);
    atLimit = atLimit.substr(0, atLimit.rfind('|'));
    const std::string head = "rules:\n  - id: a\n    forbid-requisites:\n      names:\n        - ";
    ::testing::internal::CaptureStderr();
    try {
        loadPolicyString(head + "'" + alternatives + "|y'\n", "f.yaml");
        ADD_FAILURE() << "loaded";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.line(), 5) << e.what();
        EXPECT_THAT(e.what(), HasSubstr("f.yaml:5:11"));
        EXPECT_THAT(e.what(), HasSubstr("pattern too long"));
    }
    Policy policy = loadPolicyString(head + "'" + atLimit + "'\n", "f.yaml");
    EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
    ASSERT_EQ(policy.rules.size(), 1u);
}

double cpuSeconds() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// Issue 10: loading 217,000 rules took 59 s, because each rule's id was compared with every
// rule merged before it, and each waiver's with every rule. 100,000 rules and waivers take
// milliseconds now; the quadratic code took tens of seconds here. CPU time, not wall time,
// so a loaded machine does not make the bound flaky.
TEST(RuleLoader, MergingAndValidatingWaiversIsLinear) {
    Policy more;
    for (int i = 0; i < 100000; ++i) {
        Rule rule;
        rule.id = "rule-" + std::to_string(i);
        rule.check = LimitCheck{};
        more.rules.push_back(std::move(rule));
        Waiver waiver;
        waiver.ruleId = "rule-" + std::to_string(i);
        more.waivers.push_back(std::move(waiver));
    }
    Policy policy;
    double start = cpuSeconds();
    mergePolicy(policy, std::move(more));
    validateWaivers(policy);
    EXPECT_LT(cpuSeconds() - start, 2.0);
    EXPECT_EQ(policy.rules.size(), 100000u);

    // A duplicate is still refused, naming both places, and leaves the policy as it was.
    Policy again;
    Rule dup;
    dup.id = "rule-99999";
    dup.location = {"g.yaml", 3, 9};
    again.rules.push_back(dup);
    try {
        mergePolicy(policy, again);
        FAIL() << "merged a duplicate id";
    } catch (const ConfigError& e) {
        EXPECT_THAT(e.what(), HasSubstr("g.yaml:3:9: duplicate rule id 'rule-99999'"));
    }
    EXPECT_EQ(policy.rules.size(), 100000u);
}

} // namespace
} // namespace purist::rules
