#pragma once
// The gate of a build, as Nix's checkOutputs: its outputs, as scanned and before they are
// registered, judged by the rules of its spec's `checks:` with the engine and evidence of
// `purist check`.

#include "reports/report.h"
#include "rules/rule.h"
#include "store/local_store.h"

#include <string>
#include <vector>

namespace purist::builds {

/// Checks the new paths `paths` (not valid yet; `scanned` is what registration scanned of
/// them, in the same order) against `policy`. Their closures run through the batch and
/// `inputClosure`, valid paths whose references and sizes are read from `store`'s DB.
/// Evidence (file and byte offset of each reference) is read from each new path's
/// `location`, other paths' from the store. Throws StoreError if a path of `inputClosure`
/// is not valid, or a reference leads outside the batch and `inputClosure`.
reports::Report checkNewPaths(LocalStore& store, const rules::Policy& policy,
                              const std::vector<NewPath>& paths,
                              const std::vector<ScannedPath>& scanned,
                              const StorePathSet& inputClosure);

/// The message of a build refused by its checks: which build, that nothing was registered,
/// and the report as `purist check` prints it in text, indented by `indent`.
std::string describeFailedChecks(const std::string& specName, const reports::Report& report,
                                 const std::string& indent);

} // namespace purist::builds
