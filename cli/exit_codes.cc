#include "cli/exit_codes.h"

#include "base/error.h"

#include <iostream>

namespace purist::cli {

int reportError(const std::exception& error) {
    std::cerr << "purist: error: " << error.what() << "\n";
    if (dynamic_cast<const UsageError*>(&error) || dynamic_cast<const ConfigError*>(&error))
        return kExitUsage;
    if (dynamic_cast<const BuildError*>(&error)) return kExitBuildFailed;
    if (dynamic_cast<const SandboxError*>(&error)) return kExitSandbox;
    // Anything else (I/O failure, corrupt store, internal error) is not a finding, and
    // exit 1 is reserved for findings, so it is reported as an operational failure.
    return kExitUsage;
}

} // namespace purist::cli
