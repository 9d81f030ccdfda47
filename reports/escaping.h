#pragma once
// Making untrusted strings (store paths, file names inside outputs, excerpts of their
// contents) safe for the markup the reporters write. Internal to reports/.

#include <cstddef>
#include <string>
#include <string_view>

namespace purist::reports {

/// The length (1-4) of the well-formed UTF-8 sequence starting at `text[at]`, or 0 if the
/// bytes there are not one (overlong forms, surrogates and values past U+10FFFF included).
size_t utf8SequenceLength(std::string_view text, size_t at);

/// Appends `text` to `out` escaped for XML 1.0 and HTML, valid in element content and in
/// single- or double-quoted attribute values: & < > " ' as character references; bytes
/// that are not well-formed UTF-8 and characters XML 1.0 forbids (C0 controls other than
/// tab, newline and carriage return) as U+FFFD.
void appendMarkupEscaped(std::string& out, std::string_view text);

/// Appends `text` to `out` safe to print on a terminal or a CI log viewer: C0 controls
/// (newline and tab included), DEL, C1 controls (as U+0080..U+009F) and bytes that are not
/// well-formed UTF-8 as `\xNN`, so no escape sequence, line break or stray byte a builder
/// put in a path or message reaches the reader's terminal.
void appendTerminalSafe(std::string& out, std::string_view text);

/// appendMarkupEscaped into a new string.
std::string markupEscaped(std::string_view text);

} // namespace purist::reports
