#include "base/byte_size.h"

#include <array>

namespace purist {

namespace {

struct Unit {
    std::string_view name;
    uint64_t factor;
};

constexpr uint64_t kKi = 1024, kK = 1000;
constexpr std::array<Unit, 15> kUnits = {{
    {"", 1},
    {"B", 1},
    {"K", kKi},
    {"KiB", kKi},
    {"M", kKi* kKi},
    {"MiB", kKi* kKi},
    {"G", kKi* kKi* kKi},
    {"GiB", kKi* kKi* kKi},
    {"T", kKi* kKi* kKi* kKi},
    {"TiB", kKi* kKi* kKi* kKi},
    {"kB", kK},
    {"KB", kK},
    {"MB", kK* kK},
    {"GB", kK* kK* kK},
    {"TB", kK* kK* kK* kK},
}};

constexpr std::string_view kUnitList = "B, K or KiB, M or MiB, G or GiB, T or TiB (powers of "
                                       "1024), kB, MB, GB or TB (powers of 1000)";

const Unit* findUnit(std::string_view name) {
    if (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    for (const Unit& unit : kUnits)
        if (unit.name == name) return &unit;
    return nullptr;
}

// Reads the decimal digits at `text[at...]` into `value`; false on overflow.
bool readDigits(std::string_view text, size_t& at, uint64_t& value, size_t& count) {
    value = 0;
    count = 0;
    for (; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at, ++count) {
        uint64_t digit = static_cast<uint64_t>(text[at] - '0');
        if (value > (UINT64_MAX - digit) / 10) return false;
        value = value * 10 + digit;
    }
    return true;
}

} // namespace

std::optional<uint64_t> parseByteSize(std::string_view text, std::string& error) {
    const std::string quoted = "size '" + std::string(text) + "'";
    size_t at = 0, digits = 0;
    uint64_t value = 0;
    if (!readDigits(text, at, value, digits)) {
        error = quoted + " is too large";
        return std::nullopt;
    }
    if (digits == 0) {
        error =
            quoted + " must be a byte count or a whole count and a unit: " + std::string(kUnitList);
        return std::nullopt;
    }
    if (at < text.size() && (text[at] == '.' || text[at] == ',')) {
        // `1.5GiB`: say what to write instead, when a smaller unit makes it whole.
        size_t fractionAt = at + 1, fractionDigits = 0;
        uint64_t fraction = 0;
        bool fits = readDigits(text, fractionAt, fraction, fractionDigits);
        std::string_view unitText = text.substr(fractionAt);
        const Unit* unit = findUnit(unitText);
        error = quoted + ": fractions are refused; write a whole number of a smaller unit";
        // The next smaller unit of the same family, and how many of it make one.
        static constexpr std::array<std::array<std::string_view, 2>, 13> kSmaller = {{
            {"K", "B"},
            {"KiB", "B"},
            {"M", "K"},
            {"MiB", "KiB"},
            {"G", "M"},
            {"GiB", "MiB"},
            {"T", "G"},
            {"TiB", "GiB"},
            {"kB", "B"},
            {"KB", "B"},
            {"MB", "kB"},
            {"GB", "MB"},
            {"TB", "GB"},
        }};
        std::string_view name = unitText.starts_with(' ') ? unitText.substr(1) : unitText;
        for (const auto& [larger, smallerName] : kSmaller) {
            if (!fits || !unit || larger != name || fractionDigits == 0 || fractionDigits > 9)
                continue;
            uint64_t ratio = unit->factor / findUnit(smallerName)->factor;
            uint64_t scale = 1;
            for (size_t i = 0; i < fractionDigits; ++i)
                scale *= 10;
            if ((fraction * ratio) % scale != 0 || value > UINT64_MAX / ratio / 2) continue;
            error += " (" + std::to_string(value * ratio + fraction * ratio / scale) +
                     std::string(smallerName) + ")";
        }
        return std::nullopt;
    }
    std::string_view unitText = text.substr(at);
    const Unit* unit = findUnit(unitText);
    if (!unit) {
        if (unitText.starts_with(' ')) unitText.remove_prefix(1);
        error = quoted + ": unknown unit '" + std::string(unitText) + "'; use " +
                std::string(kUnitList);
        return std::nullopt;
    }
    if (value > UINT64_MAX / unit->factor) {
        error = quoted + " is too large";
        return std::nullopt;
    }
    return value * unit->factor;
}

} // namespace purist
