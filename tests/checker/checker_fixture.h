#pragma once
// A small real store for checker tests: paths made with LocalStore::registerNewPaths, so
// their references are found by scanning their files, as after a build.

#include "base/temp_dir.h"
#include "checker/engine.h"
#include "rules/rule_loader.h"
#include "store/local_store.h"
#include "tests/support/test_support.h"

#include <map>
#include <memory>
#include <string>

namespace purist::checker::testing {

class SmallStore {
public:
    SmallStore() : store_(std::make_unique<LocalStore>(StoreLayout::atRoot(dir_.path()))) {}

    LocalStore& store() { return *store_; }
    std::string print(const StorePath& path) const { return store_->storeDir().print(path); }

    /// The path `name` will get; call before writing contents that refer to it.
    StorePath pathFor(const std::string& name) {
        return store_->storeDir().makeOutputPath(
            "out", hashString(HashAlgorithm::Sha256, name + std::to_string(counter_++)), name);
    }

    /// Writes `files` (relative path → contents; "" for a single-file path) and registers
    /// `path`, with every valid path as a reference candidate.
    void add(const StorePath& path, const std::map<std::string, std::string>& files) {
        std::string location = dir_.path() + "/tmp/" + path.baseName();
        for (const auto& [file, contents] : files)
            purist::testing::makeFile(file.empty() ? location : location + "/" + file, contents,
                                      file.find("bin/") == 0 ? 0755 : 0644);
        auto all = store_->db().queryAllValidPaths();
        store_->registerNewPaths({NewPath{path, location, std::nullopt, ""}},
                                 StorePathSet(all.begin(), all.end()));
    }

    /// Checks `paths` against the policy in `yaml`.
    reports::Report check(const std::string& yaml, const std::vector<StorePath>& paths,
                          const CheckOptions& options = {}) {
        policy_ = rules::loadPolicyString(yaml, "policy.yaml");
        rules::validateWaivers(policy_);
        graph_ = store_->db().loadGraph();
        Checker checker(
            policy_, StoreView{store_->layout().storeDir, store_->layout().realStoreDir, &graph_});
        std::vector<uint32_t> nodes;
        for (const auto& p : paths)
            nodes.push_back(static_cast<uint32_t>(graph_.find(p)));
        return checker.check(nodes, options);
    }

    const RefGraph& graph() const { return graph_; }
    StoreView view() const {
        return {store_->layout().storeDir, store_->layout().realStoreDir, &graph_};
    }
    void loadGraph() { graph_ = store_->db().loadGraph(); }

private:
    TempDir dir_;
    std::unique_ptr<LocalStore> store_;
    rules::Policy policy_;
    RefGraph graph_;
    int counter_ = 0;
};

} // namespace purist::checker::testing
