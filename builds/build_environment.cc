#include "builds/build_environment.h"

#include "base/error.h"

#include <chrono>

namespace purist::builds {

StorePathSet inputPaths(const BuildGraph& graph, size_t node) {
    const BuildNode& n = graph.nodes()[node];
    StorePathSet paths(n.storeInputs.begin(), n.storeInputs.end());
    for (size_t input : n.inputNodes)
        for (const auto& [output, path] : graph.nodes()[input].outputs)
            paths.insert(path);
    return paths;
}

std::map<std::string, std::string> builderEnvironment(const BuildGraph& graph, size_t node,
                                                      const StoreDir& storeDir,
                                                      const std::string& buildTop) {
    const BuildNode& n = graph.nodes()[node];
    const BuildSpec& spec = n.spec;
    std::map<std::string, std::string> env = spec.env;
    if (!env.count("PATH")) env["PATH"] = "/path-not-set";
    for (const char* var : {"NIX_BUILD_TOP", "TMPDIR", "TEMPDIR", "TMP", "TEMP", "PWD"})
        env[var] = buildTop;
    env["HOME"] = "/homeless-shelter";
    env["NIX_STORE"] = storeDir.dir();
    env["name"] = spec.name;
    env["builder"] = spec.builder;
    std::string inputs;
    for (const StorePath& path : inputPaths(graph, node))
        inputs += (inputs.empty() ? "" : " ") + storeDir.print(path);
    env["PURIST_INPUTS"] = inputs;
    std::string outputNames;
    for (const auto& [output, path] : n.outputs) {
        env[output] = storeDir.print(path);
        outputNames += (outputNames.empty() ? "" : " ") + output;
    }
    env["outputs"] = outputNames;
    for (const auto& [var, path] : n.sourcePaths)
        env[var] = storeDir.print(path);
    size_t specInput = 0;
    for (const auto& input : spec.inputs) {
        if (!input.specFile.empty()) {
            const BuildNode& dep = graph.nodes()[n.inputNodes.at(specInput++)];
            for (const auto& [output, path] : dep.outputs)
                env[output == "out" ? input.variable : input.variable + "_" + output] =
                    storeDir.print(path);
        } else if (!input.variable.empty()) {
            env[input.variable] = input.storePath;
        }
    }
    return env;
}

// Store paths are mounted by name relative to the real store dir (sandbox::BindMount's
// fromStore), so no symlink a build left in the store is followed on the host.
BuildMounts buildMounts(LocalStore& store, const std::vector<policy::SandboxPath>& sandboxPaths,
                        const StorePathSet& inputClosure) {
    const StoreLayout& layout = store.layout();
    BuildMounts result;
    StorePathSet mounted = inputClosure;
    for (const auto& entry : sandboxPaths) {
        sandbox::BindMount mount{entry.source, entry.target, true, entry.optional};
        bool inAStore = false, valid = false;
        for (const std::string& dir : {layout.storeDir, layout.realStoreDir}) {
            StoreDir inStore(dir);
            if (!inStore.isInStore(entry.source)) continue;
            inAStore = true;
            auto [path, subpath] = inStore.parseWithSubpath(entry.source);
            store.addTempRoots({path});
            valid = store.db().isValid(path);
            if (!valid) break;
            StorePathSet closure = store.db().queryClosure({path});
            mounted.insert(closure.begin(), closure.end());
            mount.source = path.baseName() + (subpath.empty() ? "" : "/" + subpath);
            mount.fromStore = true;
            break;
        }
        // An invalid store path may be a half-written leftover: never mounted.
        if (inAStore && !valid) {
            if (entry.optional) continue;
            throw BuildError("sandbox-paths entry " + entry.source +
                             " names a store path that is not valid");
        }
        if (!mount.fromStore) result.hostPathMounted = true;
        result.mounts.push_back(std::move(mount));
    }
    for (const StorePath& path : mounted)
        result.mounts.push_back({path.baseName(), store.storeDir().print(path), true, false, true});
    return result;
}

sandbox::SandboxConfig sandboxConfig(const LocalStore& store, const BuildGraph& graph, size_t node,
                                     const BuildPlacement& placement,
                                     const policy::Settings& settings,
                                     std::vector<sandbox::BindMount> mounts) {
    const BuildNode& n = graph.nodes()[node];
    const BuildSpec& spec = n.spec;
    const StoreLayout& layout = store.layout();
    sandbox::SandboxConfig config;
    config.isolate = placement.isolated;
    config.builder = spec.builder;
    config.args = spec.args;
    config.storeDir = store.storeDir().dir();
    config.hostNetwork = spec.fixedOutput.has_value();
    config.allowedSyscalls = settings.sandboxAllowSyscalls;
    config.timeout = std::chrono::seconds(settings.timeout);
    config.maxSilentTime = std::chrono::seconds(settings.maxSilentTime);
    config.maxMemory = settings.maxMemory.bytes;
    config.maxProcesses = settings.maxProcesses;
    config.maxLogSize = settings.maxLogSize;
    config.buildDirSize = settings.buildDirSize.bytes;
    config.buildDirOnHost = placement.buildDirOnHost;
    config.realStoreDir = layout.realStoreDir;
    config.mounts = std::move(mounts);
    config.buildDir = placement.buildDir;
    if (placement.isolated) {
        config.sandboxRoot = placement.sandboxRoot;
        config.outputDir = placement.outputDir;
    }
    config.env = builderEnvironment(graph, node, store.storeDir(),
                                    placement.isolated ? "/build" : config.buildDir);
    config.logPath = layout.logsDir() + "/" + n.outputs.front().second.baseName() + ".log";
    return config;
}

} // namespace purist::builds
