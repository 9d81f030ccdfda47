#pragma once
// A place in a file the user wrote (a policy, a spec, a waiver file, a config): what error
// messages and reports point at.

#include <string>

namespace purist {

/// Where something was written: a file and a 1-based line and column (0 when unknown).
struct SourceLocation {
    std::string file; ///< as the user named it
    int line = 0;
    int column = 0;
    /// `file:line:column`, `file:line` when the column is unknown, or `file` when the line is.
    std::string describe() const;
};

} // namespace purist
