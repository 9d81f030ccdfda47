// purist-sandbox: the helper that forks every build's intermediate (sandbox/launcher.h).
// purist starts it with its end of their socket at descriptor 3; it is not meant to be
// run by hand.

#include "sandbox/child_memory.h"
#include "sandbox/launcher_protocol.h"

#include <cstdio>
#include <cstdlib>
#include <new>
#include <sys/stat.h>

// This program's operator new and delete: a forked child's allocations come from its own
// populated region (sandbox/child_memory.h), everything else from malloc. The other forms
// (arrays, nothrow) forward to these in libstdc++; aligned ones use aligned_alloc and free
// directly, never the region.
void* operator new(std::size_t size) {
    if (void* p = purist::sandbox::allocateChildMemory(size, __STDCPP_DEFAULT_NEW_ALIGNMENT__))
        return p;
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}

void operator delete(void* p) noexcept {
    if (!purist::sandbox::isChildMemory(p)) std::free(p);
}

void operator delete(void* p, std::size_t) noexcept {
    operator delete(p);
}

int main() {
    struct stat info {};
    if (::fstat(purist::sandbox::kLauncherSocketFd, &info) == -1 || !S_ISSOCK(info.st_mode)) {
        std::fputs("purist-sandbox: this helper is started by purist, not by hand\n", stderr);
        return 2;
    }
    purist::sandbox::runLauncher(purist::sandbox::kLauncherSocketFd);
}
