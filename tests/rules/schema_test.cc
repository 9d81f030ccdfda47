// rules/rule-schema.json against the loader: every shipped pack and example validates,
// and every file the schema rejects, the loader rejects too. A few defects only the
// loader can see (RE2 syntax, duplicate ids, placeholders) are marked as such.

#include "rules/rule_loader.h"

#include "base/error.h"
#include "base/file_descriptor.h"
#include "base/temp_dir.h"
#include "tests/support/test_support.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>

namespace purist::rules {
namespace {

// YAML to JSON with the loader's own scalar resolution (YAML 1.2 core schema), so the
// schema sees the types the loader sees.
nlohmann::json toJson(const YAML::Node& node) {
    switch (node.Type()) {
    case YAML::NodeType::Map: {
        nlohmann::json object = nlohmann::json::object();
        for (auto it = node.begin(); it != node.end(); ++it)
            object[it->first.Scalar()] = toJson(it->second);
        return object;
    }
    case YAML::NodeType::Sequence: {
        nlohmann::json array = nlohmann::json::array();
        for (const auto& item : node)
            array.push_back(toJson(item));
        return array;
    }
    case YAML::NodeType::Scalar:
        switch (resolveScalarType(node)) {
        case ScalarType::Null:
            return nullptr;
        case ScalarType::Bool:
            return node.as<bool>();
        case ScalarType::Int:
            return node.as<int64_t>();
        case ScalarType::Float:
            return node.as<double>();
        case ScalarType::String:
            return node.Scalar();
        }
        break;
    default:
        break;
    }
    return nullptr;
}

bool haveJsonSchema() {
    if (!testing::haveProgram("python3")) return false;
    return testing::runProgram({"python3", "-c", "import jsonschema"}).exitCode == 0;
}

/// Validates each YAML text against the schema; true = valid.
std::vector<bool> schemaVerdicts(const std::vector<std::string>& yamls) {
    TempDir dir;
    std::string list;
    for (size_t i = 0; i < yamls.size(); ++i) {
        std::string file = dir.path() + "/" + std::to_string(i) + ".json";
        writeFile(file, toJson(YAML::Load(yamls[i])).dump());
        list += file + "\n";
    }
    const std::string script = R"(
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft7Validator.check_schema(schema)
validator = jsonschema.Draft7Validator(schema)
for line in sys.stdin.read().split():
    print("valid" if validator.is_valid(json.load(open(line))) else "invalid")
)";
    auto result = testing::runProgram(
        {"python3", "-c", script, std::string(PURIST_SOURCE_DIR) + "/rules/rule-schema.json"},
        list);
    EXPECT_EQ(result.exitCode, 0) << result.err;
    std::vector<bool> verdicts;
    std::istringstream lines(result.out);
    for (std::string word; lines >> word;)
        verdicts.push_back(word == "valid");
    EXPECT_EQ(verdicts.size(), yamls.size());
    verdicts.resize(yamls.size(), false);
    return verdicts;
}

bool loaderAccepts(const std::string& yaml) {
    try {
        loadPolicyString(yaml, "t.yaml");
        return true;
    } catch (const ConfigError&) {
        return false;
    }
}

TEST(RuleSchema, ShippedPacksAndExamplesValidate) {
    if (!haveJsonSchema()) PURIST_SKIP_OUTSIDE_CI("needs python3 with jsonschema");
    const std::string src = PURIST_SOURCE_DIR;
    std::vector<std::string> files = {
        "/rules/packs/bootstrap-tools.yaml", "/rules/packs/impure-paths.yaml",
        "/rules/packs/store-permissions.yaml", "/examples/policy.yaml"};
    std::vector<std::string> texts;
    for (const auto& f : files)
        texts.push_back(readFile(src + f));
    auto verdicts = schemaVerdicts(texts);
    for (size_t i = 0; i < files.size(); ++i) {
        EXPECT_TRUE(verdicts[i]) << files[i] << " fails the schema";
        EXPECT_TRUE(loaderAccepts(texts[i])) << files[i] << " fails the loader";
    }
}

struct Case {
    const char* name;
    const char* yaml;
    bool schemaValid; ///< what the schema says
    bool loaderValid; ///< what the loader says
};

const Case kCases[] = {
    // Good files: both accept.
    {"minimal", "rules:\n  - id: a\n    max-size: 1\n", true, true},
    {"every key",
     "version: 1\nrules:\n  - id: x.y/z-1\n    severity: info\n    message: '{path} {offender}'\n"
     "    help: h\n    match: { names: [a], paths: [b], exclude: [c], outputs: [out] }\n"
     "    forbid-requisites: { names: [d], paths: [/s/e] }\n"
     "waivers:\n  - { rule: x.y/z-1, path: a, reason: r, expires: 2030-01-01 }\n",
     true, true},
    {"size string with space", "rules:\n  - id: a\n    max-closure-size: 50 MiB\n", true, true},
    {"permissions null", "rules:\n  - id: a\n    store-permissions:\n", true, true},
    {"allow-only by path", "rules:\n  - id: a\n    allow-only-references: { paths: [/s/x] }\n",
     true, true},
    {"waivers only", "waivers: []\n", true, true},
    // Bad files that both refuse.
    {"unknown top key", "rule: []\n", false, false},
    {"empty", "{}\n", false, false},
    {"unknown rule key", "rules:\n  - id: a\n    max-size: 1\n    colour: red\n", false, false},
    {"missing id", "rules:\n  - max-size: 1\n", false, false},
    {"id integer", "rules:\n  - id: 5\n    max-size: 1\n", false, false},
    {"id with space", "rules:\n  - id: 'a b'\n    max-size: 1\n", false, false},
    {"id reserved", "rules:\n  - id: purist/a\n    max-size: 1\n", false, false},
    {"no check", "rules:\n  - id: a\n", false, false},
    {"two checks", "rules:\n  - id: a\n    max-size: 1\n    max-closure-size: 1\n", false, false},
    {"bad severity", "rules:\n  - id: a\n    severity: fatal\n    max-size: 1\n", false, false},
    {"decimal unit", "rules:\n  - id: a\n    max-size: 50MB\n", true, true},
    {"fraction with unit", "rules:\n  - id: a\n    max-size: 1.5GiB\n", false, false},
    {"fractional size", "rules:\n  - id: a\n    max-size: 1.5\n", false, false},
    {"negative size", "rules:\n  - id: a\n    max-size: -1\n", false, false},
    {"paths count string", "rules:\n  - id: a\n    max-closure-paths: '5'\n", false, false},
    {"empty path set", "rules:\n  - id: a\n    forbid-requisites: {}\n", false, false},
    {"empty names list", "rules:\n  - id: a\n    forbid-requisites: { names: [] }\n", false, false},
    {"path set list", "rules:\n  - id: a\n    forbid-references: [x]\n", false, false},
    {"content without patterns", "rules:\n  - id: a\n    forbid-content: {}\n", false, false},
    {"content empty patterns", "rules:\n  - id: a\n    forbid-content: { patterns: [] }\n", false,
     false},
    {"mode unquoted", "rules:\n  - id: a\n    store-permissions: { store-dir: { mode: 1735 } }\n",
     false, false},
    {"mode not octal", "rules:\n  - id: a\n    store-permissions: { store-dir: { mode: '9' } }\n",
     false, false},
    {"flag not bool", "rules:\n  - id: a\n    store-permissions: { no-setuid: 'no' }\n", false,
     false},
    {"selector key", "rules:\n  - id: a\n    match: { path: [x] }\n    max-size: 1\n", false,
     false},
    {"output name", "rules:\n  - id: a\n    match: { outputs: ['a b'] }\n    max-size: 1\n", false,
     false},
    {"message list", "rules:\n  - id: a\n    message: [m]\n    max-size: 1\n", false, false},
    {"version 2", "version: 2\nrules: []\n", false, false},
    {"waiver missing expiry", "waivers:\n  - { rule: a, path: x, reason: r }\n", false, false},
    {"waiver date format", "waivers:\n  - { rule: a, path: x, reason: r, expires: 2030-1-1 }\n",
     false, false},
    {"waiver empty reason", "waivers:\n  - { rule: a, path: x, reason: '', expires: 2030-01-01 }\n",
     false, false},
    // Defects only the loader can see; the schema cannot express them.
    {"bad RE2 (loader only)", "rules:\n  - id: a\n    forbid-content: { patterns: ['(x'] }\n", true,
     false},
    {"lookahead is not RE2 (loader only)",
     "rules:\n  - id: a\n    forbid-requisites: { names: ['a(?=b)'] }\n", true, false},
    {"duplicate id (loader only)",
     "rules:\n  - id: a\n    max-size: 1\n  - id: a\n    max-size: 1\n", true, false},
    {"unknown placeholder (loader only)",
     "rules:\n  - id: a\n    message: '{nope}'\n    max-size: 1\n", true, false},
    {"not a calendar day (loader only)",
     "waivers:\n  - { rule: a, path: x, reason: r, expires: 2030-02-31 }\n", true, false},
};

TEST(RuleSchema, LoaderRejectsWhatTheSchemaRejects) {
    if (!haveJsonSchema()) PURIST_SKIP_OUTSIDE_CI("needs python3 with jsonschema");
    std::vector<std::string> texts;
    for (const auto& c : kCases)
        texts.push_back(c.yaml);
    auto verdicts = schemaVerdicts(texts);
    for (size_t i = 0; i < texts.size(); ++i) {
        const Case& c = kCases[i];
        bool loader = loaderAccepts(c.yaml);
        EXPECT_EQ(verdicts[i], c.schemaValid) << c.name << " (schema)";
        EXPECT_EQ(loader, c.loaderValid) << c.name << " (loader)";
        if (!verdicts[i]) {
            EXPECT_FALSE(loader) << c.name << ": schema rejects, loader accepts";
        }
    }
}

} // namespace
} // namespace purist::rules
