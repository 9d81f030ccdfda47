#include "rules/rule_loader.h"

#include "base/error.h"
#include "base/yaml_reader.h"

#include <algorithm>
#include <map>
#include <unordered_map>
#include <unordered_set>

namespace purist::rules {

std::string checkKindName(const Check& check) {
    struct Namer {
        std::string operator()(const ForbidCheck& c) const {
            return c.transitive ? "forbid-requisites" : "forbid-references";
        }
        std::string operator()(const AllowOnlyCheck& c) const {
            return c.transitive ? "allow-only-requisites" : "allow-only-references";
        }
        std::string operator()(const LimitCheck& c) const {
            switch (c.kind) {
            case LimitCheck::Kind::ClosureSize:
                return "max-closure-size";
            case LimitCheck::Kind::ClosurePaths:
                return "max-closure-paths";
            case LimitCheck::Kind::Size:
                return "max-size";
            }
            return "max-size";
        }
        std::string operator()(const ContentCheck&) const { return "forbid-content"; }
        std::string operator()(const PermissionsCheck&) const { return "store-permissions"; }
    };
    return std::visit(Namer{}, check);
}

const std::vector<std::string>& messagePlaceholders() {
    static const std::vector<std::string> names = {"rule",          "path",   "name",  "offender",
                                                   "offender_name", "size",   "limit", "count",
                                                   "file",          "offset", "match"};
    return names;
}

namespace {

Pattern patternFrom(const std::string& file, const YAML::Node& node, const std::string& what) {
    return compilePattern(yamlString(file, node, what), yamlLocation(file, node));
}

std::vector<Pattern> patternList(const std::string& file, const YAML::Node& node,
                                 const std::string& what, bool nonEmpty) {
    // A pattern written twice (an alias repeated a million times) is compiled and matched
    // once: a list means "any of these", and a million copies in one RE2::Set floods
    // stderr with RE2's internal log lines instead of loading.
    std::vector<Pattern> patterns;
    std::unordered_set<std::string> seen;
    std::vector<std::string> sources = yamlStringList(file, node, what, nonEmpty);
    size_t i = 0;
    for (const auto& item : node) {
        std::string& source = sources[i++];
        if (!seen.insert(source).second) continue;
        patterns.push_back(compilePattern(source, yamlLocation(file, item)));
    }
    return patterns;
}

Severity parseSeverity(const std::string& file, const YAML::Node& node) {
    std::string value = yamlString(file, node, "severity");
    if (value == "error") return Severity::Error;
    if (value == "warning") return Severity::Warning;
    if (value == "info") return Severity::Info;
    throw yamlError(file, node, "severity '" + value + "' is not one of: error, warning, info");
}

// The set of a forbid-* or allow-only-* rule, and whether the checked path itself is a
// candidate: Nix's semantics by default (a path's reference to itself is one of its
// references; a path is not counted among its own requisites), `ignore-self-refs` to
// choose. An allow-only set may be empty (`[]` or `{}`): nothing is allowed.
template <typename CheckT>
CheckT parsePathSet(const std::string& file, const YAML::Node& node, const std::string& what,
                    bool transitive) {
    CheckT check;
    check.transitive = transitive;
    check.includeSelf = !transitive;
    constexpr bool allowOnly = std::is_same_v<CheckT, AllowOnlyCheck>;
    PathSet& set = [&]() -> PathSet& {
        if constexpr (allowOnly)
            return check.allowed;
        else
            return check.forbidden;
    }();
    if (allowOnly && node.IsSequence() && node.size() == 0) return check;
    for (const auto& [key, keyNode, value] :
         yamlMapping(file, node, what, {"names", "paths", "ignore-self-refs"})) {
        if (key == "names") set.names = patternList(file, value, what + " names", false);
        if (key == "paths") {
            std::vector<std::string> paths = yamlStringList(file, value, what + " paths");
            size_t i = 0;
            for (const auto& item : value) {
                std::string& p = paths[i++];
                if (p.empty()) throw yamlError(file, item, what + " paths entry must not be empty");
                set.paths.push_back(std::move(p));
            }
        }
        if (key == "ignore-self-refs") check.includeSelf = !yamlBool(file, value, key);
    }
    if (!allowOnly && set.names.empty() && set.paths.empty())
        throw yamlError(file, node, what + " needs at least one entry in 'names' or 'paths'");
    return check;
}

unsigned parseMode(const std::string& file, const YAML::Node& node) {
    // Quoted, so that 1735 is not read as the decimal integer it would be in YAML.
    std::string v = yamlString(file, node, "mode");
    if (v.size() < 3 || v.size() > 4 || v.find_first_not_of("01234567") != std::string::npos)
        throw yamlError(file, node,
                        "mode '" + v + "' must be 3 or 4 octal digits, such as \"1735\"");
    return static_cast<unsigned>(std::stoul(v, nullptr, 8));
}

PermissionsCheck parsePermissions(const std::string& file, const YAML::Node& node) {
    PermissionsCheck check;
    if (node.IsNull()) return check;
    for (const auto& [key, keyNode, value] :
         yamlMapping(file, node, "store-permissions",
                     {"store-dir", "no-world-writable", "no-setuid", "canonical-mtime",
                      "canonical-modes", "owner", "group"})) {
        if (key == "store-dir") {
            for (const auto& [k, kNode, v] :
                 yamlMapping(file, value, "store-dir", {"mode", "owner", "group"})) {
                if (k == "mode") check.storeDirMode = parseMode(file, v);
                if (k == "owner") check.storeDirOwner = yamlString(file, v, "store-dir owner");
                if (k == "group") check.storeDirGroup = yamlString(file, v, "store-dir group");
            }
        }
        if (key == "no-world-writable") check.noWorldWritable = yamlBool(file, value, key);
        if (key == "no-setuid") check.noSetuid = yamlBool(file, value, key);
        if (key == "canonical-mtime") check.canonicalMtime = yamlBool(file, value, key);
        if (key == "canonical-modes") check.canonicalModes = yamlBool(file, value, key);
        if (key == "owner") check.owner = yamlString(file, value, key);
        if (key == "group") check.group = yamlString(file, value, key);
    }
    return check;
}

const std::vector<std::string>& checkKeys() {
    static const std::vector<std::string> keys = {"forbid-requisites",
                                                  "forbid-references",
                                                  "allow-only-requisites",
                                                  "allow-only-references",
                                                  "max-closure-size",
                                                  "max-closure-paths",
                                                  "max-size",
                                                  "forbid-content",
                                                  "store-permissions"};
    return keys;
}

Check parseCheck(const std::string& file, const std::string& key, const YAML::Node& value) {
    if (key == "forbid-requisites") return parsePathSet<ForbidCheck>(file, value, key, true);
    if (key == "forbid-references") return parsePathSet<ForbidCheck>(file, value, key, false);
    if (key == "allow-only-requisites") return parsePathSet<AllowOnlyCheck>(file, value, key, true);
    if (key == "allow-only-references")
        return parsePathSet<AllowOnlyCheck>(file, value, key, false);
    if (key == "max-closure-size")
        return LimitCheck{LimitCheck::Kind::ClosureSize, yamlByteSize(file, value, key)};
    if (key == "max-size")
        return LimitCheck{LimitCheck::Kind::Size, yamlByteSize(file, value, key)};
    if (key == "max-closure-paths")
        return LimitCheck{LimitCheck::Kind::ClosurePaths, yamlCount(file, value, key)};
    if (key == "forbid-content") {
        ContentCheck check;
        bool havePatterns = false;
        for (const auto& [k, kNode, v] :
             yamlMapping(file, value, key, {"patterns", "skip-files"})) {
            if (k == "patterns") {
                check.patterns = patternList(file, v, "forbid-content patterns", true);
                havePatterns = true;
            }
            if (k == "skip-files") check.skipFiles = patternList(file, v, "skip-files", false);
        }
        if (!havePatterns) throw yamlError(file, value, "forbid-content needs 'patterns'");
        return check;
    }
    return parsePermissions(file, value);
}

std::string defaultMessage(const Check& check) {
    struct Wording {
        std::string operator()(const ForbidCheck& c) const {
            return c.transitive ? "{path} depends on forbidden {offender}"
                                : "{path} refers directly to forbidden {offender}";
        }
        std::string operator()(const AllowOnlyCheck& c) const {
            return c.transitive ? "{path} depends on {offender}, which is not allowed"
                                : "{path} refers to {offender}, which is not allowed";
        }
        std::string operator()(const LimitCheck& c) const {
            switch (c.kind) {
            case LimitCheck::Kind::ClosureSize:
                return "{path} has a closure of {size} bytes, above the limit of {limit}";
            case LimitCheck::Kind::ClosurePaths:
                return "{path} has {count} paths in its closure, above the limit of {limit}";
            case LimitCheck::Kind::Size:
                break;
            }
            return "{path} is {size} bytes, above the limit of {limit}";
        }
        std::string operator()(const ContentCheck&) const {
            return "{path} contains '{match}' ({file} at byte {offset})";
        }
        std::string operator()(const PermissionsCheck&) const { return "{path}: {offender}"; }
    };
    return std::visit(Wording{}, check);
}

void validateMessage(const std::string& file, const YAML::Node& node, const std::string& message) {
    static const re2::RE2 placeholder("\\{([A-Za-z0-9_]*)\\}");
    re2::StringPiece input(message);
    std::string name;
    while (re2::RE2::FindAndConsume(&input, placeholder, &name)) {
        const auto& known = messagePlaceholders();
        if (std::find(known.begin(), known.end(), name) == known.end()) {
            std::string list;
            for (const auto& k : known)
                list += (list.empty() ? "{" : ", {") + k + "}";
            throw yamlError(file, node,
                            "unknown placeholder {" + name + "} in message; known: " + list);
        }
    }
}

const std::vector<std::string>& selectorKeys() {
    static const std::vector<std::string> keys = {"names", "paths", "exclude", "outputs",
                                                  "derivations"};
    return keys;
}

Selector parseSelector(const std::string& file, const YAML::Node& node) {
    Selector selector;
    for (const auto& [key, keyNode, value] : yamlMapping(file, node, "match", selectorKeys())) {
        if (key == "names") selector.names = patternList(file, value, "match names", false);
        if (key == "paths") selector.paths = patternList(file, value, "match paths", false);
        if (key == "exclude") selector.exclude = patternList(file, value, "match exclude", false);
        if (key == "outputs") {
            selector.outputs = yamlStringList(file, value, "match outputs");
            static const re2::RE2 outputName("[A-Za-z0-9_+.-]+");
            for (size_t i = 0; i < selector.outputs.size(); ++i)
                if (!re2::RE2::FullMatch(selector.outputs[i], outputName))
                    throw yamlError(file, value[i],
                                    "output name '" + selector.outputs[i] + "' is not valid");
        }
        if (key == "derivations") {
            std::string which = yamlString(file, value, "match derivations");
            if (which == "exclude")
                selector.derivations = DerivationSelection::Exclude;
            else if (which == "include")
                selector.derivations = DerivationSelection::Include;
            else if (which == "only")
                selector.derivations = DerivationSelection::Only;
            else
                throw yamlError(file, value,
                                "match derivations '" + which +
                                    "' is not one of: exclude, include, only");
        }
    }
    return selector;
}

// Dates are compared as strings, so they must be exactly YYYY-MM-DD and a real day.
void validateDate(const std::string& file, const YAML::Node& node, const std::string& date) {
    static const re2::RE2 dateRe("(\\d{4})-(\\d{2})-(\\d{2})");
    int y = 0, m = 0, d = 0;
    if (!re2::RE2::FullMatch(date, dateRe, &y, &m, &d))
        throw yamlError(file, node, "expires '" + date + "' must be a date written YYYY-MM-DD");
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m < 1 || m > 12 || d < 1 || d > days[m - 1] || (m == 2 && d == 29 && !leap))
        throw yamlError(file, node, "expires '" + date + "' is not a day of the calendar");
}

Waiver parseWaiver(const std::string& file, const YAML::Node& node) {
    Waiver waiver;
    waiver.location = yamlLocation(file, node);
    bool haveRule = false, havePath = false, haveReason = false, haveExpires = false;
    for (const auto& [key, keyNode, value] :
         yamlMapping(file, node, "waiver", {"rule", "path", "reason", "expires"})) {
        if (key == "rule") {
            waiver.ruleId = yamlString(file, value, "waiver rule");
            waiver.location = yamlLocation(file, value);
            haveRule = true;
        }
        if (key == "path") {
            waiver.path = patternFrom(file, value, "waiver path");
            havePath = true;
        }
        if (key == "reason") {
            waiver.reason = yamlString(file, value, "waiver reason");
            if (waiver.reason.empty())
                throw yamlError(file, value, "waiver reason must not be empty");
            haveReason = true;
        }
        if (key == "expires") {
            // A plain 2026-12-31 is a string under the YAML 1.2 core schema.
            waiver.expires = yamlString(file, value, "waiver expires");
            validateDate(file, value, waiver.expires);
            haveExpires = true;
        }
    }
    if (!haveRule) throw yamlError(file, node, "waiver needs 'rule'");
    if (!havePath) throw yamlError(file, node, "waiver needs 'path'");
    if (!haveReason) throw yamlError(file, node, "waiver needs 'reason'");
    if (!haveExpires) throw yamlError(file, node, "waiver needs 'expires' (YYYY-MM-DD)");
    return waiver;
}

Policy parsePolicyEntries(const YAML::Node& root, const std::string& file) {
    Policy policy;
    policy.files.push_back(file);
    if (!root.IsDefined() || root.IsNull())
        throw ConfigError(file, "policy file is empty; it needs 'rules:' or 'waivers:'");
    bool any = false;
    for (const auto& [key, keyNode, value] :
         yamlMapping(file, root, "policy file", {"version", "rules", "waivers"})) {
        any = true;
        if (key == "version") {
            if (yamlCount(file, value, "version") != 1)
                throw yamlError(file, value,
                                "version " + value.Scalar() + " is not supported; use 1");
        }
        if (key == "rules") {
            std::map<std::string, SourceLocation> ids;
            for (const auto& item : yamlList(file, value, "rules")) {
                Rule rule = parseRule(item, file);
                if (auto prev = ids.find(rule.id); prev != ids.end())
                    throw ConfigError(file, rule.location.line, rule.location.column,
                                      "duplicate rule id '" + rule.id + "' (first defined at " +
                                          prev->second.describe() + ")");
                ids.emplace(rule.id, rule.location);
                policy.rules.push_back(std::move(rule));
            }
        }
        if (key == "waivers")
            for (const auto& item : yamlList(file, value, "waivers"))
                policy.waivers.push_back(parseWaiver(file, item));
    }
    if (!any) throw yamlError(file, root, "policy file needs 'rules:' or 'waivers:'");
    return policy;
}

/// A conversion yaml-cpp refuses while the document is read is reported where it happened.
Policy parsePolicyDocument(const YAML::Node& root, const std::string& file) {
    try {
        return parsePolicyEntries(root, file);
    } catch (const YAML::Exception& e) {
        throw yamlError(file, e.mark, "bad YAML: " + e.msg);
    }
}

} // namespace

Pattern compilePattern(const std::string& source, const SourceLocation& location) {
    if (source.size() > kMaxPatternBytes)
        throw ConfigError(location.file, location.line, location.column,
                          "pattern too long: " + std::to_string(source.size()) +
                              " bytes, at most " + std::to_string(kMaxPatternBytes));
    re2::RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_shared<const re2::RE2>(source, options);
    if (!re->ok())
        throw ConfigError(location.file, location.line, location.column,
                          "bad RE2 pattern '" + source + "': " + re->error());
    return Pattern{source, std::move(re)};
}

Rule parseRule(const YAML::Node& node, const std::string& file) {
    std::vector<std::string> allowed = {"id", "severity", "message", "help", "match"};
    allowed.insert(allowed.end(), checkKeys().begin(), checkKeys().end());
    Rule rule;
    bool haveId = false, haveMessage = false;
    std::optional<std::pair<std::string, YAML::Node>> checkEntry;
    YAML::Node messageNode;
    for (const auto& [key, keyNode, value] : yamlMapping(file, node, "rule", allowed)) {
        if (key == "id") {
            rule.id = yamlString(file, value, "id");
            rule.location = yamlLocation(file, value);
            static const re2::RE2 idRe("[A-Za-z0-9][A-Za-z0-9._/-]*");
            if (!re2::RE2::FullMatch(rule.id, idRe))
                throw yamlError(file, value,
                                "rule id '" + rule.id +
                                    "' must start with a letter or digit and hold only "
                                    "letters, digits and . _ / -");
            if (rule.id.rfind("purist/", 0) == 0)
                throw yamlError(file, value,
                                "rule ids starting with 'purist/' are reserved for purist");
            haveId = true;
        } else if (key == "severity") {
            rule.severity = parseSeverity(file, value);
        } else if (key == "message") {
            rule.message = yamlString(file, value, "message");
            messageNode = value;
            haveMessage = true;
        } else if (key == "help") {
            rule.help = yamlString(file, value, "help");
        } else if (key == "match") {
            rule.match = parseSelector(file, value);
        } else {
            if (checkEntry) {
                throw yamlError(file, keyNode,
                                "a rule has exactly one check, but this one has both '" +
                                    checkEntry->first + "' and '" + key + "'");
            }
            checkEntry.emplace(key, value);
        }
    }
    if (!haveId) throw yamlError(file, node, "rule needs an 'id'");
    if (!checkEntry) {
        std::string list;
        for (const auto& k : checkKeys())
            list += (list.empty() ? "" : ", ") + k;
        throw yamlError(file, node, "rule '" + rule.id + "' has no check; add one of: " + list);
    }
    rule.check = parseCheck(file, checkEntry->first, checkEntry->second);
    if (haveMessage) {
        validateMessage(file, messageNode, rule.message);
    } else {
        rule.message = defaultMessage(rule.check);
    }
    return rule;
}

Policy loadPolicyString(const std::string& text, const std::string& file) {
    return parsePolicyDocument(parseYamlDocument(text, file), file);
}

Policy loadPolicyFile(const std::string& file) {
    return parsePolicyDocument(loadYamlFile(file), file);
}

void mergePolicy(Policy& policy, Policy more) {
    // An index of the ids, not a scan of the rules per rule: a policy of 200,000 rules must
    // load in linear time (a scan took 59 s for 217,000).
    std::unordered_map<std::string_view, const SourceLocation*> ids;
    ids.reserve(policy.rules.size() + more.rules.size());
    for (const auto& existing : policy.rules)
        ids.emplace(existing.id, &existing.location);
    for (const auto& rule : more.rules) {
        auto [it, added] = ids.emplace(rule.id, &rule.location);
        if (!added)
            throw ConfigError(rule.location.file, rule.location.line, rule.location.column,
                              "duplicate rule id '" + rule.id + "' (first defined at " +
                                  it->second->describe() + ")");
    }
    // Checked before anything moves, so a refused merge leaves `policy` as it was.
    policy.rules.reserve(policy.rules.size() + more.rules.size());
    for (auto& rule : more.rules)
        policy.rules.push_back(std::move(rule));
    for (auto& waiver : more.waivers)
        policy.waivers.push_back(std::move(waiver));
    for (auto& file : more.files)
        policy.files.push_back(std::move(file));
}

void validateWaivers(const Policy& policy) {
    if (policy.waivers.empty()) return;
    std::unordered_set<std::string_view> ids;
    ids.reserve(policy.rules.size());
    for (const auto& rule : policy.rules)
        ids.insert(rule.id);
    for (const auto& waiver : policy.waivers) {
        if (!ids.count(waiver.ruleId))
            throw ConfigError(waiver.location.file, waiver.location.line, waiver.location.column,
                              "waiver names rule '" + waiver.ruleId +
                                  "', which no loaded policy defines");
    }
}

Policy loadPolicy(const std::vector<std::string>& files) {
    Policy policy;
    for (const auto& file : files)
        mergePolicy(policy, loadPolicyFile(file));
    validateWaivers(policy);
    return policy;
}

void addWaiversFile(Policy& policy, const std::string& file) {
    Policy waivers = loadPolicyFile(file);
    if (!waivers.rules.empty())
        throw ConfigError(waivers.rules.front().location.file, waivers.rules.front().location.line,
                          waivers.rules.front().location.column,
                          "a waivers file holds only 'waivers:'; pass rules with --policy");
    // Validate a copy first, so a bad waivers file leaves `policy` as it was.
    Policy merged = policy;
    for (auto& waiver : waivers.waivers)
        merged.waivers.push_back(std::move(waiver));
    merged.files.push_back(file);
    validateWaivers(merged);
    policy = std::move(merged);
}

} // namespace purist::rules
