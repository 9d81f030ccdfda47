#pragma once
// `purist why`: why one store path depends on another, as reference chains with the file
// and byte offset of every hop, like `nix why-depends --precise`.

#include "checker/engine.h"
#include "reports/report.h"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace purist::checker {

struct WhyResult {
    std::string root; ///< the depending path, printed
    /// Each chain runs from the first path to the dependency; shortest first. A path
    /// depends on itself, as in Nix: its chain is its reference to itself, or no hop at all.
    std::vector<std::vector<reports::ChainHop>> chains;
    bool truncated = false; ///< more chains exist than `limit`
    /// With `maxSites` above 1: for a hop (from, to), the files after the first that also
    /// hold the reference, up to maxSites - 1 (as `nix why-depends --precise` lists them).
    std::map<std::pair<std::string, std::string>, std::vector<reports::ChainHop>> moreSites;
    /// Hops whose further sites were cut at maxSites.
    std::set<std::pair<std::string, std::string>> sitesTruncated;
};

/// The shortest reference chain from node `from` to node `to` (breadth-first), or, with
/// `all`, every chain without repeated paths, up to `limit` chains. Empty if `to` is not
/// in `from`'s closure (`from` itself always is). With `evidence`, each hop's file, offset
/// and excerpt are filled by scanning the referrer's files once; with `maxSites` above 1,
/// every referrer is read once more to list up to that many files per hop. Throws
/// SysError on a read error.
WhyResult whyDepends(const StoreView& store, uint32_t from, uint32_t to, bool all,
                     size_t limit = 1000, bool evidence = true, size_t maxSites = 1);

/// The members of `from`'s closure named `name` (StorePath::name), or if none is, those
/// whose name contains it, in breadth-first order from `from`: how `purist why` finds the
/// DEPENDENCY given by name (`bootstrap-tools-1.0`, or a part of one).
std::vector<uint32_t> closureMembersNamed(const RefGraph& graph, uint32_t from,
                                          std::string_view name);

/// Draws `result` as a tree rooted at the first path: each hop on its own line with the
/// file, offset and excerpt, shared prefixes drawn once.
std::string renderWhyTree(const WhyResult& result);

} // namespace purist::checker
