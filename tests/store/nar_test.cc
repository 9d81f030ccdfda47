#include "base/error.h"
#include "base/file_descriptor.h"
#include "base/temp_dir.h"
#include "store/hash.h"
#include "store/nar.h"
#include "tests/support/hostile_trees.h"
#include "tests/support/test_support.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <sys/stat.h>
#include <unistd.h>

namespace purist {
namespace {

namespace fs = std::filesystem;
using testing::makeFile;

/// The tree of tests/store/data/make-vectors.sh, rebuilt byte for byte.
void makeTrickyTree(const std::string& root) {
    fs::create_directories(root + "/sub");
    fs::create_directories(root + "/empty-dir");
    makeFile(root + "/hello.txt", "hello\n");
    makeFile(root + "/empty-file", "");
    makeFile(root + "/sub/run.sh", "#!/bin/sh\necho hi\n", 0755);
    fs::create_symlink("../hello.txt", root + "/sub/relative-link");
    fs::create_symlink("/nonexistent/target", root + "/dangling-link");
    makeFile(root + "/Case", "upper\n");
    makeFile(root + "/case", "lower\n");
    makeFile(root + "/na\xc3\xafve-\xe6\x97\xa5", "unicode\n");
    makeFile(root + "/.hidden", "x");
}

std::string dumpToString(const std::string& path, CaseHack caseHack = CaseHack::Off) {
    StringSink sink;
    NarDumpOptions options;
    options.caseHack = caseHack;
    dumpPath(path, sink, options);
    return sink.data();
}

void restoreFromString(const std::string& path, const std::string& nar,
                       CaseHack caseHack = CaseHack::Off) {
    StringSource source(nar);
    NarRestoreOptions options;
    options.caseHack = caseHack;
    restorePath(path, source, options);
}

/// Builds NAR byte strings token by token, for hostile archives.
class NarBuilder {
public:
    NarBuilder& str(std::string_view s) {
        u64(s.size());
        out_.append(s);
        out_.append((8 - s.size() % 8) % 8, '\0');
        return *this;
    }
    NarBuilder& u64(uint64_t v) {
        for (int i = 0; i < 8; ++i)
            out_.push_back(static_cast<char>(v >> (8 * i)));
        return *this;
    }
    NarBuilder& raw(std::string_view s) {
        out_.append(s);
        return *this;
    }
    NarBuilder& file(std::string_view contents) {
        return str("(").str("type").str("regular").str("contents").str(contents).str(")");
    }
    NarBuilder& entry(std::string_view name) {
        return str("entry").str("(").str("name").str(name).str("node");
    }
    std::string take() { return out_; }

private:
    std::string out_;
};

NarBuilder dirHeader() {
    NarBuilder b;
    b.str("nix-archive-1").str("(").str("type").str("directory");
    return b;
}

TEST(NarTest, DumpMatchesNixByteForByte) {
    TempDir dir;
    makeTrickyTree(dir.path() + "/tricky");
    EXPECT_EQ(dumpToString(dir.path() + "/tricky"),
              readFile(std::string(PURIST_TEST_DATA_DIR) + "/tricky.nar"));
    makeFile(dir.path() + "/single.txt", "hello\n");
    EXPECT_EQ(dumpToString(dir.path() + "/single.txt"),
              readFile(std::string(PURIST_TEST_DATA_DIR) + "/single.nar"));
    // The NAR hash Nix printed for the same tree (make-vectors.sh).
    EXPECT_EQ(hashString(HashAlgorithm::Sha256, dumpToString(dir.path() + "/tricky")).toBase32(),
              "1smip4g3qbalvgyny0r293jzgfkhbq0n2p0gd151g64k9p8ywfvy");
}

TEST(NarTest, RoundTripsTrickyTrees) {
    TempDir dir;
    std::string nar = readFile(std::string(PURIST_TEST_DATA_DIR) + "/tricky.nar");
    restoreFromString(dir.path() + "/restored", nar);
    EXPECT_EQ(dumpToString(dir.path() + "/restored"), nar);
    struct stat st;
    ASSERT_EQ(::stat((dir.path() + "/restored/sub/run.sh").c_str(), &st), 0);
    EXPECT_TRUE(st.st_mode & S_IXUSR);
    ASSERT_EQ(::stat((dir.path() + "/restored/hello.txt").c_str(), &st), 0);
    EXPECT_FALSE(st.st_mode & S_IXUSR);
    EXPECT_EQ(fs::read_symlink(dir.path() + "/restored/dangling-link"), "/nonexistent/target");
    EXPECT_TRUE(fs::is_directory(dir.path() + "/restored/empty-dir"));
    EXPECT_EQ(fs::file_size(dir.path() + "/restored/empty-file"), 0u);
}

TEST(NarTest, RoundTripsLargeFilesAcrossBufferBoundaries) {
    TempDir dir;
    std::string big(3 * 1024 * 1024 + 5, '\0');
    for (size_t i = 0; i < big.size(); ++i)
        big[i] = static_cast<char>(i * 131 + (i >> 11));
    makeFile(dir.path() + "/in/big", big);
    std::string nar = dumpToString(dir.path() + "/in");
    restoreFromString(dir.path() + "/out", nar);
    EXPECT_EQ(readFile(dir.path() + "/out/big"), big);
    EXPECT_EQ(dumpToString(dir.path() + "/out"), nar);
}

TEST(NarTest, CaseHackRenamesCollisionsAndDumpUndoesIt) {
    TempDir dir;
    std::string nar = readFile(std::string(PURIST_TEST_DATA_DIR) + "/tricky.nar");
    restoreFromString(dir.path() + "/hacked", nar, CaseHack::On);
    // "Case" sorts before "case"; the second of the colliding pair gets the suffix.
    EXPECT_TRUE(fs::exists(dir.path() + "/hacked/Case"));
    EXPECT_TRUE(fs::exists(dir.path() + "/hacked/case~nix~case~hack~1"));
    EXPECT_FALSE(fs::exists(dir.path() + "/hacked/case"));
    EXPECT_EQ(dumpToString(dir.path() + "/hacked", CaseHack::On), nar);
}

TEST(NarTest, CaseHackRefusesNamesThatCollideOnceUnhacked) {
    TempDir dir;
    makeFile(dir.path() + "/t/a", "1");
    makeFile(dir.path() + "/t/a~nix~case~hack~1", "2");
    EXPECT_THROW(dumpToString(dir.path() + "/t", CaseHack::On), FormatError);
}

TEST(NarTest, DumpRefusesSpecialFiles) {
    TempDir dir;
    fs::create_directories(dir.path() + "/t");
    ASSERT_EQ(::mkfifo((dir.path() + "/t/fifo").c_str(), 0644), 0);
    EXPECT_THROW(dumpToString(dir.path() + "/t"), FormatError);
}

struct HostileCase {
    const char* what;
    std::string nar;
};

std::vector<HostileCase> hostileNars() {
    std::string good = NarBuilder().str("nix-archive-1").file("data").take();
    return {
        {"bad magic", NarBuilder().str("nix-archive-2").file("x").take()},
        {"not a NAR at all", "hello world, this is not an archive"},
        {"empty input", ""},
        {"truncated in the contents", good.substr(0, good.size() - 20)},
        {"truncated in a length", good.substr(0, 20)},
        {"name with a slash", dirHeader().entry("a/b").file("x").str(")").str(")").take()},
        {"name '..'", dirHeader().entry("..").file("x").str(")").str(")").take()},
        {"name '.'", dirHeader().entry(".").file("x").str(")").str(")").take()},
        {"empty name", dirHeader().entry("").file("x").str(")").str(")").take()},
        {"name with NUL",
         dirHeader().entry(std::string("a\0b", 3)).file("x").str(")").str(")").take()},
        {"duplicate entries",
         dirHeader().entry("a").file("1").str(")").entry("a").file("2").str(")").str(")").take()},
        {"unsorted entries",
         dirHeader().entry("b").file("1").str(")").entry("a").file("2").str(")").str(")").take()},
        // A symlink named "a" then a directory "a" holding "passwd": a writer that followed
        // the link would write outside the target; entries must be strictly increasing.
        {"symlink followed by writes through it", dirHeader()
                                                      .entry("a")
                                                      .str("(")
                                                      .str("type")
                                                      .str("symlink")
                                                      .str("target")
                                                      .str("/etc")
                                                      .str(")")
                                                      .str(")")
                                                      .entry("a")
                                                      .str("(")
                                                      .str("type")
                                                      .str("directory")
                                                      .entry("passwd")
                                                      .file("owned")
                                                      .str(")")
                                                      .str(")")
                                                      .str(")")
                                                      .str(")")
                                                      .take()},
        {"unknown node type",
         NarBuilder().str("nix-archive-1").str("(").str("type").str("fifo").str(")").take()},
        {"unknown token in a file", NarBuilder()
                                        .str("nix-archive-1")
                                        .str("(")
                                        .str("type")
                                        .str("regular")
                                        .str("setuid")
                                        .str("")
                                        .str(")")
                                        .take()},
        {"non-zero padding", NarBuilder()
                                 .str("nix-archive-1")
                                 .str("(")
                                 .str("type")
                                 .str("regular")
                                 .str("contents")
                                 .u64(1)
                                 .raw(std::string("x\1\0\0\0\0\0\0", 8))
                                 .str(")")
                                 .take()},
        {"absurd name length",
         dirHeader().str("entry").str("(").str("name").u64(1ull << 40).take()},
        {"empty symlink target", NarBuilder()
                                     .str("nix-archive-1")
                                     .str("(")
                                     .str("type")
                                     .str("symlink")
                                     .str("target")
                                     .str("")
                                     .str(")")
                                     .take()},
        {"missing closing parenthesis", NarBuilder()
                                            .str("nix-archive-1")
                                            .str("(")
                                            .str("type")
                                            .str("regular")
                                            .str("contents")
                                            .str("x")
                                            .take()},
    };
}

TEST(NarTest, RefusesHostileArchivesAndLeavesNothing) {
    for (const HostileCase& c : hostileNars()) {
        TempDir dir;
        std::string target = dir.path() + "/out";
        EXPECT_THROW(restoreFromString(target, c.nar), Error) << c.what;
        EXPECT_FALSE(fs::exists(fs::symlink_status(target))) << c.what << ": something was left";
        StringSource source(c.nar);
        EXPECT_THROW(validateNar(source), Error) << c.what;
    }
    // The escape attempt did not reach /etc through the link.
    EXPECT_NE(readFile("/etc/passwd"), "owned");
}

TEST(NarTest, MutatedArchivesAreRestoredWholeOrNotAtAll) {
    // Random byte flips, truncations and splices of a valid archive: each restore either
    // succeeds and dumps back to exactly what it read, or fails and leaves nothing.
    std::string nar = readFile(std::string(PURIST_TEST_DATA_DIR) + "/tricky.nar");
    std::mt19937 rng(7);
    TempDir dir;
    int refused = 0;
    for (int round = 0; round < 600; ++round) {
        std::string mutated = nar;
        switch (round % 3) {
        case 0:
            for (int k = 0; k < 1 + round % 4; ++k)
                mutated[rng() % mutated.size()] = static_cast<char>(rng());
            break;
        case 1:
            mutated.resize(rng() % mutated.size());
            break;
        default: {
            size_t from = rng() % mutated.size(), length = rng() % 64;
            mutated.insert(rng() % mutated.size(), mutated.substr(from, length));
        }
        }
        std::string target = dir.path() + "/r" + std::to_string(round);
        try {
            restoreFromString(target, mutated);
            EXPECT_EQ(dumpToString(target), mutated.substr(0, dumpToString(target).size()))
                << "round " << round;
        } catch (const Error&) {
            ++refused;
            ASSERT_FALSE(fs::exists(fs::symlink_status(target))) << "round " << round;
        }
    }
    EXPECT_GT(refused, 400); // nearly every mutation must be caught
}

TEST(NarTest, RestoreRefusesAnExistingTarget) {
    TempDir dir;
    makeFile(dir.path() + "/out", "precious");
    std::string nar = NarBuilder().str("nix-archive-1").file("x").take();
    EXPECT_THROW(restoreFromString(dir.path() + "/out", nar), StoreError);
    EXPECT_EQ(readFile(dir.path() + "/out"), "precious");
}

TEST(NarTest, ValidateReportsConsumedBytes) {
    std::string nar = readFile(std::string(PURIST_TEST_DATA_DIR) + "/tricky.nar");
    StringSource source(nar);
    EXPECT_EQ(validateNar(source), nar.size());
}

TEST(NarTest, ListenerIsToldWherePayloadsStart) {
    TempDir dir;
    makeFile(dir.path() + "/t/a", "AAAA");
    makeFile(dir.path() + "/t/b/c", "CCCC");
    fs::create_symlink("target-x", dir.path() + "/t/link");
    struct Recorder : NarListener {
        std::vector<std::pair<std::string, uint64_t>> marks;
        void onPayload(const NarPlacePtr& place, uint64_t offset) override {
            marks.emplace_back(relativePathOf(place), offset);
        }
    } recorder;
    StringSink sink;
    NarDumpOptions options;
    options.listener = &recorder;
    dumpPath(dir.path() + "/t", sink, options);
    const std::string& nar = sink.data();
    int contentsSeen = 0;
    for (auto& [path, offset] : recorder.marks) {
        if (path == "a" && nar.compare(offset, 4, "AAAA") == 0) ++contentsSeen;
        if (path == "b/c" && nar.compare(offset, 4, "CCCC") == 0) ++contentsSeen;
        if (path == "link" && nar.compare(offset, 8, "target-x") == 0) ++contentsSeen;
    }
    EXPECT_EQ(contentsSeen, 3);
}

// Issue 10, defect 1: 20,000 nested directories overflowed the stack (exit 139) and left
// 15,403 levels; with fewer descriptors, cleanup failed too and left 1,020. Now restore
// and its cleanup hold a bounded number of descriptors whatever the depth.
TEST(NarTest, RestoresAndCleansUpTwentyThousandLevelsInFewDescriptors) {
    TempDir dir("purist-test-", testing::scratchParent());
    std::string target = dir.path() + "/out";
    std::string whole = testing::nestedDirectoryNar(20000, true);
    testing::withDescriptorLimit(48, [&] {
        restoreFromString(target, whole);
        EXPECT_EQ(dumpToString(target), whole);
    });
    StringSource source(whole);
    EXPECT_EQ(validateNar(source), whole.size());
    removeTree(target);

    testing::withDescriptorLimit(48, [&] {
        EXPECT_THROW(restoreFromString(target, testing::nestedDirectoryNar(20000, false)),
                     FormatError);
    });
    EXPECT_FALSE(fs::exists(fs::symlink_status(target))) << "levels were left behind";

    // A forbidden name at the very bottom: refused there, and all 20,000 levels go.
    std::string hostile = testing::nestedDirectoryNar(20000, false);
    size_t bottom = hostile.rfind(NarBuilder().entry("d").take());
    hostile = hostile.substr(0, bottom) + NarBuilder().entry("..").file("x").take();
    EXPECT_THROW(restoreFromString(target, hostile), FormatError);
    EXPECT_FALSE(fs::exists(fs::symlink_status(target)));
}

// Every hostile tree dumps, restores and dumps again to the same bytes, never through a
// symlink, and leaves what the symlinks point at unchanged.
TEST(NarTest, RoundTripsEveryHostileTreeWithoutFollowingItsSymlinks) {
    TempDir dir("purist-test-", testing::scratchParent());
    std::string copy = dir.path() + "/copy";
    testing::forEachHostileTree(
        dir.path(), true,
        [&](const testing::HostileTree&, const std::string& root, const std::string&) {
            std::string nar, again;
            testing::withDescriptorLimit(48, [&] {
                nar = dumpToString(root);
                restoreFromString(copy, nar);
                again = dumpToString(copy);
            });
            // Equal bytes: a symlink followed would have dumped as what it points at.
            EXPECT_EQ(again, nar);
        });
}

TEST(NarTest, DumpOfADeepChainTakesMemoryLinearInItsDepth) {
    TempDir dir("purist-test-", testing::scratchParent());
    std::string root = dir.path() + "/chain";
    testing::makeDeepChain(root, 2000, 200);
    bool failed = false;
    long kib = testing::peakKibInChild(
        [&] {
            HashSink sink(HashAlgorithm::Sha256);
            dumpPath(root, sink);
        },
        failed);
    EXPECT_FALSE(failed);
    // 824 MiB before this was fixed, from quadratic path strings.
    EXPECT_LT(kib, testing::memoryBoundKib(64 * 1024)) << "peak RSS " << kib << " KiB";
}

} // namespace
} // namespace purist
