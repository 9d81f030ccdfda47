#pragma once
// The store database, with Nix's schema (ValidPaths, Refs, DerivationOutputs and their
// indices), so the same queries run on purist's own store and, read-only, on a Nix store.

#include "store/hash.h"
#include "store/ref_graph.h"
#include "store/sqlite.h"
#include "store/store_path.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace purist {

/// What the DB knows of one valid path.
struct ValidPathInfo {
    StorePath path;
    /// Written as `sha256:<base32>` (Hash::toNixString); Nix 2.8 writes `sha256:<hex>`.
    /// Both read back, and Nix reads both.
    Hash narHash{HashAlgorithm::Sha256};
    uint64_t narSize = 0;
    int64_t registrationTime = 0; ///< seconds since the epoch; 0 means "now" on register
    std::optional<StorePath> deriver{};
    StorePathSet references{}; ///< may include the path itself
    std::string ca{};          ///< content address (`fixed:r:sha256:...`), or empty
    bool ultimate = false;     ///< built locally rather than substituted
    std::string sigs{};        ///< space-separated signatures, as Nix stores them
};

/// Owns one connection to a store DB. Not thread-safe: use one StoreDb per thread (several
/// connections, in this process or others, may use the same DB at once). Movable.
class StoreDb {
public:
    /// Opens the DB at `dbPath` for a store whose (logical) dir is `storeDir`. ReadWrite
    /// creates the schema if missing and sets WAL, synchronous=NORMAL and a busy timeout.
    /// ReadOnly opens an existing DB (a Nix store's) without writing anything.
    StoreDb(const std::string& dbPath, StoreDir storeDir,
            Database::Mode mode = Database::Mode::ReadWrite);
    StoreDb(StoreDb&&) noexcept;
    StoreDb& operator=(StoreDb&&) = delete;
    ~StoreDb();

    const StoreDir& storeDir() const { return storeDir_; }
    Database& database() { return *db_; }

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

    /// The paths reachable from `roots` through references, roots included. Throws
    /// StoreError naming a root that is not valid. An indexed walk for small closures, a
    /// scan of Refs and a walk in memory for big ones (store_db.cc says why). Both run in
    /// one read transaction, so the result is a consistent snapshot.
    StorePathSet queryClosure(const StorePathSet& roots);
    /// The paths from which any of `roots` is reachable, roots included. Throws StoreError
    /// naming a root that is not valid.
    StorePathSet queryReferrersClosure(const StorePathSet& roots);

    /// Registers `infos` and their references in one transaction: all become valid or
    /// none does. References must be valid already or be in the batch. Registering a
    /// path that is already valid updates its row. Throws StoreError and changes nothing
    /// on any failure.
    void registerValidPaths(const std::vector<ValidPathInfo>& infos);

    /// Loads the whole reference graph in two scans (one of ValidPaths, one of Refs), in
    /// one read transaction, so it is a consistent snapshot. Nodes are in base-name order.
    RefGraph loadGraph();

    /// Checkpoints the WAL on purist's schedule: registration calls it after every batch
    /// that left the WAL at or past kCheckpointPages pages (SQLite's own automatic
    /// checkpoint, inside whichever commit crosses 1000 pages, is off). First PASSIVE, which
    /// copies what it can without waiting; if readers of older snapshots kept part of the
    /// WAL, RESTART, which waits up to kRestartWait for them to finish, so the next commit
    /// writes the WAL from its start and truncates it to kJournalSizeLimit. So beside any
    /// number of purist's own readers (short read transactions) the WAL file stays within
    /// kJournalSizeLimit during a burst of small batches; only one batch larger than that,
    /// or a foreign reader holding a transaction open, makes it larger. A no-op in
    /// ReadOnly mode. Throws StoreError.
    void checkpoint();
    /// 16 MiB of 4 KiB pages: with the batch that crosses it, still below kJournalSizeLimit.
    static constexpr int kCheckpointPages = 4096;
    /// How long a RESTART checkpoint waits for readers; purist's hold a snapshot for one
    /// short transaction.
    static constexpr std::chrono::milliseconds kRestartWait{2000};
    /// After a checkpoint, the next commit that restarts the WAL truncates the file to
    /// this size (`pragma journal_size_limit`), so one huge batch does not leave a huge WAL.
    static constexpr int64_t kJournalSizeLimit = 32 * 1024 * 1024;
    /// Purist's own schema version, kept in table PuristMeta beside Nix's tables.
    static constexpr int kSchemaVersion = 1;

private:
    struct Statements;
    // Declared in this order so the statements are finalised before the connection closes.
    std::unique_ptr<Database> db_;
    StoreDir storeDir_;
    std::unique_ptr<Statements> stmts_;

    int64_t queryId(const StorePath& path);
    StorePathSet closureQuery(bool referrers, const StorePathSet& roots);
    StorePath parseRow(std::string_view path) const;
};

} // namespace purist
