#pragma once
// A streaming JSON writer for the JSON and SARIF reporters: appends pretty-printed JSON
// (2-space indent) straight to a string, with no document tree in between, so 10,000
// findings render in milliseconds rather than the most of a second a DOM takes.
// Internal to reports/.

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace purist::reports {

/// Writes one JSON value to `out`. Calls must nest properly (every begin has its end; a
/// key only directly inside an object, followed by exactly one value); a misuse is a
/// programming error, checked by assertions only. Not thread-safe.
class JsonWriter {
public:
    /// Appends to `out`, which must outlive the writer.
    explicit JsonWriter(std::string& out) : out_(out) {}

    void beginObject();
    void endObject();
    void beginArray();
    void endArray();
    /// The next member's name; the next call writes its value.
    void key(std::string_view name);

    /// A string. Bytes that are not well-formed UTF-8 are written as U+FFFD; control
    /// characters, '"' and '\' are escaped.
    void string(std::string_view text);
    /// An integer (bool is not one: use boolean()).
    void number(std::integral auto value) requires(!std::same_as<decltype(value), bool>) {
        beforeValue();
        out_ += std::to_string(value);
    }
    /// true or false.
    void boolean(bool value);
    /// null.
    void null();

    /// key() then string(): the common case.
    void member(std::string_view name, std::string_view text) {
        key(name);
        string(text);
    }

private:
    struct Level {
        bool object;
        bool empty = true;
    };

    void beforeValue();
    void newline();
    void begin(bool object);
    void end(bool object);

    std::string& out_;
    std::vector<Level> stack_;
    bool afterKey_ = false;
};

/// Appends `text` as a quoted JSON string (see JsonWriter::string).
void appendJsonString(std::string& out, std::string_view text);

} // namespace purist::reports
