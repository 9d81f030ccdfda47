#pragma once
// Runtime roots: store paths that running processes use without any root naming them (a
// program started from a path since collected, a library it mapped, a file it holds open,
// its cwd, a path in its environment). Nix finds them in /proc and keeps them alive; so
// does purist, unless `gc-runtime-roots` is off.

#include <string>
#include <vector>

namespace purist {

/// One store path found in a process's state.
struct RuntimeRoot {
    std::string location; ///< `/proc/<pid>/fd/3`, `/proc/<pid>/maps`, `/proc/<pid>/environ`, ...
    std::string baseName; ///< the store path's base name, as written there (may be invalid)
};

/// Reads every process under `procDir` (exe, cwd, root, open files, memory maps,
/// environment) for paths under any of `storeDirs`. Processes that exit meanwhile or that
/// this user may not inspect are skipped, as Nix skips them. Throws SysError only if
/// `procDir` itself cannot be read.
std::vector<RuntimeRoot> findRuntimeRoots(const std::vector<std::string>& storeDirs,
                                          const std::string& procDir = "/proc");

} // namespace purist
