#include "rules/spec_checks.h"

#include "base/byte_size.h"

#include "base/error.h"
#include "base/yaml_document.h"
#include "rules/rule_loader.h"

#include <set>

namespace purist::rules {

namespace {

SourceLocation at(const std::string& file, const YAML::Node& node) {
    return yamlLocation(file, node);
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

// The name of a store path: its base name without the 32-character hash and the dash.
std::string nameOf(const std::string& path) {
    std::string base = path.substr(path.rfind('/') + 1);
    return base.size() > 33 ? base.substr(33) : base;
}

const char* const kCheckList = "allowedReferences, allowedRequisites, disallowedReferences, "
                               "disallowedRequisites, maxSize, maxClosureSize";

class Translator {
public:
    explicit Translator(const SpecCheckContext& context) : c_(context) {
        for (const auto& [name, path] : c_.outputs) {
            outputNames_ += (outputNames_.empty() ? "" : ", ") + name;
            reachablePaths_.insert(path);
            reachableNames_.insert(nameOf(path));
        }
        if (c_.dependable)
            for (const auto& path : *c_.dependable) {
                reachablePaths_.insert(path);
                reachableNames_.insert(nameOf(path));
            }
    }

    // One check of a `checks:` (outputName empty) or `outputChecks.NAME` mapping.
    Rule translate(const std::string& key, const YAML::Node& keyNode, const YAML::Node& value,
                   const std::string& outputName, bool ignoreSelfRefs) {
        const std::string& file = c_.sourceFile;
        const std::string where =
            outputName.empty() ? "checks." : "outputChecks." + outputName + ".";
        Rule rule;
        rule.id = "spec/" + c_.specName + "/" + (outputName.empty() ? "" : where) + key;
        rule.severity = Severity::Error;
        rule.location = at(file, keyNode);
        for (const auto& [name, path] : c_.outputs)
            if (outputName.empty() || name == outputName)
                rule.match.paths.push_back(
                    compilePattern("^" + re2::RE2::QuoteMeta(path) + "$", rule.location));
        rule.help = "declared in the checks: of " + file;
        if (key == "disallowedRequisites" || key == "disallowedReferences" ||
            key == "allowedRequisites" || key == "allowedReferences") {
            bool transitive = key.ends_with("Requisites");
            // Nix: references include the path's reference to itself; requisites the path
            // itself unless ignoreSelfRefs.
            bool includeSelf = !transitive || !ignoreSelfRefs;
            PathSet set = referenceList(value, where + key);
            std::string verb = transitive ? "{path} depends on {offender}, which "
                                          : "{path} refers to {offender}, which ";
            if (key.starts_with("disallowed")) {
                rule.check = ForbidCheck{transitive, std::move(set), includeSelf};
                rule.message = verb + key + " forbids";
            } else {
                // An empty list is meaningful: nothing at all (not even the path itself).
                rule.check = AllowOnlyCheck{transitive, std::move(set), includeSelf};
                rule.message = verb + key + " does not list";
            }
        } else if (key == "maxSize" || key == "maxClosureSize") {
            if (!value.IsScalar()) fail(file, value, where + key + " must be a size");
            ScalarType type = resolveScalarType(value);
            if (type != ScalarType::Int && type != ScalarType::String)
                fail(file, value, where + key + " must be a size such as 50MiB");
            std::string error;
            auto size = parseByteSize(value.Scalar(), error);
            if (!size) fail(file, value, where + key + ": " + error);
            bool closure = key == "maxClosureSize";
            rule.check =
                LimitCheck{closure ? LimitCheck::Kind::ClosureSize : LimitCheck::Kind::Size, *size};
            rule.message =
                closure ? "{path} has a closure of {size} bytes, above maxClosureSize {limit}"
                        : "{path} is {size} bytes, above maxSize {limit}";
        } else {
            fail(file, keyNode,
                 "unknown check '" + key + "'; expected one of: " + kCheckList +
                     (outputName.empty() ? ", outputChecks" : ", ignoreSelfRefs"));
        }
        return rule;
    }

private:
    PathSet referenceList(const YAML::Node& node, const std::string& what) {
        const std::string& file = c_.sourceFile;
        if (!node.IsSequence()) fail(file, node, what + " must be a list");
        PathSet set;
        for (const auto& item : node) {
            if (!item.IsScalar() || resolveScalarType(item) != ScalarType::String)
                fail(file, item, what + " entries must be strings");
            const std::string& entry = item.Scalar();
            if (entry.empty()) fail(file, item, what + " entry must not be empty");
            if (const std::string* output = outputPath(entry)) {
                set.paths.push_back(*output);
            } else if (entry.front() == '/') {
                if (c_.dependable && !reachablePaths_.count(entry))
                    fail(file, item,
                         what + " entry '" + entry +
                             "' is neither an output of this spec nor in its input closure, so "
                             "it can match nothing");
                set.paths.push_back(entry);
            } else if (endsWith(entry, ".yaml") || endsWith(entry, ".yml")) {
                if (!c_.resolve)
                    fail(file, item,
                         what + " names spec '" + entry +
                             "', but no build graph is available to resolve it");
                bool any = false;
                for (auto& p : c_.resolve(entry, at(file, item))) {
                    any |= reachablePaths_.count(p) > 0;
                    set.paths.push_back(std::move(p));
                }
                if (c_.dependable && !any)
                    fail(file, item,
                         what + " entry '" + entry +
                             "': no output of that spec is in this spec's input closure, so it "
                             "can match nothing");
            } else {
                if (c_.dependable && !reachableNames_.count(entry))
                    fail(file, item,
                         what + " entry '" + entry + "' is not an output of this spec (" +
                             outputNames_ +
                             "), a store path, a spec file, nor the name of any path in its "
                             "input closure, so it can match nothing");
                set.names.push_back(
                    compilePattern("^" + re2::RE2::QuoteMeta(entry) + "$", at(file, item)));
            }
        }
        return set;
    }

    const std::string* outputPath(const std::string& entry) const {
        for (const auto& [name, path] : c_.outputs)
            if (name == entry) return &path;
        return nullptr;
    }

    const SpecCheckContext& c_;
    std::string outputNames_;
    std::set<std::string> reachablePaths_, reachableNames_;
};

} // namespace

std::vector<Rule> rulesFromSpecChecks(const YAML::Node& checks, const SpecCheckContext& context) {
    std::vector<Rule> rules;
    if (!checks.IsDefined() || checks.IsNull()) return rules;
    const std::string& file = context.sourceFile;
    if (!checks.IsMap()) fail(file, checks, "checks must be a mapping");
    Translator translator(context);
    for (auto it = checks.begin(); it != checks.end(); ++it) {
        const std::string key = it->first.Scalar();
        if (key != "outputChecks") {
            // Nix's derivation-wide checks ignore the path itself among its requisites.
            rules.push_back(translator.translate(key, it->first, it->second, "", true));
            continue;
        }
        const YAML::Node perOutput = it->second;
        if (!perOutput.IsMap())
            fail(file, perOutput, "outputChecks must be a mapping {output: {check: value}}");
        for (auto out = perOutput.begin(); out != perOutput.end(); ++out) {
            const std::string name = out->first.Scalar();
            bool known = false;
            std::string names;
            for (const auto& [outputName, path] : context.outputs) {
                known |= outputName == name;
                names += (names.empty() ? "" : ", ") + outputName;
            }
            if (!known)
                fail(file, out->first,
                     "outputChecks names '" + name + "', which is not an output of this spec (" +
                         names + ")");
            const YAML::Node body = out->second;
            if (!body.IsMap())
                fail(file, body, "outputChecks." + name + " must be a mapping of checks");
            // Nix's outputChecks count the path among its own requisites unless told not to.
            bool ignoreSelfRefs = false;
            if (YAML::Node flag = body["ignoreSelfRefs"]) {
                if (!flag.IsScalar() || resolveScalarType(flag) != ScalarType::Bool)
                    fail(file, flag,
                         "outputChecks." + name + ".ignoreSelfRefs must be true or false");
                ignoreSelfRefs = flag.as<bool>();
            }
            for (auto check = body.begin(); check != body.end(); ++check) {
                if (check->first.Scalar() == "ignoreSelfRefs") continue;
                rules.push_back(translator.translate(check->first.Scalar(), check->first,
                                                     check->second, name, ignoreSelfRefs));
            }
        }
    }
    return rules;
}

} // namespace purist::rules
