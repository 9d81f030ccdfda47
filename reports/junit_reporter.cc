// JUnit XML as CI systems render it (Jenkins, GitLab, Azure, the common Ant/Surefire
// shape): one <testsuite> per rule, one <testcase> per (rule, path it applies to). A test case
// fails when it has a finding that fails the run (active and at or above failOn); it is skipped
// when its findings are all waived; other findings (below failOn, or in the baseline) are
// listed in <system-out> and the case passes. docs/report-formats.md documents this.

#include "reports/escaping.h"
#include "reports/report_summary.h"
#include "reports/report_writers.h"

#include <algorithm>
#include <optional>
#include <unordered_map>

namespace purist::reports {

namespace {

/// One (rule, path) test case and its findings, in display order.
struct TestCase {
    std::string_view path;
    std::vector<const Finding*> findings;
};

void appendAttribute(std::string& out, std::string_view name, std::string_view value) {
    out += ' ';
    out += name;
    out += "=\"";
    appendMarkupEscaped(out, value);
    out += '"';
}

/// The plain-text account of one finding: message, offender, chain and sites.
void appendFindingText(std::string& out, const Finding& finding) {
    std::string text = std::string(severityName(finding.severity)) + ": " + finding.message + "\n";
    if (!finding.offender.empty()) text += "offender: " + finding.offender + "\n";
    if (!finding.chain.empty()) {
        text += "chain:\n  " + finding.chain.front().from + "\n";
        for (const ChainHop& hop : finding.chain) {
            text += "  -> " + hop.to + "\n     found in " +
                    (hop.file.empty() ? std::string("(the path itself)") : hop.file) + " at byte " +
                    std::to_string(hop.offset);
            if (!hop.excerpt.empty()) text += ": \"" + hop.excerpt + "\"";
            text += "\n";
        }
    }
    for (const ContentSite& site : finding.sites) {
        text += "found in " + (site.file.empty() ? std::string("(the path itself)") : site.file) +
                " at byte " + std::to_string(site.offset);
        if (!site.excerpt.empty()) text += ": \"" + site.excerpt + "\"";
        text += "\n";
    }
    if (!finding.largest.empty()) {
        text += "largest members:\n";
        for (const SizedMember& member : finding.largest)
            text += "  " + member.path + "  " + describeSize(member.bytes) + "\n";
    }
    if (finding.source) text += "at " + finding.source->describe() + "\n";
    if (finding.waiverReason) text += "waived: " + *finding.waiverReason + "\n";
    if (finding.inBaseline) text += "in baseline\n";
    if (!finding.help.empty()) text += "help: " + finding.help + "\n";
    appendMarkupEscaped(out, text);
}

struct SuiteCounts {
    size_t tests = 0;
    size_t failures = 0;
    size_t skipped = 0;
};

enum class Outcome { Pass, Fail, Skip };

Outcome outcomeOf(const Report& report, const TestCase& test) {
    bool anyWaived = false, allWaived = !test.findings.empty();
    for (const Finding* finding : test.findings) {
        if (isFailing(report, *finding)) return Outcome::Fail;
        anyWaived |= finding->waiverReason.has_value();
        allWaived &= finding->waiverReason.has_value();
    }
    return anyWaived && allWaived ? Outcome::Skip : Outcome::Pass;
}

void appendTestCase(std::string& out, const Report& report, const RuleInfo& rule,
                    const TestCase& test, Outcome outcome) {
    out += "    <testcase";
    appendAttribute(out, "classname", "purist." + rule.id);
    appendAttribute(out, "name", test.path);
    out += " time=\"0\"";
    if (test.findings.empty()) {
        out += "/>\n";
        return;
    }
    out += ">\n";
    if (outcome == Outcome::Fail) {
        std::vector<const Finding*> failing;
        for (const Finding* finding : test.findings)
            if (isFailing(report, *finding)) failing.push_back(finding);
        out += "      <failure";
        appendAttribute(out, "message",
                        failing.size() == 1 ? failing.front()->message
                                            : countNoun(failing.size(), "finding", "findings") +
                                                  " at or above " + severityName(report.failOn));
        appendAttribute(out, "type", severityName(failing.front()->severity));
        out += '>';
        for (const Finding* finding : failing)
            appendFindingText(out, *finding);
        out += "</failure>\n";
    } else if (outcome == Outcome::Skip) {
        out += "      <skipped";
        appendAttribute(out, "message", "waived: " + *test.findings.front()->waiverReason);
        out += "/>\n";
    }
    std::string others;
    for (const Finding* finding : test.findings)
        if (!isFailing(report, *finding)) appendFindingText(others, *finding);
    if (!others.empty()) out += "      <system-out>" + others + "</system-out>\n";
    out += "    </testcase>\n";
}

/// The test cases of one rule: every checked path the rule's selector picked, in the
/// report's order, then any other path a finding names (the store dir for permission
/// rules), sorted. `rule` is the rule's index in Report::rules, if it has one.
std::vector<TestCase> testCasesOf(const Report& report, const RuleGroup& group,
                                  std::optional<size_t> rule) {
    std::vector<TestCase> cases;
    std::unordered_map<std::string_view, size_t> byPath;
    for (const CheckedPath& checked : report.checked)
        if (rule && std::binary_search(checked.rules.begin(), checked.rules.end(), *rule) &&
            byPath.emplace(checked.path, cases.size()).second)
            cases.push_back({checked.path, {}});
    size_t firstExtra = cases.size();
    for (size_t index : group.findings) {
        const Finding& finding = report.findings[index];
        auto it = byPath.find(finding.path);
        if (it == byPath.end()) {
            it = byPath.emplace(finding.path, cases.size()).first;
            cases.push_back({finding.path, {}});
        }
        cases[it->second].findings.push_back(&finding);
    }
    std::stable_sort(cases.begin() + static_cast<std::ptrdiff_t>(firstExtra), cases.end(),
                     [](const TestCase& a, const TestCase& b) { return a.path < b.path; });
    return cases;
}

// junit-10.xsd, the schema Jenkins validates against, allows `skipped` on <testsuite> but
// not on <testsuites>, so the document's totals leave it out (readers sum the suites).
void appendCounts(std::string& out, const SuiteCounts& counts, bool withSkipped) {
    out += " tests=\"" + std::to_string(counts.tests) + "\" failures=\"" +
           std::to_string(counts.failures) + "\" errors=\"0\"";
    if (withSkipped) out += " skipped=\"" + std::to_string(counts.skipped) + "\"";
    out += " time=\"0\"";
}

} // namespace

void renderJunitReport(const Report& report, ReportBuffer& buffer) {
    std::string& out = buffer.text();
    std::vector<RuleGroup> groups = groupFindingsByRule(report);
    std::vector<std::optional<size_t>> ruleIndex(groups.size());
    {
        std::unordered_map<std::string_view, size_t> byId;
        for (size_t r = 0; r < report.rules.size(); ++r)
            byId.emplace(report.rules[r].id, r);
        for (size_t g = 0; g < groups.size(); ++g)
            if (auto it = byId.find(groups[g].rule.id); it != byId.end()) ruleIndex[g] = it->second;
    }
    // The totals open the document, so outcomes are decided before anything is written.
    std::vector<SuiteCounts> suiteCounts(groups.size());
    SuiteCounts total;
    for (size_t g = 0; g < groups.size(); ++g) {
        for (const TestCase& test : testCasesOf(report, groups[g], ruleIndex[g])) {
            Outcome outcome = outcomeOf(report, test);
            ++suiteCounts[g].tests;
            suiteCounts[g].failures += outcome == Outcome::Fail;
            suiteCounts[g].skipped += outcome == Outcome::Skip;
        }
        total.tests += suiteCounts[g].tests;
        total.failures += suiteCounts[g].failures;
    }

    out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"purist\"";
    appendCounts(out, total, false);
    out += ">\n";
    for (size_t g = 0; g < groups.size(); ++g) {
        const RuleGroup& group = groups[g];
        out += "  <testsuite";
        appendAttribute(out, "name", group.rule.id);
        appendCounts(out, suiteCounts[g], true);
        if (!report.startedAt.empty()) appendAttribute(out, "timestamp", report.startedAt);
        out += ">\n    <properties>\n      <property name=\"severity\"";
        appendAttribute(out, "value", severityName(group.rule.severity));
        out += "/>\n";
        if (!group.rule.sourceFile.empty()) {
            std::string source = group.rule.sourceFile;
            if (group.rule.sourceLine > 0) source += ':' + std::to_string(group.rule.sourceLine);
            out += "      <property name=\"source\"";
            appendAttribute(out, "value", source);
            out += "/>\n";
        }
        out += "    </properties>\n";
        for (const TestCase& test : testCasesOf(report, group, ruleIndex[g])) {
            appendTestCase(out, report, group.rule, test, outcomeOf(report, test));
            buffer.drainIfFull();
        }
        out += "  </testsuite>\n";
    }
    out += "</testsuites>\n";
}

} // namespace purist::reports
