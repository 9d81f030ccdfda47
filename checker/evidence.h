#pragma once
// Evidence for a reference: where in a store path's files the hash part of another path
// occurs, with the bytes around it, so a maintainer can open the file and see it.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace purist::checker {

/// Bytes shown on each side of a referenced hash: enough to see past a long store dir to
/// what names the path (`compiler='`, `RPATH=`).
inline constexpr size_t kReferenceExcerptContext = 48;

/// Where a hash part was found inside a path.
struct ReferenceEvidence {
    std::string file;    ///< path inside the scanned path, "" for the path itself
    uint64_t offset = 0; ///< in the file's contents, symlink target or entry name
    std::string excerpt; ///< printable bytes around the hit
};

/// Scans the tree at `realPath` once for all `hashParts` and returns, by hash part, the
/// first place each occurs. A hash part that does not occur (or a tree that is not on
/// disk, as for a store known only from its DB) is absent from the result. Throws
/// SysError on a read error inside an existing tree.
std::map<std::string, ReferenceEvidence>
locateReferences(const std::string& realPath, const std::vector<std::string>& hashParts);

} // namespace purist::checker
