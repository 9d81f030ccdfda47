#pragma once
// Loading policy files: YAML rule and waiver lists, checked key by key and compiled.
// Every error is a ConfigError naming file:line:column; a file either loads whole or
// not at all, so nothing is ever checked with half a policy.

#include "base/yaml_document.h"
#include "rules/rule.h"

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace purist::rules {

/// How a YAML scalar resolves under the YAML 1.2 core schema (base/yaml_document.h).
using purist::resolveScalarType;
using purist::ScalarType;

/// Loads the policy file at `file` (see docs/rules.md). Throws ConfigError (file:line:col)
/// for any defect: unreadable file, bad YAML, unknown key, wrong type, bad RE2 pattern,
/// bad size or severity, a rule with no check or two, a duplicate id within the file.
Policy loadPolicyFile(const std::string& file);

/// As loadPolicyFile, from `text`; `file` names it in errors.
Policy loadPolicyString(const std::string& text, const std::string& file);

/// Loads several files into one policy. A rule id defined twice is a ConfigError naming both
/// places; waivers must name rules of the merged policy (or be loaded later with
/// addWaivers). Throws on the first bad file: no partial policy is ever returned.
Policy loadPolicy(const std::vector<std::string>& files);

/// Adds the waivers of `file` (a policy file holding a `waivers:` list) to `policy`, and
/// checks that every waiver of `policy` names one of its rules. Throws ConfigError.
void addWaiversFile(Policy& policy, const std::string& file);

/// Appends `more` to `policy`, refusing a rule id already present (ConfigError naming both
/// places). Used for per-spec checks and for several policy files.
void mergePolicy(Policy& policy, Policy more);

/// Throws ConfigError at the waiver if any waiver names a rule id `policy` lacks.
void validateWaivers(const Policy& policy);

/// Parses one rule from a YAML map (a `rules:` entry); `file` names it in errors.
Rule parseRule(const YAML::Node& node, const std::string& file);

/// Compiles `source` as an RE2 pattern; on failure throws ConfigError at `location` with
/// RE2's message.
Pattern compilePattern(const std::string& source, const SourceLocation& location);

/// Placeholders a message template may use.
const std::vector<std::string>& messagePlaceholders();

} // namespace purist::rules
