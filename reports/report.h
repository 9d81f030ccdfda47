#pragma once
// The result of a check run: what every reporter renders and what the engine produces.
// Plain data; reporters must not need the store or the rules to render it.

#include "base/source_location.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace purist::reports {

enum class Severity { Info = 0, Warning = 1, Error = 2 };

/// "info", "warning", "error".
const char* severityName(Severity severity);

/// One hop of a reference chain: `from` refers to `to`, and the reference was found in
/// `file` (inside `from`; "" for `from` itself) at byte `offset`.
struct ChainHop {
    std::string from;    ///< full store path
    std::string to;      ///< full store path
    std::string file;    ///< path inside `from`, no leading slash
    uint64_t offset = 0; ///< byte offset in that file's contents (or symlink target)
    std::string excerpt; ///< printable bytes around the hit, non-printables as '.'
};

/// Where, inside a checked path, a content finding was made.
struct ContentSite {
    std::string file; ///< path inside the checked store path
    uint64_t offset = 0;
    std::string excerpt;
};

/// A member of a checked path's closure and its size: for closure-size findings, the
/// largest members are where a maintainer starts cutting.
struct SizedMember {
    std::string path;   ///< full store path
    uint64_t bytes = 0; ///< its NAR size
};

/// One violation of one rule by one checked path.
struct Finding {
    std::string ruleId;
    Severity severity = Severity::Error;
    std::string message;            ///< placeholders already filled in
    std::string help;               ///< text or URL; may be empty
    std::string path;               ///< the checked store path (or store dir, for permission rules)
    std::string offender;           ///< the forbidden path, pattern hit, or value; may be empty
    std::vector<ChainHop> chain;    ///< checked path → offender, shortest first
    std::vector<ContentSite> sites; ///< for content and permission findings
    std::vector<SizedMember> largest; ///< for closure-size findings: biggest members first
    /// Where the developer fixes it, in a file of theirs: the waiver of an expired-waiver
    /// finding, the check (in the build spec) of a spec check's finding. `file` is relative
    /// to Report::sourceRoot when that is set, else as the user named it.
    std::optional<SourceLocation> source;
    std::optional<std::string> waiverReason; ///< set when a waiver covers this finding
    bool inBaseline = false;                 ///< present in the --baseline file
    /// Stable across runs: derived from rule id, the path's name without its hash, and
    /// the offender's name, so SARIF alerts and baselines track a finding across rebuilds.
    /// Set by whoever makes the finding, with checker::fingerprintOf (checker/engine.h), the
    /// one scheme; the writers print it as it is and never derive one.
    std::string fingerprint;
};

/// A rule as the report describes it (SARIF tool.driver.rules, JUnit suites).
struct RuleInfo {
    std::string id;
    Severity severity = Severity::Error;
    std::string message; ///< the message template
    std::string help;
    std::string sourceFile; ///< the rule file it came from
    int sourceLine = 0;
};

/// One member of a checked path's closure, for the HTML closure picture.
struct ClosureMember {
    std::string path;
    uint64_t narSize = 0;
    std::vector<std::string> references; ///< full store paths, within the closure
};

/// A path that was checked, with its closure (for the audit report's picture).
struct CheckedPath {
    std::string path;
    uint64_t narSize = 0;
    uint64_t closureSize = 0;           ///< sum of the closure's NAR sizes, the path included
    std::vector<ClosureMember> closure; ///< for pictures; may be empty (audits leave it out)
    /// Indices in Report::rules of the rules whose selector picks this path, ascending:
    /// the rules it was checked against. A JUnit test case exists for these pairs only.
    std::vector<size_t> rules;
    uint64_t closurePaths = 0; ///< how many paths the closure has, the path included
};

/// Everything a reporter renders.
struct Report {
    std::string toolVersion; ///< purist::kVersion (base/version.h)
    std::string startedAt;   ///< RFC 3339 UTC, e.g. "2026-11-23T10:00:00Z"
    std::string storeDir;
    std::vector<std::string> policyFiles;
    std::vector<RuleInfo> rules;
    std::vector<CheckedPath> checked;
    std::vector<Finding> findings;
    Severity failOn = Severity::Error; ///< findings at or above fail the run (exit 1)
    /// The absolute directory (the repository's top, ending in '/') that relative
    /// Finding::source files are relative to; SARIF's `%SRCROOT%`. Empty: none are.
    std::string sourceRoot;
};

/// The current time as Report::startedAt writes it (RFC 3339, UTC, whole seconds).
std::string nowRfc3339();

/// True if any finding that is neither waived nor in the baseline is at or above failOn.
bool reportFails(const Report& report);

/// Adds `from` to `into`, as one report of both runs (the checks of several builds): its
/// policy files, rules (one entry per rule id), checked paths and findings. `into` keeps
/// its start time, store dir, fail-on and source root unless it is empty (a default
/// Report), when it becomes `from`.
void appendReport(Report& into, Report from);

} // namespace purist::reports
