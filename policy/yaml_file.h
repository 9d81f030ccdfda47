#pragma once
// Reading YAML files so that every error names the file, line and column: the one place
// where yaml-cpp's 0-based marks become the 1-based positions editors show.

#include "base/error.h"

#include <yaml-cpp/yaml.h>

#include <string>

namespace purist::policy {

/// Parses the YAML file at `path`. Throws ConfigError naming the file when it cannot be
/// read, and the file, line and column of a syntax error, of nesting too deep, or of a
/// second document (see base/yaml_document.h).
YAML::Node loadYamlFile(const std::string& path);

/// A ConfigError at `node`'s position in `file` (position-less if the node has none).
ConfigError yamlError(const std::string& file, const YAML::Node& node, const std::string& message);

/// The node's position as `file:line:column`, or `file` if it has none.
std::string yamlPosition(const std::string& file, const YAML::Node& node);

/// The scalar at `node`, whatever it resolves to (`5`, `true` and `abc` alike), for values
/// that are checked further, such as sizes; throws yamlError("<what> must be a string")
/// for a list, a mapping or nothing.
std::string yamlScalar(const std::string& file, const YAML::Node& node, const std::string& what);

/// The string at `node`: a scalar that resolves to a string under the YAML 1.2 core schema
/// (base/yaml_document.h). `5`, `true`, `1.5` and `~` are refused, as the rule files refuse
/// them, with yamlError("<what> must be a string, not an integer (quote it: \"5\")").
std::string yamlString(const std::string& file, const YAML::Node& node, const std::string& what);

/// A sequence of strings as yamlString reads them; throws yamlError at the offending node.
std::vector<std::string> yamlStringList(const std::string& file, const YAML::Node& node,
                                        const std::string& what);

/// A boolean written as true/false; throws yamlError otherwise.
bool yamlBool(const std::string& file, const YAML::Node& node, const std::string& what);

} // namespace purist::policy
