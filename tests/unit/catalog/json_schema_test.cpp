#include "catalog/json_schema.hpp"

#include <atomic>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace billhook::catalog {
namespace {

namespace json = boost::json;

json::object parse_object(std::string_view text) { return json::parse(text).as_object(); }

// Throwing (rather than returning a dummy) makes gtest report the compile error text.
JsonSchema make(std::string_view schema, std::string_view defs = "{}") {
  auto compiled = JsonSchema::compile(json::parse(schema), parse_object(defs));
  if (!compiled) throw std::runtime_error("unexpected compile error: " + compiled.error().message);
  return std::move(compiled).value();
}

core::Error compile_error(std::string_view schema, std::string_view defs = "{}") {
  auto compiled = JsonSchema::compile(json::parse(schema), parse_object(defs));
  if (compiled) {
    throw std::runtime_error("schema compiled but should not have: " + std::string(schema));
  }
  return std::move(compiled).error();
}

std::optional<SchemaViolation> check(const JsonSchema& schema, std::string_view instance,
                                     std::string_view base_path = {}) {
  return schema.validate(json::parse(instance), base_path);
}

std::optional<SchemaViolation> check(std::string_view schema, std::string_view instance) {
  return check(make(schema), instance);
}

// Asserts a violation at exactly `path` whose message contains `message`.
::testing::AssertionResult violates(const std::optional<SchemaViolation>& violation,
                                    std::string_view path, std::string_view message) {
  if (!violation) return ::testing::AssertionFailure() << "instance was accepted";
  if (violation->path != path || violation->message.find(message) == std::string::npos) {
    return ::testing::AssertionFailure()
           << "got path \"" << violation->path << "\" message \"" << violation->message
           << "\"; wanted path \"" << path << "\" message containing \"" << message << "\"";
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult passes(const std::optional<SchemaViolation>& violation) {
  if (!violation) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "rejected at \"" << violation->path << "\": "
                                       << violation->message;
}

::testing::AssertionResult refused(const core::Error& error, std::string_view fragment) {
  if (error.kind != core::ErrorKind::internal || error.code != "invalid_schema") {
    return ::testing::AssertionFailure() << "wrong kind/code: " << error.code;
  }
  if (error.message.find(fragment) == std::string::npos) {
    return ::testing::AssertionFailure()
           << "message \"" << error.message << "\" lacks \"" << fragment << "\"";
  }
  return ::testing::AssertionSuccess();
}

// --- type ---

TEST(JsonSchemaType, EachTypeAcceptsItsValuesAndNamesWhatItGot) {
  EXPECT_TRUE(passes(check(R"({"type":"object"})", "{}")));
  EXPECT_TRUE(violates(check(R"({"type":"object"})", "[]"), "", "must be an object, got array"));
  EXPECT_TRUE(passes(check(R"({"type":"array"})", "[1]")));
  EXPECT_TRUE(violates(check(R"({"type":"array"})", "{}"), "", "must be an array, got object"));
  EXPECT_TRUE(passes(check(R"({"type":"string"})", R"("x")")));
  EXPECT_TRUE(violates(check(R"({"type":"string"})", "1"), "", "must be a string, got integer"));
  EXPECT_TRUE(passes(check(R"({"type":"integer"})", "-3")));
  EXPECT_TRUE(violates(check(R"({"type":"integer"})", R"("3")"), "",
                       "must be an integer, got string"));
  EXPECT_TRUE(passes(check(R"({"type":"number"})", "3")));
  EXPECT_TRUE(passes(check(R"({"type":"number"})", "3.25")));
  EXPECT_TRUE(violates(check(R"({"type":"number"})", "true"), "", "must be a number, got boolean"));
  EXPECT_TRUE(passes(check(R"({"type":"boolean"})", "false")));
  EXPECT_TRUE(violates(check(R"({"type":"boolean"})", "null"), "", "must be a boolean, got null"));
  EXPECT_TRUE(passes(check(R"({"type":"null"})", "null")));
  EXPECT_TRUE(violates(check(R"({"type":"null"})", "0"), "", "must be null, got integer"));
}

TEST(JsonSchemaType, ArrayOfTypes) {
  const JsonSchema schema = make(R"({"type":["string","null"]})");
  EXPECT_TRUE(passes(check(schema, R"("a")")));
  EXPECT_TRUE(passes(check(schema, "null")));
  auto v = check(schema, "7");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->message, "must be a string or null, got integer");
  EXPECT_TRUE(violates(check(R"({"type":["object","array","boolean"]})", "1.5"), "",
                       "must be an object, an array or a boolean, got number"));
}

TEST(JsonSchemaType, IntegerEdgeCases) {
  const JsonSchema integer = make(R"({"type":"integer"})");
  EXPECT_TRUE(passes(check(integer, "1.0")));
  EXPECT_TRUE(passes(check(integer, "-0.0")));
  EXPECT_TRUE(passes(check(integer, "1e3")));
  EXPECT_TRUE(violates(check(integer, "1.5"), "", "must be an integer, got number"));
  EXPECT_TRUE(passes(check(integer, "9223372036854775807")));
  EXPECT_TRUE(passes(check(integer, "-9223372036854775808")));
  EXPECT_TRUE(passes(check(integer, "18446744073709551615")));
  // Doubles are trusted as integers only up to 2^53.
  EXPECT_TRUE(passes(integer.validate(json::value(9007199254740992.0))));
  EXPECT_TRUE(passes(integer.validate(json::value(-9007199254740992.0))));
  EXPECT_TRUE(violates(integer.validate(json::value(18014398509481984.0)), "",
                       "must be an integer"));
  EXPECT_TRUE(violates(check(integer, "1e300"), "", "must be an integer, got number"));
}

// --- objects ---

TEST(JsonSchemaObject, PropertiesAreCheckedWithNestedPaths) {
  const JsonSchema schema = make(R"({
    "type":"object",
    "properties":{"data":{"type":"object","properties":{"object":{"type":"object",
      "properties":{"total":{"type":"integer"}}}}}}})");
  EXPECT_TRUE(passes(check(schema, R"({"data":{"object":{"total":5}}})")));
  EXPECT_TRUE(passes(check(schema, R"({"data":{}})")));
  EXPECT_TRUE(violates(check(schema, R"({"data":{"object":{"total":"5"}}})"), "data.object.total",
                       "must be an integer, got string"));
}

TEST(JsonSchemaObject, RequiredIsReportedAtTheMissingProperty) {
  const JsonSchema schema = make(R"({
    "type":"object","required":["data"],
    "properties":{"data":{"type":"object","required":["object"],"properties":{
      "object":{"type":"object","required":["currency","total"],
                "properties":{"total":{"type":"integer"},"currency":{"type":"string"}}}}}}})");
  EXPECT_TRUE(passes(check(schema, R"({"data":{"object":{"total":1,"currency":"EUR"}}})")));
  EXPECT_TRUE(violates(check(schema, R"({"data":{"object":{"total":1}}})"), "data.object.currency",
                       "is required"));
  EXPECT_TRUE(violates(check(schema, "{}"), "data", "is required"));
  // null is present, so `required` is satisfied; the type check then speaks.
  EXPECT_TRUE(violates(check(schema, R"({"data":{"object":{"total":1,"currency":null}}})"),
                       "data.object.currency", "must be a string, got null"));
}

TEST(JsonSchemaObject, RequiredWithoutPropertiesEntry) {
  EXPECT_TRUE(passes(check(R"({"required":["id"]})", R"({"id":null})")));
  EXPECT_TRUE(violates(check(R"({"required":["id"]})", R"({"ID":1})"), "id", "is required"));
  // Non-objects are not subject to object keywords.
  EXPECT_TRUE(passes(check(R"({"required":["id"]})", "5")));
}

TEST(JsonSchemaObject, ViolationsFollowSchemaPropertyOrder) {
  const JsonSchema schema = make(R"({
    "properties":{"b":{"type":"string"},"a":{"type":"string"},"c":{"type":"string"}},
    "required":["c","a"]})");
  EXPECT_TRUE(violates(check(schema, R"({"a":1,"b":2})"), "b", "must be a string"));
  EXPECT_TRUE(violates(check(schema, R"({"c":1,"b":"x"})"), "a", "is required"));
  EXPECT_TRUE(violates(check(schema, R"({"a":"x","b":"x"})"), "c", "is required"));
}

TEST(JsonSchemaObject, AdditionalPropertiesFalseRejectsUnknownFields) {
  const JsonSchema schema = make(R"({
    "type":"object","additionalProperties":false,
    "properties":{"data":{"type":"object","additionalProperties":false,
                          "properties":{"id":{"type":"string"}}}}})");
  EXPECT_TRUE(passes(check(schema, R"({"data":{"id":"x"}})")));
  EXPECT_TRUE(violates(check(schema, R"({"data":{"id":"x","idd":1}})"), "data.idd",
                       "is not allowed (unknown field)"));
  EXPECT_TRUE(violates(check(schema, R"({"extra":true})"), "extra",
                       "is not allowed (unknown field)"));
}

TEST(JsonSchemaObject, AdditionalPropertiesDefaultsToAllowedAndAcceptsSchemas) {
  EXPECT_TRUE(passes(check(R"({"properties":{"a":{"type":"string"}}})", R"({"a":"x","b":1})")));
  EXPECT_TRUE(passes(check(R"({"additionalProperties":true})", R"({"b":1})")));
  const JsonSchema metadata = make(R"({
    "properties":{"id":{"type":"string"}},
    "additionalProperties":{"type":"string","maxLength":3}})");
  EXPECT_TRUE(passes(check(metadata, R"({"id":"long id is fine","k":"abc"})")));
  EXPECT_TRUE(violates(check(metadata, R"({"id":"x","k":"abc","n":5})"), "n",
                       "must be a string, got integer"));
  EXPECT_TRUE(violates(check(metadata, R"({"k":"abcd"})"), "k",
                       "must be at most 3 characters long"));
}

// --- arrays ---

TEST(JsonSchemaArray, ItemsReportIndexedPaths) {
  const JsonSchema schema = make(R"({
    "properties":{"lines":{"type":"array","items":{"type":"object","required":["amount"],
      "properties":{"amount":{"type":"integer"}}}}}})");
  EXPECT_TRUE(passes(check(schema, R"({"lines":[]})")));
  EXPECT_TRUE(passes(check(schema, R"({"lines":[{"amount":1},{"amount":2}]})")));
  EXPECT_TRUE(violates(check(schema, R"({"lines":[{"amount":1},{"amount":2.5}]})"),
                       "lines[1].amount", "must be an integer, got number"));
  EXPECT_TRUE(violates(check(schema, R"({"lines":[{"amount":1},{}]})"), "lines[1].amount",
                       "is required"));
}

TEST(JsonSchemaArray, NestedArraysAndRootArrays) {
  const JsonSchema schema = make(R"({"items":{"items":{"type":"integer"}}})");
  EXPECT_TRUE(passes(check(schema, "[[1,2],[3]]")));
  EXPECT_TRUE(violates(check(schema, R"([[1,2],[3,"x"]])"), "[1][1]", "must be an integer"));
  EXPECT_TRUE(violates(check(schema, R"([[1,2],[3,"x"]])", "data.matrix"), "data.matrix[1][1]",
                       "must be an integer"));
}

TEST(JsonSchemaArray, MinAndMaxItems) {
  const JsonSchema schema = make(R"({"minItems":1,"maxItems":2})");
  EXPECT_TRUE(passes(check(schema, "[1]")));
  EXPECT_TRUE(passes(check(schema, "[1,2]")));
  EXPECT_TRUE(violates(check(schema, "[]"), "", "must have at least 1 item"));
  EXPECT_TRUE(violates(check(schema, "[1,2,3]"), "", "must have at most 2 items"));
  EXPECT_TRUE(passes(check(schema, R"("not an array")")));
}

// --- enum / const ---

TEST(JsonSchemaEnum, ListsTheAllowedValues) {
  const JsonSchema schema = make(R"({"enum":["draft","open","paid"]})");
  EXPECT_TRUE(passes(check(schema, R"("open")")));
  auto v = check(schema, R"("void")");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->message, "must be one of: draft, open, paid");
  EXPECT_TRUE(violates(check(schema, "1"), "", "must be one of: draft, open, paid"));
}

TEST(JsonSchemaEnum, UsesDeepEqualityAcrossNumberRepresentations) {
  const JsonSchema schema = make(R"({"enum":[1, null, [1,{"a":2}], {"x":1,"y":[true]}]})");
  EXPECT_TRUE(passes(check(schema, "1.0")));
  EXPECT_TRUE(passes(check(schema, "null")));
  EXPECT_TRUE(passes(check(schema, R"([1.0,{"a":2}])")));
  EXPECT_TRUE(passes(check(schema, R"({"y":[true],"x":1})")));
  EXPECT_TRUE(violates(check(schema, R"([{"a":2},1])"), "", "must be one of: 1, null"));
  EXPECT_TRUE(violates(check(schema, R"({"x":1,"y":[true],"z":0})"), "", "must be one of"));
  EXPECT_TRUE(violates(check(schema, R"({"x":1})"), "", "must be one of"));
  EXPECT_TRUE(violates(check(schema, "false"), "", "must be one of"));
}

TEST(JsonSchemaConst, MatchesExactlyOneValue) {
  const JsonSchema schema = make(R"({"properties":{"type":{"const":"invoice.created"}}})");
  EXPECT_TRUE(passes(check(schema, R"({"type":"invoice.created"})")));
  EXPECT_TRUE(violates(check(schema, R"({"type":"invoice.paid"})"), "type",
                       "must be exactly invoice.created"));
  const JsonSchema object_const = make(R"({"const":{"a":[1,2]}})");
  EXPECT_TRUE(passes(check(object_const, R"({"a":[1,2.0]})")));
  EXPECT_TRUE(violates(check(object_const, R"({"a":[2,1]})"), "",
                       R"(must be exactly {"a":[1,2]})"));
}

// --- numbers ---

TEST(JsonSchemaNumber, InclusiveBounds) {
  const JsonSchema schema = make(R"({"minimum":0,"maximum":100})");
  EXPECT_TRUE(passes(check(schema, "0")));
  EXPECT_TRUE(passes(check(schema, "100")));
  EXPECT_TRUE(passes(check(schema, "99.5")));
  EXPECT_TRUE(violates(check(schema, "-1"), "", "must be at least 0"));
  EXPECT_TRUE(violates(check(schema, "-0.001"), "", "must be at least 0"));
  EXPECT_TRUE(violates(check(schema, "100.5"), "", "must be at most 100"));
  EXPECT_TRUE(violates(check(schema, "18446744073709551615"), "", "must be at most 100"));
  EXPECT_TRUE(passes(check(schema, R"("not a number")")));
}

TEST(JsonSchemaNumber, ExclusiveBounds) {
  const JsonSchema schema = make(R"({"exclusiveMinimum":0,"exclusiveMaximum":1.5})");
  EXPECT_TRUE(passes(check(schema, "1")));
  EXPECT_TRUE(passes(check(schema, "0.0001")));
  EXPECT_TRUE(violates(check(schema, "0"), "", "must be greater than 0"));
  EXPECT_TRUE(violates(check(schema, "0.0"), "", "must be greater than 0"));
  EXPECT_TRUE(violates(check(schema, "1.5"), "", "must be less than 1.5"));
  EXPECT_TRUE(violates(check(schema, "2"), "", "must be less than 1.5"));
}

TEST(JsonSchemaNumber, LargeIntegersCompareWithoutPrecisionLoss) {
  // As doubles both limits would round to 2^53 and compare equal to the instance.
  const JsonSchema max = make(R"({"maximum":9007199254740993})");
  EXPECT_TRUE(passes(check(max, "9007199254740992")));
  EXPECT_TRUE(passes(check(max, "9007199254740993")));
  EXPECT_TRUE(violates(check(max, "9007199254740994"), "", "must be at most 9007199254740993"));
  const JsonSchema min = make(R"({"minimum":9007199254740993})");
  EXPECT_TRUE(violates(check(min, "9007199254740992"), "", "must be at least 9007199254740993"));
  EXPECT_TRUE(violates(min.validate(json::value(9007199254740992.0)), "", "must be at least"));
  EXPECT_TRUE(passes(min.validate(json::value(9007199254740994.0))));

  const JsonSchema uint_max = make(R"({"type":"integer","maximum":18446744073709551615})");
  EXPECT_TRUE(passes(check(uint_max, "18446744073709551615")));
  const JsonSchema below_uint_max = make(R"({"maximum":18446744073709551614})");
  EXPECT_TRUE(passes(check(below_uint_max, "18446744073709551614")));
  EXPECT_TRUE(violates(check(below_uint_max, "18446744073709551615"), "",
                       "must be at most 18446744073709551614"));
  // A double just above uint64 max must still exceed it.
  EXPECT_TRUE(violates(below_uint_max.validate(json::value(18446744073709551616.0)), "",
                       "must be at most"));

  const JsonSchema negative = make(R"({"minimum":-9223372036854775807})");
  EXPECT_TRUE(violates(check(negative, "-9223372036854775808"), "", "must be at least"));
  EXPECT_TRUE(passes(check(negative, "18446744073709551615")));
  EXPECT_TRUE(passes(check(make(R"({"exclusiveMinimum":-1})"), "0")));
  EXPECT_TRUE(violates(check(make(R"({"maximum":-1.5})"), "-1"), "", "must be at most -1.5"));
  EXPECT_TRUE(passes(check(make(R"({"maximum":-1.5})"), "-2")));
}

// --- strings ---

TEST(JsonSchemaString, LengthCountsCodePointsNotBytes) {
  const JsonSchema max5 = make(R"({"maxLength":5})");
  EXPECT_TRUE(passes(check(max5, R"("héllo")")));  // 6 bytes, 5 code points
  EXPECT_TRUE(passes(check(max5, R"("€€€€€")")));  // 15 bytes
  EXPECT_TRUE(passes(check(max5, R"("😀😀😀😀😀")")));  // 4-byte sequences
  EXPECT_TRUE(violates(check(max5, R"("€€€€€€")"), "",
                       "must be at most 5 characters long"));
  const JsonSchema min4 = make(R"({"minLength":4})");
  EXPECT_TRUE(violates(check(min4, R"("😀😀😀")"), "", "must be at least 4 characters long"));
  EXPECT_TRUE(passes(check(min4, R"("😀😀😀😀")")));
  EXPECT_TRUE(passes(check(min4, "12345")));
  EXPECT_TRUE(violates(check(R"({"minLength":1})", R"("")"), "",
                       "must be at least 1 character long"));
  std::string long_name(101, 'x');
  EXPECT_TRUE(violates(make(R"({"maxLength":100})").validate(json::value(long_name)), "",
                       "must be at most 100 characters long"));
  long_name.pop_back();
  EXPECT_TRUE(passes(make(R"({"maxLength":100})").validate(json::value(long_name))));
}

TEST(JsonSchemaString, PatternIsUnanchoredEcmaScript) {
  const JsonSchema schema = make(R"({"properties":{"id":{"type":"string","pattern":"^inv_"}}})");
  EXPECT_TRUE(passes(check(schema, R"({"id":"inv_123"})")));
  auto v = check(schema, R"({"id":"xinv_123"})");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->path, "id");
  EXPECT_EQ(v->message, "must match pattern ^inv_");
  const JsonSchema digit = make(R"({"pattern":"\\d{2}"})");
  EXPECT_TRUE(passes(check(digit, R"("abc12def")")));
  EXPECT_TRUE(violates(check(digit, R"("a1b2")"), "", "must match pattern \\d{2}"));
  EXPECT_TRUE(passes(check(digit, "5")));
}

struct FormatCase {
  const char* format;
  std::vector<const char*> good;
  std::vector<const char*> bad;
  const char* message;
};

TEST(JsonSchemaFormat, EachFormatAcceptsGoodAndRefusesBadValues) {
  const std::vector<FormatCase> cases = {
      {"date-time",
       {"2026-11-22T10:00:00Z", "2026-11-22T10:00:00.123Z", "2026-11-22T10:00:00+02:00",
        "2026-11-22T10:00:00.5-05:30", "2026-11-22t23:59:60z", "2024-02-29T00:00:00Z"},
       {"2026-11-22", "2026-11-22T10:00:00", "2026-11-22 10:00:00Z", "2026-13-22T10:00:00Z",
        "2026-00-22T10:00:00Z", "2026-11-32T10:00:00Z", "2026-11-00T10:00:00Z",
        "2026-02-29T10:00:00Z", "2026-11-22T24:00:00Z", "2026-11-22T10:60:00Z",
        "2026-11-22T10:00:61Z", "2026-11-22T10:00:00.Z", "2026-11-22T10:00:00+2:00",
        "2026-11-22T10:00:00+24:00", "2026-11-22T10:00:00+02:60", "2026-11-22T10:00:00Zjunk",
        "26-11-22T10:00:00Z", "2026-1-22T10:00:00Z", ""},
       "must be a date-time in RFC 3339 form, e.g. 2026-11-22T10:00:00Z"},
      {"date",
       {"2026-11-22", "2000-02-29", "2026-12-31"},
       {"2026-11-22T10:00:00Z", "2026-13-01", "2026-04-31", "1900-02-29", "2026/11/22", "2026-1-2",
        "20261122", ""},
       "must be a date in YYYY-MM-DD form"},
      {"email",
       {"billing@example.com", "a.b+c@mail.example.co.uk", "x@y.z"},
       {"billing", "billing@example", "@example.com", "billing@.com", "billing@example.",
        "bill ing@example.com", "a@b@c.com", "a@b..com", ""},
       "must be an email address"},
      {"uri",
       {"https://example.com/hook", "mailto:billing@example.com", "urn:isbn:0451450523",
        "svn+ssh://host/repo"},
       {"example.com/hook", "/relative/path", "https:", "1http://example.com",
        "https://example.com/a b", "://missing", ""},
       "must be an absolute URI"},
      {"currency",
       {"EUR", "USD", "JPY"},
       {"eur", "EU", "EURO", "E1R", "", "€UR"},
       "must be a 3-letter uppercase ISO 4217 currency code"},
  };
  for (const FormatCase& c : cases) {
    const JsonSchema schema =
        make(std::string(R"({"type":"string","format":")") + c.format + "\"}");
    for (const char* good : c.good) {
      EXPECT_TRUE(passes(schema.validate(json::value(good)))) << c.format << ": " << good;
    }
    for (const char* bad : c.bad) {
      EXPECT_TRUE(violates(schema.validate(json::value(bad)), "", c.message))
          << c.format << ": " << bad;
    }
    // Formats constrain strings only.
    EXPECT_TRUE(passes(make(std::string(R"({"format":")") + c.format + "\"}").validate(
        json::value(42))));
  }
}

// --- composition ---

TEST(JsonSchemaComposition, OneOfNeedsExactlyOneMatch) {
  const JsonSchema schema = make(R"({"oneOf":[
    {"type":"integer"},{"type":"number","minimum":5},{"type":"string"}]})");
  EXPECT_TRUE(passes(check(schema, "1")));
  EXPECT_TRUE(passes(check(schema, R"("x")")));
  EXPECT_TRUE(passes(check(schema, "5.5")));
  auto two = check(schema, "7");
  ASSERT_TRUE(two);
  EXPECT_EQ(two->message, "must match exactly one of the allowed shapes (matched 2)");
  auto none = check(schema, "null");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->path, "");
  EXPECT_EQ(none->message, "must match exactly one of the allowed shapes (matched 0)");
  // 4.5 is not an integer, so only the "number" alternative fits its type and speaks for it.
  EXPECT_TRUE(violates(check(schema, "4.5"), "", "must be at least 5"));
  // An alternative without a declared type is never singled out.
  EXPECT_TRUE(violates(check(R"({"oneOf":[{"minimum":5},{"type":"string"}]})", "4"), "",
                       "must match exactly one of the allowed shapes (matched 0)"));
}

TEST(JsonSchemaComposition, AnyOfPrefersTheAlternativeMatchingTheType) {
  const JsonSchema schema = make(R"({"properties":{"due":{
    "anyOf":[{"type":"string","format":"date"},{"type":"null"}]}}})");
  EXPECT_TRUE(passes(check(schema, R"({"due":"2026-11-22"})")));
  EXPECT_TRUE(passes(check(schema, R"({"due":null})")));
  EXPECT_TRUE(violates(check(schema, R"({"due":"tomorrow"})"), "due",
                       "must be a date in YYYY-MM-DD form"));
  EXPECT_TRUE(violates(check(schema, R"({"due":5})"), "due",
                       "must match at least one of the allowed shapes"));
}

TEST(JsonSchemaComposition, PreferenceLooksThroughRefsAndKeepsInnerPaths) {
  const JsonSchema schema = make(R"({"oneOf":[{"$ref":"#/$defs/card"},{"type":"string"}]})",
                                 R"({"card":{"type":"object","required":["last4"],
                                     "properties":{"last4":{"type":"string","minLength":4}}}})");
  EXPECT_TRUE(passes(check(schema, R"({"last4":"4242"})")));
  EXPECT_TRUE(violates(check(schema, R"({"last4":"42"})"), "last4",
                       "must be at least 4 characters long"));
  EXPECT_TRUE(violates(check(schema, R"({"last4":"42"})", "data.object.source"),
                       "data.object.source.last4", "must be at least 4 characters long"));
  EXPECT_TRUE(violates(check(schema, "3"), "",
                       "must match exactly one of the allowed shapes (matched 0)"));
}

TEST(JsonSchemaComposition, TwoAlternativesOfTheSameTypeGiveTheGenericMessage) {
  const JsonSchema schema = make(R"({"anyOf":[
    {"type":"object","required":["a"]},{"type":"object","required":["b"]}]})");
  EXPECT_TRUE(passes(check(schema, R"({"b":1})")));
  auto v = check(schema, R"({"c":1})");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->path, "");
  EXPECT_EQ(v->message, "must match at least one of the allowed shapes");
}

TEST(JsonSchemaComposition, AllOfAndNot) {
  const JsonSchema all = make(R"({"allOf":[{"type":"integer"},{"minimum":10},{"maximum":20}]})");
  EXPECT_TRUE(passes(check(all, "15")));
  EXPECT_TRUE(violates(check(all, "25"), "", "must be at most 20"));
  EXPECT_TRUE(violates(check(all, "15.5"), "", "must be an integer"));
  const JsonSchema not_empty = make(R"({"type":"string","not":{"const":""}})");
  EXPECT_TRUE(passes(check(not_empty, R"("x")")));
  EXPECT_TRUE(violates(check(not_empty, R"("")"), "", "must not match the disallowed shape"));
}

TEST(JsonSchemaComposition, BooleanSchemas) {
  EXPECT_TRUE(passes(check("true", R"({"anything":[1]})")));
  EXPECT_TRUE(violates(check("false", "1"), "", "is not allowed"));
  const JsonSchema schema = make(R"({"properties":{"legacy":false}})");
  EXPECT_TRUE(passes(check(schema, "{}")));
  EXPECT_TRUE(violates(check(schema, R"({"legacy":0})"), "legacy", "is not allowed"));
}

// --- $ref ---

TEST(JsonSchemaRef, ResolvesAgainstDefs) {
  const JsonSchema schema = make(R"({"properties":{"amount":{"$ref":"#/$defs/money"}}})",
                                 R"({"money":{"type":"integer","minimum":0},
                                     "unused":{"type":"string"}})");
  EXPECT_TRUE(passes(check(schema, R"({"amount":5})")));
  EXPECT_TRUE(violates(check(schema, R"({"amount":-5})"), "amount", "must be at least 0"));
}

TEST(JsonSchemaRef, RecursiveDefsWork) {
  const JsonSchema schema = make(R"({"$ref":"#/$defs/node"})", R"({"node":{
    "type":"object","required":["name"],"additionalProperties":false,
    "properties":{"name":{"type":"string"},
                  "children":{"type":"array","items":{"$ref":"#/$defs/node"}}}}})");
  EXPECT_TRUE(passes(check(schema, R"({"name":"root","children":[
    {"name":"a"},{"name":"b","children":[{"name":"c","children":[]}]}]})")));
  EXPECT_TRUE(violates(check(schema, R"({"name":"root","children":[
    {"name":"a"},{"name":"b","children":[{"name":"c"},{"name":7}]}]})"),
                       "children[1].children[1].name", "must be a string, got integer"));
  EXPECT_TRUE(violates(check(schema, R"({"name":"r","children":[{"children":[]}]})"),
                       "children[0].name", "is required"));
}

TEST(JsonSchemaRef, MutuallyRecursiveDefsAndEscapedNames) {
  const JsonSchema schema = make(R"({"$ref":"#/$defs/a~1b"})", R"({
    "a/b":{"type":"object","properties":{"next":{"$ref":"#/$defs/c"}}},
    "c":{"type":"array","items":{"$ref":"#/$defs/a~1b"}}})");
  EXPECT_TRUE(passes(check(schema, R"({"next":[{"next":[]},{}]})")));
  EXPECT_TRUE(violates(check(schema, R"({"next":[{"next":[1]}]})"), "next[0].next[0]",
                       "must be an object, got integer"));
}

TEST(JsonSchemaRef, UnresolvableRefIsACompileError) {
  const core::Error error = compile_error(R"({"properties":{"x":{"$ref":"#/$defs/nope"}}})",
                                          R"({"yes":{}})");
  EXPECT_TRUE(refused(error, "#/properties/x/$ref"));
  EXPECT_TRUE(refused(error, "\"nope\""));
  EXPECT_TRUE(refused(compile_error(R"({"$ref":"#/definitions/x"})", R"({"x":{}})"),
                      "only references of the form"));
  EXPECT_TRUE(refused(compile_error(R"({"$ref":"https://example.com/s.json"})"),
                      "only references of the form"));
  EXPECT_TRUE(refused(compile_error(R"({"$ref":"#/$defs/x/properties/y"})", R"({"x":{}})"),
                      "only references of the form"));
  // A broken def is reported at its own path.
  EXPECT_TRUE(refused(compile_error(R"({"$ref":"#/$defs/bad"})", R"({"bad":{"type":"strng"}})"),
                      "#/$defs/bad/type"));
}

TEST(JsonSchemaRef, LoopsThatNeverReachAValueAreRefused) {
  EXPECT_TRUE(refused(compile_error(R"({"$ref":"#/$defs/a"})", R"({"a":{"$ref":"#/$defs/a"}})"),
                      "refers back to itself"));
  EXPECT_TRUE(refused(compile_error(R"({"$ref":"#/$defs/a"})",
                                    R"({"a":{"anyOf":[{"type":"string"},{"$ref":"#/$defs/b"}]},
                                        "b":{"allOf":[{"$ref":"#/$defs/a"}]}})"),
                      "refers back to itself"));
}

// --- compile errors ---

TEST(JsonSchemaCompile, UnknownKeywordsAreRefusedByName) {
  const core::Error typo = compile_error(R"({"properties":{"a":{"type":"string","maxLenght":3}}})");
  EXPECT_TRUE(refused(typo, "#/properties/a"));
  EXPECT_TRUE(refused(typo, "unknown keyword \"maxLenght\""));
  EXPECT_TRUE(refused(typo, "did you mean \"maxLength\""));
  EXPECT_TRUE(refused(compile_error(R"({"uniqueItems":true})"),
                      "keyword \"uniqueItems\" is not supported"));
  EXPECT_TRUE(refused(compile_error(R"({"items":{"patternProperties":{}}})"),
                      "#/items: keyword \"patternProperties\""));
  EXPECT_TRUE(refused(compile_error(R"({"frobnicate":1})"), "unknown keyword \"frobnicate\""));
}

std::string pattern_schema(std::string_view pattern) {
  return std::string(R"({"pattern":")") + std::string(pattern) + "\"}";
}

// What libstdc++'s regex compiler cannot take safely (each found by fuzzing: a count overflowing a long,
// a state per repetition, a stack level per group) is refused with a message saying what to change.
TEST(JsonSchemaCompile, PatternsBeyondTheRegexCompilersLimitsAreRefused) {
  struct Case {
    std::string pattern;
    const char* message;
  };
  const std::vector<Case> refusals = {
      {R"(a{1001})", "repeats something more than 1000 times"},
      {R"(a{2,99999999999999999999})", "repeats something more than 1000 times"},
      // \cX takes any X as its control character, so "[" opens no class and the quantifier counts.
      {R"(a\\c[{33333333333333333333})", "repeats something more than 1000 times"},
      {R"([1234567890123456789])", "more than 18 digits in a row"},
      {std::string(33, '(') + "a" + std::string(33, ')'), "nests groups more than 32 deep"},
      {std::string(1001, 'a'), "is 1001 characters long; patterns allow at most 1000"},
  };
  for (const Case& c : refusals) {
    SCOPED_TRACE(c.pattern);
    EXPECT_TRUE(refused(compile_error(pattern_schema(c.pattern)), c.message));
  }
  for (const std::string& pattern :
       {std::string(R"(^a{1000}$)"), std::string(R"(^[0-9]{2,4}$)"), std::string(R"([{]99999)"),
        std::string(R"(\\\\12345)"), std::string(R"(^\\d{10}$)"), std::string(R"(^\\c[a-z]$)"),
        std::string(R"(\\c\\99999)"), std::string(R"(^123456789012345678$)"), std::string(R"([((((]{3})"),
        std::string(32, '(') + "a" + std::string(32, ')'), std::string(1000, 'a')}) {
    SCOPED_TRACE(pattern);
    EXPECT_NO_THROW(make(pattern_schema(pattern)));
  }
}

// Patterns are matched in linear time (libstdc++'s polynomial mode), which has no back-references: one
// is refused by name rather than reported as a broken expression.
TEST(JsonSchemaCompile, BackReferencesAreRefused) {
  for (const char* pattern : {R"(^(x)\\1$)", R"((a)\\1001)", R"(^(x)\\3333333333333333333$)"}) {
    SCOPED_TRACE(pattern);
    EXPECT_TRUE(refused(compile_error(pattern_schema(pattern)), "uses a back-reference"));
  }
  EXPECT_NO_THROW(make(pattern_schema(R"(^a\\0$)")));  // \0 is the NUL character, not a reference
}

// libstdc++'s default matcher recursed once per character and overflowed the stack on a 100,000-digit
// amount; an event's strings are as long as its publisher makes them.
TEST(JsonSchemaString, PatternsMatchLongStringsWithoutDeepRecursion) {
  const JsonSchema amount = make(R"({"type":"string","pattern":"^-?[0-9]+(\\.[0-9]+)?$"})");
  const std::string digits(2'000'000, '7');
  EXPECT_TRUE(passes(check(amount, json::serialize(json::value(digits + ".5")))));
  EXPECT_TRUE(violates(check(amount, json::serialize(json::value(digits + "x"))), "", "must match pattern"));
  const JsonSchema locale = make(R"({"type":"string","pattern":"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"})");
  std::string tags = "en";
  for (int i = 0; i < 200'000; ++i) tags += "-abc";
  EXPECT_TRUE(passes(check(locale, json::serialize(json::value(tags)))));
}

TEST(JsonSchemaCompile, AnnotationsAreIgnored) {
  const JsonSchema schema = make(R"({
    "$schema":"https://json-schema.org/draft/2020-12/schema","$id":"urn:billhook:invoice",
    "title":"Invoice","description":"d","examples":[1],"default":0,"$comment":"c",
    "deprecated":false,"readOnly":true,"writeOnly":false,"x-owner":"billing",
    "$defs":{"ignored":{"type":"string"}},"type":"integer"})");
  EXPECT_TRUE(passes(check(schema, "1")));
  EXPECT_TRUE(violates(check(schema, R"("1")"), "", "must be an integer"));
}

TEST(JsonSchemaCompile, MalformedKeywordValuesAreRefusedWithTheirPath) {
  struct Case {
    const char* schema;
    const char* fragment;
  };
  const std::vector<Case> cases = {
      {R"(5)", "#: a schema must be an object or a boolean"},
      {R"({"type":"strng"})", "#/type: has unknown type \"strng\""},
      {R"({"type":[]})", "#/type"},
      {R"({"type":["string","string"]})", "twice"},
      {R"({"properties":[]})", "#/properties: must be an object"},
      {R"({"properties":{"a":"string"}})", "#/properties/a: a schema must be an object"},
      {R"({"required":"a"})", "#/required"},
      {R"({"required":["a",1]})", "#/required: must contain only strings"},
      {R"({"required":["a","a"]})", "twice"},
      {R"({"additionalProperties":"no"})", "#/additionalProperties"},
      {R"({"items":[{"type":"string"}]})", "#/items"},
      {R"({"minItems":-1})", "#/minItems: must be a non-negative integer"},
      {R"({"maxLength":1.5})", "#/maxLength: must be a non-negative integer"},
      {R"({"enum":[]})", "#/enum"},
      {R"({"minimum":"5"})", "#/minimum: must be a number, got string"},
      {R"({"exclusiveMinimum":true})", "#/exclusiveMinimum: must be a number"},
      {R"({"pattern":"(unclosed"})", "#/pattern: is not a valid ECMAScript regular expression"},
      {R"({"format":"phone"})", "#/format: unknown format \"phone\""},
      {R"({"oneOf":[]})", "#/oneOf"},
      {R"({"anyOf":{}})", "#/anyOf"},
      {R"({"allOf":[{"type":"integer"},{"minimum":"x"}]})", "#/allOf/1/minimum"},
      {R"({"not":3})", "#/not"},
      {R"({"$ref":5})", "#/$ref"},
      {R"({"properties":{"a/b":{"type":"nope"}}})", "#/properties/a~1b/type"},
      {R"({"additionalProperties":false,"properties":{"a":{}},"required":["a","b"]})",
       "#/required: \"b\" is required but not declared"},
  };
  for (const Case& c : cases) {
    EXPECT_TRUE(refused(compile_error(c.schema), c.fragment)) << c.schema;
  }
}

// --- paths and sharing ---

TEST(JsonSchemaPaths, BasePathIsPrefixed) {
  const JsonSchema schema = make(R"({"properties":{"lines":{"items":{
    "properties":{"amount":{"type":"integer"}}}}}})");
  const char* bad = R"({"lines":[{"amount":"1"}]})";
  EXPECT_TRUE(violates(check(schema, bad, "data.object"), "data.object.lines[0].amount",
                       "must be an integer"));
  EXPECT_TRUE(violates(check(schema, bad), "lines[0].amount", "must be an integer"));
  EXPECT_TRUE(violates(check(R"({"type":"object"})", "1"), "", "must be an object"));
  EXPECT_TRUE(violates(make(R"({"type":"object"})").validate(json::value(1), "data.object"),
                       "data.object", "must be an object"));
}

TEST(JsonSchemaSharing, CopiesShareCompiledState) {
  std::optional<JsonSchema> original = make(R"({"type":"string","pattern":"^a"})");
  const JsonSchema copy = *original;
  original.reset();
  EXPECT_TRUE(passes(check(copy, R"("abc")")));
  EXPECT_TRUE(violates(check(copy, R"("bc")"), "", "must match pattern ^a"));
}

TEST(JsonSchemaConcurrency, ValidatesFromFourThreads) {
  const JsonSchema schema = make(R"({
    "type":"object","required":["id","lines"],"additionalProperties":false,
    "properties":{
      "id":{"type":"string","pattern":"^inv_[0-9]+$"},
      "currency":{"type":"string","format":"currency"},
      "lines":{"type":"array","minItems":1,"items":{"$ref":"#/$defs/line"}}}})",
                                 R"({"line":{"type":"object","required":["amount"],
      "properties":{"amount":{"type":"integer","minimum":0},
                    "note":{"anyOf":[{"type":"string","maxLength":10},{"type":"null"}]}}}})");
  const json::value good = json::parse(
      R"({"id":"inv_1","currency":"EUR","lines":[{"amount":1,"note":null},{"amount":2}]})");
  const json::value bad = json::parse(
      R"({"id":"inv_1","currency":"EUR",
          "lines":[{"amount":1},{"amount":2,"note":"far too long"}]})");

  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        if (schema.validate(good)) ++mismatches;
        const auto v = schema.validate(bad, "data.object");
        if (!v || v->path != "data.object.lines[1].note" ||
            v->message != "must be at most 10 characters long") {
          ++mismatches;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace billhook::catalog
