#pragma once
// `purist why`: why one store path depends on another, as reference chains with the file
// and byte offset of every hop, like `nix why-depends --precise`.

#include "checker/engine.h"
#include "checker/report.h"

#include <cstdint>
#include <string>
#include <vector>

namespace purist::checker {

struct WhyResult {
    /// Each chain runs from the first path to the dependency; shortest first.
    std::vector<std::vector<ChainHop>> chains;
    bool truncated = false; ///< more chains exist than `limit`
};

/// The shortest reference chain from node `from` to node `to` (breadth-first), or, with
/// `all`, every chain without repeated paths, up to `limit` chains. Empty if `to` is not
/// in `from`'s closure. With `evidence`, each hop's file, offset and excerpt are filled by
/// scanning the referrer's files. Throws SysError on a read error.
WhyResult whyDepends(const StoreView& store, uint32_t from, uint32_t to, bool all,
                     size_t limit = 1000, bool evidence = true);

/// Draws `result` as a tree rooted at the first path: each hop on its own line with the
/// file, offset and excerpt, shared prefixes drawn once.
std::string renderWhyTree(const WhyResult& result);

} // namespace purist::checker
