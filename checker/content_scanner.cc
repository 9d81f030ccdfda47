#include "checker/content_scanner.h"

#include "base/error.h"
#include "base/file_descriptor.h"

#include <cstring>

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
    std::string alternation;
    for (const auto& source : patterns) {
        auto re = std::make_unique<re2::RE2>(source, byteOptions());
        if (!re->ok()) throw ConfigError("", "bad RE2 pattern '" + source + "': " + re->error());
        patterns_.push_back(std::move(re));
        alternation += (alternation.empty() ? "(?:" : "|(?:") + source + ")";
    }
    if (!patterns.empty()) {
        re2::RE2::Options options = byteOptions();
        options.set_never_capture(true);
        any_ = std::make_unique<re2::RE2>(alternation, options);
        if (!any_->ok()) throw ConfigError("", "cannot combine content patterns: " + any_->error());
    }
}

bool ContentScanner::search(std::string_view text, uint64_t textOffset, bool atEnd,
                            std::vector<bool>& pending, size_t& pendingCount,
                            const std::function<void(const ContentHit&)>& onHit) const {
    re2::StringPiece piece(text.data(), text.size());
    if (!re2::RE2::PartialMatch(piece, *any_)) return true;
    for (size_t i = 0; i < patterns_.size(); ++i) {
        if (!pending[i]) continue;
        re2::StringPiece match;
        if (!patterns_[i]->Match(piece, 0, piece.size(), re2::RE2::UNANCHORED, &match, 1)) continue;
        size_t begin = static_cast<size_t>(match.data() - text.data());
        size_t end = begin + match.size();
        // A match that reaches the end of the chunk may continue in the next one; the next
        // search sees it again from the overlap, whole.
        if (!atEnd && end == text.size() && text.size() - begin < kMaxMatchLength) continue;
        ContentHit hit;
        hit.pattern = i;
        hit.offset = textOffset + begin;
        hit.match.assign(match.data(), match.size());
        hit.excerpt = makeExcerpt(text, begin, match.size());
        pending[i] = false;
        --pendingCount;
        onHit(hit);
    }
    return pendingCount > 0;
}

void ContentScanner::scanBytes(std::string_view bytes, const std::vector<bool>& active,
                               const std::function<void(const ContentHit&)>& onHit) const {
    if (!any_) return;
    std::vector<bool> pending = active;
    size_t pendingCount = std::count(pending.begin(), pending.end(), true);
    if (pendingCount == 0) return;
    search(bytes, 0, true, pending, pendingCount, onHit);
}

void ContentScanner::scanFile(int fd, const std::string& what, const std::vector<bool>& active,
                              const std::function<void(const ContentHit&)>& onHit) const {
    if (!any_) return;
    std::vector<bool> pending = active;
    size_t pendingCount = std::count(pending.begin(), pending.end(), true);
    if (pendingCount == 0) return;
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
