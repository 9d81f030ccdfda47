#include "store/store_path.h"

#include "base/error.h"
#include "store/base32.h"

namespace purist {

void validateStorePathName(std::string_view name) {
    if (name.empty()) throw FormatError("store path name is empty");
    if (name.size() > kMaxNameLength)
        throw FormatError("store path name '" + std::string(name) + "' is longer than " +
                          std::to_string(kMaxNameLength) + " characters");
    if (name[0] == '.')
        throw FormatError("store path name '" + std::string(name) + "' starts with a period");
    for (char c : name) {
        bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  c == '+' || c == '-' || c == '.' || c == '_' || c == '?' || c == '=';
        if (!ok)
            throw FormatError("store path name '" + std::string(name) +
                              "' contains the forbidden character '" + std::string(1, c) + "'");
    }
}

StorePath StorePath::fromBaseName(std::string_view baseName) {
    if (baseName.size() < kHashPartLength + 2 || baseName[kHashPartLength] != '-')
        throw FormatError("'" + std::string(baseName) +
                          "' is not a store path base name (<32-char hash>-<name>)");
    for (char c : baseName.substr(0, kHashPartLength))
        if (!base32::isDigit(c))
            throw FormatError("store path '" + std::string(baseName) +
                              "' has an invalid hash part (character '" + std::string(1, c) + "')");
    validateStorePathName(baseName.substr(kHashPartLength + 1));
    return StorePath(std::string(baseName));
}

StoreDir::StoreDir(std::string dir) : dir_(std::move(dir)) {
    if (dir_.empty() || dir_[0] != '/')
        throw FormatError("store dir '" + dir_ + "' is not an absolute path");
    if (dir_.size() > 1 && dir_.back() == '/')
        throw FormatError("store dir '" + dir_ + "' ends with a slash");
}

bool StoreDir::isInStore(std::string_view path) const {
    return path.size() > dir_.size() + 1 && path.substr(0, dir_.size()) == dir_ &&
           path[dir_.size()] == '/';
}

StorePath StoreDir::parse(std::string_view path) const {
    auto [storePath, rest] = parseWithSubpath(path);
    if (!rest.empty())
        throw FormatError("path '" + std::string(path) + "' is inside a store path, not one");
    return storePath;
}

std::pair<StorePath, std::string> StoreDir::parseWithSubpath(std::string_view path) const {
    if (!isInStore(path))
        throw FormatError("path '" + std::string(path) + "' is not in the store dir '" + dir_ +
                          "'");
    std::string_view rest = path.substr(dir_.size() + 1);
    size_t slash = rest.find('/');
    StorePath storePath = StorePath::fromBaseName(rest.substr(0, slash));
    std::string subpath;
    if (slash != std::string_view::npos) {
        subpath = rest.substr(slash + 1);
        while (!subpath.empty() && subpath.back() == '/')
            subpath.pop_back();
    }
    return {storePath, subpath};
}

StorePath StoreDir::makeStorePath(std::string_view type, const Hash& hash,
                                  std::string_view name) const {
    validateStorePathName(name);
    std::string fingerprint = std::string(type) + ":" +
                              std::string(algorithmName(hash.algorithm())) + ":" + hash.toHex() +
                              ":" + dir_ + ":" + std::string(name);
    std::vector<uint8_t> folded = foldHash(hashString(HashAlgorithm::Sha256, fingerprint), 20);
    return StorePath::fromBaseName(base32::encode(folded) + "-" + std::string(name));
}

StorePath StoreDir::makeFixedOutputPath(FileIngestionMethod method, const Hash& hash,
                                        std::string_view name, const StorePathSet& references,
                                        bool selfReference) const {
    if (method == FileIngestionMethod::Recursive && hash.algorithm() == HashAlgorithm::Sha256) {
        std::string type = "source";
        for (const StorePath& ref : references)
            type += ":" + print(ref);
        if (selfReference) type += ":self";
        return makeStorePath(type, hash, name);
    }
    if (!references.empty() || selfReference)
        throw StoreError("a fixed-output path other than recursive SHA-256 cannot have references");
    std::string inner = std::string("fixed:out:") +
                        (method == FileIngestionMethod::Recursive ? "r:" : "") +
                        std::string(algorithmName(hash.algorithm())) + ":" + hash.toHex() + ":";
    return makeStorePath("output:out", hashString(HashAlgorithm::Sha256, inner), name);
}

StorePath StoreDir::makeOutputPath(std::string_view outputName, const Hash& buildHash,
                                   std::string_view name) const {
    std::string fullName(name);
    if (outputName != "out") fullName += "-" + std::string(outputName);
    return makeStorePath("output:" + std::string(outputName), buildHash, fullName);
}

std::string_view storePathName(std::string_view path) {
    size_t slash = path.rfind('/');
    std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
    if (base.size() <= kHashPartLength + 1 || base[kHashPartLength] != '-') return path;
    constexpr std::string_view alphabet = "0123456789abcdfghijklmnpqrsvwxyz";
    for (size_t i = 0; i < kHashPartLength; ++i)
        if (alphabet.find(base[i]) == std::string_view::npos) return path;
    return base.substr(kHashPartLength + 1);
}

} // namespace purist
