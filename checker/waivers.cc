#include "checker/waivers.h"

#include "base/error.h"
#include "base/file_descriptor.h"
#include "checker/engine.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <tuple>

namespace purist::checker {

bool applyWaivers(const std::vector<rules::Waiver>& waivers, const std::string& today,
                  std::vector<reports::Finding>& findings) {
    std::vector<reports::Finding> expired;
    for (const auto& waiver : waivers) {
        // Dates are YYYY-MM-DD, so string order is date order.
        if (waiver.expires >= today) {
            for (auto& f : findings)
                if (!f.waiverReason && f.ruleId == waiver.ruleId &&
                    re2::RE2::PartialMatch(f.path, *waiver.path.re))
                    f.waiverReason = waiver.reason;
            continue;
        }
        reports::Finding f;
        f.ruleId = kExpiredWaiverRule;
        f.severity = reports::Severity::Warning;
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

reports::RuleInfo expiredWaiverRuleInfo() {
    return reports::RuleInfo{
        kExpiredWaiverRule,
        reports::Severity::Warning,
        "the waiver of rule '{rule}' for paths matching '{path}' expired",
        "Waivers are temporary by design: each names the day it stops applying.",
        "",
        0};
}

namespace {

const char* const kBaselineShape =
    "expected {\"version\": 2, \"findings\": [{\"fingerprint\": ...}, ...]}, as "
    "--write-baseline writes";

} // namespace

std::set<std::string> readBaseline(const std::string& file) {
    std::string text;
    try {
        text = readFile(file);
    } catch (const SysError& e) {
        throw ConfigError(file, std::string("cannot read baseline: ") + e.what());
    }
    std::set<std::string> fingerprints;
    nlohmann::json json;
    try {
        json = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw ConfigError(file, std::string("baseline is not valid JSON: ") + e.what());
    }
    if (!json.is_object() || !json.contains("version") || !json["version"].is_number_integer())
        throw ConfigError(file, std::string("not a purist baseline (") + kBaselineShape + ")");
    int version = json["version"].get<int>();
    if (version == 1) {
        // purist 0.1's baselines: bare fingerprints that kept versions of names.
        if (!json.contains("fingerprints") || !json["fingerprints"].is_array())
            throw ConfigError(file, "a version-1 baseline needs \"fingerprints\": [...]");
        for (const auto& item : json["fingerprints"]) {
            if (!item.is_string()) throw ConfigError(file, "baseline fingerprints must be strings");
            fingerprints.insert(kLegacyBaselinePrefix + item.get<std::string>());
        }
        return fingerprints;
    }
    if (version != 2)
        throw ConfigError(file, "baseline version " + std::to_string(version) +
                                    " is not one this purist reads (1 or 2)");
    if (!json.contains("findings") || !json["findings"].is_array())
        throw ConfigError(file, std::string("not a purist baseline (") + kBaselineShape + ")");
    size_t index = 0;
    for (const auto& entry : json["findings"]) {
        if (!entry.is_object() || !entry.contains("fingerprint") ||
            !entry["fingerprint"].is_string())
            throw ConfigError(file, "baseline entry " + std::to_string(index) +
                                        " has no \"fingerprint\" string");
        fingerprints.insert(entry["fingerprint"].get<std::string>());
        ++index;
    }
    return fingerprints;
}

bool baselineCovers(const std::set<std::string>& baseline, const reports::Finding& finding) {
    if (baseline.count(finding.fingerprint)) return true;
    // Version-1 entries sort together after every hex fingerprint ('v' > 'f').
    auto legacy = baseline.lower_bound(kLegacyBaselinePrefix);
    if (legacy == baseline.end() || !legacy->starts_with(kLegacyBaselinePrefix)) return false;
    // Fingerprints that had no version to drop (expired waivers, content patterns) are the
    // same in both versions.
    return baseline.count(kLegacyBaselinePrefix + finding.fingerprint) ||
           baseline.count(kLegacyBaselinePrefix +
                          legacyFingerprintOf(finding.ruleId, finding.path, finding.offender));
}

void writeBaseline(const std::string& file, const reports::Report& report) {
    struct Entry {
        std::string rule, path, offender, fingerprint;
        auto key() const { return std::tie(rule, path, offender, fingerprint); }
    };
    std::vector<Entry> entries;
    std::set<std::string> seen;
    for (const auto& f : report.findings)
        if (seen.insert(f.fingerprint).second)
            entries.push_back({f.ruleId, std::string(storePathName(f.path)),
                               std::string(storePathName(f.offender)), f.fingerprint});
    std::sort(entries.begin(), entries.end(),
              [](const Entry& a, const Entry& b) { return a.key() < b.key(); });
    std::string text = "{\n  \"version\": 2,\n  \"findings\": [";
    bool first = true;
    for (const Entry& e : entries) {
        nlohmann::ordered_json line = {{"fingerprint", e.fingerprint},
                                       {"rule", e.rule},
                                       {"path", e.path},
                                       {"offender", e.offender}};
        text += (first ? "\n    " : ",\n    ") +
                line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        first = false;
    }
    text += entries.empty() ? "]\n}\n" : "\n  ]\n}\n";
    writeFile(file, text);
}

} // namespace purist::checker
