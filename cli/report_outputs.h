#pragma once
// `--output` of the commands that write reports (check, audit, build): where each report
// of a run goes.

#include "reports/reporters.h"

#include <string>
#include <utility>
#include <vector>

namespace purist::cli {

/// Where each report of a run goes: the --format report to `file` (stdout if empty), and
/// one report per FORMAT=FILE `--output`.
struct OutputPlan {
    std::string file;
    std::vector<std::pair<reports::ReportFormat, std::string>> extra;
};

/// Reads the `--output` values; a usage error for two bare files, a file named twice, or
/// FORMAT=FILE with an empty file. Checked before anything is loaded, so a typo costs no run.
OutputPlan planOutputs(const std::vector<std::string>& outputs);

} // namespace purist::cli
