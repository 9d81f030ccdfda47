// The text format: what a maintainer reads on a terminal. Grouped by rule, most severe
// first; chains drawn as trees like `nix why-depends --precise`; one summary line last.

#include "reports/escaping.h"
#include "reports/report_summary.h"
#include "reports/report_writers.h"

#include <cstdio>

namespace purist::reports {

namespace {

constexpr const char* kReset = "\x1b[0m";
constexpr const char* kBold = "\x1b[1m";
constexpr const char* kDim = "\x1b[2m";
constexpr const char* kRed = "\x1b[31m";
constexpr const char* kGreen = "\x1b[32m";
constexpr const char* kYellow = "\x1b[33m";
constexpr const char* kCyan = "\x1b[36m";

class TextWriter {
public:
    TextWriter(const Report& report, bool color, ReportBuffer& buffer)
        : report_(report), color_(color), buffer_(buffer), out_(buffer.text()) {}

    void write();

private:
    void writeHeader();
    void writeGroup(const RuleGroup& group);
    void writeFinding(const Finding& finding, const RuleInfo& rule);
    void writeChain(const Finding& finding);
    void writeSites(const Finding& finding);
    void writeLargest(const Finding& finding);
    void writeSummary();

    /// Appends untrusted text with every byte that could steer a terminal (C0 and C1
    /// controls, DEL, bytes that are not UTF-8) shown as \xNN, so a hostile file name
    /// cannot rewrite the screen or hide a finding.
    void safe(std::string_view text);
    void styled(const char* style, std::string_view text);
    void styledSafe(const char* style, std::string_view text);
    const char* severityStyle(Severity severity) const;

    const Report& report_;
    bool color_;
    ReportBuffer& buffer_;
    std::string& out_;
};

void TextWriter::safe(std::string_view text) {
    appendTerminalSafe(out_, text);
}

void TextWriter::styled(const char* style, std::string_view text) {
    bool on = color_ && *style;
    if (on) out_ += style;
    out_ += text;
    if (on) out_ += kReset;
}

void TextWriter::styledSafe(const char* style, std::string_view text) {
    bool on = color_ && *style;
    if (on) out_ += style;
    safe(text);
    if (on) out_ += kReset;
}

const char* TextWriter::severityStyle(Severity severity) const {
    switch (severity) {
    case Severity::Error:
        return kRed;
    case Severity::Warning:
        return kYellow;
    case Severity::Info:
        return kCyan;
    }
    return kRed;
}

void TextWriter::write() {
    writeHeader();
    for (const RuleGroup& group : groupFindingsByRule(report_))
        if (!group.findings.empty()) writeGroup(group);
    writeSummary();
}

void TextWriter::writeHeader() {
    out_ += "purist ";
    safe(report_.toolVersion);
    if (!report_.startedAt.empty()) {
        out_ += " at ";
        safe(report_.startedAt);
    }
    if (!report_.storeDir.empty()) {
        out_ += ", store ";
        safe(report_.storeDir);
    }
    out_ += '\n';
    out_ += "checked " + countNoun(report_.checked.size(), "path", "paths") + " against " +
            countNoun(report_.rules.size(), "rule", "rules");
    if (!report_.policyFiles.empty()) {
        out_ += " from ";
        for (size_t i = 0; i < report_.policyFiles.size(); ++i) {
            if (i) out_ += ", ";
            safe(report_.policyFiles[i]);
        }
    }
    out_ += "\n";
}

void TextWriter::writeGroup(const RuleGroup& group) {
    out_ += '\n';
    styled(severityStyle(group.rule.severity), severityName(group.rule.severity));
    out_ += ' ';
    styledSafe(kBold, group.rule.id);
    out_ += ": " + countNoun(group.findings.size(), "finding", "findings");
    if (!group.rule.sourceFile.empty()) {
        out_ += " (";
        safe(group.rule.sourceFile);
        if (group.rule.sourceLine > 0) out_ += ':' + std::to_string(group.rule.sourceLine);
        out_ += ')';
    }
    out_ += '\n';
    if (!group.rule.help.empty()) {
        out_ += "  help: ";
        safe(group.rule.help);
        out_ += '\n';
    }
    for (size_t index : group.findings)
        writeFinding(report_.findings[index], group.rule);
}

void TextWriter::writeFinding(const Finding& finding, const RuleInfo& rule) {
    out_ += "  ";
    styled(severityStyle(finding.severity), isFailing(report_, finding) ? "✗" : "•");
    out_ += ' ';
    styledSafe(kBold, finding.path);
    out_ += ": ";
    safe(finding.message);
    if (finding.waiverReason) {
        out_ += ' ';
        if (color_) out_ += kDim;
        out_ += "[waived: ";
        safe(*finding.waiverReason);
        out_ += ']';
        if (color_) out_ += kReset;
    }
    if (finding.inBaseline) {
        out_ += ' ';
        styled(kDim, "[baseline]");
    }
    out_ += '\n';
    if (!finding.offender.empty() && finding.chain.empty()) {
        out_ += "    offender: ";
        safe(finding.offender);
        out_ += '\n';
    }
    // The rule's help is printed once with its group; a finding's own help is shown here.
    if (!finding.help.empty() && finding.help != rule.help) {
        out_ += "    help: ";
        safe(finding.help);
        out_ += '\n';
    }
    if (finding.source) {
        out_ += "    at ";
        styledSafe(kDim, finding.source->describe());
        out_ += '\n';
    }
    writeChain(finding);
    writeSites(finding);
    writeLargest(finding);
}

void TextWriter::writeChain(const Finding& finding) {
    if (finding.chain.empty()) return;
    std::string indent = "    ";
    out_ += indent;
    safe(finding.chain.front().from);
    out_ += '\n';
    for (const ChainHop& hop : finding.chain) {
        out_ += indent + "└─ ";
        if (hop.file.empty())
            styled(kDim, "(the path itself)");
        else
            styledSafe(kDim, hop.file);
        styled(kDim, " @ " + std::to_string(hop.offset));
        if (!hop.excerpt.empty()) {
            out_ += "  \"";
            safe(hop.excerpt);
            out_ += '"';
        }
        out_ += '\n';
        indent += "   ";
        out_ += indent;
        styledSafe(hop.to == finding.offender ? severityStyle(finding.severity) : "", hop.to);
        out_ += '\n';
    }
}

void TextWriter::writeSites(const Finding& finding) {
    for (size_t i = 0; i < finding.sites.size(); ++i) {
        const ContentSite& site = finding.sites[i];
        out_ += i + 1 == finding.sites.size() ? "    └─ " : "    ├─ ";
        if (site.file.empty())
            styled(kDim, "(the path itself)");
        else
            styledSafe(kDim, site.file);
        styled(kDim, " @ " + std::to_string(site.offset));
        if (!site.excerpt.empty()) {
            out_ += "  \"";
            safe(site.excerpt);
            out_ += '"';
        }
        out_ += '\n';
    }
}

void TextWriter::writeLargest(const Finding& finding) {
    if (finding.largest.empty()) return;
    out_ += "    largest members:\n";
    for (size_t i = 0; i < finding.largest.size(); ++i) {
        const SizedMember& member = finding.largest[i];
        out_ += i + 1 == finding.largest.size() ? "    └─ " : "    ├─ ";
        safe(member.path);
        styled(kDim, "  " + describeSize(member.bytes));
        out_ += '\n';
    }
}

void TextWriter::writeSummary() {
    ReportCounts counts = countFindings(report_);
    out_ += '\n';
    bool fails = counts.failing > 0;
    styled(fails ? kRed : kGreen, fails ? "FAIL" : "PASS");
    out_ += ": " + countNoun(counts.errors, "error", "errors") + ", " +
            countNoun(counts.warnings, "warning", "warnings") + ", " +
            countNoun(counts.infos, "info", "info") + "; " + std::to_string(counts.waived) +
            " waived, " + std::to_string(counts.baseline) +
            " in baseline (fail-on: " + severityName(report_.failOn) + ")\n";
}

} // namespace

void renderTextReport(const Report& report, const ReportOptions& options, ReportBuffer& out) {
    TextWriter(report, options.color, out).write();
}

} // namespace purist::reports
