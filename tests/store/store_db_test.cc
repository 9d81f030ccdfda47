// Tests for store/store_db.cc and store/sqlite.cc: Nix's schema, registration and queries,
// atomicity, concurrent connections, read-only mode, and a DB written by the real Nix.

#include "store/store_db.h"

#include "base/error.h"
#include "base/temp_dir.h"
#include "store/base32.h"
#include "store/ref_graph.h"
#include "tests/support/test_support.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <grp.h>
#include <map>
#include <sqlite3.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace purist {
namespace {

using ::testing::HasSubstr;

const StoreDir kStoreDir("/purist/store");

// A store path named `name` whose hash part is derived from the name, so tests can
// refer to paths by name alone.
StorePath pathNamed(const std::string& name) {
    return StorePath::fromBaseName(
        base32::encode(foldHash(hashString(HashAlgorithm::Sha256, name), 20)) + "-" + name);
}

StorePathSet pathsNamed(std::initializer_list<std::string> names) {
    StorePathSet result;
    for (const auto& name : names)
        result.insert(pathNamed(name));
    return result;
}

ValidPathInfo infoFor(const std::string& name, std::initializer_list<std::string> refs = {}) {
    ValidPathInfo info{.path = pathNamed(name)};
    info.narHash = hashString(HashAlgorithm::Sha256, "contents of " + name);
    info.narSize = 100 + name.size();
    info.registrationTime = 1700000000;
    info.references = pathsNamed(refs);
    return info;
}

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

int64_t countRows(Database& db, const std::string& table) {
    Statement s(db, "select count(*) from " + table);
    EXPECT_TRUE(s.step());
    int64_t n = s.columnInt(0);
    s.reset();
    return n;
}

class StoreDbTest : public ::testing::Test {
protected:
    TempDir dir{"purist-store-db-test-"};
    std::string dbPath = dir.path() + "/db.sqlite";
};

TEST_F(StoreDbTest, CreatesNixSchemaAndSettings) {
    StoreDb db(dbPath, kStoreDir);
    std::map<std::string, std::string> objects;
    Statement s(db.database(), "select name, type from sqlite_master");
    while (s.step())
        objects[s.columnText(0)] = s.columnText(1);
    const std::map<std::string, std::string> expected = {
        {"ValidPaths", "table"},        {"Refs", "table"},
        {"DerivationOutputs", "table"}, {"IndexReferrer", "index"},
        {"IndexReference", "index"},    {"IndexDerivationOutputs", "index"},
        {"DeleteSelfRefs", "trigger"},  {"PuristMeta", "table"}};
    for (const auto& [name, type] : expected)
        EXPECT_EQ(objects[name], type) << name;

    Statement journal(db.database(), "pragma journal_mode");
    ASSERT_TRUE(journal.step());
    EXPECT_EQ(journal.columnText(0), "wal");
    journal.reset();
    Statement foreignKeys(db.database(), "pragma foreign_keys");
    ASSERT_TRUE(foreignKeys.step());
    EXPECT_EQ(foreignKeys.columnInt(0), 1);
    foreignKeys.reset();
    Statement synchronous(db.database(), "pragma synchronous");
    ASSERT_TRUE(synchronous.step());
    EXPECT_EQ(synchronous.columnInt(0), 1); // NORMAL
    synchronous.reset();
    Statement limit(db.database(), "pragma journal_size_limit");
    ASSERT_TRUE(limit.step());
    EXPECT_EQ(limit.columnInt(0), StoreDb::kJournalSizeLimit);
    limit.reset();
}

TEST_F(StoreDbTest, ReopeningKeepsContents) {
    { StoreDb(dbPath, kStoreDir).registerValidPaths({infoFor("a")}); }
    StoreDb db(dbPath, kStoreDir);
    EXPECT_TRUE(db.isValid(pathNamed("a")));
}

TEST_F(StoreDbTest, RegisterAndQueryRoundTrip) {
    StoreDb db(dbPath, kStoreDir);
    ValidPathInfo a = infoFor("a");
    ValidPathInfo b = infoFor("b", {"a", "b"}); // a self-reference, as Nix allows
    b.deriver = pathNamed("b.drv");
    b.ca = "fixed:r:sha256:1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s";
    b.ultimate = true;
    b.sigs = "cache.example.org-1:c2lnbmF0dXJl";
    b.narSize = 1ull << 40;
    db.registerValidPaths({a, b});

    ValidPathInfo got = db.queryInfo(b.path);
    EXPECT_EQ(got.path, b.path);
    EXPECT_EQ(got.narHash, b.narHash);
    EXPECT_EQ(got.narSize, b.narSize);
    EXPECT_EQ(got.registrationTime, b.registrationTime);
    EXPECT_EQ(got.deriver, b.deriver);
    EXPECT_EQ(got.ca, b.ca);
    EXPECT_TRUE(got.ultimate);
    EXPECT_EQ(got.sigs, b.sigs);
    EXPECT_EQ(got.references, pathsNamed({"a", "b"}));

    ValidPathInfo gotA = db.queryInfo(a.path);
    EXPECT_FALSE(gotA.deriver);
    EXPECT_FALSE(gotA.ultimate);
    EXPECT_TRUE(gotA.ca.empty());
    EXPECT_TRUE(gotA.references.empty());

    // Rows hold full paths and `sha256:<base32>` hashes, as Nix's queries expect.
    Statement raw(db.database(), "select hash, deriver, ultimate from ValidPaths where path = ?");
    raw.bind(1, "/purist/store/" + b.path.baseName());
    ASSERT_TRUE(raw.step());
    EXPECT_EQ(raw.columnText(0), "sha256:" + b.narHash.toBase32());
    EXPECT_EQ(raw.columnText(1), "/purist/store/" + b.deriver->baseName());
    EXPECT_EQ(raw.columnInt(2), 1);
    raw.reset();

    EXPECT_EQ(db.queryReferences(b.path), pathsNamed({"a", "b"}));
    EXPECT_EQ(db.queryReferrers(a.path), pathsNamed({"b"}));
    EXPECT_EQ(db.queryReferrers(b.path), pathsNamed({"b"}));

    std::vector<StorePath> all = db.queryAllValidPaths();
    std::vector<StorePath> expectedAll = {a.path, b.path};
    std::sort(expectedAll.begin(), expectedAll.end());
    EXPECT_EQ(all, expectedAll);

    EXPECT_EQ(db.queryPathFromHashPart(b.path.hashPart()), b.path);
    EXPECT_FALSE(db.queryPathFromHashPart(pathNamed("c").hashPart()));
    // A prefix of a valid hash part is not that path.
    EXPECT_FALSE(db.queryPathFromHashPart(a.path.hashPart().substr(0, 31)));
}

TEST_F(StoreDbTest, ZeroRegistrationTimeMeansNow) {
    StoreDb db(dbPath, kStoreDir);
    ValidPathInfo a = infoFor("a");
    a.registrationTime = 0;
    int64_t before = time(nullptr);
    db.registerValidPaths({a});
    int64_t got = db.queryInfo(a.path).registrationTime;
    EXPECT_GE(got, before);
    EXPECT_LE(got, time(nullptr));
}

TEST_F(StoreDbTest, InvalidPathQueries) {
    StoreDb db(dbPath, kStoreDir);
    StorePath missing = pathNamed("missing");
    EXPECT_FALSE(db.isValid(missing));
    EXPECT_FALSE(db.tryQueryInfo(missing));
    EXPECT_THAT([&] { db.queryInfo(missing); },
                ::testing::ThrowsMessage<StoreError>(HasSubstr(kStoreDir.print(missing))));
    EXPECT_THROW(db.queryReferences(missing), StoreError);
    EXPECT_THROW(db.queryReferrers(missing), StoreError);
    EXPECT_THROW(db.queryClosure({missing}), StoreError);
    EXPECT_THROW(db.queryReferrersClosure({missing}), StoreError);
}

// A small graph with a diamond, a two-path cycle, a self-reference and an isolated path:
//   f -> a -> b -> d <-> e (e -> e);  a -> c -> d;  g alone.
const std::vector<std::pair<std::string, std::vector<std::string>>> kGraph = {
    {"a", {"b", "c"}}, {"b", {"d"}}, {"c", {"d"}}, {"d", {"e"}},
    {"e", {"d", "e"}}, {"f", {"a"}}, {"g", {}},
};

struct ClosureCase {
    std::vector<std::string> roots;
    std::vector<std::string> closure;
    std::vector<std::string> referrersClosure;
};

const ClosureCase kClosureCases[] = {
    {{"a"}, {"a", "b", "c", "d", "e"}, {"a", "f"}},
    {{"d"}, {"d", "e"}, {"a", "b", "c", "d", "e", "f"}},
    {{"e"}, {"d", "e"}, {"a", "b", "c", "d", "e", "f"}},
    {{"f"}, {"a", "b", "c", "d", "e", "f"}, {"f"}},
    {{"g"}, {"g"}, {"g"}},
    {{"b", "c"}, {"b", "c", "d", "e"}, {"a", "b", "c", "f"}},
    {{"g", "c"}, {"c", "d", "e", "g"}, {"a", "c", "f", "g"}},
    {{}, {}, {}},
};

StorePathSet toSet(const std::vector<std::string>& names) {
    StorePathSet result;
    for (const auto& name : names)
        result.insert(pathNamed(name));
    return result;
}

void registerGraph(StoreDb& db) {
    std::vector<ValidPathInfo> infos;
    for (const auto& [name, refs] : kGraph) {
        ValidPathInfo info = infoFor(name);
        info.references = toSet(refs);
        infos.push_back(info);
    }
    db.registerValidPaths(infos);
}

TEST_F(StoreDbTest, ClosureAndReferrersClosure) {
    StoreDb db(dbPath, kStoreDir);
    registerGraph(db);
    for (const ClosureCase& c : kClosureCases) {
        SCOPED_TRACE(::testing::PrintToString(c.roots));
        EXPECT_EQ(db.queryClosure(toSet(c.roots)), toSet(c.closure));
        EXPECT_EQ(db.queryReferrersClosure(toSet(c.roots)), toSet(c.referrersClosure));
    }
}

TEST_F(StoreDbTest, BigClosuresMatchTheInMemoryWalk) {
    // Closures past the CTE's limit (4096 paths) are computed from a scan of Refs: a
    // chain of 6000 paths with a cycle at each end, a shortcut and a side branch.
    StoreDb db(dbPath, kStoreDir);
    const int n = 6000;
    std::vector<ValidPathInfo> infos;
    for (int i = 0; i < n; ++i) {
        ValidPathInfo info = infoFor("c" + std::to_string(i));
        if (i > 0) info.references.insert(pathNamed("c" + std::to_string(i - 1)));
        if (i == 0) info.references.insert(pathNamed("c1"));
        if (i == n - 2) info.references.insert(pathNamed("c" + std::to_string(n - 1)));
        if (i % 1000 == 999) info.references.insert(pathNamed("side" + std::to_string(i)));
        infos.push_back(info);
    }
    for (int i = 999; i < n; i += 1000)
        infos.push_back(infoFor("side" + std::to_string(i)));
    db.registerValidPaths(infos);
    RefGraph graph = db.loadGraph();
    ReferrerIndex referrers(graph);
    for (const char* root : {"c0", "c1", "c3000", "c5998", "c5999", "side2999"}) {
        SCOPED_TRACE(root);
        uint32_t node[] = {static_cast<uint32_t>(graph.find(pathNamed(root)))};
        StorePathSet expected, expectedReferrers;
        for (uint32_t v : closureOf(graph, node))
            expected.insert(graph.paths[v]);
        for (uint32_t v : referrersClosureOf(graph, referrers, node))
            expectedReferrers.insert(graph.paths[v]);
        EXPECT_EQ(db.queryClosure({pathNamed(root)}), expected);
        EXPECT_EQ(db.queryReferrersClosure({pathNamed(root)}), expectedReferrers);
    }
    EXPECT_EQ(db.queryClosure({pathNamed("c5999")}).size(), size_t{n + 6});
    EXPECT_EQ(db.queryReferrersClosure({pathNamed("c0")}).size(), size_t{n});
}

TEST_F(StoreDbTest, LoadGraphMatchesQueries) {
    StoreDb db(dbPath, kStoreDir);
    registerGraph(db);
    RefGraph graph = db.loadGraph();
    ASSERT_EQ(graph.size(), kGraph.size());
    EXPECT_TRUE(std::is_sorted(graph.paths.begin(), graph.paths.end()));
    EXPECT_EQ(graph.find(pathNamed("missing")), -1);
    for (const auto& [name, refs] : kGraph) {
        int64_t node = graph.find(pathNamed(name));
        ASSERT_GE(node, 0) << name;
        EXPECT_EQ(graph.narSizes[node], 100 + name.size());
        StorePathSet got;
        for (uint32_t e = graph.refStart[node]; e < graph.refStart[node + 1]; ++e)
            got.insert(graph.paths[graph.refs[e]]);
        EXPECT_EQ(got, toSet(refs)) << name;
    }
    ReferrerIndex referrers(graph);
    for (const ClosureCase& c : kClosureCases) {
        std::vector<uint32_t> roots;
        for (const auto& name : c.roots)
            roots.push_back(static_cast<uint32_t>(graph.find(pathNamed(name))));
        StorePathSet closure, referrersClosure;
        for (uint32_t n : closureOf(graph, roots))
            closure.insert(graph.paths[n]);
        for (uint32_t n : referrersClosureOf(graph, referrers, roots))
            referrersClosure.insert(graph.paths[n]);
        EXPECT_EQ(closure, toSet(c.closure));
        EXPECT_EQ(referrersClosure, toSet(c.referrersClosure));
    }
}

TEST_F(StoreDbTest, BatchWithUnknownReferenceRegistersNothing) {
    StoreDb db(dbPath, kStoreDir);
    db.registerValidPaths({infoFor("base")});
    std::vector<ValidPathInfo> batch = {infoFor("x", {"base"}), infoFor("y", {"x", "nowhere"}),
                                        infoFor("z", {"y"})};
    EXPECT_THAT([&] { db.registerValidPaths(batch); },
                ::testing::ThrowsMessage<StoreError>(
                    ::testing::AllOf(HasSubstr(kStoreDir.print(pathNamed("y"))),
                                     HasSubstr(kStoreDir.print(pathNamed("nowhere"))))));
    for (const char* name : {"x", "y", "z"})
        EXPECT_FALSE(db.isValid(pathNamed(name))) << name;
    EXPECT_EQ(countRows(db.database(), "ValidPaths"), 1);
    EXPECT_EQ(countRows(db.database(), "Refs"), 0);
    EXPECT_TRUE(db.queryReferrers(pathNamed("base")).empty());
    // The connection is usable afterwards: no transaction was left open.
    db.registerValidPaths({infoFor("x", {"base"})});
    EXPECT_TRUE(db.isValid(pathNamed("x")));
}

TEST_F(StoreDbTest, FailureMidBatchRollsBackEarlierRows) {
    StoreDb db(dbPath, kStoreDir);
    ValidPathInfo old = infoFor("old", {"old"});
    db.registerValidPaths({old});
    // The bad reference is found after "new" was inserted and "old" was updated and lost
    // its references.
    ValidPathInfo changed = infoFor("old");
    changed.narSize = 999;
    std::vector<ValidPathInfo> batch = {infoFor("new"), changed, infoFor("late", {"nowhere"})};
    EXPECT_THAT([&] { db.registerValidPaths(batch); },
                ::testing::ThrowsMessage<StoreError>(HasSubstr("nowhere")));
    EXPECT_FALSE(db.isValid(pathNamed("new")));
    EXPECT_FALSE(db.isValid(pathNamed("late")));
    ValidPathInfo got = db.queryInfo(old.path);
    EXPECT_EQ(got.narSize, old.narSize);
    EXPECT_EQ(got.references, pathsNamed({"old"}));
}

TEST_F(StoreDbTest, DuplicateInBatchIsRefused) {
    StoreDb db(dbPath, kStoreDir);
    EXPECT_THAT(
        [&] {
            db.registerValidPaths({infoFor("a"), infoFor("dup"), infoFor("dup")});
        },
        ::testing::ThrowsMessage<StoreError>(
            ::testing::AllOf(HasSubstr("twice"), HasSubstr(kStoreDir.print(pathNamed("dup"))))));
    EXPECT_EQ(countRows(db.database(), "ValidPaths"), 0);
}

TEST_F(StoreDbTest, ForeignKeysStayOnAroundRegistration) {
    StoreDb db(dbPath, kStoreDir);
    auto foreignKeys = [&] {
        Statement s(db.database(), "pragma foreign_keys");
        EXPECT_TRUE(s.step());
        int64_t on = s.columnInt(0);
        s.reset();
        return on;
    };
    db.registerValidPaths({infoFor("a")});
    EXPECT_EQ(foreignKeys(), 1);
    EXPECT_THROW(db.registerValidPaths({infoFor("b", {"nowhere"})}), StoreError);
    EXPECT_EQ(foreignKeys(), 1);
}

TEST_F(StoreDbTest, ExceptionInsideTransactionRollsBack) {
    StoreDb db(dbPath, kStoreDir);
    try {
        Transaction txn(db.database());
        db.database().exec("insert into ValidPaths (path, hash, registrationTime) values "
                           "('/purist/store/x', 'sha256:0', 1)");
        EXPECT_EQ(countRows(db.database(), "ValidPaths"), 1);
        throw std::runtime_error("injected");
    } catch (const std::runtime_error&) {
    }
    EXPECT_EQ(countRows(db.database(), "ValidPaths"), 0);
}

TEST_F(StoreDbTest, ForeignKeysAreEnforced) {
    StoreDb db(dbPath, kStoreDir);
    db.registerValidPaths({infoFor("a"), infoFor("b", {"a", "b"})});
    // Deleting a referenced path is refused (on delete restrict) ...
    EXPECT_THROW(db.database().exec("delete from ValidPaths where path = '" +
                                    kStoreDir.print(pathNamed("a")) + "'"),
                 StoreError);
    // ... while a self-reference does not block deletion (the DeleteSelfRefs trigger).
    db.database().exec("delete from ValidPaths where path = '" + kStoreDir.print(pathNamed("b")) +
                       "'");
    EXPECT_EQ(countRows(db.database(), "Refs"), 0);
}

TEST_F(StoreDbTest, ReRegistrationUpdatesRowAndReferences) {
    StoreDb db(dbPath, kStoreDir);
    db.registerValidPaths({infoFor("lib"), infoFor("other"), infoFor("app", {"lib"})});
    ValidPathInfo app = infoFor("app", {"other", "app"});
    app.narSize = 4242;
    app.narHash = hashString(HashAlgorithm::Sha256, "new contents");
    app.ca = "fixed:r:sha256:0000000000000000000000000000000000000000000000000000";
    db.registerValidPaths({app});
    ValidPathInfo got = db.queryInfo(app.path);
    EXPECT_EQ(got.narSize, 4242u);
    EXPECT_EQ(got.narHash, app.narHash);
    EXPECT_EQ(got.ca, app.ca);
    EXPECT_EQ(got.references, pathsNamed({"other", "app"}));
    EXPECT_TRUE(db.queryReferrers(pathNamed("lib")).empty());
    EXPECT_EQ(countRows(db.database(), "ValidPaths"), 3);
}

TEST_F(StoreDbTest, ReadersSeeConsistentSnapshotsDuringWrites) {
    StoreDb writer(dbPath, kStoreDir);
    StoreDb reader(dbPath, kStoreDir);

    // A writer holding an open transaction: the reader sees the state before it.
    writer.registerValidPaths({infoFor("before")});
    {
        Transaction txn(writer.database());
        writer.database().exec("insert into ValidPaths (path, hash, registrationTime) values ('" +
                               kStoreDir.print(pathNamed("pending")) + "', 'sha256:0', 1)");
        EXPECT_FALSE(reader.isValid(pathNamed("pending")));
        EXPECT_TRUE(reader.isValid(pathNamed("before")));
        txn.commit();
    }
    EXPECT_TRUE(reader.isValid(pathNamed("pending")));

    // Batches where every path refers to itself and to the previous path keep
    // Refs == 2 * (ValidPaths - 1) at every commit ("before" has no references, "pending"
    // is not counted); a reader must never see anything else.
    const int kBatches = 20, kPerBatch = 50;
    std::atomic<bool> done = false;
    std::thread writing([&] {
        StoreDb db(dbPath, kStoreDir);
        std::string previous = "before";
        for (int b = 0; b < kBatches; ++b) {
            std::vector<ValidPathInfo> batch;
            for (int i = 0; i < kPerBatch; ++i) {
                std::string name = "p" + std::to_string(b) + "-" + std::to_string(i);
                batch.push_back(infoFor(name, {name, previous}));
                previous = name;
            }
            db.registerValidPaths(batch);
        }
        done = true;
    });
    int snapshots = 0;
    Statement counts(reader.database(), "select (select count(*) from ValidPaths where path != '" +
                                            kStoreDir.print(pathNamed("pending")) +
                                            "'), (select count(*) from Refs)");
    while (!done || snapshots == 0) {
        ASSERT_TRUE(counts.step());
        int64_t paths = counts.columnInt(0), refs = counts.columnInt(1);
        counts.reset();
        EXPECT_EQ(refs, 2 * (paths - 1)) << "paths " << paths;
        ++snapshots;
    }
    writing.join();
    EXPECT_EQ(countRows(reader.database(), "ValidPaths"), 2 + kBatches * kPerBatch);
}

TEST_F(StoreDbTest, SecondWriterWaitsForBusyTimeoutThenFails) {
    StoreDb first(dbPath, kStoreDir);
    StoreDb second(dbPath, kStoreDir);
    second.database().setBusyTimeout(std::chrono::milliseconds(300));
    Transaction txn(first.database());
    auto start = std::chrono::steady_clock::now();
    EXPECT_THAT([&] { second.registerValidPaths({infoFor("a")}); },
                ::testing::ThrowsMessage<StoreError>(HasSubstr("busy timeout of 300 ms")));
    auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_GE(waited, std::chrono::milliseconds(250));
    EXPECT_LT(waited, std::chrono::seconds(10));
}

TEST_F(StoreDbTest, SecondWriterProceedsWhenTheLockIsReleasedInTime) {
    StoreDb first(dbPath, kStoreDir);
    StoreDb second(dbPath, kStoreDir);
    second.database().setBusyTimeout(std::chrono::seconds(20));
    std::atomic<bool> locked = false;
    std::thread holder([&] {
        Transaction txn(first.database());
        locked = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        txn.commit();
    });
    while (!locked)
        std::this_thread::yield();
    second.registerValidPaths({infoFor("a")});
    holder.join();
    EXPECT_TRUE(second.isValid(pathNamed("a")));
}

TEST_F(StoreDbTest, ReadOnlyQueriesAndRefusesWrites) {
    { StoreDb(dbPath, kStoreDir).registerValidPaths({infoFor("a"), infoFor("b", {"a"})}); }
    std::string before = readFile(dbPath);
    {
        StoreDb db(dbPath, kStoreDir, Database::Mode::ReadOnly);
        EXPECT_EQ(db.queryReferences(pathNamed("b")), pathsNamed({"a"}));
        EXPECT_EQ(db.queryClosure(pathsNamed({"b"})), pathsNamed({"a", "b"}));
        EXPECT_THAT([&] { db.registerValidPaths({infoFor("c")}); },
                    ::testing::ThrowsMessage<StoreError>(HasSubstr("read-only")));
        EXPECT_THROW(db.database().exec("insert into ValidPaths (path, hash, registrationTime) "
                                        "values ('/purist/store/x', 'sha256:0', 1)"),
                     StoreError);
        EXPECT_THROW(db.database().exec("create table Extra (x)"), StoreError);
        db.checkpoint();
        EXPECT_FALSE(db.isValid(pathNamed("c")));
    }
    EXPECT_EQ(readFile(dbPath), before);
}

TEST_F(StoreDbTest, ReadOnlyInAnUnwritableDirectoryFallsBackToImmutable) {
    // A DB nobody holds open, in a directory the reader cannot write: SQLite can neither
    // use nor create the -shm file, so the connection must fall back to immutable=1 and
    // still leave the directory untouched. Root ignores directory modes, so as root the
    // reader is a child that drops to nobody.
    const std::string sub = dir.path() + "/ro";
    ASSERT_EQ(mkdir(sub.c_str(), 0755), 0);
    const std::string path = sub + "/db.sqlite";
    { StoreDb(path, kStoreDir).registerValidPaths({infoFor("a")}); }
    struct stat st;
    ASSERT_NE(stat((path + "-shm").c_str(), &st), 0) << "closing left the -shm file";
    ASSERT_EQ(chmod(dir.path().c_str(), 0755), 0);
    ASSERT_EQ(chmod(sub.c_str(), 0555), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        if (geteuid() == 0 &&
            (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0))
            _exit(4);
        if (access(path.c_str(), R_OK) != 0) _exit(3);
        try {
            StoreDb db(path, kStoreDir, Database::Mode::ReadOnly);
            _exit(db.database().immutable() && db.isValid(pathNamed("a")) ? 0 : 1);
        } catch (...) {
            _exit(2);
        }
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_EQ(chmod(sub.c_str(), 0755), 0);
    ASSERT_TRUE(WIFEXITED(status));
    if (WEXITSTATUS(status) == 3) {
        PURIST_SKIP_OUTSIDE_CI("the temporary directory is not readable by user nobody");
        return;
    }
    EXPECT_EQ(WEXITSTATUS(status), 0) << "1: not immutable or path missing, 2: open failed";
    EXPECT_NE(stat((path + "-shm").c_str(), &st), 0);
    EXPECT_NE(stat((path + "-wal").c_str(), &st), 0);
}

TEST_F(StoreDbTest, ReadOnlyDoesNotCreateAMissingDatabase) {
    EXPECT_THAT([&] { StoreDb(dbPath, kStoreDir, Database::Mode::ReadOnly); },
                ::testing::ThrowsMessage<StoreError>(HasSubstr(dbPath)));
    struct stat st;
    EXPECT_NE(stat(dbPath.c_str(), &st), 0);
}

TEST_F(StoreDbTest, ReadOnlyRefusesANonStoreDatabase) {
    { Database(dbPath, Database::Mode::ReadWrite).exec("create table Other (x)"); }
    EXPECT_THAT([&] { StoreDb(dbPath, kStoreDir, Database::Mode::ReadOnly); },
                ::testing::ThrowsMessage<StoreError>(HasSubstr("not a store database")));
}

// A reader's walk that throws part-way (a corrupt Refs row) must not leave its statement
// mid-scan: that keeps the connection's read transaction open, and with it the WAL pinned,
// for as long as the connection lives (issue 10, defect 5).
TEST_F(StoreDbTest, AWalkThatThrowsLeavesNoStatementHoldingItsSnapshot) {
    {
        StoreDb db(dbPath, kStoreDir);
        db.registerValidPaths({infoFor("a"), infoFor("b", {"a"})});
        db.database().exec("pragma foreign_keys = off");
        db.database().exec("insert into Refs (referrer, reference) values (1, 999)");
    }
    StoreDb reader(dbPath, kStoreDir, Database::Mode::ReadOnly);
    EXPECT_THROW(reader.loadGraph(), FormatError);
    int busy = 0;
    for (sqlite3_stmt* s = sqlite3_next_stmt(reader.database().handle(), nullptr); s;
         s = sqlite3_next_stmt(reader.database().handle(), s))
        busy += sqlite3_stmt_busy(s) ? 1 : 0;
    EXPECT_EQ(busy, 0);
    EXPECT_TRUE(sqlite3_get_autocommit(reader.database().handle()));
}

TEST_F(StoreDbTest, CheckpointKeepsDataAndMoves) {
    StoreDb db(dbPath, kStoreDir);
    db.registerValidPaths({infoFor("a")});
    db.checkpoint();
    StoreDb moved(std::move(db));
    moved.registerValidPaths({infoFor("b", {"a"})});
    EXPECT_EQ(moved.queryReferrers(pathNamed("a")), pathsNamed({"b"}));
}

// The NAR of a single regular, non-executable file, as `nix-store --dump` writes it.
std::string narOfRegularFile(const std::string& contents) {
    std::string nar;
    auto put = [&](const std::string& s) {
        uint64_t n = s.size();
        for (int i = 0; i < 8; ++i)
            nar += static_cast<char>((n >> (8 * i)) & 0xff);
        nar += s;
        nar.append((8 - n % 8) % 8, '\0');
    };
    for (const char* token : {"nix-archive-1", "(", "type", "regular", "contents"})
        put(token);
    put(contents);
    put(")");
    return nar;
}

TEST_F(StoreDbTest, OpensARealNixDatabaseReadOnly) {
    if (!testing::haveProgram("nix-store")) {
        PURIST_SKIP_OUTSIDE_CI("nix-store is not on PATH");
        return;
    }
    const std::string contents = "hello from purist\n";
    testing::makeFile(dir.path() + "/src/hello.txt", contents);
    const std::string root = dir.path() + "/nixroot";
    testing::RunResult added =
        testing::runProgram({"nix-store", "--store", root, "--add", dir.path() + "/src/hello.txt"});
    ASSERT_EQ(added.exitCode, 0) << added.err;
    std::string printed = added.out.substr(0, added.out.find('\n'));

    const std::string nixDb = root + "/nix/var/nix/db/db.sqlite";
    std::string before = readFile(nixDb);
    StoreDir nixStoreDir("/nix/store");
    StoreDb db(nixDb, nixStoreDir, Database::Mode::ReadOnly);
    StorePath path = nixStoreDir.parse(printed);
    ASSERT_TRUE(db.isValid(path));
    ValidPathInfo info = db.queryInfo(path);
    std::string nar = narOfRegularFile(contents);
    EXPECT_EQ(info.narHash, hashString(HashAlgorithm::Sha256, nar));
    EXPECT_EQ(info.narSize, nar.size());
    EXPECT_TRUE(info.references.empty());
    EXPECT_THAT(info.ca, ::testing::StartsWith("fixed:r:sha256:"));
    EXPECT_EQ(db.queryAllValidPaths(), std::vector<StorePath>{path});
    EXPECT_EQ(db.queryClosure({path}), StorePathSet{path});
    EXPECT_EQ(db.queryPathFromHashPart(path.hashPart()), path);

    // Nix's own tables are the ones purist creates, statement for statement.
    StoreDb ours(dbPath, kStoreDir);
    auto schemaOf = [](Database& d) {
        std::map<std::string, std::string> sql;
        Statement s(d, "select name, sql from sqlite_master where name != 'PuristMeta' and "
                       "sql is not null");
        while (s.step())
            sql[s.columnText(0)] = s.columnText(1);
        return sql;
    };
    std::map<std::string, std::string> nixSchema = schemaOf(db.database());
    EXPECT_EQ(schemaOf(ours.database()), nixSchema);
    EXPECT_TRUE(nixSchema.count("ValidPaths"));
    EXPECT_EQ(readFile(nixDb), before);
}

} // namespace
} // namespace purist
