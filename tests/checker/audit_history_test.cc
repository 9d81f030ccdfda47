// The audit history tables: runs recorded, and what changed between consecutive runs.

#include "checker/audit_history.h"

#include "base/error.h"
#include "base/temp_dir.h"

#include <gtest/gtest.h>

#include <map>

namespace purist::checker {
namespace {

reports::Report reportWith(const std::vector<std::pair<std::string, reports::Severity>>& findings) {
    reports::Report report;
    report.policyFiles = {"p.yaml"};
    for (const auto& [fp, severity] : findings) {
        reports::Finding f;
        f.ruleId = "r";
        f.severity = severity;
        f.path = "/s/x";
        f.fingerprint = fp;
        report.findings.push_back(f);
    }
    return report;
}

TEST(AuditHistory, RecordsRunsAndDiffsConsecutiveOnes) {
    TempDir dir;
    Database db(dir.path() + "/db.sqlite", Database::Mode::ReadWrite);
    AuditHistory history(db);
    EXPECT_FALSE(history.exists());
    EXPECT_TRUE(history.runs().empty());
    history.createTables();
    EXPECT_TRUE(history.exists());
    history.record(reportWith({{"a", reports::Severity::Error}, {"b", reports::Severity::Warning}}),
                   100, 10);
    reports::Report second = reportWith({{"b", reports::Severity::Warning},
                                         {"c", reports::Severity::Error},
                                         {"d", reports::Severity::Info}});
    second.findings[1].waiverReason = "ok";
    history.record(second, 200, 12);
    auto runs = history.runs();
    ASSERT_EQ(runs.size(), 2u);
    EXPECT_EQ(runs[0].time, 100);
    EXPECT_EQ(runs[0].errors, 1);
    EXPECT_EQ(runs[0].warnings, 1);
    EXPECT_EQ(runs[0].added, 2u);
    EXPECT_EQ(runs[0].fixed, 0u);
    EXPECT_EQ(runs[1].paths, 12);
    EXPECT_EQ(runs[1].errors, 0); // the waived one does not count
    EXPECT_EQ(runs[1].infos, 1);
    EXPECT_EQ(runs[1].added, 2u); // c, d
    EXPECT_EQ(runs[1].fixed, 1u); // a
    EXPECT_EQ(runs[1].policy, "p.yaml");
    EXPECT_EQ(history.fingerprints(runs[1].id), (std::set<std::string>{"b", "c", "d"}));

    auto findings = history.findings(runs[1].id);
    ASSERT_EQ(findings.size(), 3u);
    std::map<std::string, AuditFinding> byFingerprint;
    for (const auto& f : findings)
        byFingerprint[f.fingerprint] = f;
    EXPECT_EQ(byFingerprint["c"].severity, reports::Severity::Error);
    EXPECT_TRUE(byFingerprint["c"].accepted) << "waived";
    EXPECT_EQ(byFingerprint["d"].severity, reports::Severity::Info);
    EXPECT_FALSE(byFingerprint["d"].accepted);
    EXPECT_EQ(byFingerprint["b"].rule, "r");
    EXPECT_EQ(byFingerprint["b"].path, "/s/x");
    EXPECT_TRUE(history.findings(99).empty());
}

TEST(AuditHistory, ARunsChangesAreAgainstTheRunBeforeOfItsScope) {
    TempDir dir;
    Database db(dir.path() + "/db.sqlite", Database::Mode::ReadWrite);
    AuditHistory history(db);
    history.createTables();
    int64_t first = history.record(
        reportWith({{"a", reports::Severity::Error}, {"b", reports::Severity::Error}}), 1, 9,
        "/s/hello");
    history.record(reportWith({{"x", reports::Severity::Error}}), 2, 100); // another scope
    int64_t third = history.record(
        reportWith({{"b", reports::Severity::Error}, {"c", reports::Severity::Warning}}), 3, 9,
        "/s/hello");

    AuditRunChanges none = history.changes(first);
    ASSERT_EQ(none.findings.size(), 2u);
    EXPECT_EQ(none.isNew, (std::vector<bool>{true, true})) << "no run before: all new";
    EXPECT_TRUE(none.fixed.empty());

    AuditRunChanges changes = history.changes(third);
    ASSERT_EQ(changes.findings.size(), 2u);
    ASSERT_EQ(changes.isNew.size(), 2u);
    for (size_t i = 0; i < changes.findings.size(); ++i)
        EXPECT_EQ(changes.isNew[i], changes.findings[i].fingerprint == "c")
            << changes.findings[i].fingerprint;
    ASSERT_EQ(changes.fixed.size(), 1u);
    EXPECT_EQ(changes.fixed[0].fingerprint, "a");
}

TEST(AuditHistory, RunsAreComparedWithThePreviousRunOfTheSameScope) {
    TempDir dir;
    Database db(dir.path() + "/db.sqlite", Database::Mode::ReadWrite);
    AuditHistory history(db);
    history.createTables();
    history.record(reportWith({{"a", reports::Severity::Error}, {"b", reports::Severity::Error}}),
                   1, 9, "/s/hello");
    history.record(reportWith({{"x", reports::Severity::Error}}), 2, 100); // the whole store
    history.record(reportWith({{"b", reports::Severity::Error}}), 3, 9, "/s/hello");
    auto runs = history.runs();
    ASSERT_EQ(runs.size(), 3u);
    EXPECT_EQ(runs[1].scope, "");
    EXPECT_EQ(runs[1].added, 1u);
    EXPECT_EQ(runs[1].fixed, 0u) << "the first run of its scope fixed nothing";
    EXPECT_EQ(runs[2].scope, "/s/hello");
    EXPECT_EQ(runs[2].added, 0u);
    EXPECT_EQ(runs[2].fixed, 1u) << "a, against run 1, not run 2";
    EXPECT_EQ(history.previousRun(runs[2].id), runs[0].id);
    EXPECT_EQ(history.previousRun(runs[1].id), 0);
}

// A history written before audits had a scope is read, and gains the column when written.
TEST(AuditHistory, AnOlderHistoryWithoutScopesIsReadAndUpgraded) {
    TempDir dir;
    Database db(dir.path() + "/db.sqlite", Database::Mode::ReadWrite);
    db.exec(R"(
create table PuristAudits (id integer primary key autoincrement not null, time integer not null,
    policy text not null, paths integer not null, errors integer not null,
    warnings integer not null, infos integer not null);
create table PuristAuditFindings (audit integer not null, fingerprint text not null,
    rule text not null, severity integer not null, path text not null, offender text not null,
    accepted integer not null);
insert into PuristAudits (time, policy, paths, errors, warnings, infos) values (5, 'p', 1, 1, 0, 0);
insert into PuristAuditFindings values (1, 'a', 'r', 2, '/s/x', '', 0);
)");
    AuditHistory history(db);
    auto old = history.runs();
    ASSERT_EQ(old.size(), 1u);
    EXPECT_EQ(old[0].scope, "");
    history.createTables();
    history.record(reportWith({{"a", reports::Severity::Error}}), 6, 1);
    auto runs = history.runs();
    ASSERT_EQ(runs.size(), 2u);
    EXPECT_EQ(runs[1].added, 0u) << "compared with the old run, of the same (whole-store) scope";
}

// Node ids of a three-node graph a -> b -> c, with c also a root of its own.
TEST(AuditScope, TheWholeStoreOrTheClosuresOfRootsNamedInSortedOrder) {
    RefGraph graph;
    for (const char* name : {"a", "b", "c"})
        graph.paths.push_back(StorePath::fromBaseName(std::string(32, 'a') + "-" + name));
    graph.narSizes = {1, 1, 1};
    graph.refStart = {0, 1, 2, 2};
    graph.refs = {1, 2};
    StoreDir dir("/nix/store");

    AuditScope whole = auditScope(graph, dir, {});
    EXPECT_EQ(whole.nodes, (std::vector<uint32_t>{0, 1, 2}));
    EXPECT_EQ(whole.name, "");

    AuditScope closures = auditScope(graph, dir, {2, 1, 2});
    EXPECT_EQ(closures.nodes, (std::vector<uint32_t>{2, 1}));
    EXPECT_EQ(closures.name, dir.print(graph.paths[1]) + " " + dir.print(graph.paths[2]));
    EXPECT_EQ(auditScope(graph, dir, {1, 2}).name, closures.name);
    EXPECT_THROW(auditScope(graph, dir, {3}), StoreError);
}

} // namespace
} // namespace purist::checker
