// Tests for reports/report_summary.cc and reports/report.cc: sizes, counts, the grouping
// every reporter shares, and merging reports.

#include "reports/report_summary.h"

#include <gtest/gtest.h>

namespace purist::reports {
namespace {

TEST(ReportSummaryTest, FormatSize) {
    const std::pair<uint64_t, std::string> table[] = {
        {0, "0 B"},
        {1023, "1023 B"},
        {1024, "1.0 KiB"},
        {1536, "1.5 KiB"},
        {1048576, "1.0 MiB"},
        {62914560, "60.0 MiB"},
        {1ULL << 30, "1.0 GiB"},
        {1ULL << 50, "1.0 PiB"},
        {1ULL << 60, "1024.0 PiB"},
    };
    for (const auto& [input, expected] : table)
        EXPECT_EQ(formatSize(input), expected) << input;
}

TEST(ReportSummaryTest, CountNoun) {
    EXPECT_EQ(countNoun(0, "error", "errors"), "0 errors");
    EXPECT_EQ(countNoun(1, "error", "errors"), "1 error");
    EXPECT_EQ(countNoun(2, "info", "info"), "2 info");
}

Finding finding(std::string rule, Severity severity, std::string path, std::string offender) {
    Finding f;
    f.ruleId = std::move(rule);
    f.severity = severity;
    f.path = std::move(path);
    f.offender = std::move(offender);
    return f;
}

TEST(ReportSummaryTest, CountsAndFailing) {
    Report report;
    report.failOn = Severity::Warning;
    report.findings = {
        finding("r", Severity::Error, "p", ""), finding("r", Severity::Warning, "p", ""),
        finding("r", Severity::Info, "p", ""), finding("r", Severity::Error, "q", ""),
        finding("r", Severity::Error, "s", "")};
    report.findings[3].waiverReason = "ok";
    report.findings[3].inBaseline = true; // waived wins: counted once, as waived
    report.findings[4].inBaseline = true;
    ReportCounts counts = countFindings(report);
    EXPECT_EQ(counts.errors, 1u);
    EXPECT_EQ(counts.warnings, 1u);
    EXPECT_EQ(counts.infos, 1u);
    EXPECT_EQ(counts.waived, 1u);
    EXPECT_EQ(counts.baseline, 1u);
    EXPECT_EQ(counts.failing, 2u);
    EXPECT_TRUE(reportFails(report));
    EXPECT_FALSE(isFailing(report, report.findings[2]));
    EXPECT_FALSE(isFailing(report, report.findings[4]));
    report.failOn = Severity::Error;
    report.findings.erase(report.findings.begin());
    EXPECT_FALSE(reportFails(report));
    EXPECT_EQ(countFindings(report).failing, 0u);
}

TEST(ReportSummaryTest, GroupsBySeverityThenIdAndKeepsEveryFinding) {
    Report report;
    report.rules = {{"b-warn", Severity::Warning, "", "", "", 0},
                    {"z-error", Severity::Error, "", "", "", 0},
                    {"a-error", Severity::Error, "", "", "", 0},
                    {"unused", Severity::Info, "", "", "", 0}};
    report.findings = {finding("b-warn", Severity::Warning, "/p2", ""),
                       finding("undescribed", Severity::Warning, "/p1", ""),
                       finding("z-error", Severity::Error, "/p2", "y"),
                       finding("z-error", Severity::Error, "/p1", "x"),
                       finding("z-error", Severity::Error, "/p1", "a")};
    std::vector<RuleGroup> groups = groupFindingsByRule(report);
    std::vector<std::string> ids;
    for (const RuleGroup& group : groups)
        ids.push_back(group.rule.id);
    EXPECT_EQ(ids,
              (std::vector<std::string>{"a-error", "z-error", "b-warn", "undescribed", "unused"}));
    EXPECT_EQ(groups[1].findings, (std::vector<size_t>{4, 3, 2}));
    EXPECT_TRUE(groups[0].findings.empty());
    EXPECT_FALSE(groups[3].described);
    EXPECT_EQ(groups[3].rule.severity, Severity::Warning);
    EXPECT_TRUE(groups[4].described);
}

// Two builds' checks as one report: rules once each by id, each checked path's rule
// indices renumbered into the merged list, findings and policy files kept.
TEST(AppendReport, RenumbersRuleIndicesAndKeepsOneRulePerId) {
    auto rule = [](const std::string& id) {
        RuleInfo info;
        info.id = id;
        return info;
    };
    auto checked = [](const std::string& path, std::vector<size_t> rules) {
        CheckedPath result;
        result.path = path;
        result.rules = std::move(rules);
        return result;
    };
    auto finding = [](const std::string& ruleId) {
        Finding result;
        result.ruleId = ruleId;
        return result;
    };
    Report into;
    appendReport(into, Report{});
    Report first;
    first.toolVersion = "1";
    first.storeDir = "/nix/store";
    first.policyFiles = {"a.yaml"};
    first.rules = {rule("spec/a/x"), rule("shared")};
    first.checked = {checked("/nix/store/a", {0, 1})};
    first.findings = {finding("spec/a/x")};
    Report second;
    second.toolVersion = "1";
    second.storeDir = "/elsewhere";
    second.policyFiles = {"b.yaml", "a.yaml"};
    second.rules = {rule("shared"), rule("spec/b/y")};
    second.checked = {checked("/nix/store/b", {1, 0})};
    second.findings = {finding("spec/b/y")};
    appendReport(into, first);
    appendReport(into, second);
    ASSERT_EQ(into.rules.size(), 3u);
    EXPECT_EQ(into.rules[2].id, "spec/b/y");
    ASSERT_EQ(into.checked.size(), 2u);
    EXPECT_EQ(into.checked[0].rules, (std::vector<size_t>{0, 1}));
    EXPECT_EQ(into.checked[1].rules, (std::vector<size_t>{1, 2}));
    EXPECT_EQ(into.findings.size(), 2u);
    EXPECT_EQ(into.policyFiles, (std::vector<std::string>{"a.yaml", "b.yaml"}));
    EXPECT_EQ(into.storeDir, "/nix/store");
}

} // namespace
} // namespace purist::reports
