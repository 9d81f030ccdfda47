#pragma once
// Adopting a policy gradually: waivers (a rule, a path pattern, a reason and an expiry
// date) and baselines (the fingerprints of findings accepted when the policy was adopted).

#include "reports/report.h"
#include "rules/rule.h"

#include <set>
#include <string>
#include <vector>

namespace purist::checker {

/// Marks every finding a live waiver covers (same rule id, path matching the waiver's
/// pattern, `today` on or before its expiry) with the waiver's reason; the first waiver in
/// policy order wins. Appends one `purist/expired-waiver` warning per expired waiver,
/// located at the waiver. Returns true if it appended any.
bool applyWaivers(const std::vector<rules::Waiver>& waivers, const std::string& today,
                  std::vector<reports::Finding>& findings);

/// The RuleInfo describing `purist/expired-waiver` findings.
reports::RuleInfo expiredWaiverRuleInfo();

/// The prefix of baseline entries read from a version-1 file, whose fingerprints kept the
/// versions of names (legacyFingerprintOf); baselineCovers compares them as such.
inline constexpr const char* kLegacyBaselinePrefix = "v1:";

/// Reads a baseline file written by writeBaseline: its fingerprints. A version-1 file
/// (`{"version": 1, "fingerprints": [...]}`, purist 0.1) is still read, its entries
/// prefixed with kLegacyBaselinePrefix. Throws ConfigError naming the file if it is
/// unreadable, not a baseline, or of a version this purist does not know.
std::set<std::string> readBaseline(const std::string& file);

/// True if `baseline` (from readBaseline) lists `finding`, by its fingerprint or, for a
/// version-1 baseline, by the fingerprint purist 0.1 gave it.
bool baselineCovers(const std::set<std::string>& baseline, const reports::Finding& finding);

/// Writes every finding of `report` (waived or not) as a version-2 baseline, one entry a
/// line so diffs review well: the fingerprint, and for the reviewer the rule, the checked
/// path's name and the offender's (store paths without their hash part). Sorted by rule,
/// path and offender; one entry per fingerprint.
void writeBaseline(const std::string& file, const reports::Report& report);

} // namespace purist::checker
