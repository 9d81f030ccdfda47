// The region a child of the sandbox helper allocates from (sandbox/child_memory.h). It is
// process-wide state, so each test runs in a child process of its own.

#include "sandbox/child_memory.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
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

} // namespace
} // namespace purist::sandbox
