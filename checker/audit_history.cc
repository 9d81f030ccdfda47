#include "checker/audit_history.h"

#include "base/error.h"
#include "store/ref_graph.h"

#include <map>

namespace purist::checker {

void AuditHistory::createTables() {
    db_.exec(R"(
create table if not exists PuristAudits (
    id       integer primary key autoincrement not null,
    time     integer not null,
    policy   text not null,
    paths    integer not null,
    errors   integer not null,
    warnings integer not null,
    infos    integer not null
);
create table if not exists PuristAuditFindings (
    audit       integer not null references PuristAudits(id) on delete cascade,
    fingerprint text not null,
    rule        text not null,
    severity    integer not null,
    path        text not null,
    offender    text not null,
    accepted    integer not null
);
create index if not exists IndexPuristAuditFindings on PuristAuditFindings(audit);
)");
    // Histories written before audits had a scope: every run of theirs was of the store.
    if (!hasScopeColumn())
        db_.exec("alter table PuristAudits add column scope text not null default ''");
}

bool AuditHistory::hasScopeColumn() {
    Statement columns(
        db_, "select count(*) from pragma_table_info('PuristAudits') where name = 'scope'");
    return columns.step() && columns.columnInt(0) > 0;
}

bool AuditHistory::exists() {
    Statement query(
        db_, "select count(*) from sqlite_master where type = 'table' and name = 'PuristAudits'");
    return query.step() && query.columnInt(0) > 0;
}

int64_t AuditHistory::record(const reports::Report& report, int64_t time, int64_t paths,
                             const std::string& scope) {
    int64_t counts[3] = {0, 0, 0};
    for (const auto& f : report.findings)
        if (!f.waiverReason && !f.inBaseline) ++counts[static_cast<int>(f.severity)];
    std::string policy;
    for (const auto& file : report.policyFiles)
        policy += (policy.empty() ? "" : " ") + file;
    Transaction transaction(db_);
    Statement insertRun(db_,
                        "insert into PuristAudits (time, policy, paths, errors, warnings, infos, "
                        "scope) values (?, ?, ?, ?, ?, ?, ?)");
    insertRun.bind(1, time)
        .bind(2, std::string_view(policy))
        .bind(3, paths)
        .bind(4, counts[2])
        .bind(5, counts[1])
        .bind(6, counts[0])
        .bind(7, std::string_view(scope));
    insertRun.run();
    int64_t id = db_.lastInsertRowId();
    Statement insertFinding(db_, "insert into PuristAuditFindings "
                                 "(audit, fingerprint, rule, severity, path, offender, accepted) "
                                 "values (?, ?, ?, ?, ?, ?, ?)");
    for (const auto& f : report.findings) {
        insertFinding.bind(1, id)
            .bind(2, std::string_view(f.fingerprint))
            .bind(3, std::string_view(f.ruleId))
            .bind(4, static_cast<int64_t>(f.severity))
            .bind(5, std::string_view(f.path))
            .bind(6, std::string_view(f.offender))
            .bind(7, static_cast<int64_t>(f.waiverReason || f.inBaseline));
        insertFinding.run();
    }
    transaction.commit();
    return id;
}

std::set<std::string> AuditHistory::fingerprints(int64_t id) {
    std::set<std::string> result;
    Statement query(db_, "select fingerprint from PuristAuditFindings where audit = ?");
    query.bind(1, id);
    while (query.step())
        result.insert(query.columnText(0));
    return result;
}

std::vector<AuditFinding> AuditHistory::findings(int64_t id) {
    std::vector<AuditFinding> result;
    if (!exists()) return result;
    Statement query(db_, "select fingerprint, rule, severity, path, offender, accepted from "
                         "PuristAuditFindings where audit = ? order by rule, path, offender");
    query.bind(1, id);
    while (query.step()) {
        AuditFinding f;
        f.fingerprint = query.columnText(0);
        f.rule = query.columnText(1);
        int64_t severity = query.columnInt(2);
        f.severity = severity >= 2   ? reports::Severity::Error
                     : severity == 1 ? reports::Severity::Warning
                                     : reports::Severity::Info;
        f.path = query.columnText(3);
        f.offender = query.columnText(4);
        f.accepted = query.columnInt(5) != 0;
        result.push_back(std::move(f));
    }
    return result;
}

std::vector<AuditRun> AuditHistory::runs() {
    std::vector<AuditRun> result;
    if (!exists()) return result;
    // A read-only DB of an older purist has no scope column: all its runs were of the store.
    std::string scope = hasScopeColumn() ? "scope" : "''";
    Statement query(db_, "select id, time, policy, paths, errors, warnings, infos, " + scope +
                             " from PuristAudits order by id");
    while (query.step()) {
        AuditRun run;
        run.id = query.columnInt(0);
        run.time = query.columnInt(1);
        run.policy = query.columnText(2);
        run.paths = query.columnInt(3);
        run.errors = query.columnInt(4);
        run.warnings = query.columnInt(5);
        run.infos = query.columnInt(6);
        run.scope = query.columnText(7);
        result.push_back(std::move(run));
    }
    std::map<std::string, std::set<std::string>> previousOfScope;
    for (AuditRun& run : result) {
        std::set<std::string> current = fingerprints(run.id);
        const std::set<std::string>& previous = previousOfScope[run.scope];
        for (const auto& fp : current)
            run.added += previous.count(fp) ? 0 : 1;
        for (const auto& fp : previous)
            run.fixed += current.count(fp) ? 0 : 1;
        previousOfScope[run.scope] = std::move(current);
    }
    return result;
}

int64_t AuditHistory::previousRun(int64_t id) {
    int64_t previous = 0;
    std::string scope;
    std::vector<AuditRun> all = runs();
    for (const AuditRun& run : all)
        if (run.id == id) scope = run.scope;
    for (const AuditRun& run : all) {
        if (run.id >= id) break;
        if (run.scope == scope) previous = run.id;
    }
    return previous;
}

AuditRunChanges AuditHistory::changes(int64_t id) {
    AuditRunChanges result;
    result.findings = findings(id);
    int64_t before = previousRun(id);
    std::set<std::string> previous, current;
    if (before > 0) {
        previous = fingerprints(before);
        for (const auto& f : result.findings)
            current.insert(f.fingerprint);
        for (auto& f : findings(before))
            if (!current.count(f.fingerprint)) result.fixed.push_back(std::move(f));
    }
    for (const auto& f : result.findings)
        result.isNew.push_back(!previous.count(f.fingerprint));
    return result;
}

AuditScope auditScope(const RefGraph& graph, const StoreDir& storeDir,
                      const std::vector<uint32_t>& roots) {
    AuditScope scope;
    if (roots.empty()) {
        scope.nodes.resize(graph.size());
        for (uint32_t i = 0; i < scope.nodes.size(); ++i)
            scope.nodes[i] = i;
        return scope;
    }
    scope.nodes = breadthFirstClosure(graph, roots);
    std::set<std::string> named;
    for (uint32_t root : roots)
        named.insert(storeDir.print(graph.paths[root]));
    for (const std::string& root : named)
        scope.name += (scope.name.empty() ? "" : " ") + root;
    return scope;
}

} // namespace purist::checker
