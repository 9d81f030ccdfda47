// The global operator new and delete of purist-sandbox (linked into it, and into the test
// of this file, not into purist): a child the helper forked allocates from its own
// populated region (sandbox/child_memory.h), everything else from malloc. libstdc++'s
// other forms (arrays, nothrow, sized delete) forward to these two; the aligned forms use
// aligned_alloc and free directly, never the region.

#include "sandbox/child_memory.h"

#include <cstdlib>
#include <new>

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
