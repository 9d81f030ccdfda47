// Policy files: rules and waivers (rules/rule_loader.h). A bad file must be a ConfigError
// (naming file:line:col), never a crash, a hang, another exception type or RE2 log noise;
// a good one must load whole, its waivers checked against its rules.

#include "base/error.h"
#include "rules/rule_loader.h"

#include <cstdint>
#include <string>

using namespace purist;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        rules::Policy policy = rules::loadPolicyString(text, "fuzz.yaml");
        rules::validateWaivers(policy);
    } catch (const ConfigError&) {
    }
    return 0;
}
