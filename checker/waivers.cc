#include "checker/waivers.h"

#include "base/error.h"
#include "base/file_descriptor.h"
#include "checker/engine.h"

#include <nlohmann/json.hpp>

namespace purist::checker {

bool applyWaivers(const std::vector<rules::Waiver>& waivers, const std::string& today,
                  std::vector<Finding>& findings) {
    std::vector<Finding> expired;
    for (const auto& waiver : waivers) {
        // Dates are YYYY-MM-DD, so string order is date order.
        if (waiver.expires >= today) {
            for (auto& f : findings)
                if (!f.waiverReason && f.ruleId == waiver.ruleId &&
                    re2::RE2::PartialMatch(f.path, *waiver.path.re))
                    f.waiverReason = waiver.reason;
            continue;
        }
        Finding f;
        f.ruleId = kExpiredWaiverRule;
        f.severity = Severity::Warning;
        f.path = waiver.location.file;
        f.offender = waiver.ruleId + " " + waiver.path.source;
        f.message = "the waiver of rule '" + waiver.ruleId + "' for paths matching '" +
                    waiver.path.source + "' expired on " + waiver.expires +
                    " (reason given: " + waiver.reason +
                    "); fix what it covered, or renew it with a new date";
        f.help = "Waivers are temporary by design: each names the day it stops applying.";
        f.source = waiver.location;
        f.fingerprint =
            fingerprintOf(f.ruleId, waiver.ruleId, waiver.path.source + " " + waiver.expires);
        expired.push_back(std::move(f));
    }
    bool any = !expired.empty();
    for (auto& f : expired)
        findings.push_back(std::move(f));
    return any;
}

RuleInfo expiredWaiverRuleInfo() {
    return RuleInfo{kExpiredWaiverRule,
                    Severity::Warning,
                    "the waiver of rule '{rule}' for paths matching '{path}' expired",
                    "Waivers are temporary by design: each names the day it stops applying.",
                    "",
                    0};
}

std::set<std::string> readBaseline(const std::string& file) {
    std::string text;
    try {
        text = readFile(file);
    } catch (const SysError& e) {
        throw ConfigError(file, std::string("cannot read baseline: ") + e.what());
    }
    std::set<std::string> fingerprints;
    try {
        auto json = nlohmann::json::parse(text);
        if (!json.is_object() || json.value("version", 0) != 1 || !json.contains("fingerprints") ||
            !json["fingerprints"].is_array())
            throw ConfigError(
                file, "not a purist baseline (expected {\"version\": 1, \"fingerprints\": [...]})");
        for (const auto& item : json["fingerprints"]) {
            if (!item.is_string()) throw ConfigError(file, "baseline fingerprints must be strings");
            fingerprints.insert(item.get<std::string>());
        }
    } catch (const nlohmann::json::exception& e) {
        throw ConfigError(file, std::string("baseline is not valid JSON: ") + e.what());
    }
    return fingerprints;
}

void writeBaseline(const std::string& file, const Report& report) {
    std::set<std::string> fingerprints;
    for (const auto& f : report.findings)
        fingerprints.insert(f.fingerprint);
    std::string text = "{\n  \"version\": 1,\n  \"fingerprints\": [";
    bool first = true;
    for (const auto& fp : fingerprints) {
        text += (first ? "\n    " : ",\n    ") + nlohmann::json(fp).dump();
        first = false;
    }
    text += fingerprints.empty() ? "]\n}\n" : "\n  ]\n}\n";
    writeFile(file, text);
}

} // namespace purist::checker
