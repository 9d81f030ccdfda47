#include "policy/yaml_file.h"

#include "base/file_descriptor.h"
#include "base/yaml_document.h"

namespace purist::policy {

YAML::Node loadYamlFile(const std::string& path) {
    std::string text;
    try {
        text = readFile(path);
    } catch (const SysError& e) {
        throw ConfigError(path, std::string("cannot read: ") + e.what());
    }
    return parseYamlDocument(text, path);
}

ConfigError yamlError(const std::string& file, const YAML::Node& node, const std::string& message) {
    SourceLocation at = yamlLocation(file, node);
    if (at.line == 0) return ConfigError(file, message);
    return ConfigError(file, at.line, at.column, message);
}

std::string yamlPosition(const std::string& file, const YAML::Node& node) {
    return yamlLocation(file, node).describe();
}

std::string yamlScalar(const std::string& file, const YAML::Node& node, const std::string& what) {
    if (!node.IsScalar()) throw yamlError(file, node, what + " must be a string");
    return node.Scalar();
}

std::string yamlString(const std::string& file, const YAML::Node& node, const std::string& what) {
    if (node.IsNull()) throw yamlError(file, node, what + " must be a string, not null");
    if (!node.IsScalar()) throw yamlError(file, node, what + " must be a string");
    if (resolveScalarType(node) == ScalarType::String) return node.Scalar();
    throw yamlError(file, node,
                    what + " must be a string, not " + describeYamlType(node) + " (quote it: \"" +
                        node.Scalar() + "\")");
}

std::vector<std::string> yamlStringList(const std::string& file, const YAML::Node& node,
                                        const std::string& what) {
    if (!node.IsSequence()) throw yamlError(file, node, what + " must be a list of strings");
    std::vector<std::string> items;
    for (const auto& item : node) {
        if (!item.IsScalar()) throw yamlError(file, item, what + " must be a list of strings");
        items.push_back(yamlString(file, item, what + " entry"));
    }
    return items;
}

bool yamlBool(const std::string& file, const YAML::Node& node, const std::string& what) {
    if (std::optional<bool> value = yamlBoolValue(node)) return *value;
    throw yamlError(file, node, what + " must be true or false");
}

} // namespace purist::policy
