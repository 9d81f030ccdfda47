#include "reports/report.h"

#include "base/error.h"

#include <algorithm>
#include <ctime>

namespace purist::reports {

const char* severityName(Severity severity) {
    switch (severity) {
    case Severity::Info:
        return "info";
    case Severity::Warning:
        return "warning";
    case Severity::Error:
        return "error";
    }
    return "error";
}

std::string nowRfc3339() {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    if (!::gmtime_r(&now, &tm)) throw SysError("gmtime_r");
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buffer;
}

bool reportFails(const Report& report) {
    for (const Finding& finding : report.findings)
        if (!finding.waiverReason && !finding.inBaseline && finding.severity >= report.failOn)
            return true;
    return false;
}

void appendReport(Report& into, Report from) {
    if (into.toolVersion.empty() && into.rules.empty() && into.checked.empty()) {
        into = std::move(from);
        return;
    }
    for (std::string& file : from.policyFiles)
        if (std::find(into.policyFiles.begin(), into.policyFiles.end(), file) ==
            into.policyFiles.end())
            into.policyFiles.push_back(std::move(file));
    // CheckedPath::rules index into Report::rules, so `from`'s indices are renumbered.
    std::vector<size_t> index(from.rules.size());
    for (size_t i = 0; i < from.rules.size(); ++i) {
        auto same = std::find_if(into.rules.begin(), into.rules.end(),
                                 [&](const RuleInfo& rule) { return rule.id == from.rules[i].id; });
        index[i] = static_cast<size_t>(same - into.rules.begin());
        if (same == into.rules.end()) into.rules.push_back(std::move(from.rules[i]));
    }
    for (CheckedPath& path : from.checked) {
        for (size_t& rule : path.rules)
            rule = index[rule];
        std::sort(path.rules.begin(), path.rules.end());
        into.checked.push_back(std::move(path));
    }
    for (Finding& finding : from.findings)
        into.findings.push_back(std::move(finding));
}

} // namespace purist::reports
