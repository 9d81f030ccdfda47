#include "builds/build_graph.h"

#include "base/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include <unistd.h>

namespace purist::builds {

size_t BuildGraph::loadNode(const std::string& file,
                            std::vector<std::pair<size_t, SourceLocation>>& stack) {
    auto found = byFile_.find(file);
    if (found != byFile_.end()) return found->second;

    size_t index = nodes_.size();
    BuildNode node;
    node.spec = parseBuildSpec(file);
    nodes_.push_back(std::move(node));
    byFile_[file] = index;
    state_.push_back(1);

    // Copy: loading inputs grows nodes_ and invalidates references into it.
    std::vector<SpecInput> inputs = nodes_[index].spec.inputs;
    for (const auto& input : inputs) {
        if (input.specFile.empty()) continue;
        auto existing = byFile_.find(input.specFile);
        if (existing != byFile_.end() && state_[existing->second] == 1) {
            std::string chain;
            bool inCycle = false;
            for (const auto& [node, position] : stack) {
                inCycle = inCycle || node == existing->second;
                if (inCycle) chain += nodes_[node].spec.file + " -> ";
            }
            chain += nodes_[index].spec.file + " -> " + input.specFile;
            const SourceLocation& at = input.position;
            throw ConfigError(at.file, at.line, at.column, "dependency cycle: " + chain);
        }
        stack.emplace_back(index, input.position);
        size_t child = loadNode(input.specFile, stack);
        stack.pop_back();
        nodes_[index].inputNodes.push_back(child);
        nodes_[child].dependants.push_back(index);
    }
    state_[index] = 2;
    order_.push_back(index);
    return index;
}

BuildGraph BuildGraph::load(const std::vector<std::string>& specFiles) {
    BuildGraph graph;
    char cwd[4096];
    if (!::getcwd(cwd, sizeof cwd)) throw SysError("getcwd");
    std::vector<std::pair<size_t, SourceLocation>> stack;
    for (const auto& file : specFiles) {
        size_t index = graph.loadNode(normalisePath(file, cwd), stack);
        if (std::find(graph.targets_.begin(), graph.targets_.end(), index) == graph.targets_.end())
            graph.targets_.push_back(index);
    }
    // What the targets need is wanted; specs named only by checks are not built.
    std::vector<size_t> work = graph.targets_;
    while (!work.empty()) {
        size_t index = work.back();
        work.pop_back();
        if (graph.nodes_[index].wanted) continue;
        graph.nodes_[index].wanted = true;
        for (size_t input : graph.nodes_[index].inputNodes)
            work.push_back(input);
    }
    // Specs named in checks, and their inputs, so their output paths can be computed.
    for (size_t i = 0; i < graph.nodes_.size(); ++i) {
        std::map<std::string, std::string> named = graph.nodes_[i].spec.checkSpecFiles;
        for (const auto& [written, file] : named)
            graph.loadNode(file, stack);
    }
    return graph;
}

void BuildGraph::resolve(const StoreDir& storeDir,
                         const std::function<StorePath(const std::string&)>& sourcePath) {
    for (size_t index : order_) {
        BuildNode& node = nodes_[index];
        const BuildSpec& spec = node.spec;
        nlohmann::json text;
        text["version"] = "purist-build-1";
        text["name"] = spec.name;
        text["builder"] = spec.builder;
        text["args"] = spec.args;
        text["env"] = spec.env;
        text["outputs"] = spec.outputs;
        text["noSandbox"] = spec.noSandbox;
        if (spec.fixedOutput)
            text["fixedOutput"] = {{"hash", spec.fixedOutput->hash.toSri()},
                                   {"mode", spec.fixedOutput->mode == FileIngestionMethod::Flat
                                                ? "flat"
                                                : "recursive"}};

        node.sourcePaths.clear();
        nlohmann::json sources = nlohmann::json::object();
        for (const auto& [var, hostPath] : spec.sources) {
            StorePath path = sourcePath(hostPath);
            node.sourcePaths.emplace(var, path);
            sources[var] = storeDir.print(path);
        }
        text["sources"] = sources;

        node.storeInputs.clear();
        nlohmann::json inputs = nlohmann::json::array();
        size_t specInput = 0;
        for (const auto& input : spec.inputs) {
            nlohmann::json entry = {{"var", input.variable}};
            if (input.specFile.empty()) {
                try {
                    node.storeInputs.push_back(storeDir.parse(input.storePath));
                } catch (const FormatError& e) {
                    const SourceLocation& at = input.position;
                    throw ConfigError(at.file, at.line, at.column,
                                      "input " + input.storePath + " is not a store path in " +
                                          storeDir.dir() + ": " + e.what());
                }
                entry["path"] = input.storePath;
            } else {
                const BuildNode& dep = nodes_[node.inputNodes.at(specInput++)];
                nlohmann::json outputs = nlohmann::json::object();
                for (const auto& [name, path] : dep.outputs)
                    outputs[name] = storeDir.print(path);
                entry["outputs"] = outputs;
            }
            inputs.push_back(entry);
        }
        text["inputs"] = inputs;

        // checks: are not hashed: they judge the outputs and never change them, so editing a
        // check must not force a rebuild.
        node.resolved = text.dump();
        node.hash = hashString(HashAlgorithm::Sha256, node.resolved);
        node.outputs.clear();
        if (spec.fixedOutput) {
            node.outputs.emplace_back("out", storeDir.makeFixedOutputPath(spec.fixedOutput->mode,
                                                                          spec.fixedOutput->hash,
                                                                          spec.name));
        } else {
            for (const auto& output : spec.outputs)
                node.outputs.emplace_back(output,
                                          storeDir.makeOutputPath(output, node.hash, spec.name));
        }
    }
}

std::vector<std::string> BuildGraph::outputPathsOf(const std::string& specFile,
                                                   const StoreDir& storeDir) const {
    std::vector<std::string> paths;
    for (const auto& [name, path] : nodes_[indexOf(specFile)].outputs)
        paths.push_back(storeDir.print(path));
    return paths;
}

} // namespace purist::builds
