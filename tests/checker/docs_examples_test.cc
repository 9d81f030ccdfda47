// The examples in docs/ and examples/ are what purist reads and writes: each fenced YAML
// example loads (a config, a policy, a rule body), the documented fingerprints are the ones
// purist computes, and the example files load as what they are. A doc edit that breaks an
// example fails here, not in a new user's first hour.

#include "base/file_descriptor.h"
#include "base/temp_dir.h"
#include "checker/engine.h"
#include "checker/waivers.h"
#include "rules/rule_loader.h"
#include "tests/support/test_support.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace purist {
namespace {

const std::string kSource = PURIST_SOURCE_DIR;

/// The bodies of the blocks fenced with ```LANGUAGE in `doc`, with their first line.
std::vector<std::pair<int, std::string>> fencedBlocks(const std::string& doc,
                                                      const std::string& language) {
    std::vector<std::pair<int, std::string>> blocks;
    std::string text = readFile(kSource + "/" + doc);
    std::string open = "```" + language + "\n";
    for (size_t at = text.find(open); at != std::string::npos; at = text.find(open, at)) {
        size_t start = at + open.size();
        size_t end = text.find("\n```", start);
        int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + start, '\n'));
        blocks.emplace_back(line, text.substr(start, end + 1 - start));
        at = end;
    }
    return blocks;
}

testing::RunResult configShow(const std::string& file) {
    return testing::runPurist(
        {"--root", "/nonexistent-purist-root", "config", "show", "--config", file});
}

TEST(DocsExamples, ConfigExamplesLoad) {
    auto blocks = fencedBlocks("docs/config.md", "yaml");
    ASSERT_FALSE(blocks.empty());
    TempDir dir;
    for (const auto& [line, yaml] : blocks) {
        testing::makeFile(dir.path() + "/purist.yaml", yaml);
        auto run = configShow(dir.path() + "/purist.yaml");
        EXPECT_EQ(run.exitCode, 0) << "docs/config.md:" << line << "\n" << yaml << run.err;
    }
    auto example = configShow(kSource + "/examples/purist.yaml");
    EXPECT_EQ(example.exitCode, 0) << example.err;
}

// docs/rules.md shows whole policies and rule bodies; a body is loaded as the one check of
// a rule. The build-spec fragment (`outputs:`/`checks:`) is build-specs.md's to test.
TEST(DocsExamples, RuleExamplesLoad) {
    auto blocks = fencedBlocks("docs/rules.md", "yaml");
    size_t loaded = 0;
    for (const auto& [line, yaml] : blocks) {
        std::string where = "docs/rules.md:" + std::to_string(line);
        if (yaml.find("checks:") != std::string::npos) continue;
        std::string policy = yaml;
        if (yaml.find("rules:") == std::string::npos &&
            yaml.find("waivers:") == std::string::npos) {
            // One rule per top-level key: the limits block shows three alternatives.
            policy = "rules:\n";
            size_t start = 0;
            int rule = 0;
            while (start < yaml.size()) {
                size_t end = yaml.find('\n', start);
                std::string text = yaml.substr(start, end - start);
                if (!text.empty() && text[0] != ' ' && text[0] != '#')
                    policy += "  - id: doc-example-" + std::to_string(++rule) + "\n";
                policy += "    " + text + "\n";
                start = end + 1;
            }
        }
        EXPECT_NO_THROW(rules::loadPolicyString(policy, where)) << where << "\n" << policy;
        ++loaded;
    }
    EXPECT_GE(loaded, 5u);
    EXPECT_NO_THROW(rules::loadPolicy({kSource + "/examples/policy.yaml"}));
}

// The fingerprints the docs show are what purist computes for the findings they show.
TEST(DocsExamples, DocumentedFingerprintsAreWhatPuristWrites) {
    auto json = fencedBlocks("docs/json-format.md", "json");
    ASSERT_FALSE(json.empty());
    auto report = nlohmann::json::parse(json.front().second);
    for (const auto& finding : report["findings"])
        EXPECT_EQ(finding["fingerprint"],
                  checker::fingerprintOf(finding["ruleId"], finding["path"], finding["offender"]));

    bool sawBaseline = false;
    for (const auto& [line, text] : fencedBlocks("docs/rules.md", "json")) {
        auto baseline = nlohmann::json::parse(text);
        if (!baseline.contains("findings")) continue;
        sawBaseline = true;
        TempDir dir;
        testing::makeFile(dir.path() + "/baseline.json", text);
        EXPECT_NO_THROW(checker::readBaseline(dir.path() + "/baseline.json"));
        for (const auto& entry : baseline["findings"]) {
            // The entry names paths without hash parts; any hash gives the same fingerprint.
            std::string hash = "/nix/store/00000000000000000000000000000000-";
            EXPECT_EQ(entry["fingerprint"],
                      checker::fingerprintOf(entry["rule"], hash + entry["path"].get<std::string>(),
                                             hash + entry["offender"].get<std::string>()))
                << "docs/rules.md:" << line;
        }
    }
    EXPECT_TRUE(sawBaseline);
}

} // namespace
} // namespace purist
