#include "store/store_db.h"

#include "base/error.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <thread>
#include <unordered_set>

namespace purist {

namespace {

// registerValidPaths switches foreign keys off from this many paths on (see there).
constexpr size_t kForeignKeysOffBatch = 256;

// Nix's schema.sql, verbatim, so the DB is one Nix can open and `.schema` shows no
// difference. The Refs table keeps its redundant IndexReferrer for the same reason.
constexpr std::string_view kNixSchema = R"(
create table if not exists ValidPaths (
    id               integer primary key autoincrement not null,
    path             text unique not null,
    hash             text not null,
    registrationTime integer not null,
    deriver          text,
    narSize          integer,
    ultimate         integer, -- null implies "false"
    sigs             text, -- space-separated
    ca               text -- if not null, an assertion that the path is content-addressed; see ValidPathInfo
);

create table if not exists Refs (
    referrer  integer not null,
    reference integer not null,
    primary key (referrer, reference),
    foreign key (referrer) references ValidPaths(id) on delete cascade,
    foreign key (reference) references ValidPaths(id) on delete restrict
);

create index if not exists IndexReferrer on Refs(referrer);
create index if not exists IndexReference on Refs(reference);

create trigger if not exists DeleteSelfRefs before delete on ValidPaths
  begin
    delete from Refs where referrer = old.id and reference = old.id;
  end;

create table if not exists DerivationOutputs (
    drv  integer not null,
    id   text not null, -- symbolic output id, usually "out"
    path text not null,
    primary key (drv, id),
    foreign key (drv) references ValidPaths(id) on delete cascade
);

create index if not exists IndexDerivationOutputs on DerivationOutputs(path);
)";

// purist's own metadata, in a table Nix does not know and ignores.
constexpr std::string_view kPuristSchema = R"(
create table if not exists PuristMeta (
    key   text primary key not null,
    value text not null
);
)";

// Closures are computed in one of two ways, chosen per query; measured on the synthetic
// 100,000-path store of bench/store_db_bench.cc (docs/PERFORMANCE.md, "Store DB"):
//  - a walk that touches only the closure's rows: one prepared statement per visited
//    path (`select reference from Refs where referrer = ?`), a few microseconds a path;
//  - a walk in memory after one sequential scan of Refs, about 0.1 us a row whatever the
//    closure (about 40 ms of CPU for 300,000 references), plus a scan of the path index.
// Every query starts with the first, with a budget of kSqlWalkLimit rows; a closure that
// exhausts it is recomputed with the second. So a small closure costs microseconds and a
// big one the price of the scans. A recursive CTE was measured as the first way too: it
// is no faster per path, and it cannot stop part-way through one node's rows, so even
// with LIMIT the referrers-closure of glibc (60,000 referrers) cost 90 ms before the
// limit applied. Without a limit it took 4 to 6 times the hybrid's time for a 73,000-path
// closure.
constexpr int64_t kSqlWalkLimit = 4096;

// References are inserted this many rows per statement: one statement step per row was a
// third of the time of registering 300,000 references.
constexpr int kRefsPerInsert = 64;

// Read-only connections read the DB file through a memory map rather than pread:
// measured, it halves the CPU time of a full scan of Refs. 256 MiB covers a store of about
// a million paths; beyond that SQLite reads the rest as usual. Writers do not map it:
// registration measured slower with the map.
constexpr int64_t kMmapSize = 256 * 1024 * 1024;

// A read transaction around several statements, so they see one snapshot; a no-op inside
// a transaction that is already open.
class ReadSnapshot {
public:
    explicit ReadSnapshot(Database& db) : db_(db) {
        if (sqlite3_get_autocommit(db_.handle())) {
            db_.exec("begin");
            active_ = true;
        }
    }
    ReadSnapshot(const ReadSnapshot&) = delete;
    ReadSnapshot& operator=(const ReadSnapshot&) = delete;
    ~ReadSnapshot() {
        if (!active_) return;
        // A walk that threw part-way (a corrupt row) leaves its statement mid-scan, and a
        // statement mid-scan keeps the read transaction, and with it the WAL, pinned for
        // as long as the connection lives: reset them all first.
        for (sqlite3_stmt* s = sqlite3_next_stmt(db_.handle(), nullptr); s;
             s = sqlite3_next_stmt(db_.handle(), s))
            if (sqlite3_stmt_busy(s)) sqlite3_reset(s);
        // Ending a read-only transaction cannot fail in a way that loses anything.
        sqlite3_exec(db_.handle(), "commit", nullptr, nullptr, nullptr);
    }

private:
    Database& db_;
    bool active_ = false;
};

int walHook(void* frames, sqlite3*, const char*, int pages) {
    *static_cast<int*>(frames) = pages;
    return SQLITE_OK;
}

} // namespace

struct StoreDb::Statements {
    explicit Statements(Database& db)
        : queryId(db, "select id from ValidPaths where path = ?"),
          queryInfo(db, "select id, hash, registrationTime, deriver, narSize, ultimate, sigs, ca "
                        "from ValidPaths where path = ?"),
          queryReferencesById(db, "select ValidPaths.path from Refs join ValidPaths on "
                                  "Refs.reference = ValidPaths.id where Refs.referrer = ?"),
          queryReferrers(db, "select ValidPaths.path from Refs join ValidPaths on "
                             "Refs.referrer = ValidPaths.id where Refs.reference = "
                             "(select id from ValidPaths where path = ?)"),
          queryAllPaths(db, "select path from ValidPaths"),
          queryPathFromHashPart(db, "select path from ValidPaths where path >= ? limit 1"),
          queryReferenceIds(db, "select reference from Refs where referrer = ?"),
          queryReferrerIds(db, "select referrer from Refs where reference = ?"),
          queryPathById(db, "select path from ValidPaths where id = ?"),
          queryMaxId(db, "select max(id) from ValidPaths"),
          scanRefs(db, "select referrer, reference from Refs"),
          scanPathsByName(db, "select id, path from ValidPaths order by path"),
          scanSizes(db, "select id, narSize from ValidPaths") {}

    Statement queryId;
    Statement queryInfo;
    Statement queryReferencesById;
    Statement queryReferrers;
    Statement queryAllPaths;
    Statement queryPathFromHashPart;
    Statement queryReferenceIds;
    Statement queryReferrerIds;
    Statement queryPathById;
    Statement queryMaxId;
    Statement scanRefs;
    // Both are plain scans: the first reads the unique index on path, which holds the id
    // too, so it comes sorted at no cost; the second reads the table.
    Statement scanPathsByName;
    Statement scanSizes;

    // Writers, prepared on first registration (a ReadOnly DB never needs them).
    struct Writers {
        explicit Writers(Database& db)
            : insertPath(db, "insert into ValidPaths (path, hash, registrationTime, deriver, "
                             "narSize, ultimate, sigs, ca) values (?, ?, ?, ?, ?, ?, ?, ?) "
                             "on conflict (path) do nothing"),
              updatePath(db, "update ValidPaths set hash = ?, registrationTime = ?, deriver = ?, "
                             "narSize = ?, ultimate = ?, sigs = ?, ca = ? where id = ?"),
              deleteRefs(db, "delete from Refs where referrer = ?"),
              insertRef(db, "insert into Refs (referrer, reference) values (?, ?)"),
              insertRefs(db, multiRowInsert()) {}
        // `or ignore` never fires (every pair is new) but spares SQLite the statement
        // journal that a multi-row insert which might abort half-way needs.
        static std::string multiRowInsert() {
            std::string sql = "insert or ignore into Refs (referrer, reference) values (?, ?)";
            for (int r = 1; r < kRefsPerInsert; ++r)
                sql += ", (?, ?)";
            return sql;
        }
        Statement insertPath;
        Statement updatePath;
        Statement deleteRefs;
        Statement insertRef;
        Statement insertRefs; // kRefsPerInsert rows at once
    };
    std::unique_ptr<Writers> writers;

    // Pages in the WAL after the last commit, as SQLite's WAL hook reports them. On the
    // heap with the statements so the hook's pointer survives a move of the StoreDb.
    int walPages = 0;
    // After a RESTART checkpoint that timed out: the WAL size, in pages, at which to try
    // the next one.
    int nextRestartAt = 0;
};

namespace {

// Switching a new database to WAL takes an exclusive lock, and SQLite answers SQLITE_BUSY
// at once, without its busy handler, when another connection holds a lock on the file at
// that moment: several purist processes opening a fresh store together (builds and adds
// started in parallel) failed with "database is locked" within 0.1 s. The switch is
// retried within the busy timeout, and skipped once another process has made it (the mode
// is recorded in the file).
void enableWal(Database& db) {
    using Clock = std::chrono::steady_clock;
    auto deadline = Clock::now() + db.busyTimeout();
    auto pause = std::chrono::milliseconds(1);
    for (;;) {
        int rc = sqlite3_exec(db.handle(), "pragma journal_mode = wal", nullptr, nullptr, nullptr);
        if (rc == SQLITE_OK) return;
        if ((rc & 0xff) != SQLITE_BUSY || Clock::now() >= deadline)
            db.fail(rc, "running 'pragma journal_mode = wal'");
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }
}

// The edges of a Refs scan, kept in memory (a statement is read once), for compressedRows.
auto listing(const std::vector<std::pair<uint32_t, uint32_t>>& edges) {
    return [&edges](auto&& add) {
        for (auto [from, to] : edges)
            add(from, to);
    };
}

} // namespace

StoreDb::StoreDb(const std::string& dbPath, StoreDir storeDir, Database::Mode mode)
    : db_(std::make_unique<Database>(dbPath, mode)), storeDir_(std::move(storeDir)) {
    Database& db = *db_;
    if (mode == Database::Mode::ReadWrite) {
        enableWal(db);
        db.exec("pragma synchronous = normal");
        db.exec("pragma foreign_keys = on");
        db.exec("pragma journal_size_limit = " + std::to_string(kJournalSizeLimit));
        // Registration touches the unique path index at random places; 64 MiB of page
        // cache keeps a 100,000-path store's indices in memory for the whole batch, so
        // pages are not spilled to the WAL mid-transaction. Allocated only as used.
        db.exec("pragma cache_size = -65536");
        {
            Transaction txn(db);
            db.exec(kNixSchema);
            db.exec(kPuristSchema);
            Statement version(db, "select value from PuristMeta where key = 'schema-version'");
            if (version.step()) {
                std::string found = version.columnText(0);
                version.reset();
                if (found != std::to_string(kSchemaVersion))
                    throw StoreError("store database '" + dbPath + "' has purist schema version " +
                                     found + "; this purist knows version " +
                                     std::to_string(kSchemaVersion));
            } else {
                db.exec("insert into PuristMeta (key, value) values ('schema-version', '" +
                        std::to_string(kSchemaVersion) + "')");
            }
            txn.commit();
        }
    } else {
        Statement hasTable(db, "select 1 from sqlite_master where type = 'table' and "
                               "name = 'ValidPaths'");
        if (!hasTable.step())
            throw StoreError("'" + dbPath +
                             "' is not a store database (it has no ValidPaths table)");
        hasTable.reset();
    }
    if (mode == Database::Mode::ReadOnly)
        db.exec("pragma mmap_size = " + std::to_string(kMmapSize));
    stmts_ = std::make_unique<Statements>(db);
    if (mode == Database::Mode::ReadWrite)
        sqlite3_wal_hook(db.handle(), walHook, &stmts_->walPages);
}

StoreDb::StoreDb(StoreDb&&) noexcept = default;
StoreDb::~StoreDb() = default;

StorePath StoreDb::parseRow(std::string_view path) const {
    try {
        return storeDir_.parse(path);
    } catch (const FormatError& e) {
        throw FormatError("store database '" + db_->path() + "' holds a path that is not in " +
                          storeDir_.dir() + ": " + e.what());
    }
}

int64_t StoreDb::queryId(const StorePath& path) {
    Statement& s = stmts_->queryId;
    s.reset();
    s.bind(1, storeDir_.print(path));
    if (!s.step()) return -1;
    int64_t id = s.columnInt(0);
    s.reset();
    return id;
}

bool StoreDb::isValid(const StorePath& path) {
    return queryId(path) >= 0;
}

std::optional<ValidPathInfo> StoreDb::tryQueryInfo(const StorePath& path) {
    Statement& s = stmts_->queryInfo;
    s.reset();
    s.bind(1, storeDir_.print(path));
    if (!s.step()) return std::nullopt;
    ValidPathInfo info{.path = path};
    int64_t id = s.columnInt(0);
    std::string hash = s.columnText(1);
    info.registrationTime = s.columnInt(2);
    std::optional<std::string> deriver;
    if (!s.columnIsNull(3)) deriver = s.columnText(3);
    info.narSize = static_cast<uint64_t>(s.columnInt(4));
    info.ultimate = s.columnInt(5) != 0;
    info.sigs = s.columnText(6);
    info.ca = s.columnText(7);
    s.reset();
    try {
        info.narHash = Hash::parse(hash);
    } catch (const FormatError& e) {
        throw FormatError("store database '" + db_->path() + "': bad hash of " +
                          storeDir_.print(path) + ": " + e.what());
    }
    if (deriver) info.deriver = parseRow(*deriver);

    Statement& refs = stmts_->queryReferencesById;
    refs.reset();
    refs.bind(1, id);
    while (refs.step())
        info.references.insert(parseRow(refs.columnTextView(0)));
    return info;
}

ValidPathInfo StoreDb::queryInfo(const StorePath& path) {
    auto info = tryQueryInfo(path);
    if (!info) throw StoreError("path '" + storeDir_.print(path) + "' is not valid");
    return std::move(*info);
}

StorePathSet StoreDb::queryReferences(const StorePath& path) {
    int64_t id = queryId(path);
    if (id < 0) throw StoreError("path '" + storeDir_.print(path) + "' is not valid");
    StorePathSet result;
    Statement& s = stmts_->queryReferencesById;
    s.reset();
    s.bind(1, id);
    while (s.step())
        result.insert(parseRow(s.columnTextView(0)));
    return result;
}

StorePathSet StoreDb::queryReferrers(const StorePath& path) {
    if (!isValid(path)) throw StoreError("path '" + storeDir_.print(path) + "' is not valid");
    StorePathSet result;
    Statement& s = stmts_->queryReferrers;
    s.reset();
    s.bind(1, storeDir_.print(path));
    while (s.step())
        result.insert(parseRow(s.columnTextView(0)));
    return result;
}

std::vector<StorePath> StoreDb::queryAllValidPaths() {
    std::vector<StorePath> result;
    Statement& s = stmts_->queryAllPaths;
    s.reset();
    while (s.step())
        result.push_back(parseRow(s.columnTextView(0)));
    std::sort(result.begin(), result.end());
    return result;
}

std::optional<StorePath> StoreDb::queryPathFromHashPart(std::string_view hashPart) {
    std::string prefix = storeDir_.dir() + "/" + std::string(hashPart);
    Statement& s = stmts_->queryPathFromHashPart;
    s.reset();
    s.bind(1, prefix);
    if (!s.step()) return std::nullopt;
    std::string found = s.columnText(0);
    s.reset();
    // A hash part is followed by '-'; anything else is a longer or different hash.
    if (found.size() <= prefix.size() || found.compare(0, prefix.size(), prefix) != 0 ||
        found[prefix.size()] != '-')
        return std::nullopt;
    return parseRow(found);
}

StorePathSet StoreDb::closureQuery(bool referrers, const StorePathSet& roots) {
    if (roots.empty()) return {};
    ReadSnapshot snapshot(*db_);
    std::vector<int64_t> rootIds;
    for (const StorePath& root : roots) {
        int64_t id = queryId(root);
        if (id < 0) throw StoreError("path '" + storeDir_.print(root) + "' is not valid");
        rootIds.push_back(id);
    }

    // The walk in SQL, within its budget of rows.
    {
        Statement& next = referrers ? stmts_->queryReferrerIds : stmts_->queryReferenceIds;
        std::vector<int64_t> queue;
        std::unordered_set<int64_t> seen;
        for (int64_t id : rootIds)
            if (seen.insert(id).second) queue.push_back(id);
        int64_t budget = kSqlWalkLimit;
        for (size_t i = 0; i < queue.size() && budget > 0; ++i) {
            next.reset();
            next.bind(1, queue[i]);
            while (next.step()) {
                if (--budget == 0) {
                    next.reset();
                    break;
                }
                int64_t id = next.columnInt(0);
                if (seen.insert(id).second) queue.push_back(id);
            }
        }
        if (budget > 0) {
            std::vector<StorePath> paths;
            paths.reserve(queue.size());
            Statement& pathOf = stmts_->queryPathById;
            for (int64_t id : queue) {
                pathOf.reset();
                pathOf.bind(1, id);
                if (!pathOf.step())
                    throw FormatError("store database '" + db_->path() + "': Refs names id " +
                                      std::to_string(id) + ", which is not in ValidPaths");
                paths.push_back(parseRow(pathOf.columnTextView(0)));
                pathOf.reset();
            }
            // Sorted first, the set is built in linear time.
            std::sort(paths.begin(), paths.end());
            return StorePathSet(std::make_move_iterator(paths.begin()),
                                std::make_move_iterator(paths.end()));
        }
    }

    // A big closure: scan Refs into memory, walk there, then scan the path index.
    Statement& maxIdQuery = stmts_->queryMaxId;
    maxIdQuery.reset();
    maxIdQuery.step();
    const auto maxId = static_cast<size_t>(maxIdQuery.columnInt(0));
    maxIdQuery.reset();
    std::vector<std::pair<uint32_t, uint32_t>> edges;
    Statement& refs = stmts_->scanRefs;
    refs.reset();
    while (refs.step()) {
        auto referrer = static_cast<uint64_t>(refs.columnInt(0));
        auto reference = static_cast<uint64_t>(refs.columnInt(1));
        if (referrer > maxId || reference > maxId)
            throw FormatError("store database '" + db_->path() + "': Refs row (" +
                              std::to_string(referrer) + ", " + std::to_string(reference) +
                              ") names a path that is not in ValidPaths");
        auto from = static_cast<uint32_t>(referrers ? reference : referrer);
        auto to = static_cast<uint32_t>(referrers ? referrer : reference);
        edges.emplace_back(from, to);
    }
    const CompressedRows rows = compressedRows(maxId + 1, listing(edges));
    std::vector<uint32_t> rootNodes(rootIds.begin(), rootIds.end());
    BreadthFirstWalk walk(maxId + 1);
    walk.run(rows.view(), rootNodes);
    StorePathSet result;
    Statement& scan = stmts_->scanPathsByName;
    scan.reset();
    while (scan.step()) {
        auto id = static_cast<size_t>(scan.columnInt(0));
        if (id <= maxId && walk.visited(static_cast<uint32_t>(id)))
            result.insert(result.end(), parseRow(scan.columnTextView(1)));
    }
    return result;
}

StorePathSet StoreDb::queryClosure(const StorePathSet& roots) {
    return closureQuery(false, roots);
}

StorePathSet StoreDb::queryReferrersClosure(const StorePathSet& roots) {
    return closureQuery(true, roots);
}

void StoreDb::registerValidPaths(const std::vector<ValidPathInfo>& infos) {
    if (db_->mode() == Database::Mode::ReadOnly)
        throw StoreError("store database '" + db_->path() +
                         "' is open read-only; cannot register paths");
    if (!stmts_->writers) stmts_->writers = std::make_unique<Statements::Writers>(*db_);
    Statements::Writers& w = *stmts_->writers;
    const int64_t now = static_cast<int64_t>(time(nullptr));

    // The batch's paths by the first 8 bytes of their hash part: a compact table that a
    // binary search walks without touching the infos themselves (a search over the infos
    // costs a cache miss per probe; measured, it made the references of a 100,000-path
    // batch up to twice as slow). Also finds duplicates before anything is written.
    auto keyOf = [](const StorePath& path) {
        uint64_t key = 0;
        for (char c : path.hashPart().substr(0, 8))
            key = key << 8 | static_cast<uint8_t>(c);
        return key;
    };
    std::vector<std::pair<uint64_t, uint32_t>> byKey(infos.size());
    for (uint32_t i = 0; i < infos.size(); ++i)
        byKey[i] = {keyOf(infos[i].path), i};
    std::sort(byKey.begin(), byKey.end());
    auto batchIndex = [&](const StorePath& path) -> int64_t {
        const uint64_t key = keyOf(path);
        for (auto it = std::lower_bound(byKey.begin(), byKey.end(), std::pair{key, uint32_t{0}});
             it != byKey.end() && it->first == key; ++it)
            if (infos[it->second].path == path) return it->second;
        return -1;
    };
    for (size_t i = 1; i < byKey.size(); ++i)
        for (size_t j = i; j-- > 0 && byKey[j].first == byKey[i].first;)
            if (infos[byKey[j].second].path == infos[byKey[i].second].path)
                throw StoreError("cannot register '" +
                                 storeDir_.print(infos[byKey[i].second].path) +
                                 "': it appears twice in the same batch");

    // Foreign-key enforcement costs two lookups per inserted reference (half the time of a
    // 100,000-path batch). Every id inserted below comes from this transaction's own
    // inserts or from a lookup in it, which is the check the foreign keys make, so they
    // are off for a large batch only. The pragma cannot change inside a transaction, so it
    // is switched around it, and back on whatever happens. Switching it expires every
    // prepared statement, which a small batch (one build's outputs) would then prepare
    // again: more than the lookups it saves, so small batches keep the checks.
    struct ForeignKeysBackOn {
        Database* db = nullptr;
        ~ForeignKeysBackOn() {
            if (db)
                sqlite3_exec(db->handle(), "pragma foreign_keys = on", nullptr, nullptr, nullptr);
        }
    } foreignKeysBackOn;
    if (infos.size() >= kForeignKeysOffBatch) {
        db_->exec("pragma foreign_keys = off");
        foreignKeysBackOn.db = db_.get();
    }

    {
        Transaction txn(*db_);
        std::vector<int64_t> ids(infos.size());
        for (size_t i = 0; i < infos.size(); ++i) {
            const ValidPathInfo& info = infos[i];
            const std::string printed = storeDir_.print(info.path);
            const std::string hash = info.narHash.toNixString();
            const int64_t registrationTime = info.registrationTime ? info.registrationTime : now;
            std::optional<std::string> deriver;
            if (info.deriver) deriver = storeDir_.print(*info.deriver);
            std::optional<std::string> ca;
            if (!info.ca.empty()) ca = info.ca;
            std::optional<std::string> sigs;
            if (!info.sigs.empty()) sigs = info.sigs;
            const auto narSize = static_cast<int64_t>(info.narSize);
            const int64_t ultimate = info.ultimate ? 1 : 0;

            // Insert first: a new path (the common case) then costs one index probe. The
            // texts are bound without a copy; they live until after run().
            w.insertPath.reset();
            w.insertPath.bindStatic(1, printed)
                .bindStatic(2, hash)
                .bind(3, registrationTime)
                .bindStatic(4, deriver)
                .bind(5, narSize)
                .bind(6, ultimate)
                .bindStatic(7, sigs)
                .bindStatic(8, ca)
                .run();
            if (sqlite3_changes(db_->handle()) == 1) {
                ids[i] = db_->lastInsertRowId();
                continue;
            }
            ids[i] = queryId(info.path);
            w.updatePath.reset();
            w.updatePath.bind(1, hash)
                .bind(2, registrationTime)
                .bind(3, deriver)
                .bind(4, narSize)
                .bind(5, ultimate)
                .bind(6, sigs)
                .bind(7, ca)
                .bind(8, ids[i])
                .run();
            // The info's references replace the old ones.
            w.deleteRefs.reset();
            w.deleteRefs.bind(1, ids[i]).run();
        }
        std::vector<std::pair<int64_t, int64_t>> refs;
        for (size_t i = 0; i < infos.size(); ++i) {
            const size_t first = refs.size();
            for (const StorePath& ref : infos[i].references) {
                int64_t refId;
                if (int64_t inBatch = batchIndex(ref); inBatch >= 0) {
                    refId = ids[static_cast<size_t>(inBatch)];
                } else {
                    refId = queryId(ref);
                    if (refId < 0)
                        throw StoreError("cannot register '" + storeDir_.print(infos[i].path) +
                                         "': its reference '" + storeDir_.print(ref) +
                                         "' is neither valid nor in the same batch");
                }
                refs.emplace_back(ids[i], refId);
            }
            // New paths get increasing ids, so with each path's references in id order the
            // table and two of its three indices are appended to, not inserted into.
            std::sort(refs.begin() + static_cast<ptrdiff_t>(first), refs.end());
        }
        // Every pair is new: references are a set, and an updated path's old rows were
        // deleted above.
        size_t next = 0;
        for (; next + kRefsPerInsert <= refs.size(); next += kRefsPerInsert) {
            w.insertRefs.reset();
            for (int r = 0; r < kRefsPerInsert; ++r)
                w.insertRefs.bind(2 * r + 1, refs[next + r].first)
                    .bind(2 * r + 2, refs[next + r].second);
            w.insertRefs.run();
        }
        for (; next < refs.size(); ++next) {
            w.insertRef.reset();
            w.insertRef.bind(1, refs[next].first).bind(2, refs[next].second).run();
        }
        txn.commit();
    }
    if (stmts_->walPages >= kCheckpointPages) checkpoint();
}

RefGraph StoreDb::loadGraph() {
    ReadSnapshot snapshot(*db_);
    Statement& maxIdQuery = stmts_->queryMaxId;
    maxIdQuery.reset();
    maxIdQuery.step();
    const int64_t maxId = maxIdQuery.columnInt(0);
    maxIdQuery.reset();
    // DB ids are dense in practice (deletions leave gaps), so a flat table beats a hash map.
    constexpr uint32_t kNone = UINT32_MAX;
    std::vector<uint32_t> nodeOf(static_cast<size_t>(maxId) + 1, kNone);
    RefGraph graph;
    Statement& paths = stmts_->scanPathsByName;
    paths.reset();
    while (paths.step()) {
        int64_t id = paths.columnInt(0);
        if (id < 0 || id > maxId)
            throw FormatError("store database '" + db_->path() + "': a path has id " +
                              std::to_string(id) + ", beyond the largest id " +
                              std::to_string(maxId));
        nodeOf[static_cast<size_t>(id)] = static_cast<uint32_t>(graph.paths.size());
        graph.paths.push_back(parseRow(paths.columnTextView(1)));
    }
    graph.narSizes.assign(graph.size(), 0);
    Statement& sizes = stmts_->scanSizes;
    sizes.reset();
    while (sizes.step()) {
        int64_t id = sizes.columnInt(0);
        if (id >= 0 && id <= maxId && nodeOf[static_cast<size_t>(id)] != kNone)
            graph.narSizes[nodeOf[static_cast<size_t>(id)]] =
                static_cast<uint64_t>(sizes.columnInt(1));
    }

    std::vector<std::pair<uint32_t, uint32_t>> edges;
    Statement& refs = stmts_->scanRefs;
    refs.reset();
    while (refs.step()) {
        int64_t from = refs.columnInt(0), to = refs.columnInt(1);
        if (from < 0 || to < 0 || from > maxId || to > maxId || nodeOf[from] == kNone ||
            nodeOf[to] == kNone)
            throw FormatError("store database '" + db_->path() + "': Refs row (" +
                              std::to_string(from) + ", " + std::to_string(to) +
                              ") names a path that is not in ValidPaths");
        edges.emplace_back(nodeOf[from], nodeOf[to]);
    }
    CompressedRows rows = compressedRows(graph.size(), listing(edges));
    graph.refStart = std::move(rows.start);
    graph.refs = std::move(rows.targets);
    return graph;
}

void StoreDb::checkpoint() {
    if (db_->mode() == Database::Mode::ReadOnly) return;
    int logPages = 0, copiedPages = 0;
    int rc = sqlite3_wal_checkpoint_v2(db_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &logPages,
                                       &copiedPages);
    if (rc != SQLITE_OK) db_->fail(rc, "checkpointing the WAL");
    stmts_->walPages = 0;
    // Copied in full, the next commit starts the WAL from the beginning, unless a reader
    // still reads an older snapshot of it. Readers that come and go (audit, check, why,
    // each reading in short transactions) are almost always there beside a burst of
    // registrations, so a passive checkpoint alone let the WAL grow past 90 MiB behind them
    // (tests/store/wal_test.cc). RESTART waits, through the busy handler, for the readers
    // of older snapshots to finish, and new readers meanwhile read the DB file, not the WAL.
    // A reader that holds a transaction open for ever (a sqlite3 shell, not purist) would
    // hold every writer for the wait, so the wait is short, and after a failed one the
    // next is tried only once the WAL has grown by another kCheckpointPages.
    if (logPages < kCheckpointPages || logPages < stmts_->nextRestartAt) return;
    const std::chrono::milliseconds usual = db_->busyTimeout();
    db_->setBusyTimeout(kRestartWait);
    rc = sqlite3_wal_checkpoint_v2(db_->handle(), nullptr, SQLITE_CHECKPOINT_RESTART, &logPages,
                                   &copiedPages);
    db_->setBusyTimeout(usual);
    if (rc == SQLITE_OK) {
        stmts_->nextRestartAt = 0;
    } else if ((rc & 0xff) == SQLITE_BUSY) {
        stmts_->nextRestartAt = logPages + kCheckpointPages;
    } else {
        db_->fail(rc, "restarting the WAL");
    }
}

} // namespace purist
