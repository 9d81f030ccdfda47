// The region a child of the sandbox helper allocates from (sandbox/child_memory.h), and
// purist-sandbox's operator new and delete that use it (child_allocator.cc, linked into
// this test too). The region is process-wide state, so each test runs in a child process
// of its own.

#include "sandbox/child_memory.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <unistd.h>

namespace purist::sandbox {
namespace {

bool aligned(const void* p, size_t alignment) {
    return reinterpret_cast<uintptr_t>(p) % alignment == 0;
}

TEST(ChildMemoryTest, NothingComesFromItBeforeItIsMapped) {
    EXPECT_EXIT(
        {
            bool ok = allocateChildMemory(16, 16) == nullptr && !isChildMemory(nullptr);
            void* heap = std::malloc(16);
            ok = ok && !isChildMemory(heap);
            std::free(heap);
            ::_exit(ok ? 0 : 1);
        },
        ::testing::ExitedWithCode(0), "");
}

TEST(ChildMemoryTest, AllocationsAreAlignedDistinctAndEndWithTheRegion) {
    EXPECT_EXIT(
        {
            useChildMemory(4096);
            char* a = static_cast<char*>(allocateChildMemory(10, 16));
            char* b = static_cast<char*>(allocateChildMemory(100, 64));
            char* c = static_cast<char*>(allocateChildMemory(1, 16));
            bool ok = a && b && c && aligned(a, 16) && aligned(b, 64) && aligned(c, 16) &&
                      b >= a + 10 && c >= b + 100 && isChildMemory(a) && isChildMemory(c);
            // Written, it holds what was written (the region is real memory).
            for (int i = 0; i < 100; ++i)
                b[i] = static_cast<char>(i);
            for (int i = 0; i < 100 && ok; ++i)
                ok = b[i] == static_cast<char>(i);
            // The rest of the region, then nothing: the caller falls back to the heap.
            ok = ok && allocateChildMemory(4096, 16) == nullptr;
            void* heap = std::malloc(16);
            ok = ok && !isChildMemory(heap);
            std::free(heap);
            ::_exit(ok ? 0 : 1);
        },
        ::testing::ExitedWithCode(0), "");
}

TEST(ChildMemoryTest, AZeroSizeAllocationHasAnAddressOfItsOwnInsideTheRegion) {
    EXPECT_EXIT(
        {
            useChildMemory(4096);
            char* a = static_cast<char*>(allocateChildMemory(0, 16));
            char* b = static_cast<char*>(allocateChildMemory(0, 16));
            bool ok = a && b && a != b && isChildMemory(a) && isChildMemory(b);
            // Up to the last byte (`a` is the region's start: the first allocation of a
            // page-aligned mapping), then a zero-size request that must not get the
            // region's end, which is not the region's and would go to free().
            size_t left = 4096 - static_cast<size_t>(b + 1 - a);
            char* last = static_cast<char*>(allocateChildMemory(left, 1));
            ok = ok && last && isChildMemory(last + left - 1) && !isChildMemory(last + left);
            void* after = allocateChildMemory(0, 1);
            ok = ok && (after == nullptr || isChildMemory(after));
            ::_exit(ok ? 0 : 1);
        },
        ::testing::ExitedWithCode(0), "");
}

struct alignas(256) OverAligned {
    char bytes[256];
};

TEST(ChildMemoryTest, OperatorNewServesTheChildFromItsRegion) {
    EXPECT_EXIT(
        {
            // Before the region: the heap, freed normally.
            int* before = new int(1);
            bool ok = !isChildMemory(before);
            delete before;
            useChildMemory(64 << 10);
            auto* one = new int(2);
            auto* many = new char[100];
            auto* quiet = new (std::nothrow) long(3);
            std::string text(200, 'x'); // past the short-string buffer
            ok = ok && isChildMemory(one) && isChildMemory(many) && isChildMemory(quiet) &&
                 isChildMemory(text.data()) && *one == 2 && *quiet == 3;
            // Freeing a region pointer is a no-op: the next allocation does not reuse it.
            delete one;
            delete[] many;
            delete quiet;
            auto* next = new int(4);
            ok = ok && isChildMemory(next) && next != one;
            // Over-aligned types use aligned_alloc and free, never the region.
            auto* big = new OverAligned;
            ok = ok && !isChildMemory(big) && aligned(big, alignof(OverAligned));
            delete big;
            // Heap memory from before the region is still freed to the heap.
            int* heapAfter = static_cast<int*>(std::malloc(sizeof(int)));
            ok = ok && !isChildMemory(heapAfter);
            std::free(heapAfter);
            ::_exit(ok ? 0 : 1);
        },
        ::testing::ExitedWithCode(0), "");
}

} // namespace
} // namespace purist::sandbox
