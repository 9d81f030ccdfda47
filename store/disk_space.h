#pragma once
// Running out of disk space, said plainly: which file system, how much was needed, how much
// is free. A full disk otherwise surfaces as "disk I/O error" from SQLite or a bare errno
// from whichever write noticed first.

#include "base/error.h"

#include <cstdint>
#include <string>

namespace purist {

/// True for the errno values a full file system or an exhausted quota gives.
bool isNoSpace(int errorNumber);

/// Bytes an unprivileged process may still write on the file system holding `path`
/// (statvfs f_bavail); 0 if it cannot be asked.
uint64_t freeSpace(const std::string& path);

/// "no space left on <path> (<doing>; needed N bytes, free M bytes)", the needed part left
/// out when `needed` is 0 (not known, as for a database write).
StoreError noSpaceError(const std::string& path, const std::string& doing, uint64_t needed = 0);

/// The bytes of the regular files and symlinks below `path` (not following symlinks): what
/// copying it needs, give or take block rounding. 0 for a path that cannot be read.
uint64_t treeSize(const std::string& path);

} // namespace purist
