// The JSON format, schema version 1, documented in docs/json-format.md. Every field of the
// Report appears; keys keep the documented order so diffs of two reports stay readable.

#include "reports/json_writer.h"
#include "reports/report_summary.h"
#include "reports/report_writers.h"

namespace purist::reports {

namespace {

/// Bumped whenever a field changes meaning or disappears; adding a field does not bump it.
constexpr int kJsonSchemaVersion = 1;

void writeFinding(JsonWriter& json, const Report& report, const Finding& finding) {
    json.beginObject();
    json.member("ruleId", finding.ruleId);
    json.member("severity", severityName(finding.severity));
    json.member("message", finding.message);
    json.member("help", finding.help);
    json.member("path", finding.path);
    json.member("offender", finding.offender);
    json.key("chain");
    json.beginArray();
    for (const ChainHop& hop : finding.chain) {
        json.beginObject();
        json.member("from", hop.from);
        json.member("to", hop.to);
        json.member("file", hop.file);
        json.key("offset");
        json.number(hop.offset);
        json.member("excerpt", hop.excerpt);
        json.endObject();
    }
    json.endArray();
    json.key("sites");
    json.beginArray();
    for (const ContentSite& site : finding.sites) {
        json.beginObject();
        json.member("file", site.file);
        json.key("offset");
        json.number(site.offset);
        json.member("excerpt", site.excerpt);
        json.endObject();
    }
    json.endArray();
    json.key("largest");
    json.beginArray();
    for (const SizedMember& member : finding.largest) {
        json.beginObject();
        json.member("path", member.path);
        json.key("bytes");
        json.number(member.bytes);
        json.endObject();
    }
    json.endArray();
    json.key("source");
    if (finding.source) {
        json.beginObject();
        json.member("file", finding.source->file);
        json.key("line");
        json.number(static_cast<uint64_t>(finding.source->line));
        json.key("column");
        json.number(static_cast<uint64_t>(finding.source->column));
        json.endObject();
    } else {
        json.null();
    }
    json.key("waived");
    json.boolean(finding.waiverReason.has_value());
    json.key("waiverReason");
    if (finding.waiverReason)
        json.string(*finding.waiverReason);
    else
        json.null();
    json.key("inBaseline");
    json.boolean(finding.inBaseline);
    json.key("failing");
    json.boolean(isFailing(report, finding));
    json.member("fingerprint", finding.fingerprint);
    json.endObject();
}

void writeChecked(JsonWriter& json, const CheckedPath& checked) {
    json.beginObject();
    json.member("path", checked.path);
    json.key("narSize");
    json.number(checked.narSize);
    json.key("closureSize");
    json.number(checked.closureSize);
    json.key("closurePaths");
    json.number(checked.closurePaths);
    json.key("closure");
    json.beginArray();
    for (const ClosureMember& member : checked.closure) {
        json.beginObject();
        json.member("path", member.path);
        json.key("narSize");
        json.number(member.narSize);
        json.key("references");
        json.beginArray();
        for (const std::string& reference : member.references)
            json.string(reference);
        json.endArray();
        json.endObject();
    }
    json.endArray();
    json.endObject();
}

} // namespace

void renderJsonReport(const Report& report, ReportBuffer& buffer) {
    ReportCounts counts = countFindings(report);
    JsonWriter json(buffer.text());
    json.beginObject();
    json.key("schemaVersion");
    json.number(kJsonSchemaVersion);
    json.key("tool");
    json.beginObject();
    json.member("name", "purist");
    json.member("version", report.toolVersion);
    json.endObject();
    json.member("startedAt", report.startedAt);
    json.member("storeDir", report.storeDir);
    json.key("policyFiles");
    json.beginArray();
    for (const std::string& file : report.policyFiles)
        json.string(file);
    json.endArray();
    json.member("sourceRoot", report.sourceRoot);
    json.member("failOn", severityName(report.failOn));
    json.member("result", counts.failing > 0 ? "fail" : "pass");
    json.key("summary");
    json.beginObject();
    for (auto [name, count] : {std::pair{"errors", counts.errors},
                               {"warnings", counts.warnings},
                               {"info", counts.infos},
                               {"waived", counts.waived},
                               {"baseline", counts.baseline},
                               {"failing", counts.failing}}) {
        json.key(name);
        json.number(count);
    }
    json.endObject();
    json.key("rules");
    json.beginArray();
    for (const RuleInfo& rule : report.rules) {
        json.beginObject();
        json.member("id", rule.id);
        json.member("severity", severityName(rule.severity));
        json.member("message", rule.message);
        json.member("help", rule.help);
        json.member("sourceFile", rule.sourceFile);
        json.key("sourceLine");
        json.number(rule.sourceLine);
        json.endObject();
    }
    json.endArray();
    json.key("checked");
    json.beginArray();
    for (const CheckedPath& checked : report.checked)
        writeChecked(json, checked);
    json.endArray();
    json.key("findings");
    json.beginArray();
    for (const RuleGroup& group : groupFindingsByRule(report))
        for (size_t index : group.findings)
            writeFinding(json, report, report.findings[index]);
    json.endArray();
    json.endObject();
    buffer.text() += '\n';
}

} // namespace purist::reports
