#pragma once
// Adopting a policy gradually: waivers (a rule, a path pattern, a reason and an expiry
// date) and baselines (the fingerprints of findings accepted when the policy was adopted).

#include "checker/report.h"
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
                  std::vector<Finding>& findings);

/// The RuleInfo describing `purist/expired-waiver` findings.
RuleInfo expiredWaiverRuleInfo();

/// Reads a baseline file written by writeBaseline. Throws ConfigError naming the file if it
/// is unreadable or not a baseline.
std::set<std::string> readBaseline(const std::string& file);

/// Writes the fingerprints of every finding of `report` (waived or not) as a baseline:
/// `{"version": 1, "fingerprints": [...]}`, sorted, one per line, so diffs review well.
void writeBaseline(const std::string& file, const Report& report);

} // namespace purist::checker
