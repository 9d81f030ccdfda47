// Baseline files (checker/waivers.h): JSON written by `check --write-baseline`, read back by
// `check --baseline`. A bad file must be a ConfigError, never a crash or another exception.

#include "base/error.h"
#include "checker/waivers.h"
#include "tests/fuzz/fuzz_support.h"

#include <cstdint>
#include <string>

using namespace purist;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string file = fuzz::writeScratchFile(
        "baseline.json", std::string_view(reinterpret_cast<const char*>(data), size));
    try {
        checker::readBaseline(file);
    } catch (const ConfigError&) {
    }
    return 0;
}
