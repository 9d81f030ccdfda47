#pragma once
// What one build's builder is started with: its environment variables (Nix's, then its
// spec's outputs, sources and inputs), its mounts (sandbox-paths and the closure of its
// inputs), and the sandbox configuration that holds them with the settings' limits.
// Internal to builds/ (build_runner.cc).

#include "builds/build_graph.h"
#include "policy/settings.h"
#include "sandbox/sandbox.h"
#include "store/local_store.h"

#include <map>
#include <string>
#include <vector>

namespace purist::builds {

/// The store paths a build's inputs are: the outputs of its input specs and its input store
/// paths (its sources are not inputs), ordered by base name. `graph` is resolved.
StorePathSet inputPaths(const BuildGraph& graph, size_t node);

/// The environment of the builder of `node` (`graph` resolved; paths printed in `storeDir`),
/// nothing inherited (no two of these share a name: builds/build_spec.h refuses a spec
/// whose variables clash with each other or with those purist sets):
/// - the spec's `env`, with PATH=/path-not-set if it sets none;
/// - NIX_BUILD_TOP, TMPDIR, TEMPDIR, TMP, TEMP and PWD: `buildTop` (the build directory as
///   the builder sees it); HOME=/homeless-shelter; NIX_STORE; `name`; `builder`;
/// - PURIST_INPUTS: inputPaths(), space-separated;
/// - each output's name: its path; `outputs`: the output names, space-separated;
/// - each source's variable: its path;
/// - each input spec's variable: its `out` (`<variable>_<output>` for its other outputs);
///   each input store path's variable, if it has one: that path.
std::map<std::string, std::string> builderEnvironment(const BuildGraph& graph, size_t node,
                                                      const StoreDir& storeDir,
                                                      const std::string& buildTop);

/// The mounts of one build, read-only.
struct BuildMounts {
    /// Each `sandbox-paths` entry in order, then every store path the build may read (the
    /// input closure and the closures of store paths among the entries) by base name.
    std::vector<sandbox::BindMount> mounts;
    /// An entry outside the store is mounted: a host directory, which may hold a unix
    /// socket to a host process (see mustSealOutputs).
    bool hostPathMounted = false;
};

/// The mounts of a build whose input closure is `inputClosure`, with the settings'
/// `sandboxPaths`. An entry in the store (named in its logical or its real store dir) is
/// temp-rooted in `store`, then mounted by name beneath the real store dir with its closure
/// if it is valid; an invalid one (a half-written leftover, perhaps) is never mounted: left
/// out if optional, else a BuildError.
BuildMounts buildMounts(LocalStore& store, const std::vector<policy::SandboxPath>& sandboxPaths,
                        const StorePathSet& inputClosure);

/// Where the orchestrator runs one build.
struct BuildPlacement {
    bool isolated = true;    ///< sandboxed; false: on the host, unsandboxed
    std::string buildDir;    ///< its build directory on the host
    std::string outputDir;   ///< isolated: the directory its store dir is, for its outputs
    std::string sandboxRoot; ///< isolated: the mount point of its root
    /// --keep-failed keeps /build, so it must be on the host (and is then unbounded).
    bool buildDirOnHost = false;
};

/// The sandbox configuration of the build of `node` (`graph` resolved) in `store`: its
/// builder and arguments, `placement`, the limits of `settings`, the host network for a
/// fixed-output build, `mounts`, its builderEnvironment() (with /build as its build
/// directory when isolated) and its log file (named after its first output, in the
/// store's logs directory). Not set: the build user (taken when the build runs) and where
/// its log lines go.
sandbox::SandboxConfig sandboxConfig(const LocalStore& store, const BuildGraph& graph, size_t node,
                                     const BuildPlacement& placement,
                                     const policy::Settings& settings,
                                     std::vector<sandbox::BindMount> mounts);

} // namespace purist::builds
