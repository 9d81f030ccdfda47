#pragma once
// A build spec's `checks:` (Nix's names: allowedReferences, allowedRequisites,
// disallowedReferences, disallowedRequisites, maxSize, maxClosureSize) turned into rules,
// so the same engine evaluates them and reports them with the same evidence.

#include "rules/rule.h"

#include <yaml-cpp/yaml.h>

#include <functional>
#include <string>
#include <vector>

namespace purist::rules {

/// Resolves an entry of a reference list that names another spec (`bootstrap-tools.yaml`)
/// to that spec's output store paths. May throw ConfigError.
using SpecReferenceResolver =
    std::function<std::vector<std::string>(const std::string& entry, const SourceLocation& at)>;

/// Rules for the `checks:` mapping of spec `specName` (from `sourceFile`), applying to
/// exactly `outputPaths` (full store paths). Rule ids are `spec/<specName>/<nixName>`.
/// Entries of the reference lists are: a store path (absolute, compared exactly), a spec
/// file (ending in .yaml or .yml; needs `resolve`), or a name (compared exactly with the
/// candidate's name). Sizes are byte counts or IEC sizes (`50MiB`). Throws ConfigError at
/// file:line:col on an unknown check, wrong type, or bad size.
std::vector<Rule> rulesFromSpecChecks(const YAML::Node& checks, const std::string& sourceFile,
                                      const std::string& specName,
                                      const std::vector<std::string>& outputPaths,
                                      const SpecReferenceResolver& resolve = {});

} // namespace purist::rules
