// The global operator new and delete of purist-sandbox (linked into it, and into the test
// of this file, not into purist): a child the helper forked allocates from its own
// populated region (sandbox/child_memory.h), everything else from malloc. libstdc++'s
// other forms (arrays, nothrow, sized delete) forward to these two (below, explicitly); the aligned
// forms use aligned_alloc and free directly, never the region.

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

// libstdc++'s other forms forward to the two above, but a sanitizer runtime replaces every
// form with its own: without these, ASan's nothrow new (std::stable_sort's buffer) pairs
// with the delete above and reports alloc-dealloc-mismatch. Defined here, every form meets
// the same region or malloc, whichever runtime the helper is linked with.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    try {
        return operator new(size);
    } catch (const std::bad_alloc&) {
        return nullptr;
    }
}

void* operator new[](std::size_t size) {
    return operator new(size);
}

void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
    return operator new(size, tag);
}

void operator delete(void* p, const std::nothrow_t&) noexcept {
    operator delete(p);
}

void operator delete[](void* p) noexcept {
    operator delete(p);
}

void operator delete[](void* p, std::size_t) noexcept {
    operator delete(p);
}

void operator delete[](void* p, const std::nothrow_t&) noexcept {
    operator delete(p);
}
