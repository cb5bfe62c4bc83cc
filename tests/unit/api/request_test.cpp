#include "api/request.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

namespace billhook::api {
namespace {

constexpr std::string_view kEventId = "evt_01KANG36BVTSV4RRFFQ69G5FAV";
constexpr std::string_view kOtherEventId = "evt_01KANG36BVTSV4RRFFQ69G5FAW";

// Asserts an invalid_request error with this code and param whose message contains `fragment`.
template <class T>
::testing::AssertionResult fails(const core::Result<T>& result, std::string_view code, std::string_view param,
                                 std::string_view fragment = {}) {
  if (result.ok()) return ::testing::AssertionFailure() << "succeeded";
  const core::Error& e = result.error();
  if (e.kind != core::ErrorKind::invalid_request || e.code != code || e.param != param ||
      e.message.find(fragment) == std::string::npos)
    return ::testing::AssertionFailure() << "got code '" << e.code << "' param '" << e.param << "' message '"
                                         << e.message << "'; wanted code '" << code << "' param '" << param
                                         << "' message containing '" << fragment << "'";
  return ::testing::AssertionSuccess();
}

Query query(std::string_view target) {
  auto q = Query::parse(target);
  if (!q) throw std::runtime_error("cannot parse " + std::string(target) + ": " + q.error().message);
  return std::move(q).value();
}

Body body(std::string_view text, core::JsonLimits limits = {}) {
  HttpRequest request;
  request.method = "POST";
  request.target = "/v1/endpoints";
  request.body = std::string(text);
  auto b = Body::parse(request, limits);
  if (!b) throw std::runtime_error("cannot parse body: " + b.error().message);
  return std::move(b).value();
}

core::Result<Body> parse_body(std::string_view text, core::JsonLimits limits = {}) {
  HttpRequest request;
  request.body = std::string(text);
  return Body::parse(request, limits);
}

// ---- Query

TEST(QueryParse, SplitsPathAndDecodesParameters) {
  Query q = query("/v1/events?limit=5&type=invoice%2Epaid&note=a%20b");
  EXPECT_EQ(q.path(), "/v1/events");
  EXPECT_EQ(q.get("limit"), "5");
  EXPECT_EQ(q.get("type"), "invoice.paid");
  EXPECT_EQ(q.get("note"), "a b");
  EXPECT_EQ(q.get("missing"), std::nullopt);
}

TEST(QueryParse, ParameterWithoutValueIsEmpty) {
  Query q = query("/v1/events?flag&x=");
  EXPECT_EQ(q.get("flag"), "");
  EXPECT_EQ(q.get("x"), "");
}

TEST(QueryParse, DropsATrailingSlashButKeepsTheRoot) {
  EXPECT_EQ(query("/v1/events/").path(), "/v1/events");
  EXPECT_EQ(query("/v1/events/?limit=1").path(), "/v1/events");
  EXPECT_EQ(query("/").path(), "/");
  EXPECT_EQ(query("/health").path(), "/health");
}

TEST(QueryParse, DecodesBracketedNamesEncodedOrNot) {
  EXPECT_EQ(query("/v1/events?created%5Bgte%5D=5").get("created[gte]"), "5");
  // Browsers and fetch() send brackets in the query unencoded (Stripe-style filters).
  auto raw = Query::parse("/v1/events?created[gte]=5");
  ASSERT_TRUE(raw.ok()) << raw.error().message;
  EXPECT_EQ(raw->get("created[gte]"), "5");
}

TEST(QueryParse, RefusesMalformedPercentEncoding) {
  EXPECT_TRUE(fails(Query::parse("/v1/events?type=%zz"), "invalid_url", ""));
  EXPECT_TRUE(fails(Query::parse("/v1/events?type=%2"), "invalid_url", ""));
  EXPECT_TRUE(fails(Query::parse("v1/events"), "invalid_url", ""));
}

TEST(QueryParse, RefusesInvalidUtf8AfterDecoding) {
  EXPECT_TRUE(fails(Query::parse("/v1/events?type=%FF"), "invalid_url", "", "invalid UTF-8"));
  EXPECT_TRUE(fails(Query::parse("/v1/events?%C0%AF=1"), "invalid_url", ""));
}

TEST(QueryParse, PlusIsASpaceAndEmptyPairsAreSkipped) {
  Query q = query("/v1/events?q=a+b&&plus=%2B&=&x=1");
  EXPECT_EQ(q.get("q"), "a b");
  EXPECT_EQ(q.get("plus"), "+");
  EXPECT_EQ(q.get("x"), "1");
  EXPECT_TRUE(q.allow_only({"q", "plus", "x", ""}).ok());
}

TEST(QueryParse, FirstOfARepeatedParameterWins) {
  EXPECT_EQ(query("/v1/events?limit=5&limit=500").get("limit"), "5");
}

TEST(PercentDecode, DecodesEscapes) {
  EXPECT_EQ(percent_decode("%41b%63", false), "Abc");
  EXPECT_EQ(percent_decode("%c3%a9", false), "\xC3\xA9");
  EXPECT_EQ(percent_decode("ep%5F1", false), "ep_1");
  EXPECT_EQ(percent_decode("", false), "");
}

TEST(PercentDecode, PlusIsASpaceOnlyWhenAsked) {
  EXPECT_EQ(percent_decode("a+b", true), "a b");
  EXPECT_EQ(percent_decode("a+b", false), "a+b");
  EXPECT_EQ(percent_decode("a%2Bb", true), "a+b");
}

TEST(PercentDecode, RefusesMalformedEscapesAndInvalidUtf8) {
  for (const char* bad : {"%", "%4", "a%", "%zz", "%4g", "%G1", "%FF", "%C3", "%ED%A0%80"})
    EXPECT_EQ(percent_decode(bad, false), std::nullopt) << bad;
}

TEST(QueryAllowOnly, AcceptsKnownParameters) {
  EXPECT_TRUE(query("/v1/events?limit=5&type=x").allow_only({"limit", "type", "starting_after"}).ok());
  EXPECT_TRUE(query("/v1/events").allow_only({}).ok());
}

TEST(QueryAllowOnly, RefusesATypoNamingItAndListingTheAllowedOnes) {
  auto s = query("/v1/events?limit=5&lmit=6").allow_only({"limit", "type"});
  EXPECT_TRUE(fails(s, "unknown_parameter", "lmit", "unknown query parameter 'lmit'; allowed: limit, type"));
  EXPECT_TRUE(fails(query("/health?x=1").allow_only({}), "unknown_parameter", "x", "allowed: none"));
}

TEST(QueryPage, DefaultsToTenWithNoCursor) {
  auto page = query("/v1/events").page(core::IdKind::event);
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(page->limit, 10);
  EXPECT_TRUE(page->starting_after.empty());
  EXPECT_TRUE(page->ending_before.empty());
}

TEST(QueryPage, AcceptsLimitsFromOneToOneHundred) {
  EXPECT_EQ(query("/v1/events?limit=1").page(core::IdKind::event)->limit, 1);
  EXPECT_EQ(query("/v1/events?limit=100").page(core::IdKind::event)->limit, 100);
}

TEST(QueryPage, RefusesOtherLimits) {
  for (const char* bad : {"0", "101", "-1", "abc", "5x", "", "1.5", "99999999999999999999"}) {
    auto page = query(std::string("/v1/events?limit=") + bad).page(core::IdKind::event);
    EXPECT_TRUE(fails(page, "invalid_limit", "limit", "from 1 to 100")) << "limit=" << bad;
  }
}

TEST(QueryPage, TakesCursorsOfTheRightKind) {
  auto after = query("/v1/events?starting_after=" + std::string(kEventId)).page(core::IdKind::event);
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_EQ(after->starting_after, kEventId);

  auto before = query("/v1/events?ending_before=" + std::string(kEventId)).page(core::IdKind::event);
  ASSERT_TRUE(before.ok()) << before.error().message;
  EXPECT_EQ(before->ending_before, kEventId);
}

TEST(QueryPage, RefusesACursorThatIsNotAnIdOfTheKind) {
  EXPECT_TRUE(fails(query("/v1/endpoints?starting_after=" + std::string(kEventId)).page(core::IdKind::endpoint),
                    "invalid_id", "starting_after", "'ep_'"));
  EXPECT_TRUE(fails(query("/v1/events?ending_before=evt_nope").page(core::IdKind::event), "invalid_id",
                    "ending_before", "'evt_nope'"));
}

TEST(QueryPage, RefusesBothCursors) {
  auto page = query("/v1/events?starting_after=" + std::string(kEventId) + "&ending_before=" +
                    std::string(kOtherEventId))
                  .page(core::IdKind::event);
  EXPECT_TRUE(fails(page, "invalid_cursor", "ending_before", "not both"));
}

TEST(QueryUnixSeconds, AbsentIsNullopt) {
  auto v = query("/v1/events").unix_seconds("created[gte]");
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->has_value());
}

TEST(QueryUnixSeconds, ReadsTheValue) {
  auto v = query("/v1/events?created%5Bgte%5D=1763805600").unix_seconds("created[gte]");
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(*v, std::optional<int64_t>(1763805600));
  EXPECT_EQ(*query("/v1/events?t=0").unix_seconds("t"), std::optional<int64_t>(0));
  EXPECT_EQ(*query("/v1/events?t=253402300799").unix_seconds("t"), std::optional<int64_t>(253402300799));
}

TEST(QueryUnixSeconds, RefusesWhatIsNotUnixSeconds) {
  for (const char* bad : {"-1", "abc", "1.5", "", "12x", "253402300800", "2025-11-22T10:00:00Z"}) {
    EXPECT_TRUE(fails(query(std::string("/v1/events?created%5Blt%5D=") + bad).unix_seconds("created[lt]"),
                      "invalid_timestamp", "created[lt]", "'created[lt]' must be a unix time in seconds"))
        << bad;
  }
}

// ---- Body

TEST(BodyParse, AcceptsAnObject) {
  Body b = body(R"({"url": "http://127.0.0.1:9/hook", "enabled": true})");
  EXPECT_TRUE(b.has("url"));
  EXPECT_FALSE(b.has("secret"));
  EXPECT_EQ(b.object().size(), 2u);
}

TEST(BodyParse, RefusesAnythingButAnObject) {
  EXPECT_TRUE(fails(parse_body("[]"), "invalid_body", "", "must be a JSON object, got array"));
  EXPECT_TRUE(fails(parse_body("\"x\""), "invalid_body", "", "got string"));
  EXPECT_TRUE(fails(parse_body("null"), "invalid_body", "", "got null"));
}

TEST(BodyParse, PassesJsonErrorsThrough) {
  EXPECT_TRUE(fails(parse_body(""), "malformed_json", "", "empty"));
  EXPECT_TRUE(fails(parse_body("{\"a\": }"), "malformed_json", "", "at byte"));
  EXPECT_TRUE(fails(parse_body("{\"a\": \"\xC0\xAF\"}"), "invalid_utf8", "", "offset 7"));
  EXPECT_TRUE(fails(parse_body(R"({"a":{"b":{"c":{"d":{}}}}})", {.max_depth = 4}), "json_too_deep", "", "4"));
}

TEST(BodyAllowOnly, RefusesUnknownFields) {
  Body b = body(R"({"url": "x", "descripton": "typo"})");
  EXPECT_TRUE(fails(b.allow_only({"url", "description"}), "unknown_parameter", "descripton",
                    "unknown field 'descripton'; allowed: url, description"));
  EXPECT_TRUE(body(R"({"url": "x"})").allow_only({"url", "description"}).ok());
}

TEST(BodyRequiredString, ReadsAString) {
  auto s = body(R"({"url": "http://127.0.0.1/"})").required_string("url", 100);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(*s, "http://127.0.0.1/");
}

TEST(BodyRequiredString, Errors) {
  EXPECT_TRUE(fails(body("{}").required_string("url", 10), "missing_field", "url", "'url' is required"));
  EXPECT_TRUE(fails(body(R"({"url": null})").required_string("url", 10), "invalid_type", "url",
                    "'url' must be a string, got null"));
  EXPECT_TRUE(fails(body(R"({"url": 5})").required_string("url", 10), "invalid_type", "url",
                    "'url' must be a string, got integer"));
  EXPECT_TRUE(fails(body(R"({"url": ""})").required_string("url", 10), "invalid_value", "url", "must not be empty"));
  EXPECT_TRUE(fails(body(R"({"url": "12345678901"})").required_string("url", 10), "too_long", "url",
                    "at most 10 characters"));
}

TEST(BodyOptionalString, AbsentOrNullIsNullopt) {
  auto absent = body("{}").optional_string("description", 10);
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());
  auto null = body(R"({"description": null})").optional_string("description", 10);
  ASSERT_TRUE(null.ok());
  EXPECT_FALSE(null->has_value());
  auto empty = body(R"({"description": ""})").optional_string("description", 10);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, std::optional<std::string>(""));
}

TEST(BodyOptionalString, LengthCountsCharactersNotBytes) {
  auto three = body("{\"d\": \"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"}").optional_string("d", 3);
  ASSERT_TRUE(three.ok()) << three.error().message;
  EXPECT_EQ(**three, "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  EXPECT_TRUE(fails(body("{\"d\": \"\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\"}").optional_string("d", 3), "too_long", "d"));
}

TEST(BodyOptionalString, WrongTypes) {
  EXPECT_TRUE(fails(body(R"({"d": true})").optional_string("d", 3), "invalid_type", "d", "got boolean"));
  EXPECT_TRUE(fails(body(R"({"d": 1.5})").optional_string("d", 3), "invalid_type", "d", "got number"));
  EXPECT_TRUE(fails(body(R"({"d": {}})").optional_string("d", 3), "invalid_type", "d", "got object"));
  EXPECT_TRUE(fails(body(R"({"d": []})").optional_string("d", 3), "invalid_type", "d", "got array"));
}

TEST(BodyOptionalBool, ReadsBooleansOnly) {
  EXPECT_EQ(*body(R"({"enabled": false})").optional_bool("enabled"), std::optional<bool>(false));
  EXPECT_EQ(*body(R"({"enabled": true})").optional_bool("enabled"), std::optional<bool>(true));
  EXPECT_EQ(*body("{}").optional_bool("enabled"), std::nullopt);
  EXPECT_EQ(*body(R"({"enabled": null})").optional_bool("enabled"), std::nullopt);
  EXPECT_TRUE(fails(body(R"({"enabled": "true"})").optional_bool("enabled"), "invalid_type", "enabled",
                    "'enabled' must be a boolean, got string"));
  EXPECT_TRUE(fails(body(R"({"enabled": 1})").optional_bool("enabled"), "invalid_type", "enabled", "got integer"));
}

TEST(BodyOptionalStringArray, ReadsStrings) {
  auto v = body(R"({"event_types": ["invoice.paid", "invoice.*"]})").optional_string_array("event_types", 5, 20);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(**v, (std::vector<std::string>{"invoice.paid", "invoice.*"}));
  auto empty = body(R"({"event_types": []})").optional_string_array("event_types", 5, 20);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE((*empty)->empty());
  EXPECT_EQ(*body("{}").optional_string_array("event_types", 5, 20), std::nullopt);
}

TEST(BodyOptionalStringArray, Errors) {
  EXPECT_TRUE(fails(body(R"({"event_types": "invoice.paid"})").optional_string_array("event_types", 5, 20),
                    "invalid_type", "event_types", "'event_types' must be an array of strings, got string"));
  EXPECT_TRUE(fails(body(R"({"t": ["a", "b", "c"]})").optional_string_array("t", 2, 20), "too_many_items", "t",
                    "at most 2 items"));
  EXPECT_TRUE(fails(body(R"({"t": ["a", 7]})").optional_string_array("t", 5, 20), "invalid_type", "t[1]",
                    "'t[1]' must be a string, got integer"));
  EXPECT_TRUE(fails(body(R"({"t": ["a", "b", ""]})").optional_string_array("t", 5, 20), "invalid_value", "t[2]",
                    "1 to 20 characters"));
  EXPECT_TRUE(fails(body(R"({"t": ["abcdef"]})").optional_string_array("t", 5, 5), "invalid_value", "t[0]",
                    "1 to 5 characters"));
}

TEST(BodyOptionalMetadata, ReturnsTheObjectSerialized) {
  auto m = body(R"({"metadata": {"team": "billing", "tier": "gold"}})").optional_metadata("metadata");
  ASSERT_TRUE(m.ok()) << m.error().message;
  ASSERT_TRUE(m->has_value());
  EXPECT_EQ(boost::json::parse(**m), boost::json::parse(R"({"team": "billing", "tier": "gold"})"));
  EXPECT_EQ(*body("{}").optional_metadata("metadata"), std::nullopt);
  EXPECT_EQ(**body(R"({"metadata": {}})").optional_metadata("metadata"), "{}");
}

TEST(BodyOptionalMetadata, Errors) {
  EXPECT_TRUE(fails(body(R"({"metadata": ["a"]})").optional_metadata("metadata"), "invalid_type", "metadata",
                    "'metadata' must be an object of string values, got array"));
  EXPECT_TRUE(fails(body(R"({"metadata": {"team": 5}})").optional_metadata("metadata"), "invalid_type",
                    "metadata.team", "'metadata.team' must be a string, got integer"));
  EXPECT_TRUE(fails(body(R"({"metadata": {"": "x"}})").optional_metadata("metadata"), "invalid_value", "metadata.",
                    "1 to 40 characters"));
  const std::string long_key(41, 'k');
  EXPECT_TRUE(fails(body(R"({"metadata": {")" + long_key + R"(": "x"}})").optional_metadata("metadata"),
                    "invalid_value", "metadata." + std::string(40, 'k'), "1 to 40 characters"));
  const std::string long_value(501, 'v');
  EXPECT_TRUE(fails(body(R"({"metadata": {"k": ")" + long_value + R"("}})").optional_metadata("metadata"),
                    "too_long", "metadata.k", "at most 500 characters"));
  EXPECT_TRUE(body(R"({"metadata": {"k": ")" + std::string(500, 'v') + R"("}})").optional_metadata("metadata").ok());
}

TEST(BodyOptionalMetadata, ParamNamesAValidMultibyteKeyInFull) {
  // 14 characters (42 bytes): a valid key, so the param must name all of it.
  std::string key;
  for (int i = 0; i < 14; ++i) key += "\xE2\x82\xAC";
  auto m = body(R"({"metadata": {")" + key + R"(": 5}})").optional_metadata("metadata");
  EXPECT_TRUE(fails(m, "invalid_type", "metadata." + key, "must be a string, got integer"));
}

TEST(BodyOptionalMetadata, AtMostFiftyKeys) {
  boost::json::object metadata;
  for (int i = 0; i < 50; ++i) metadata["k" + std::to_string(i)] = "v";
  boost::json::object doc{{"metadata", metadata}};
  EXPECT_TRUE(body(boost::json::serialize(doc)).optional_metadata("metadata").ok());
  doc["metadata"].as_object()["k50"] = "v";
  EXPECT_TRUE(fails(body(boost::json::serialize(doc)).optional_metadata("metadata"), "too_many_items", "metadata",
                    "at most 50 keys"));
}

TEST(DescribeKind, NamesJsonTypes) {
  EXPECT_EQ(describe_kind(boost::json::value(3)), "integer");
  EXPECT_EQ(describe_kind(boost::json::value(3.5)), "number");
  EXPECT_EQ(describe_kind(boost::json::value(nullptr)), "null");
}

}  // namespace
}  // namespace billhook::api
