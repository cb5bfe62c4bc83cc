// Described structs and enums: one field list drives JSON out, JSON in (with errors naming the field)
// and the JSON Schema.
#include "core/described.hpp"

#include <gtest/gtest.h>

namespace billhook::core {
namespace {

namespace json = boost::json;

enum class Color { red, light_blue };
BOOST_DESCRIBE_ENUM(Color, red, light_blue)

struct Part {
  std::string sku;
  int64_t quantity = 0;
};
BOOST_DESCRIBE_STRUCT(Part, (), (sku, quantity))

struct Order {
  std::string id;
  Color color = Color::red;
  bool rush = false;
  std::optional<std::string> note;
  std::optional<int64_t> shipped_at;
  std::vector<Part> parts;
  int small = 0;
};
BOOST_DESCRIBE_STRUCT(Order, (), (id, color, rush, note, shipped_at, parts, small))

TEST(Described, EnumNamesBothWays) {
  EXPECT_EQ(described::name_of(Color::light_blue), "light_blue");
  EXPECT_EQ(described::parse<Color>("red"), Color::red);
  EXPECT_EQ(described::parse<Color>("green"), std::nullopt);
  EXPECT_EQ(described::name_of(static_cast<Color>(7)), "");
}

// An enumerator named after a keyword carries a trailing underscore in C++ only.
enum class Fate { open, void_ };
BOOST_DESCRIBE_ENUM(Fate, open, void_)

TEST(Described, EnumNamesDropTheKeywordUnderscore) {
  EXPECT_EQ(described::name_of(Fate::void_), "void");
  EXPECT_EQ(described::parse<Fate>("void"), Fate::void_);
  EXPECT_EQ(described::parse<Fate>("void_"), std::nullopt);
  EXPECT_EQ(described::names_of<Fate>(), (std::vector<std::string_view>{"open", "void"}));
}

TEST(Described, ToJsonKeepsDeclarationOrderAndNulls) {
  const Order order{"ord_1", Color::light_blue, true, std::nullopt, 1700000000, {{"sku_1", 2}}, 7};
  EXPECT_EQ(json::serialize(described::to_json(order)),
            R"({"id":"ord_1","color":"light_blue","rush":true,"note":null,"shipped_at":1700000000,)"
            R"("parts":[{"sku":"sku_1","quantity":2}],"small":7})");
}

TEST(Described, RoundTrips) {
  const Order order{"ord_1", Color::light_blue, false, "gift", std::nullopt, {{"a", 1}, {"b", 3}}, -4};
  auto back = described::from_json<Order>(described::to_json(order));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(json::serialize(described::to_json(*back)), json::serialize(described::to_json(order)));
}

core::Error read_error(std::string_view text) {
  auto read = described::from_json<Order>(json::parse(text).as_object());
  EXPECT_FALSE(read);
  return read ? core::Error::internal("read") : read.error();
}

TEST(Described, ErrorsNameTheField) {
  auto missing = read_error(R"({"color":"red","rush":true,"parts":[],"small":1})");
  EXPECT_EQ(missing.code, "missing_field");
  EXPECT_EQ(missing.param, "id");

  auto nested = read_error(R"({"id":"o","color":"red","rush":true,"parts":[{"sku":"a","quantity":"2"}],"small":1})");
  EXPECT_EQ(nested.code, "invalid_type");
  EXPECT_EQ(nested.param, "parts.0.quantity");
  EXPECT_NE(nested.message.find("must be an integer, got string"), std::string::npos) << nested.message;

  auto color = read_error(R"({"id":"o","color":"green","rush":true,"parts":[],"small":1})");
  EXPECT_EQ(color.code, "invalid_value");
  EXPECT_NE(color.message.find("red, light_blue"), std::string::npos) << color.message;

  auto unknown = read_error(R"({"id":"o","color":"red","rush":true,"parts":[],"small":1,"colour":"red"})");
  EXPECT_EQ(unknown.code, "unknown_parameter");
  EXPECT_EQ(unknown.param, "colour");

  auto range = read_error(R"({"id":"o","color":"red","rush":true,"parts":[],"small":99999999999})");
  EXPECT_EQ(range.code, "out_of_range");
  EXPECT_EQ(range.param, "small");
}

TEST(Described, OptionalMembersMayBeAbsentOrNull) {
  auto read = described::from_json<Order>(
      json::parse(R"({"id":"o","color":"red","rush":false,"note":null,"parts":[],"small":0})").as_object());
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_FALSE(read->note);
  EXPECT_FALSE(read->shipped_at);
}

// A PATCH body: absent leaves a field as it is, null clears it, a value sets it.
struct OrderChange {
  std::optional<std::optional<std::string>> note;
  std::optional<std::optional<Color>> color;
};
BOOST_DESCRIBE_STRUCT(OrderChange, (), (note, color))

TEST(Described, ClearableMembersTellAbsentFromNull) {
  auto absent = described::from_json<OrderChange>(json::object{});
  ASSERT_TRUE(absent);
  EXPECT_FALSE(absent->note.has_value()) << "absent: leave it";
  auto cleared = described::from_json<OrderChange>(json::parse(R"({"note": null})").as_object());
  ASSERT_TRUE(cleared);
  ASSERT_TRUE(cleared->note.has_value()) << "null: clear it";
  EXPECT_FALSE(cleared->note->has_value());
  auto set = described::from_json<OrderChange>(json::parse(R"({"note": "fragile", "color": "red"})").as_object());
  ASSERT_TRUE(set);
  EXPECT_EQ(set->note, std::optional<std::string>("fragile"));
  EXPECT_EQ(set->color, std::optional<Color>(Color::red));
  auto wrong = described::from_json<OrderChange>(json::parse(R"({"note": 3})").as_object());
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().param, "note");
  // Described once, as a nullable field; a nullable enum lists null once.
  const auto schema = described::schema_of<OrderChange>();
  EXPECT_EQ(json::serialize(schema.at("properties").at("note")), R"({"type":"string","nullable":true})");
  EXPECT_EQ(json::serialize(schema.at("properties").at("color").at("enum")), R"(["red","light_blue",null])");
}

TEST(Described, UnknownFieldsCanBeIgnored) {
  auto read = described::from_json<Order>(
      json::parse(R"({"id":"o","color":"red","rush":false,"parts":[],"small":0,"later":1})").as_object(), "",
      described::Unknown::ignore);
  EXPECT_TRUE(read);
}

TEST(Described, SchemaFollowsTheFields) {
  const auto schema = described::schema_of<Order>();
  EXPECT_EQ(json::serialize(schema.at("required")), R"(["id","color","rush","parts","small"])");
  const auto& properties = schema.at("properties").as_object();
  EXPECT_EQ(json::serialize(properties.at("color")), R"({"type":"string","enum":["red","light_blue"]})");
  EXPECT_EQ(json::serialize(properties.at("note")), R"({"type":"string","nullable":true})");
  EXPECT_EQ(properties.at("parts").at("items").at("properties").at("quantity").at("type"), "integer");
}

struct Tagged {
  static constexpr bool described_omit_null = true;
  std::string name;
  std::optional<std::string> reference;
  std::map<std::string, std::string> labels;
};
BOOST_DESCRIBE_STRUCT(Tagged, (), (name, reference, labels))

TEST(Described, OmitNullStructsLeaveEmptyOptionalsOut) {
  EXPECT_EQ(json::serialize(described::to_json(Tagged{"a", std::nullopt, {}})), R"({"name":"a","labels":{}})");
  EXPECT_EQ(json::serialize(described::to_json(Tagged{"a", "r", {{"k", "v"}}})),
            R"({"name":"a","reference":"r","labels":{"k":"v"}})");
  auto back = described::from_json<Tagged>(json::parse(R"({"name":"a","labels":{"k":"v"}})").as_object());
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->reference);
  EXPECT_EQ(back->labels.at("k"), "v");
}

// A struct whose namespace has another JSON form of it (an API form, as billing's documents do).
struct Shown {
  std::string name;
};
BOOST_DESCRIBE_STRUCT(Shown, (), (name))
json::object to_json(const Shown&) { return {{"shown", true}}; }

struct Holder {
  Shown inner;
  std::vector<Shown> list;
  std::optional<Shown> maybe;
};
BOOST_DESCRIBE_STRUCT(Holder, (), (inner, list, maybe))

TEST(Described, NestedMembersUseTheDescriptionNotTheirNamespacesToJson) {
  EXPECT_EQ(json::serialize(to_json(Shown{"a"})), R"({"shown":true})");
  EXPECT_EQ(json::serialize(described::to_json(Holder{{"a"}, {{"b"}}, Shown{"c"}})),
            R"({"inner":{"name":"a"},"list":[{"name":"b"}],"maybe":{"name":"c"}})");
}

TEST(Described, StringMapsAreObjects) {
  auto bad = described::from_json<Tagged>(json::parse(R"({"name":"a","labels":{"k":1}})").as_object());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().param, "labels.k");
  const auto schema = described::schema_of<Tagged>();
  EXPECT_EQ(json::serialize(schema.at("properties").at("labels")),
            R"({"type":"object","additionalProperties":{"type":"string"}})");
}

}  // namespace
}  // namespace billhook::core
