// SARIF 2.1.0, as GitHub code scanning accepts it: rules in tool.driver.rules, one
// physical location per result, a stable partial fingerprint, the reference chain as a
// code flow, waivers as external suppressions and the baseline as baselineState.
// docs/report-formats.md says how each Report field maps.

#include "checker/report_summary.h"
#include "checker/report_writers.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <unordered_map>

namespace purist::checker {

namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kSarifSchema =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
constexpr const char* kFingerprintKey = "puristFingerprint/v1";

const char* sarifLevel(Severity severity) {
    switch (severity) {
    case Severity::Error:
        return "error";
    case Severity::Warning:
        return "warning";
    case Severity::Info:
        return "note";
    }
    return "error";
}

/// A URI for `path` (a store path, or a store path and a file inside it): absolute paths
/// become file:// URIs, relative ones relative references. Bytes outside RFC 3986's
/// unreserved set and a few path-safe delimiters are percent-encoded, so spaces, '#', '?'
/// and non-ASCII names in build outputs still give a valid URI.
std::string fileUri(std::string_view storePath, std::string_view file) {
    std::string path(storePath);
    if (!file.empty()) {
        if (path.empty() || path.back() != '/') path += '/';
        path += file;
    }
    std::string uri = path.starts_with('/') ? "file://" : "";
    static constexpr std::string_view keep = "-._~/+=@:,!$&'()*;";
    for (unsigned char c : path) {
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (alnum || keep.find(static_cast<char>(c)) != std::string_view::npos) {
            uri += static_cast<char>(c);
        } else {
            char escaped[4];
            std::snprintf(escaped, sizeof escaped, "%%%02X", c);
            uri += escaped;
        }
    }
    return uri;
}

/// A physical location. GitHub requires region.startLine and does not use byteOffset;
/// store outputs are mostly binary, so the line is 1 and byteOffset is the exact place.
Json physicalLocation(std::string_view storePath, std::string_view file,
                      std::optional<uint64_t> offset) {
    Json physical = {{"artifactLocation", {{"uri", fileUri(storePath, file)}}}};
    if (offset) physical["region"] = {{"startLine", 1}, {"byteOffset", *offset}};
    return physical;
}

Json location(Json physical, std::string_view message) {
    Json result = {{"physicalLocation", std::move(physical)}};
    if (!message.empty()) result["message"] = {{"text", message}};
    return result;
}

std::string hopMessage(const ChainHop& hop) {
    std::string text = "refers to " + hop.to;
    if (!hop.excerpt.empty()) text += ": \"" + hop.excerpt + "\"";
    return text;
}

Json ruleJson(const RuleInfo& rule) {
    std::string shortText = rule.message.empty() ? rule.id : rule.message;
    std::string fullText = shortText;
    bool helpIsUri = rule.help.starts_with("https://") || rule.help.starts_with("http://");
    if (!rule.help.empty() && !helpIsUri) fullText += "\n\n" + rule.help;
    Json json = {
        {"id", rule.id},
        {"shortDescription", {{"text", shortText}}},
        {"fullDescription", {{"text", fullText}}},
        {"help", {{"text", rule.help.empty() ? shortText : rule.help}}},
    };
    if (helpIsUri) json["helpUri"] = rule.help;
    json["defaultConfiguration"] = {{"level", sarifLevel(rule.severity)}};
    Json properties = {{"tags", {"purity"}}};
    if (!rule.sourceFile.empty()) {
        std::string source = rule.sourceFile;
        if (rule.sourceLine > 0) source += ':' + std::to_string(rule.sourceLine);
        properties["source"] = source;
    }
    json["properties"] = std::move(properties);
    return json;
}

Json resultJson(const Report& report, const Finding& finding, size_t ruleIndex,
                bool baselineCompared) {
    Json result = {
        {"ruleId", finding.ruleId},
        {"ruleIndex", ruleIndex},
        {"level", sarifLevel(finding.severity)},
        {"message", {{"text", finding.message.empty() ? finding.ruleId : finding.message}}},
    };

    // The primary location is where a maintainer fixes it: the file in the checked path
    // that holds the first reference of the chain, or the first content hit.
    Json primary;
    if (!finding.chain.empty()) {
        const ChainHop& first = finding.chain.front();
        primary = location(physicalLocation(first.from, first.file, first.offset), "");
    } else if (!finding.sites.empty()) {
        const ContentSite& site = finding.sites.front();
        primary = location(physicalLocation(finding.path, site.file, site.offset), "");
    } else {
        primary = location(physicalLocation(finding.path, "", std::nullopt), "");
    }
    result["locations"] = Json::array({std::move(primary)});
    result["partialFingerprints"] = {{kFingerprintKey, findingFingerprint(finding)}};

    if (!finding.chain.empty()) {
        Json steps = Json::array();
        for (const ChainHop& hop : finding.chain)
            steps.push_back({{"location", location(physicalLocation(hop.from, hop.file, hop.offset),
                                                   hopMessage(hop))}});
        const std::string& last = finding.chain.back().to;
        steps.push_back(
            {{"location", location(physicalLocation(last, "", std::nullopt), "reached " + last)}});
        result["codeFlows"] = Json::array(
            {{{"message", {{"text", "reference chain from " + finding.path + " to " + last}}},
              {"threadFlows", Json::array({{{"locations", std::move(steps)}}})}}});
    }
    if (finding.sites.size() > 1 || (!finding.chain.empty() && !finding.sites.empty())) {
        Json related = Json::array();
        for (size_t i = 0; i < finding.sites.size(); ++i) {
            const ContentSite& site = finding.sites[i];
            Json where =
                location(physicalLocation(finding.path, site.file, site.offset), site.excerpt);
            where["id"] = i + 1;
            related.push_back(std::move(where));
        }
        result["relatedLocations"] = std::move(related);
    }
    result["suppressions"] = Json::array();
    if (finding.waiverReason)
        result["suppressions"].push_back({{"kind", "external"},
                                          {"status", "accepted"},
                                          {"justification", *finding.waiverReason}});
    if (baselineCompared) result["baselineState"] = finding.inBaseline ? "unchanged" : "new";
    Json properties = {{"path", finding.path}};
    if (!finding.offender.empty()) properties["offender"] = finding.offender;
    properties["failing"] = isFailing(report, finding);
    result["properties"] = std::move(properties);
    return result;
}

} // namespace

void renderSarifReport(const Report& report, std::string& out) {
    std::vector<RuleGroup> groups = groupFindingsByRule(report);
    // A report says nothing of whether a baseline was given; one finding in it proves one
    // was, and then every result gets a baselineState (SARIF wants all or none).
    bool baselineCompared = false;
    for (const Finding& finding : report.findings)
        baselineCompared |= finding.inBaseline;

    Json rules = Json::array();
    Json results = Json::array();
    for (size_t ruleIndex = 0; ruleIndex < groups.size(); ++ruleIndex) {
        rules.push_back(ruleJson(groups[ruleIndex].rule));
        for (size_t index : groups[ruleIndex].findings)
            results.push_back(
                resultJson(report, report.findings[index], ruleIndex, baselineCompared));
    }

    Json driver = {{"name", "purist"}};
    if (!report.toolVersion.empty()) {
        driver["version"] = report.toolVersion;
        driver["semanticVersion"] = report.toolVersion;
    }
    driver["rules"] = std::move(rules);

    Json invocation = {{"executionSuccessful", true}};
    if (!report.startedAt.empty()) invocation["startTimeUtc"] = report.startedAt;

    Json run = {
        {"tool", {{"driver", std::move(driver)}}},
        {"invocations", Json::array({std::move(invocation)})},
        {"results", std::move(results)},
        {"properties",
         {{"storeDir", report.storeDir},
          {"policyFiles", report.policyFiles},
          {"failOn", severityName(report.failOn)},
          {"result", reportFails(report) ? "fail" : "pass"}}},
    };
    Json document = {
        {"$schema", kSarifSchema},
        {"version", "2.1.0"},
        {"runs", Json::array({std::move(run)})},
    };
    out += document.dump(2, ' ', false, Json::error_handler_t::replace);
    out += '\n';
}

} // namespace purist::checker
