// Hash and store path strings, as users, specs and NARs' neighbours (the DB, GC roots)
// hand them to purist. Promises checked: parsing never crashes, and what parses prints back
// to a string that parses to the same value.

#include "base/error.h"
#include "store/hash.h"
#include "store/store_path.h"
#include "tests/fuzz/fuzz_support.h"

#include <cstdint>
#include <string>

using namespace purist;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    try {
        Hash hash = Hash::parse(text);
        for (const std::string& printed :
             {hash.toNixString(), hash.toSri(),
              std::string(algorithmName(hash.algorithm())) + ":" + hash.toHex(),
              std::string(algorithmName(hash.algorithm())) + ":" + hash.toBase64()})
            if (!(Hash::parse(printed) == hash))
                fuzz::brokenPromise("hash '" + printed + "' does not parse back");
    } catch (const FormatError&) {
    }
    for (auto algorithm : {HashAlgorithm::Sha1, HashAlgorithm::Sha256, HashAlgorithm::Sha512}) {
        try {
            Hash hash = Hash::parseBare(text, algorithm);
            if (!(Hash::parseBare(hash.toBase32(), algorithm) == hash))
                fuzz::brokenPromise("bare base32 hash does not parse back");
        } catch (const FormatError&) {
        }
    }
    try {
        base64Decode(text);
    } catch (const FormatError&) {
    }

    try {
        StorePath path = StorePath::fromBaseName(text);
        if (path.baseName() != text) fuzz::brokenPromise("store path base name changed");
    } catch (const FormatError&) {
    }
    try {
        validateStorePathName(text);
    } catch (const FormatError&) {
    }
    const StoreDir store("/nix/store");
    try {
        StorePath path = store.parse(text);
        // A store path may be written with trailing slashes (`result/`, a shell's
        // completion), as Nix accepts it; it prints without them.
        std::string_view canonical = text;
        while (canonical.ends_with('/'))
            canonical.remove_suffix(1);
        if (store.print(path) != canonical) fuzz::brokenPromise("store path does not print back");
    } catch (const FormatError&) {
    }
    try {
        auto [path, rest] = store.parseWithSubpath(text);
        (void)path;
        (void)rest;
    } catch (const FormatError&) {
    }
    store.isInStore(text);
    return 0;
}
