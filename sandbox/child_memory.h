#pragma once
// Memory for the processes the sandbox helper forks (the intermediate and, sharing its
// memory until it execs, the builder). Internal to sandbox/.
//
// A child of fork() shares every page with its parent until one of them writes it; the
// first write copies the page (a copy-on-write fault, on a VM 15-20 us with the TLB
// shootdown it needs). Each std::string the set-up builds would write into heap pages
// shared with the helper. Instead, right after the fork, the child maps a small region,
// populated in one system call, and the helper's operator new (child_allocator.cc) serves
// every later allocation of the child from it: no fault at all.

#include <cstddef>

namespace purist::sandbox {

/// In a child just forked by the helper: maps `bytes` of populated memory for
/// allocateChildMemory. If the mapping fails, allocations keep using the heap.
void useChildMemory(size_t bytes);

/// `size` bytes aligned to `alignment` (a power of two, at most 4096) from the child's
/// region; nullptr when useChildMemory was not called or the region is used up.
void* allocateChildMemory(size_t size, size_t alignment);

/// True if `p` came from allocateChildMemory: freeing it is a no-op (the region goes
/// with the process).
bool isChildMemory(const void* p);

} // namespace purist::sandbox
