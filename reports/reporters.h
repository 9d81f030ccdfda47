#pragma once
// Rendering a Report in the formats `--format` names. Every renderer is a pure function of
// the Report: no store, no rules, no clock, so the same Report always renders the same bytes.

#include "reports/report.h"

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace purist::reports {

/// The output formats of `purist check` and `purist audit`.
enum class ReportFormat { Text, Json, Sarif, Junit, Html, Github };

/// Maps "text", "json", "sarif", "junit", "html", "github" to a format. Throws UsageError naming
/// the valid names for anything else (case-sensitive, as the flag is documented).
ReportFormat parseReportFormat(std::string_view name);

/// The name `parseReportFormat` accepts for `format`.
const char* reportFormatName(ReportFormat format);

/// How a report is rendered, beyond its format.
struct ReportOptions {
    /// ANSI colour in the text format (the caller decides: a terminal, no NO_COLOR).
    /// Ignored by the other formats.
    bool color = false;
};

/// What a reader of `report` in `format` should know that the report cannot say itself: a
/// SARIF run past GitHub code scanning's limits (5,000 results shown per run, 25,000
/// accepted per upload). One sentence each, for the caller to print as warnings.
std::vector<std::string> reportFormatWarnings(const Report& report, ReportFormat format);

/// Writes `report` to `out` in `format`. Findings appear in a deterministic order (rule,
/// then path, offender and fingerprint) whatever order the engine produced them in; rules,
/// checked paths and closures keep the Report's order. Strings are escaped for the format
/// (terminal control bytes, XML/HTML markup, invalid UTF-8 replaced by U+FFFD).
/// Thread-safe for distinct streams; `report` is only read. Throws Error if `out` is in a
/// failed state after writing (a full disk, a closed pipe).
void writeReport(const Report& report, ReportFormat format, std::ostream& out,
                 const ReportOptions& options = {});

/// Writes `report` in `format` to `file` (created or truncated). Throws SysError naming
/// the file if it cannot be written.
void writeReportFile(const Report& report, ReportFormat format, const std::string& file);

} // namespace purist::reports
