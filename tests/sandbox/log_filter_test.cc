#include "sandbox/log_filter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace purist::sandbox {
namespace {

using Lines = std::vector<std::string>;

struct FilterCase {
    const char* name;
    std::string input;
    Lines expected;
};

// Escape sequences as stdenv, compilers, test runners and hostile builders write them.
const FilterCase kCases[] = {
    {"plain lines", "hello\nworld\n", {"hello", "world"}},
    {"last line without newline", "a\nb", {"a", "b"}},
    {"empty lines kept", "\n\nx\n", {"", "", "x"}},
    {"stdenv nesting markers",
     "\x1b[3sunpacking sources\x1b[q\n\x1b[p\n",
     {"unpacking sources", ""}},
    {"colour", "\x1b[1;31merror\x1b[0m: x\n", {"error: x"}},
    {"private CSI (hide cursor)", "\x1b[?25lbusy\x1b[?25h\n", {"busy"}},
    {"OSC title ended by BEL", "\x1b]0;title\x07ok\n", {"ok"}},
    {"OSC hyperlink ended by ST", "\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\\n", {"link"}},
    {"unterminated OSC ends at newline", "\x1b]0;evil\nnext\n", {"", "next"}},
    {"DCS string", "\x1bPqpayload\x1b\\after\n", {"after"}},
    {"APC string", "\x1b_hidden\x1b\\shown\n", {"shown"}},
    {"charset selection", "\x1b(Babc\n", {"abc"}},
    {"save and restore cursor",
     "\x1b"
     "7x\x1b"
     "8\n",
     {"x"}},
    {"C0 controls dropped",
     std::string("a\bb\rc\x07"
                 "d\0e\n",
                 10),
     {"abcde"}},
    {"tab kept", "a\tb\n", {"a\tb"}},
    {"DEL dropped",
     "a\x7f"
     "b\n",
     {"ab"}},
    {"CRLF", "line\r\n", {"line"}},
    {"UTF-8 kept",
     "gr\xc3\xbc\xc3\x9f"
     "e \xe2\x9c\x93\n",
     {"gr\xc3\xbc\xc3\x9f"
      "e \xe2\x9c\x93"}},
    {"UTF-8 C1 CSI",
     "\xc2\x9b"
     "31mred\n",
     {"red"}},
    {"UTF-8 C1 OSC ended by UTF-8 ST", "\xc2\x9dtitle\xc2\x9cok\n", {"ok"}},
    {"UTF-8 C1 other control dropped",
     "a\xc2\x85"
     "b\n",
     {"ab"}},
    {"C2 that is not a C1 control", "\xc2\xa9 2024\n", {"\xc2\xa9 2024"}},
    {"C2 at end of input", "x\xc2", {"x\xc2"}},
    {"malformed CSI keeps what follows", "\x1b[12\x01x\n", {"x"}},
    {"ESC before newline", "a\x1b\nb\n", {"a", "b"}},
    {"ESC ESC", "\x1b\x1b[31mz\n", {"z"}},
};

Lines filterAll(const std::string& input, bool byteByByte) {
    Lines lines;
    LogFilter filter([&](std::string_view line) { lines.emplace_back(line); });
    if (byteByByte) {
        for (char c : input)
            filter.feed(std::string_view(&c, 1));
    } else {
        filter.feed(input);
    }
    filter.finish();
    return lines;
}

TEST(LogFilterTest, RemovesControlSequences) {
    for (const auto& c : kCases) {
        EXPECT_EQ(filterAll(c.input, false), c.expected) << c.name;
    }
}

TEST(LogFilterTest, SequencesSplitAcrossReadsAreRemovedTheSame) {
    for (const auto& c : kCases) {
        EXPECT_EQ(filterAll(c.input, true), c.expected) << c.name;
    }
}

TEST(LogFilterTest, SplitsOverlongLines) {
    Lines lines;
    LogFilter filter([&](std::string_view line) { lines.emplace_back(line); }, 4);
    filter.feed("abcdefghij\nxy\n");
    filter.finish();
    EXPECT_EQ(lines, (Lines{"abcd", "efgh", "ij", "xy"}));
}

TEST(LogFilterTest, FinishWithNothingPendingEmitsNothing) {
    Lines lines;
    LogFilter filter([&](std::string_view line) { lines.emplace_back(line); });
    filter.feed("done\n");
    filter.finish();
    filter.finish();
    EXPECT_EQ(lines, (Lines{"done"}));
}

} // namespace
} // namespace purist::sandbox
