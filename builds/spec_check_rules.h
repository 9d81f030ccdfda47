#pragma once
// A build spec's `checks:` as rules, with every entry checked against what the build could
// depend on: shared by `purist build` (refused before anything is built, evaluated on the
// outputs before they are registered) and `purist check SPEC` (after the build), so both
// refuse the same vacuous specifiers at the same position and judge with the same rules.

#include "builds/build_graph.h"
#include "rules/rule.h"
#include "store/local_store.h"
#include "store/store_db.h"

#include <string>
#include <vector>

namespace purist::builds {

/// The rules of node `node`'s `checks:` (see rules::rulesFromSpecChecks), none if it has
/// none. An entry that can match neither an output of the spec nor anything its outputs
/// could refer to is a ConfigError at its file:line:col. What they could refer to: the
/// closure in `db` of its store-path inputs, its sources and the outputs of its input
/// specs; an input spec not (fully) built yet counts with its own outputs and,
/// transitively, what it could refer to, so the answer before a build is never narrower
/// than after it. Reads `db` in one closure query; throws StoreError if it fails.
std::vector<rules::Rule> specCheckRules(const BuildGraph& graph, size_t node, StoreDb& db);

/// What `purist check` checks for spec arguments, after `purist build`.
struct BuiltSpecChecks {
    /// The specs' outputs (computed from the specs exactly as `purist build` computes them),
    /// printed with the logical store dir, spec by spec in the specs' order.
    std::vector<std::string> outputs;
    /// The specs' `checks:` as rules (specCheckRules), to join the policy.
    std::vector<rules::Rule> rules;
    /// The spec files that gave rules, in order.
    std::vector<std::string> ruleFiles;
};

/// Reads `specFiles` (and the specs they name as inputs) and resolves them against `store`.
/// An output that was never built is a UsageError naming it; a spec is a ConfigError as
/// for `purist build`, and so is a check entry that can match nothing (specCheckRules).
BuiltSpecChecks builtSpecChecks(const std::vector<std::string>& specFiles, LocalStore& store);

} // namespace purist::builds
