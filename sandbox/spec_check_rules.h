#pragma once
// A build spec's `checks:` as rules, with every entry checked against what the build could
// depend on: shared by `purist check SPEC` (after the build) and `purist build` (before
// anything is built), so both refuse the same vacuous specifiers at the same position.

#include "rules/rule.h"
#include "sandbox/build_graph.h"
#include "store/store_db.h"

#include <vector>

namespace purist::cli {

/// The rules of node `node`'s `checks:` (see rules::rulesFromSpecChecks). An entry that
/// can match neither an output of the spec nor anything its outputs could refer to is a
/// ConfigError at its file:line:col. What they could refer to: the closure in `refs` of
/// its store-path inputs, its sources and the outputs of its input specs; an input spec
/// not (fully) built yet counts with its own outputs and, transitively, what it could
/// refer to, so the answer before a build is never narrower than after it.
std::vector<rules::Rule> specCheckRules(const sandbox::BuildGraph& graph, size_t node,
                                        const StoreDir& dir, const RefGraph& refs);

} // namespace purist::cli
