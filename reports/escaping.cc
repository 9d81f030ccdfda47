#include "reports/escaping.h"

#include <cstdio>

namespace purist::reports {

size_t utf8SequenceLength(std::string_view text, size_t at) {
    auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
    unsigned char lead = byte(at);
    if (lead < 0x80) return 1;
    size_t length;
    unsigned char low = 0x80, high = 0xbf; // bounds of the second byte
    if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3;
        if (lead == 0xe0) low = 0xa0;  // overlong
        if (lead == 0xed) high = 0x9f; // surrogates
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4;
        if (lead == 0xf0) low = 0x90;  // overlong
        if (lead == 0xf4) high = 0x8f; // past U+10FFFF
    } else {
        return 0;
    }
    if (at + length > text.size()) return 0;
    if (byte(at + 1) < low || byte(at + 1) > high) return 0;
    for (size_t i = 2; i < length; ++i)
        if (byte(at + i) < 0x80 || byte(at + i) > 0xbf) return 0;
    return length;
}

void appendMarkupEscaped(std::string& out, std::string_view text) {
    static constexpr std::string_view replacement = "\xef\xbf\xbd";
    size_t i = 0;
    while (i < text.size()) {
        char c = text[i];
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&#39;";
            break;
        case '\t':
        case '\n':
        case '\r':
            out += c;
            break;
        default: {
            auto byte = static_cast<unsigned char>(c);
            if (byte < 0x20 || byte == 0x7f) {
                out += replacement;
                break;
            }
            size_t length = utf8SequenceLength(text, i);
            // U+FFFE and U+FFFF are not XML characters either.
            bool nonCharacter = length == 3 && byte == 0xef && text[i + 1] == '\xbf' &&
                                (text[i + 2] == '\xbe' || text[i + 2] == '\xbf');
            if (length == 0) {
                out += replacement;
                break;
            }
            if (nonCharacter)
                out += replacement;
            else
                out.append(text.substr(i, length));
            i += length;
            continue;
        }
        }
        ++i;
    }
}

std::string markupEscaped(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    appendMarkupEscaped(out, text);
    return out;
}

void appendTerminalSafe(std::string& out, std::string_view text) {
    auto appendByte = [&out](unsigned char byte) {
        char escaped[5];
        std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
        out += escaped;
    };
    size_t i = 0;
    while (i < text.size()) {
        auto byte = static_cast<unsigned char>(text[i]);
        size_t length = utf8SequenceLength(text, i);
        bool c1 = length == 2 && byte == 0xc2 && static_cast<unsigned char>(text[i + 1]) < 0xa0;
        if (length == 0 || byte < 0x20 || byte == 0x7f || c1) {
            appendByte(byte);
            ++i;
            if (c1) appendByte(static_cast<unsigned char>(text[i++]));
            continue;
        }
        out.append(text.substr(i, length));
        i += length;
    }
}

} // namespace purist::reports
