#pragma once
// Reading YAML files so that every error names the file, line and column: the one place
// where yaml-cpp's 0-based marks become the 1-based positions editors show.

#include "base/error.h"

#include <yaml-cpp/yaml.h>

#include <string>

namespace purist::policy {

/// Parses the YAML file at `path`. Throws ConfigError naming the file when it cannot be
/// read, and the file, line and column of a syntax error.
YAML::Node loadYamlFile(const std::string& path);

/// A ConfigError at `node`'s position in `file` (position-less if the node has none).
ConfigError yamlError(const std::string& file, const YAML::Node& node, const std::string& message);

/// The node's position as `file:line:column`, or `file` if it has none.
std::string yamlPosition(const std::string& file, const YAML::Node& node);

/// The scalar at `node` as a string; throws yamlError("<what> must be a string") otherwise.
std::string yamlScalar(const std::string& file, const YAML::Node& node, const std::string& what);

/// A sequence of scalars; throws yamlError at the offending node otherwise.
std::vector<std::string> yamlStringList(const std::string& file, const YAML::Node& node,
                                        const std::string& what);

/// A boolean written as true/false; throws yamlError otherwise.
bool yamlBool(const std::string& file, const YAML::Node& node, const std::string& what);

} // namespace purist::policy
