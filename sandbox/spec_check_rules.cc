#include "cli/spec_check_rules.h"

#include "base/error.h"
#include "rules/spec_checks.h"

#include <set>

namespace purist::cli {

namespace {

class Dependable {
public:
    Dependable(const sandbox::BuildGraph& graph, const StoreDir& dir, const RefGraph& refs)
        : graph_(graph), dir_(dir), refs_(refs), seen_(refs.size(), false) {}

    // What the outputs of `node` could refer to besides themselves.
    void addInputsOf(size_t node) {
        const sandbox::BuildNode& n = graph_.nodes()[node];
        for (const auto& path : n.storeInputs)
            addClosure(path);
        for (const auto& [var, path] : n.sourcePaths)
            addClosure(path);
        for (size_t input : n.inputNodes) {
            if (!visitedNodes_.insert(input).second) continue;
            bool built = true;
            for (const auto& [name, path] : graph_.nodes()[input].outputs)
                built &= refs_.find(path) >= 0;
            for (const auto& [name, path] : graph_.nodes()[input].outputs)
                addClosure(path);
            // Not built yet: its outputs may come to refer to anything it may depend on.
            if (!built) addInputsOf(input);
        }
    }

    std::vector<std::string> paths() const {
        return std::vector<std::string>(paths_.begin(), paths_.end());
    }

private:
    // The path, and its closure when the store knows it.
    void addClosure(const StorePath& root) {
        paths_.insert(dir_.print(root));
        int64_t start = refs_.find(root);
        if (start < 0 || seen_[start]) return;
        std::vector<uint32_t> queue{static_cast<uint32_t>(start)};
        seen_[start] = true;
        for (size_t head = 0; head < queue.size(); ++head) {
            uint32_t x = queue[head];
            paths_.insert(dir_.print(refs_.paths[x]));
            for (uint32_t i = refs_.refStart[x]; i < refs_.refStart[x + 1]; ++i)
                if (!seen_[refs_.refs[i]]) {
                    seen_[refs_.refs[i]] = true;
                    queue.push_back(refs_.refs[i]);
                }
        }
    }

    const sandbox::BuildGraph& graph_;
    const StoreDir& dir_;
    const RefGraph& refs_;
    std::vector<bool> seen_;
    std::set<size_t> visitedNodes_;
    std::set<std::string> paths_;
};

} // namespace

std::vector<rules::Rule> specCheckRules(const sandbox::BuildGraph& graph, size_t node,
                                        const StoreDir& dir, const RefGraph& refs) {
    const sandbox::BuildNode& n = graph.nodes()[node];
    if (!n.spec.checks || n.spec.checks.size() == 0) return {};
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
    Dependable dependable(graph, dir, refs);
    dependable.addInputsOf(node);
    context.dependable = dependable.paths();
    return rules::rulesFromSpecChecks(n.spec.checks, context);
}

} // namespace purist::cli
