#pragma once
// Where a developer fixes a finding: a spec check's finding located at the check in its
// spec, and every located file named relative to the repository it is in, so that code
// scanning resolves the same name on every checkout.

#include "base/source_location.h"
#include "reports/report.h"

#include <filesystem>
#include <map>
#include <string>

namespace purist::checker {

/// Gives each finding without a source whose rule id is in `checkLocations` that location
/// (a spec check's file:line:col). Then every located file under the git work tree that
/// holds `cwd` (else under `cwd`) is named relative to it, and that directory, with a
/// trailing slash, becomes `report.sourceRoot`; files elsewhere keep their names. `cwd` is
/// absolute; relative locations are read relative to the process's working directory.
void locateInSources(reports::Report& report,
                     const std::map<std::string, SourceLocation>& checkLocations,
                     const std::filesystem::path& cwd);

} // namespace purist::checker
