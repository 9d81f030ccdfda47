#include "checker/report.h"

namespace purist::checker {

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

bool reportFails(const Report& report) {
    for (const Finding& finding : report.findings)
        if (!finding.waiverReason && !finding.inBaseline && finding.severity >= report.failOn)
            return true;
    return false;
}

} // namespace purist::checker
