#include "builds/build_dirs.h"

#include "base/error.h"
#include "base/temp_dir.h"

#include <cerrno>
#include <sys/stat.h>

namespace purist::builds {
namespace {

void makeDirectory(const std::string& path, mode_t mode) {
    if (::mkdir(path.c_str(), mode) == -1) throw SysError("creating directory '" + path + "'");
}

} // namespace

std::unique_ptr<BuildDirs> BuildDirPool::take(bool isolated) {
    std::unique_ptr<BuildDirs> dirs;
    if (!spare_.empty()) {
        dirs = std::move(spare_.back());
        spare_.pop_back();
    } else {
        dirs = std::make_unique<BuildDirs>(BuildDirs{ScratchDir(tmpDir_, "build")});
        makeDirectory(dirs->build(), 0700);
        makeDirectory(dirs->out(), 0755);
        makeDirectory(dirs->sealed(), 0700);
    }
    const std::string& top = dirs->top.path();
    if (::chmod(top.c_str(), isolated ? 0700 : 0711) == -1)
        throw SysError("setting the mode of '" + top + "'");
    return dirs;
}

void BuildDirPool::giveBack(std::unique_ptr<BuildDirs> dirs) {
    if (!dirs) return;
    try {
        removeContents(dirs->build());
        removeContents(dirs->out());
        removeContents(dirs->sealed());
        spare_.push_back(std::move(dirs));
    } catch (const Error&) {
        // Not reused; ~ScratchDir removes what it can.
    }
}

// The root is a tmpfs mounted in the build's own mount namespace, so one empty directory
// serves them all, and a build creates and removes no directory for it.
const std::string& BuildDirPool::sandboxRoot() {
    if (sandboxRoot_.empty()) {
        std::string dir = tmpDir_ + "/sandbox-root";
        if (::mkdir(dir.c_str(), 0755) == -1 && errno != EEXIST)
            throw SysError("creating directory '" + dir + "'");
        sandboxRoot_ = dir;
    }
    return sandboxRoot_;
}

} // namespace purist::builds
