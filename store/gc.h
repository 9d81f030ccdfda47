#pragma once
// The garbage collector: removes the store paths that no root keeps alive. The live set is
// the closure of every root: permanent roots (gc_roots.h), the temp roots of every live
// purist process (gc_temp_roots.h) and, unless turned off, runtime roots (store paths that
// running processes hold open, map, run in or name in their environment). docs/store.md,
// "Garbage collection", describes the protocol that makes this safe beside running builds.

#include "store/local_store.h"

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace purist {

/// What keeps a path alive, as the collector found it.
struct GcRootRef {
    enum class Kind { Permanent, Temporary, Runtime };
    Kind kind;
    std::string location; ///< the gcroots entry, temp-roots file, or /proc entry
    StorePath path;
};

/// What a collection (or a dry run, or one of the listings) is asked to do.
struct GcOptions {
    enum class Action {
        Collect,    ///< remove dead paths (all of them, or up to maxFreed)
        PrintRoots, ///< only find the roots
        PrintLive,  ///< only compute the live set
        PrintDead,  ///< only compute the dead set
    };
    Action action = Action::Collect;
    /// Compute what would go, remove nothing (Collect only).
    bool dryRun = false;
    /// Stop once the NAR sizes of the removed paths add up to this many bytes.
    uint64_t maxFreed = std::numeric_limits<uint64_t>::max();
    /// Read /proc for runtime roots.
    bool runtimeRoots = true;
    /// Paths removed per DB transaction.
    size_t batchSize = 1000;
    /// Called with each path once it is removed (invalid in the DB, files gone); may be
    /// empty. For progress output and for tests that interrupt a collection.
    std::function<void(const StorePath&)> onDeleted;
};

/// What a collection found and did.
struct GcResult {
    std::vector<GcRootRef> roots; ///< every root found (only valid paths)
    std::vector<StorePath> live;  ///< PrintLive: the live set, sorted
    std::vector<StorePath> dead; ///< PrintDead / dry run: what would go, sorted; Collect: what went
    uint64_t bytesFreed = 0;     ///< sum of the NAR sizes of the paths in `dead`
    size_t lockedSkipped = 0;    ///< made invalid, but a builder held their lock: files left
    size_t leftoversRemoved = 0; ///< invalid entries in the store dir (a crashed build's, an
                                 ///< interrupted collection's) removed
    size_t logsRemoved = 0;
    size_t staleTempRootFiles = 0;
    size_t scratchReclaimed = 0;
};

/// Runs a collection (or dry run, or listing) on `store`, holding `<root>/gc.lock`
/// exclusively throughout: waits for another collection and for readers (GcReaderLock) to
/// finish. Dead paths go in batches of options.batchSize, referrers before references,
/// each batch made invalid in one DB transaction before its files are removed, so a
/// collection killed at any point leaves every valid path complete and every reference of
/// a valid path valid. Refuses a store opened read-only (StoreError). Throws SysError or
/// StoreError; what was removed before stays removed.
GcResult collectGarbage(LocalStore& store, const GcOptions& options);

/// Removes exactly `paths` (Nix's `nix-store --delete`), as collectGarbage() removes dead
/// paths. Refused as a whole (StoreError, nothing removed) if any of them is not valid, is
/// alive, or has a valid referrer outside `paths`; the message names the root or referrer
/// that keeps it.
GcResult deletePaths(LocalStore& store, const std::vector<StorePath>& paths,
                     bool runtimeRoots = true);

/// Nix's min-free and max-free: if the file system holding the store has less than
/// `minFree` bytes free, collects until the deleted paths' NAR sizes add up to the
/// difference between `maxFree` and what is free (everything dead if `maxFree` is 0).
/// Returns what the collection did, or nothing if there was enough space (or `minFree` is 0).
std::optional<GcResult> collectIfLowOnSpace(LocalStore& store, uint64_t minFree, uint64_t maxFree,
                                            bool runtimeRoots);

/// Every root of `store`: permanent (gcroots/ and profiles/), temporary and, if asked,
/// runtime; only roots naming valid paths. Holds no lock: a listing for people.
std::vector<GcRootRef> findAllRoots(LocalStore& store, bool runtimeRoots);

} // namespace purist
