#include "store/ref_graph.h"

#include "base/error.h"

#include <algorithm>
#include <array>
#include <bit>
#include <exception>
#include <mutex>
#include <thread>

namespace purist {

namespace {

void checkRoots(size_t nodes, std::span<const uint32_t> roots) {
    for (uint32_t root : roots)
        if (root >= nodes)
            throw StoreError("closure root " + std::to_string(root) + " is not a node of a " +
                             std::to_string(nodes) + "-node reference graph");
}

std::vector<uint32_t> sorted(std::vector<uint32_t> nodes) {
    std::sort(nodes.begin(), nodes.end());
    return nodes;
}

// The component DAG of a graph: strongly connected components numbered so that every
// reference goes from a higher number to a lower one (Tarjan's order: a component is
// finished after every component it reaches).
struct Condensed {
    std::vector<uint32_t> componentOf;  // per node
    std::vector<uint64_t> paths;        // per component: nodes in it
    std::vector<uint64_t> narSize;      // per component: sum of their NAR sizes
    std::vector<uint32_t> start, edges; // CSR, deduplicated, no self-edges
    size_t size() const { return paths.size(); }
};

Condensed condense(const RefGraph& graph) {
    const size_t n = graph.size();
    constexpr uint32_t kUnvisited = UINT32_MAX;
    Condensed c;
    c.componentOf.assign(n, kUnvisited);
    std::vector<uint32_t> index(n, kUnvisited), low(n);
    std::vector<uint32_t> stack;
    std::vector<bool> onStack(n, false);
    struct Frame {
        uint32_t node;
        uint32_t edge;
    };
    std::vector<Frame> calls;
    uint32_t counter = 0;
    // Iterative Tarjan: a package set's reference chains are deeper than a thread's stack
    // can afford to recurse.
    for (uint32_t s = 0; s < n; ++s) {
        if (index[s] != kUnvisited) continue;
        index[s] = low[s] = counter++;
        stack.push_back(s);
        onStack[s] = true;
        calls.push_back({s, graph.refStart[s]});
        while (!calls.empty()) {
            Frame& frame = calls.back();
            uint32_t v = frame.node;
            if (frame.edge < graph.refStart[v + 1]) {
                uint32_t w = graph.refs[frame.edge++];
                if (index[w] == kUnvisited) {
                    index[w] = low[w] = counter++;
                    stack.push_back(w);
                    onStack[w] = true;
                    calls.push_back({w, graph.refStart[w]});
                } else if (onStack[w]) {
                    low[v] = std::min(low[v], index[w]);
                }
                continue;
            }
            calls.pop_back();
            if (low[v] == index[v]) {
                auto component = static_cast<uint32_t>(c.paths.size());
                uint64_t paths = 0, narSize = 0;
                uint32_t w;
                do {
                    w = stack.back();
                    stack.pop_back();
                    onStack[w] = false;
                    c.componentOf[w] = component;
                    ++paths;
                    narSize += graph.narSizes[w];
                } while (w != v);
                c.paths.push_back(paths);
                c.narSize.push_back(narSize);
            }
            if (!calls.empty()) {
                uint32_t parent = calls.back().node;
                low[parent] = std::min(low[parent], low[v]);
            }
        }
    }

    // Component edges: group the nodes by component, then collect each component's
    // distinct targets with a stamp array.
    const size_t k = c.size();
    const CompressedRows byComponent = compressedRows(k, [&c, n](auto&& add) {
        for (uint32_t v = 0; v < n; ++v)
            add(c.componentOf[v], v);
    });
    const std::vector<uint32_t>& memberStart = byComponent.start;
    const std::vector<uint32_t>& members = byComponent.targets;
    std::vector<uint32_t> stamp(k, kUnvisited);
    c.start.reserve(k + 1);
    c.start.push_back(0);
    c.edges.reserve(graph.refs.size());
    for (uint32_t comp = 0; comp < k; ++comp) {
        stamp[comp] = comp;
        for (uint32_t m = memberStart[comp]; m < memberStart[comp + 1]; ++m) {
            uint32_t v = members[m];
            for (uint32_t e = graph.refStart[v]; e < graph.refStart[v + 1]; ++e) {
                uint32_t target = c.componentOf[graph.refs[e]];
                if (stamp[target] == comp) continue;
                stamp[target] = comp;
                c.edges.push_back(target);
            }
        }
        c.start.push_back(static_cast<uint32_t>(c.edges.size()));
    }
    return c;
}

constexpr size_t kBlockWords = kClosureBlockBits / 64;
using Row = std::array<uint64_t, kBlockWords>;

// One sweep: the closure sizes restricted to components [lo, lo + kClosureBlockBits),
// added to `paths` and `narSize`. `rows` and `weights` are the caller's scratch space.
//
// Components are numbered children first, so a component's closure holds only components
// numbered at most its own: the sweep starts at `lo` and sets each row to its own bit (if
// in the block) ORed with its children's rows. Summing NAR sizes over a row's bits one by
// one would cost the total size of all closures; instead a table holds, for each byte of
// the row and each of its 256 values, the sum of the sizes its bits stand for, so a row
// costs at most kClosureBlockBits / 8 lookups.
void sweepBlock(const Condensed& c, size_t lo, std::vector<Row>& rows,
                std::vector<uint64_t>& weights, std::vector<uint64_t>& counts,
                std::vector<uint64_t>& paths, std::vector<uint64_t>& narSize) {
    const size_t k = c.size();
    const size_t hi = std::min(k, lo + kClosureBlockBits);
    bool multiNode = false;
    constexpr size_t kBytes = kClosureBlockBits / 8;
    for (size_t byte = 0; byte < kBytes; ++byte) {
        uint64_t* w = &weights[byte * 256];
        uint64_t* n = &counts[byte * 256];
        w[0] = n[0] = 0;
        for (unsigned value = 1; value < 256; ++value) {
            size_t comp = lo + byte * 8 + static_cast<size_t>(std::countr_zero(value));
            uint64_t bitWeight = comp < hi ? c.narSize[comp] : 0;
            uint64_t bitCount = comp < hi ? c.paths[comp] : 0;
            if (bitCount > 1) multiNode = true;
            w[value] = w[value & (value - 1)] + bitWeight;
            n[value] = n[value & (value - 1)] + bitCount;
        }
    }
    std::vector<bool> nonEmpty(k - lo, false);
    for (size_t comp = lo; comp < k; ++comp) {
        Row& row = rows[comp - lo];
        row.fill(0);
        bool any = false;
        if (comp < hi) {
            size_t bit = comp - lo;
            row[bit / 64] = uint64_t{1} << (bit % 64);
            any = true;
        }
        for (uint32_t e = c.start[comp]; e < c.start[comp + 1]; ++e) {
            uint32_t child = c.edges[e];
            if (child < lo || !nonEmpty[child - lo]) continue;
            const Row& from = rows[child - lo];
            for (size_t word = 0; word < kBlockWords; ++word)
                row[word] |= from[word];
            any = true;
        }
        if (!any) continue;
        nonEmpty[comp - lo] = true;
        uint64_t rowPaths = 0, rowSize = 0;
        for (size_t word = 0; word < kBlockWords; ++word) {
            uint64_t bits = row[word];
            if (!bits) continue;
            if (!multiNode) rowPaths += static_cast<uint64_t>(std::popcount(bits));
            const uint64_t* w = &weights[word * 8 * 256];
            const uint64_t* n = &counts[word * 8 * 256];
            for (size_t byte = 0; byte < 8 && bits; ++byte, bits >>= 8) {
                unsigned value = bits & 0xff;
                rowSize += w[byte * 256 + value];
                if (multiNode) rowPaths += n[byte * 256 + value];
            }
        }
        paths[comp] += rowPaths;
        narSize[comp] += rowSize;
    }
}

} // namespace

int64_t RefGraph::find(const StorePath& path) const {
    auto it = std::lower_bound(paths.begin(), paths.end(), path);
    if (it == paths.end() || *it != path) return -1;
    return it - paths.begin();
}

Adjacency referencesOf(const RefGraph& graph) {
    return {graph.refStart, graph.refs};
}

BreadthFirstWalk::BreadthFirstWalk(size_t nodes, bool withParents) : seen_(nodes, false) {
    // Not value-initialised: a parent is written when its node is visited, and the pages of
    // a large graph's array are only touched where a walk goes.
    if (withParents) parent_.reset(new uint32_t[nodes]);
}

void BreadthFirstWalk::run(Adjacency edges, std::span<const uint32_t> roots, int64_t stopAt) {
    checkRoots(edges.size(), roots);
    if (orderTaken_)
        std::fill(seen_.begin(), seen_.end(), false);
    else
        for (uint32_t node : order_)
            seen_[node] = false;
    orderTaken_ = false;
    order_.clear();
    uint32_t* parent = parent_.get();
    for (uint32_t root : roots) {
        if (seen_[root]) continue;
        seen_[root] = true;
        if (parent) parent[root] = root;
        order_.push_back(root);
    }
    const uint32_t* start = edges.start.data();
    const uint32_t* targets = edges.targets.data();
    for (size_t head = 0; head < order_.size(); ++head) {
        if (stopAt >= 0 && seen_[static_cast<size_t>(stopAt)]) break;
        uint32_t node = order_[head];
        for (uint32_t e = start[node]; e < start[node + 1]; ++e) {
            uint32_t target = targets[e];
            if (seen_[target]) continue;
            seen_[target] = true;
            if (parent) parent[target] = node;
            order_.push_back(target);
        }
    }
}

std::vector<uint32_t> closureOf(const RefGraph& graph, std::span<const uint32_t> roots) {
    return sorted(breadthFirstClosure(graph, roots));
}

std::vector<uint32_t> breadthFirstClosure(const RefGraph& graph, std::span<const uint32_t> roots) {
    BreadthFirstWalk walk(graph.size());
    walk.run(referencesOf(graph), roots);
    return walk.takeOrder();
}

ReferrerIndex::ReferrerIndex(const RefGraph& graph) {
    // Listed by referrer, ascending, so that each node's referrers come out ascending.
    CompressedRows rows = compressedRows(graph.size(), [&graph](auto&& add) {
        for (uint32_t v = 0; v < graph.size(); ++v)
            for (uint32_t e = graph.refStart[v]; e < graph.refStart[v + 1]; ++e)
                add(graph.refs[e], v);
    });
    start = std::move(rows.start);
    referrers = std::move(rows.targets);
}

std::vector<uint32_t> referrersClosureOf(const RefGraph& graph, const ReferrerIndex& index,
                                         std::span<const uint32_t> roots) {
    BreadthFirstWalk walk(graph.size());
    walk.run(index.edges(), roots);
    return sorted(walk.takeOrder());
}

std::vector<ClosureSize> closureSizes(const RefGraph& graph, unsigned threads) {
    const Condensed c = condense(graph);
    const size_t k = c.size();
    const size_t blocks = (k + kClosureBlockBits - 1) / kClosureBlockBits;
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    threads = static_cast<unsigned>(std::min<size_t>(threads, blocks));

    // Each thread sweeps every threads-th block into its own sums; blocks are independent.
    struct Partial {
        std::vector<uint64_t> paths, narSize;
    };
    std::vector<Partial> partials(threads);
    std::exception_ptr failure;
    std::mutex failureMutex;
    auto work = [&](unsigned t) {
        try {
            Partial& p = partials[t];
            p.paths.assign(k, 0);
            p.narSize.assign(k, 0);
            // Interleaved blocks balance the threads: a low block sweeps more components
            // than a high one.
            std::vector<Row> rows(k);
            std::vector<uint64_t> weights(kClosureBlockBits / 8 * 256);
            std::vector<uint64_t> counts(kClosureBlockBits / 8 * 256);
            for (size_t b = t; b < blocks; b += threads)
                sweepBlock(c, b * kClosureBlockBits, rows, weights, counts, p.paths, p.narSize);
        } catch (...) {
            std::lock_guard lock(failureMutex);
            if (!failure) failure = std::current_exception();
        }
    };
    {
        std::vector<std::jthread> pool;
        for (unsigned t = 1; t < threads; ++t)
            pool.emplace_back(work, t);
        if (threads > 0) work(0);
    }
    if (failure) std::rethrow_exception(failure);

    std::vector<ClosureSize> result(graph.size());
    for (uint32_t v = 0; v < graph.size(); ++v) {
        uint32_t comp = c.componentOf[v];
        for (const Partial& p : partials) {
            result[v].paths += p.paths[comp];
            result[v].narSize += p.narSize[comp];
        }
    }
    return result;
}

} // namespace purist
