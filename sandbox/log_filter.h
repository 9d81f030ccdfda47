#pragma once
// Turning a builder's raw output into log lines a terminal shows as they are.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace purist::sandbox {

/// Splits a byte stream into lines and removes terminal control sequences from them:
/// CSI sequences (`ESC [ ... final`, which include stdenv's log nesting markers `ESC [3s`,
/// `ESC [p`, `ESC [q`), OSC/DCS/SOS/PM/APC strings up to their terminator, other escape
/// sequences, C1 controls written as UTF-8 (`C2 80`..`C2 9F`) or as single 8-bit bytes
/// (`0x9b` is CSI, `0x9d` OSC, ...: handled as their ESC forms), and every C0 control except
/// tab. A carriage return is dropped, so `a\rb` becomes `ab` (the log keeps every byte a
/// terminal would show).
///
/// The log is taken to be UTF-8: a byte 0x80..0x9f that continues a well-formed UTF-8
/// character (the `9B` of `C4 9B`, U+011B) is part of that character and kept; one that
/// does not is an 8-bit control and removed. Other bytes that are not UTF-8 pass as they are.
///
/// The filter is a state machine: a sequence split across two feed() calls is removed just
/// as one delivered whole. A newline always ends a line, even inside an unterminated
/// sequence, so a hostile builder cannot swallow the rest of its log. No line is longer
/// than `maxLineLength` bytes, whatever its bytes, so memory stays bounded by it: a line is
/// split before a UTF-8 character that would cross the limit (when the line holds more than
/// that character), else at the limit. Not thread-safe.
class LogFilter {
public:
    /// `onLine` receives each line without its newline; it must not call back into the filter.
    explicit LogFilter(std::function<void(std::string_view line)> onLine,
                       size_t maxLineLength = 64 * 1024);

    /// Consumes raw bytes; calls `onLine` for every line they complete.
    void feed(std::string_view bytes);
    /// Emits the last line if it was not terminated by a newline.
    void finish();

private:
    enum class State {
        Text,            ///< ordinary bytes
        C2Lead,          ///< saw 0xC2, which may start a UTF-8 encoded C1 control
        Escape,          ///< saw ESC
        EscIntermediate, ///< ESC followed by intermediate bytes (e.g. `ESC ( B`)
        Csi,             ///< inside `ESC [` parameters
        String,          ///< inside an OSC/DCS/SOS/PM/APC string
        StringEscape,    ///< saw ESC inside a string: `ESC \` ends it
        StringC2Lead,    ///< saw 0xC2 inside a string: `0xC2 0x9C` ends it
    };

    void consume(unsigned char byte);
    void text(unsigned char byte);
    void control(unsigned char c1);
    void keep(unsigned char byte);
    void keepLead(unsigned char lead, int continuations, unsigned char low, unsigned char high);
    void emitLine();

    std::function<void(std::string_view)> onLine_;
    size_t maxLineLength_;
    State state_ = State::Text;
    std::string line_;
    // The UTF-8 character being read: how many continuation bytes it still needs, the range
    // the next one must fall in, and where its lead byte is in line_.
    int utf8Needed_ = 0;
    unsigned char utf8Low_ = 0x80, utf8High_ = 0xbf;
    size_t utf8Start_ = 0;
};

} // namespace purist::sandbox
