#include "store/store_db.h"

#include "base/error.h"

#include <sqlite3.h>

#include <algorithm>
#include <ctime>
#include <unordered_map>

namespace purist {

namespace {

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

// The closure walks run inside SQLite as recursive CTEs. Measured on the synthetic
// 100,000-path store of bench/store_db_bench.cc (see docs/PERFORMANCE.md, "Store DB"), the
// CTE beats a breadth-first walk in C++ that runs one prepared `select reference from Refs
// where referrer = ?` per node, because each of those pays a statement reset, bind and
// step on top of the same index lookup; and it beats loading the whole graph
// (loadGraph + an in-memory walk) for a single query, which reads every row of Refs even
// when the closure is small. `union` (not `union all`) keeps each id once, which is also
// what makes cycles terminate. The roots come in as a JSON array of ids.
constexpr std::string_view kClosureSql = R"(
with recursive closure(id) as (
    select value from json_each(?1)
    union
    select Refs.reference from Refs join closure on Refs.referrer = closure.id)
select ValidPaths.path from closure join ValidPaths on ValidPaths.id = closure.id)";

constexpr std::string_view kReferrersClosureSql = R"(
with recursive closure(id) as (
    select value from json_each(?1)
    union
    select Refs.referrer from Refs join closure on Refs.reference = closure.id)
select ValidPaths.path from closure join ValidPaths on ValidPaths.id = closure.id)";

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
          queryClosure(db, kClosureSql), queryReferrersClosure(db, kReferrersClosureSql) {}

    Statement queryId;
    Statement queryInfo;
    Statement queryReferencesById;
    Statement queryReferrers;
    Statement queryAllPaths;
    Statement queryPathFromHashPart;
    Statement queryClosure;
    Statement queryReferrersClosure;

    // Writers, prepared on first registration (a ReadOnly DB never needs them).
    struct Writers {
        explicit Writers(Database& db)
            : insertPath(db, "insert into ValidPaths (path, hash, registrationTime, deriver, "
                             "narSize, ultimate, sigs, ca) values (?, ?, ?, ?, ?, ?, ?, ?)"),
              updatePath(db, "update ValidPaths set hash = ?, registrationTime = ?, deriver = ?, "
                             "narSize = ?, ultimate = ?, sigs = ?, ca = ? where id = ?"),
              deleteRefs(db, "delete from Refs where referrer = ?"),
              insertRef(db, "insert or replace into Refs (referrer, reference) values (?, ?)") {}
        Statement insertPath;
        Statement updatePath;
        Statement deleteRefs;
        Statement insertRef;
    };
    std::unique_ptr<Writers> writers;

    // Pages in the WAL after the last commit, as SQLite's WAL hook reports them. On the
    // heap with the statements so the hook's pointer survives a move of the StoreDb.
    int walPages = 0;
};

StoreDb::StoreDb(const std::string& dbPath, StoreDir storeDir, Database::Mode mode)
    : db_(std::make_unique<Database>(dbPath, mode)), storeDir_(std::move(storeDir)) {
    Database& db = *db_;
    if (mode == Database::Mode::ReadWrite) {
        db.exec("pragma journal_mode = wal");
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

StorePathSet StoreDb::closureQuery(Statement& query, const StorePathSet& roots) {
    std::string ids = "[";
    for (const StorePath& root : roots) {
        int64_t id = queryId(root);
        if (id < 0) throw StoreError("path '" + storeDir_.print(root) + "' is not valid");
        if (ids.size() > 1) ids += ',';
        ids += std::to_string(id);
    }
    ids += ']';
    StorePathSet result;
    query.reset();
    query.bind(1, ids);
    while (query.step())
        result.insert(result.end(), parseRow(query.columnTextView(0)));
    return result;
}

StorePathSet StoreDb::queryClosure(const StorePathSet& roots) {
    return closureQuery(stmts_->queryClosure, roots);
}

StorePathSet StoreDb::queryReferrersClosure(const StorePathSet& roots) {
    return closureQuery(stmts_->queryReferrersClosure, roots);
}

void StoreDb::registerValidPaths(const std::vector<ValidPathInfo>& infos) {
    if (db_->mode() == Database::Mode::ReadOnly)
        throw StoreError("store database '" + db_->path() +
                         "' is open read-only; cannot register paths");
    if (!stmts_->writers) stmts_->writers = std::make_unique<Statements::Writers>(*db_);
    Statements::Writers& w = *stmts_->writers;
    int64_t now = static_cast<int64_t>(time(nullptr));

    {
        Transaction txn(*db_);
        // Ids of the batch's paths, by base name, for references within the batch.
        std::unordered_map<std::string_view, int64_t> batchIds;
        batchIds.reserve(infos.size());
        std::vector<int64_t> ids;
        ids.reserve(infos.size());
        for (const ValidPathInfo& info : infos) {
            const std::string printed = storeDir_.print(info.path);
            int64_t id = queryId(info.path);
            if (batchIds.count(info.path.baseName()))
                throw StoreError("cannot register '" + printed +
                                 "': it appears twice in the same batch");
            int64_t registrationTime = info.registrationTime ? info.registrationTime : now;
            std::optional<std::string> deriver;
            if (info.deriver) deriver = storeDir_.print(*info.deriver);
            std::optional<std::string> ca;
            if (!info.ca.empty()) ca = info.ca;
            std::optional<std::string> sigs;
            if (!info.sigs.empty()) sigs = info.sigs;
            if (id >= 0) {
                w.updatePath.reset();
                w.updatePath.bind(1, info.narHash.toNixString())
                    .bind(2, registrationTime)
                    .bind(3, deriver)
                    .bind(4, static_cast<int64_t>(info.narSize))
                    .bind(5, int64_t{info.ultimate ? 1 : 0})
                    .bind(6, sigs)
                    .bind(7, ca)
                    .bind(8, id)
                    .run();
                // The info's references replace the old ones.
                w.deleteRefs.reset();
                w.deleteRefs.bind(1, id).run();
            } else {
                w.insertPath.reset();
                w.insertPath.bind(1, printed)
                    .bind(2, info.narHash.toNixString())
                    .bind(3, registrationTime)
                    .bind(4, deriver)
                    .bind(5, static_cast<int64_t>(info.narSize))
                    .bind(6, int64_t{info.ultimate ? 1 : 0})
                    .bind(7, sigs)
                    .bind(8, ca)
                    .run();
                id = db_->lastInsertRowId();
            }
            batchIds.emplace(info.path.baseName(), id);
            ids.push_back(id);
        }
        for (size_t i = 0; i < infos.size(); ++i) {
            for (const StorePath& ref : infos[i].references) {
                int64_t refId;
                if (auto it = batchIds.find(ref.baseName()); it != batchIds.end()) {
                    refId = it->second;
                } else {
                    refId = queryId(ref);
                    if (refId < 0)
                        throw StoreError("cannot register '" + storeDir_.print(infos[i].path) +
                                         "': its reference '" + storeDir_.print(ref) +
                                         "' is neither valid nor in the same batch");
                }
                w.insertRef.reset();
                w.insertRef.bind(1, ids[i]).bind(2, refId).run();
            }
        }
        txn.commit();
    }
    if (stmts_->walPages >= kCheckpointPages) checkpoint();
}

RefGraph StoreDb::loadGraph() {
    RefGraph graph;
    // One read transaction: both scans see the same snapshot.
    db_->exec("begin");
    struct EndRead {
        Database& db;
        ~EndRead() { sqlite3_exec(db.handle(), "commit", nullptr, nullptr, nullptr); }
    } endRead{*db_};

    Statement paths(*db_, "select id, path, narSize from ValidPaths order by path");
    std::vector<std::pair<int64_t, uint32_t>> idToNode;
    int64_t maxId = 0;
    while (paths.step()) {
        int64_t id = paths.columnInt(0);
        idToNode.emplace_back(id, static_cast<uint32_t>(graph.paths.size()));
        graph.paths.push_back(parseRow(paths.columnTextView(1)));
        graph.narSizes.push_back(static_cast<uint64_t>(paths.columnInt(2)));
        maxId = std::max(maxId, id);
    }
    // DB ids are dense in practice (deletions leave gaps), so a flat table beats a hash map.
    constexpr uint32_t kNone = UINT32_MAX;
    std::vector<uint32_t> nodeOf(static_cast<size_t>(maxId) + 1, kNone);
    for (auto [id, node] : idToNode)
        nodeOf[static_cast<size_t>(id)] = node;

    std::vector<std::pair<uint32_t, uint32_t>> edges;
    Statement refs(*db_, "select referrer, reference from Refs");
    while (refs.step()) {
        int64_t from = refs.columnInt(0), to = refs.columnInt(1);
        if (from < 0 || to < 0 || from > maxId || to > maxId || nodeOf[from] == kNone ||
            nodeOf[to] == kNone)
            throw FormatError("store database '" + db_->path() + "': Refs row (" +
                              std::to_string(from) + ", " + std::to_string(to) +
                              ") names a path that is not in ValidPaths");
        edges.emplace_back(nodeOf[from], nodeOf[to]);
    }
    graph.refStart.assign(graph.size() + 1, 0);
    for (auto [from, to] : edges)
        ++graph.refStart[from + 1];
    for (size_t i = 0; i < graph.size(); ++i)
        graph.refStart[i + 1] += graph.refStart[i];
    graph.refs.resize(edges.size());
    std::vector<uint32_t> fill(graph.refStart.begin(), graph.refStart.end() - 1);
    for (auto [from, to] : edges)
        graph.refs[fill[from]++] = to;
    return graph;
}

int64_t RefGraph::find(const StorePath& path) const {
    auto it = std::lower_bound(paths.begin(), paths.end(), path);
    if (it == paths.end() || *it != path) return -1;
    return it - paths.begin();
}

void StoreDb::checkpoint() {
    if (db_->mode() == Database::Mode::ReadOnly) return;
    int rc = sqlite3_wal_checkpoint_v2(db_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                       nullptr);
    if (rc != SQLITE_OK) db_->fail(rc, "checkpointing the WAL");
    stmts_->walPages = 0;
}

} // namespace purist
