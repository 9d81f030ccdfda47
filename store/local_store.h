#pragma once
// A store on the local file system: the root with store/, db/, gcroots/, logs/, tmp/,
// its DB, and the operations that keep the two consistent (add, register, verify).

#include "store/canonicalise.h"
#include "store/gc_temp_roots.h"
#include "store/ref_scanner.h"
#include "store/scratch.h"
#include "store/store_db.h"
#include "store/store_path.h"

#include <functional>
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
    /// An existing Nix store (nixStore()): purist opens it read-only and never writes under
    /// it, not even in its tmp dir.
    bool nix = false;

    /// The layout rooted at `root`: store dir `<root>/store` unless `storeDir` is given.
    static StoreLayout atRoot(const std::string& root, const std::string& storeDir = "");
    /// $PURIST_ROOT, else $XDG_DATA_HOME/purist, else ~/.local/share/purist; the store dir
    /// from $PURIST_STORE_DIR if set.
    static StoreLayout fromEnvironment();
    /// An existing Nix store (opened read-only by its users), named as:
    /// - `nix:///PREFIX`: PREFIX holds store/ and var/nix/db (`nix:///nix`, the system's);
    /// - `local?root=DIR` (Nix's URL) or `local`: the chroot store DIR/nix (`/nix`);
    /// - a bare `DIR`: the chroot store DIR/nix if DIR/nix/var/nix/db/db.sqlite exists (what
    ///   `nix-build --store DIR` makes), else the PREFIX DIR; both at once is ambiguous.
    /// Paths always name /nix/store. Throws UsageError on another spelling, StoreError when a
    /// bare DIR holds neither.
    static StoreLayout nixStore(const std::string& spec);
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

/// Whether `info`'s references were found by scanning its contents for candidate hash
/// parts (build outputs, added sources), so that a rescan must agree with them. A store
/// derivation's and any other text-hashed path's (`ca` "text:...", builtins.toFile) were
/// declared by their writer instead: a .drv names its outputs in its text, and Nix
/// deliberately does not record them as references.
bool referencesFromScanning(const ValidPathInfo& info);

/// The path `nix-store --add` would give `sourcePath` in a store whose dir is `storeDir`:
/// recursive SHA-256 of its NAR, no references, named `name` or after the source's last
/// component. Reads the source; needs no store.
StorePath computeSourcePath(const StoreDir& storeDir, const std::string& sourcePath,
                            std::string name = "");

/// Owns the store's DB connection. Not thread-safe.
class LocalStore {
public:
    /// Creates the root's directories if missing (in ReadWrite mode) and opens the DB. In
    /// ReadWrite mode, reclaims the scratch space of dead processes (reclaimScratch). A Nix
    /// store's layout (StoreLayout::nix) is always opened ReadOnly, whatever `mode` says.
    explicit LocalStore(StoreLayout layout, Database::Mode mode = Database::Mode::ReadWrite);

    const StoreLayout& layout() const { return layout_; }
    /// Opened in Database::Mode::ReadOnly (as a Nix store always is): every operation that
    /// would write refuses, before it touches a file (requireWritable).
    bool readOnly() const { return mode_ == Database::Mode::ReadOnly; }
    /// Throws StoreError saying `what` writes to a read-only store, if it is one.
    void requireWritable(const std::string& what) const;
    const StoreDir& storeDir() const { return db_.storeDir(); }
    StoreDb& db() { return db_; }

    /// Where `path`'s files are on this machine.
    std::string realPath(const StorePath& path) const;
    /// Parses a user's argument: an absolute path in the store dir or the real store dir,
    /// a base name, or a symlink (a `result` link) to one. Throws UsageError.
    StorePath parseUserPath(const std::string& argument) const;

    /// Removes the scratch directories under tmp/ of processes that died before removing
    /// them (reclaimDeadScratch); a live process's stay. Refused on a Nix store.
    ScratchReclaim reclaimScratch();

    /// Makes `paths` temp roots of this process (gc_temp_roots.h): no collection removes
    /// them or their closures from now until the process exits. Call it before checking
    /// that a path is valid and using it, or before making it; waits while a collection
    /// runs. A no-op on a store opened read-only. Thread-safe. Throws SysError.
    void addTempRoots(const StorePathSet& paths);

    /// Copies `sourcePath` into the store as a source and registers it; returns its path.
    /// Refused (StoreError) on a read-only store, before anything is copied.
    /// Adding a path that is already valid only returns it. Holds the path's PathLock from
    /// the validity check to the registration, so a valid path is never removed or replaced,
    /// whatever other adders and builders of the same path do meanwhile.
    StorePath addSource(const std::string& sourcePath, std::string name = "");

    /// Called by registerNewPaths with the batch as scanned (references, NAR size and hash,
    /// in the batch's order) while every path is still at its `location`; throwing aborts
    /// the registration. A build's output checks run here (builds/output_checks.h).
    using RegistrationGate = std::function<void(const std::vector<ScannedPath>& scanned)>;

    /// Canonicalises, scans (candidates: `referenceCandidates` plus the batch's own paths),
    /// hashes, asks `gate` (if any), moves into place and registers `paths` in one DB
    /// transaction. On failure (the gate's included) nothing is registered and nothing is
    /// left at the store locations; a path the gate refused stays, canonicalised, at its
    /// `location`. The caller holds every path's PathLock and has found it invalid; a path
    /// that is valid is refused (StoreError), never replaced, and so is every path on a read-only
    /// store.
    std::vector<ScannedPath> registerNewPaths(const std::vector<NewPath>& paths,
                                              const StorePathSet& referenceCandidates,
                                              const RegistrationGate& gate = {});

    /// The steps of registerNewPaths once the gate has passed: each path of the batch in
    /// order is moved into the store (Move) and its top directory sealed (Seal); then the
    /// batch is committed to the DB in one transaction (Commit).
    enum class RegistrationStep { Move, Seal, Commit };
    /// Called before each step with the index of its path in the batch (the batch's size
    /// for Commit). Throwing makes the step fail as a failing system call or DB would.
    using RegistrationFault = std::function<void(RegistrationStep step, size_t index)>;
    /// The fault-injection seam of registration, for tests of its rollback: `fault` is
    /// called before every later step of every registration by this object. Default: none.
    void injectRegistrationFault(RegistrationFault fault) { registrationFault_ = std::move(fault); }

    /// Re-hashes the contents of `paths` (all valid paths if empty) and compares hash and
    /// size with the DB, as `nix-store --verify --check-contents` does. Where the recorded
    /// references came from a scan of the contents (referencesFromScanning), also rescans:
    /// every recorded reference must be held, and no path the scan at registration had
    /// among its candidates may be held unrecorded. Returns every problem found.
    std::vector<VerifyProblem> verify(const std::vector<StorePath>& paths);

private:
    ScannedPath scanPath(const StorePath& path, const std::string& location,
                         const std::vector<std::string>& candidateHashParts) const;

    StoreLayout layout_;
    Database::Mode mode_;
    StoreDb db_;
    std::unique_ptr<TempRoots> tempRoots_; // null when read-only
    RegistrationFault registrationFault_;
};

} // namespace purist
