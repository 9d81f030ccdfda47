// base/yaml_document: YAML text to nodes or to errors naming file:line:column.

#include "base/yaml_document.h"

#include "base/error.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace purist {
namespace {

using ::testing::HasSubstr;

TEST(ResolveScalarType, FollowsTheCoreSchema) {
    struct Case {
        const char* yaml;
        ScalarType type;
    };
    const Case cases[] = {
        {"x: ", ScalarType::Null},           {"x: ~", ScalarType::Null},
        {"x: null", ScalarType::Null},       {"x: NULL", ScalarType::Null},
        {"x: true", ScalarType::Bool},       {"x: False", ScalarType::Bool},
        {"x: 5", ScalarType::Int},           {"x: -12", ScalarType::Int},
        {"x: 0o17", ScalarType::Int},        {"x: 0xfF", ScalarType::Int},
        {"x: 1.5", ScalarType::Float},       {"x: 1.", ScalarType::Float},
        {"x: .5e-3", ScalarType::Float},     {"x: -.inf", ScalarType::Float},
        {"x: .NaN", ScalarType::Float},      {"x: 1e", ScalarType::String},
        {"x: .", ScalarType::String},        {"x: 0o8", ScalarType::String},
        {"x: yes", ScalarType::String},      {"x: '5'", ScalarType::String},
        {"x: \"true\"", ScalarType::String}, {"x: !!str 5", ScalarType::String},
        {"x: 50MiB", ScalarType::String},    {"x: 2030-01-01", ScalarType::String},
    };
    for (const auto& c : cases) {
        YAML::Node node = parseYamlDocument(c.yaml, "f.yaml")["x"];
        if (c.type == ScalarType::Null && node.IsNull()) continue;
        EXPECT_EQ(resolveScalarType(node), c.type) << c.yaml;
    }
}

TEST(YamlLocation, OneBasedAndZeroWhereUnknown) {
    YAML::Node root = parseYamlDocument("a: 1\nlist:\n  - x\n  - y\n", "f.yaml");
    SourceLocation y = yamlLocation("f.yaml", root["list"][1]);
    EXPECT_EQ(y.file, "f.yaml");
    EXPECT_EQ(y.line, 4);
    EXPECT_EQ(y.column, 5);
    EXPECT_EQ(y.describe(), "f.yaml:4:5");
    SourceLocation missing = yamlLocation("f.yaml", root["nothing"]);
    EXPECT_EQ(missing.line, 0);
    EXPECT_EQ(missing.describe(), "f.yaml");
    EXPECT_EQ(yamlLocation("f.yaml", YAML::Mark::null_mark()).line, 0);
}

TEST(ParseYamlDocument, SyntaxErrorNamesFileLineAndColumn) {
    try {
        parseYamlDocument("a: [1, 2\nb: 3\n", "f.yaml");
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.file(), "f.yaml");
        EXPECT_GT(e.line(), 0) << e.what();
        EXPECT_THAT(e.what(), HasSubstr("bad YAML"));
    }
}

// yaml-cpp says "unknown token" for docs/config.md's old `/lib64?` in a flow list: the error
// says what to write instead, at the character.
TEST(ParseYamlDocument, SyntaxErrorsAreExplainedInAUsersWords) {
    struct Case {
        const char* yaml;
        int line, column;
        const char* message;
    };
    const Case cases[] = {
        {"sandbox-paths: [/bin, /usr, /lib, /lib64?]\n", 1, 41,
         "bad YAML: unexpected '?'; inside [...] or {...}, a value holding '?'"},
        {"a: [1, 2\nb: 3\n", 0, 0, "a list opened with '[' is not closed with ']'"},
        {"a: {x: 1\n", 0, 0, "a mapping opened with '{' is not closed with '}'"},
        {"a: \"C:\\q\"\n", 0, 0, "an unknown escape in a double-quoted string"},
    };
    for (const Case& c : cases) {
        try {
            parseYamlDocument(c.yaml, "f.yaml");
            ADD_FAILURE() << c.yaml << " parsed";
        } catch (const ConfigError& e) {
            EXPECT_THAT(e.what(), HasSubstr(c.message)) << c.yaml;
            EXPECT_THAT(e.what(), HasSubstr("(yaml-cpp: ")) << c.yaml;
            EXPECT_GT(e.line(), 0) << c.yaml;
            if (c.line > 0) {
                EXPECT_EQ(e.line(), c.line) << e.what();
                EXPECT_EQ(e.column(), c.column) << e.what();
            }
        }
    }
}

// A second document was ignored by YAML::Load: everything after `---` was lost unread.
TEST(ParseYamlDocument, SecondDocumentIsRefused) {
    EXPECT_NO_THROW(parseYamlDocument("---\na: 1\n...\n", "f.yaml"));
    EXPECT_NO_THROW(parseYamlDocument("a: |\n  ---\n  text\n", "f.yaml"));
    try {
        parseYamlDocument("a: 1\n---\nb: 2\n", "f.yaml");
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.line(), 2) << e.what();
        EXPECT_THAT(e.what(), HasSubstr("a second YAML document starts here"));
    }
}

// Found by fuzz_settings and fuzz_build_spec: YAML::LoadAll never returned on these inputs,
// growing to gigabytes; the reader must return, with a node or an error, at once.
TEST(ParseYamlDocument, InputsThatHungLoadAllReturn) {
    const char nulBytes[] = ", S:\0\0\0\0\0\0\0s/purist.yaml`.\nszandbox: strict\nsadxbno-paths\n";
    const std::string inputs[] = {
        std::string(nulBytes, sizeof nulBytes - 1),
        "\n\n\n\n\n\n\n, so the output refers to nothing but itself.\nname: libgreet-51.0\n"
        "+uilder: /bin/sh\nargs:\n  - runt -c\n  - |\n    setweet.sh\\ngreet \"${1:-w\n  - |\n"
        "    setworld}\n\n",
    };
    for (const auto& text : inputs) {
        for (const auto& variant : {text, text + "---\n" + text}) {
            try {
                parseYamlDocument(variant, "f.yaml");
            } catch (const ConfigError&) {
            }
        }
    }
}

TEST(ParseYamlDocument, NestingTooDeepNamesTheInnermostCollection) {
    try {
        parseYamlDocument("a: " + std::string(100000, '{') + "\n", "f.yaml");
        FAIL();
    } catch (const ConfigError& e) {
        // The root mapping is level 1, the first '{' (column 4) level 2.
        EXPECT_EQ(e.line(), 1) << e.what();
        EXPECT_EQ(e.column(), 4 + 497) << e.what();
        EXPECT_THAT(e.what(), HasSubstr("nested 499 levels deep here"));
    }
}

} // namespace
} // namespace purist
