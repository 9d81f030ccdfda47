#include "store/disk_space.h"

#include <cerrno>
#include <filesystem>
#include <sys/stat.h>
#include <sys/statvfs.h>

namespace purist {

bool isNoSpace(int errorNumber) {
    return errorNumber == ENOSPC || errorNumber == EDQUOT;
}

uint64_t freeSpace(const std::string& path) {
    struct statvfs st {};
    if (::statvfs(path.c_str(), &st) == -1) return 0;
    return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

StoreError noSpaceError(const std::string& path, const std::string& doing, uint64_t needed) {
    std::string message = "no space left on " + path + " (" + doing + "; ";
    if (needed) message += "needed " + std::to_string(needed) + " bytes, ";
    message += "free " + std::to_string(freeSpace(path)) + " bytes)";
    return StoreError(message);
}

uint64_t treeSize(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    uint64_t total = 0;
    struct stat st {};
    if (::lstat(path.c_str(), &st) == -1) return 0;
    if (!S_ISDIR(st.st_mode)) return static_cast<uint64_t>(st.st_size);
    for (auto it = fs::recursive_directory_iterator(path, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
        if (::lstat(it->path().c_str(), &st) == 0 && !S_ISDIR(st.st_mode))
            total += static_cast<uint64_t>(st.st_size);
    return total;
}

} // namespace purist
