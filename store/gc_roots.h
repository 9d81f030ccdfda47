#pragma once
// GC roots: what keeps store paths alive. A root is an entry under `<root>/gcroots/`:
//   - a regular file whose *name* is a store path's base name (read with one directory
//     listing, no readlink: hundreds of thousands of roots in well under a second);
//   - a symlink to a store path (or to a path inside one);
//   - an indirect root: a symlink to a link elsewhere (a `result` link) that points into
//     the store; it dies with the link it names.
// Subdirectories (per-user/<name>/, auto/) are read recursively. As in Nix, `<root>/profiles`
// is read the same way (profile generations are links into the store), and a link to
// something outside the store that is not itself a link (gcroots/profiles -> profiles/)
// is neither a root nor stale.

#include "store/store_path.h"

#include <map>
#include <string>
#include <vector>

namespace purist {

/// Where a root was found and what it keeps alive.
struct GcRoot {
    std::string location; ///< the entry under gcroots/ (for indirect roots, the link it names)
    StorePath path;
};

/// All roots found (each (location, path) once, sorted by path, then location, as
/// `nix-store --gc --print-roots` lists them), and indirect roots whose link no longer points into
/// the store.
struct GcRootScan {
    std::vector<GcRoot> roots;
    std::vector<std::string> stale; ///< entries under gcroots/ that keep nothing alive
};

/// Reads every root under `gcRootsDir` for a store whose logical dir is `storeDir` and
/// whose files are in `realStoreDir` (links may point at either). A missing `gcRootsDir`
/// has no roots. Throws SysError naming the entry that could not be read.
GcRootScan findGcRoots(const std::string& gcRootsDir, const StoreDir& storeDir,
                       const std::string& realStoreDir);
/// The same over several directories, in order.
GcRootScan findGcRoots(const std::vector<std::string>& dirs, const StoreDir& storeDir,
                       const std::string& realStoreDir);

/// The directories of a store root that hold permanent roots, as Nix reads them:
/// `<root>/gcroots` and `<root>/profiles` (for a Nix store, /nix/var/nix/{gcroots,profiles}).
std::vector<std::string> gcRootDirs(const std::string& root);

/// A `result` link, as nix-build leaves one: points `link` (an absolute path) at `target`,
/// replacing an earlier symlink there atomically, and registers it as an indirect root,
/// `<gcRootsDir>/auto/<hash of the link's path>` -> `link`, so `target` stays alive while
/// the link exists and the root dies with it. Refuses (UsageError) to replace anything at
/// `link` that is not a symlink; throws SysError naming the path that failed.
void addResultLink(const std::string& gcRootsDir, const std::string& target,
                   const std::string& link);

} // namespace purist
