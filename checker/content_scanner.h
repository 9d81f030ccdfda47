#pragma once
// Searching file contents for RE2 patterns in constant memory: the bytes are read in
// chunks of kChunkSize, and the last kMaxMatchLength bytes of each chunk are searched
// again with the next, so a match that crosses a chunk boundary is found whole.

#include <re2/re2.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace purist::checker {

/// One occurrence of a pattern.
struct ContentHit {
    size_t pattern = 0;  ///< index into the scanner's patterns
    uint64_t offset = 0; ///< of the match's first byte in the file
    std::string match;   ///< the matched bytes (at most kMaxMatchLength)
    std::string excerpt; ///< printable bytes around the match, others shown as '.'
};

/// Holds compiled patterns; immutable after construction, so one scanner may be shared by
/// threads (RE2 is thread-safe), each calling scan* with its own buffer.
class ContentScanner {
public:
    static constexpr size_t kChunkSize = 1 << 20;
    /// A match longer than this that crosses a chunk boundary may be reported truncated
    /// (its offset stays right); shorter matches are always found whole.
    static constexpr size_t kMaxMatchLength = 4096;
    /// Regular files are mapped and searched in windows of this size (plus the same
    /// kMaxMatchLength overlap); other files are read in kChunkSize chunks.
    static constexpr size_t kMappedWindow = 16 << 20;

    /// Compiles `patterns` as RE2 over bytes (Latin-1, so any byte is a character). Throws
    /// ConfigError naming a pattern RE2 refuses.
    explicit ContentScanner(const std::vector<std::string>& patterns);

    size_t size() const { return patterns_.size(); }
    const std::string& source(size_t pattern) const { return sources_[pattern]; }

    /// Scans the regular file open as `fd` (read to its end) for the patterns whose
    /// `active` entry is true, and calls `onHit` with the first occurrence of each.
    /// Throws SysError naming `what` on a read error.
    void scanFile(int fd, const std::string& what, const std::vector<bool>& active,
                  const std::function<void(const ContentHit&)>& onHit) const;

    /// As scanFile, over bytes in memory (a symlink's target).
    void scanBytes(std::string_view bytes, const std::vector<bool>& active,
                   const std::function<void(const ContentHit&)>& onHit) const;

private:
    /// Searches `text` (file bytes from `textOffset`) for the active patterns not yet
    /// found. A match touching the end of `text` is left for the next chunk unless
    /// `atEnd`. Returns false when every active pattern has been found.
    /// scanFile over an mmap of a regular file; false if it cannot be mapped.
    bool scanMapped(int fd, const std::string& what, std::vector<bool>& pending,
                    size_t& pendingCount,
                    const std::function<void(const ContentHit&)>& onHit) const;
    bool search(std::string_view text, uint64_t textOffset, bool atEnd, std::vector<bool>& pending,
                size_t& pendingCount, const std::function<void(const ContentHit&)>& onHit) const;

    /// The literal-prefix path of search(): candidates from the two-byte pair scan, each
    /// confirmed by an anchored match of the pattern whose prefix is there.
    void searchByPrefix(std::string_view text, uint64_t textOffset, bool atEnd,
                        std::vector<bool>& pending, size_t& pendingCount,
                        const std::function<void(const ContentHit&)>& onHit) const;
    /// Reports pattern `i`'s match `match` unless it may continue past `text`'s end;
    /// returns true if reported.
    bool report(size_t i, std::string_view text, uint64_t textOffset, bool atEnd,
                re2::StringPiece match, std::vector<bool>& pending, size_t& pendingCount,
                const std::function<void(const ContentHit&)>& onHit) const;

    std::vector<std::string> sources_;
    std::vector<std::unique_ptr<re2::RE2>> patterns_;
    /// The cheap first pass: the patterns [first, last) in one alternation. More than one
    /// group when the patterns are too many for RE2 to compile as one (rules::kMaxCombinedCost).
    struct Alternation {
        std::unique_ptr<re2::RE2> any;
        size_t first = 0;
        size_t last = 0;
    };
    std::vector<Alternation> alternations_;
    /// Per pattern, a literal every match starts with (from RE2's PossibleMatchRange).
    std::vector<std::string> prefixes_;
    /// The distinct first two bytes of the prefixes, when every pattern has a prefix of two
    /// bytes or more; then candidates are found by a SIMD pair scan instead of the DFA.
    std::vector<std::pair<char, char>> pairs_;
};

/// Bytes of `text` around [`begin`, `begin`+`length`): up to `context` before and after,
/// non-printable bytes replaced by '.'.
std::string makeExcerpt(std::string_view text, size_t begin, size_t length, size_t context = 24);

} // namespace purist::checker
