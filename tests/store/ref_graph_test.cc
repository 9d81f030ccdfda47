// Tests for store/ref_graph.cc: walks, closures, referrers-closures and every path's closure size,
// checked against a brute-force walk on random graphs (cycles, self-references, several
// sweep blocks).

#include "store/ref_graph.h"

#include "base/error.h"
#include "store/base32.h"

#include <algorithm>

#include <gtest/gtest.h>

#include <random>

namespace purist {
namespace {

// Distinct, cheap store paths: the hash part encodes the number.
StorePath pathNumber(size_t i) {
    std::vector<uint8_t> bytes(20, 0);
    for (size_t b = 0; b < 8; ++b)
        bytes[b] = static_cast<uint8_t>(i >> (8 * b));
    return StorePath::fromBaseName(base32::encode(bytes) + "-p" + std::to_string(i));
}

RefGraph graphFrom(const std::vector<std::vector<uint32_t>>& adjacency,
                   const std::vector<uint64_t>& sizes) {
    RefGraph graph;
    graph.refStart.push_back(0);
    for (size_t i = 0; i < adjacency.size(); ++i) {
        graph.paths.push_back(pathNumber(i));
        graph.narSizes.push_back(sizes[i]);
        graph.refs.insert(graph.refs.end(), adjacency[i].begin(), adjacency[i].end());
        graph.refStart.push_back(static_cast<uint32_t>(graph.refs.size()));
    }
    return graph;
}

// Random graphs: mostly references to lower-numbered nodes (a DAG, like a package set),
// plus back edges that make cycles and self-references, and a few very popular nodes.
RefGraph randomGraph(std::mt19937_64& rng, size_t n, double edgesPerNode, double backEdgeShare) {
    std::vector<std::vector<uint32_t>> adjacency(n);
    std::vector<uint64_t> sizes(n);
    std::uniform_real_distribution<double> unit(0, 1);
    for (size_t i = 0; i < n; ++i) {
        sizes[i] = rng() % (1ull << 36);
        size_t edges = static_cast<size_t>(edgesPerNode * 2 * unit(rng));
        for (size_t e = 0; e < edges; ++e) {
            uint32_t target;
            if (unit(rng) < backEdgeShare || i == 0)
                target = static_cast<uint32_t>(rng() % n);
            else if (unit(rng) < 0.2)
                target = static_cast<uint32_t>(rng() % std::min<size_t>(i, 3));
            else
                target = static_cast<uint32_t>(rng() % i);
            adjacency[i].push_back(target);
        }
        std::sort(adjacency[i].begin(), adjacency[i].end());
        adjacency[i].erase(std::unique(adjacency[i].begin(), adjacency[i].end()),
                           adjacency[i].end());
    }
    return graphFrom(adjacency, sizes);
}

std::vector<uint32_t> bruteClosure(const RefGraph& graph, uint32_t root) {
    std::vector<bool> seen(graph.size());
    std::vector<uint32_t> todo = {root};
    seen[root] = true;
    std::vector<uint32_t> result;
    while (!todo.empty()) {
        uint32_t v = todo.back();
        todo.pop_back();
        result.push_back(v);
        for (uint32_t e = graph.refStart[v]; e < graph.refStart[v + 1]; ++e)
            if (!seen[graph.refs[e]]) {
                seen[graph.refs[e]] = true;
                todo.push_back(graph.refs[e]);
            }
    }
    std::sort(result.begin(), result.end());
    return result;
}

struct RandomCase {
    size_t nodes;
    double edgesPerNode;
    double backEdgeShare;
};

// Sizes below, at and above one sweep block, sparse and dense, acyclic and cyclic.
const RandomCase kRandomCases[] = {
    {1, 0, 0},    {2, 1, 0.5},     {17, 2, 0},      {64, 3, 0.1},    {200, 3, 0.3},
    {1023, 3, 0}, {1024, 2, 0.05}, {1025, 4, 0.01}, {2500, 3, 0.02}, {3100, 6, 0},
};

TEST(ClosureSizes, MatchBruteForceOnRandomGraphs) {
    std::mt19937_64 rng(20261123);
    for (const RandomCase& c : kRandomCases) {
        SCOPED_TRACE("nodes " + std::to_string(c.nodes) + ", back edges " +
                     std::to_string(c.backEdgeShare));
        RefGraph graph = randomGraph(rng, c.nodes, c.edgesPerNode, c.backEdgeShare);
        std::vector<ClosureSize> expected(graph.size());
        for (uint32_t v = 0; v < graph.size(); ++v)
            for (uint32_t u : bruteClosure(graph, v)) {
                ++expected[v].paths;
                expected[v].narSize += graph.narSizes[u];
            }
        for (unsigned threads : {1u, 2u, 3u}) {
            std::vector<ClosureSize> got = closureSizes(graph, threads);
            ASSERT_EQ(got.size(), expected.size());
            for (uint32_t v = 0; v < graph.size(); ++v) {
                ASSERT_EQ(got[v].paths, expected[v].paths) << "node " << v << ", " << threads;
                ASSERT_EQ(got[v].narSize, expected[v].narSize) << "node " << v;
            }
        }
    }
}

TEST(ClosureSizes, EmptyGraph) {
    EXPECT_TRUE(closureSizes(RefGraph{}).empty());
}

TEST(ClosureSizes, OneLongCycle) {
    // A chain 0 -> 1 -> ... -> n-1 -> 0 deeper than any recursion could go.
    const size_t n = 200000;
    std::vector<std::vector<uint32_t>> adjacency(n);
    for (size_t i = 0; i < n; ++i)
        adjacency[i] = {static_cast<uint32_t>((i + 1) % n)};
    RefGraph graph = graphFrom(adjacency, std::vector<uint64_t>(n, 3));
    std::vector<ClosureSize> sizes = closureSizes(graph, 2);
    EXPECT_EQ(sizes.front(), (ClosureSize{n, 3 * n}));
    EXPECT_EQ(sizes.back(), (ClosureSize{n, 3 * n}));
}

TEST(ClosureWalks, MatchBruteForceOnRandomGraphs) {
    std::mt19937_64 rng(7);
    RefGraph graph = randomGraph(rng, 1500, 3, 0.05);
    ReferrerIndex referrers(graph);
    for (uint32_t root = 0; root < graph.size(); root += 37) {
        uint32_t roots[] = {root};
        EXPECT_EQ(closureOf(graph, roots), bruteClosure(graph, root));
        std::vector<uint32_t> expected;
        for (uint32_t v = 0; v < graph.size(); ++v) {
            std::vector<uint32_t> c = bruteClosure(graph, v);
            if (std::binary_search(c.begin(), c.end(), root)) expected.push_back(v);
        }
        EXPECT_EQ(referrersClosureOf(graph, referrers, roots), expected);
    }
    uint32_t two[] = {3, 900};
    std::vector<uint32_t> expected = bruteClosure(graph, 3);
    std::vector<uint32_t> other = bruteClosure(graph, 900);
    expected.insert(expected.end(), other.begin(), other.end());
    std::sort(expected.begin(), expected.end());
    expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
    EXPECT_EQ(closureOf(graph, two), expected);
}

TEST(ClosureWalks, BreadthFirstVisitsRootsThenReferencesInListedOrder) {
    // 0 -> {2, 1}, 1 -> {3}, 2 -> {3, 0}, 3 -> {}, 4 -> {0}: a cycle, a shared node, and a
    // node outside the closure of 0.
    RefGraph graph = graphFrom({{2, 1}, {3}, {3, 0}, {}, {0}}, {1, 1, 1, 1, 1});
    uint32_t zero[] = {0};
    EXPECT_EQ(breadthFirstClosure(graph, zero), (std::vector<uint32_t>{0, 2, 1, 3}));
    uint32_t repeated[] = {3, 4, 3};
    EXPECT_EQ(breadthFirstClosure(graph, repeated), (std::vector<uint32_t>{3, 4, 0, 2, 1}));
    uint32_t bad[] = {5};
    EXPECT_THROW(breadthFirstClosure(graph, bad), StoreError);
}

TEST(ClosureWalks, AWalkGivesShortestChainsStopsWhenAskedAndCanBeReused) {
    // 0 -> {1, 2}, 1 -> {3}, 2 -> {4}, 3 -> {4}, 4 -> {}.
    RefGraph graph = graphFrom({{1, 2}, {3}, {4}, {4}, {}}, {1, 1, 1, 1, 1});
    BreadthFirstWalk walk(graph.size(), true);
    uint32_t zero[] = {0};
    walk.run(referencesOf(graph), zero);
    EXPECT_EQ(walk.order(), (std::vector<uint32_t>{0, 1, 2, 3, 4}));
    EXPECT_EQ(walk.parent(0), 0u);
    EXPECT_EQ(walk.parent(4), 2u) << "reached first, so on a shortest chain, through 2";
    EXPECT_EQ(walk.parent(3), 1u);

    // Stopping at 2: nothing beyond the level that reached it is expanded.
    walk.run(referencesOf(graph), zero, 2);
    EXPECT_EQ(walk.order(), (std::vector<uint32_t>{0, 1, 2}));
    EXPECT_FALSE(walk.visited(3));

    // The same object, another walk, against the references: what reaches 4.
    ReferrerIndex referrers(graph);
    uint32_t four[] = {4};
    walk.run(referrers.edges(), four);
    EXPECT_EQ(walk.order(), (std::vector<uint32_t>{4, 2, 3, 0, 1}));
    EXPECT_TRUE(walk.visited(0));
    EXPECT_EQ(walk.parent(0), 2u);
    uint32_t bad[] = {9};
    EXPECT_THROW(walk.run(referencesOf(graph), bad), StoreError);
}

TEST(ClosureWalks, RejectsUnknownRoots) {
    RefGraph graph = graphFrom({{}}, {1});
    uint32_t bad[] = {1};
    EXPECT_THROW(closureOf(graph, bad), StoreError);
    EXPECT_THROW(referrersClosureOf(graph, ReferrerIndex(graph), bad), StoreError);
}

// compressedRows, as a table: edges listed in this order over `nodes` nodes, and the rows
// they make. Each row keeps the order its edges were listed in, whatever the sources'.
TEST(CompressedRows, GroupEdgesBySourceKeepingTheirListedOrder) {
    struct Case {
        size_t nodes;
        std::vector<std::pair<uint32_t, uint32_t>> edges;
        std::vector<uint32_t> start, targets;
    };
    const Case cases[] = {
        {0, {}, {0}, {}},
        {3, {}, {0, 0, 0, 0}, {}},
        {3, {{2, 0}, {0, 2}, {2, 1}, {0, 0}}, {0, 2, 2, 4}, {2, 0, 0, 1}},
        {4, {{3, 1}, {1, 3}, {3, 0}, {1, 1}, {3, 2}}, {0, 0, 2, 2, 5}, {3, 1, 1, 0, 2}},
        {2, {{1, 0}, {1, 0}, {1, 0}}, {0, 0, 3}, {0, 0, 0}},
    };
    for (const Case& c : cases) {
        int listings = 0;
        CompressedRows rows = compressedRows(c.nodes, [&](auto&& add) {
            ++listings;
            for (auto [from, to] : c.edges)
                add(from, to);
        });
        EXPECT_EQ(listings, 2);
        EXPECT_EQ(rows.start, c.start) << c.nodes << " nodes, " << c.edges.size() << " edges";
        EXPECT_EQ(rows.targets, c.targets) << c.nodes << " nodes, " << c.edges.size() << " edges";
        EXPECT_EQ(rows.view().size(), c.nodes);
    }
}

// The referrer index is the references' rows reversed, each node's referrers ascending.
TEST(CompressedRows, ReferrerIndexReversesTheReferences) {
    std::mt19937_64 rng(11);
    RefGraph graph = randomGraph(rng, 400, 4, 0.1);
    ReferrerIndex index(graph);
    ASSERT_EQ(index.edges().size(), graph.size());
    std::vector<std::vector<uint32_t>> expected(graph.size());
    for (uint32_t v = 0; v < graph.size(); ++v)
        for (uint32_t target : referencesOf(graph).of(v))
            expected[target].push_back(v);
    for (uint32_t v = 0; v < graph.size(); ++v) {
        auto got = index.edges().of(v);
        EXPECT_EQ(std::vector<uint32_t>(got.begin(), got.end()), expected[v]) << "node " << v;
    }
}

} // namespace
} // namespace purist
