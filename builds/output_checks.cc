#include "builds/output_checks.h"

#include "base/error.h"
#include "checker/engine.h"
#include "reports/reporters.h"

#include <map>
#include <sstream>

namespace purist::builds {

namespace {

// The reference graph of the batch and its input closure only: loading the whole store's
// would cost a scan of every path for each build that has checks.
RefGraph closureGraph(LocalStore& store, const std::vector<ScannedPath>& scanned,
                      const StorePathSet& inputClosure) {
    std::map<StorePath, const ValidPathInfo*> infos; // base-name order, as RefGraph wants
    std::vector<ValidPathInfo> valid;
    valid.reserve(inputClosure.size());
    for (const StorePath& path : inputClosure)
        valid.push_back(store.db().queryInfo(path));
    for (const ValidPathInfo& info : valid)
        infos.emplace(info.path, &info);
    for (const ScannedPath& s : scanned)
        infos.emplace(s.info.path, &s.info);

    RefGraph graph;
    graph.paths.reserve(infos.size());
    for (const auto& [path, info] : infos) {
        graph.paths.push_back(path);
        graph.narSizes.push_back(info->narSize);
    }
    graph.refStart.push_back(0);
    for (const auto& [path, info] : infos) {
        for (const StorePath& reference : info->references) {
            int64_t node = graph.find(reference);
            if (node < 0)
                throw StoreError(store.storeDir().print(path) + " refers to " +
                                 store.storeDir().print(reference) +
                                 ", which is neither a new output nor in the build's input "
                                 "closure");
            graph.refs.push_back(static_cast<uint32_t>(node));
        }
        graph.refStart.push_back(static_cast<uint32_t>(graph.refs.size()));
    }
    return graph;
}

} // namespace

reports::Report checkNewPaths(LocalStore& store, const rules::Policy& policy,
                              const std::vector<NewPath>& paths,
                              const std::vector<ScannedPath>& scanned,
                              const StorePathSet& inputClosure) {
    RefGraph graph = closureGraph(store, scanned, inputClosure);
    checker::StoreView view{store.layout().storeDir, store.layout().realStoreDir, &graph, {}};
    std::vector<uint32_t> nodes;
    for (const NewPath& path : paths) {
        view.locations[path.path.baseName()] = path.location;
        nodes.push_back(static_cast<uint32_t>(graph.find(path.path)));
    }
    checker::Checker checker(policy, view);
    checker::CheckOptions options;
    options.closures = false;
    return checker.check(nodes, options);
}

std::string describeFailedChecks(const std::string& specName, const reports::Report& report,
                                 const std::string& indent) {
    std::ostringstream text;
    reports::writeReport(report, reports::ReportFormat::Text, text);
    std::string message =
        "outputs of '" + specName + "' fail their checks, so none is registered (as Nix does):";
    std::string body = text.str();
    for (size_t start = 0; start < body.size();) {
        size_t end = body.find('\n', start);
        if (end == std::string::npos) end = body.size();
        message += "\n";
        if (end > start) message += indent + body.substr(start, end - start);
        start = end + 1;
    }
    return message;
}

} // namespace purist::builds
