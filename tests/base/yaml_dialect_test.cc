// One YAML dialect (base/yaml_reader.h): the same mistake in a build spec, a rule file and
// the settings file gets the same message, word for word but for what names the value.

#include "base/error.h"
#include "base/temp_dir.h"
#include "builds/build_spec.h"
#include "policy/settings.h"
#include "rules/rule_loader.h"
#include "tests/support/test_support.h"

#include <gtest/gtest.h>

#include <functional>

namespace purist {
namespace {

/// One mistake as written in one kind of file.
struct Written {
    const char* text;
    int line, column;
    const char* what;  ///< replaces {what} in the message
    const char* first; ///< line:column replacing {first}, for a duplicate key
};

/// One mistake, written in each of the three files, and the message all three give.
struct Mistake {
    const char* name;
    Written spec, rule, settings;
    /// The message after `file:line:column: `, with {what}, {first} and {file}.
    const char* message;
    /// True when the message goes on with what differs by file (the list of known keys).
    bool prefixOnly = false;
};

const Mistake kMistakes[] = {
    {"IntegerWhereAStringIs",
     {"name: 5\nbuilder: /bin/sh\n", 1, 7, "name", ""},
     {"rules:\n  - id: 5\n    max-size: 1\n", 2, 9, "id", ""},
     {"build-users-group: 5\n", 1, 20, "build-users-group", ""},
     "{what} must be a string, not the integer 5 (quote it: \"5\")"},
    {"YesWhereABooleanIs",
     {"name: a\nbuilder: /bin/sh\nno-sandbox: yes\n", 3, 13, "no-sandbox", ""},
     {"rules:\n  - id: a\n    store-permissions: {no-setuid: yes}\n", 3, 36, "no-setuid", ""},
     {"gc-runtime-roots: yes\n", 1, 19, "gc-runtime-roots", ""},
     "{what} must be true or false, not the string 'yes'"},
    {"UnknownKey",
     {"name: a\nbuilder: /bin/sh\ncolour: red\n", 3, 1, "build spec", ""},
     {"rules:\n  - id: a\n    max-size: 1\n    colour: red\n", 4, 5, "rule", ""},
     {"sandbox: strict\ncolour: red\n", 2, 1, "config file", ""},
     "unknown key 'colour' in {what}; expected one of: ",
     true},
    {"DuplicateKey",
     {"builder: /bin/sh\nname: a\nname: b\n", 3, 1, "build spec", "2:1"},
     {"rules:\n  - max-size: 1\n    id: a\n    id: b\n", 4, 5, "rule", "3:5"},
     {"sandbox: strict\nsandbox: off\n", 2, 1, "config file", "1:1"},
     "duplicate key '{key}' in {what} (first at {file}:{first})"},
    {"ListWhereAMappingIs",
     {"- name: a\n", 1, 1, "build spec", ""},
     {"- id: a\n", 1, 1, "policy file", ""},
     {"- sandbox\n", 1, 1, "config file", ""},
     "{what} must be a mapping, not a list"},
    {"ListWhereASizeIs",
     {"name: a\nbuilder: /bin/sh\nchecks: {maxSize: [1]}\n", 3, 19, "checks.maxSize", ""},
     {"rules:\n  - id: a\n    max-size: [1]\n", 3, 15, "max-size", ""},
     {"max-log-size: [1]\n", 1, 15, "max-log-size", ""},
     "{what} must be a size such as 50MiB or a byte count, not a list"},
    {"StringWhereAListOfStringsIs",
     {"name: a\nbuilder: /bin/sh\nargs: x\n", 3, 7, "args", ""},
     {"rules:\n  - id: a\n    max-size: 1\n    match: {outputs: x}\n", 4, 22, "match outputs", ""},
     {"sandbox-paths: x\n", 1, 16, "sandbox-paths", ""},
     "{what} must be a list of strings, not the string 'x'"},
};

void PrintTo(const Mistake& mistake, std::ostream* out) {
    *out << mistake.name;
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

class YamlDialectTest : public ::testing::TestWithParam<Mistake> {
protected:
    TempDir dir_{"yaml-dialect-test-"};

    /// Writes `written` to `name`, reads it with `read`, and checks the message.
    void expectMessage(const char* name, const Written& written, const std::string& key,
                       const std::function<void(const std::string&)>& read) {
        const Mistake& mistake = GetParam();
        std::string file = dir_.path() + "/" + name;
        testing::makeFile(file, written.text);
        std::string expected = file + ":" + std::to_string(written.line) + ":" +
                               std::to_string(written.column) + ": " + mistake.message;
        expected = replaced(expected, "{what}", written.what);
        expected = replaced(expected, "{key}", key);
        expected = replaced(expected, "{first}", written.first);
        expected = replaced(expected, "{file}", file);
        try {
            read(file);
            ADD_FAILURE() << name << " accepted:\n" << written.text;
        } catch (const ConfigError& e) {
            std::string message = e.what();
            if (mistake.prefixOnly) {
                EXPECT_EQ(message.substr(0, expected.size()), expected) << name;
                EXPECT_GT(message.size(), expected.size()) << name << ": " << message;
            } else {
                EXPECT_EQ(message, expected) << name;
            }
        }
    }
};

TEST_P(YamlDialectTest, SameMistakeSameMessage) {
    const Mistake& m = GetParam();
    expectMessage("spec.yaml", m.spec, "name",
                  [](const std::string& file) { builds::parseBuildSpec(file); });
    expectMessage("rules.yaml", m.rule, "id",
                  [](const std::string& file) { rules::loadPolicyFile(file); });
    expectMessage("purist.yaml", m.settings, "sandbox", [](const std::string& file) {
        policy::Settings settings;
        policy::applySettingsFile(settings, file, policy::SettingOrigin::Kind::ConfigFile);
    });
}

INSTANTIATE_TEST_SUITE_P(Table, YamlDialectTest, ::testing::ValuesIn(kMistakes),
                         [](const ::testing::TestParamInfo<Mistake>& info) {
                             return std::string(info.param.name);
                         });

} // namespace
} // namespace purist
