#include "rules/spec_checks.h"

#include "base/error.h"
#include "rules/rule_loader.h"

namespace purist::rules {

namespace {

SourceLocation at(const std::string& file, const YAML::Node& node) {
    const YAML::Mark mark = node.Mark();
    if (mark.line < 0) return {file, 0, 0};
    return {file, mark.line + 1, mark.column + 1};
}

[[noreturn]] void fail(const std::string& file, const YAML::Node& node,
                       const std::string& message) {
    SourceLocation loc = at(file, node);
    throw ConfigError(file, loc.line, loc.column, message);
}

bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

PathSet referenceList(const std::string& file, const YAML::Node& node, const std::string& key,
                      const SpecReferenceResolver& resolve) {
    if (!node.IsSequence()) fail(file, node, "checks." + key + " must be a list");
    PathSet set;
    for (const auto& item : node) {
        if (!item.IsScalar() || resolveScalarType(item) != ScalarType::String)
            fail(file, item, "checks." + key + " entries must be strings");
        const std::string& entry = item.Scalar();
        if (entry.empty()) fail(file, item, "checks." + key + " entry must not be empty");
        if (entry.front() == '/') {
            set.paths.push_back(entry);
        } else if (endsWith(entry, ".yaml") || endsWith(entry, ".yml")) {
            if (!resolve)
                fail(file, item,
                     "checks." + key + " names spec '" + entry +
                         "', but no build graph is available to resolve it");
            for (auto& p : resolve(entry, at(file, item)))
                set.paths.push_back(std::move(p));
        } else {
            set.names.push_back(
                compilePattern("^" + re2::RE2::QuoteMeta(entry) + "$", at(file, item)));
        }
    }
    return set;
}

} // namespace

std::vector<Rule> rulesFromSpecChecks(const YAML::Node& checks, const std::string& sourceFile,
                                      const std::string& specName,
                                      const std::vector<std::string>& outputPaths,
                                      const SpecReferenceResolver& resolve) {
    std::vector<Rule> rules;
    if (!checks.IsDefined() || checks.IsNull()) return rules;
    if (!checks.IsMap()) fail(sourceFile, checks, "checks must be a mapping");
    Selector selector;
    for (const auto& output : outputPaths)
        selector.paths.push_back(
            compilePattern("^" + re2::RE2::QuoteMeta(output) + "$", at(sourceFile, checks)));
    for (auto it = checks.begin(); it != checks.end(); ++it) {
        const std::string key = it->first.Scalar();
        const YAML::Node value = it->second;
        Rule rule;
        rule.id = "spec/" + specName + "/" + key;
        rule.severity = Severity::Error;
        rule.location = at(sourceFile, it->first);
        rule.match = selector;
        rule.help = "declared in the checks: of " + sourceFile;
        if (key == "disallowedRequisites" || key == "disallowedReferences") {
            bool transitive = key == "disallowedRequisites";
            rule.check = ForbidCheck{transitive, referenceList(sourceFile, value, key, resolve)};
            rule.message = transitive ? "{path} depends on {offender}, which " + key + " forbids"
                                      : "{path} refers to {offender}, which " + key + " forbids";
        } else if (key == "allowedRequisites" || key == "allowedReferences") {
            bool transitive = key == "allowedRequisites";
            PathSet allowed;
            if (!value.IsSequence()) fail(sourceFile, value, "checks." + key + " must be a list");
            // An empty list is meaningful: no references at all.
            if (value.size() > 0) allowed = referenceList(sourceFile, value, key, resolve);
            rule.check = AllowOnlyCheck{transitive, std::move(allowed)};
            rule.message = (transitive ? "{path} depends on {offender}, which "
                                       : "{path} refers to {offender}, which ") +
                           key + " does not list";
        } else if (key == "maxSize" || key == "maxClosureSize") {
            if (!value.IsScalar()) fail(sourceFile, value, "checks." + key + " must be a size");
            ScalarType type = resolveScalarType(value);
            if (type != ScalarType::Int && type != ScalarType::String)
                fail(sourceFile, value, "checks." + key + " must be a size such as 50MiB");
            std::string error;
            auto size = parseSize(value.Scalar(), error);
            if (!size) fail(sourceFile, value, "checks." + key + ": " + error);
            bool closure = key == "maxClosureSize";
            rule.check =
                LimitCheck{closure ? LimitCheck::Kind::ClosureSize : LimitCheck::Kind::Size, *size};
            rule.message =
                closure ? "{path} has a closure of {size} bytes, above maxClosureSize {limit}"
                        : "{path} is {size} bytes, above maxSize {limit}";
        } else {
            fail(sourceFile, it->first,
                 "unknown check '" + key +
                     "'; expected one of: allowedReferences, allowedRequisites, "
                     "disallowedReferences, disallowedRequisites, maxSize, maxClosureSize");
        }
        rules.push_back(std::move(rule));
    }
    return rules;
}

} // namespace purist::rules
