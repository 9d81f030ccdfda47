#include "builds/output_locks.h"

#include <algorithm>

namespace purist::builds {

int OutputLockFile::descriptor() {
    if (!fd_) fd_ = openPathLockFile(tmpDir_);
    return fd_.get();
}

OutputLocks::OutputLocks(int lockFile, const std::vector<StorePath>& outputs) {
    std::vector<std::string> baseNames;
    baseNames.reserve(outputs.size());
    for (const StorePath& path : outputs)
        baseNames.push_back(path.baseName());
    std::sort(baseNames.begin(), baseNames.end());
    for (const std::string& baseName : baseNames) {
        PathLock lock(lockFile, baseName);
        if (!mustWait_ && !lock.tryLock()) mustWait_ = true;
        locks_.push_back(std::move(lock));
    }
}

void OutputLocks::wait() {
    for (PathLock& lock : locks_)
        lock.lock();
}

} // namespace purist::builds
