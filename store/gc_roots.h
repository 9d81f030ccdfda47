#pragma once
// GC roots: what keeps store paths alive. A root is an entry under `<root>/gcroots/`:
//   - a regular file whose *name* is a store path's base name (read with one directory
//     listing, no readlink: hundreds of thousands of roots in well under a second);
//   - a symlink to a store path (or to a path inside one);
//   - an indirect root: a symlink to a link elsewhere (a `result` link) that points into
//     the store; it dies with the link it names.
// Subdirectories (per-user/<name>/, auto/) are read recursively.

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

/// All roots found, and indirect roots whose link no longer points into the store.
struct GcRootScan {
    std::vector<GcRoot> roots;
    std::vector<std::string> stale; ///< entries under gcroots/ that keep nothing alive
};

/// Reads every root under `gcRootsDir` for a store whose logical dir is `storeDir` and
/// whose files are in `realStoreDir` (links may point at either). A missing `gcRootsDir`
/// has no roots. Throws SysError naming the entry that could not be read.
GcRootScan findGcRoots(const std::string& gcRootsDir, const StoreDir& storeDir,
                       const std::string& realStoreDir);

} // namespace purist
