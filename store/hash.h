#pragma once
// Cryptographic hashes through OpenSSL's EVP interface (SHA-NI where the CPU has it),
// and the textual forms Nix uses: `sha256:<base32>`, `sha256:<hex>`, SRI `sha256-<base64>`.

#include "store/stream.h"

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace purist {

enum class HashAlgorithm { Sha1, Sha256, Sha512 };

/// "sha1", "sha256", "sha512".
std::string_view algorithmName(HashAlgorithm algorithm);
/// Parses an algorithm name; throws FormatError on an unknown one.
HashAlgorithm parseAlgorithm(std::string_view name);
/// Digest size in bytes.
size_t digestSize(HashAlgorithm algorithm);

/// A digest value. Cheap to copy.
class Hash {
public:
    /// An all-zero digest of `algorithm`.
    explicit Hash(HashAlgorithm algorithm = HashAlgorithm::Sha256);
    Hash(HashAlgorithm algorithm, std::span<const uint8_t> bytes);

    /// Parses `algo:base32`, `algo:hex`, `algo:base64` (told apart by length) or SRI
    /// `algo-base64`. Throws FormatError naming the string.
    static Hash parse(std::string_view text);
    /// Parses a bare digest (base32, hex or base64) of a known algorithm.
    static Hash parseBare(std::string_view text, HashAlgorithm algorithm);

    HashAlgorithm algorithm() const { return algorithm_; }
    std::span<const uint8_t> bytes() const { return {bytes_.data(), size_}; }

    std::string toBase32() const;
    std::string toHex() const;
    std::string toBase64() const;
    /// `sha256:<base32>`: the form Nix stores in ValidPaths.hash.
    std::string toNixString() const;
    /// `sha256-<base64>`.
    std::string toSri() const;

    friend bool operator==(const Hash& a, const Hash& b) {
        return a.algorithm_ == b.algorithm_ && a.size_ == b.size_ &&
               std::equal(a.bytes_.begin(), a.bytes_.begin() + a.size_, b.bytes_.begin());
    }

private:
    HashAlgorithm algorithm_;
    size_t size_;
    std::array<uint8_t, 64> bytes_{};
};

/// Hashes everything written to it. Not thread-safe; finish() may be called once.
class HashSink : public Sink {
public:
    explicit HashSink(HashAlgorithm algorithm = HashAlgorithm::Sha256);
    ~HashSink() override;
    HashSink(const HashSink&) = delete;
    HashSink& operator=(const HashSink&) = delete;

    void write(std::string_view data) override;
    /// The digest of all bytes written so far. The sink cannot be written after this.
    Hash finish();
    uint64_t bytesWritten() const { return bytesWritten_; }

private:
    HashAlgorithm algorithm_;
    struct Context;
    std::unique_ptr<Context> context_;
    uint64_t bytesWritten_ = 0;
};

/// The digest of `data`.
Hash hashString(HashAlgorithm algorithm, std::string_view data);

/// Nix's compressHash: XOR-folds `hash` to `size` bytes (byte i goes to i % size).
std::vector<uint8_t> foldHash(const Hash& hash, size_t size);

/// Base64 (RFC 4648, with padding) encode and decode; decode throws FormatError.
std::string base64Encode(std::span<const uint8_t> bytes);
std::vector<uint8_t> base64Decode(std::string_view text);

} // namespace purist
