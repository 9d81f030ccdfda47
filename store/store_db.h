#pragma once
// The store database, with Nix's schema (ValidPaths, Refs, DerivationOutputs and their
// indices), so the same queries run on purist's own store and, read-only, on a Nix store.

#include "store/hash.h"
#include "store/sqlite.h"
#include "store/store_path.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace purist {

/// What the DB knows of one valid path.
struct ValidPathInfo {
    StorePath path;
    Hash narHash; ///< stored as `sha256:<base32>`, as Nix does
    uint64_t narSize = 0;
    int64_t registrationTime = 0; ///< seconds since the epoch; 0 means "now" on register
    std::optional<StorePath> deriver;
    StorePathSet references; ///< may include the path itself
    std::string ca;          ///< content address (`fixed:r:sha256:...`), or empty
    bool ultimate = false;   ///< built locally rather than substituted
};

/// A compact in-memory copy of the reference graph, for whole-store work (closure sizes
/// of every path, a policy over every path). Node ids are dense 0..size()-1.
/// Immutable after construction; safe to read from several threads.
struct RefGraph {
    std::vector<StorePath> paths;
    std::vector<uint64_t> narSizes;
    /// CSR adjacency: references of node i are refs[refStart[i] .. refStart[i+1]).
    std::vector<uint32_t> refStart;
    std::vector<uint32_t> refs;

    size_t size() const { return paths.size(); }
    /// Node id of `path`, or -1.
    int64_t find(const StorePath& path) const;
};

/// Owns one connection to a store DB. Not thread-safe: use one StoreDb per thread.
class StoreDb {
public:
    /// Opens the DB at `dbPath` for a store whose (logical) dir is `storeDir`. ReadWrite
    /// creates the schema if missing and sets WAL, synchronous=NORMAL and a busy timeout.
    /// ReadOnly opens an existing DB (a Nix store's) without writing anything.
    StoreDb(const std::string& dbPath, StoreDir storeDir,
            Database::Mode mode = Database::Mode::ReadWrite);

    const StoreDir& storeDir() const { return storeDir_; }
    Database& database() { return db_; }

    bool isValid(const StorePath& path);
    /// Throws StoreError naming the path if it is not valid.
    ValidPathInfo queryInfo(const StorePath& path);
    std::optional<ValidPathInfo> tryQueryInfo(const StorePath& path);
    StorePathSet queryReferences(const StorePath& path);
    StorePathSet queryReferrers(const StorePath& path);
    /// Every valid path, in base-name order.
    std::vector<StorePath> queryAllValidPaths();
    /// The valid path whose hash part is `hashPart`, if any.
    std::optional<StorePath> queryPathFromHashPart(std::string_view hashPart);

    /// The paths reachable from `roots` through references, roots included.
    StorePathSet queryClosure(const StorePathSet& roots);
    /// The paths from which any of `roots` is reachable, roots included.
    StorePathSet queryReferrersClosure(const StorePathSet& roots);

    /// Registers `infos` and their references in one transaction: all become valid or
    /// none does. References must be valid already or be in the batch. Registering a
    /// path that is already valid updates its row. Throws StoreError and changes nothing
    /// on any failure.
    void registerValidPaths(const std::vector<ValidPathInfo>& infos);

    /// Loads the whole reference graph in two scans.
    RefGraph loadGraph();

    /// Runs a passive WAL checkpoint. Registration calls it after every batch that grew
    /// the WAL past kCheckpointPages, so the WAL never grows with the store.
    void checkpoint();
    static constexpr int kCheckpointPages = 8192;

private:
    Database db_;
    StoreDir storeDir_;
};

} // namespace purist
