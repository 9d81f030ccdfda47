#include "store/ref_scanner.h"

#include "base/error.h"
#include "store/base32.h"

#include <cstring>

namespace purist {
namespace {

constexpr size_t L = kHashPartLength;

constexpr std::array<bool, 256> makeBase32Table() {
    std::array<bool, 256> table{};
    for (char c : base32::kAlphabet)
        table[static_cast<uint8_t>(c)] = true;
    return table;
}
constexpr std::array<bool, 256> kIsBase32 = makeBase32Table();

inline bool isBase32(char c) {
    return kIsBase32[static_cast<uint8_t>(c)];
}

inline uint64_t keyHash(const char* p) {
    uint64_t a, b;
    std::memcpy(&a, p, 8);
    std::memcpy(&b, p + 8, 8);
    uint64_t h = (a ^ (b * 0x9E3779B97F4A7C15ull)) * 0xC2B2AE3D27D4EB4Full;
    return h ^ (h >> 29);
}

} // namespace

RefScanner::RefScanner(const std::vector<std::string>& hashParts) {
    size_t size = 16;
    while (size < hashParts.size() * 4)
        size *= 2;
    table_.resize(size);
    mask_ = size - 1;
    for (const std::string& part : hashParts) {
        if (part.size() != L)
            throw FormatError("reference candidate '" + part + "' is not a 32-character hash part");
        for (size_t i = keyHash(part.data()) & mask_;; i = (i + 1) & mask_) {
            Slot& slot = table_[i];
            if (!slot.used) {
                std::memcpy(slot.key.data(), part.data(), L);
                slot.used = true;
                ++remaining_;
                break;
            }
            if (std::memcmp(slot.key.data(), part.data(), L) == 0) break;
        }
    }
}

void RefScanner::onPayload(const NarPlacePtr& place, uint64_t narOffset) {
    marks_.push_back({narOffset, place});
}

void RefScanner::record(std::string_view hashPart, uint64_t narOffset) {
    for (size_t i = keyHash(hashPart.data()) & mask_;; i = (i + 1) & mask_) {
        Slot& slot = table_[i];
        if (!slot.used) return;
        if (std::memcmp(slot.key.data(), hashPart.data(), L) != 0) continue;
        if (slot.seen) return;
        slot.seen = true;
        --remaining_;
        while (!marks_.empty() && marks_.front().narOffset <= narOffset) {
            current_ = std::move(marks_.front());
            marks_.pop_front();
        }
        uint64_t offset = narOffset >= current_.narOffset ? narOffset - current_.narOffset : 0;
        found_.emplace(std::string(hashPart),
                       ReferenceSite{relativePathOf(current_.place), offset});
        return;
    }
}

void RefScanner::scanRange(const char* p, const char* end, uint64_t startOffset) {
    size_t n = static_cast<size_t>(end - p);
    size_t i = 0;
    // Skip-scan: a window can only match if its last byte is a base32 digit, and on
    // binary data most bytes are not, so most windows cost one table lookup.
    while (i + L <= n) {
        if (!isBase32(p[i + L - 1])) {
            i += L;
            continue;
        }
        size_t k = i + L - 1;
        while (k > i && isBase32(p[k - 1]))
            --k;
        if (k > i) {
            i = k;
            continue;
        }
        // [i, i+L) is all digits; extend the run and try every window in it.
        size_t runEnd = i + L;
        while (runEnd < n && isBase32(p[runEnd]))
            ++runEnd;
        for (size_t s = i; s + L <= runEnd; ++s) {
            const char* w = p + s;
            for (size_t slot = keyHash(w) & mask_;; slot = (slot + 1) & mask_) {
                const Slot& entry = table_[slot];
                if (!entry.used) break;
                if (std::memcmp(entry.key.data(), w, L) == 0) {
                    if (!entry.seen) record(std::string_view(w, L), startOffset + s);
                    break;
                }
            }
        }
        i = runEnd + 1;
    }
}

void RefScanner::write(std::string_view data) {
    if (data.empty()) return;
    if (remaining_ > 0) {
        if (!tail_.empty()) {
            // Windows that straddle the previous chunk and this one.
            std::string junction = tail_;
            junction.append(data.substr(0, std::min(data.size(), L - 1)));
            scanRange(junction.data(), junction.data() + junction.size(), offset_ - tail_.size());
        }
        scanRange(data.data(), data.data() + data.size(), offset_);
    }
    if (data.size() >= L - 1) {
        tail_.assign(data.substr(data.size() - (L - 1)));
    } else {
        tail_.append(data);
        if (tail_.size() > L - 1) tail_.erase(0, tail_.size() - (L - 1));
    }
    offset_ += data.size();
    // Marks behind the scan are only needed for hits inside them; keep the latest one.
    while (marks_.size() > 1 && marks_[1].narOffset + L <= offset_) {
        current_ = std::move(marks_.front());
        marks_.pop_front();
    }
}

std::map<std::string, ReferenceSite> scanForReferences(const std::string& path,
                                                       const std::vector<std::string>& hashParts) {
    RefScanner scanner(hashParts);
    NarDumpOptions options;
    options.listener = &scanner;
    dumpPath(path, scanner, options);
    return scanner.found();
}

} // namespace purist
