#include "base/yaml_reader.h"

#include "base/byte_size.h"
#include "base/file_descriptor.h"

#include <algorithm>
#include <charconv>
#include <unordered_map>

namespace purist {
namespace {

/// A scalar's text for a message, cut short so that a pasted blob does not drown the error.
std::string shown(const std::string& text) {
    constexpr size_t kMostShown = 60;
    if (text.size() <= kMostShown) return text;
    return text.substr(0, kMostShown) + "...";
}

[[noreturn]] void refuse(const std::string& file, const YAML::Node& node, const std::string& what,
                         const std::string& expected) {
    throw yamlError(file, node, what + " must be " + expected + ", not " + describeYamlValue(node));
}

/// Fails for a key written twice: `entries` are those read so far, `index` finds an
/// earlier one by name once there are too many to compare one by one.
void refuseDuplicate(const std::string& file, const std::string& what,
                     const std::vector<YamlEntry>& entries,
                     std::unordered_map<std::string, size_t>& index) {
    const YamlEntry& added = entries.back();
    // Most mappings have a handful of keys: comparing is cheaper than hashing them.
    constexpr size_t kCompared = 16;
    const YamlEntry* first = nullptr;
    if (entries.size() <= kCompared) {
        for (size_t i = 0; i + 1 < entries.size() && !first; ++i)
            if (entries[i].key == added.key) first = &entries[i];
    } else {
        if (index.empty())
            for (size_t i = 0; i + 1 < entries.size(); ++i)
                index.emplace(entries[i].key, i);
        auto [it, inserted] = index.emplace(added.key, entries.size() - 1);
        if (!inserted) first = &entries[it->second];
    }
    if (first)
        throw yamlError(file, added.keyNode,
                        "duplicate key '" + added.key + "' in " + what + " (first at " +
                            yamlLocation(file, first->keyNode).describe() + ")");
}

/// The entries of the mapping `node`, each key read by `readKey`.
template <typename ReadKey>
std::vector<YamlEntry> readMapping(const std::string& file, const YAML::Node& node,
                                   const std::string& what, ReadKey readKey) {
    if (!node.IsMap()) refuse(file, node, what, "a mapping");
    std::vector<YamlEntry> entries;
    // Reserved: a YAML::Node has no move constructor, so growing the vector copies them.
    entries.reserve(node.size());
    std::unordered_map<std::string, size_t> index;
    for (auto it = node.begin(); it != node.end(); ++it) {
        entries.push_back(YamlEntry{readKey(it->first), it->first, it->second});
        refuseDuplicate(file, what, entries, index);
    }
    return entries;
}

} // namespace

YAML::Node loadYamlFile(const std::string& file) {
    std::string text;
    try {
        text = readFile(file);
    } catch (const SysError& e) {
        throw ConfigError(file, std::string("cannot read: ") + e.what());
    }
    return parseYamlDocument(text, file);
}

ConfigError yamlError(const std::string& file, const YAML::Node& node, const std::string& message) {
    return yamlError(file, node.IsDefined() ? node.Mark() : YAML::Mark::null_mark(), message);
}

std::string describeYamlValue(const YAML::Node& node) {
    switch (node.Type()) {
    case YAML::NodeType::Sequence:
        return "a list";
    case YAML::NodeType::Map:
        return "a mapping";
    case YAML::NodeType::Null:
        // yaml-cpp keeps no text for `~` or `null`, nor for a key with no value after it:
        // all are the same empty value.
        return "an empty value";
    case YAML::NodeType::Undefined:
        return "nothing";
    case YAML::NodeType::Scalar:
        break;
    }
    const std::string& text = node.Scalar();
    switch (resolveScalarType(node)) {
    case ScalarType::Null:
        return "an empty value";
    case ScalarType::Bool:
        return "the boolean " + text;
    case ScalarType::Int:
        return "the integer " + shown(text);
    case ScalarType::Float:
        return "the number " + shown(text);
    case ScalarType::String:
        break;
    }
    return "the string '" + shown(text) + "'";
}

std::string yamlString(const std::string& file, const YAML::Node& node, const std::string& what) {
    if (node.IsScalar() && resolveScalarType(node) == ScalarType::String) return node.Scalar();
    std::string message = what + " must be a string, not " + describeYamlValue(node);
    // A scalar YAML reads as another type is most often a string left unquoted.
    if (node.IsScalar()) message += " (quote it: \"" + shown(node.Scalar()) + "\")";
    throw yamlError(file, node, message);
}

std::vector<std::string> yamlStringList(const std::string& file, const YAML::Node& node,
                                        const std::string& what, bool nonEmpty) {
    if (!node.IsSequence()) refuse(file, node, what, "a list of strings");
    if (nonEmpty && node.size() == 0) throw yamlError(file, node, what + " must not be empty");
    std::vector<std::string> items;
    items.reserve(node.size());
    for (const auto& item : node)
        items.push_back(yamlString(file, item, what + " entry"));
    return items;
}

bool yamlBool(const std::string& file, const YAML::Node& node, const std::string& what) {
    if (node.IsScalar() && resolveScalarType(node) == ScalarType::Bool) {
        const std::string& v = node.Scalar();
        return v == "true" || v == "True" || v == "TRUE";
    }
    refuse(file, node, what, "true or false");
}

uint64_t yamlCount(const std::string& file, const YAML::Node& node, const std::string& what) {
    // The core schema's integers include -1, +1, 0x1F and 0o17: a count is written in plain
    // decimal digits.
    if (!node.IsScalar() || resolveScalarType(node) != ScalarType::Int ||
        node.Scalar().find_first_not_of("0123456789") != std::string::npos)
        refuse(file, node, what, "a whole number (0, 1, 2, ...)");
    const std::string& digits = node.Scalar();
    uint64_t value = 0;
    auto [end, status] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (status != std::errc() || end != digits.data() + digits.size())
        throw yamlError(file, node, what + ": " + shown(digits) + " is too large");
    return value;
}

std::string yamlSizeText(const std::string& file, const YAML::Node& node, const std::string& what) {
    if (node.IsScalar()) {
        ScalarType type = resolveScalarType(node);
        if (type == ScalarType::Int || type == ScalarType::String) return node.Scalar();
    }
    refuse(file, node, what, "a size such as 50MiB or a byte count");
}

uint64_t yamlByteSize(const std::string& file, const YAML::Node& node, const std::string& what) {
    std::string error;
    std::optional<uint64_t> bytes = parseByteSize(yamlSizeText(file, node, what), error);
    if (!bytes) throw yamlError(file, node, what + ": " + error);
    return *bytes;
}

std::vector<YAML::Node> yamlList(const std::string& file, const YAML::Node& node,
                                 const std::string& what, bool nonEmpty) {
    if (!node.IsSequence()) refuse(file, node, what, "a list");
    std::vector<YAML::Node> items(node.begin(), node.end());
    if (nonEmpty && items.empty()) throw yamlError(file, node, what + " must not be empty");
    return items;
}

std::vector<YamlEntry> yamlMapping(const std::string& file, const YAML::Node& node,
                                   const std::string& what,
                                   const std::vector<std::string>& allowedKeys) {
    return readMapping(file, node, what, [&](const YAML::Node& key) {
        // Any scalar may name a key (`5:` is as unknown as `five:`); a list or a mapping
        // as a key is refused as such.
        if (!key.IsScalar()) refuse(file, key, "a key in " + what, "a string");
        const std::string& name = key.Scalar();
        if (std::find(allowedKeys.begin(), allowedKeys.end(), name) == allowedKeys.end()) {
            std::string list;
            for (const auto& allowed : allowedKeys)
                list += (list.empty() ? "" : ", ") + allowed;
            throw yamlError(file, key,
                            "unknown key '" + shown(name) + "' in " + what +
                                "; expected one of: " + list);
        }
        return name;
    });
}

std::vector<YamlEntry> yamlOpenMapping(const std::string& file, const YAML::Node& node,
                                       const std::string& what) {
    return readMapping(file, node, what,
                       [&](const YAML::Node& key) { return yamlString(file, key, what + " key"); });
}

std::string yamlScalar(const std::string& file, const YAML::Node& node, const std::string& what) {
    if (!node.IsScalar()) refuse(file, node, what, "a single value");
    return node.Scalar();
}

} // namespace purist
