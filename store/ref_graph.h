#pragma once
// The reference graph in memory, and every walk over it: breadth-first walks (closures,
// referrers-closures, shortest chains), and the closure size of every path. StoreDb loads
// the graph (StoreDb::loadGraph); the checker, `purist why`, the garbage collector and the
// DB's own closure queries walk it here.

#include "store/store_path.h"

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace purist {

/// A compact in-memory copy of the reference graph, for whole-store work (closure sizes
/// of every path, a policy over every path). Node ids are dense 0..size()-1.
/// Immutable after construction; safe to read from several threads.
struct RefGraph {
    std::vector<StorePath> paths;
    std::vector<uint64_t> narSizes;
    /// CSR adjacency: references of node i are refs[refStart[i] .. refStart[i+1]).
    std::vector<uint32_t> refStart;
    std::vector<uint32_t> refs;

    size_t size() const { return paths.size(); }
    /// Node id of `path`, or -1.
    int64_t find(const StorePath& path) const;
};

/// Edges in compressed sparse rows: the edges of node i lead to
/// targets[start[i] .. start[i+1]). A view; the arrays belong to the caller.
struct Adjacency {
    std::span<const uint32_t> start;   ///< one entry per node, plus one
    std::span<const uint32_t> targets; ///< every edge's target

    size_t size() const { return start.empty() ? 0 : start.size() - 1; }
    std::span<const uint32_t> of(uint32_t node) const {
        return targets.subspan(start[node], start[node + 1] - start[node]);
    }
};

/// Edges in compressed sparse rows, owning their arrays (see Adjacency).
struct CompressedRows {
    std::vector<uint32_t> start;   ///< one entry per node, plus one
    std::vector<uint32_t> targets; ///< every edge's target, grouped by source

    Adjacency view() const { return {start, targets}; }
};

/// The rows of the edges that `forEachEdge` lists over `nodes` nodes: the one construction
/// of every adjacency in memory (the references loaded from the DB, the referrers, a
/// component's members). `forEachEdge(add)` is called twice, to count and then to place,
/// and must call `add(uint32_t from, uint32_t to)` for the same edges in the same order
/// both times; every `from` is below `nodes`. The edges of node i keep the order they were
/// listed in (a counting sort by source: stable, O(nodes + edges), no comparison).
/// A template, so that listing an edge is an inlined call, not one through a pointer.
template <typename ForEachEdge>
CompressedRows compressedRows(size_t nodes, ForEachEdge&& forEachEdge) {
    CompressedRows rows;
    rows.start.assign(nodes + 1, 0);
    forEachEdge([&rows](uint32_t from, uint32_t) { ++rows.start[from + 1]; });
    for (size_t i = 0; i < nodes; ++i)
        rows.start[i + 1] += rows.start[i];
    rows.targets.resize(rows.start[nodes]);
    std::vector<uint32_t> fill(rows.start.begin(), rows.start.end() - 1);
    forEachEdge([&rows, &fill](uint32_t from, uint32_t to) { rows.targets[fill[from]++] = to; });
    return rows;
}

/// The references of every node of `graph`.
Adjacency referencesOf(const RefGraph& graph);

/// Breadth-first walks over graphs of up to `nodes` nodes, optionally with a shortest path
/// back to a root from every node visited. One object serves any number of walks; each
/// costs what it visits (the marks of the last walk are cleared through its visit order),
/// and the marks take a bit per node, so a walk of a large graph touches little memory.
/// Not thread-safe: one per thread.
class BreadthFirstWalk {
public:
    /// `withParents`: record parent() for every node visited.
    explicit BreadthFirstWalk(size_t nodes, bool withParents = false);

    /// Visits `roots` (each once, in order), then the targets of each visited node in the
    /// order `edges` lists them, each node once. With `stopAt` set, stops expanding once
    /// that node is visited. Throws StoreError if a root is not a node of `edges`.
    void run(Adjacency edges, std::span<const uint32_t> roots, int64_t stopAt = -1);

    /// The nodes the last run visited, in the order it visited them.
    const std::vector<uint32_t>& order() const { return order_; }
    /// The same, moved out (visited() and parent() still answer for the last run).
    std::vector<uint32_t> takeOrder() {
        orderTaken_ = true;
        return std::move(order_);
    }
    bool visited(uint32_t node) const { return seen_[node]; }
    /// The node the last run reached `node` from (a root's is itself). Needs `withParents`
    /// and a visited `node`.
    uint32_t parent(uint32_t node) const { return parent_[node]; }

private:
    std::vector<bool> seen_;
    std::unique_ptr<uint32_t[]> parent_; // uninitialised until visited
    std::vector<uint32_t> order_;
    bool orderTaken_ = false;
};

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
    /// Builds the index in O(nodes + edges). Each node's referrers are in ascending order.
    explicit ReferrerIndex(const RefGraph& graph);
    /// Referrers of node i are referrers[start[i] .. start[i+1]).
    std::vector<uint32_t> start;
    std::vector<uint32_t> referrers;

    /// The index as an adjacency, for walks that go against the references.
    Adjacency edges() const { return {start, referrers}; }
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
