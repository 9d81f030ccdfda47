#include "base/error.h"
#include "base/temp_dir.h"
#include "store/base32.h"
#include "store/hash.h"
#include "store/ref_scanner.h"
#include "tests/support/hostile_trees.h"
#include "tests/support/test_support.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

namespace purist {
namespace {

namespace fs = std::filesystem;

std::string hashPartOf(int i) {
    return base32::encode(foldHash(hashString(HashAlgorithm::Sha256, std::to_string(i)), 20));
}

std::map<std::string, ReferenceSite>
scanInChunks(const std::string& data, const std::vector<std::string>& candidates, size_t chunk) {
    RefScanner scanner(candidates);
    for (size_t i = 0; i < data.size(); i += chunk)
        scanner.write(std::string_view(data).substr(i, chunk));
    return scanner.found();
}

TEST(RefScannerTest, FindsHashesSplitAcrossEveryBoundary) {
    std::string a = hashPartOf(1), b = hashPartOf(2), absent = hashPartOf(3);
    std::string data =
        std::string(50, '\x01') + a + "/bin/sh" + std::string(7, '\xff') + b + "tail";
    // Every chunk size from 1 byte up splits the hashes at every possible place.
    for (size_t chunk = 1; chunk <= data.size(); ++chunk) {
        auto found = scanInChunks(data, {a, b, absent}, chunk);
        ASSERT_EQ(found.size(), 2u) << "chunk " << chunk;
        EXPECT_EQ(found.at(a).offset, 50u) << "chunk " << chunk;
        EXPECT_EQ(found.at(b).offset, 50u + 32 + 7 + 7) << "chunk " << chunk;
        EXPECT_FALSE(found.count(absent));
    }
}

TEST(RefScannerTest, FindsHashesInsideLongRunsOfBase32Characters) {
    std::string a = hashPartOf(4);
    // The hash sits inside a run of valid digits: every window of the run must be tried.
    std::string data = "0123456789abcdfg" + a + "hijklmnpqrsvwxyz";
    for (size_t chunk : {1, 5, 31, 32, 33, 64, 1000}) {
        auto found = scanInChunks(data, {a}, chunk);
        ASSERT_EQ(found.size(), 1u) << chunk;
        EXPECT_EQ(found.at(a).offset, 16u);
    }
}

TEST(RefScannerTest, IgnoresNearMisses) {
    std::string a = hashPartOf(5);
    std::string truncated = a.substr(0, 31);
    std::string mutated = a;
    mutated[10] = mutated[10] == '0' ? '1' : '0';
    std::string withBadChar = a;
    withBadChar[20] = 'e'; // not in the alphabet
    std::string data = truncated + "\n" + mutated + "\n" + withBadChar;
    EXPECT_TRUE(scanInChunks(data, {a}, 7).empty());
}

TEST(RefScannerTest, RandomDataAgreesWithNaiveSearch) {
    std::mt19937_64 rng(42);
    std::vector<std::string> candidates;
    for (int i = 0; i < 50; ++i)
        candidates.push_back(hashPartOf(100 + i));
    for (int round = 0; round < 20; ++round) {
        std::string data;
        std::uniform_int_distribution<int> byte(0, 255), pick(0, 49), textish(0, 3);
        while (data.size() < 20000) {
            int kind = textish(rng);
            if (kind == 0 && rng() % 50 == 0)
                data += candidates[pick(rng)];
            else if (kind == 1)
                data += base32::kAlphabet[rng() % 32];
            else
                data += static_cast<char>(byte(rng));
        }
        std::map<std::string, uint64_t> expected;
        for (const auto& c : candidates) {
            size_t pos = data.find(c);
            if (pos != std::string::npos) expected[c] = pos;
        }
        auto found = scanInChunks(data, candidates, 1 + rng() % 4096);
        ASSERT_EQ(found.size(), expected.size()) << "round " << round;
        for (const auto& [c, pos] : expected)
            EXPECT_EQ(found.at(c).offset, pos);
    }
}

TEST(RefScannerTest, NamesTheFileAndOffsetInsideATree) {
    TempDir dir;
    std::string a = hashPartOf(6), b = hashPartOf(7), c = hashPartOf(8);
    std::string big(300000, 'x');
    big.replace(262140, 32, a); // straddles the dumper's 256 KiB buffer
    testing::makeFile(dir.path() + "/t/lib/big.so", big);
    testing::makeFile(dir.path() + "/t/bin/app", "#!/bin/sh\nexec /store/" + b + "-x/bin/y\n");
    fs::create_symlink("/store/" + c + "-z/share", dir.path() + "/t/share");
    auto found = scanForReferences(dir.path() + "/t", {a, b, c});
    ASSERT_EQ(found.size(), 3u);
    EXPECT_EQ(found.at(a), (ReferenceSite{"lib/big.so", 262140}));
    EXPECT_EQ(found.at(b), (ReferenceSite{"bin/app", 22}));
    EXPECT_EQ(found.at(c), (ReferenceSite{"share", 7}));
}

TEST(RefScannerTest, RejectsMalformedCandidates) {
    EXPECT_THROW(RefScanner({"tooshort"}), Error);
}

// A hash at the bottom of a 2,000-deep chain of 200-byte names is found and placed; the
// scanner's pending payload marks held a path each, which took hundreds of MiB here.
TEST(RefScannerTest, PlacesAHashAtTheBottomOfADeepChainInLinearMemory) {
    TempDir dir("purist-test-", testing::scratchParent());
    std::string root = dir.path() + "/chain";
    std::string hash = hashPartOf(1);
    testing::makeDeepChain(root, 2000, 200, "refers to /nix/store/" + hash + "-x\n");
    bool failed = false;
    long kib = testing::peakKibInChild(
        [&] {
            auto found = scanForReferences(root, {hash, hashPartOf(2)});
            if (found.size() != 1 ||
                found.at(hash).file != testing::deepChainPath(2000, 200) + "/leaf" ||
                found.at(hash).offset != 21)
                throw Error("wrong site");
        },
        failed);
    EXPECT_FALSE(failed) << "the hash was not found at the bottom, or not placed there";
    EXPECT_LT(kib, testing::memoryBoundKib(64 * 1024)) << "peak RSS " << kib << " KiB";
}

} // namespace
} // namespace purist
