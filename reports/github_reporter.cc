// GitHub Actions workflow commands: one `::error`, `::warning` or `::notice` line per active
// finding, which the runner turns into an annotation on the run (and on the file, when the
// finding is about one of the repository's files), as conftest and semgrep offer.
// docs/report-formats.md documents this.

#include "reports/escaping.h"
#include "reports/report_summary.h"
#include "reports/report_writers.h"

namespace purist::reports {

namespace {

// The runner decodes %25, %0D and %0A in a command's message (and, in its properties, %3A
// and %2C too). Escaping CR and LF also keeps a hostile store path or message from starting
// a line of its own, which the runner would read as a command of the builder's choosing.
void appendEscaped(std::string& out, std::string_view text, bool property) {
    for (char c : text) {
        switch (c) {
        case '%':
            out += "%25";
            break;
        case '\r':
            out += "%0D";
            break;
        case '\n':
            out += "%0A";
            break;
        case ':':
            out += property ? "%3A" : ":";
            break;
        case ',':
            out += property ? "%2C" : ",";
            break;
        default:
            out += c;
        }
    }
}

const char* commandFor(const Report& report, const Finding& finding) {
    if (isFailing(report, finding)) return "error";
    return finding.severity == Severity::Info ? "notice" : "warning";
}

// The annotation's text: the message, the offender, then the evidence, one line each. Every
// string that came from a build or a policy is made terminal-safe first (a line break in a
// file name becomes \x0a), so the only line breaks are these.
std::string annotationText(const Finding& finding) {
    std::string text;
    auto safe = [&text](std::string_view part) { appendTerminalSafe(text, part); };
    safe(finding.message);
    if (!finding.offender.empty()) {
        text += "\noffender: ";
        safe(finding.offender);
    }
    if (!finding.chain.empty()) {
        text += "\nchain: ";
        safe(finding.chain.front().from);
        for (const ChainHop& hop : finding.chain) {
            text += "\n  -> ";
            safe(hop.to);
            text += " (";
            safe(hop.file.empty() ? std::string_view("the path itself") : hop.file);
            text += " @ " + std::to_string(hop.offset) + ")";
        }
    }
    for (const ContentSite& site : finding.sites) {
        text += "\nfound in ";
        safe(site.file.empty() ? std::string_view("the path itself") : site.file);
        text += " @ " + std::to_string(site.offset);
    }
    for (const SizedMember& member : finding.largest) {
        text += "\nlarge member: ";
        safe(member.path);
        text += " " + describeSize(member.bytes);
    }
    if (!finding.help.empty()) {
        text += "\nhelp: ";
        safe(finding.help);
    }
    return text;
}

} // namespace

void renderGithubReport(const Report& report, ReportBuffer& buffer) {
    std::string& out = buffer.text();
    for (const RuleGroup& group : groupFindingsByRule(report)) {
        for (size_t index : group.findings) {
            const Finding& finding = report.findings[index];
            // Waived and baselined findings are accepted: annotating them is noise.
            if (finding.waiverReason || finding.inBaseline) continue;
            out += "::";
            out += commandFor(report, finding);
            out += " title=";
            std::string title = "purist ";
            appendTerminalSafe(title, finding.ruleId);
            appendEscaped(out, title, true);
            if (finding.source) {
                out += ",file=";
                std::string file;
                appendTerminalSafe(file, finding.source->file);
                appendEscaped(out, file, true);
                if (finding.source->line > 0) {
                    out += ",line=" + std::to_string(finding.source->line);
                    if (finding.source->column > 0)
                        out += ",col=" + std::to_string(finding.source->column);
                }
            }
            out += "::";
            appendEscaped(out, annotationText(finding), false);
            out += '\n';
            buffer.drainIfFull();
        }
    }
    ReportCounts counts = countFindings(report);
    out += std::string("purist: ") + (reportFails(report) ? "FAIL" : "PASS") + ": " +
           countNoun(counts.errors, "error", "errors") + ", " +
           countNoun(counts.warnings, "warning", "warnings") + ", " +
           countNoun(counts.infos, "info", "info") + "; " + std::to_string(counts.waived) +
           " waived, " + std::to_string(counts.baseline) +
           " in baseline (fail-on: " + severityName(report.failOn) + ")\n";
}

} // namespace purist::reports
