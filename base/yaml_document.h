#pragma once
// Parsing YAML text so that every defect of the text itself is a ConfigError naming the
// file, line and column: the one place where yaml-cpp's 0-based marks and its exceptions
// become purist's errors. Settings, specs (policy/) and rule files (rules/) all read YAML
// through it; what each expects inside the document is checked by its own reader.

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

} // namespace purist
