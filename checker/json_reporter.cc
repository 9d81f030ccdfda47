// The JSON format, schema version 1, documented in docs/json-format.md. Every field of the
// Report appears; keys keep the documented order so diffs of two reports stay readable.

#include "checker/report_summary.h"
#include "checker/report_writers.h"

#include <nlohmann/json.hpp>

namespace purist::checker {

namespace {

using Json = nlohmann::ordered_json;

/// Bumped whenever a field changes meaning or disappears; adding a field does not bump it.
constexpr int kJsonSchemaVersion = 1;

Json chainJson(const std::vector<ChainHop>& chain) {
    Json hops = Json::array();
    for (const ChainHop& hop : chain)
        hops.push_back({{"from", hop.from},
                        {"to", hop.to},
                        {"file", hop.file},
                        {"offset", hop.offset},
                        {"excerpt", hop.excerpt}});
    return hops;
}

Json sitesJson(const std::vector<ContentSite>& sites) {
    Json result = Json::array();
    for (const ContentSite& site : sites)
        result.push_back({{"file", site.file}, {"offset", site.offset}, {"excerpt", site.excerpt}});
    return result;
}

Json findingJson(const Report& report, const Finding& finding) {
    return {
        {"ruleId", finding.ruleId},
        {"severity", severityName(finding.severity)},
        {"message", finding.message},
        {"help", finding.help},
        {"path", finding.path},
        {"offender", finding.offender},
        {"chain", chainJson(finding.chain)},
        {"sites", sitesJson(finding.sites)},
        {"waived", finding.waiverReason.has_value()},
        {"waiverReason", finding.waiverReason ? Json(*finding.waiverReason) : Json(nullptr)},
        {"inBaseline", finding.inBaseline},
        {"failing", isFailing(report, finding)},
        {"fingerprint", findingFingerprint(finding)},
    };
}

Json checkedJson(const CheckedPath& checked) {
    Json closure = Json::array();
    for (const ClosureMember& member : checked.closure)
        closure.push_back({{"path", member.path},
                           {"narSize", member.narSize},
                           {"references", member.references}});
    return {{"path", checked.path},
            {"narSize", checked.narSize},
            {"closureSize", checked.closureSize},
            {"closure", std::move(closure)}};
}

} // namespace

void renderJsonReport(const Report& report, std::string& out) {
    ReportCounts counts = countFindings(report);
    Json rules = Json::array();
    for (const RuleInfo& rule : report.rules)
        rules.push_back({{"id", rule.id},
                         {"severity", severityName(rule.severity)},
                         {"message", rule.message},
                         {"help", rule.help},
                         {"sourceFile", rule.sourceFile},
                         {"sourceLine", rule.sourceLine}});
    Json checked = Json::array();
    for (const CheckedPath& path : report.checked)
        checked.push_back(checkedJson(path));
    Json findings = Json::array();
    for (const RuleGroup& group : groupFindingsByRule(report))
        for (size_t index : group.findings)
            findings.push_back(findingJson(report, report.findings[index]));

    Json document = {
        {"schemaVersion", kJsonSchemaVersion},
        {"tool", {{"name", "purist"}, {"version", report.toolVersion}}},
        {"startedAt", report.startedAt},
        {"storeDir", report.storeDir},
        {"policyFiles", report.policyFiles},
        {"failOn", severityName(report.failOn)},
        {"result", counts.failing > 0 ? "fail" : "pass"},
        {"summary",
         {{"errors", counts.errors},
          {"warnings", counts.warnings},
          {"info", counts.infos},
          {"waived", counts.waived},
          {"baseline", counts.baseline},
          {"failing", counts.failing}}},
        {"rules", std::move(rules)},
        {"checked", std::move(checked)},
        {"findings", std::move(findings)},
    };
    // File names and excerpts come from build outputs and need not be UTF-8; JSON strings
    // must be, so such bytes become U+FFFD rather than aborting the report.
    out += document.dump(2, ' ', false, Json::error_handler_t::replace);
    out += '\n';
}

} // namespace purist::checker
