#pragma once
// Trees a build or a source can leave for purist to walk: symlinks out of the tree and
// into loops, read-only and unreadable directories, a chain deeper than PATH_MAX allows
// to name. Every tree walk (removal, canonicalisation, dump and restore, reference and
// content scans) is tested against the same table.

#include "base/sanitizers.h"

#include <functional>
#include <string>
#include <sys/resource.h>
#include <vector>

namespace purist::testing {

/// A row of the table: `make(root, outside)` creates the tree at `root` (which must not
/// exist); its symlinks may point at `outside`, a directory made by makeOutside().
struct HostileTree {
    std::string name;
    std::function<void(const std::string& root, const std::string& outside)> make;
};

/// Symlink to /etc, to an outside directory and file, to ".." and to itself, a loop of two
/// symlinks, 0555 directories nested, a 0000 directory, and a 5,000-deep chain of
/// 200-byte names.
const std::vector<HostileTree>& hostileTrees();

/// Where to make hostile trees: /dev/shm when it is a writable directory (a tmpfs: the
/// deep chains are made and removed in well under a second there, and several seconds on
/// a busy disk), else "" (TempDir's default). The walks do not depend on the file system.
std::string scratchParent();

/// The table test of a walk: makes `dir`/outside, then each hostile tree in turn at
/// `dir`/tree (its symlinks pointing at outside) and calls `body(tree, root, outside)`;
/// afterwards it EXPECTs that nothing under outside changed, and removes `dir`/tree and
/// `dir`/copy. `readsOnly`: unprivileged, the row with a 0000 directory is passed over,
/// since a walk that may not change modes is refused there, rightly.
void forEachHostileTree(const std::string& dir, bool readsOnly,
                        const std::function<void(const HostileTree& tree, const std::string& root,
                                                 const std::string& outside)>& body);

/// Creates `root` and, below it, a chain `depth` directories deep, each name `nameLength`
/// bytes, with a file "leaf" holding `leaf` at the bottom. Uses *at calls only: the path
/// of the bottom is far longer than PATH_MAX.
void makeDeepChain(const std::string& root, size_t depth, size_t nameLength,
                   const std::string& leaf = "leaf\n");

/// The relative path of the bottom directory of such a chain ("" for depth 0).
std::string deepChainPath(size_t depth, size_t nameLength);

/// A NAR of `depth` directories nested, each holding one entry "d", with a file holding
/// "bottom\n" at the bottom; `closed` false stops the stream there, truncated, as a hostile
/// or broken one would.
std::string nestedDirectoryNar(size_t depth, bool closed);

/// Creates the directory a hostile tree's symlinks point into: a file "precious" (0644)
/// and a directory "sub" (0755) holding "secret" (0600), all with old mtimes.
void makeOutside(const std::string& outside);

/// Every entry below `dir` with its mode, owner, mtime, link count and contents, one line
/// each: equal before and after a walk means the walk changed nothing there.
std::string snapshotOf(const std::string& dir);

/// Runs `body` with the soft limit of open descriptors lowered to `limit`, then restores
/// it; a walk that needs a descriptor per level fails inside with EMFILE.
void withDescriptorLimit(rlim_t limit, const std::function<void()>& body);

/// The peak resident set, in KiB, of a forked child that runs `body` and exits (0 if it
/// threw: the test then fails on `failed`).
long peakKibInChild(const std::function<void()>& body, bool& failed);

/// Whether this build runs under AddressSanitizer (`./dev.sh sanitize`).
inline constexpr bool kAddressSanitizer = PURIST_ADDRESS_SANITIZER;

/// A bound on peak memory, given for the release build, as it applies to this build. The
/// bounds catch walks whose memory grows with the square of a tree's depth (hundreds of
/// MiB against a few). Under ASan every process also pays for shadow memory and the
/// allocator's redzones (74-81 MiB measured against 64 MiB for in-process walks), and
/// freed blocks wait in its quarantine: twice the bound plus 64 MiB still catches the
/// quadratic cases. A process measured under ASan runs with `kSmallQuarantine`.
inline long memoryBoundKib(long releaseKib) {
    return kAddressSanitizer ? 2 * releaseKib + 64 * 1024 : releaseKib;
}

/// ASan's options for a process whose peak memory a test bounds: the quarantine (256 MiB by
/// default, filled by any process that frees that much) cut to 16 MiB. Empty without ASan.
std::string smallQuarantineAsanOptions();

} // namespace purist::testing
