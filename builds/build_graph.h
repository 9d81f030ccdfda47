#pragma once
// The build graph: specs and their inputs as a DAG, each spec resolved (inputs replaced by
// their output paths, sources by their store paths) and hashed into its output paths.

#include "builds/build_spec.h"
#include "store/store_path.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace purist::builds {

/// One spec in the graph.
struct BuildNode {
    BuildSpec spec;
    /// Nodes this one's spec inputs name, in the spec's order (same order as the spec's
    /// inputs that are spec files).
    std::vector<size_t> inputNodes;
    /// Nodes depending on this one.
    std::vector<size_t> dependants;
    /// true for specs the user asked for and everything they need; false for specs loaded
    /// only because a `checks:` list names them (their outputs are computed, not built).
    bool wanted = false;

    // Filled by BuildGraph::resolve().
    std::map<std::string, StorePath> sourcePaths; ///< by variable
    std::vector<StorePath> storeInputs;           ///< inputs given as store paths
    std::string resolved;                         ///< the canonical text that was hashed
    Hash hash;                                    ///< SHA-256 of `resolved`
    /// Output name → path, in the spec's output order.
    std::vector<std::pair<std::string, StorePath>> outputs;
};

/// A loaded set of specs. Not thread-safe while loading or resolving; read-only after.
class BuildGraph {
public:
    /// Parses `specFiles` and, transitively, the specs they name as inputs or in checks.
    /// Throws ConfigError for any bad spec, and for a dependency cycle with the cycle as a
    /// chain of spec files, positioned at the input entry that closes it.
    static BuildGraph load(const std::vector<std::string>& specFiles);

    /// Computes every node's resolved text, hash and output paths, inputs first.
    /// `sourcePath(hostPath)` gives the store path of a source (LocalStore::addSource in
    /// real builds, a pure computation in tests). Throws ConfigError for an input store
    /// path outside `storeDir`.
    void resolve(const StoreDir& storeDir,
                 const std::function<StorePath(const std::string& hostPath)>& sourcePath);

    const std::vector<BuildNode>& nodes() const { return nodes_; }
    std::vector<BuildNode>& nodes() { return nodes_; }
    /// The nodes of the spec files given to load(), in that order (duplicates removed).
    const std::vector<size_t>& targets() const { return targets_; }
    /// Every node, each after all of its inputs.
    const std::vector<size_t>& topologicalOrder() const { return order_; }
    /// The node of an absolute, normalised spec file path; throws std::out_of_range.
    size_t indexOf(const std::string& specFile) const { return byFile_.at(specFile); }

    /// Output paths of the node for `specFile` printed with `storeDir`, for `checks:`.
    std::vector<std::string> outputPathsOf(const std::string& specFile,
                                           const StoreDir& storeDir) const;

private:
    size_t loadNode(const std::string& file, std::vector<std::pair<size_t, SourceLocation>>& stack);

    std::vector<BuildNode> nodes_;
    std::map<std::string, size_t> byFile_;
    std::vector<size_t> targets_;
    std::vector<size_t> order_;
    std::vector<int> state_; // 0 new, 1 on the DFS stack, 2 done
};

} // namespace purist::builds
