#pragma once
// Finds which store paths a file system object refers to, by scanning its NAR stream for
// the 32-character hash parts of candidate paths, as Nix does after every build.

#include "store/nar.h"
#include "store/store_path.h"
#include "store/stream.h"

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

namespace purist {

/// Where a reference was first seen: the file inside the scanned path ("" for the path
/// itself) and the byte offset in its payload (file contents, symlink target, or the
/// entry name).
struct ReferenceSite {
    std::string file;
    uint64_t offset = 0;
    friend bool operator==(const ReferenceSite&, const ReferenceSite&) = default;
};

/// A streaming scanner: write the NAR stream to it (in chunks of any size; a hash split
/// across chunks is found) and, to learn where hits are, register it as the dump's
/// NarListener. Memory is the candidate table plus 31 bytes, whatever the stream's size.
/// Not thread-safe.
class RefScanner : public Sink, public NarListener {
public:
    /// `hashParts`: the 32-character hash parts to look for; others are ignored.
    explicit RefScanner(const std::vector<std::string>& hashParts);

    void write(std::string_view data) override;
    void onPayload(const NarPlacePtr& place, uint64_t narOffset) override;

    /// The candidates found, each with the site of its first occurrence.
    const std::map<std::string, ReferenceSite>& found() const { return found_; }
    uint64_t bytesScanned() const { return offset_; }

private:
    void scanRange(const char* begin, const char* end, uint64_t startOffset);
    void record(std::string_view hashPart, uint64_t narOffset);

    struct Slot {
        std::array<char, kHashPartLength> key{};
        bool used = false;
        bool seen = false;
    };
    std::vector<Slot> table_; // open addressing, power-of-two size
    size_t mask_ = 0;
    std::map<std::string, ReferenceSite> found_;
    size_t remaining_ = 0; // candidates not found yet; 0 means nothing left to find
    std::string tail_;     // last (kHashPartLength - 1) bytes of the previous chunk
    uint64_t offset_ = 0;  // NAR offset of the next byte written
    // Payload starts not yet passed by the scan: a dump announces a payload when it
    // buffers it, which can be before the scanner sees the bytes before it. Places, not
    // paths: a dump of a deep tree buffers many marks, and paths would cost the square of
    // the depth; a path is made only for a hit.
    struct PayloadMark {
        uint64_t narOffset;
        NarPlacePtr place;
    };
    std::deque<PayloadMark> marks_;
    PayloadMark current_{0, nullptr};
};

/// Scans the tree at `path` for `hashParts` and says where each one found occurs.
std::map<std::string, ReferenceSite> scanForReferences(const std::string& path,
                                                       const std::vector<std::string>& hashParts);

} // namespace purist
