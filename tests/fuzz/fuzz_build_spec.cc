// Build specs (builds/build_spec.h), read from a file as `purist build` reads them. A bad
// spec must be a ConfigError, never a crash or another exception type.

#include "base/error.h"
#include "builds/build_spec.h"
#include "tests/fuzz/fuzz_support.h"

#include <cstdint>
#include <string>

using namespace purist;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string file = fuzz::writeScratchFile(
        "spec.yaml", std::string_view(reinterpret_cast<const char*>(data), size));
    try {
        builds::parseBuildSpec(file);
    } catch (const ConfigError&) {
    }
    return 0;
}
