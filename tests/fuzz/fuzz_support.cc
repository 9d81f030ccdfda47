#include "tests/fuzz/fuzz_support.h"

#include "base/file_descriptor.h"
#include "base/temp_dir.h"

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace purist::fuzz {

const std::string& scratchDir() {
    // Destroyed by the exit handlers libFuzzer's normal end runs; after a crash the kernel
    // reclaims nothing, so the prefix says whose leftover it is.
    static const std::unique_ptr<TempDir> dir = std::make_unique<TempDir>("purist-fuzz-");
    return dir->path();
}

std::string writeScratchFile(const std::string& name, std::string_view data) {
    std::string path = scratchDir() + "/" + name;
    writeFile(path, data);
    return path;
}

void brokenPromise(const std::string& what) {
    std::fprintf(stderr, "broken promise: %s\n", what.c_str());
    std::abort();
}

} // namespace purist::fuzz
