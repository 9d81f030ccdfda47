// The cost of sealing a build's outputs (builds/output_copy.h) on the 1 GiB add path:
// registration alone, as an output that needs no copy is registered, against the copy
// followed by registration, as a fixed-output build's (or one with a host sandbox path)
// is. The tree is store_bench's shape: PURIST_BENCH_BYTES (1 GiB) of incompressible data
// in files of 8 MiB, in the page cache. Recreating the build's output before each
// iteration is not timed.

#include "base/error.h"
#include "base/file_descriptor.h"
#include "base/temp_dir.h"
#include "builds/output_copy.h"
#include "store/local_store.h"

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <random>

namespace purist {
namespace {

size_t benchBytes() {
    const char* env = std::getenv("PURIST_BENCH_BYTES");
    return env ? std::strtoull(env, nullptr, 10) : (size_t{1} << 30);
}

// What a build left in its output directory: `benchBytes()` in files of 8 MiB, each
// different (a counter in its first bytes), made once.
const std::string& builtOutput() {
    static TempDir dir("purist-seal-bench-", std::filesystem::temp_directory_path().string());
    static std::string path = [] {
        std::string out = dir.path() + "/out";
        std::filesystem::create_directories(out + "/lib");
        const size_t fileSize = 8 << 20;
        std::string data(fileSize, '\0');
        std::mt19937_64 rng(1);
        for (char& c : data)
            c = static_cast<char>(rng());
        for (size_t i = 0, total = benchBytes(); i * fileSize < total; ++i) {
            std::string index = std::to_string(i);
            data.replace(0, index.size(), index);
            writeFile(out + "/lib/f" + index,
                      std::string_view(data).substr(0, std::min(fileSize, total - i * fileSize)));
        }
        return out;
    }();
    return path;
}

// Registers the output (after sealing it when `seal`); the output is recreated first,
// untimed, as a build would have left it.
void registerOutput(benchmark::State& state, bool seal) {
    const std::string& built = builtOutput();
    TempDir root("purist-seal-bench-root-", std::filesystem::temp_directory_path().string());
    LocalStore store(StoreLayout::atRoot(root.path() + "/root"));
    uint64_t bytes = 0;
    int round = 0;
    for ([[maybe_unused]] auto _ : state) {
        state.PauseTiming();
        StorePath path = store.storeDir().makeOutputPath(
            "out", hashString(HashAlgorithm::Sha256, std::to_string(round++)), "bench-output");
        std::string location = store.layout().tmpDir() + "/" + path.baseName();
        std::string sealed = store.layout().tmpDir() + "/sealed-" + path.baseName();
        std::filesystem::copy(built, location, std::filesystem::copy_options::recursive);
        state.ResumeTiming();
        if (seal) {
            // As the builder does: the copy, then the original removed at once.
            builds::copyOutputTree(location, sealed);
            removeTree(location);
            location.swap(sealed);
        }
        auto scanned = store.registerNewPaths({NewPath{path, location, std::nullopt, ""}}, {});
        bytes = scanned[0].info.narSize;
        state.PauseTiming();
        removeTree(store.realPath(path));
        state.ResumeTiming();
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}

void BM_RegisterInPlace(benchmark::State& state) {
    registerOutput(state, false);
}
BENCHMARK(BM_RegisterInPlace)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

void BM_SealThenRegister(benchmark::State& state) {
    registerOutput(state, true);
}
BENCHMARK(BM_SealThenRegister)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

/// The copy alone.
void BM_Seal(benchmark::State& state) {
    const std::string& built = builtOutput();
    TempDir scratch("purist-seal-bench-copy-", std::filesystem::temp_directory_path().string());
    uint64_t round = 0;
    for ([[maybe_unused]] auto _ : state) {
        std::string to = scratch.path() + "/" + std::to_string(round++);
        builds::copyOutputTree(built, to);
        state.PauseTiming();
        removeTree(to);
        state.ResumeTiming();
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * benchBytes()));
}
BENCHMARK(BM_Seal)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

} // namespace
} // namespace purist

BENCHMARK_MAIN();
