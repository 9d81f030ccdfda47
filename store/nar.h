#pragma once
// NAR, the Nix archive format, byte for byte as `nix-store --dump` writes it: every
// token a little-endian u64 length, the bytes, and zero padding to 8; directory entries
// in byte order; only regular files (executable or not), symlinks and directories.

#include "store/stream.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace purist {

/// The suffix Nix appends on case-insensitive file systems to names that collide.
inline constexpr std::string_view kCaseHackSuffix = "~nix~case~hack~";

/// Where a node sits in an archive: its name and its parent's place. Places are shared
/// between a node and the nodes below it, so a listener that holds the places of many
/// nodes of a deep tree holds memory linear in the tree's depth, not its square.
/// Immutable, so safe to share between threads.
struct NarPlace {
    std::shared_ptr<const NarPlace> parent; ///< null for an entry of the root directory
    std::string name;
};
/// Null for the root itself.
using NarPlacePtr = std::shared_ptr<const NarPlace>;

/// "" for the root, else "dir/file" without a leading slash. Linear in the depth.
std::string relativePathOf(const NarPlacePtr& place);

/// Told, per node, where in the NAR stream the node's payload starts: the contents of a
/// regular file, the target of a symlink, or the name token of a directory entry. The
/// reference scanner uses it to say in which file, at which offset, a hash was found.
class NarListener {
public:
    virtual ~NarListener() = default;
    /// `place` is the node's (relativePathOf() turns it into a path when one is needed).
    /// `narOffset` is the offset of the payload's first byte in the NAR stream.
    virtual void onPayload(const NarPlacePtr& place, uint64_t narOffset) = 0;
};

enum class CaseHack {
    Auto, ///< on when the file system holding the path is case-insensitive
    On,
    Off,
};

struct NarDumpOptions {
    /// On dump, the case hack strips `~nix~case~hack~N` from names, so a tree restored
    /// with the hack dumps to the original NAR.
    CaseHack caseHack = CaseHack::Auto;
    NarListener* listener = nullptr;
};

/// Writes the NAR serialisation of `path` (not following a symlink at `path` itself, nor
/// any below it) to `sink`, in constant memory whatever the file sizes, memory linear in
/// the tree's depth and a bounded number of descriptors whatever its depth. Throws SysError naming
/// the path that failed, FormatError on a file type NAR cannot hold (device, socket, fifo).
void dumpPath(const std::string& path, Sink& sink, const NarDumpOptions& options = {});

struct NarRestoreOptions {
    /// On restore, names that collide case-insensitively within a directory get the
    /// suffix `~nix~case~hack~N`.
    CaseHack caseHack = CaseHack::Auto;
};

/// Reads one NAR from `source` and creates it at `path`, which must not exist (its
/// parent must). Refuses hostile or broken archives with FormatError (bad magic, names
/// that are empty, ".", "..", contain '/' or NUL, duplicate or unsorted entries,
/// truncation, unknown tokens) and leaves nothing at `path` on any error (if even the
/// removal fails, the error says so). Never follows a symlink it created. Does not recurse
/// on the archive's nesting: any depth takes memory linear in it and a bounded number of
/// descriptors. Files get modes 0644 or 0755 (canonicalisation happens later).
void restorePath(const std::string& path, Source& source, const NarRestoreOptions& options = {});

/// Reads one NAR from `source`, checks it as restorePath would, and discards it.
/// Returns the number of bytes it consumed.
uint64_t validateNar(Source& source);

/// True if names in directory `dir` are compared case-insensitively (vfat, exfat, HFS+,
/// or a casefolded ext4 directory).
bool isCaseInsensitive(const std::string& dir);

} // namespace purist
