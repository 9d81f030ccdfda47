#include "checker/finding_locations.h"

namespace purist::checker {
namespace {

// The top of the git work tree holding `start` (a directory), or "" outside one.
std::filesystem::path repositoryTop(const std::filesystem::path& start) {
    std::error_code ignored;
    for (std::filesystem::path dir = start; !dir.empty(); dir = dir.parent_path()) {
        if (std::filesystem::exists(dir / ".git", ignored)) return dir;
        if (dir == dir.root_path()) break;
    }
    return {};
}

} // namespace

void locateInSources(reports::Report& report,
                     const std::map<std::string, SourceLocation>& checkLocations,
                     const std::filesystem::path& cwd) {
    for (reports::Finding& finding : report.findings)
        if (auto it = checkLocations.find(finding.ruleId);
            it != checkLocations.end() && !finding.source)
            finding.source = it->second;
    std::filesystem::path top = repositoryTop(cwd);
    if (top.empty()) top = cwd;
    std::string root = top.string();
    if (!root.ends_with('/')) root += '/';
    for (reports::Finding& finding : report.findings) {
        if (!finding.source) continue;
        std::string file =
            std::filesystem::weakly_canonical(std::filesystem::absolute(finding.source->file))
                .string();
        if (!file.starts_with(root)) continue;
        finding.source->file = file.substr(root.size());
        report.sourceRoot = root;
    }
}

} // namespace purist::checker
