// Tests for reports/escaping.cc: UTF-8 sequence validation and markup escaping, as tables.

#include "reports/escaping.h"

#include <gtest/gtest.h>

namespace purist::reports {
namespace {

TEST(EscapingTest, Utf8SequenceLength) {
    const std::pair<std::string, size_t> table[] = {
        {"a", 1},
        {"\xc3\xa9", 2},         // é
        {"\xe2\x86\x92", 3},     // →
        {"\xf0\x9f\x93\xa6", 4}, // U+1F4E6
        {"\xf4\x8f\xbf\xbf", 4}, // U+10FFFF
        {"\x80", 0},             // continuation byte alone
        {"\xc0\xaf", 0},         // overlong '/'
        {"\xc1\xbf", 0},         // overlong
        {"\xe0\x80\xaf", 0},     // overlong
        {"\xed\xa0\x80", 0},     // surrogate U+D800
        {"\xf0\x80\x80\xaf", 0}, // overlong
        {"\xf4\x90\x80\x80", 0}, // past U+10FFFF
        {"\xf5\x80\x80\x80", 0}, // invalid lead
        {"\xff", 0},
        {"\xe2\x86", 0}, // truncated
        {"\xe2\x41\x92", 0},
    };
    for (const auto& [input, expected] : table)
        EXPECT_EQ(utf8SequenceLength(input, 0), expected) << testing::PrintToString(input);
}

TEST(EscapingTest, MarkupEscaped) {
    const std::pair<std::string, std::string> table[] = {
        {"", ""},
        {"/nix/store/abc-hello", "/nix/store/abc-hello"},
        {"<script>&\"'>", "&lt;script&gt;&amp;&quot;&#39;&gt;"},
        {"tab\tnl\ncr\r", "tab\tnl\ncr\r"},
        {std::string("nul\0", 4), "nul\xef\xbf\xbd"},
        {"esc\x1b[2J bell\x07 del\x7f", "esc\xef\xbf\xbd[2J bell\xef\xbf\xbd del\xef\xbf\xbd"},
        {"caf\xc3\xa9", "caf\xc3\xa9"},
        {"bad\xff", "bad\xef\xbf\xbd"},
        {"nonchar\xef\xbf\xbe!", "nonchar\xef\xbf\xbd!"},
        {"]]>", "]]&gt;"},
    };
    for (const auto& [input, expected] : table)
        EXPECT_EQ(markupEscaped(input), expected) << testing::PrintToString(input);
}

} // namespace
} // namespace purist::reports
