#pragma once
// The audit history: every `purist audit` run and its findings, in purist's own tables of
// the store DB (PuristAudits, PuristAuditFindings), so `purist audit history` can show
// how findings changed between runs.

#include "reports/report.h"
#include "store/sqlite.h"
#include "store/store_db.h"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace purist::checker {

struct AuditRun {
    int64_t id = 0;
    int64_t time = 0;   ///< seconds since the epoch
    std::string policy; ///< the policy files, space-separated
    /// What was audited: "" for the whole store, else the roots whose closure was
    /// (`--closure-of`), space-separated. Runs are compared with the previous run of the
    /// same scope.
    std::string scope;
    int64_t paths = 0;
    int64_t errors = 0, warnings = 0, infos = 0; ///< findings neither waived nor in the baseline
    size_t added = 0;                            ///< fingerprints not in the previous run
    size_t fixed = 0;                            ///< fingerprints of the previous run that are gone
};

/// What one audit checks and the scope it is recorded under (AuditRun::scope).
struct AuditScope {
    std::vector<uint32_t> nodes; ///< nodes of the graph, in the order they are checked
    std::string name;
};

/// The whole store (no `roots`: every node, name "") or the closures of `roots`
/// (breadth-first from them; the name lists the roots printed in `storeDir`, sorted and
/// each once, so the same package set is the same scope whatever order its roots are
/// given in). Throws StoreError if a root is not a node of `graph`.
AuditScope auditScope(const RefGraph& graph, const StoreDir& storeDir,
                      const std::vector<uint32_t>& roots);

/// One finding as the history recorded it.
struct AuditFinding {
    std::string fingerprint;
    std::string rule;
    reports::Severity severity = reports::Severity::Error;
    std::string path;      ///< the checked store path, as printed in that run
    std::string offender;  ///< may be empty
    bool accepted = false; ///< waived or in the baseline
};

/// One run's findings against the run before of the same scope (`audit history --run N`).
struct AuditRunChanges {
    std::vector<AuditFinding> findings; ///< the run's findings, as findings() lists them
    std::vector<bool> isNew;            ///< per finding: its fingerprint was not in the run before
    std::vector<AuditFinding> fixed;    ///< the run before's findings this run no longer has
};

/// Reads and writes the history tables of one DB connection. Not thread-safe.
class AuditHistory {
public:
    explicit AuditHistory(Database& db) : db_(db) {}

    /// Creates the tables if missing (needs a writable DB). Throws StoreError.
    void createTables();
    /// True if the tables exist (a Nix store's DB never has them).
    bool exists();
    /// Records `report` as one run of `scope` (see AuditRun::scope) in one transaction;
    /// returns its id.
    int64_t record(const reports::Report& report, int64_t time, int64_t paths,
                   const std::string& scope = "");
    /// Every run, oldest first, with what changed since the run before of the same scope.
    std::vector<AuditRun> runs();
    /// The run before `id` with the same scope, or 0.
    int64_t previousRun(int64_t id);
    /// The fingerprints recorded for run `id`.
    std::set<std::string> fingerprints(int64_t id);
    /// The findings recorded for run `id`, by rule, path and offender; none for an unknown id.
    std::vector<AuditFinding> findings(int64_t id);
    /// Run `id`'s findings, each new or not against the run before of its scope, and that
    /// run's findings it fixed; with no run before, every finding is new and none fixed.
    AuditRunChanges changes(int64_t id);

private:
    bool hasScopeColumn();
    Database& db_;
};

} // namespace purist::checker
