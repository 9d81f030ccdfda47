#pragma once
// Store paths: `<storedir>/<hash32>-<name>`, computed exactly as Nix computes them so that
// a path made here for a store whose dir is /nix/store is the path Nix would make.

#include "store/hash.h"

#include <compare>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace purist {

/// Characters in the hash part of a store path's base name.
inline constexpr size_t kHashPartLength = 32;
/// Longest name Nix accepts (a base name is at most 255 bytes on common file systems).
inline constexpr size_t kMaxNameLength = 211;

/// Throws FormatError unless `name` follows Nix's rules: 1 to 211 characters from
/// [A-Za-z0-9+-._?=], not starting with a period.
void validateStorePathName(std::string_view name);

/// The base name of a store path, `<hash32>-<name>`, validated. Cheap to copy; ordered
/// and compared by base name. Knows nothing of the store dir.
class StorePath {
public:
    /// Parses and validates a base name; throws FormatError naming it.
    static StorePath fromBaseName(std::string_view baseName);

    const std::string& baseName() const { return baseName_; }
    std::string_view hashPart() const {
        return std::string_view(baseName_).substr(0, kHashPartLength);
    }
    std::string_view name() const {
        return std::string_view(baseName_).substr(kHashPartLength + 1);
    }
    /// Whether this is a store derivation: its name ends in `.drv`, Nix's own test.
    bool isDerivation() const { return name().ends_with(".drv"); }

    friend auto operator<=>(const StorePath&, const StorePath&) = default;

private:
    explicit StorePath(std::string baseName) : baseName_(std::move(baseName)) {}
    std::string baseName_;
};

using StorePathSet = std::set<StorePath>;

/// How a file system object is turned into a hash for a content-addressed path.
enum class FileIngestionMethod {
    Flat,      ///< the bytes of one regular file
    Recursive, ///< the NAR serialisation of the tree
};

/// The logical store directory (such as /nix/store) and the path computations that
/// depend on it. Thread-safe: immutable after construction.
class StoreDir {
public:
    /// `dir` must be absolute, without a trailing slash; throws FormatError.
    explicit StoreDir(std::string dir);

    const std::string& dir() const { return dir_; }

    /// `<dir>/<basename>`.
    std::string print(const StorePath& path) const { return dir_ + "/" + path.baseName(); }
    /// Parses an absolute path directly inside the store dir; throws FormatError.
    StorePath parse(std::string_view absolutePath) const;
    /// Splits a path inside a store path (`<dir>/<base>/bin/sh`) into the store path and
    /// the rest (`bin/sh`, or empty). Throws FormatError if it is not in the store.
    std::pair<StorePath, std::string> parseWithSubpath(std::string_view absolutePath) const;
    bool isInStore(std::string_view absolutePath) const;

    /// Nix's makeStorePath: fingerprint `<type>:<algo>:<hex>:<dir>:<name>`, SHA-256,
    /// folded to 160 bits, base32.
    StorePath makeStorePath(std::string_view type, const Hash& hash, std::string_view name) const;

    /// The path of a content-addressed object: what `nix-store --add` (Recursive, SHA-256,
    /// no references) and fixed-output derivations produce.
    StorePath makeFixedOutputPath(FileIngestionMethod method, const Hash& hash,
                                  std::string_view name, const StorePathSet& references = {},
                                  bool selfReference = false) const;

    /// The path of output `outputName` of a build whose resolved description hashes to
    /// `buildHash`: name `<name>` for "out", `<name>-<outputName>` otherwise.
    StorePath makeOutputPath(std::string_view outputName, const Hash& buildHash,
                             std::string_view name) const;

private:
    std::string dir_;
};

/// A printed store path's name (`/nix/store/<hash>-hello-2.12` or `<hash>-hello-2.12` →
/// `hello-2.12`), whatever the store dir; anything that is not a store path (no 32-character
/// base32 hash part and '-' before a name) is returned unchanged.
std::string_view storePathName(std::string_view path);

} // namespace purist
