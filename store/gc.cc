#include "store/gc.h"

#include "base/directory.h"
#include "base/error.h"
#include "base/temp_dir.h"
#include "store/disk_space.h"
#include "store/gc_roots.h"
#include "store/gc_runtime_roots.h"
#include "store/gc_temp_roots.h"
#include "store/path_lock.h"
#include "store/ref_graph.h"
#include "store/scratch.h"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <unistd.h>

namespace purist {
namespace {

std::vector<GcRootRef> permanentRoots(const LocalStore& store) {
    const StoreLayout& layout = store.layout();
    GcRootScan scan =
        findGcRoots(gcRootDirs(layout.root), StoreDir(layout.storeDir), layout.realStoreDir);
    std::vector<GcRootRef> roots;
    roots.reserve(scan.roots.size());
    for (GcRoot& root : scan.roots)
        roots.push_back({GcRootRef::Kind::Permanent, std::move(root.location), root.path});
    return roots;
}

std::optional<StorePath> maybeBaseName(const std::string& name) {
    try {
        return StorePath::fromBaseName(name);
    } catch (const FormatError&) {
        return std::nullopt;
    }
}

void addNamedRoots(std::vector<GcRootRef>& roots, GcRootRef::Kind kind, std::string location,
                   const std::string& baseName) {
    // Not a store path's name: a runtime string that only looked like one.
    if (std::optional<StorePath> path = maybeBaseName(baseName))
        roots.push_back({kind, std::move(location), std::move(*path)});
}

std::vector<GcRootRef> runtimeRoots(const LocalStore& store) {
    std::vector<GcRootRef> roots;
    const StoreLayout& layout = store.layout();
    std::vector<std::string> dirs{layout.storeDir};
    if (layout.realStoreDir != layout.storeDir) dirs.push_back(layout.realStoreDir);
    for (RuntimeRoot& root : findRuntimeRoots(dirs))
        addNamedRoots(roots, GcRootRef::Kind::Runtime, std::move(root.location), root.baseName);
    return roots;
}

// The roots whose paths are valid (nodes of `graph`), with their node ids.
std::vector<uint32_t> validRoots(const RefGraph& graph, std::vector<GcRootRef>& roots) {
    std::vector<uint32_t> ids;
    std::vector<GcRootRef> valid;
    for (GcRootRef& root : roots) {
        int64_t id = graph.find(root.path);
        if (id < 0) continue;
        ids.push_back(static_cast<uint32_t>(id));
        valid.push_back(std::move(root));
    }
    roots = std::move(valid);
    return ids;
}

// `nodes` (a set closed under referrers: no node outside it refers to one inside) ordered
// so that every node comes after all its referrers; so any prefix of the order is closed
// under referrers too and can be removed on its own. Nodes on a reference cycle (outputs
// of one build referring to each other), and those below them, cannot be ordered so; they
// come last, and `cyclicFrom` says where they start: they go in one batch.
std::vector<uint32_t> referrersFirst(const RefGraph& graph, const ReferrerIndex& index,
                                     const std::vector<uint32_t>& nodes, size_t& cyclicFrom) {
    std::vector<uint32_t> pending(graph.size(), 0);
    std::vector<bool> member(graph.size(), false);
    for (uint32_t n : nodes)
        member[n] = true;
    for (uint32_t n : nodes)
        for (uint32_t e = index.start[n]; e < index.start[n + 1]; ++e)
            if (index.referrers[e] != n && member[index.referrers[e]]) ++pending[n];
    std::vector<uint32_t> order;
    order.reserve(nodes.size());
    for (uint32_t n : nodes)
        if (pending[n] == 0) order.push_back(n);
    for (size_t next = 0; next < order.size(); ++next) {
        uint32_t n = order[next];
        for (uint32_t ref : referencesOf(graph).of(n)) {
            if (ref != n && member[ref] && --pending[ref] == 0) order.push_back(ref);
        }
    }
    cyclicFrom = order.size();
    if (order.size() < nodes.size()) {
        std::vector<bool> placed(graph.size(), false);
        for (uint32_t n : order)
            placed[n] = true;
        for (uint32_t n : nodes)
            if (!placed[n]) order.push_back(n);
    }
    return order;
}

// Makes paths invalid and removes their files and logs, batch by batch.
class Remover {
public:
    Remover(LocalStore& store, GcResult& result, const GcOptions& options)
        : store_(store), result_(result), options_(options),
          lockFile_(openPathLockFile(store.layout().tmpDir())),
          deleteRefs_(
              store.db().database(),
              "delete from Refs where referrer = (select id from ValidPaths where path = ?)"),
          deletePath_(store.db().database(), "delete from ValidPaths where path = ?") {}

    // Removes `order[0, count)` in batches; `cyclicFrom` as referrersFirst() gives it.
    void remove(const RefGraph& graph, const std::vector<uint32_t>& order, size_t count,
                size_t cyclicFrom) {
        size_t begin = 0;
        while (begin < count) {
            size_t end = begin >= cyclicFrom
                             ? count
                             : std::min({count, begin + options_.batchSize, cyclicFrom});
            removeBatch(graph, order, begin, end);
            begin = end;
        }
    }

private:
    void removeBatch(const RefGraph& graph, const std::vector<uint32_t>& order, size_t begin,
                     size_t end) {
        const StoreDir& storeDir = store_.storeDir();
        {
            // Invalid first, in one transaction: a kill before the commit leaves the batch
            // valid and whole, a kill after it leaves invalid paths whose files the next
            // collection removes. The batch's own references go before its rows, so a
            // cycle inside it is no obstacle; a reference from any path outside the batch
            // makes the foreign key (on delete restrict) refuse the whole transaction.
            Database& db = store_.db().database();
            Transaction txn(db);
            for (size_t i = begin; i < end; ++i) {
                const std::string printed = storeDir.print(graph.paths[order[i]]);
                deleteRefs_.reset();
                deleteRefs_.bind(1, printed).run();
            }
            for (size_t i = begin; i < end; ++i) {
                const std::string printed = storeDir.print(graph.paths[order[i]]);
                deletePath_.reset();
                deletePath_.bind(1, printed).run();
            }
            txn.commit();
        }
        store_.db().checkpoint();
        for (size_t i = begin; i < end; ++i) {
            const StorePath& path = graph.paths[order[i]];
            result_.dead.push_back(path);
            result_.bytesFreed += graph.narSizes[order[i]];
            // A builder may be making this path again (it added its temp root after this
            // collection read them, so it waits for us before it checks validity; or it
            // is a process that skipped the protocol). Its lock is what it holds while it
            // writes to the store location: then the files are left to it.
            PathLock lock(lockFile_.get(), path.baseName());
            if (!lock.tryLock()) {
                ++result_.lockedSkipped;
                continue;
            }
            removeTree(store_.realPath(path));
            if (removeLog(path)) ++result_.logsRemoved;
            if (options_.onDeleted) options_.onDeleted(path);
        }
    }

    bool removeLog(const StorePath& path) {
        const std::string log = store_.layout().logsDir() + "/" + path.baseName() + ".log";
        if (::unlink(log.c_str()) == 0) return true;
        if (errno == ENOENT) return false;
        throw SysError("removing the log '" + log + "'");
    }

    LocalStore& store_;
    GcResult& result_;
    const GcOptions& options_;
    FileDescriptor lockFile_;
    Statement deleteRefs_;
    Statement deletePath_;
};

// Entries of the store dir that are not valid paths: files of a build or add killed before
// registration, or of a collection killed after its transaction. Each is removed under its
// path's lock, after validity is checked again under it (so a path being registered now is
// left alone), unless a temp root names it.
size_t removeLeftovers(LocalStore& store, const std::set<std::string>& tempRooted,
                       const RefGraph& graph, const std::vector<bool>& live) {
    const std::string& dir = store.layout().realStoreDir;
    FileDescriptor lockFile = openPathLockFile(store.layout().tmpDir());
    size_t removed = 0;
    for (const DirectoryEntry& entry : listDirectory(dir)) {
        std::optional<StorePath> path = maybeBaseName(entry.name);
        if (!path || tempRooted.count(entry.name)) continue;
        // Live in the snapshot: valid, and it stays so (one lookup in memory, not the DB).
        if (int64_t id = graph.find(*path); id >= 0 && live[static_cast<size_t>(id)]) continue;
        if (store.db().isValid(*path)) continue;
        PathLock lock(lockFile.get(), entry.name);
        if (!lock.tryLock() || store.db().isValid(*path)) continue;
        removeTree(dir + "/" + entry.name);
        ++removed;
    }
    return removed;
}

struct LiveSet {
    RefGraph graph;
    std::vector<bool> live;
};

LiveSet computeLive(LocalStore& store, std::vector<GcRootRef>& roots) {
    LiveSet set;
    set.graph = store.db().loadGraph();
    std::vector<uint32_t> rootIds = validRoots(set.graph, roots);
    set.live.assign(set.graph.size(), false);
    BreadthFirstWalk walk(set.graph.size());
    walk.run(referencesOf(set.graph), rootIds);
    for (uint32_t n : walk.order())
        set.live[n] = true;
    return set;
}

std::vector<GcRootRef> tempRootsOf(const TempRootsSnapshot& snapshot) {
    std::vector<GcRootRef> roots;
    for (const TempRootsSnapshot::Root& root : snapshot.roots)
        addNamedRoots(roots, GcRootRef::Kind::Temporary, root.file, root.baseName);
    return roots;
}

} // namespace

std::vector<GcRootRef> findAllRoots(LocalStore& store, bool runtime) {
    std::vector<GcRootRef> roots = permanentRoots(store);
    if (runtime) {
        std::vector<GcRootRef> more = runtimeRoots(store);
        roots.insert(roots.end(), more.begin(), more.end());
    }
    std::vector<GcRootRef> valid;
    for (GcRootRef& root : roots)
        if (store.db().isValid(root.path)) valid.push_back(std::move(root));
    return valid;
}

GcResult collectGarbage(LocalStore& store, const GcOptions& options) {
    const bool changes = options.action == GcOptions::Action::Collect && !options.dryRun;
    if (changes) store.requireWritable("collect garbage");
    if (options.batchSize == 0) throw UsageError("a collection's batch size must be positive");
    const std::string& root = store.layout().root;
    GcResult result;

    // Held to the end: no process creates a temp-roots file, and no reader reads, until
    // this collection is over. A listing takes it too, so what it says is what a collection
    // would have done at that moment.
    std::optional<GcLock> gcLock;
    if (store.db().database().mode() == Database::Mode::ReadWrite)
        gcLock.emplace(root, GcLock::Mode::Exclusive);
    if (changes) result.scratchReclaimed = store.reclaimScratch().removed;

    TempRootsSnapshot temp;
    if (gcLock) temp = lockTempRoots(root);
    result.staleTempRootFiles = temp.staleFilesRemoved;
    std::set<std::string> tempRooted;
    for (const TempRootsSnapshot::Root& r : temp.roots)
        tempRooted.insert(r.baseName);

    std::vector<GcRootRef> roots = permanentRoots(store);
    for (GcRootRef& r : tempRootsOf(temp))
        roots.push_back(std::move(r));
    if (options.runtimeRoots)
        for (GcRootRef& r : runtimeRoots(store))
            roots.push_back(std::move(r));

    LiveSet set = computeLive(store, roots);
    result.roots = roots;
    const RefGraph& graph = set.graph;
    if (options.action == GcOptions::Action::PrintRoots) return result;
    if (options.action == GcOptions::Action::PrintLive) {
        for (uint32_t n = 0; n < graph.size(); ++n)
            if (set.live[n]) result.live.push_back(graph.paths[n]);
        return result;
    }

    std::vector<uint32_t> dead;
    for (uint32_t n = 0; n < graph.size(); ++n)
        if (!set.live[n]) dead.push_back(n);
    ReferrerIndex index(graph);
    size_t cyclicFrom = 0;
    std::vector<uint32_t> order = referrersFirst(graph, index, dead, cyclicFrom);

    // With --max-freed, a prefix of the order: closed under referrers, as a batch must be.
    size_t count = order.size();
    if (options.maxFreed != std::numeric_limits<uint64_t>::max()) {
        uint64_t sum = 0;
        count = 0;
        while (count < order.size() && sum < options.maxFreed) {
            if (count >= cyclicFrom) { // the cyclic rest goes whole or not at all
                count = order.size();
                break;
            }
            sum += graph.narSizes[order[count++]];
        }
    }

    if (!changes) {
        for (size_t i = 0; i < count; ++i) {
            result.dead.push_back(graph.paths[order[i]]);
            result.bytesFreed += graph.narSizes[order[i]];
        }
        std::sort(result.dead.begin(), result.dead.end());
        return result;
    }

    Remover(store, result, options).remove(graph, order, count, cyclicFrom);
    if (count == order.size())
        result.leftoversRemoved = removeLeftovers(store, tempRooted, graph, set.live);
    return result;
}

std::optional<GcResult> collectIfLowOnSpace(LocalStore& store, uint64_t minFree, uint64_t maxFree,
                                            bool runtimeRoots) {
    if (minFree == 0) return std::nullopt;
    const uint64_t free = freeSpace(store.layout().realStoreDir);
    if (free >= minFree) return std::nullopt;
    GcOptions options;
    options.runtimeRoots = runtimeRoots;
    if (maxFree != 0) options.maxFreed = maxFree > free ? maxFree - free : 0;
    if (options.maxFreed == 0) return std::nullopt;
    return collectGarbage(store, options);
}

GcResult deletePaths(LocalStore& store, const std::vector<StorePath>& paths, bool runtime) {
    store.requireWritable("delete paths");
    const StoreDir& storeDir = store.storeDir();
    GcLock gcLock(store.layout().root, GcLock::Mode::Exclusive);
    TempRootsSnapshot temp = lockTempRoots(store.layout().root);
    std::vector<GcRootRef> roots = permanentRoots(store);
    for (GcRootRef& r : tempRootsOf(temp))
        roots.push_back(std::move(r));
    if (runtime)
        for (GcRootRef& r : runtimeRoots(store))
            roots.push_back(std::move(r));
    LiveSet set = computeLive(store, roots);
    const RefGraph& graph = set.graph;
    ReferrerIndex index(graph);

    std::vector<uint32_t> nodes;
    std::vector<bool> chosen(graph.size(), false);
    std::string refusals;
    for (const StorePath& path : paths) {
        int64_t id = graph.find(path);
        if (id < 0) {
            refusals += "\n  " + storeDir.print(path) + " is not valid";
            continue;
        }
        if (!chosen[id]) nodes.push_back(static_cast<uint32_t>(id));
        chosen[id] = true;
    }
    std::multimap<uint32_t, const GcRootRef*> rootOf;
    for (const GcRootRef& r : roots)
        rootOf.emplace(static_cast<uint32_t>(graph.find(r.path)), &r);
    for (uint32_t n : nodes) {
        const std::string shown = storeDir.print(graph.paths[n]);
        bool refused = false;
        for (uint32_t e = index.start[n]; e < index.start[n + 1] && !refused; ++e) {
            uint32_t referrer = index.referrers[e];
            if (referrer == n || chosen[referrer]) continue;
            refusals +=
                "\n  " + shown + " is referenced by " + storeDir.print(graph.paths[referrer]);
            refused = true;
        }
        if (refused || !set.live[n]) continue;
        if (auto it = rootOf.find(n); it != rootOf.end()) {
            refusals += "\n  " + shown + " is alive: it is a root (" + it->second->location + ")";
            continue;
        }
        // Alive through a referrer that is itself to be deleted, and alive.
        for (uint32_t e = index.start[n]; e < index.start[n + 1]; ++e)
            if (uint32_t r = index.referrers[e]; r != n && set.live[r]) {
                refusals += "\n  " + shown + " is alive: " + storeDir.print(graph.paths[r]) +
                            " refers to it and is alive";
                break;
            }
    }
    if (!refusals.empty()) throw StoreError("refusing to delete, nothing was deleted:" + refusals);

    size_t cyclicFrom = 0;
    std::vector<uint32_t> order = referrersFirst(graph, index, nodes, cyclicFrom);
    GcResult result;
    GcOptions options;
    Remover(store, result, options).remove(graph, order, order.size(), cyclicFrom);
    return result;
}

} // namespace purist
