#pragma once
// What the reporter tests share: store paths with valid hashes, and whole files read and
// written (reports, golden files, pages for a browser).

#include "base/error.h"

#include <fstream>
#include <sstream>
#include <string>

namespace purist::reports {

/// A store path with a valid 32-character hash part derived from `seed` (seeds that differ
/// modulo 32 give different first characters, so hash order is not seed order).
inline std::string storePath(const std::string& name, unsigned seed) {
    static const std::string alphabet = "0123456789abcdfghijklmnpqrsvwxyz";
    std::string hash;
    for (unsigned i = 0; i < 32; ++i)
        hash += alphabet[(seed * 7 + i * 13 + i * i) % 32];
    return "/nix/store/" + hash + "-" + name;
}

inline std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw SysError("opening " + path);
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

inline void writeFile(const std::string& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out.flush()) throw SysError("writing " + path);
}

} // namespace purist::reports
