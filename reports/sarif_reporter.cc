// SARIF 2.1.0, as GitHub code scanning accepts it: rules in tool.driver.rules, one
// physical location per result, a stable partial fingerprint, the reference chain as a
// code flow, waivers as external suppressions and the baseline as baselineState.
// docs/report-formats.md says how each Report field maps.

#include "reports/json_writer.h"
#include "reports/report_summary.h"
#include "reports/report_writers.h"

#include <optional>

namespace purist::reports {

namespace {

constexpr const char* kSarifSchema =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
// v2: names without versions (v1 kept them), so alerts survive a version bump.
constexpr const char* kFingerprintKey = "puristFingerprint/v2";

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
    static constexpr char hex[] = "0123456789ABCDEF";
    for (unsigned char c : path) {
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (alnum || keep.find(static_cast<char>(c)) != std::string_view::npos) {
            uri += static_cast<char>(c);
        } else {
            uri += '%';
            uri += hex[c >> 4];
            uri += hex[c & 0xf];
        }
    }
    return uri;
}

/// A location object: the artifact, a region when the offset is known, a message if any.
/// GitHub requires region.startLine and does not use byteOffset; store outputs are mostly
/// binary, so the line is 1 and byteOffset is the exact place.
void writeLocation(JsonWriter& json, std::string_view storePath, std::string_view file,
                   std::optional<uint64_t> offset, std::string_view message,
                   std::optional<size_t> id = std::nullopt) {
    json.beginObject();
    json.key("physicalLocation");
    json.beginObject();
    json.key("artifactLocation");
    json.beginObject();
    json.member("uri", fileUri(storePath, file));
    json.endObject();
    if (offset) {
        json.key("region");
        json.beginObject();
        json.key("startLine");
        json.number(1);
        json.key("byteOffset");
        json.number(*offset);
        json.endObject();
    }
    json.endObject();
    if (!message.empty()) {
        json.key("message");
        json.beginObject();
        json.member("text", message);
        json.endObject();
    }
    if (id) {
        json.key("id");
        json.number(*id);
    }
    json.endObject();
}

constexpr const char* kSourceRootId = "%SRCROOT%";

/// A location in a file the user wrote (a waiver file, a build spec): relative to the
/// repository (`uriBaseId: %SRCROOT%`) when the report has a source root, so code scanning
/// shows the line in the repository whatever the checkout's path; else as the user named
/// it. Then the line and column.
void writeSourceLocation(JsonWriter& json, const Report& report, const SourceLocation& source) {
    json.beginObject();
    json.key("physicalLocation");
    json.beginObject();
    json.key("artifactLocation");
    json.beginObject();
    json.member("uri", fileUri(source.file, ""));
    if (!report.sourceRoot.empty() && !source.file.starts_with('/'))
        json.member("uriBaseId", kSourceRootId);
    json.endObject();
    if (source.line > 0) {
        json.key("region");
        json.beginObject();
        json.key("startLine");
        json.number(static_cast<uint64_t>(source.line));
        if (source.column > 0) {
            json.key("startColumn");
            json.number(static_cast<uint64_t>(source.column));
        }
        json.endObject();
    }
    json.endObject();
    json.endObject();
}

void writeText(JsonWriter& json, std::string_view key, std::string_view text) {
    json.key(key);
    json.beginObject();
    json.member("text", text);
    json.endObject();
}

void writeRule(JsonWriter& json, const RuleInfo& rule) {
    std::string shortText = rule.message.empty() ? rule.id : rule.message;
    std::string fullText = shortText;
    bool helpIsUri = rule.help.starts_with("https://") || rule.help.starts_with("http://");
    if (!rule.help.empty() && !helpIsUri) fullText += "\n\n" + rule.help;
    json.beginObject();
    json.member("id", rule.id);
    writeText(json, "shortDescription", shortText);
    writeText(json, "fullDescription", fullText);
    // A rule without help gets none: repeating its message as help tells the reader nothing.
    if (!rule.help.empty()) writeText(json, "help", rule.help);
    if (helpIsUri) json.member("helpUri", rule.help);
    json.key("defaultConfiguration");
    json.beginObject();
    json.member("level", sarifLevel(rule.severity));
    json.endObject();
    json.key("properties");
    json.beginObject();
    json.key("tags");
    json.beginArray();
    json.string("purity");
    json.endArray();
    if (!rule.sourceFile.empty()) {
        std::string source = rule.sourceFile;
        if (rule.sourceLine > 0) source += ':' + std::to_string(rule.sourceLine);
        json.member("source", source);
    }
    json.endObject();
    json.endObject();
}

void writeResult(JsonWriter& json, const Report& report, const Finding& finding, size_t ruleIndex,
                 bool baselineCompared) {
    json.beginObject();
    json.member("ruleId", finding.ruleId);
    json.key("ruleIndex");
    json.number(ruleIndex);
    json.member("level", sarifLevel(finding.severity));
    writeText(json, "message", finding.message.empty() ? finding.ruleId : finding.message);

    // The primary location is where a maintainer fixes it: the file in the checked path
    // that holds the first reference of the chain, or the first content hit.
    json.key("locations");
    json.beginArray();
    if (finding.source) {
        writeSourceLocation(json, report, *finding.source);
    } else if (!finding.chain.empty()) {
        const ChainHop& first = finding.chain.front();
        writeLocation(json, first.from, first.file, first.offset, "");
    } else if (!finding.sites.empty()) {
        const ContentSite& site = finding.sites.front();
        writeLocation(json, finding.path, site.file, site.offset, "");
    } else {
        writeLocation(json, finding.path, "", std::nullopt, "");
    }
    json.endArray();
    json.key("partialFingerprints");
    json.beginObject();
    json.member(kFingerprintKey, finding.fingerprint);
    json.endObject();

    if (!finding.chain.empty()) {
        const std::string& last = finding.chain.back().to;
        json.key("codeFlows");
        json.beginArray();
        json.beginObject();
        writeText(json, "message", "reference chain from " + finding.path + " to " + last);
        json.key("threadFlows");
        json.beginArray();
        json.beginObject();
        json.key("locations");
        json.beginArray();
        for (const ChainHop& hop : finding.chain) {
            std::string message = "refers to " + hop.to;
            if (!hop.excerpt.empty()) message += ": \"" + hop.excerpt + "\"";
            json.beginObject();
            json.key("location");
            writeLocation(json, hop.from, hop.file, hop.offset, message);
            json.endObject();
        }
        json.beginObject();
        json.key("location");
        writeLocation(json, last, "", std::nullopt, "reached " + last);
        json.endObject();
        json.endArray();
        json.endObject();
        json.endArray();
        json.endObject();
        json.endArray();
    }
    // A finding located in the user's file (a spec's check) keeps the store evidence beside
    // it: every hop of the chain, then the offender.
    bool chainRelated = finding.source && !finding.chain.empty();
    if (finding.sites.size() > 1 || (!finding.chain.empty() && !finding.sites.empty()) ||
        !finding.largest.empty() || chainRelated) {
        json.key("relatedLocations");
        json.beginArray();
        size_t id = 0;
        if (chainRelated) {
            for (const ChainHop& hop : finding.chain)
                writeLocation(json, hop.from, hop.file, hop.offset, "refers to " + hop.to, ++id);
            writeLocation(json, finding.chain.back().to, "", std::nullopt,
                          "reached " + finding.chain.back().to, ++id);
        }
        for (const ContentSite& site : finding.sites)
            writeLocation(json, finding.path, site.file, site.offset, site.excerpt, ++id);
        for (const SizedMember& member : finding.largest)
            writeLocation(json, member.path, "", std::nullopt,
                          describeSize(member.bytes) + ", one of the closure's largest members",
                          ++id);
        json.endArray();
    }
    json.key("suppressions");
    json.beginArray();
    if (finding.waiverReason) {
        json.beginObject();
        json.member("kind", "external");
        json.member("status", "accepted");
        json.member("justification", *finding.waiverReason);
        json.endObject();
    }
    json.endArray();
    if (baselineCompared) json.member("baselineState", finding.inBaseline ? "unchanged" : "new");
    json.key("properties");
    json.beginObject();
    json.member("path", finding.path);
    if (!finding.offender.empty()) json.member("offender", finding.offender);
    json.key("failing");
    json.boolean(isFailing(report, finding));
    json.endObject();
    json.endObject();
}

} // namespace

void renderSarifReport(const Report& report, ReportBuffer& buffer) {
    std::vector<RuleGroup> groups = groupFindingsByRule(report);
    // A report says nothing of whether a baseline was given; one finding in it proves one
    // was, and then every result gets a baselineState (SARIF wants all or none).
    bool baselineCompared = false;
    for (const Finding& finding : report.findings)
        baselineCompared |= finding.inBaseline;

    JsonWriter json(buffer.text());
    json.beginObject();
    json.member("$schema", kSarifSchema);
    json.member("version", "2.1.0");
    json.key("runs");
    json.beginArray();
    json.beginObject();
    json.key("tool");
    json.beginObject();
    json.key("driver");
    json.beginObject();
    json.member("name", "purist");
    if (!report.toolVersion.empty()) {
        json.member("version", report.toolVersion);
        json.member("semanticVersion", report.toolVersion);
    }
    json.key("rules");
    json.beginArray();
    for (const RuleGroup& group : groups)
        writeRule(json, group.rule);
    json.endArray();
    json.endObject();
    json.endObject();

    if (!report.sourceRoot.empty()) {
        json.key("originalUriBaseIds");
        json.beginObject();
        json.key(kSourceRootId);
        json.beginObject();
        json.member("uri", fileUri(report.sourceRoot, ""));
        json.endObject();
        json.endObject();
    }

    json.key("invocations");
    json.beginArray();
    json.beginObject();
    json.key("executionSuccessful");
    json.boolean(true);
    if (!report.startedAt.empty()) json.member("startTimeUtc", report.startedAt);
    json.endObject();
    json.endArray();

    json.key("results");
    json.beginArray();
    for (size_t ruleIndex = 0; ruleIndex < groups.size(); ++ruleIndex)
        for (size_t index : groups[ruleIndex].findings) {
            writeResult(json, report, report.findings[index], ruleIndex, baselineCompared);
            buffer.drainIfFull();
        }
    json.endArray();

    json.key("properties");
    json.beginObject();
    json.member("storeDir", report.storeDir);
    json.key("policyFiles");
    json.beginArray();
    for (const std::string& file : report.policyFiles)
        json.string(file);
    json.endArray();
    json.member("failOn", severityName(report.failOn));
    json.member("result", reportFails(report) ? "fail" : "pass");
    json.endObject();
    json.endObject();
    json.endArray();
    json.endObject();
    buffer.text() += '\n';
}

} // namespace purist::reports
