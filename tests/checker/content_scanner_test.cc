// Content patterns over files in chunks: hits across chunk boundaries, offsets, excerpts.

#include "checker/content_scanner.h"

#include "base/error.h"
#include "base/file_descriptor.h"
#include "base/temp_dir.h"
#include "checker/path_walker.h"
#include "tests/support/hostile_trees.h"

#include <algorithm>
#include <fcntl.h>
#include <filesystem>
#include <gtest/gtest.h>
#include <memory>
#include <thread>
#include <tuple>
#include <unistd.h>

namespace purist::checker {
namespace {

std::vector<ContentHit> scanFd(const ContentScanner& scanner, int fd) {
    std::vector<ContentHit> hits;
    scanner.scanFile(fd, "f", std::vector<bool>(scanner.size(), true),
                     [&](const ContentHit& hit) { hits.push_back(hit); });
    return hits;
}

/// Scans `bytes` twice: as a regular file (mapped, in kMappedWindow windows) and through a
/// pipe (read in kChunkSize chunks). Both must report the same hits, which are returned.
std::vector<ContentHit> scanString(const ContentScanner& scanner, const std::string& bytes) {
    TempDir dir;
    writeFile(dir.path() + "/f", bytes);
    FileDescriptor fd = openFile(dir.path() + "/f", O_RDONLY);
    std::vector<ContentHit> mapped = scanFd(scanner, fd.get());

    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    FileDescriptor readEnd(fds[0]), writeEnd(fds[1]);
    std::thread writer([&] {
        writeAll(writeEnd.get(), bytes, "the pipe");
        writeEnd.close();
    });
    std::vector<ContentHit> piped = scanFd(scanner, readEnd.get());
    writer.join();

    // Hits come per window, so the two window sizes may order them differently.
    auto byPatternThenOffset = [](std::vector<ContentHit> hits) {
        std::sort(hits.begin(), hits.end(), [](const auto& x, const auto& y) {
            return std::tie(x.pattern, x.offset) < std::tie(y.pattern, y.offset);
        });
        return hits;
    };
    std::vector<ContentHit> sortedMapped = byPatternThenOffset(mapped);
    piped = byPatternThenOffset(piped);
    EXPECT_EQ(mapped.size(), piped.size());
    for (size_t i = 0; i < std::min(mapped.size(), piped.size()); ++i) {
        EXPECT_EQ(sortedMapped[i].pattern, piped[i].pattern);
        EXPECT_EQ(sortedMapped[i].offset, piped[i].offset);
        EXPECT_EQ(sortedMapped[i].match, piped[i].match);
        EXPECT_EQ(sortedMapped[i].excerpt, piped[i].excerpt);
    }
    return mapped;
}

TEST(ContentScanner, FindsMatchesAroundMappedWindowBoundaries) {
    const size_t window = ContentScanner::kMappedWindow;
    const std::string needle = "/homeless-shelter";
    ContentScanner scanner({"/homeless-shelter"});
    std::string bytes(window + ContentScanner::kMaxMatchLength + 1000, 'x');
    for (size_t offset : {window - 5, window + ContentScanner::kMaxMatchLength - 3, window}) {
        std::string copy = bytes;
        copy.replace(offset, needle.size(), needle);
        auto hits = scanString(scanner, copy);
        ASSERT_EQ(hits.size(), 1u) << offset;
        EXPECT_EQ(hits[0].offset, offset);
    }
}

TEST(ContentScanner, FindsMatchesAtEveryPositionAroundChunkBoundaries) {
    const size_t chunk = ContentScanner::kChunkSize + ContentScanner::kMaxMatchLength;
    const std::string needle = "/homeless-shelter";
    ContentScanner scanner({"/homeless-shelter", "/home/[a-z]+"});
    // Straddling the first buffer's end, at its very end, at the start of the next read,
    // and deep in the second chunk.
    for (size_t offset : {chunk - 5, chunk - needle.size(), chunk, chunk + 1, chunk - 1,
                          2 * ContentScanner::kChunkSize + 17, size_t{0}}) {
        std::string bytes(3 * ContentScanner::kChunkSize, 'x');
        bytes.replace(offset, needle.size(), needle);
        auto hits = scanString(scanner, bytes);
        ASSERT_EQ(hits.size(), 1u) << offset;
        EXPECT_EQ(hits[0].pattern, 0u);
        EXPECT_EQ(hits[0].offset, offset);
        EXPECT_EQ(hits[0].match, needle);
    }
}

TEST(ContentScanner, VariableLengthMatchAcrossBoundaryIsWhole) {
    const size_t chunk = ContentScanner::kChunkSize + ContentScanner::kMaxMatchLength;
    ContentScanner scanner({"/home/[a-z]+"});
    std::string bytes(2 * chunk, '.');
    bytes.replace(chunk - 8, 15, "/home/alicebob/");
    auto hits = scanString(scanner, bytes);
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].offset, chunk - 8);
    EXPECT_EQ(hits[0].match, "/home/alicebob");
}

TEST(ContentScanner, BinaryBytesAndFirstHitPerPattern) {
    ContentScanner scanner({"/usr/bin/", "\\x00/tmp/"});
    const char raw[] = "\xff\xfe\x00/tmp/a /usr/bin/b /usr/bin/c";
    std::string bytes(raw, sizeof raw - 1);
    auto hits = scanString(scanner, bytes);
    std::sort(hits.begin(), hits.end(),
              [](const auto& a, const auto& b) { return a.offset < b.offset; });
    ASSERT_EQ(hits.size(), 2u);
    EXPECT_EQ(hits[0].pattern, 1u);
    EXPECT_EQ(hits[0].offset, 2u);
    EXPECT_EQ(hits[0].excerpt, ".../tmp/a /usr/bin/b /usr/bin/c");
    EXPECT_EQ(hits[1].pattern, 0u);
    EXPECT_EQ(hits[1].offset, 10u);
}

TEST(ContentScanner, InactivePatternsAreNotReported) {
    ContentScanner scanner({"a", "b"});
    std::vector<ContentHit> hits;
    scanner.scanBytes("ab", {false, true}, [&](const ContentHit& h) { hits.push_back(h); });
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].pattern, 1u);
}

TEST(ContentScanner, EmptyFileAndNoMatch) {
    ContentScanner scanner({"needle"});
    EXPECT_TRUE(scanString(scanner, "").empty());
    EXPECT_TRUE(scanString(scanner, std::string(100000, 'n')).empty());
}

// Patterns with a literal prefix take the SIMD pair scan; adding one without one
// forces the DFA pass ("[a-c]\\x01" has no literal prefix). Both must report the same first hits.
TEST(ContentScanner, PrefixScanAndDfaAgree) {
    const size_t chunk = ContentScanner::kChunkSize + ContentScanner::kMaxMatchLength;
    std::string bytes(2 * chunk + 999, '/');
    for (size_t i = 0; i < bytes.size(); i += 7)
        bytes[i] = static_cast<char>('a' + i % 26);
    bytes.replace(chunk - 3, 9, "/usr/lib/");
    bytes.replace(chunk + 5000, 17, "/tmp/nix-build-ab");
    bytes.replace(70, 6, "/root/");
    std::vector<std::string> patterns = {"/usr/(bin|lib)/", "/tmp/nix-build-[a-z]+", "/root/",
                                         "/tmp/"};
    ContentScanner prefixed(patterns);
    patterns.push_back("[a-c]\\x01");
    ContentScanner dfa(patterns);
    auto a = scanString(prefixed, bytes);
    auto b = scanString(dfa, bytes);
    auto byPattern = [](std::vector<ContentHit> hits) {
        std::sort(hits.begin(), hits.end(),
                  [](const auto& x, const auto& y) { return x.pattern < y.pattern; });
        return hits;
    };
    a = byPattern(a);
    b = byPattern(b);
    ASSERT_EQ(a.size(), 4u);
    ASSERT_EQ(b.size(), 4u);
    for (size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(a[i].offset, b[i].offset) << patterns[i];
        EXPECT_EQ(a[i].match, b[i].match) << patterns[i];
    }
    EXPECT_EQ(a[0].offset, chunk - 3);
    EXPECT_EQ(a[1].offset, chunk + 5000);
    EXPECT_EQ(a[1].match, "/tmp/nix-build-ab");
    EXPECT_EQ(a[2].offset, 70u);
    EXPECT_EQ(a[3].offset, chunk + 5000);
}

// Issue 10's class, found again in the content scanner: its first pass joined every pattern
// in one alternation, and 4,000 patterns of 470 bytes (about 1.8 million RE2 nodes) made
// RE2 print "CoalesceWalker::ShortVisit called" 46 times and refuse the policy ("pattern
// too large"). Now the alternation is split; nothing on stderr, and patterns in the first,
// a middle and the last group are each found.
TEST(ContentScanner, ThousandsOfLongPatternsCompileQuietlyAndEachIsFound) {
    std::vector<std::string> patterns;
    for (int i = 0; i < 4000; ++i) {
        std::string pattern = "n" + std::to_string(i) + "-";
        for (int j = 0; j < 230; ++j)
            pattern += ".x";
        patterns.push_back(pattern);
    }
    ::testing::internal::CaptureStderr();
    std::unique_ptr<ContentScanner> scanner;
    EXPECT_NO_THROW(scanner = std::make_unique<ContentScanner>(patterns));
    EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
    ASSERT_TRUE(scanner);
    std::string text = "padding ";
    for (int i : {0, 2000, 3999}) {
        text += "n" + std::to_string(i) + "-";
        for (int j = 0; j < 230; ++j)
            text += "yx";
        text += " ";
    }
    std::vector<ContentHit> hits = scanString(*scanner, text);
    std::vector<size_t> found;
    for (const ContentHit& hit : hits)
        found.push_back(hit.pattern);
    std::sort(found.begin(), found.end());
    EXPECT_EQ(found, (std::vector<size_t>{0, 2000, 3999}));
}

TEST(ContentScanner, BadPatternIsAConfigError) {
    EXPECT_THROW(ContentScanner({"(x"}), ConfigError);
}

// The checker's walk over every hostile tree: symlinks are visited as symlinks and never
// entered, read only relative to their directory; what they point at is unchanged; the
// deep chain is walked to its bottom in 48 descriptors, and its leaf scanned there.
TEST(PathWalker, WalksEveryHostileTreeWithoutFollowingItsSymlinks) {
    TempDir dir("purist-test-", testing::scratchParent());
    ContentScanner scanner({"keep me", "secret", "leaf"});
    testing::forEachHostileTree(
        dir.path(), true,
        [&](const testing::HostileTree& tree, const std::string& root, const std::string&) {
            size_t symlinks = 0, deepest = 0;
            std::vector<std::string> matched;
            testing::withDescriptorLimit(48, [&] {
                walkPath(root, [&](const WalkEntry& entry) {
                    const std::string& path = entry.relativePath;
                    if (path.ends_with("/leaf"))
                        deepest = static_cast<size_t>(std::count(path.begin(), path.end(), '/'));
                    for (const char* through : {"outside/", "sub/", "etc/", "self/", "up/",
                                                "d/back/", "ro/inner/outside/", "me/", "loop-a/"})
                        EXPECT_FALSE(path.starts_with(through))
                            << path.substr(0, 200) << " was reached through a symlink";
                    if (S_ISLNK(entry.status.st_mode)) {
                        ++symlinks;
                        EXPECT_FALSE(readVisitedLink(entry).empty());
                    } else if (S_ISREG(entry.status.st_mode)) {
                        FileDescriptor fd = openVisited(entry);
                        scanner.scanFile(fd.get(), entry.shownPath, {true, true, true},
                                         [&](const ContentHit& hit) {
                                             matched.push_back(scanner.source(hit.pattern));
                                         });
                    }
                });
            });
            EXPECT_GT(symlinks, 0u);
            EXPECT_EQ(std::count(matched.begin(), matched.end(), "keep me"), 0)
                << "a file outside the tree was scanned";
            EXPECT_EQ(std::count(matched.begin(), matched.end(), "secret"), 0);
            if (tree.name.find("5,000-deep") != std::string::npos) {
                EXPECT_EQ(deepest, 5000u);
                EXPECT_EQ(std::count(matched.begin(), matched.end(), "leaf"), 1);
            }
        });
}

} // namespace
} // namespace purist::checker
