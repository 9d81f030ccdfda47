#pragma once
// Parsing YAML text so that every defect of the text itself is a ConfigError naming the
// file, line and column: the one place where yaml-cpp's 0-based marks and its exceptions
// become purist's errors. Settings (policy/), specs (builds/) and rule files (rules/) all
// read YAML through it, and read what the document holds with base/yaml_reader.h.

#include "base/error.h"
#include "base/source_location.h"

#include <yaml-cpp/yaml.h>

#include <string>

namespace purist {

/// Parses `text`, the contents of `file` (which only names it in errors), as one YAML
/// document; empty text is a null node. Throws ConfigError at file:line:column for a
/// syntax error ("bad YAML: ..."), for lists and mappings nested deeper than yaml-cpp
/// allows (placed at the innermost one it opened, and never a stack overflow), and for
/// text holding a second document, which would otherwise be ignored.
YAML::Node parseYamlDocument(const std::string& text, const std::string& file);

/// How a YAML scalar resolves under the YAML 1.2 core schema: `5` is an integer, `true` a
/// boolean, `~` null; quoted scalars and those tagged `!!str` are strings.
enum class ScalarType { Null, Bool, Int, Float, String };
ScalarType resolveScalarType(const YAML::Node& scalar);

/// Where `node` (or `mark`) is in `file`, 1-based; line and column 0 when yaml-cpp knows no
/// position (an undefined node, a null mark). The one conversion of yaml-cpp's 0-based
/// marks: settings, specs and rules all locate their errors and entries with it.
SourceLocation yamlLocation(const std::string& file, const YAML::Mark& mark);
SourceLocation yamlLocation(const std::string& file, const YAML::Node& node);

/// A ConfigError at `mark` in `file`, positioned by yamlLocation (only the file when the
/// mark is null).
ConfigError yamlError(const std::string& file, const YAML::Mark& mark, const std::string& message);

} // namespace purist
