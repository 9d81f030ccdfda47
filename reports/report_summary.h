#pragma once
// What every reporter derives from a Report the same way: the order findings are shown in,
// the counts in the summary line, and which rule a finding belongs to.
// Internal to reports/; the public entry point is reporters.h.

#include "reports/report.h"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace purist::reports {

/// Counts for the summary: active findings (neither waived nor in the baseline) by
/// severity, plus waived and baseline findings, which never fail a run.
struct ReportCounts {
    size_t errors = 0;
    size_t warnings = 0;
    size_t infos = 0;
    size_t waived = 0;   ///< covered by a waiver (whatever their severity)
    size_t baseline = 0; ///< in the baseline and not waived
    size_t failing = 0;  ///< active and at or above failOn
};

/// True if `finding` is neither waived nor in the baseline.
bool isActive(const Finding& finding);

/// True if `finding` is active and at or above `report.failOn`: it makes the run fail.
bool isFailing(const Report& report, const Finding& finding);

/// The summary counts of `report`; every finding is counted exactly once.
ReportCounts countFindings(const Report& report);

/// A rule group: the rule (from report.rules, or synthesised from its first finding when
/// the engine reported a rule id it did not describe, e.g. an expired waiver) and the
/// indices into report.findings of its findings, in display order.
struct RuleGroup {
    RuleInfo rule;
    bool described = true; ///< false if synthesised
    std::vector<size_t> findings;
};

/// The findings grouped by rule. Groups: most severe rule first, then rule id; described
/// rules without findings are included (they passed). Within a group: path, offender,
/// fingerprint, message. Every finding appears exactly once.
std::vector<RuleGroup> groupFindingsByRule(const Report& report);

/// "0 B", "512 B", "1.5 KiB", "12.0 MiB", "3.2 GiB".
std::string formatSize(uint64_t bytes);

/// A size as evidence states it: human units beside the exact count, "123.5 KiB (126424
/// bytes)"; below 1 KiB the count alone, "512 bytes".
std::string describeSize(uint64_t bytes);

/// `count` and the noun, plural unless count is 1: "1 error", "3 errors".
std::string countNoun(size_t count, std::string_view singular, std::string_view plural);

} // namespace purist::reports
