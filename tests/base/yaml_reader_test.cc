// base/yaml_reader: one typed reader per kind of value, one wording per mistake.

#include "base/yaml_reader.h"

#include "base/temp_dir.h"
#include "tests/support/test_support.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

namespace purist {
namespace {

using ::testing::HasSubstr;

YAML::Node parse(const std::string& yaml) {
    return parseYamlDocument(yaml, "f.yaml");
}

/// The message of the ConfigError `read` throws, with its position; "" if it throws none.
std::string errorOf(const std::function<void()>& read) {
    try {
        read();
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

TEST(DescribeYamlValue, NamesWhatWasWritten) {
    const std::pair<std::string, std::string> table[] = {
        {"x: [1]", "a list"},
        {"x: {a: 1}", "a mapping"},
        {"x:", "an empty value"},
        {"x: ~", "an empty value"},
        {"x: true", "the boolean true"},
        {"x: 12", "the integer 12"},
        {"x: 0x1F", "the integer 0x1F"},
        {"x: 1.5", "the number 1.5"},
        {"x: '12'", "the string '12'"},
        {"x: yes", "the string 'yes'"},
        {"x: !!null ''", "an empty value"},
        {"y: 1", "nothing"},
        {"x: " + std::string(70, 'a'), "the string '" + std::string(60, 'a') + "...'"},
    };
    for (const auto& [yaml, expected] : table)
        EXPECT_EQ(describeYamlValue(parse(yaml)["x"]), expected) << yaml;
}

TEST(YamlBool, TheCoreSchemasBooleansOnly) {
    const std::pair<const char*, std::optional<bool>> table[] = {
        {"true", true},
        {"True", true},
        {"TRUE", true},
        {"false", false},
        {"False", false},
        {"FALSE", false},
        {"yes", std::nullopt},
        {"on", std::nullopt},
        {"'true'", std::nullopt},
        {"1", std::nullopt},
        {"~", std::nullopt},
        {"[true]", std::nullopt},
        {"!!str true", std::nullopt},
    };
    for (const auto& [yaml, expected] : table) {
        YAML::Node node = parse(yaml);
        if (expected)
            EXPECT_EQ(yamlBool("f.yaml", node, "x"), *expected) << yaml;
        else
            EXPECT_THAT(errorOf([&] { yamlBool("f.yaml", node, "x"); }),
                        HasSubstr("x must be true or false, not "))
                << yaml;
    }
}

// Each reader's refusal, whole: the position, what was expected and what was found.
TEST(YamlReaders, OneWordingPerMistake) {
    using Reader = std::function<void(const YAML::Node&)>;
    const Reader string = [](const YAML::Node& n) { yamlString("f.yaml", n, "v"); };
    const Reader strings = [](const YAML::Node& n) { yamlStringList("f.yaml", n, "v", true); };
    const Reader boolean = [](const YAML::Node& n) { yamlBool("f.yaml", n, "v"); };
    const Reader count = [](const YAML::Node& n) { yamlCount("f.yaml", n, "v"); };
    const Reader size = [](const YAML::Node& n) { yamlByteSize("f.yaml", n, "v"); };
    const Reader list = [](const YAML::Node& n) { yamlList("f.yaml", n, "v", true); };
    const Reader mapping = [](const YAML::Node& n) { yamlMapping("f.yaml", n, "v", {"a", "b"}); };
    const Reader open = [](const YAML::Node& n) { yamlOpenMapping("f.yaml", n, "v"); };
    const Reader scalar = [](const YAML::Node& n) { yamlScalar("f.yaml", n, "v"); };
    struct Case {
        const char* yaml;
        const Reader& read;
        const char* message;
    };
    const Case cases[] = {
        {"x: 5", string, "f.yaml:1:4: v must be a string, not the integer 5 (quote it: \"5\")"},
        {"x: false", string,
         "f.yaml:1:4: v must be a string, not the boolean false (quote it: \"false\")"},
        {"x: [a]", string, "f.yaml:1:4: v must be a string, not a list"},
        {"x: a", strings, "f.yaml:1:4: v must be a list of strings, not the string 'a'"},
        {"x: []", strings, "f.yaml:1:4: v must not be empty"},
        {"x: [a, 1.5]", strings,
         "f.yaml:1:8: v entry must be a string, not the number 1.5 (quote it: \"1.5\")"},
        {"x: yes", boolean, "f.yaml:1:4: v must be true or false, not the string 'yes'"},
        {"x: '5'", count,
         "f.yaml:1:4: v must be a whole number (0, 1, 2, ...), not the string '5'"},
        {"x: -1", count, "f.yaml:1:4: v must be a whole number (0, 1, 2, ...), not the integer -1"},
        {"x: 0x10", count,
         "f.yaml:1:4: v must be a whole number (0, 1, 2, ...), not the integer 0x10"},
        {"x: 99999999999999999999", count, "f.yaml:1:4: v: 99999999999999999999 is too large"},
        {"x: [1]", size, "f.yaml:1:4: v must be a size such as 50MiB or a byte count, not a list"},
        {"x: true", size,
         "f.yaml:1:4: v must be a size such as 50MiB or a byte count, not the boolean true"},
        {"x: 1.5GiB", size,
         "f.yaml:1:4: v: size '1.5GiB': fractions are refused; write a whole number of a smaller "
         "unit (1536MiB)"},
        {"x: {a: 1}", list, "f.yaml:1:4: v must be a list, not a mapping"},
        {"x: []", list, "f.yaml:1:4: v must not be empty"},
        {"x: [a]", mapping, "f.yaml:1:4: v must be a mapping, not a list"},
        {"x: {a: 1, c: 2}", mapping, "f.yaml:1:11: unknown key 'c' in v; expected one of: a, b"},
        {"x: {a: 1, 5: 2}", mapping, "f.yaml:1:11: unknown key '5' in v; expected one of: a, b"},
        {"x: {[a]: 1}", mapping, "f.yaml:1:5: a key in v must be a string, not a list"},
        {"x:\n  a: 1\n  b: 2\n  a: 3\n", mapping,
         "f.yaml:4:3: duplicate key 'a' in v (first at f.yaml:2:3)"},
        {"x: {A: 1, 7: 2}", open,
         "f.yaml:1:11: v key must be a string, not the integer 7 (quote it: \"7\")"},
        {"x: {A: 1, B: 2, A: 3}", open,
         "f.yaml:1:17: duplicate key 'A' in v (first at f.yaml:1:5)"},
        {"x: [1]", scalar, "f.yaml:1:4: v must be a single value, not a list"},
    };
    for (const Case& c : cases) {
        YAML::Node node = parse(c.yaml)["x"];
        EXPECT_EQ(errorOf([&] { c.read(node); }), c.message) << c.yaml;
    }
}

TEST(YamlReaders, ReadWhatIsWellWritten) {
    YAML::Node root = parse("s: '5'\nl: [a, b]\nc: 4096\nz: 50MiB\nm: {b: 1, a: 2}\nq: auto\n");
    EXPECT_EQ(yamlString("f.yaml", root["s"], "s"), "5");
    EXPECT_EQ(yamlStringList("f.yaml", root["l"], "l"), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(yamlCount("f.yaml", root["c"], "c"), 4096u);
    EXPECT_EQ(yamlByteSize("f.yaml", root["z"], "z"), 50u << 20);
    EXPECT_EQ(yamlByteSize("f.yaml", root["c"], "c"), 4096u);
    EXPECT_EQ(yamlSizeText("f.yaml", root["z"], "z"), "50MiB");
    EXPECT_EQ(yamlScalar("f.yaml", root["q"], "q"), "auto");
    EXPECT_EQ(yamlScalar("f.yaml", root["c"], "c"), "4096");
    std::vector<YamlEntry> entries = yamlMapping("f.yaml", root["m"], "m", {"a", "b"});
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[0].key, "b") << "in the order written";
    EXPECT_EQ(yamlLocation("f.yaml", entries[0].keyNode).describe(), "f.yaml:5:5");
    EXPECT_EQ(yamlCount("f.yaml", entries[1].value, "a"), 2u);
}

// Past a handful of keys duplicates are found through an index: the same error, at the
// second key, naming the first.
TEST(YamlReaders, DuplicateKeyInALargeMapping) {
    std::string yaml = "x:\n";
    for (int i = 0; i < 40; ++i)
        yaml += "  k" + std::to_string(i) + ": v\n";
    EXPECT_EQ(yamlOpenMapping("f.yaml", parse(yaml)["x"], "x").size(), 40u);
    yaml += "  k3: again\n";
    EXPECT_EQ(errorOf([&] { yamlOpenMapping("f.yaml", parse(yaml)["x"], "x"); }),
              "f.yaml:42:3: duplicate key 'k3' in x (first at f.yaml:5:3)");
}

TEST(LoadYamlFile, NamesTheFileItCannotRead) {
    TempDir dir("yaml-reader-test-");
    std::string missing = dir.path() + "/missing.yaml";
    EXPECT_THAT(errorOf([&] { loadYamlFile(missing); }), HasSubstr(missing + ": cannot read: "));
    std::string bad = dir.path() + "/bad.yaml";
    testing::makeFile(bad, "a: [1\n");
    EXPECT_THAT(errorOf([&] { loadYamlFile(bad); }), HasSubstr(bad + ":"));
    EXPECT_THAT(errorOf([&] { loadYamlFile(bad); }), HasSubstr("bad YAML"));
}

} // namespace
} // namespace purist
