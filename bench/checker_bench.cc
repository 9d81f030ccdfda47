// The checker's speed targets: 50 rules over a synthetic store of 100,000 paths (under
// 1 s), and forbid-content over 1 GiB at no less than half of `cat`'s throughput on the
// same files, in the same run. See docs/PERFORMANCE.md, "Checker".

#include "base/error.h"
#include "base/file_descriptor.h"
#include "base/temp_dir.h"
#include "checker/content_scanner.h"
#include "checker/engine.h"
#include "rules/rule_loader.h"

#include <benchmark/benchmark.h>

#include <cstring>
#include <fcntl.h>
#include <numeric>
#include <random>
#include <spawn.h>
#include <sys/wait.h>

extern char** environ;

namespace purist::checker {
namespace {

constexpr size_t kPaths = 100000;

std::string randomHashPart(std::mt19937_64& rng) {
    static const char alphabet[] = "0123456789abcdfghijklmnpqrsvwxyz";
    std::string s(32, '0');
    for (char& c : s)
        c = alphabet[rng() % 32];
    return s;
}

/// A store shaped like a distribution: 300 low-level paths (libc, compilers; the first 5
/// are bootstrap tools that only one library leaks), 9,700 libraries that each build on
/// the base and one recent library, and 90,000 packages (one in ten an application) on
/// top. Closures average about a thousand paths, as in a real distribution.
const RefGraph& syntheticGraph() {
    static const RefGraph graph = [] {
        std::mt19937_64 rng(42);
        std::vector<std::string> names(kPaths);
        std::vector<std::vector<uint32_t>> refs(kPaths);
        auto base = [&] { return static_cast<uint32_t>(5 + rng() % 295); };
        auto library = [&] { return static_cast<uint32_t>(300 + rng() % 9700); };
        for (size_t i = 0; i < kPaths; ++i) {
            std::string name;
            if (i < 5)
                name = "bootstrap-tools-" + std::to_string(i);
            else if (i < 300)
                name = "base-" + std::to_string(i) + "-1.0";
            else if (i < 10000)
                name = "lib" + std::to_string(i) + (i % 7 == 0 ? "-dev" : "-0.9");
            else if (i % 10 == 0)
                name = "app-" + std::to_string(i) + "-2.3";
            else
                name = "pkg" + std::to_string(i) + "-1.1";
            names[i] = randomHashPart(rng) + "-" + name;
            auto& r = refs[i];
            if (i >= 6 && i < 300) {
                r.push_back(static_cast<uint32_t>(5 + rng() % (i - 5)));
                r.push_back(static_cast<uint32_t>(5 + rng() % (i - 5)));
            } else if (i >= 300 && i < 10000) {
                r.push_back(base());
                r.push_back(base());
                if (i > 300)
                    r.push_back(
                        static_cast<uint32_t>(i - 1 - rng() % std::min<size_t>(i - 300, 50)));
                if (i == 9990) r.push_back(0); // the leak
            } else if (i >= 10000) {
                r.push_back(base());
                r.push_back(base());
                r.push_back(library());
                r.push_back(library());
                if (rng() % 10 < 3) r.push_back(static_cast<uint32_t>(i - 1 - rng() % 20));
            }
            std::sort(r.begin(), r.end());
            r.erase(std::unique(r.begin(), r.end()), r.end());
        }
        // RefGraph nodes are in base-name order.
        std::vector<uint32_t> order(kPaths);
        std::iota(order.begin(), order.end(), 0);
        std::sort(order.begin(), order.end(),
                  [&](uint32_t a, uint32_t b) { return names[a] < names[b]; });
        std::vector<uint32_t> nodeOf(kPaths);
        for (uint32_t n = 0; n < kPaths; ++n)
            nodeOf[order[n]] = n;
        RefGraph g;
        g.refStart.push_back(0);
        for (uint32_t n = 0; n < kPaths; ++n) {
            uint32_t i = order[n];
            g.paths.push_back(StorePath::fromBaseName(names[i]));
            // Mostly small paths, one in a thousand a large one (a toolchain, a data set).
            g.narSizes.push_back(i % 1000 == 999 ? (64u << 20) : 4096 + rng() % (512 << 10));
            for (uint32_t t : refs[i])
                g.refs.push_back(nodeOf[t]);
            g.refStart.push_back(static_cast<uint32_t>(g.refs.size()));
        }
        return g;
    }();
    return graph;
}

/// 50 rules of every graph kind, with selectors as a real policy would have them.
std::string fiftyRules() {
    std::string yaml = "rules:\n";
    int id = 0;
    auto rule = [&](const std::string& body) {
        yaml += "  - id: r" + std::to_string(id++) + "\n" + body;
    };
    for (int i = 0; i < 10; ++i)
        rule("    match: { names: ['^(app|lib)" + std::to_string(i) +
             "'] }\n"
             "    forbid-requisites: { names: ['bootstrap-tools', '^stage0-" +
             std::to_string(i) + "'] }\n");
    for (int i = 0; i < 5; ++i)
        rule("    match: { names: ['^app-'], exclude: ['-dev$'] }\n"
             "    forbid-references: { names: ['-dev$', '^gcc-" +
             std::to_string(i) + "'] }\n");
    for (int i = 0; i < 5; ++i)
        rule("    match: { names: ['^base-" + std::to_string(i) +
             "'] }\n"
             "    allow-only-requisites: { names: ['^base-', '^bootstrap-'] }\n");
    for (int i = 0; i < 5; ++i)
        rule("    match: { names: ['^lib.*" + std::to_string(i) +
             "-0'] }\n"
             "    allow-only-references: { names: ['^(base|lib)'] }\n");
    for (int i = 0; i < 10; ++i)
        rule("    severity: warning\n    match: { names: ['^app-[0-9]*" + std::to_string(i) +
             "0-'] }\n"
             "    max-closure-size: " +
             std::to_string(200 + 10 * i) + "MiB\n");
    for (int i = 0; i < 5; ++i)
        rule("    severity: info\n    match: { names: ['^app-'] , outputs: [out] }\n"
             "    max-closure-paths: " +
             std::to_string(1500 + 100 * i) + "\n");
    for (int i = 0; i < 10; ++i)
        rule("    match: { paths: ['-" + std::to_string(i) +
             "[0-9]*-'] }\n    max-size: " + std::to_string(3 + i % 2) + "MiB\n");
    return yaml;
}

void BM_FiftyRulesOverSyntheticStore(benchmark::State& state) {
    const RefGraph& graph = syntheticGraph();
    rules::Policy policy = rules::loadPolicyString(fiftyRules(), "bench.yaml");
    if (policy.rules.size() != 50) state.SkipWithError("policy does not have 50 rules");
    std::vector<uint32_t> nodes(graph.size());
    std::iota(nodes.begin(), nodes.end(), 0);
    CheckOptions options;
    options.closures = false;
    options.evidence = false; // a synthetic store has no files to scan
    size_t findings = 0;
    // The average closure, so the figure can be compared with other stores.
    uint64_t closureTotal = 0;
    BreadthFirstWalk walk(graph.size());
    for (uint32_t n = 0; n < graph.size(); n += 100) {
        uint32_t roots[] = {n};
        walk.run(referencesOf(graph), roots);
        closureTotal += walk.order().size();
    }
    const size_t sampled = (graph.size() + 99) / 100; // the roots n = 0, 100, 200, ...
    state.counters["avg_closure"] =
        static_cast<double>(closureTotal) / static_cast<double>(sampled);
    for ([[maybe_unused]] auto _ : state) {
        Checker checker(policy, StoreView{"/s/store", "/nonexistent", &graph});
        reports::Report report = checker.check(nodes, options);
        findings = report.findings.size();
        benchmark::DoNotOptimize(report);
    }
    state.counters["paths"] = static_cast<double>(graph.size());
    state.counters["findings"] = static_cast<double>(findings);
}
BENCHMARK(BM_FiftyRulesOverSyntheticStore)->Unit(benchmark::kMillisecond)->UseRealTime();

/// 1 GiB in 16 files: binary noise with text runs of store paths and library names,
/// without a forbidden pattern (the common case a gate scans).
const std::vector<std::string>& contentFiles() {
    static TempDir dir("purist-content-bench-");
    static const std::vector<std::string> files = [] {
        std::vector<std::string> result;
        std::mt19937_64 rng(7);
        const size_t fileSize = 64 << 20;
        std::string text;
        while (text.size() < 4096)
            text += "/s/store/" + randomHashPart(rng) + "-lib" + std::to_string(rng() % 1000) +
                    "/lib/libfoo.so.1:RPATH=$ORIGIN/../lib\n";
        for (int f = 0; f < 16; ++f) {
            std::string bytes(fileSize, '\0');
            for (size_t i = 0; i < fileSize; i += 8) {
                uint64_t v = rng();
                std::memcpy(&bytes[i], &v, 8);
            }
            // Every other 4 KiB block is text.
            for (size_t i = 0; i + 8192 <= fileSize; i += 8192)
                std::memcpy(&bytes[i], text.data(), 4096);
            std::string file = dir.path() + "/f" + std::to_string(f);
            writeFile(file, bytes);
            result.push_back(file);
        }
        return result;
    }();
    return files;
}

uint64_t totalBytes() {
    return uint64_t{16} * (64 << 20);
}

void BM_CatThroughput(benchmark::State& state) {
    const auto& files = contentFiles();
    std::vector<std::string> args = {"cat"};
    args.insert(args.end(), files.begin(), files.end());
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    for ([[maybe_unused]] auto _ : state) {
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
        pid_t pid;
        int rc = posix_spawnp(&pid, "cat", &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) throw SysError(rc, "spawning cat");
        int status = 0;
        if (::waitpid(pid, &status, 0) != pid) throw SysError("waiting for cat");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) state.SkipWithError("cat failed");
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * totalBytes()));
}
BENCHMARK(BM_CatThroughput)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

void BM_ForbidContentThroughput(benchmark::State& state) {
    const auto& files = contentFiles();
    // The patterns of rules/packs/impure-paths.yaml.
    ContentScanner scanner({"/usr/(bin|lib|lib64|libexec|local|sbin)/", "/home/[A-Za-z0-9._-]+",
                            "/homeless-shelter", "/root/", "/build/[A-Za-z0-9._-]+",
                            "/tmp/nix-build-[A-Za-z0-9._-]+", "/tmp/purist-build-[A-Za-z0-9._-]+",
                            "/tmp/"});
    std::vector<bool> active(scanner.size(), true);
    size_t hits = 0;
    for ([[maybe_unused]] auto _ : state) {
        for (const auto& file : files) {
            FileDescriptor fd = openFile(file, O_RDONLY);
            scanner.scanFile(fd.get(), file, active, [&](const ContentHit&) { ++hits; });
        }
    }
    if (hits != 0) state.SkipWithError("the bench data must not match");
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * totalBytes()));
}
BENCHMARK(BM_ForbidContentThroughput)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

} // namespace
} // namespace purist::checker

BENCHMARK_MAIN();
