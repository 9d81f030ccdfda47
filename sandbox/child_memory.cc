#include "sandbox/child_memory.h"

#include <algorithm>
#include <cstdint>
#include <sys/mman.h>

namespace purist::sandbox {
namespace {

// Set once, in the child, before anything else runs there; the helper never sets it.
char* g_begin = nullptr;
char* g_next = nullptr;
char* g_end = nullptr;

} // namespace

void useChildMemory(size_t bytes) {
    void* region = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (region == MAP_FAILED) return;
    g_begin = g_next = static_cast<char*>(region);
    g_end = g_begin + bytes;
}

void* allocateChildMemory(size_t size, size_t alignment) {
    if (!g_next) return nullptr;
    // A zero-size allocation still gets a byte: its own address, inside the region (one
    // at the region's end would be handed to free()).
    size = std::max<size_t>(size, 1);
    // Padding counted in bytes, never by forming a pointer past the region's end.
    const size_t misalignment = reinterpret_cast<uintptr_t>(g_next) & (alignment - 1);
    const size_t padding = misalignment == 0 ? 0 : alignment - misalignment;
    const auto left = static_cast<size_t>(g_end - g_next);
    if (padding > left || size > left - padding) return nullptr;
    char* start = g_next + padding;
    g_next = start + size;
    return start;
}

bool isChildMemory(const void* p) {
    auto* c = static_cast<const char*>(p);
    return g_begin && c >= g_begin && c < g_end;
}

} // namespace purist::sandbox
