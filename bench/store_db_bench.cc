// Store DB benchmarks on a synthetic 100,000-path store with 300,000 references:
// registration into a fresh DB, closure and referrers-closure queries (three ways, to
// choose between them), loading the graph, and the closure size of every path.
//
// The generator (makeSyntheticStore) is shaped like a package set:
//  - paths are numbered in build order; a path refers only to paths built before it (plus
//    itself in 5% of paths, as outputs that embed their own path do), so the graph is
//    layered like a package set's dependency graph;
//  - the first 8 paths are the low-level ones every package links against (glibc,
//    gcc-lib, bash, coreutils, zlib, openssl, perl, python): each refers to all the ones
//    before it; every later path refers to glibc with probability 0.6 and to another of
//    the 8 with probability 0.4 (Zipf-like: lower ones are more popular);
//  - its remaining references go to the 2,000 paths built just before it (a package and
//    its libraries, plugins, split outputs) with probability 0.9, else to any earlier path;
//  - every path after the 8 has exactly 3 distinct references besides a self-reference,
//    so the store has 100,000 paths and 299,976 + ~5,000 self-references = ~305,000 refs;
//  - NAR sizes are 2^10..2^24 bytes, uniform in the exponent.
// A fixed seed makes every run see the same store.
//
// `store_db_bench --write-nix-dump=FILE` writes the store in the format `nix-store
// --dump-db` prints and `nix-store --load-db` reads, for the side-by-side run with Nix
// (bench/store_db_vs_nix.sh), and prints the biggest closure's root and glibc;
// `--write-db=FILE` registers it into a purist DB at FILE (for the sqlite3 shell).

#include "base/temp_dir.h"
#include "store/base32.h"
#include "store/ref_graph.h"
#include "store/store_db.h"

#include <benchmark/benchmark.h>

#include <sys/resource.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iostream>
#include <random>

namespace purist {
namespace {

constexpr size_t kPaths = 100000;
constexpr size_t kRefsPerPath = 3;
constexpr size_t kPopular = 8;
constexpr size_t kLocalWindow = 2000;

const StoreDir kStoreDir("/nix/store");

std::vector<ValidPathInfo> makeSyntheticStore() {
    static const char* const popularNames[kPopular] = {
        "glibc-2.37", "gcc-12.3.0-lib", "bash-5.2",    "coreutils-9.3",
        "zlib-1.3",   "openssl-3.0.12", "perl-5.38.0", "python3-3.11.6"};
    std::mt19937_64 rng(100000300000);
    std::uniform_real_distribution<double> unit(0, 1);
    std::vector<ValidPathInfo> infos;
    infos.reserve(kPaths);
    for (size_t i = 0; i < kPaths; ++i) {
        std::string name = i < kPopular ? popularNames[i]
                                        : "pkg" + std::to_string(i) + "-1." + std::to_string(i % 7);
        std::string seed = "synthetic path " + std::to_string(i);
        ValidPathInfo info{
            .path = StorePath::fromBaseName(
                base32::encode(foldHash(hashString(HashAlgorithm::Sha256, seed), 20)) + "-" +
                name)};
        info.narHash = hashString(HashAlgorithm::Sha256, "contents " + seed);
        info.narSize = uint64_t{1} << (10 + rng() % 15);
        info.registrationTime = 1700000000 + static_cast<int64_t>(i);
        std::vector<size_t> refs;
        auto add = [&](size_t target) {
            if (std::find(refs.begin(), refs.end(), target) == refs.end()) refs.push_back(target);
        };
        if (i < kPopular) {
            for (size_t j = 0; j < i; ++j)
                add(j);
        } else {
            if (unit(rng) < 0.6) add(0);
            if (unit(rng) < 0.4) {
                // Zipf-like over 1..7: popularity 1/k.
                double total = 0, pick;
                for (size_t k = 1; k < kPopular; ++k)
                    total += 1.0 / static_cast<double>(k);
                pick = unit(rng) * total;
                size_t k = 1;
                for (; k < kPopular - 1; ++k) {
                    pick -= 1.0 / static_cast<double>(k);
                    if (pick <= 0) break;
                }
                add(k);
            }
            while (refs.size() < kRefsPerPath) {
                if (unit(rng) < 0.9) {
                    size_t low = i > kLocalWindow ? i - kLocalWindow : 0;
                    add(low + rng() % (i - low));
                } else {
                    add(rng() % i);
                }
            }
        }
        for (size_t target : refs)
            info.references.insert(infos[target].path);
        if (unit(rng) < 0.05) info.references.insert(info.path);
        infos.push_back(std::move(info));
    }
    return infos;
}

const std::vector<ValidPathInfo>& syntheticStore() {
    static const std::vector<ValidPathInfo> store = makeSyntheticStore();
    return store;
}

size_t countRefs(const std::vector<ValidPathInfo>& infos) {
    size_t n = 0;
    for (const auto& info : infos)
        n += info.references.size();
    return n;
}

void reportPeakMemory(benchmark::State& state) {
    rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) == 0)
        state.counters["peak_rss_MiB"] = static_cast<double>(usage.ru_maxrss) / 1024.0;
}

// A registered copy of the synthetic store, shared by the query benchmarks.
struct RegisteredStore {
    TempDir dir{"purist-store-db-bench-"};
    std::string dbPath = dir.path() + "/db.sqlite";
    StorePath biggest = syntheticStore().front().path; // the root of the largest closure
    StorePath glibc = syntheticStore().front().path;   // the most referred-to path
    StorePath small = syntheticStore().front().path;   // a path with a ~100-path closure
    RegisteredStore() {
        StoreDb db(dbPath, kStoreDir);
        db.registerValidPaths(syntheticStore());
        RefGraph graph = db.loadGraph();
        std::vector<ClosureSize> sizes = closureSizes(graph);
        size_t best = 0;
        for (size_t i = 0; i < sizes.size(); ++i)
            if (sizes[i].paths > sizes[best].paths) best = i;
        biggest = graph.paths[best];
        size_t near100 = 0;
        auto distance = [](uint64_t n) { return n > 100 ? n - 100 : 100 - n; };
        for (size_t i = 0; i < sizes.size(); ++i)
            if (distance(sizes[i].paths) < distance(sizes[near100].paths)) near100 = i;
        small = graph.paths[near100];
    }
};

RegisteredStore& registeredStore() {
    static RegisteredStore store;
    return store;
}

// Registering the whole store into a fresh DB in one batch (one transaction), including
// opening it, creating the schema and the checkpoint that follows the batch.
void BM_RegisterFresh(benchmark::State& state) {
    const auto& infos = syntheticStore();
    for ([[maybe_unused]] auto _ : state) {
        state.PauseTiming();
        auto dir = std::make_unique<TempDir>("purist-store-db-bench-");
        state.ResumeTiming();
        {
            StoreDb db(dir->path() + "/db.sqlite", kStoreDir);
            db.registerValidPaths(infos);
        }
        state.PauseTiming();
        dir.reset();
        state.ResumeTiming();
    }
    state.counters["paths"] = static_cast<double>(infos.size());
    state.counters["refs"] = static_cast<double>(countRefs(infos));
    reportPeakMemory(state);
}
BENCHMARK(BM_RegisterFresh)->Unit(benchmark::kMillisecond)->Iterations(1)->Repetitions(5);

// The same store in batches of range(0) paths, one transaction each.
void BM_RegisterBatches(benchmark::State& state) {
    const auto& infos = syntheticStore();
    const size_t batch = static_cast<size_t>(state.range(0));
    for ([[maybe_unused]] auto _ : state) {
        state.PauseTiming();
        auto dir = std::make_unique<TempDir>("purist-store-db-bench-");
        state.ResumeTiming();
        {
            StoreDb db(dir->path() + "/db.sqlite", kStoreDir);
            for (size_t start = 0; start < infos.size(); start += batch)
                db.registerValidPaths(std::vector<ValidPathInfo>(
                    infos.begin() + static_cast<ptrdiff_t>(start),
                    infos.begin() + static_cast<ptrdiff_t>(std::min(start + batch, infos.size()))));
        }
        state.PauseTiming();
        dir.reset();
        state.ResumeTiming();
    }
    reportPeakMemory(state);
}
BENCHMARK(BM_RegisterBatches)
    ->Arg(1000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->Repetitions(3);

// Closure of the path with the largest closure, and referrers-closure of glibc, as
// StoreDb answers them (an indexed walk that gives up after 4096 rows, then a scan).
void BM_QueryClosure(benchmark::State& state) {
    RegisteredStore& store = registeredStore();
    StoreDb db(store.dbPath, kStoreDir, Database::Mode::ReadOnly);
    size_t n = 0;
    for ([[maybe_unused]] auto _ : state)
        n = db.queryClosure({store.biggest}).size();
    state.counters["closure_paths"] = static_cast<double>(n);
    reportPeakMemory(state);
}
BENCHMARK(BM_QueryClosure)->Unit(benchmark::kMillisecond)->Repetitions(5)->ReportAggregatesOnly();

void BM_QueryReferrersClosure(benchmark::State& state) {
    RegisteredStore& store = registeredStore();
    StoreDb db(store.dbPath, kStoreDir, Database::Mode::ReadOnly);
    size_t n = 0;
    for ([[maybe_unused]] auto _ : state)
        n = db.queryReferrersClosure({store.glibc}).size();
    state.counters["closure_paths"] = static_cast<double>(n);
    reportPeakMemory(state);
}
BENCHMARK(BM_QueryReferrersClosure)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly();

void BM_QueryClosureSmall(benchmark::State& state) {
    RegisteredStore& store = registeredStore();
    StoreDb db(store.dbPath, kStoreDir, Database::Mode::ReadOnly);
    size_t n = 0;
    for ([[maybe_unused]] auto _ : state)
        n = db.queryClosure({store.small}).size();
    state.counters["closure_paths"] = static_cast<double>(n);
}
BENCHMARK(BM_QueryClosureSmall)
    ->Unit(benchmark::kMicrosecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly();

// Alternative 1: one recursive CTE without a limit, returning the paths.
size_t cteWalk(Database& database, const std::string& rootPath, const char* step) {
    Statement cte(database, std::string(R"(
with recursive closure(id) as (
    select id from ValidPaths where path = ?1
    union
    )") + step + R"()
select ValidPaths.path from closure join ValidPaths on ValidPaths.id = closure.id)");
    cte.bind(1, rootPath);
    std::vector<StorePath> paths;
    while (cte.step())
        paths.push_back(kStoreDir.parse(cte.columnTextView(0)));
    std::sort(paths.begin(), paths.end());
    return StorePathSet(paths.begin(), paths.end()).size();
}

void BM_ClosureCte(benchmark::State& state) {
    RegisteredStore& store = registeredStore();
    StoreDb db(store.dbPath, kStoreDir, Database::Mode::ReadOnly);
    size_t n = 0;
    for ([[maybe_unused]] auto _ : state)
        n = cteWalk(db.database(), kStoreDir.print(store.biggest),
                    "select Refs.reference from Refs join closure on Refs.referrer = closure.id");
    state.counters["closure_paths"] = static_cast<double>(n);
}
BENCHMARK(BM_ClosureCte)->Unit(benchmark::kMillisecond)->Repetitions(5)->ReportAggregatesOnly();

void BM_ReferrersClosureCte(benchmark::State& state) {
    RegisteredStore& store = registeredStore();
    StoreDb db(store.dbPath, kStoreDir, Database::Mode::ReadOnly);
    size_t n = 0;
    for ([[maybe_unused]] auto _ : state)
        n = cteWalk(db.database(), kStoreDir.print(store.glibc),
                    "select Refs.referrer from Refs join closure on Refs.reference = closure.id");
    state.counters["closure_paths"] = static_cast<double>(n);
}
BENCHMARK(BM_ReferrersClosureCte)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly();

void BM_ClosureCteSmall(benchmark::State& state) {
    RegisteredStore& store = registeredStore();
    StoreDb db(store.dbPath, kStoreDir, Database::Mode::ReadOnly);
    size_t n = 0;
    for ([[maybe_unused]] auto _ : state)
        n = cteWalk(db.database(), kStoreDir.print(store.small),
                    "select Refs.reference from Refs join closure on Refs.referrer = closure.id");
    state.counters["closure_paths"] = static_cast<double>(n);
}
BENCHMARK(BM_ClosureCteSmall)
    ->Unit(benchmark::kMicrosecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly();

// Alternative 2: a breadth-first walk in C++ with one reused prepared statement per
// visited path, ids only, then the paths of the visited ids.
size_t statementWalk(Database& database, const std::string& rootPath, const char* neighbours) {
    Statement idOf(database, "select id from ValidPaths where path = ?");
    Statement next(database, neighbours);
    Statement pathOf(database, "select path from ValidPaths where id = ?");
    idOf.bind(1, rootPath);
    idOf.step();
    int64_t root = idOf.columnInt(0);
    idOf.reset();
    std::vector<int64_t> queue = {root};
    std::vector<bool> seen(kPaths + 1, false);
    seen[static_cast<size_t>(root)] = true;
    for (size_t i = 0; i < queue.size(); ++i) {
        next.reset();
        next.bind(1, queue[i]);
        while (next.step()) {
            auto id = static_cast<size_t>(next.columnInt(0));
            if (id >= seen.size()) seen.resize(id + 1, false);
            if (seen[id]) continue;
            seen[id] = true;
            queue.push_back(static_cast<int64_t>(id));
        }
    }
    StorePathSet result;
    for (int64_t id : queue) {
        pathOf.reset();
        pathOf.bind(1, id);
        pathOf.step();
        result.insert(kStoreDir.parse(pathOf.columnTextView(0)));
        pathOf.reset();
    }
    return result.size();
}

void BM_ClosureStatementWalk(benchmark::State& state) {
    RegisteredStore& store = registeredStore();
    StoreDb db(store.dbPath, kStoreDir, Database::Mode::ReadOnly);
    size_t n = 0;
    for ([[maybe_unused]] auto _ : state)
        n = statementWalk(db.database(), kStoreDir.print(store.biggest),
                          "select reference from Refs where referrer = ?");
    state.counters["closure_paths"] = static_cast<double>(n);
}
BENCHMARK(BM_ClosureStatementWalk)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly();

void BM_ReferrersClosureStatementWalk(benchmark::State& state) {
    RegisteredStore& store = registeredStore();
    StoreDb db(store.dbPath, kStoreDir, Database::Mode::ReadOnly);
    size_t n = 0;
    for ([[maybe_unused]] auto _ : state)
        n = statementWalk(db.database(), kStoreDir.print(store.glibc),
                          "select referrer from Refs where reference = ?");
    state.counters["closure_paths"] = static_cast<double>(n);
}
BENCHMARK(BM_ReferrersClosureStatementWalk)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly();

// Alternative 3: load the whole graph, then walk it in memory.
void BM_ClosureLoadGraphWalk(benchmark::State& state) {
    RegisteredStore& store = registeredStore();
    StoreDb db(store.dbPath, kStoreDir, Database::Mode::ReadOnly);
    size_t n = 0;
    for ([[maybe_unused]] auto _ : state) {
        RefGraph graph = db.loadGraph();
        uint32_t root[] = {static_cast<uint32_t>(graph.find(store.biggest))};
        StorePathSet result;
        for (uint32_t node : closureOf(graph, root))
            result.insert(result.end(), graph.paths[node]);
        n = result.size();
    }
    state.counters["closure_paths"] = static_cast<double>(n);
}
BENCHMARK(BM_ClosureLoadGraphWalk)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly();

void BM_LoadGraph(benchmark::State& state) {
    RegisteredStore& store = registeredStore();
    StoreDb db(store.dbPath, kStoreDir, Database::Mode::ReadOnly);
    for ([[maybe_unused]] auto _ : state)
        benchmark::DoNotOptimize(db.loadGraph());
    reportPeakMemory(state);
}
BENCHMARK(BM_LoadGraph)->Unit(benchmark::kMillisecond)->Repetitions(5)->ReportAggregatesOnly();

// In memory, once the graph is loaded (what a whole-store policy run does).
void BM_ClosureInMemory(benchmark::State& state) {
    RegisteredStore& store = registeredStore();
    RefGraph graph = StoreDb(store.dbPath, kStoreDir, Database::Mode::ReadOnly).loadGraph();
    uint32_t root[] = {static_cast<uint32_t>(graph.find(store.biggest))};
    size_t n = 0;
    for ([[maybe_unused]] auto _ : state)
        n = closureOf(graph, root).size();
    state.counters["closure_paths"] = static_cast<double>(n);
}
BENCHMARK(BM_ClosureInMemory)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly();

void BM_ReferrersClosureInMemory(benchmark::State& state) {
    RegisteredStore& store = registeredStore();
    RefGraph graph = StoreDb(store.dbPath, kStoreDir, Database::Mode::ReadOnly).loadGraph();
    ReferrerIndex index(graph);
    uint32_t root[] = {static_cast<uint32_t>(graph.find(store.glibc))};
    size_t n = 0;
    for ([[maybe_unused]] auto _ : state)
        n = referrersClosureOf(graph, index, root).size();
    state.counters["closure_paths"] = static_cast<double>(n);
}
BENCHMARK(BM_ReferrersClosureInMemory)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly();

// Building the referrer index of the loaded graph (what `purist why` and the garbage
// collector do once per run before walking against the references).
void BM_ReferrerIndex(benchmark::State& state) {
    RegisteredStore& store = registeredStore();
    RefGraph graph = StoreDb(store.dbPath, kStoreDir, Database::Mode::ReadOnly).loadGraph();
    size_t edges = 0;
    for ([[maybe_unused]] auto _ : state) {
        ReferrerIndex index(graph);
        edges = index.referrers.size();
        benchmark::DoNotOptimize(index.start.data());
    }
    state.counters["edges"] = static_cast<double>(edges);
}
BENCHMARK(BM_ReferrerIndex)->Unit(benchmark::kMillisecond)->Repetitions(5)->ReportAggregatesOnly();

// Closure size of every path, on the loaded graph, with range(0) threads.
void BM_ClosureSizes(benchmark::State& state) {
    RegisteredStore& store = registeredStore();
    RefGraph graph = StoreDb(store.dbPath, kStoreDir, Database::Mode::ReadOnly).loadGraph();
    uint64_t total = 0;
    for ([[maybe_unused]] auto _ : state) {
        std::vector<ClosureSize> sizes = closureSizes(graph, static_cast<unsigned>(state.range(0)));
        total = 0;
        for (const ClosureSize& s : sizes)
            total += s.paths;
    }
    state.counters["mean_closure_paths"] =
        static_cast<double>(total) / static_cast<double>(graph.size());
    reportPeakMemory(state);
}
BENCHMARK(BM_ClosureSizes)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly();

// `nix-store --load-db` input: path, NAR hash, NAR size, deriver (empty), reference
// count, references; as makeValidityRegistration writes it for `--dump-db`.
int writeNixDump(const std::string& file) {
    const auto& infos = syntheticStore();
    std::ofstream out(file, std::ios::binary);
    for (const ValidPathInfo& info : infos) {
        out << kStoreDir.print(info.path) << '\n'
            << info.narHash.toHex() << '\n'
            << info.narSize << '\n'
            << '\n'
            << info.references.size() << '\n';
        for (const StorePath& ref : info.references)
            out << kStoreDir.print(ref) << '\n';
    }
    out.close();
    if (!out) {
        std::cerr << "writing " << file << " failed\n";
        return 1;
    }
    RegisteredStore& store = registeredStore();
    std::cout << "biggest " << kStoreDir.print(store.biggest) << "\nglibc "
              << kStoreDir.print(store.glibc) << "\npaths " << infos.size() << "\nrefs "
              << countRefs(infos) << '\n';
    return 0;
}

// The synthetic store registered into `file`, for side-by-side runs with the sqlite3 shell.
int writeDb(const std::string& file) {
    StoreDb(file, kStoreDir).registerValidPaths(syntheticStore());
    RegisteredStore& store = registeredStore();
    std::cout << "biggest " << kStoreDir.print(store.biggest) << "\nglibc "
              << kStoreDir.print(store.glibc) << '\n';
    return 0;
}

} // namespace
} // namespace purist

int main(int argc, char** argv) {
    const std::string dumpFlag = "--write-nix-dump=";
    for (int i = 1; i < argc; ++i)
        if (std::strncmp(argv[i], dumpFlag.c_str(), dumpFlag.size()) == 0)
            return purist::writeNixDump(argv[i] + dumpFlag.size());
    const std::string dbFlag = "--write-db=";
    for (int i = 1; i < argc; ++i)
        if (std::strncmp(argv[i], dbFlag.c_str(), dbFlag.size()) == 0)
            return purist::writeDb(argv[i] + dbFlag.size());
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
