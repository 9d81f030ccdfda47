#include "sandbox/log_filter.h"

#include <utility>

namespace purist::sandbox {
namespace {

constexpr unsigned char kEsc = 0x1b;
constexpr unsigned char kBel = 0x07;
constexpr unsigned char kUtf8C1Lead = 0xc2; // U+0080..U+009F are encoded as C2 80..C2 9F

bool isC1(unsigned char byte) {
    return byte >= 0x80 && byte <= 0x9f;
}

// C1 controls (and their ESC forms) that open a string running up to ST or BEL.
bool opensString(unsigned char c1) {
    return c1 == 0x90 /*DCS*/ || c1 == 0x98 /*SOS*/ || c1 == 0x9d /*OSC*/ || c1 == 0x9e /*PM*/ ||
           c1 == 0x9f /*APC*/;
}

} // namespace

LogFilter::LogFilter(std::function<void(std::string_view)> onLine, size_t maxLineLength)
    : onLine_(std::move(onLine)), maxLineLength_(maxLineLength == 0 ? 1 : maxLineLength) {}

void LogFilter::feed(std::string_view bytes) {
    for (char c : bytes)
        consume(static_cast<unsigned char>(c));
}

void LogFilter::finish() {
    if (state_ == State::C2Lead) keep(kUtf8C1Lead);
    state_ = State::Text;
    utf8Needed_ = 0;
    if (!line_.empty()) emitLine();
}

void LogFilter::emitLine() {
    onLine_(line_);
    line_.clear();
}

// Every byte that reaches the log goes through here, so no line outgrows the limit: a
// builder that never writes a newline costs at most maxLineLength_ bytes of memory.
void LogFilter::keep(unsigned char byte) {
    line_.push_back(static_cast<char>(byte));
    if (line_.size() < maxLineLength_) return;
    if (utf8Needed_ > 0 && utf8Start_ > 0) {
        // An unfinished character moves to the next line whole, so neither line holds a
        // torn one; its continuation bytes then still count as text there.
        std::string rest = line_.substr(utf8Start_);
        line_.resize(utf8Start_);
        emitLine();
        line_ = std::move(rest);
        utf8Start_ = 0;
        return;
    }
    emitLine();
    utf8Start_ = 0;
}

void LogFilter::keepLead(unsigned char lead, int continuations, unsigned char low,
                         unsigned char high) {
    utf8Needed_ = continuations;
    utf8Low_ = low;
    utf8High_ = high;
    utf8Start_ = line_.size();
    keep(lead);
}

// A C1 control, as one 8-bit byte or written as UTF-8: some terminals obey either, so each
// is treated like its ESC form (0x9b is `ESC [`, 0x9d `ESC ]`, ...).
void LogFilter::control(unsigned char c1) {
    state_ = c1 == 0x9b ? State::Csi : opensString(c1) ? State::String : State::Text;
}

void LogFilter::text(unsigned char byte) {
    if (utf8Needed_ > 0) {
        if (byte >= utf8Low_ && byte <= utf8High_) {
            --utf8Needed_;
            utf8Low_ = 0x80;
            utf8High_ = 0xbf;
            keep(byte);
            return;
        }
        utf8Needed_ = 0; // malformed: the byte stands on its own
    }
    if (byte == '\n') {
        emitLine();
    } else if (byte == kEsc) {
        state_ = State::Escape;
    } else if (byte == kUtf8C1Lead) {
        state_ = State::C2Lead;
    } else if (isC1(byte)) {
        control(byte);
    } else if (byte >= 0xc3 && byte <= 0xdf) {
        keepLead(byte, 1, 0x80, 0xbf);
    } else if (byte >= 0xe0 && byte <= 0xef) {
        // The ranges exclude overlong forms and surrogates, as a UTF-8 decoder does, so a
        // C1 byte after an invalid lead is still a control.
        keepLead(byte, 2, byte == 0xe0 ? 0xa0 : 0x80, byte == 0xed ? 0x9f : 0xbf);
    } else if (byte >= 0xf0 && byte <= 0xf4) {
        keepLead(byte, 3, byte == 0xf0 ? 0x90 : 0x80, byte == 0xf4 ? 0x8f : 0xbf);
    } else if ((byte < 0x20 && byte != '\t') || byte == 0x7f) {
        // Other C0 controls (BEL, BS, CR, SO/SI, ...) and DEL move the cursor, switch
        // character sets or ring bells; none of them belongs in a stored log.
    } else {
        keep(byte);
    }
}

void LogFilter::consume(unsigned char byte) {
    // A newline ends any sequence in progress: an unterminated OSC must not hide the log.
    if (byte == '\n' && state_ != State::Text) {
        if (state_ == State::C2Lead) keep(kUtf8C1Lead);
        state_ = State::Text;
    }
    switch (state_) {
    case State::Text:
        text(byte);
        return;
    case State::C2Lead:
        if (isC1(byte)) {
            control(byte);
            return;
        }
        // U+00A0..U+00BF, or a lone C2 when anything else follows.
        state_ = State::Text;
        keepLead(kUtf8C1Lead, 1, 0xa0, 0xbf);
        text(byte);
        return;
    case State::Escape:
        if (byte == '[') {
            state_ = State::Csi;
        } else if (byte == ']' || byte == 'P' || byte == 'X' || byte == '^' || byte == '_') {
            state_ = State::String;
        } else if (byte >= 0x20 && byte <= 0x2f) {
            state_ = State::EscIntermediate;
        } else if (byte == kEsc) {
            state_ = State::Escape;
        } else if (byte >= 0x30 && byte <= 0x7e) {
            state_ = State::Text; // a two-byte sequence such as ESC 7 or ESC c
        } else {
            state_ = State::Text; // not a sequence after all; the byte stands on its own
            text(byte);
        }
        return;
    case State::EscIntermediate:
        if (byte >= 0x20 && byte <= 0x2f) return;
        state_ = State::Text;
        if (byte < 0x30 || byte > 0x7e) text(byte);
        return;
    case State::Csi:
        if (byte >= 0x20 && byte <= 0x3f) return; // parameters and intermediates
        state_ = State::Text;
        if (byte < 0x40 || byte > 0x7e) text(byte); // malformed: keep what follows
        return;
    case State::String:
        if (byte == kBel) {
            state_ = State::Text;
        } else if (byte == kEsc) {
            state_ = State::StringEscape;
        } else if (byte == kUtf8C1Lead) {
            state_ = State::StringC2Lead;
        }
        return;
    case State::StringEscape:
        if (byte == '\\') {
            state_ = State::Text;
        } else {
            // ESC followed by anything else also ends the string and starts a new sequence.
            state_ = State::Escape;
            consume(byte);
        }
        return;
    case State::StringC2Lead:
        state_ = byte == 0x9c ? State::Text : State::String;
        return;
    }
}

} // namespace purist::sandbox
