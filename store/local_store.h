#pragma once
// A store on the local file system: the root with store/, db/, gcroots/, logs/, tmp/,
// its DB, and the operations that keep the two consistent (add, register, verify).

#include "store/canonicalise.h"
#include "store/gc_temp_roots.h"
#include "store/ref_scanner.h"
#include "store/scratch.h"
#include "store/store_db.h"
#include "store/store_path.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace purist {

/// Where a store lives. `storeDir` is the logical dir that store paths name (what a
/// builder sees, and what hashes are computed over); `realStoreDir` is where the files
/// are on this machine. They differ for a store that mimics /nix/store under another root.
struct StoreLayout {
    std::string root;
    std::string storeDir;
    std::string realStoreDir;
    std::string dbPath;

    /// The layout rooted at `root`: store dir `<root>/store` unless `storeDir` is given.
    static StoreLayout atRoot(const std::string& root, const std::string& storeDir = "");
    /// $PURIST_ROOT, else $XDG_DATA_HOME/purist, else ~/.local/share/purist; the store dir
    /// from $PURIST_STORE_DIR if set.
    static StoreLayout fromEnvironment();
    /// An existing Nix store read-only: `nix:///nix` or a prefix such as `/nix`.
    static StoreLayout nixStore(const std::string& prefix);
    std::string gcRootsDir() const { return root + "/gcroots"; }
    std::string logsDir() const { return root + "/logs"; }
    std::string tmpDir() const { return root + "/tmp"; }
};

/// A path produced in place (by a build) and waiting to be registered.
struct NewPath {
    StorePath path;
    /// Where the contents are now, on the same file system as the real store dir; moved
    /// to the real store location on registration. May equal that location.
    std::string location;
    std::optional<StorePath> deriver;
    std::string ca;
};

/// The result of scanning and hashing one path: its info, and where each reference was
/// found (evidence for the checker).
struct ScannedPath {
    ValidPathInfo info;
    std::map<std::string, ReferenceSite> sites; ///< by hash part
};

/// One mismatch found by verify().
struct VerifyProblem {
    StorePath path;
    std::string problem; ///< "missing from disk", "NAR hash ... expected ...", ...
};

/// The path `nix-store --add` would give `sourcePath` in a store whose dir is `storeDir`:
/// recursive SHA-256 of its NAR, no references, named `name` or after the source's last
/// component. Reads the source; needs no store.
StorePath computeSourcePath(const StoreDir& storeDir, const std::string& sourcePath,
                            std::string name = "");

/// Owns the store's DB connection. Not thread-safe.
class LocalStore {
public:
    /// Creates the root's directories if missing (in ReadWrite mode) and opens the DB. In
    /// ReadWrite mode, reclaims the scratch space of dead processes (reclaimScratch).
    explicit LocalStore(StoreLayout layout, Database::Mode mode = Database::Mode::ReadWrite);

    const StoreLayout& layout() const { return layout_; }
    const StoreDir& storeDir() const { return db_.storeDir(); }
    StoreDb& db() { return db_; }

    /// Where `path`'s files are on this machine.
    std::string realPath(const StorePath& path) const;
    /// Parses a user's argument: an absolute path in the store dir or the real store dir,
    /// a base name, or a symlink (a `result` link) to one. Throws UsageError.
    StorePath parseUserPath(const std::string& argument) const;

    /// Removes the scratch directories under tmp/ of processes that died before removing
    /// them (reclaimDeadScratch); a live process's stay.
    ScratchReclaim reclaimScratch();

    /// Makes `paths` temp roots of this process (gc_temp_roots.h): no collection removes
    /// them or their closures from now until the process exits. Call it before checking
    /// that a path is valid and using it, or before making it; waits while a collection
    /// runs. A no-op on a store opened read-only. Thread-safe. Throws SysError.
    void addTempRoots(const StorePathSet& paths);

    /// Copies `sourcePath` into the store as a source and registers it; returns its path.
    /// Adding a path that is already valid only returns it. Holds the path's PathLock from
    /// the validity check to the registration, so a valid path is never removed or replaced,
    /// whatever other adders and builders of the same path do meanwhile.
    StorePath addSource(const std::string& sourcePath, std::string name = "");

    /// Canonicalises, scans (candidates: `referenceCandidates` plus the batch's own paths),
    /// hashes, moves into place and registers `paths` in one DB transaction. On failure
    /// nothing is registered and nothing is left at the store locations. The caller holds
    /// every path's PathLock and has found it invalid; a path that is valid is refused
    /// (StoreError), never replaced.
    std::vector<ScannedPath> registerNewPaths(const std::vector<NewPath>& paths,
                                              const StorePathSet& referenceCandidates);

    /// Re-hashes the contents of `paths` (all valid paths if empty) and compares hash,
    /// size and references with the DB. Returns every problem found.
    std::vector<VerifyProblem> verify(const std::vector<StorePath>& paths);

private:
    ScannedPath scanPath(const StorePath& path, const std::string& location,
                         const std::vector<std::string>& candidateHashParts) const;

    StoreLayout layout_;
    StoreDb db_;
    std::unique_ptr<TempRoots> tempRoots_; // null when read-only
};

} // namespace purist
