// Settings files (policy/settings.h) and sandbox-paths entries. A bad file must be a
// ConfigError, never a crash or another exception type.

#include "base/error.h"
#include "policy/settings.h"
#include "tests/fuzz/fuzz_support.h"

#include <cstdint>
#include <string>

using namespace purist;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const std::string file = fuzz::writeScratchFile("purist.yaml", text);
    try {
        policy::Settings settings;
        policy::applySettingsFile(settings, file, policy::SettingOrigin::Kind::ConfigFile);
    } catch (const ConfigError&) {
    }
    try {
        policy::parseSandboxPath(text, "fuzz");
    } catch (const ConfigError&) {
    }
    return 0;
}
