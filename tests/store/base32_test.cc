#include "base/error.h"
#include "store/base32.h"
#include "store/hash.h"

#include <gtest/gtest.h>

namespace purist {
namespace {

// SHA-256 digests in hex and the base32 that `nix-hash --type sha256 --to-base32 HEX`
// (Nix 2.8) printed for them.
struct Vector {
    const char* hex;
    const char* nixBase32;
};
constexpr Vector kVectors[] = {
    {"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73"},
    {"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03",
     "00xyyr3fi8l6hb839bv3f7yb86yjv7xi1cgh1xnhipym4asvb4aq"},
    {"0000000000000000000000000000000000000000000000000000000000000000",
     "0000000000000000000000000000000000000000000000000000"},
    {"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
     "1zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"},
};

TEST(Base32Test, MatchesNixForSha256Digests) {
    for (const Vector& v : kVectors) {
        Hash h = Hash::parseBare(v.hex, HashAlgorithm::Sha256);
        EXPECT_EQ(base32::encode(h.bytes()), v.nixBase32) << v.hex;
        EXPECT_EQ(Hash::parseBare(v.nixBase32, HashAlgorithm::Sha256), h) << v.nixBase32;
    }
}

TEST(Base32Test, RoundTripsEveryLength) {
    std::vector<uint8_t> bytes;
    for (size_t n = 0; n < 70; ++n) {
        std::string text = base32::encode(bytes);
        EXPECT_EQ(text.size(), base32::encodedLength(n));
        EXPECT_EQ(base32::decode(text, n), bytes);
        bytes.push_back(static_cast<uint8_t>(n * 37 + 11));
    }
}

TEST(Base32Test, RejectsBadInput) {
    EXPECT_THROW(base32::decode("0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c7e", 32),
                 FormatError);                             // 'e' is not in the alphabet
    EXPECT_THROW(base32::decode("0mdq", 32), FormatError); // wrong length
    // 52 characters carry 260 bits; a set bit beyond the 256th is an error, as in Nix.
    EXPECT_THROW(base32::decode("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", 32),
                 FormatError);
}

} // namespace
} // namespace purist
