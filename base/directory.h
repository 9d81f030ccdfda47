#pragma once
// Reading a directory's entries: the one loop every tree walk in purist needs.

#include <string>
#include <vector>

namespace purist {

struct DirectoryEntry {
    std::string name;
    unsigned char type; ///< d_type: DT_DIR, DT_REG, DT_LNK, ... or DT_UNKNOWN
};

/// The entries of the directory open at `dirFd` (which stays open and is not moved), in
/// the order the file system returns them, without "." and "..". Throws SysError naming
/// `shownPath`.
std::vector<DirectoryEntry> listDirectory(int dirFd, const std::string& shownPath);

/// The same for the directory at `path`.
std::vector<DirectoryEntry> listDirectory(const std::string& path);

} // namespace purist
