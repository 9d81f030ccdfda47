#pragma once
// Building a set of specs: the graph resolved against the store, each build that is not
// valid yet run in the sandbox the settings demand, its outputs checked (its spec's
// `checks:`, as Nix's checkOutputs) and registered.

#include "base/source_location.h"
#include "builds/build_graph.h"
#include "policy/settings.h"
#include "reports/report.h"
#include "sandbox/sandbox.h"
#include "store/local_store.h"

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

namespace purist::builds {

/// What one requested spec produced, for printing, result links and the checker.
struct BuildResult {
    std::string specFile; ///< absolute spec path
    std::string name;
    /// Output name → store path (printed with the logical store dir), in the spec's order.
    std::vector<std::pair<std::string, std::string>> outputs;
    bool built = false; ///< false when every output was valid already
};

/// How to build.
struct BuildOptions {
    policy::Settings settings;
    /// Keep a failed build's directory (and sandbox root) and say where it is; for a build
    /// refused by its checks, also where each of its (unregistered) outputs is.
    bool keepFailed = false;
    /// Receives every builder log line, already prefixed with `name> `, and purist's own
    /// progress messages. Called from several threads, never concurrently. Default: stderr.
    std::function<void(std::string_view line)> print;
    /// Receives the report of each build whose spec has `checks:`, once its outputs were
    /// checked, passed or refused (before a refusal fails the build), with where each of
    /// the spec's checks is written (rule id → file:line:col). May be called from several
    /// build threads at once. Default: nothing.
    std::function<void(reports::Report report,
                       const std::map<std::string, SourceLocation>& checkLocations)>
        onChecked;
    /// Runs one builder; the seam tests use to stand in for the namespace code.
    std::function<sandbox::SandboxResult(const sandbox::SandboxConfig&)> run =
        sandbox::runInSandbox;
    /// Whether sandboxed builds can be isolated here, and if not why (sandbox::canIsolate):
    /// with `run`, what lets tests of the orchestration run where namespaces do not.
    std::function<bool(std::string* why)> canIsolate = sandbox::canIsolate;
    /// Whether purist runs as root: then every build runs as a member of
    /// `settings.buildUsersGroup` (one at a time per user), and what a build user wrote is
    /// given back to purist's user before registration. Default: the effective uid is 0.
    bool asRoot = ::geteuid() == 0;
};

/// Builds `specFiles` (and every input they need that is not valid yet), up to
/// `settings.maxJobs` at once, and returns one result per requested spec, in order.
///
/// Before anything runs, the whole graph is checked against the sandbox mode: a spec with
/// `no-sandbox: true` in strict mode, a sandbox the kernel cannot give, missing build
/// users as root, or (in off mode, or for an unsandboxed relaxed build) a logical store dir
/// that differs from the real one are SandboxError (exit code 4), and nothing is built.
/// Bad specs are ConfigError, as is a `checks:` entry that can match nothing the build
/// could depend on (at its file:line:col, before any source is added to the store).
/// A build whose outputs break its spec's `checks:` fails (see builds/output_checks.h):
/// they are checked after they are scanned and before any is registered. When builds fail,
/// the others that do not depend on them still run; then a BuildError lists each failed
/// build with why (for failed checks, the findings as `purist check` prints them), and
/// each build skipped because an input failed (SandboxError instead if a sandbox could not
/// be set up). A failed build registers nothing and leaves nothing at its output paths.
/// Outputs that are valid already are not built, so not checked again.
std::vector<BuildResult> buildSpecs(LocalStore& store, const std::vector<std::string>& specFiles,
                                    const BuildOptions& options);

} // namespace purist::builds
