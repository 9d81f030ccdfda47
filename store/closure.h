#pragma once
// Walks over an in-memory RefGraph: closures, referrers-closures and the
// closure size of every path, for policies and reports that look at every path at once.

#include "store/store_db.h"

#include <cstdint>
#include <span>
#include <vector>

namespace purist {

/// The nodes reachable from `roots` through references, roots included, ascending.
/// Throws StoreError if a root is not a node of `graph`. O(size of the closure + its edges).
std::vector<uint32_t> closureOf(const RefGraph& graph, std::span<const uint32_t> roots);

/// The same nodes in breadth-first order: the roots first (each once, as given), then each
/// node's references in the order the graph lists them. Throws StoreError if a root is not a
/// node of `graph`.
std::vector<uint32_t> breadthFirstClosure(const RefGraph& graph, std::span<const uint32_t> roots);

/// The reverse adjacency of a RefGraph: who refers to each node. Immutable after
/// construction; safe to read from several threads.
struct ReferrerIndex {
    /// Builds the index in O(nodes + edges).
    explicit ReferrerIndex(const RefGraph& graph);
    /// Referrers of node i are referrers[start[i] .. start[i+1]).
    std::vector<uint32_t> start;
    std::vector<uint32_t> referrers;
};

/// The nodes from which any of `roots` is reachable, roots included, ascending. Throws
/// StoreError if a root is not a node of `graph`.
std::vector<uint32_t> referrersClosureOf(const RefGraph& graph, const ReferrerIndex& index,
                                         std::span<const uint32_t> roots);

/// How big a path's closure is.
struct ClosureSize {
    uint64_t paths = 0;   ///< number of paths in the closure, the path itself included
    uint64_t narSize = 0; ///< sum of their NAR sizes
    friend bool operator==(const ClosureSize&, const ClosureSize&) = default;
};

/// The closure size of every node, indexed by node id; exact (shared dependencies count
/// once). Cycles are folded into strongly connected components first; the component DAG
/// is then swept once per block of kClosureBlockBits components with a bit set per
/// component, so the work is O(components x (components + edges) / 64) word operations
/// whatever the shape of the graph, and memory is O(components x kClosureBlockBits / 8)
/// bytes per thread. Uses `threads` threads (0: the number of CPUs). Not cancellable.
std::vector<ClosureSize> closureSizes(const RefGraph& graph, unsigned threads = 0);

/// Components covered by one sweep of closureSizes().
inline constexpr size_t kClosureBlockBits = 1024;

} // namespace purist
