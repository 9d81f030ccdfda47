// The one size parser: settings, policies and build specs read sizes alike.

#include "base/byte_size.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace purist {
namespace {

TEST(ByteSize, Table) {
    struct Case {
        const char* text;
        std::optional<uint64_t> bytes;
    };
    const Case cases[] = {
        {"0", 0},
        {"1024", 1024},
        {"7B", 7},
        {"2KiB", 2048},
        {"2K", 2048},
        {"50MiB", 50ull << 20},
        {"50M", 50ull << 20},
        {"3 GiB", 3ull << 30},
        {"1TiB", 1ull << 40},
        {"1T", 1ull << 40},
        {"50MB", 50'000'000},
        {"1kB", 1000},
        {"1KB", 1000},
        {"2GB", 2'000'000'000},
        {"1TB", 1'000'000'000'000},
        {"MiB", std::nullopt},
        {"", std::nullopt},
        {"1.5MiB", std::nullopt},
        {"1  MiB", std::nullopt},
        {"1mib", std::nullopt},
        {"-1", std::nullopt},
        {"18446744073709551615", UINT64_MAX},
        {"18446744073709551616", std::nullopt},
        {"16777216TiB", std::nullopt},
    };
    for (const auto& c : cases) {
        std::string error;
        EXPECT_EQ(parseByteSize(c.text, error), c.bytes) << c.text;
        EXPECT_EQ(error.empty(), c.bytes.has_value()) << c.text << ": " << error;
    }
}

TEST(ByteSize, ErrorsSayWhatIsWrong) {
    struct Case {
        const char* text;
        const char* message;
    };
    const Case cases[] = {
        {"1.5GiB", "size '1.5GiB': fractions are refused; write a whole number of a smaller "
                   "unit (1536MiB)"},
        {"0.5 MB", "size '0.5 MB': fractions are refused; write a whole number of a smaller "
                   "unit (500kB)"},
        {"1.3KiB", "size '1.3KiB': fractions are refused; write a whole number of a smaller unit"},
        {"5 parsecs", "size '5 parsecs': unknown unit 'parsecs'; use B, K or KiB"},
        {"big", "size 'big' must be a byte count or a whole count and a unit"},
        {"99999999999999999999", "size '99999999999999999999' is too large"},
    };
    for (const auto& c : cases) {
        std::string error;
        EXPECT_FALSE(parseByteSize(c.text, error)) << c.text;
        EXPECT_THAT(error, ::testing::HasSubstr(c.message)) << c.text;
    }
}

} // namespace
} // namespace purist
