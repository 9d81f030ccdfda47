#pragma once
// Visiting every entry of a store path on disk, without following symlinks.

#include <functional>
#include <string>
#include <sys/stat.h>

namespace purist::checker {

/// Calls `visit(relativePath, status)` for `root` itself (relativePath "") and every entry
/// below it, parents before children, entries of a directory in byte order. Symlinks are
/// reported, never followed. Throws SysError naming the entry that could not be read.
void walkPath(
    const std::string& root,
    const std::function<void(const std::string& relativePath, const struct stat&)>& visit);

} // namespace purist::checker
