// Micro-benchmarks of the store's hot loops: SHA-256, the reference scanner, and NAR
// dumping with hashing and scanning, on data in memory and on a tree in the page cache.
// bench/store_compare.sh runs these beside openssl and Nix and writes the ratios.

#include "base/file_descriptor.h"
#include "base/temp_dir.h"
#include "store/async_sink.h"
#include "store/base32.h"
#include "store/gc_roots.h"
#include "store/hash.h"
#include "store/local_store.h"
#include "store/nar.h"
#include "store/ref_scanner.h"

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <random>

namespace purist {
namespace {

constexpr size_t kChunk = 256 * 1024;

size_t benchBytes() {
    const char* env = std::getenv("PURIST_BENCH_BYTES");
    return env ? std::strtoull(env, nullptr, 10) : (size_t{1} << 30);
}

std::vector<std::string> candidates(size_t count) {
    std::vector<std::string> out;
    for (size_t i = 0; i < count; ++i)
        out.push_back(base32::encode(
            foldHash(hashString(HashAlgorithm::Sha256, "candidate" + std::to_string(i)), 20)));
    return out;
}

/// 64 MiB of data shaped like compiled code (uniform bytes) or like text (scripts,
/// .pc files, man pages: mostly lowercase letters, digits, spaces and newlines).
const std::string& sample(bool text) {
    static std::string binary, textual;
    std::string& s = text ? textual : binary;
    if (s.empty()) {
        std::mt19937_64 rng(1);
        s.resize(64 << 20);
        const std::string_view letters = "abcdefghijklmnopqrstuvwxyz0123456789 \n/-._";
        for (char& c : s)
            c = text ? letters[rng() % letters.size()] : static_cast<char>(rng());
    }
    return s;
}

void BM_Sha256(benchmark::State& state) {
    const std::string& data = sample(false);
    for ([[maybe_unused]] auto _ : state) {
        HashSink sink;
        for (size_t i = 0; i < data.size(); i += kChunk)
            sink.write(std::string_view(data).substr(i, kChunk));
        benchmark::DoNotOptimize(sink.finish());
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * sample(false).size()));
}
BENCHMARK(BM_Sha256)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Scan(benchmark::State& state) {
    bool text = state.range(0) == 1;
    const std::string& data = sample(text);
    std::vector<std::string> hashParts = candidates(static_cast<size_t>(state.range(1)));
    for ([[maybe_unused]] auto _ : state) {
        RefScanner scanner(hashParts);
        for (size_t i = 0; i < data.size(); i += kChunk)
            scanner.write(std::string_view(data).substr(i, kChunk));
        benchmark::DoNotOptimize(scanner.found().size());
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
    state.SetLabel(text ? "text" : "binary");
}
BENCHMARK(BM_Scan)->ArgsProduct({{0, 1}, {1000}})->Unit(benchmark::kMillisecond)->UseRealTime();

/// A tree of `benchBytes()` in files of 8 MiB (binary) under a temporary directory,
/// created once and left in the page cache for every benchmark that reads it.
const std::string& tree() {
    static TempDir dir("purist-bench-", std::filesystem::temp_directory_path().string());
    static bool made = false;
    if (!made) {
        const std::string& data = sample(false);
        std::filesystem::create_directories(dir.path() + "/t/lib");
        size_t total = benchBytes(), fileSize = 8 << 20;
        for (size_t i = 0; i * fileSize < total; ++i) {
            size_t offset = (i * 7919 * 4096) % (data.size() - fileSize);
            writeFile(
                dir.path() + "/t/lib/f" + std::to_string(i),
                std::string_view(data).substr(offset, std::min(fileSize, total - i * fileSize)));
        }
        made = true;
    }
    static std::string path = dir.path() + "/t";
    return path;
}

void BM_NarHash(benchmark::State& state) {
    const std::string& path = tree();
    uint64_t bytes = 0;
    for ([[maybe_unused]] auto _ : state) {
        HashSink sink;
        dumpPath(path, sink);
        bytes = sink.bytesWritten();
        benchmark::DoNotOptimize(sink.finish());
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_NarHash)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

void BM_NarHashAndScan(benchmark::State& state) {
    const std::string& path = tree();
    std::vector<std::string> hashParts = candidates(1000);
    uint64_t bytes = 0;
    for ([[maybe_unused]] auto _ : state) {
        HashSink hash;
        RefScanner scanner(hashParts);
        TeeSink tee(hash, scanner);
        NarDumpOptions options;
        options.listener = &scanner;
        dumpPath(path, tee, options);
        bytes = hash.bytesWritten();
        benchmark::DoNotOptimize(hash.finish());
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_NarHashAndScan)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

/// What registration does: the hash on a worker thread, the dump and the scan on this one.
void BM_NarHashAndScanPipelined(benchmark::State& state) {
    const std::string& path = tree();
    std::vector<std::string> hashParts = candidates(1000);
    uint64_t bytes = 0;
    for ([[maybe_unused]] auto _ : state) {
        HashSink hash;
        RefScanner scanner(hashParts);
        {
            AsyncSink asyncHash(hash);
            TeeSink tee(asyncHash, scanner);
            NarDumpOptions options;
            options.listener = &scanner;
            dumpPath(path, tee, options);
            asyncHash.finish();
        }
        bytes = hash.bytesWritten();
        benchmark::DoNotOptimize(hash.finish());
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_NarHashAndScanPipelined)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

/// The whole post-build path for one output: canonicalise, dump, hash and scan (1,000
/// candidates), move into the store, register. The copy that recreates the output before
/// each iteration is not timed.
void BM_RegisterOutput(benchmark::State& state) {
    const std::string& source = tree();
    TempDir root("purist-bench-root-", std::filesystem::temp_directory_path().string());
    LocalStore store(StoreLayout::atRoot(root.path() + "/root"));
    StorePathSet candidates;
    for (const std::string& hashPart : purist::candidates(1000))
        candidates.insert(StorePath::fromBaseName(hashPart + "-candidate"));
    uint64_t bytes = 0;
    int round = 0;
    for ([[maybe_unused]] auto _ : state) {
        state.PauseTiming();
        StorePath path = store.storeDir().makeOutputPath(
            "out", hashString(HashAlgorithm::Sha256, std::to_string(round++)), "bench-output");
        std::string location = store.layout().tmpDir() + "/" + path.baseName();
        std::filesystem::copy(source, location, std::filesystem::copy_options::recursive);
        state.ResumeTiming();
        auto scanned =
            store.registerNewPaths({NewPath{path, location, std::nullopt, ""}}, candidates);
        bytes = scanned[0].info.narSize;
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_RegisterOutput)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

/// `store verify` of a whole store: 1,000 outputs, output i referring to outputs i-1 and
/// i/2 (closures of up to 1,000 paths, 500 on average), each a small file holding its
/// references' paths. Every path is re-hashed and rescanned; what the rescan looks for is
/// the path's closure (issue 11), where it was every valid path before.
void BM_VerifyStore(benchmark::State& state) {
    TempDir root("purist-bench-root-", std::filesystem::temp_directory_path().string());
    LocalStore store(StoreLayout::atRoot(root.path() + "/root"));
    std::vector<StorePath> paths;
    for (int i = 0; i < 1000; ++i) {
        StorePath path = store.storeDir().makeOutputPath(
            "out", hashString(HashAlgorithm::Sha256, std::to_string(i)), "verify-bench");
        std::string contents(4096, 'x');
        if (i > 0) contents += store.storeDir().print(paths[i - 1]) + "\n";
        if (i > 1) contents += store.storeDir().print(paths[i / 2]) + "\n";
        std::string location = store.layout().tmpDir() + "/" + path.baseName();
        writeFile(location, contents);
        store.registerNewPaths({NewPath{path, location, std::nullopt, ""}},
                               StorePathSet(paths.begin(), paths.end()));
        paths.push_back(path);
    }
    for ([[maybe_unused]] auto _ : state) {
        if (!store.verify({}).empty()) state.SkipWithError("verify found problems");
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * paths.size()));
}
BENCHMARK(BM_VerifyStore)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);

/// Reading 100,000 GC roots: as files named after store paths (range 0), the layout
/// purist recommends, and as symlinks into the store (range 1), which cost a readlink each.
void BM_FindGcRoots(benchmark::State& state) {
    bool symlinks = state.range(0) == 1;
    TempDir dir("purist-bench-roots-", std::filesystem::temp_directory_path().string());
    std::string roots = dir.path() + "/gcroots";
    std::filesystem::create_directories(roots);
    StoreDir storeDir("/nix/store");
    for (int i = 0; i < 100000; ++i) {
        std::string base =
            base32::encode(foldHash(hashString(HashAlgorithm::Sha256, std::to_string(i)), 20)) +
            "-root";
        if (symlinks)
            std::filesystem::create_symlink("/nix/store/" + base, roots + "/" + std::to_string(i));
        else
            writeFile(roots + "/" + base, "");
    }
    for ([[maybe_unused]] auto _ : state) {
        GcRootScan scan = findGcRoots(roots, storeDir, "/nix/store");
        if (scan.roots.size() != 100000) state.SkipWithError("wrong number of roots");
    }
    state.SetLabel(symlinks ? "symlinks" : "named files");
}
BENCHMARK(BM_FindGcRoots)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

} // namespace
} // namespace purist

BENCHMARK_MAIN();
