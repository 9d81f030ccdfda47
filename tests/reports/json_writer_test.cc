// Tests for reports/json_writer.cc: string escaping as a table, layout, and that what it
// writes parses back to the same values.

#include "reports/json_writer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace purist::reports {
namespace {

TEST(JsonWriterTest, EscapesStrings) {
    const std::pair<std::string, std::string> table[] = {
        {"", "\"\""},
        {"plain /nix/store/abc-x", "\"plain /nix/store/abc-x\""},
        {"quote \" backslash \\", "\"quote \\\" backslash \\\\\""},
        {"\n\r\t\b\f", "\"\\n\\r\\t\\b\\f\""},
        {std::string("nul \0 esc \x1b del \x7f", 17), "\"nul \\u0000 esc \\u001b del \x7f\""},
        {"caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x93\xa6",
         "\"caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x93\xa6\""},
        {"bad \xff\xfe end", "\"bad \xef\xbf\xbd\xef\xbf\xbd end\""},
        {"truncated \xe2\x86", "\"truncated \xef\xbf\xbd\xef\xbf\xbd\""},
        {"overlong \xc0\xaf", "\"overlong \xef\xbf\xbd\xef\xbf\xbd\""},
        {"surrogate \xed\xa0\x80", "\"surrogate \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},
    };
    for (const auto& [input, expected] : table) {
        std::string out;
        appendJsonString(out, input);
        EXPECT_EQ(out, expected) << input;
        EXPECT_TRUE(nlohmann::json::accept(out)) << out;
    }
}

TEST(JsonWriterTest, LaysOutNestedValuesLikeADump) {
    std::string out;
    JsonWriter json(out);
    json.beginObject();
    json.member("name", "purist");
    json.key("count");
    json.number(42);
    json.key("negative");
    json.number(-7);
    json.key("big");
    json.number(uint64_t{18446744073709551615u});
    json.key("flags");
    json.beginArray();
    json.boolean(true);
    json.boolean(false);
    json.null();
    json.endArray();
    json.key("emptyObject");
    json.beginObject();
    json.endObject();
    json.key("emptyArray");
    json.beginArray();
    json.endArray();
    json.key("nested");
    json.beginArray();
    json.beginObject();
    json.member("a", "b");
    json.endObject();
    json.endArray();
    json.endObject();

    nlohmann::ordered_json expected = {
        {"name", "purist"},
        {"count", 42},
        {"negative", -7},
        {"big", 18446744073709551615u},
        {"flags", {true, false, nullptr}},
        {"emptyObject", nlohmann::ordered_json::object()},
        {"emptyArray", nlohmann::ordered_json::array()},
        {"nested", {{{"a", "b"}}}},
    };
    EXPECT_EQ(out, expected.dump(2));
    EXPECT_EQ(nlohmann::ordered_json::parse(out), expected);
}

TEST(JsonWriterTest, TopLevelScalarsAndArrays) {
    std::string out;
    JsonWriter(out).string("x");
    EXPECT_EQ(out, "\"x\"");
    out.clear();
    JsonWriter array(out);
    array.beginArray();
    array.number(1);
    array.number(2);
    array.endArray();
    EXPECT_EQ(out, "[\n  1,\n  2\n]");
}

} // namespace
} // namespace purist::reports
