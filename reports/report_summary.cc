#include "reports/report_summary.h"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <tuple>
#include <unordered_map>

namespace purist::reports {

bool isActive(const Finding& finding) {
    return !finding.waiverReason && !finding.inBaseline;
}

bool isFailing(const Report& report, const Finding& finding) {
    return isActive(finding) && finding.severity >= report.failOn;
}

ReportCounts countFindings(const Report& report) {
    ReportCounts counts;
    for (const Finding& finding : report.findings) {
        if (finding.waiverReason) {
            ++counts.waived;
        } else if (finding.inBaseline) {
            ++counts.baseline;
        } else {
            switch (finding.severity) {
            case Severity::Error:
                ++counts.errors;
                break;
            case Severity::Warning:
                ++counts.warnings;
                break;
            case Severity::Info:
                ++counts.infos;
                break;
            }
            if (finding.severity >= report.failOn) ++counts.failing;
        }
    }
    return counts;
}

std::vector<RuleGroup> groupFindingsByRule(const Report& report) {
    std::vector<RuleGroup> groups;
    std::unordered_map<std::string_view, size_t> byId;
    groups.reserve(report.rules.size());
    for (const RuleInfo& rule : report.rules) {
        // A duplicate rule id is the loader's error to report; here the first one wins.
        if (byId.emplace(rule.id, groups.size()).second) groups.push_back({rule, true, {}});
    }
    for (size_t i = 0; i < report.findings.size(); ++i) {
        const Finding& finding = report.findings[i];
        auto [it, inserted] = byId.emplace(finding.ruleId, groups.size());
        if (inserted) {
            RuleInfo rule;
            rule.id = finding.ruleId;
            rule.severity = finding.severity;
            rule.message = finding.message;
            rule.help = finding.help;
            groups.push_back({std::move(rule), false, {}});
        }
        groups[it->second].findings.push_back(i);
    }
    // Sort by key, never by pointer or insertion order of an unordered container.
    std::stable_sort(groups.begin(), groups.end(), [](const RuleGroup& a, const RuleGroup& b) {
        return std::make_tuple(static_cast<int>(b.rule.severity), std::string_view(a.rule.id)) <
               std::make_tuple(static_cast<int>(a.rule.severity), std::string_view(b.rule.id));
    });
    for (RuleGroup& group : groups) {
        std::stable_sort(group.findings.begin(), group.findings.end(), [&](size_t a, size_t b) {
            const Finding& x = report.findings[a];
            const Finding& y = report.findings[b];
            return std::tie(x.path, x.offender, x.fingerprint, x.message) <
                   std::tie(y.path, y.offender, y.fingerprint, y.message);
        });
    }
    return groups;
}

std::string formatSize(uint64_t bytes) {
    static constexpr const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    if (bytes < 1024) return std::to_string(bytes) + " B";
    double value = static_cast<double>(bytes) / 1024.0;
    size_t unit = 0;
    while (value >= 1024.0 && unit + 1 < std::size(units)) {
        value /= 1024.0;
        ++unit;
    }
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.1f %s", value, units[unit]);
    return buffer;
}

std::string describeSize(uint64_t bytes) {
    if (bytes < 1024) return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
    return formatSize(bytes) + " (" + std::to_string(bytes) + " bytes)";
}

std::string countNoun(size_t count, std::string_view singular, std::string_view plural) {
    std::string result = std::to_string(count);
    result += ' ';
    result += count == 1 ? singular : plural;
    return result;
}

} // namespace purist::reports
