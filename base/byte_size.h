#pragma once
// Sizes as people write them in settings, policies and build specs (`50MiB`, `50MB`,
// `1048576`): one parser, so every file purist reads accepts the same sizes.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace purist {

/// Parses a size: a whole byte count (`1048576`), or a whole count and a unit, optionally
/// after one space: `B`; `K`, `KiB`, `M`, `MiB`, `G`, `GiB`, `T`, `TiB` (powers of 1024,
/// as Nix's settings read `K`, `M`, `G`); `kB`, `KB`, `MB`, `GB`, `TB` (powers of 1000, as
/// SI defines them). Returns the byte count, or sets `error` to a sentence quoting `text`
/// (a fraction is refused as such, with the whole number to write instead) and returns
/// nullopt. Thread-safe.
std::optional<uint64_t> parseByteSize(std::string_view text, std::string& error);

} // namespace purist
