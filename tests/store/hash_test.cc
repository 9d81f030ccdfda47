#include "base/error.h"
#include "store/hash.h"

#include <gtest/gtest.h>

namespace purist {
namespace {

TEST(HashTest, KnownDigestsInEveryForm) {
    struct Case {
        HashAlgorithm algorithm;
        const char* input;
        const char* hex;
        const char* nixBase32; // from `nix-hash --type ALGO --to-base32 HEX`
    };
    const Case cases[] = {
        {HashAlgorithm::Sha256, "",
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73"},
        {HashAlgorithm::Sha1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d",
         "kpcd173cq987hw957sx6m0868wv3x6d9"},
        {HashAlgorithm::Sha512, "abc",
         "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c2"
         "3a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
         "2gs8k559z4rlahfx0y688s49m2vvszylcikrfinm30ly9rak69236nkam5ydvly1ai7xac99vxfc4ii84hawjbk"
         "876blyk1jfhkbbyx"},
    };
    for (const Case& c : cases) {
        Hash h = hashString(c.algorithm, c.input);
        EXPECT_EQ(h.toHex(), c.hex);
        EXPECT_EQ(h.toBase32(), c.nixBase32);
        EXPECT_EQ(Hash::parse(h.toNixString()), h);
        EXPECT_EQ(Hash::parse(h.toSri()), h);
        EXPECT_EQ(Hash::parse(std::string(algorithmName(c.algorithm)) + ":" + c.hex), h);
        EXPECT_EQ(Hash::parse(std::string(algorithmName(c.algorithm)) + ":" + h.toBase64()), h);
    }
}

TEST(HashTest, SriOfEmptyStringIsTheWellKnownOne) {
    EXPECT_EQ(hashString(HashAlgorithm::Sha256, "").toSri(),
              "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

TEST(HashTest, IncrementalEqualsOneShot) {
    std::string data(100000, 'x');
    for (size_t i = 0; i < data.size(); ++i)
        data[i] = static_cast<char>(i * 7);
    HashSink sink;
    for (size_t i = 0; i < data.size(); i += 777)
        sink.write(std::string_view(data).substr(i, 777));
    EXPECT_EQ(sink.bytesWritten(), data.size());
    EXPECT_EQ(sink.finish(), hashString(HashAlgorithm::Sha256, data));
}

TEST(HashTest, RejectsMalformedStrings) {
    for (const char* bad :
         {"sha256", "md5:abc", "sha256:xyz", "sha256-abc",
          "sha256:0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c7!",
          "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85g"}) {
        EXPECT_THROW(Hash::parse(bad), FormatError) << bad;
    }
}

TEST(HashTest, Base64RoundTripsAndRejectsGarbage) {
    for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
        std::vector<uint8_t> bytes(s.begin(), s.end());
        EXPECT_EQ(base64Decode(base64Encode(bytes)), bytes) << s;
    }
    EXPECT_EQ(base64Encode(std::vector<uint8_t>{'f', 'o', 'o', 'b'}), "Zm9vYg==");
    EXPECT_THROW(base64Decode("Zm9v!g=="), FormatError);
    EXPECT_THROW(base64Decode("Zm9"), FormatError);
}

} // namespace
} // namespace purist
