#include "base/error.h"
#include "store/store_path.h"

#include <gtest/gtest.h>

namespace purist {
namespace {

// Paths Nix 2.8 printed for the trees of tests/store/data/make-vectors.sh and for the
// commands named beside each; the NAR hashes are `nix-hash --type sha256 --base32`.
TEST(StorePathTest, SourcePathsMatchNixStoreAdd) {
    StoreDir nix("/nix/store");
    struct Case {
        const char* narHash;
        const char* name;
        const char* nixPath;
    };
    const Case cases[] = {
        // nix-store --add tricky
        {"sha256:1smip4g3qbalvgyny0r293jzgfkhbq0n2p0gd151g64k9p8ywfvy", "tricky",
         "/nix/store/cgamf6hlm4dvnin061q3b3dbsa98irfp-tricky"},
        // nix-store --add single.txt (a file holding "hello\n")
        {"sha256:04zwf782yjwnh3q6hz5izfd6jyip8kgw6g6yj43fiqhbyhdd0dqw", "single.txt",
         "/nix/store/3pc7hb0hqzcfgkc3k2097aj7wbyvl382-single.txt"},
    };
    for (const Case& c : cases) {
        StorePath p =
            nix.makeFixedOutputPath(FileIngestionMethod::Recursive, Hash::parse(c.narHash), c.name);
        EXPECT_EQ(nix.print(p), c.nixPath);
    }
}

TEST(StorePathTest, FlatFixedOutputMatchesNixStoreAddFixed) {
    // nix-store --add-fixed sha256 single.txt; the flat hash is `nix-hash --flat`.
    StoreDir nix("/nix/store");
    StorePath p = nix.makeFixedOutputPath(
        FileIngestionMethod::Flat,
        Hash::parse("sha256:00xyyr3fi8l6hb839bv3f7yb86yjv7xi1cgh1xnhipym4asvb4aq"), "single.txt");
    EXPECT_EQ(nix.print(p), "/nix/store/f9j2652hq6jqn96qaz70pr1qyccs3d66-single.txt");
}

TEST(StorePathTest, StoreDirIsPartOfThePath) {
    Hash h = Hash::parse("sha256:1smip4g3qbalvgyny0r293jzgfkhbq0n2p0gd151g64k9p8ywfvy");
    StorePath a =
        StoreDir("/nix/store").makeFixedOutputPath(FileIngestionMethod::Recursive, h, "x");
    StorePath b =
        StoreDir("/tmp/store").makeFixedOutputPath(FileIngestionMethod::Recursive, h, "x");
    EXPECT_NE(a.hashPart(), b.hashPart());
}

TEST(StorePathTest, OutputPathsNameNonDefaultOutputs) {
    StoreDir dir("/nix/store");
    Hash h = hashString(HashAlgorithm::Sha256, "spec");
    EXPECT_EQ(dir.makeOutputPath("out", h, "hello").name(), "hello");
    StorePath dev = dir.makeOutputPath("dev", h, "hello");
    EXPECT_EQ(dev.name(), "hello-dev");
    EXPECT_NE(dir.makeOutputPath("out", h, "hello").hashPart(), dev.hashPart());
}

// Found by fuzz_store_strings: a store path written with a trailing slash is the same path
// (as in Nix), and prints without it; the fuzz target's promise now says so.
TEST(StorePathTest, TrailingSlashesNameTheSamePath) {
    const StoreDir store("/nix/store");
    const std::string path = "/nix/store/s0r0p5kirb3jf04rh46y8ib8w8l7b329-hel8w8l7b32";
    EXPECT_EQ(store.parse(path + "/"), store.parse(path));
    EXPECT_EQ(store.parse(path + "//"), store.parse(path));
    EXPECT_EQ(store.print(store.parse(path + "/")), path);
    EXPECT_THROW(store.parse(path + "/bin"), FormatError);
}

TEST(StorePathTest, NameRules) {
    for (const std::string& good :
         {std::string("a"), std::string("hello-2.12"), std::string("foo_bar+baz?x=1"),
          std::string("A.B"), std::string(211, 'n')})
        EXPECT_NO_THROW(validateStorePathName(good)) << good;
    for (const std::string& bad :
         {std::string(""), std::string(".hidden"), std::string("a b"), std::string("a/b"),
          std::string("caf\xc3\xa9"), std::string(212, 'n'), std::string("x\0y", 3)})
        EXPECT_THROW(validateStorePathName(bad), FormatError) << bad;
}

TEST(StorePathTest, ParsesAndSplitsPaths) {
    StoreDir dir("/nix/store");
    StorePath p = dir.parse("/nix/store/cgamf6hlm4dvnin061q3b3dbsa98irfp-tricky");
    EXPECT_EQ(p.hashPart(), "cgamf6hlm4dvnin061q3b3dbsa98irfp");
    EXPECT_EQ(p.name(), "tricky");
    auto [q, sub] =
        dir.parseWithSubpath("/nix/store/cgamf6hlm4dvnin061q3b3dbsa98irfp-tricky/sub/run.sh");
    EXPECT_EQ(q, p);
    EXPECT_EQ(sub, "sub/run.sh");
    for (const char* bad :
         {"/nix/store", "/nix/store/", "/nix/storex/cgamf6hlm4dvnin061q3b3dbsa98irfp-a",
          "/nix/store/cgamf6hlm4dvnin061q3b3dbsa98irfe-a", // 'e' not base32
          "/nix/store/short-a", "/other/cgamf6hlm4dvnin061q3b3dbsa98irfp-a"})
        EXPECT_THROW(dir.parse(bad), FormatError) << bad;
    EXPECT_THROW(dir.parse("/nix/store/cgamf6hlm4dvnin061q3b3dbsa98irfp-tricky/sub"), FormatError);
    EXPECT_THROW(StoreDir("relative/store"), FormatError);
}

TEST(StorePathTest, StorePathNameDropsStoreDirAndHashPartOnly) {
    const std::pair<std::string, std::string> table[] = {
        {"/nix/store/7m5pb1rkgddgkr1bp5m7vi93zxxz39iv-hello-2.12", "hello-2.12"},
        {"7m5pb1rkgddgkr1bp5m7vi93zxxz39iv-hello", "hello"},
        {"/nix/store", "/nix/store"},
        {"/nix/store/7m5pb1rkgddgkr1bp5m7vi93zxxz39i-short",
         "/nix/store/7m5pb1rkgddgkr1bp5m7vi93zxxz39i-short"},
        {"/nix/store/7m5pb1rkgddgkr1bp5m7vi93zxxz39ie-e-not-base32",
         "/nix/store/7m5pb1rkgddgkr1bp5m7vi93zxxz39ie-e-not-base32"},
        {"/build/source", "/build/source"},
        {"", ""},
        {"/usr/bin/", "/usr/bin/"},
        {"/s/00000000000000000000000000000000-hello-2.12", "hello-2.12"},
    };
    for (const auto& [input, expected] : table)
        EXPECT_EQ(storePathName(input), expected) << input;
}

} // namespace
} // namespace purist
