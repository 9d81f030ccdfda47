#pragma once
// The one place where errors become exit codes (../shared/DESIGN.md, "Exit codes").

#include <exception>

namespace purist::cli {

enum ExitCode : int {
    kExitOk = 0,
    kExitViolations = 1,
    kExitUsage = 2,
    kExitBuildFailed = 3,
    kExitSandbox = 4,
};

/// Prints `error` to stderr as `purist: error: ...` and returns its exit code.
int reportError(const std::exception& error);

} // namespace purist::cli
