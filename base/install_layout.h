#pragma once
// Where purist finds its own files at run time (the sandbox helper, the rule packs), from
// where the running executable is: the build tree, an install (`cmake --install`, the
// .deb) or a copy. Never from a build tree unless the program runs from that build tree.

#include <string>
#include <string_view>
#include <vector>

namespace purist {

/// The kind of installed file, which selects the directory it is installed under.
enum class InstallDir {
    Libexec, ///< <prefix>/libexec/purist: programs purist runs (purist-sandbox)
    Data,    ///< <prefix>/share/purist: rule packs, examples
};

/// One place a file may be.
struct InstallCandidate {
    std::string path;
    /// The build tree's (or source tree's) own copy, not one found from the executable's
    /// directory: a caller that may run as root checks who can change it before use.
    bool inBuildTree = false;
};

/// The places, in search order, where purist's file `relative` (e.g. "purist-sandbox" or
/// "rules/packs/impure-paths.yaml") may be, for a program whose executable is `executable`
/// (an absolute path; see runningExecutable). The caller takes the first that exists; the
/// list is also what an error names when none does.
///  - Libexec: beside the executable (the build tree puts purist and purist-sandbox side
///    by side, and a copy of the two together works); then the installed layout relative
///    to it (<prefix>/bin -> <prefix>/libexec/purist); then the build tree's copy, only if
///    `executable` itself lies in that build tree (the test suites and benchmarks).
///  - Data: the installed layout relative to the executable (<prefix>/share/purist); then
///    the source tree, only if `executable` lies in the build tree.
/// An installed or copied purist never falls back on the tree it was built in: that tree
/// may since be rebuilt, moved, or writable by someone purist (perhaps root) must not trust.
std::vector<InstallCandidate> installCandidates(InstallDir dir, std::string_view relative,
                                                const std::string& executable);

/// The running program's path (/proc/self/exe, symlinks resolved), or empty if unknown.
std::string runningExecutable();

} // namespace purist
