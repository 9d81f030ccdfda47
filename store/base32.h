#pragma once
// Nix's base32: the alphabet omits e, o, u and t, and the bytes are read from the last
// encoded character backwards, so it is not RFC 4648 base32.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace purist::base32 {

/// The 32 characters, in digit order.
inline constexpr std::string_view kAlphabet = "0123456789abcdfghijklmnpqrsvwxyz";

/// Characters needed for `byteCount` bytes: ceil(byteCount * 8 / 5).
constexpr size_t encodedLength(size_t byteCount) {
    return (byteCount * 8 + 4) / 5;
}

/// Encodes `bytes` as Nix does.
std::string encode(std::span<const uint8_t> bytes);

/// Decodes `text` into exactly `byteCount` bytes. Throws FormatError on a character
/// outside the alphabet, a wrong length, or bits set beyond `byteCount` bytes.
std::vector<uint8_t> decode(std::string_view text, size_t byteCount);

/// True for the 32 characters of the alphabet.
bool isDigit(char c);

} // namespace purist::base32
