#include "builds/spec_check_rules.h"

#include "base/error.h"
#include "rules/spec_checks.h"

#include <set>

namespace purist::builds {

namespace {

// What the outputs of a node could refer to besides themselves: every path named here,
// and the closure of those that are valid, found in one query.
class Dependable {
public:
    Dependable(const BuildGraph& graph, StoreDb& db) : graph_(graph), db_(db) {}

    void addInputsOf(size_t node) {
        const BuildNode& n = graph_.nodes()[node];
        for (const auto& path : n.storeInputs)
            add(path);
        for (const auto& [var, path] : n.sourcePaths)
            add(path);
        for (size_t input : n.inputNodes) {
            if (!visitedNodes_.insert(input).second) continue;
            bool built = true;
            for (const auto& [name, path] : graph_.nodes()[input].outputs)
                built &= add(path);
            // Not built yet: its outputs may come to refer to anything it may depend on.
            if (!built) addInputsOf(input);
        }
    }

    std::vector<std::string> paths() {
        const StoreDir& dir = db_.storeDir();
        std::set<std::string> printed;
        for (const StorePath& path : named_)
            printed.insert(dir.print(path));
        if (!valid_.empty())
            for (const StorePath& path : db_.queryClosure(valid_))
                printed.insert(dir.print(path));
        return std::vector<std::string>(printed.begin(), printed.end());
    }

private:
    // Names `path`; returns whether it is valid (its closure then counts too).
    bool add(const StorePath& path) {
        named_.insert(path);
        if (!db_.isValid(path)) return false;
        valid_.insert(path);
        return true;
    }

    const BuildGraph& graph_;
    StoreDb& db_;
    std::set<size_t> visitedNodes_;
    StorePathSet named_, valid_;
};

} // namespace

std::vector<rules::Rule> specCheckRules(const BuildGraph& graph, size_t node, StoreDb& db) {
    const BuildNode& n = graph.nodes()[node];
    if (!n.spec.checks || n.spec.checks.size() == 0) return {};
    const StoreDir& dir = db.storeDir();
    rules::SpecCheckContext context;
    context.sourceFile = n.spec.file;
    context.specName = n.spec.name;
    for (const auto& [name, path] : n.outputs)
        context.outputs.emplace_back(name, dir.print(path));
    context.resolve = [&](const std::string& entry, const rules::SourceLocation& at) {
        auto it = n.spec.checkSpecFiles.find(entry);
        if (it == n.spec.checkSpecFiles.end())
            throw ConfigError(at.file, at.line, at.column,
                              "'" + entry + "' is not a spec file this spec names");
        return graph.outputPathsOf(it->second, dir);
    };
    Dependable dependable(graph, db);
    dependable.addInputsOf(node);
    context.dependable = dependable.paths();
    return rules::rulesFromSpecChecks(*n.spec.checks.node, context);
}

BuiltSpecChecks builtSpecChecks(const std::vector<std::string>& specFiles, LocalStore& store) {
    BuildGraph graph = BuildGraph::load(specFiles);
    const StoreDir& dir = store.storeDir();
    graph.resolve(dir, [&](const std::string& host) { return computeSourcePath(dir, host); });
    BuiltSpecChecks result;
    for (size_t target : graph.targets()) {
        const BuildNode& node = graph.nodes()[target];
        for (const auto& [name, path] : node.outputs) {
            if (!store.db().isValid(path))
                throw UsageError("output '" + name + "' of '" + node.spec.file + "' (" +
                                 dir.print(path) + ") is not built; run purist build first");
            result.outputs.push_back(dir.print(path));
        }
        std::vector<rules::Rule> specRules = specCheckRules(graph, target, store.db());
        if (specRules.empty()) continue;
        for (rules::Rule& rule : specRules)
            result.rules.push_back(std::move(rule));
        result.ruleFiles.push_back(node.spec.file);
    }
    return result;
}

} // namespace purist::builds
