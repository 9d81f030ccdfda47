#include "rules/spec_checks.h"

#include "base/error.h"
#include "base/yaml_reader.h"
#include "rules/rule_loader.h"

#include <set>

namespace purist::rules {

namespace {

bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The name of a store path: its base name without the 32-character hash and the dash.
std::string nameOf(const std::string& path) {
    std::string base = path.substr(path.rfind('/') + 1);
    return base.size() > 33 ? base.substr(33) : base;
}

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
        rule.location = yamlLocation(file, keyNode);
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
        } else {
            bool closure = key == "maxClosureSize";
            rule.check =
                LimitCheck{closure ? LimitCheck::Kind::ClosureSize : LimitCheck::Kind::Size,
                           yamlByteSize(file, value, where + key)};
            rule.message =
                closure ? "{path} has a closure of {size} bytes, above maxClosureSize {limit}"
                        : "{path} is {size} bytes, above maxSize {limit}";
        }
        return rule;
    }

private:
    PathSet referenceList(const YAML::Node& node, const std::string& what) {
        const std::string& file = c_.sourceFile;
        std::vector<std::string> entries = yamlStringList(file, node, what);
        PathSet set;
        size_t i = 0;
        for (const auto& item : node) {
            const std::string& entry = entries[i++];
            if (entry.empty()) throw yamlError(file, item, what + " entry must not be empty");
            if (const std::string* output = outputPath(entry)) {
                set.paths.push_back(*output);
            } else if (entry.front() == '/') {
                if (c_.dependable && !reachablePaths_.count(entry))
                    throw yamlError(
                        file, item,
                        what + " entry '" + entry +
                            "' is neither an output of this spec nor in its input closure, so "
                            "it can match nothing");
                set.paths.push_back(entry);
            } else if (endsWith(entry, ".yaml") || endsWith(entry, ".yml")) {
                if (!c_.resolve)
                    throw yamlError(file, item,
                                    what + " names spec '" + entry +
                                        "', but no build graph is available to resolve it");
                bool any = false;
                for (auto& p : c_.resolve(entry, yamlLocation(file, item))) {
                    any |= reachablePaths_.count(p) > 0;
                    set.paths.push_back(std::move(p));
                }
                if (c_.dependable && !any)
                    throw yamlError(
                        file, item,
                        what + " entry '" + entry +
                            "': no output of that spec is in this spec's input closure, so it "
                            "can match nothing");
            } else {
                if (c_.dependable && !reachableNames_.count(entry))
                    throw yamlError(
                        file, item,
                        what + " entry '" + entry + "' is not an output of this spec (" +
                            outputNames_ +
                            "), a store path, a spec file, nor the name of any path in its "
                            "input closure, so it can match nothing");
                set.names.push_back(compilePattern("^" + re2::RE2::QuoteMeta(entry) + "$",
                                                   yamlLocation(file, item)));
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

/// specCheckNames() and `key`: the keys of a mapping that holds checks and one more.
std::vector<std::string> checkNamesAnd(const std::string& key) {
    std::vector<std::string> keys = specCheckNames();
    keys.push_back(key);
    return keys;
}

} // namespace

const std::vector<std::string>& specCheckNames() {
    static const std::vector<std::string> names = {
        "allowedReferences",    "allowedRequisites", "disallowedReferences",
        "disallowedRequisites", "maxSize",           "maxClosureSize",
    };
    return names;
}

const std::vector<std::string>& specChecksKeys() {
    static const std::vector<std::string> keys = checkNamesAnd("outputChecks");
    return keys;
}

const std::vector<std::string>& outputChecksKeys() {
    static const std::vector<std::string> keys = checkNamesAnd("ignoreSelfRefs");
    return keys;
}

std::vector<Rule> rulesFromSpecChecks(const YAML::Node& checks, const SpecCheckContext& context) {
    std::vector<Rule> rules;
    if (!checks.IsDefined() || checks.IsNull()) return rules;
    const std::string& file = context.sourceFile;
    Translator translator(context);
    for (const YamlEntry& check : yamlMapping(file, checks, "checks", specChecksKeys())) {
        if (check.key != "outputChecks") {
            // Nix's derivation-wide checks ignore the path itself among its requisites.
            rules.push_back(translator.translate(check.key, check.keyNode, check.value, "", true));
            continue;
        }
        for (const YamlEntry& output : yamlOpenMapping(file, check.value, "outputChecks")) {
            const std::string& name = output.key;
            bool known = false;
            std::string names;
            for (const auto& [outputName, path] : context.outputs) {
                known |= outputName == name;
                names += (names.empty() ? "" : ", ") + outputName;
            }
            if (!known)
                throw yamlError(file, output.keyNode,
                                "outputChecks names '" + name +
                                    "', which is not an output of this spec (" + names + ")");
            std::string where = "outputChecks." + name;
            std::vector<YamlEntry> body =
                yamlMapping(file, output.value, where, outputChecksKeys());
            // Nix's outputChecks count the path among its own requisites unless told not to.
            bool ignoreSelfRefs = false;
            for (const YamlEntry& entry : body)
                if (entry.key == "ignoreSelfRefs")
                    ignoreSelfRefs = yamlBool(file, entry.value, where + ".ignoreSelfRefs");
            for (const YamlEntry& entry : body)
                if (entry.key != "ignoreSelfRefs")
                    rules.push_back(translator.translate(entry.key, entry.keyNode, entry.value,
                                                         name, ignoreSelfRefs));
        }
    }
    return rules;
}

} // namespace purist::rules
