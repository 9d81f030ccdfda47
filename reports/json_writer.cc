#include "reports/json_writer.h"

#include "reports/escaping.h"

#include <cassert>

namespace purist::reports {

void appendJsonString(std::string& out, std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    size_t i = 0;
    while (i < text.size()) {
        auto byte = static_cast<unsigned char>(text[i]);
        if (byte >= 0x20 && byte < 0x80 && byte != '"' && byte != '\\') {
            // Runs of plain ASCII are the bulk of every report: copy them in one go.
            size_t end = i + 1;
            while (end < text.size()) {
                auto next = static_cast<unsigned char>(text[end]);
                if (next < 0x20 || next >= 0x80 || next == '"' || next == '\\') break;
                ++end;
            }
            out.append(text.substr(i, end - i));
            i = end;
            continue;
        }
        switch (byte) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\b':
            out += "\\b";
            break;
        case '\f':
            out += "\\f";
            break;
        default:
            if (byte < 0x20) {
                out += "\\u00";
                out += hex[byte >> 4];
                out += hex[byte & 0xf];
            } else {
                size_t length = utf8SequenceLength(text, i);
                if (length == 0) {
                    out += "\xef\xbf\xbd";
                } else {
                    out.append(text.substr(i, length));
                    i += length;
                    continue;
                }
            }
        }
        ++i;
    }
    out += '"';
}

void JsonWriter::newline() {
    out_ += '\n';
    out_.append(2 * stack_.size(), ' ');
}

void JsonWriter::beforeValue() {
    if (afterKey_) {
        afterKey_ = false;
        return;
    }
    if (stack_.empty()) return;
    Level& level = stack_.back();
    assert(!level.object && "a value inside an object needs a key first");
    if (!level.empty) out_ += ',';
    level.empty = false;
    newline();
}

void JsonWriter::begin(bool object) {
    beforeValue();
    out_ += object ? '{' : '[';
    stack_.push_back({object});
}

void JsonWriter::end(bool object) {
    assert(!stack_.empty() && stack_.back().object == object && !afterKey_);
    bool empty = stack_.back().empty;
    stack_.pop_back();
    if (!empty) newline();
    out_ += object ? '}' : ']';
}

void JsonWriter::beginObject() {
    begin(true);
}
void JsonWriter::endObject() {
    end(true);
}
void JsonWriter::beginArray() {
    begin(false);
}
void JsonWriter::endArray() {
    end(false);
}

void JsonWriter::key(std::string_view name) {
    assert(!stack_.empty() && stack_.back().object && !afterKey_);
    Level& level = stack_.back();
    if (!level.empty) out_ += ',';
    level.empty = false;
    newline();
    appendJsonString(out_, name);
    out_ += ": ";
    afterKey_ = true;
}

void JsonWriter::string(std::string_view text) {
    beforeValue();
    appendJsonString(out_, text);
}

void JsonWriter::boolean(bool value) {
    beforeValue();
    out_ += value ? "true" : "false";
}

void JsonWriter::null() {
    beforeValue();
    out_ += "null";
}

} // namespace purist::reports
