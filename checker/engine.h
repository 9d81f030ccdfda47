#pragma once
// The checker engine: evaluates a policy's rules over store paths and produces a Report
// whose every finding carries its evidence (reference chains with file and offset, the
// file and offset of a content hit, the entries with wrong metadata).

#include "reports/report.h"
#include "rules/rule.h"
#include "store/store_db.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace purist::checker {

/// What the engine reads of a store. The graph must outlive the Checker.
struct StoreView {
    std::string storeDir;     ///< the logical store dir that paths are printed with
    std::string realStoreDir; ///< where the paths' files are on this machine
    const RefGraph* graph = nullptr;
    /// Base name → where the files are, for paths of the graph not (yet) in the real store
    /// dir: a build's outputs, checked before they are registered.
    std::map<std::string, std::string, std::less<>> locations;

    /// Where the files of the path with base name `baseName` are on this machine.
    std::string realPathOf(std::string_view baseName) const {
        auto found = locations.find(baseName);
        if (found != locations.end()) return found->second;
        return realStoreDir + "/" + std::string(baseName);
    }
};

struct CheckOptions {
    reports::Severity failOn = reports::Severity::Error;
    /// The day waivers are compared with (YYYY-MM-DD, UTC); empty means today.
    std::string today;
    /// Fingerprints of accepted findings (--baseline, as readBaseline returns them): marked,
    /// and they do not fail the run.
    std::set<std::string> baseline;
    /// Scan referrers' files for the file and offset of every chain hop.
    bool evidence = true;
    /// Record each checked path's closure in the report (for the HTML picture). Off for
    /// whole-store audits, where it would repeat the store once per path.
    bool closures = true;
    /// At most this many sites (files, entries) per finding; the message says how many more.
    size_t maxSites = 20;
    /// Called after each checked path with (done, total); for progress bars.
    std::function<void(size_t, size_t)> progress;
};

/// Compiles a policy against a store graph once (RE2 sets for every selector and name
/// list, a content scanner for every forbid-content pattern) and checks paths with it.
/// `policy` and the graph must outlive the Checker. Not thread-safe.
class Checker {
public:
    Checker(const rules::Policy& policy, StoreView store);
    ~Checker();
    Checker(const Checker&) = delete;
    Checker& operator=(const Checker&) = delete;

    /// Checks the graph nodes `nodes` against every rule that selects them, then applies
    /// waivers (an expired one is itself a `purist/expired-waiver` finding) and the
    /// baseline. Findings are ordered by rule (policy order), path and offender. Throws
    /// SysError if a path's files cannot be read for a content or permission rule.
    reports::Report check(const std::vector<uint32_t>& nodes, const CheckOptions& options);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// The rule id of findings about expired waivers.
inline constexpr const char* kExpiredWaiverRule = "purist/expired-waiver";

/// A package name without its version, as Nix's DrvName splits it (the version starts at
/// the first '-' not followed by a letter): `hello-2.12` → `hello`, `bootstrap-tools` →
/// `bootstrap-tools`; an output suffix Nix gives (`-dev`, `-lib`, ...) and `.drv` are kept:
/// `hello-2.12-dev` → `hello-dev`.
std::string nameWithoutVersion(std::string_view name);

/// Stable across rebuilds and version bumps: a SHA-256 over the rule id, the checked path's
/// name and the offender's name (store paths without hash part and version, other strings
/// as they are), first 32 hex digits. A spec check's rule id (`spec/hello-1.0/maxSize`)
/// counts without the spec's version.
std::string fingerprintOf(const std::string& ruleId, const std::string& path,
                          const std::string& offender);

/// The fingerprint purist wrote before 0.2 (version-1 baselines): as fingerprintOf, but
/// with the versions kept. Only for reading old baselines.
std::string legacyFingerprintOf(const std::string& ruleId, const std::string& path,
                                const std::string& offender);

/// Fills `{placeholder}`s of `templ` from `values`; unknown ones are left as written.
std::string formatMessage(const std::string& templ,
                          const std::vector<std::pair<std::string, std::string>>& values);

/// The report's severity for a rule's.
reports::Severity reportSeverity(rules::Severity severity);

/// Today's date, UTC, YYYY-MM-DD.
std::string todayUtc();

} // namespace purist::checker
