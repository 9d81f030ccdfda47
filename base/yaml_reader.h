#pragma once
// Reading what a YAML document holds, one typed reader per kind of value: the one dialect a
// user meets in the settings file, build specs, rule files and a spec's `checks:`. Every
// reader throws a ConfigError at the node's file:line:column, and says the same mistake the
// same way wherever it is made: "<what> must be <expected>, not <found>", where <found>
// names what was written ("the integer 5", "the string 'yes'", "a list"). Types follow the
// YAML 1.2 core schema (base/yaml_document.h): `5` is an integer, `yes` a string.
//
// `what` names the value for the user as the file spells it ("name", "no-setuid",
// "checks.maxSize"). All functions are thread-safe; the nodes are only read.

#include "base/error.h"
#include "base/yaml_document.h"

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

namespace purist {

/// Reads and parses the YAML file at `file` (parseYamlDocument). Throws ConfigError naming
/// the file when it cannot be read ("cannot read: ..." with the system's reason), and at
/// file:line:column for what parseYamlDocument refuses.
YAML::Node loadYamlFile(const std::string& file);

/// A ConfigError at `node`'s position in `file` (only the file when the node has none).
ConfigError yamlError(const std::string& file, const YAML::Node& node, const std::string& message);

/// What `node` holds, as an error shows what was found: "the string 'yes'", "the integer
/// 5", "the number 1.5", "the boolean true", "an empty value" (`~`, `null` or none), "a list",
/// "a mapping", or "nothing" (an undefined node). Long scalars are shortened.
std::string describeYamlValue(const YAML::Node& node);

/// The text of a scalar that resolves to a string. Anything else is refused with
/// "<what> must be a string, not <found>", and a scalar of another type with the quoted
/// form to write instead: `name: 5` gives "name must be a string, not the integer 5
/// (quote it: "5")".
std::string yamlString(const std::string& file, const YAML::Node& node, const std::string& what);

/// A list of strings: "<what> must be a list of strings, not <found>" for anything but a
/// list, "<what> must not be empty" for an empty one when `nonEmpty`, and each entry read by
/// yamlString as "<what> entry".
std::vector<std::string> yamlStringList(const std::string& file, const YAML::Node& node,
                                        const std::string& what, bool nonEmpty = false);

/// A boolean: true, True, TRUE, false, False or FALSE (the core schema's; `yes`, `on`, `1`
/// and the quoted 'true' are not). Otherwise "<what> must be true or false, not <found>".
bool yamlBool(const std::string& file, const YAML::Node& node, const std::string& what);

/// A whole number written in decimal digits, 0 or more: "<what> must be a whole number
/// (0, 1, 2, ...), not <found>" for anything else (a negative or hexadecimal integer, a
/// quoted "5"); "<what>: <digits> is too large" when it does not fit in 64 bits.
uint64_t yamlCount(const std::string& file, const YAML::Node& node, const std::string& what);

/// The text of a size as written (an integer, or a string such as `50MiB`), its type
/// checked and its text not: for sizes that also take other forms (a setting's `50%` of
/// the RAM). Otherwise "<what> must be a size such as 50MiB or a byte count, not <found>".
std::string yamlSizeText(const std::string& file, const YAML::Node& node, const std::string& what);

/// A size in bytes: yamlSizeText read by parseByteSize (base/byte_size.h), "<what>:
/// <parseByteSize's reason>" when it reads no size.
uint64_t yamlByteSize(const std::string& file, const YAML::Node& node, const std::string& what);

/// The items of a list: "<what> must be a list, not <found>" for anything else, "<what>
/// must not be empty" for an empty one when `nonEmpty`.
std::vector<YAML::Node> yamlList(const std::string& file, const YAML::Node& node,
                                 const std::string& what, bool nonEmpty = false);

/// One entry of a mapping, as written.
struct YamlEntry {
    std::string key;
    YAML::Node keyNode; ///< where the key is written, for errors about the key
    YAML::Node value;
};

/// The entries of a mapping, in the order written. "<what> must be a mapping, not <found>"
/// for anything else; "unknown key 'k' in <what>; expected one of: a, b, c" for a key not in
/// `allowedKeys`; "duplicate key 'k' in <what> (first at file:line:column)" for a key
/// written twice (yaml-cpp keeps both, and a reader would silently take one).
std::vector<YamlEntry> yamlMapping(const std::string& file, const YAML::Node& node,
                                   const std::string& what,
                                   const std::vector<std::string>& allowedKeys);

/// As yamlMapping, for a mapping whose keys are the user's names (`env: {CC: gcc}`): any
/// key that is a string (a key of another type is refused as yamlString refuses it, as
/// "<what> key"), each once.
std::vector<YamlEntry> yamlOpenMapping(const std::string& file, const YAML::Node& node,
                                       const std::string& what);

/// The text of any scalar, whatever it resolves to (`5`, `auto` and `true` alike), for a
/// value whose own parser decides, such as a setting that also comes from the environment
/// as text. "<what> must be a single value, not <found>" for a list, a mapping or an empty
/// value.
std::string yamlScalar(const std::string& file, const YAML::Node& node, const std::string& what);

} // namespace purist
