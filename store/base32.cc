#include "store/base32.h"

#include "base/error.h"

#include <array>

namespace purist::base32 {
namespace {

// The digit each character stands for, or kNotADigit.
constexpr uint8_t kNotADigit = 0xff;

constexpr std::array<uint8_t, 256> makeDigitTable() {
    std::array<uint8_t, 256> table{};
    table.fill(kNotADigit);
    for (size_t i = 0; i < kAlphabet.size(); ++i)
        table[static_cast<uint8_t>(kAlphabet[i])] = static_cast<uint8_t>(i);
    return table;
}

constexpr std::array<uint8_t, 256> kDigitOf = makeDigitTable();

} // namespace

bool isDigit(char c) {
    return kDigitOf[static_cast<uint8_t>(c)] != kNotADigit;
}

std::string encode(std::span<const uint8_t> bytes) {
    size_t length = encodedLength(bytes.size());
    std::string out;
    out.reserve(length);
    // Character k (from the end) holds bits [5k, 5k+5) of the little-endian byte string.
    for (size_t n = length; n-- > 0;) {
        size_t bit = n * 5;
        size_t i = bit / 8;
        size_t j = bit % 8;
        unsigned c = bytes[i] >> j;
        if (i + 1 < bytes.size()) c |= static_cast<unsigned>(bytes[i + 1]) << (8 - j);
        out.push_back(kAlphabet[c & 0x1f]);
    }
    return out;
}

std::vector<uint8_t> decode(std::string_view text, size_t byteCount) {
    if (text.size() != encodedLength(byteCount))
        throw FormatError("base32 string '" + std::string(text) + "' has length " +
                          std::to_string(text.size()) + ", expected " +
                          std::to_string(encodedLength(byteCount)));
    std::vector<uint8_t> out(byteCount, 0);
    for (size_t n = 0; n < text.size(); ++n) {
        char c = text[text.size() - n - 1];
        const unsigned digit = kDigitOf[static_cast<uint8_t>(c)];
        if (digit == kNotADigit)
            throw FormatError("invalid character '" + std::string(1, c) + "' in base32 string '" +
                              std::string(text) + "'");
        size_t bit = n * 5;
        size_t i = bit / 8;
        size_t j = bit % 8;
        out[i] |= static_cast<uint8_t>(digit << j);
        unsigned carry = digit >> (8 - j);
        if (i + 1 < byteCount)
            out[i + 1] |= static_cast<uint8_t>(carry);
        else if (carry)
            throw FormatError("base32 string '" + std::string(text) + "' has excess bits");
    }
    return out;
}

} // namespace purist::base32
