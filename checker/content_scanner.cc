#include "checker/content_scanner.h"

#include "base/error.h"
#include "base/file_descriptor.h"
#include "rules/rule.h"

#include <algorithm>
#include <cstring>
#include <sys/mman.h>
#include <sys/stat.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace purist::checker {

namespace {

re2::RE2::Options byteOptions() {
    re2::RE2::Options options;
    options.set_encoding(re2::RE2::Options::EncodingLatin1);
    options.set_log_errors(false);
    // A larger DFA cache keeps the scan in the DFA on big inputs instead of falling back.
    options.set_max_mem(64 << 20);
    return options;
}

} // namespace

std::string makeExcerpt(std::string_view text, size_t begin, size_t length, size_t context) {
    size_t from = begin > context ? begin - context : 0;
    size_t to = std::min(text.size(), begin + length + context);
    std::string excerpt(text.substr(from, to - from));
    for (char& c : excerpt)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) c = '.';
    return excerpt;
}

ContentScanner::ContentScanner(const std::vector<std::string>& patterns) : sources_(patterns) {
    re2::RE2::Options alternationOptions = byteOptions();
    alternationOptions.set_never_capture(true);
    std::string alternation;
    size_t cost = 0;
    auto closeAlternation = [&] {
        if (alternation.empty()) return;
        auto any = std::make_unique<re2::RE2>(alternation, alternationOptions);
        if (!any->ok()) throw ConfigError("", "cannot combine content patterns: " + any->error());
        size_t first = alternations_.empty() ? 0 : alternations_.back().last;
        alternations_.push_back({std::move(any), first, patterns_.size()});
        alternation.clear();
        cost = 0;
    };
    for (const auto& source : patterns) {
        auto re = std::make_unique<re2::RE2>(source, byteOptions());
        if (!re->ok()) throw ConfigError("", "bad RE2 pattern '" + source + "': " + re->error());
        if (cost + rules::combinedCost(source) > rules::kMaxCombinedCost) closeAlternation();
        patterns_.push_back(std::move(re));
        alternation += (alternation.empty() ? "(?:" : "|(?:") + source + ")";
        cost += rules::combinedCost(source);
    }
    closeAlternation();
    // A literal every match begins with: the common prefix of the least and greatest
    // strings a match can start with. Patterns with a two-byte prefix need no DFA pass.
    bool allPrefixed = !patterns_.empty();
    for (const auto& re : patterns_) {
        std::string min, max, prefix;
        if (re->PossibleMatchRange(&min, &max, 16)) {
            size_t n = 0;
            while (n < min.size() && n < max.size() && min[n] == max[n])
                ++n;
            prefix = min.substr(0, n);
        }
        if (prefix.size() < 2) allPrefixed = false;
        prefixes_.push_back(prefix);
    }
    if (allPrefixed) {
        for (const auto& prefix : prefixes_) {
            std::pair<char, char> pair{prefix[0], prefix[1]};
            if (std::find(pairs_.begin(), pairs_.end(), pair) == pairs_.end())
                pairs_.push_back(pair);
        }
        // The SIMD scan tests each pair on every block; past a handful the DFA is as fast.
        if (pairs_.size() > 8) pairs_.clear();
    }
}

namespace {

/// The first position >= `from` where one of `pairs` starts, or `size` if none.
size_t nextPairScalar(const char* data, size_t size, size_t from,
                      const std::vector<std::pair<char, char>>& pairs) {
    for (size_t i = from; i + 1 < size; ++i)
        for (const auto& [a, b] : pairs)
            if (data[i] == a && data[i + 1] == b) return i;
    return size;
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) size_t
nextPairAvx2(const char* data, size_t size, size_t from,
             const std::vector<std::pair<char, char>>& pairs) {
    size_t i = from;
    __m256i first[8], second[8];
    size_t count = pairs.size();
    for (size_t k = 0; k < count; ++k) {
        first[k] = _mm256_set1_epi8(pairs[k].first);
        second[k] = _mm256_set1_epi8(pairs[k].second);
    }
    // 32 candidate positions per step: byte i matches a pair's first byte and byte i+1 its
    // second.
    while (i + 33 <= size) {
        __m256i v0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data + i));
        __m256i v1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data + i + 1));
        __m256i hits = _mm256_setzero_si256();
        for (size_t k = 0; k < count; ++k)
            hits = _mm256_or_si256(hits, _mm256_and_si256(_mm256_cmpeq_epi8(v0, first[k]),
                                                          _mm256_cmpeq_epi8(v1, second[k])));
        uint32_t mask = static_cast<uint32_t>(_mm256_movemask_epi8(hits));
        if (mask) return i + static_cast<size_t>(__builtin_ctz(mask));
        i += 32;
    }
    return nextPairScalar(data, size, i, pairs);
}
#endif

size_t nextPair(const char* data, size_t size, size_t from,
                const std::vector<std::pair<char, char>>& pairs) {
#if defined(__x86_64__)
    static const bool avx2 = __builtin_cpu_supports("avx2");
    if (avx2) return nextPairAvx2(data, size, from, pairs);
#endif
    return nextPairScalar(data, size, from, pairs);
}

} // namespace

bool ContentScanner::report(size_t i, std::string_view text, uint64_t textOffset, bool atEnd,
                            re2::StringPiece match, std::vector<bool>& pending,
                            size_t& pendingCount,
                            const std::function<void(const ContentHit&)>& onHit) const {
    size_t begin = static_cast<size_t>(match.data() - text.data());
    size_t end = begin + match.size();
    // A match that reaches the end of the chunk may continue in the next one; the next
    // search sees it again from the overlap, whole.
    if (!atEnd && end == text.size() && text.size() - begin < kMaxMatchLength) return false;
    ContentHit hit;
    hit.pattern = i;
    hit.offset = textOffset + begin;
    hit.match.assign(match.data(), match.size());
    hit.excerpt = makeExcerpt(text, begin, match.size());
    pending[i] = false;
    --pendingCount;
    onHit(hit);
    return true;
}

void ContentScanner::searchByPrefix(std::string_view text, uint64_t textOffset, bool atEnd,
                                    std::vector<bool>& pending, size_t& pendingCount,
                                    const std::function<void(const ContentHit&)>& onHit) const {
    re2::StringPiece piece(text.data(), text.size());
    // A pattern deferred to the next chunk is not looked for again in this one.
    std::vector<bool> deferred(patterns_.size(), false);
    size_t pos = 0;
    while (pendingCount > 0 &&
           (pos = nextPair(text.data(), text.size(), pos, pairs_)) < text.size()) {
        for (size_t i = 0; i < patterns_.size(); ++i) {
            if (!pending[i] || deferred[i]) continue;
            const std::string& prefix = prefixes_[i];
            if (text.size() - pos < prefix.size() ||
                std::memcmp(text.data() + pos, prefix.data(), prefix.size()) != 0)
                continue;
            size_t endpos = std::min(text.size(), pos + kMaxMatchLength);
            re2::StringPiece match;
            if (!patterns_[i]->Match(piece, pos, endpos, re2::RE2::ANCHOR_START, &match, 1))
                continue;
            if (!report(i, text, textOffset, atEnd, match, pending, pendingCount, onHit))
                deferred[i] = true;
        }
        ++pos;
    }
}

bool ContentScanner::search(std::string_view text, uint64_t textOffset, bool atEnd,
                            std::vector<bool>& pending, size_t& pendingCount,
                            const std::function<void(const ContentHit&)>& onHit) const {
    if (!pairs_.empty()) {
        searchByPrefix(text, textOffset, atEnd, pending, pendingCount, onHit);
        return pendingCount > 0;
    }
    re2::StringPiece piece(text.data(), text.size());
    for (const Alternation& group : alternations_) {
        if (std::none_of(pending.begin() + static_cast<long>(group.first),
                         pending.begin() + static_cast<long>(group.last),
                         [](bool p) { return p; }) ||
            !re2::RE2::PartialMatch(piece, *group.any))
            continue;
        for (size_t i = group.first; i < group.last; ++i) {
            if (!pending[i]) continue;
            re2::StringPiece match;
            if (!patterns_[i]->Match(piece, 0, piece.size(), re2::RE2::UNANCHORED, &match, 1))
                continue;
            report(i, text, textOffset, atEnd, match, pending, pendingCount, onHit);
        }
    }
    return pendingCount > 0;
}

void ContentScanner::scanBytes(std::string_view bytes, const std::vector<bool>& active,
                               const std::function<void(const ContentHit&)>& onHit) const {
    if (alternations_.empty()) return;
    std::vector<bool> pending = active;
    size_t pendingCount = std::count(pending.begin(), pending.end(), true);
    if (pendingCount == 0) return;
    search(bytes, 0, true, pending, pendingCount, onHit);
}

bool ContentScanner::scanMapped(int fd, const std::string& what, std::vector<bool>& pending,
                                size_t& pendingCount,
                                const std::function<void(const ContentHit&)>& onHit) const {
    struct stat st;
    if (::fstat(fd, &st) == -1) throw SysError("examining " + what);
    if (!S_ISREG(st.st_mode) || st.st_size == 0) return false;
    size_t size = static_cast<size_t>(st.st_size);
    // Mapping a file in the page cache reads it without the copy read(2) makes, which is
    // most of the cost once the prefilter is fast. Windows [k*W, (k+1)*W + kMaxMatchLength)
    // overlap as the read loop's chunks below do, so a match of up to kMaxMatchLength bytes
    // is found whole, and pages behind the window are dropped so memory stays bounded.
    void* mapped = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (mapped == MAP_FAILED) return false; // e.g. a file system without mmap: read instead
    struct Unmap {
        void* p;
        size_t n;
        ~Unmap() { ::munmap(p, n); }
    } unmap{mapped, size};
    // madvise is advice: a refusal changes speed, never results, so it is not an error.
    // Store paths are immutable; a file truncated under the mapping (possible only outside
    // a store) would raise SIGBUS, which is why only regular files are mapped at all.
    ::madvise(mapped, size, MADV_SEQUENTIAL);
    const char* data = static_cast<const char*>(mapped);
    size_t released = 0;
    for (size_t start = 0;; start += kMappedWindow) {
        size_t end = std::min(size, start + kMappedWindow + kMaxMatchLength);
        if (!search(std::string_view(data + start, end - start), start, end == size, pending,
                    pendingCount, onHit) ||
            end == size)
            return true;
        // Drop what is behind the window, so a large file does not stay in this process's
        // resident set.
        size_t behind = start / kMappedWindow * kMappedWindow;
        if (behind > released + 2 * kMappedWindow) {
            ::madvise(const_cast<char*>(data) + released, behind - released, MADV_DONTNEED);
            released = behind;
        }
    }
}

void ContentScanner::scanFile(int fd, const std::string& what, const std::vector<bool>& active,
                              const std::function<void(const ContentHit&)>& onHit) const {
    if (alternations_.empty()) return;
    std::vector<bool> pending = active;
    size_t pendingCount = std::count(pending.begin(), pending.end(), true);
    if (pendingCount == 0) return;
    if (scanMapped(fd, what, pending, pendingCount, onHit)) return;
    std::vector<char> buffer(kMaxMatchLength + kChunkSize);
    size_t kept = 0;           // bytes carried over from the previous chunk
    uint64_t bufferOffset = 0; // file offset of buffer[0]
    bool seenData = false;
    for (;;) {
        size_t filled = kept;
        // Fill the chunk completely (or to the end of file) so chunk boundaries do not
        // depend on how the kernel splits reads.
        bool atEnd = false;
        while (filled < buffer.size()) {
            size_t n = readSome(fd, buffer.data() + filled, buffer.size() - filled, what);
            if (n == 0) {
                atEnd = true;
                break;
            }
            filled += n;
        }
        if (filled > kept) seenData = true;
        if (!seenData) return;
        if (!search(std::string_view(buffer.data(), filled), bufferOffset, atEnd, pending,
                    pendingCount, onHit))
            return;
        if (atEnd) return;
        size_t keep = std::min(filled, kMaxMatchLength);
        std::memmove(buffer.data(), buffer.data() + filled - keep, keep);
        bufferOffset += filled - keep;
        kept = keep;
    }
}

} // namespace purist::checker
