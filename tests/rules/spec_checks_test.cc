// Per-spec checks (Nix's names) become rules the engine runs like any other.

#include "rules/spec_checks.h"

#include "base/error.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace purist::rules {
namespace {

using ::testing::HasSubstr;

TEST(SpecChecks, EveryNixCheckBecomesARule) {
    YAML::Node spec = YAML::Load(R"(name: hello
checks:
  disallowedRequisites: [bootstrap-tools.yaml, /s/store/aaaa-x]
  disallowedReferences: [gcc-wrapper]
  allowedRequisites: [glibc]
  allowedReferences: []
  maxSize: 1MiB
  maxClosureSize: 4096
)");
    std::vector<std::string> asked;
    auto resolve = [&](const std::string& entry, const SourceLocation& at) {
        asked.push_back(entry + "@" + at.describe());
        return std::vector<std::string>{"/s/store/bbbb-bootstrap-tools"};
    };
    auto rules = rulesFromSpecChecks(
        spec["checks"], {"hello.yaml", "hello", {{"out", "/s/store/cccc-hello"}}, resolve, {}});
    ASSERT_EQ(rules.size(), 6u);
    EXPECT_EQ(rules[0].id, "spec/hello/disallowedRequisites");
    const auto& forbid = std::get<ForbidCheck>(rules[0].check);
    EXPECT_TRUE(forbid.transitive);
    EXPECT_EQ(forbid.forbidden.paths,
              (std::vector<std::string>{"/s/store/bbbb-bootstrap-tools", "/s/store/aaaa-x"}));
    EXPECT_EQ(asked, (std::vector<std::string>{"bootstrap-tools.yaml@hello.yaml:3:26"}));
    const auto& refs = std::get<ForbidCheck>(rules[1].check);
    EXPECT_FALSE(refs.transitive);
    ASSERT_EQ(refs.forbidden.names.size(), 1u);
    EXPECT_TRUE(re2::RE2::PartialMatch("gcc-wrapper", *refs.forbidden.names[0].re));
    EXPECT_FALSE(re2::RE2::PartialMatch("gcc-wrapper-2", *refs.forbidden.names[0].re));
    EXPECT_TRUE(std::get<AllowOnlyCheck>(rules[2].check).transitive);
    const auto& none = std::get<AllowOnlyCheck>(rules[3].check);
    EXPECT_TRUE(none.allowed.names.empty() && none.allowed.paths.empty());
    EXPECT_EQ(std::get<LimitCheck>(rules[4].check).limit, 1u << 20);
    EXPECT_EQ(std::get<LimitCheck>(rules[5].check).kind, LimitCheck::Kind::ClosureSize);
    EXPECT_EQ(std::get<LimitCheck>(rules[5].check).limit, 4096u);
    for (const auto& rule : rules) {
        ASSERT_EQ(rule.match.paths.size(), 1u);
        EXPECT_TRUE(re2::RE2::PartialMatch("/s/store/cccc-hello", *rule.match.paths[0].re));
        EXPECT_FALSE(re2::RE2::PartialMatch("/s/store/cccc-hello-dev", *rule.match.paths[0].re));
    }
}

// Nix's specifiers: an output name means that output's path; the reference checks see the
// self-reference, the requisite checks do not (outside outputChecks); per-output checks
// apply to their output only.
TEST(SpecChecks, OutputNamesSelfReferencesAndOutputChecks) {
    YAML::Node spec = YAML::Load(R"(checks:
  disallowedReferences: [out]
  allowedRequisites: [lib]
  outputChecks:
    lib: {allowedReferences: [], maxSize: 10}
    out: {allowedRequisites: [], ignoreSelfRefs: true}
)");
    SpecCheckContext context{
        "s.yaml", "s", {{"out", "/s/store/cccc-s"}, {"lib", "/s/store/cccc-s-lib"}}, {}, {}};
    auto rules = rulesFromSpecChecks(spec["checks"], context);
    ASSERT_EQ(rules.size(), 5u);
    const auto& forbid = std::get<ForbidCheck>(rules[0].check);
    EXPECT_EQ(forbid.forbidden.paths, (std::vector<std::string>{"/s/store/cccc-s"}));
    EXPECT_TRUE(forbid.forbidden.names.empty());
    EXPECT_TRUE(forbid.includeSelf);
    EXPECT_EQ(rules[0].match.paths.size(), 2u);
    const auto& reqs = std::get<AllowOnlyCheck>(rules[1].check);
    EXPECT_EQ(reqs.allowed.paths, (std::vector<std::string>{"/s/store/cccc-s-lib"}));
    EXPECT_FALSE(reqs.includeSelf);
    EXPECT_EQ(rules[2].id, "spec/s/outputChecks.lib.allowedReferences");
    ASSERT_EQ(rules[2].match.paths.size(), 1u);
    EXPECT_TRUE(re2::RE2::FullMatch("/s/store/cccc-s-lib", *rules[2].match.paths[0].re));
    EXPECT_TRUE(std::get<AllowOnlyCheck>(rules[2].check).includeSelf);
    EXPECT_EQ(std::get<LimitCheck>(rules[3].check).limit, 10u);
    EXPECT_FALSE(std::get<AllowOnlyCheck>(rules[4].check).includeSelf);
    YAML::Node strict = YAML::Load("checks:\n  outputChecks:\n    out: {allowedRequisites: []}\n");
    EXPECT_TRUE(std::get<AllowOnlyCheck>(rulesFromSpecChecks(strict["checks"], context)[0].check)
                    .includeSelf);
}

// A specifier that can match nothing the build could depend on is refused at its position.
TEST(SpecChecks, SpecifiersThatMatchNothingAreErrors) {
    SpecCheckContext context{"s.yaml", "s", {{"out", "/s/store/cccc-s"}}, {}, {}};
    context.outputs = {{"out", "/s/store/cccccccccccccccccccccccccccccccc-s"}};
    context.dependable =
        std::vector<std::string>{"/s/store/dddddddddddddddddddddddddddddddd-glibc-2.35"};
    YAML::Node fine = YAML::Load("checks:\n  disallowedRequisites: [glibc-2.35, "
                                 "/s/store/dddddddddddddddddddddddddddddddd-glibc-2.35, out, s]\n");
    EXPECT_EQ(rulesFromSpecChecks(fine["checks"], context).size(), 1u);
    const char* bad[] = {
        "checks:\n  disallowedReferences: [glibc-2.53]\n",
        "checks:\n  disallowedReferences: [dev]\n",
        "checks:\n  allowedRequisites: [/s/store/eeee-other]\n",
        "checks:\n  outputChecks:\n    out: {disallowedReferences: [glibc]}\n",
    };
    for (const char* yaml : bad) {
        YAML::Node spec = YAML::Load(yaml);
        try {
            rulesFromSpecChecks(spec["checks"], context);
            ADD_FAILURE() << "accepted: " << yaml;
        } catch (const ConfigError& e) {
            EXPECT_THAT(e.what(), HasSubstr("can match nothing"));
            EXPECT_GT(e.line(), 0) << e.what();
        }
    }
    YAML::Node unknownOutput = YAML::Load("checks:\n  outputChecks:\n    dev: {maxSize: 1}\n");
    EXPECT_THROW(rulesFromSpecChecks(unknownOutput["checks"], context), ConfigError);
}

TEST(SpecChecks, ErrorsNamePosition) {
    struct Case {
        const char* yaml;
        int line, column;
        const char* message;
    };
    const Case cases[] = {
        {"checks:\n  maxClosureSize: 1.5GiB\n", 2, 19,
         "fractions are refused; write a whole number of a smaller unit (1536MiB)"},
        {"checks:\n  disallowedRequisites: x\n", 2, 25, "must be a list"},
        {"checks:\n  maxsize: 1\n", 2, 3, "unknown key 'maxsize' in checks"},
        {"checks:\n  disallowedRequisites: [other.yaml]\n", 2, 26, "no build graph"},
        {"checks: [a]\n", 1, 9, "checks must be a mapping"},
    };
    for (const auto& c : cases) {
        YAML::Node spec = YAML::Load(c.yaml);
        try {
            rulesFromSpecChecks(spec["checks"],
                                {"s.yaml", "s", {{"out", "/s/store/cccc-s"}}, {}, {}});
            ADD_FAILURE() << "accepted: " << c.yaml;
        } catch (const ConfigError& e) {
            EXPECT_EQ(e.line(), c.line) << e.what();
            EXPECT_EQ(e.column(), c.column) << e.what();
            EXPECT_THAT(e.what(), HasSubstr(c.message));
        }
    }
}

} // namespace
} // namespace purist::rules
