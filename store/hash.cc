#include "store/hash.h"

#include "base/error.h"
#include "store/base32.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <vector>

namespace purist {

std::string_view algorithmName(HashAlgorithm algorithm) {
    switch (algorithm) {
    case HashAlgorithm::Sha1:
        return "sha1";
    case HashAlgorithm::Sha256:
        return "sha256";
    case HashAlgorithm::Sha512:
        return "sha512";
    }
    return "unknown";
}

HashAlgorithm parseAlgorithm(std::string_view name) {
    if (name == "sha256") return HashAlgorithm::Sha256;
    if (name == "sha512") return HashAlgorithm::Sha512;
    if (name == "sha1") return HashAlgorithm::Sha1;
    throw FormatError("unknown hash algorithm '" + std::string(name) +
                      "' (expected sha1, sha256 or sha512)");
}

size_t digestSize(HashAlgorithm algorithm) {
    switch (algorithm) {
    case HashAlgorithm::Sha1:
        return 20;
    case HashAlgorithm::Sha256:
        return 32;
    case HashAlgorithm::Sha512:
        return 64;
    }
    return 0;
}

Hash::Hash(HashAlgorithm algorithm) : algorithm_(algorithm), size_(digestSize(algorithm)) {}

Hash::Hash(HashAlgorithm algorithm, std::span<const uint8_t> bytes) : Hash(algorithm) {
    if (bytes.size() != size_)
        throw FormatError("a " + std::string(algorithmName(algorithm)) + " digest has " +
                          std::to_string(size_) + " bytes, not " + std::to_string(bytes.size()));
    std::copy(bytes.begin(), bytes.end(), bytes_.begin());
}

namespace {

int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// The digest implementation, fetched from OpenSSL's providers once per process. Passing
// EVP_sha256() and the like to EVP_DigestInit_ex instead makes OpenSSL 3 fetch it again
// (a provider and property lookup under a lock) on every init: that was a quarter of the
// CPU time of registering one small build output.
const EVP_MD* evpOf(HashAlgorithm algorithm) {
    auto fetch = [](const char* name) {
        // OpenSSL's first use reads openssl.cnf and loads its error strings: 1.5 ms of every
        // purist command that hashes. The digests purist uses come from the default
        // provider, which no configuration can take away, so neither is needed.
        static const bool initialised = OPENSSL_init_crypto(
            OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS, nullptr);
        if (!initialised) throw Error("OpenSSL could not be initialised");
        EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
        if (!md) throw Error(std::string("OpenSSL has no ") + name + " digest");
        return md; // kept for the life of the process
    };
    switch (algorithm) {
    case HashAlgorithm::Sha1: {
        static const EVP_MD* md = fetch("SHA1");
        return md;
    }
    case HashAlgorithm::Sha256: {
        static const EVP_MD* md = fetch("SHA256");
        return md;
    }
    case HashAlgorithm::Sha512: {
        static const EVP_MD* md = fetch("SHA512");
        return md;
    }
    }
    return nullptr;
}

} // namespace

Hash Hash::parseBare(std::string_view text, HashAlgorithm algorithm) {
    size_t size = digestSize(algorithm);
    std::string shown(text);
    try {
        if (text.size() == size * 2) {
            std::vector<uint8_t> bytes(size);
            for (size_t i = 0; i < size; ++i) {
                int hi = hexValue(text[2 * i]), lo = hexValue(text[2 * i + 1]);
                if (hi < 0 || lo < 0) throw FormatError("invalid hexadecimal digit");
                bytes[i] = static_cast<uint8_t>(hi << 4 | lo);
            }
            return Hash(algorithm, bytes);
        }
        if (text.size() == base32::encodedLength(size))
            return Hash(algorithm, base32::decode(text, size));
        if (text.size() == (size + 2) / 3 * 4) return Hash(algorithm, base64Decode(text));
    } catch (const FormatError& e) {
        throw FormatError("invalid " + std::string(algorithmName(algorithm)) + " hash '" + shown +
                          "': " + e.what());
    }
    throw FormatError("invalid " + std::string(algorithmName(algorithm)) + " hash '" + shown +
                      "': its length fits neither hex, base32 nor base64");
}

Hash Hash::parse(std::string_view text) {
    size_t colon = text.find(':');
    if (colon != std::string_view::npos)
        return parseBare(text.substr(colon + 1), parseAlgorithm(text.substr(0, colon)));
    size_t dash = text.find('-');
    if (dash != std::string_view::npos) {
        HashAlgorithm algorithm = parseAlgorithm(text.substr(0, dash));
        std::string_view digest = text.substr(dash + 1);
        if (digest.size() != (digestSize(algorithm) + 2) / 3 * 4)
            throw FormatError("invalid SRI hash '" + std::string(text) + "': wrong length");
        return Hash(algorithm, base64Decode(digest));
    }
    throw FormatError("hash '" + std::string(text) +
                      "' names no algorithm (expected 'sha256:...' or 'sha256-...')");
}

std::string Hash::toBase32() const {
    return base32::encode(bytes());
}

std::string Hash::toHex() const {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(size_ * 2);
    for (uint8_t b : bytes()) {
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 0xf]);
    }
    return out;
}

std::string Hash::toBase64() const {
    return base64Encode(bytes());
}

std::string Hash::toNixString() const {
    return std::string(algorithmName(algorithm_)) + ":" + toBase32();
}

std::string Hash::toSri() const {
    return std::string(algorithmName(algorithm_)) + "-" + toBase64();
}

struct HashSink::Context {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Context() { EVP_MD_CTX_free(ctx); }
};

HashSink::HashSink(HashAlgorithm algorithm)
    : algorithm_(algorithm), context_(std::make_unique<Context>()) {
    if (!context_->ctx || EVP_DigestInit_ex2(context_->ctx, evpOf(algorithm), nullptr) != 1)
        throw Error("OpenSSL could not start a " + std::string(algorithmName(algorithm)) +
                    " digest");
}

HashSink::~HashSink() = default;

void HashSink::write(std::string_view data) {
    if (EVP_DigestUpdate(context_->ctx, data.data(), data.size()) != 1)
        throw Error("OpenSSL digest update failed");
    bytesWritten_ += data.size();
}

Hash HashSink::finish() {
    std::array<uint8_t, EVP_MAX_MD_SIZE> out{};
    unsigned int size = 0;
    if (EVP_DigestFinal_ex(context_->ctx, out.data(), &size) != 1)
        throw Error("OpenSSL digest final failed");
    return Hash(algorithm_, std::span<const uint8_t>(out.data(), size));
}

Hash hashString(HashAlgorithm algorithm, std::string_view data) {
    HashSink sink(algorithm);
    sink.write(data);
    return sink.finish();
}

std::vector<uint8_t> foldHash(const Hash& hash, size_t size) {
    std::vector<uint8_t> out(size, 0);
    auto bytes = hash.bytes();
    for (size_t i = 0; i < bytes.size(); ++i)
        out[i % size] ^= bytes[i];
    return out;
}

namespace {
constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

std::string base64Encode(std::span<const uint8_t> bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        uint32_t v = bytes[i] << 16 | bytes[i + 1] << 8 | bytes[i + 2];
        for (int shift : {18, 12, 6, 0})
            out.push_back(kBase64[(v >> shift) & 63]);
    }
    if (size_t rest = bytes.size() - i) {
        uint32_t v = bytes[i] << 16 | (rest == 2 ? bytes[i + 1] << 8 : 0);
        out.push_back(kBase64[(v >> 18) & 63]);
        out.push_back(kBase64[(v >> 12) & 63]);
        out.push_back(rest == 2 ? kBase64[(v >> 6) & 63] : '=');
        out.push_back('=');
    }
    return out;
}

std::vector<uint8_t> base64Decode(std::string_view text) {
    if (text.size() % 4 != 0) throw FormatError("base64 string length is not a multiple of 4");
    std::vector<uint8_t> out;
    out.reserve(text.size() / 4 * 3);
    for (size_t i = 0; i < text.size(); i += 4) {
        uint32_t v = 0;
        int padding = 0;
        for (size_t k = 0; k < 4; ++k) {
            char c = text[i + k];
            uint32_t digit = 0;
            if (c == '=' && i + 4 == text.size() && k >= 2) {
                ++padding;
            } else {
                size_t pos = kBase64.find(c);
                if (pos == std::string_view::npos || padding)
                    throw FormatError("invalid base64 character '" + std::string(1, c) + "'");
                digit = static_cast<uint32_t>(pos);
            }
            v = v << 6 | digit;
        }
        out.push_back(static_cast<uint8_t>(v >> 16));
        if (padding < 2) out.push_back(static_cast<uint8_t>(v >> 8));
        if (padding < 1) out.push_back(static_cast<uint8_t>(v));
    }
    return out;
}

} // namespace purist
