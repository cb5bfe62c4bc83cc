#include "core/json.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include <boost/json.hpp>

namespace billhook::core {
namespace {

std::string nested_arrays(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// Asserts an invalid_request error with `code` whose message contains `fragment`.
::testing::AssertionResult fails_with(const Result<boost::json::value>& result, std::string_view code,
                                      std::string_view fragment) {
  if (result.ok()) return ::testing::AssertionFailure() << "parsed: " << boost::json::serialize(result.value());
  const Error& e = result.error();
  if (e.kind != ErrorKind::invalid_request || e.code != code || e.message.find(fragment) == std::string::npos)
    return ::testing::AssertionFailure() << "got code '" << e.code << "' message '" << e.message << "'; wanted code '"
                                         << code << "' and message containing '" << fragment << "'";
  return ::testing::AssertionSuccess();
}

TEST(ParseJson, ParsesAValidDocument) {
  auto v = parse_json(R"({"a": [1, 2.5, "x\u00e9", true, null], "b": {"c": -3}})");
  ASSERT_TRUE(v.ok()) << v.error().message;
  const auto& o = v->as_object();
  EXPECT_EQ(o.at("a").as_array().size(), 5u);
  EXPECT_EQ(o.at("a").as_array()[0].as_int64(), 1);
  EXPECT_DOUBLE_EQ(o.at("a").as_array()[1].as_double(), 2.5);
  EXPECT_EQ(o.at("a").as_array()[2].as_string(), "x\xC3\xA9");
  EXPECT_EQ(o.at("b").as_object().at("c").as_int64(), -3);
}

TEST(ParseJson, ParsesScalarsAndValidMultibyteUtf8) {
  EXPECT_TRUE(parse_json("42").ok());
  EXPECT_TRUE(parse_json("\"\xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF\"").ok());  // €, 😀, U+10FFFF
  EXPECT_TRUE(parse_json("  {}  \n").ok());
}

TEST(ParseJson, InvalidUtf8OverlongWithOffset) {
  EXPECT_TRUE(fails_with(parse_json("{\"a\":\"\xC0\xAF\"}"), "invalid_utf8", "offset 6"));
  EXPECT_TRUE(fails_with(parse_json("\"\xE0\x80\xAF\""), "invalid_utf8", "offset 1"));
  EXPECT_TRUE(fails_with(parse_json("\"\xF0\x80\x80\xAF\""), "invalid_utf8", "offset 1"));
}

// The check skips ASCII eight bytes at a time: a bad byte, or a sequence cut short, is found at
// whatever offset it sits, before, inside or after a run of ASCII, and valid text around it is passed.
TEST(FindInvalidUtf8, FindsTheFirstBadByteAtEveryOffsetAroundAsciiRuns) {
  for (size_t at = 0; at < 40; ++at) {
    for (std::string_view bad : {"\xFF", "\xC0\xAF", "\xED\xA0\x80", "\xE2\x82"}) {
      std::string text(at, 'a');
      text += bad;
      EXPECT_EQ(find_invalid_utf8(text), at) << "bad bytes at " << at << ", at the end";
      text += std::string(1 + at % 11, 'b');
      EXPECT_EQ(find_invalid_utf8(text), at) << "bad bytes at " << at << ", ASCII after them";
    }
    std::string valid(at, 'a');
    valid += "\xE2\x82\xAC\xF0\x9F\x98\x80";  // € and 😀 between ASCII runs
    valid += std::string(at % 13, 'z');
    EXPECT_EQ(find_invalid_utf8(valid), std::string_view::npos) << "valid text after a run of " << at;
  }
}

TEST(ParseJson, InvalidUtf8SurrogateWithOffset) {
  EXPECT_TRUE(fails_with(parse_json("[\"ok\", \"\xED\xA0\x80\"]"), "invalid_utf8", "offset 8"));
  EXPECT_TRUE(fails_with(parse_json("\"\xED\xBF\xBF\""), "invalid_utf8", "offset 1"));
}

TEST(ParseJson, InvalidUtf8TruncatedSequenceWithOffset) {
  EXPECT_TRUE(fails_with(parse_json("\"ab\xE2\x82\""), "invalid_utf8", "offset 3"));
  EXPECT_TRUE(fails_with(parse_json("\"ab\xF0\x9F\x98"), "invalid_utf8", "offset 3"));
  EXPECT_TRUE(fails_with(parse_json("\"\x80\""), "invalid_utf8", "offset 1"));  // a lone continuation byte
}

TEST(ParseJson, InvalidUtf8AboveU10FFFFWithOffset) {
  EXPECT_TRUE(fails_with(parse_json("\"\xF4\x90\x80\x80\""), "invalid_utf8", "offset 1"));
  EXPECT_TRUE(fails_with(parse_json("\"x\xF7\xBF\xBF\xBF\""), "invalid_utf8", "offset 2"));
  EXPECT_TRUE(fails_with(parse_json("\"\xF8\x88\x80\x80\x80\""), "invalid_utf8", "offset 1"));
}

TEST(FindInvalidUtf8, ReportsTheFirstBadByteOrNpos) {
  EXPECT_EQ(find_invalid_utf8(""), std::string_view::npos);
  EXPECT_EQ(find_invalid_utf8("plain \xC3\xA9"), std::string_view::npos);
  EXPECT_EQ(find_invalid_utf8("ab\xFF\xC0\xAF"), 2u);
  EXPECT_EQ(find_invalid_utf8("\xC3"), 0u);
  EXPECT_EQ(find_invalid_utf8("\xEF\xBF\xBF"), std::string_view::npos);  // U+FFFF is a valid code point
  EXPECT_EQ(find_invalid_utf8("\xED\x9F\xBF"), std::string_view::npos);  // U+D7FF, just below the surrogates
  EXPECT_EQ(find_invalid_utf8("\xEE\x80\x80"), std::string_view::npos);  // U+E000, just above them
}

TEST(ParseJson, MalformedReportsTheByteOffset) {
  // A bad literal is reported where it starts.
  EXPECT_TRUE(fails_with(parse_json(R"({"a": tru})"), "malformed_json", "at byte 6"));
  EXPECT_TRUE(fails_with(parse_json(R"({"a": 1,})"), "malformed_json", "at byte 8"));
  EXPECT_TRUE(fails_with(parse_json(R"({"a" 1})"), "malformed_json", "at byte 5"));
}

TEST(ParseJson, TruncatedDocumentIsMalformed) {
  EXPECT_TRUE(fails_with(parse_json(R"({"a": [1, 2)"), "malformed_json", "malformed JSON at byte"));
}

TEST(ParseJson, TrailingGarbageIsRefused) {
  EXPECT_TRUE(fails_with(parse_json("{} x"), "malformed_json", "unexpected data after the document at byte 3"));
  EXPECT_TRUE(fails_with(parse_json("{}{}"), "malformed_json", "unexpected data after the document at byte 2"));
  EXPECT_TRUE(fails_with(parse_json("1 2"), "malformed_json", "after the document"));
}

TEST(ParseJson, EmptyAndWhitespaceOnlyBodiesSayTheyAreEmpty) {
  EXPECT_TRUE(fails_with(parse_json(""), "malformed_json", "request body is empty"));
  EXPECT_TRUE(fails_with(parse_json(" \t\r\n "), "malformed_json", "request body is empty"));
}

TEST(ParseJson, DepthExactlyAtTheLimitIsAccepted) {
  EXPECT_TRUE(parse_json(nested_arrays(32)).ok());
  EXPECT_TRUE(parse_json(nested_arrays(4), {.max_depth = 4}).ok());
  EXPECT_TRUE(parse_json(R"({"a":{"b":{"c":{}}}})", {.max_depth = 4}).ok());
}

TEST(ParseJson, DepthOverTheLimitIsRefused) {
  EXPECT_TRUE(fails_with(parse_json(nested_arrays(33)), "json_too_deep", "limit of 32 levels"));
  EXPECT_TRUE(fails_with(parse_json(nested_arrays(5), {.max_depth = 4}), "json_too_deep", "limit of 4 levels"));
  EXPECT_TRUE(fails_with(parse_json(R"({"a":{"b":{"c":{"d":[]}}}})", {.max_depth = 4}), "json_too_deep",
                         "limit of 4"));
  EXPECT_TRUE(fails_with(parse_json(nested_arrays(100'000)), "json_too_deep", "limit of 32"));
}

// A double that overflows must be refused: accepted, it becomes infinity, which JSON cannot express
// (serializing it writes the non-JSON token `Infinity`).
TEST(ParseJson, HugeExponentIsOutOfRange) {
  EXPECT_TRUE(fails_with(parse_json("1e400"), "number_out_of_range", "out of range"));
  EXPECT_TRUE(fails_with(parse_json(R"({"total": -1e400})"), "number_out_of_range", "out of range"));
}

TEST(JsonKindName, NamesEveryKind) {
  EXPECT_EQ(json_kind_name(boost::json::value(nullptr)), "null");
  EXPECT_EQ(json_kind_name(boost::json::value(true)), "boolean");
  EXPECT_EQ(json_kind_name(boost::json::value(int64_t{-1})), "integer");
  EXPECT_EQ(json_kind_name(boost::json::value(uint64_t{1})), "integer");
  EXPECT_EQ(json_kind_name(boost::json::value(1.5)), "number");
  EXPECT_EQ(json_kind_name(boost::json::value("s")), "string");
  EXPECT_EQ(json_kind_name(boost::json::value(boost::json::array())), "array");
  EXPECT_EQ(json_kind_name(boost::json::value(boost::json::object())), "object");
}

}  // namespace
}  // namespace billhook::core
