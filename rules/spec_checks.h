#pragma once
// A build spec's `checks:` (Nix's names: allowedReferences, allowedRequisites,
// disallowedReferences, disallowedRequisites, maxSize, maxClosureSize, and per output
// `outputChecks`) turned into rules, so the same engine evaluates them and reports them
// with the same evidence.

#include "rules/rule.h"

#include <yaml-cpp/yaml.h>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace purist::rules {

/// Resolves an entry of a reference list that names another spec (`bootstrap-tools.yaml`)
/// to that spec's output store paths. May throw ConfigError.
using SpecReferenceResolver =
    std::function<std::vector<std::string>(const std::string& entry, const SourceLocation& at)>;

/// The spec whose `checks:` are turned into rules.
struct SpecCheckContext {
    std::string sourceFile; ///< for positions in errors and for `help`
    std::string specName;   ///< rule ids are `spec/<specName>/<check>`
    /// The spec's outputs, (output name, full store path), in the spec's order.
    std::vector<std::pair<std::string, std::string>> outputs;
    /// Resolves spec-file entries; without it they are an error.
    SpecReferenceResolver resolve;
    /// Every store path (full) the build could depend on: its input closure. When given, an
    /// entry that can match neither an output nor one of these (by path or by name) is an
    /// error, as Nix refuses an illegal reference specifier: a typo must not make a check
    /// vacuous.
    std::optional<std::vector<std::string>> dependable;
};

/// Nix's names of the checks a spec may declare: allowedReferences, allowedRequisites,
/// disallowedReferences, disallowedRequisites, maxSize, maxClosureSize.
const std::vector<std::string>& specCheckNames();
/// The keys `checks:` takes: specCheckNames() and `outputChecks`.
const std::vector<std::string>& specChecksKeys();
/// The keys `outputChecks.NAME` takes: specCheckNames() and `ignoreSelfRefs`.
const std::vector<std::string>& outputChecksKeys();

/// Rules for the `checks:` mapping of a spec. Top-level checks apply to every output, as
/// Nix applies a derivation's checks; `outputChecks: {NAME: {...}}` to output NAME only
/// (ids `spec/<specName>/outputChecks.NAME.<check>`). Entries of the reference lists are,
/// in this order: the name of an output of the spec (its path, as in Nix), a store path
/// (absolute, compared exactly), a spec file (ending in .yaml or .yml; needs `resolve`),
/// or a name (compared exactly with the candidate's name). The reference checks see the
/// path's reference to itself; the requisite checks ignore the path itself, except in
/// `outputChecks` unless `ignoreSelfRefs: true` (Nix's defaults). Sizes are byte counts
/// or IEC sizes (`50MiB`). Throws ConfigError at file:line:col on an unknown check or
/// output, a wrong type, a bad size, or an entry that can match nothing (see
/// `dependable`).
std::vector<Rule> rulesFromSpecChecks(const YAML::Node& checks, const SpecCheckContext& context);

} // namespace purist::rules
