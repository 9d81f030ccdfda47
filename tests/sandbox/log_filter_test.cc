#include "sandbox/log_filter.h"

#include <gtest/gtest.h>

#include <algorithm>
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
    // 8-bit C1 controls: one byte each, obeyed by terminals with 8-bit controls enabled.
    {"8-bit CSI and its parameters",
     "\x9b"
     "1;31mred\x9b"
     "0m\n",
     {"red"}},
    {"8-bit CSI clearing the screen",
     "\x9b"
     "2J\x9b"
     "Hx\n",
     {"x"}},
    {"8-bit OSC ended by BEL",
     "\x9d"
     "0;title\x07ok\n",
     {"ok"}},
    {"8-bit DCS ended by ESC backslash", "\x90qpayload\x1b\\after\n", {"after"}},
    {"8-bit other C1 control dropped",
     "a\x85"
     "b\x8d"
     "c\n",
     {"abc"}},
    {"unterminated 8-bit CSI ends at newline",
     "\x9b"
     "12\nnext\n",
     {"", "next"}},
    // A 0x9b that continues a UTF-8 character is that character, not a control.
    {"9B inside a two-byte character", "\xc4\x9b\n", {"\xc4\x9b"}},
    {"9B inside a three-byte character", "\xe2\x9b\x84!\n", {"\xe2\x9b\x84!"}},
    {"9B after a finished character is a control",
     "\xc4\x9b\x9b"
     "2Jx\n",
     {"\xc4\x9bx"}},
    {"9B after an overlong lead is a control",
     "\xe0\x9b"
     "1mx\n",
     {"\xe0x"}},
    {"9B after a lead cut by a sequence is a control",
     "\xc4\x1b[m\x9b"
     "1mx\n",
     {"\xc4x"}},
    {"lone continuation bytes above the C1 range kept", "\xa9\xbf\n", {"\xa9\xbf"}},
};

// Feeds `input` whole or one byte at a time, then finishes.
void feedAll(LogFilter& filter, const std::string& input, bool byteByByte) {
    if (byteByByte) {
        for (char c : input)
            filter.feed(std::string_view(&c, 1));
    } else {
        filter.feed(input);
    }
    filter.finish();
}

Lines filterAll(const std::string& input, bool byteByByte) {
    Lines lines;
    LogFilter filter([&](std::string_view line) { lines.emplace_back(line); });
    feedAll(filter, input, byteByByte);
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

// Issue 10: with a limit of 4, `abc C2 A9` made a 5-byte line, and a run of C2 bytes was
// never split at all (256 MiB of them took purist to 1 GiB). The limit holds whatever the
// bytes; a character that would cross it starts the next line.
// Inputs fuzz_log_filter found (tests/fuzz): a lead byte cut off by a control sequence or
// a feed boundary left a line one character over a limit smaller than the character.
TEST(LogFilterTest, FuzzFoundLinesOverTheLimitStayWithinIt) {
    struct Case {
        size_t limit;
        size_t split; ///< where the log is cut into two feed() calls
        std::string log;
    } cases[] = {
        {1, 16,
         std::string("\x09tab\x1bP dcs \x1b\\BBBB\x04\x03"
                     "abc=\xa9"
                     "d enzzzzzzzef\xc2zzz")},
        {5, 3,
         std::string("abc\xde"
                     "e\xa9\xde"
                     "e\xa9\xc2"
                     "d\x7f(\0\0\0\x7f\x7f\x7f\x7f\x7f\x7f\x7f"
                     "\x7f\x7f"
                     "f\x17\xc2\x9b=31mc\xc2\x9c"
                     "do",
                     38)}, // every byte of the literal; 40 read past its end (ASan)
    };
    for (const Case& c : cases) {
        SCOPED_TRACE("limit " + std::to_string(c.limit));
        size_t longest = 0;
        LogFilter filter([&](std::string_view line) { longest = std::max(longest, line.size()); },
                         c.limit);
        filter.feed(std::string_view(c.log).substr(0, c.split));
        filter.feed(std::string_view(c.log).substr(c.split));
        filter.finish();
        EXPECT_LE(longest, c.limit);
    }
}

TEST(LogFilterTest, NoLineIsLongerThanTheLimitWhateverItsBytes) {
    Lines lines;
    LogFilter filter([&](std::string_view line) { lines.emplace_back(line); }, 4);
    filter.feed("abc\xc2\xa9");
    filter.finish();
    EXPECT_EQ(lines, (Lines{"abc", "\xc2\xa9"}));

    const std::string hostile[] = {
        std::string(1000, '\xc2'),
        "abc\xc2\xa9\xc2\xa9\xc2\xa9\xe2\x9c\x93\xf0\x9f\x98\x80xyz",
        std::string(999, '\xe2'),
        std::string(997, '\xf0'),
        "\xc2\xc2\xa9\xc2\xc2\x41\xc2\xc3\xa9\xe2\x9c\xc2\xf0\x9f\x98\xc2\xc2",
    };
    for (size_t limit = 1; limit <= 9; ++limit) {
        for (const std::string& input : hostile) {
            for (bool byteByByte : {false, true}) {
                SCOPED_TRACE("limit " + std::to_string(limit));
                size_t total = 0;
                size_t longest = 0;
                LogFilter bounded(
                    [&](std::string_view line) {
                        total += line.size();
                        longest = std::max(longest, line.size());
                    },
                    limit);
                feedAll(bounded, input, byteByByte);
                EXPECT_LE(longest, limit);
                EXPECT_EQ(total, input.size()) << "no byte of these inputs is a control";
            }
        }
    }
}

TEST(LogFilterTest, ARunOfC2BytesIsSplitAtTheLimit) {
    size_t lines = 0, total = 0, longest = 0;
    LogFilter filter(
        [&](std::string_view line) {
            ++lines;
            total += line.size();
            longest = std::max(longest, line.size());
        },
        64 * 1024);
    std::string run(1 << 20, '\xc2');
    for (int i = 0; i < 4; ++i)
        filter.feed(run);
    // Each C2 may start a character, which the next line takes whole: 65,535 bytes a line.
    EXPECT_EQ(lines, 64u) << "4 MiB at 64 KiB a line, before finish()";
    filter.finish();
    EXPECT_EQ(longest, 64u * 1024 - 1);
    EXPECT_EQ(total, 4u << 20);
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
