#include "policy/yaml_file.h"

#include "base/file_descriptor.h"

namespace purist::policy {

YAML::Node loadYamlFile(const std::string& path) {
    std::string text;
    try {
        text = readFile(path);
    } catch (const SysError& e) {
        throw ConfigError(path, std::string("cannot read: ") + e.what());
    }
    try {
        return YAML::Load(text);
    } catch (const YAML::Exception& e) {
        if (e.mark.is_null()) throw ConfigError(path, e.msg);
        throw ConfigError(path, e.mark.line + 1, e.mark.column + 1, e.msg);
    }
}

ConfigError yamlError(const std::string& file, const YAML::Node& node, const std::string& message) {
    YAML::Mark mark = node.IsDefined() ? node.Mark() : YAML::Mark::null_mark();
    if (mark.is_null()) return ConfigError(file, message);
    return ConfigError(file, mark.line + 1, mark.column + 1, message);
}

std::string yamlPosition(const std::string& file, const YAML::Node& node) {
    YAML::Mark mark = node.IsDefined() ? node.Mark() : YAML::Mark::null_mark();
    if (mark.is_null()) return file;
    return file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

std::string yamlScalar(const std::string& file, const YAML::Node& node, const std::string& what) {
    if (!node.IsScalar()) throw yamlError(file, node, what + " must be a string");
    return node.Scalar();
}

std::vector<std::string> yamlStringList(const std::string& file, const YAML::Node& node,
                                        const std::string& what) {
    if (!node.IsSequence()) throw yamlError(file, node, what + " must be a list of strings");
    std::vector<std::string> items;
    for (const auto& item : node) {
        if (!item.IsScalar()) throw yamlError(file, item, what + " must be a list of strings");
        items.push_back(item.Scalar());
    }
    return items;
}

bool yamlBool(const std::string& file, const YAML::Node& node, const std::string& what) {
    if (node.IsScalar()) {
        const std::string& s = node.Scalar();
        if (s == "true") return true;
        if (s == "false") return false;
    }
    throw yamlError(file, node, what + " must be true or false");
}

} // namespace purist::policy
