#include "base/install_layout.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace purist {
namespace {

namespace fs = std::filesystem;

// Compiled in by base/CMakeLists.txt: the relative paths from the install's bindir to its
// libexec/purist and share/purist (relative, so an install moved as a whole still works),
// and where this build's trees are.
constexpr std::string_view kBinToLibexec = PURIST_BIN_TO_LIBEXEC;
constexpr std::string_view kBinToData = PURIST_BIN_TO_DATA;
constexpr std::string_view kBuildTree = PURIST_BUILD_TREE;
constexpr std::string_view kSourceTree = PURIST_SOURCE_TREE;

// Whether `path` is `dir` or below it, compared component by component.
bool isWithin(const fs::path& path, const fs::path& dir) {
    auto [dirEnd, pathAt] = std::mismatch(dir.begin(), dir.end(), path.begin(), path.end());
    return dirEnd == dir.end();
}

} // namespace

std::vector<InstallCandidate> installCandidates(InstallDir dir, std::string_view relative,
                                                const std::string& executable) {
    std::vector<InstallCandidate> candidates;
    const fs::path self(executable);
    if (!self.is_absolute()) return candidates;
    const fs::path bin = self.parent_path();
    const bool fromBuildTree = isWithin(self.lexically_normal(), fs::path(kBuildTree));
    if (dir == InstallDir::Libexec) {
        candidates.push_back({(bin / relative).string()});
        candidates.push_back({(bin / kBinToLibexec / relative).lexically_normal().string()});
        // purist in the build tree finds this one beside it already.
        const fs::path built = fs::path(kBuildTree) / relative;
        if (fromBuildTree && built != bin / relative) candidates.push_back({built.string(), true});
    } else {
        candidates.push_back({(bin / kBinToData / relative).lexically_normal().string()});
        if (fromBuildTree)
            candidates.push_back({(fs::path(kSourceTree) / relative).string(), true});
    }
    return candidates;
}

std::string runningExecutable() {
    std::error_code error;
    fs::path self = fs::read_symlink("/proc/self/exe", error);
    return error ? std::string() : self.string();
}

} // namespace purist
