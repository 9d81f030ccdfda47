#include "reports/reporters.h"

#include "base/error.h"
#include "reports/report_writers.h"

#include <array>
#include <fstream>
#include <string>

namespace purist::reports {

namespace {

struct FormatName {
    ReportFormat format;
    const char* name;
};

constexpr std::array<FormatName, 6> formatNames = {{
    {ReportFormat::Text, "text"},
    {ReportFormat::Json, "json"},
    {ReportFormat::Sarif, "sarif"},
    {ReportFormat::Junit, "junit"},
    {ReportFormat::Html, "html"},
    {ReportFormat::Github, "github"},
}};

// GitHub code scanning's documented limits for one SARIF run.
constexpr size_t kSarifResultsShown = 5000;
constexpr size_t kSarifResultsAccepted = 25000;

} // namespace

ReportFormat parseReportFormat(std::string_view name) {
    std::string valid;
    for (const FormatName& entry : formatNames) {
        if (name == entry.name) return entry.format;
        if (!valid.empty()) valid += ", ";
        valid += entry.name;
    }
    throw UsageError("unknown report format '" + std::string(name) + "'; valid formats: " + valid);
}

const char* reportFormatName(ReportFormat format) {
    for (const FormatName& entry : formatNames)
        if (entry.format == format) return entry.name;
    return "text";
}

std::vector<std::string> reportFormatWarnings(const Report& report, ReportFormat format) {
    std::vector<std::string> warnings;
    // Every finding is a result of the one run purist writes.
    size_t results = report.findings.size();
    if (format == ReportFormat::Sarif && results > kSarifResultsAccepted) {
        warnings.push_back("the SARIF run has " + std::to_string(results) +
                           " results; GitHub code scanning rejects an upload of more than " +
                           std::to_string(kSarifResultsAccepted) +
                           " per run: check fewer paths per report (an audit per package set)");
    } else if (format == ReportFormat::Sarif && results > kSarifResultsShown) {
        warnings.push_back("the SARIF run has " + std::to_string(results) +
                           " results; GitHub code scanning keeps only the " +
                           std::to_string(kSarifResultsShown) +
                           " most severe of a run: check fewer paths per report");
    }
    return warnings;
}

void ReportBuffer::drain() {
    stream_.write(text_.data(), static_cast<std::streamsize>(text_.size()));
    text_.clear();
}

void writeReport(const Report& report, ReportFormat format, std::ostream& out,
                 const ReportOptions& options) {
    ReportBuffer buffer(out);
    switch (format) {
    case ReportFormat::Text:
        renderTextReport(report, options, buffer);
        break;
    case ReportFormat::Json:
        renderJsonReport(report, buffer);
        break;
    case ReportFormat::Sarif:
        renderSarifReport(report, buffer);
        break;
    case ReportFormat::Junit:
        renderJunitReport(report, buffer);
        break;
    case ReportFormat::Html:
        renderHtmlReport(report, buffer);
        break;
    case ReportFormat::Github:
        renderGithubReport(report, buffer);
        break;
    }
    buffer.drain();
    out.flush();
    if (!out)
        throw Error(std::string("writing the ") + reportFormatName(format) + " report failed");
}

void writeReportFile(const Report& report, ReportFormat format, const std::string& file) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    if (!out) throw SysError("creating report file '" + file + "'");
    writeReport(report, format, out);
    out.close();
    if (!out) throw SysError("writing report file '" + file + "'");
}

} // namespace purist::reports
