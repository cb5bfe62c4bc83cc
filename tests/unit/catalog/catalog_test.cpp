#include "catalog/catalog.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>

#include <boost/json.hpp>

namespace billhook::catalog {
namespace {

namespace json = boost::json;

const Catalog& builtin() { return Catalog::builtin(); }

// A small, valid catalog document that each rejection test spoils in one place.
json::object minimal_document() {
  return json::parse(R"({
    "api_version": "2030-01-01",
    "categories": [
      {"name": "lifecycle", "description": "Invoices come and go."},
      {"name": "payment", "description": "Money moves."}
    ],
    "$defs": {"amount": {"type": "integer", "minimum": 0}},
    "event_types": [
      {
        "name": "invoice.created", "category": "lifecycle", "description": "An invoice exists.",
        "aggregate": "invoice",
        "schema": {"type": "object", "required": ["id", "total"],
                   "properties": {"id": {"type": "string"}, "total": {"$ref": "#/$defs/amount"}}},
        "example": {"id": "inv_1", "total": 100},
        "aliases": [{"name": "invoice_created", "source": "ezypay"}, {"name": "done", "source": "alpha"}]
      },
      {
        "name": "invoice.paid", "category": "payment", "description": "An invoice is paid.",
        "aggregate": "invoice",
        "schema": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
        "example": {"id": "inv_1"},
        "aliases": [{"name": "invoice_paid", "source": "ezypay"}, {"name": "done", "source": "beta"},
                    {"name": "invoice.created", "source": "gamma"}]
      }
    ]
  })").as_object();
}

json::object& type_at(json::object& doc, size_t index) {
  return doc.at("event_types").as_array().at(index).as_object();
}

// Asserts that parsing fails with an invalid_catalog error whose message contains `fragment`.
::testing::AssertionResult rejected(const json::object& doc, std::string_view fragment) {
  auto parsed = Catalog::parse(json::serialize(doc));
  if (parsed.ok()) return ::testing::AssertionFailure() << "the catalog was accepted";
  const auto& e = parsed.error();
  if (e.code != "invalid_catalog" || e.message.find(fragment) == std::string::npos)
    return ::testing::AssertionFailure() << "code '" << e.code << "' message '" << e.message
                                         << "' does not contain '" << fragment << "'";
  return ::testing::AssertionSuccess();
}

TEST(BuiltinCatalog, Loads) {
  const Catalog& c = builtin();
  EXPECT_EQ(c.api_version(), "2026-11-01");
  EXPECT_GE(c.types().size(), 90u);
  EXPECT_TRUE(c.has_category("operational"));
  EXPECT_FALSE(c.has_category("nonsense"));
  for (const char* name : {"invoice.paid", "invoice.created", "invoice.finalized", "endpoint.disabled",
                           "endpoint.enabled", "delivery.exhausted"})
    EXPECT_NE(c.find(name), nullptr) << name;
}

TEST(BuiltinCatalog, EveryEntryIsCompleteAndUnique) {
  std::set<std::string> names;
  for (const auto& t : builtin().types()) {
    EXPECT_TRUE(names.insert(t.name).second) << "listed twice: " << t.name;
    EXPECT_TRUE(builtin().has_category(t.category)) << t.name << ": " << t.category;
    EXPECT_FALSE(t.description.empty()) << t.name;
    EXPECT_FALSE(t.aggregate.empty()) << t.name;
    EXPECT_EQ(builtin().find(t.name), &t) << t.name;
  }
}

TEST(BuiltinCatalog, EveryExampleValidatesAgainstItsSchema) {
  for (const auto& t : builtin().types()) {
    ASSERT_TRUE(t.schema.has_value()) << t.name;
    const auto violation = t.schema->validate(t.example, "example");
    EXPECT_FALSE(violation.has_value()) << t.name << ": " << violation->path << " " << violation->message;
    // Compiled afresh from what catalog.json says, the schema agrees.
    auto recompiled = JsonSchema::compile(t.schema_json, builtin().defs());
    ASSERT_TRUE(recompiled.ok()) << t.name << ": " << recompiled.error().message;
    EXPECT_FALSE(recompiled->validate(t.example).has_value()) << t.name;
  }
}

TEST(BuiltinCatalog, EveryStandaloneSchemaDocumentValidatesItsExampleWithNoOutsideDefs) {
  for (const auto& t : builtin().types()) {
    ASSERT_TRUE(t.schema_document.is_object()) << t.name;
    const auto& document = t.schema_document.as_object();
    json::object own_defs;
    if (const auto* defs = document.if_contains("$defs")) own_defs = defs->as_object();
    auto compiled = JsonSchema::compile(t.schema_document, own_defs);
    ASSERT_TRUE(compiled.ok()) << t.name << ": " << compiled.error().message;
    const auto violation = compiled->validate(t.example);
    EXPECT_FALSE(violation.has_value()) << t.name << ": " << violation->path << " " << violation->message;
  }
}

TEST(BuiltinCatalog, SchemasRejectAnEmptyObjectWhereTheExampleHasRequiredFields) {
  // A schema that accepts anything would make the example check meaningless.
  const auto* paid = builtin().find("invoice.paid");
  ASSERT_NE(paid, nullptr);
  EXPECT_TRUE(paid->schema->validate(json::object()).has_value());
  EXPECT_TRUE(paid->schema->validate(json::value("not an object")).has_value());
}

TEST(BuiltinCatalog, ResolvesCanonicalNames) {
  const auto* t = builtin().resolve("invoice.payment_failed");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->name, "invoice.payment_failed");
  EXPECT_EQ(builtin().resolve("invoice.nope"), nullptr);
  EXPECT_EQ(builtin().resolve(""), nullptr);
}

TEST(BuiltinCatalog, ResolvesUnambiguousAliases) {
  const auto* paid = builtin().resolve("invoice_paid");
  ASSERT_NE(paid, nullptr);
  EXPECT_EQ(paid->name, "invoice.paid");
  const auto* action = builtin().resolve("Invoice payment 3D required");
  ASSERT_NE(action, nullptr);
  EXPECT_EQ(action->name, "invoice.payment_action_required");
  // find() is for canonical names only.
  EXPECT_EQ(builtin().find("invoice_paid"), nullptr);
}

TEST(BuiltinCatalog, AnAliasThatIsAlsoACanonicalNameResolvesToTheCanonicalType) {
  const auto* created = builtin().resolve("invoice.created");
  ASSERT_NE(created, nullptr);
  EXPECT_EQ(created->name, "invoice.created");

  const auto* lago = builtin().find_alias("lago", "invoice.created");
  ASSERT_NE(lago, nullptr);
  EXPECT_EQ(lago->name, "invoice.finalized");
  const auto* calmony = builtin().find_alias("calmony", "invoice.created");
  ASSERT_NE(calmony, nullptr);
  EXPECT_EQ(calmony->name, "invoice.created");
  EXPECT_EQ(builtin().find_alias("stripe-ish", "invoice.created"), nullptr);
  EXPECT_EQ(builtin().find_alias("lago", "invoice_paid"), nullptr);
}

TEST(CatalogParse, AcceptsTheMinimalDocument) {
  auto parsed = Catalog::parse(json::serialize(minimal_document()));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->api_version(), "2030-01-01");
  ASSERT_EQ(parsed->types().size(), 2u);
  EXPECT_EQ(parsed->categories().size(), 2u);
  ASSERT_NE(parsed->resolve("invoice_paid"), nullptr);
  EXPECT_EQ(parsed->resolve("invoice_paid")->name, "invoice.paid");
}

TEST(CatalogParse, AnAliasWithTwoMeaningsAcrossSourcesResolvesOnlyWithItsSource) {
  auto parsed = Catalog::parse(json::serialize(minimal_document()));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->resolve("done"), nullptr);
  ASSERT_NE(parsed->find_alias("alpha", "done"), nullptr);
  EXPECT_EQ(parsed->find_alias("alpha", "done")->name, "invoice.created");
  ASSERT_NE(parsed->find_alias("beta", "done"), nullptr);
  EXPECT_EQ(parsed->find_alias("beta", "done")->name, "invoice.paid");
  // gamma's "invoice.created" means invoice.paid, but the canonical name wins in resolve().
  EXPECT_EQ(parsed->resolve("invoice.created")->name, "invoice.created");
  EXPECT_EQ(parsed->find_alias("gamma", "invoice.created")->name, "invoice.paid");
}

TEST(CatalogParse, StandaloneSchemaCarriesOnlyTheDefsItUses) {
  json::object doc = minimal_document();
  doc["$defs"].as_object()["unused"] = json::parse(R"({"type": "string"})");
  doc["$defs"].as_object()["money"] = json::parse(R"({"$ref": "#/$defs/amount"})");
  type_at(doc, 0)["schema"].as_object()["properties"].as_object()["total"] = json::parse(R"({"$ref": "#/$defs/money"})");
  auto parsed = Catalog::parse(json::serialize(doc));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  const auto& created = parsed->find("invoice.created")->schema_document.as_object();
  ASSERT_TRUE(created.contains("$defs"));
  EXPECT_EQ(created.at("$defs"), json::parse(R"({"amount": {"type": "integer", "minimum": 0},
                                                 "money": {"$ref": "#/$defs/amount"}})"));
  EXPECT_EQ(created.at("required"), json::parse(R"(["id", "total"])"));
  EXPECT_FALSE(parsed->find("invoice.paid")->schema_document.as_object().contains("$defs"));
}

TEST(CatalogParse, RejectsDuplicateEventTypeNames) {
  json::object doc = minimal_document();
  type_at(doc, 1)["name"] = "invoice.created";
  type_at(doc, 1)["aliases"] = json::array();
  EXPECT_TRUE(rejected(doc, "event type listed twice: invoice.created"));
}

TEST(CatalogParse, RejectsDuplicateCategories) {
  json::object doc = minimal_document();
  doc["categories"].as_array().push_back(json::parse(R"({"name": "payment", "description": "again"})"));
  EXPECT_TRUE(rejected(doc, "category listed twice: payment"));
}

TEST(CatalogParse, RejectsAnUnknownCategory) {
  json::object doc = minimal_document();
  type_at(doc, 1)["category"] = "refunds";
  EXPECT_TRUE(rejected(doc, "event type invoice.paid: category 'refunds' is not listed"));
}

TEST(CatalogParse, RejectsAnExampleThatDoesNotMatchItsSchema) {
  json::object doc = minimal_document();
  type_at(doc, 0)["example"] = json::parse(R"({"id": "inv_1", "total": "100"})");
  EXPECT_TRUE(rejected(doc, "event type invoice.created: example.total"));

  json::object missing = minimal_document();
  type_at(missing, 0)["example"] = json::parse(R"({"total": 1})");
  EXPECT_TRUE(rejected(missing, "event type invoice.created"));
  EXPECT_TRUE(rejected(missing, "id"));
}

TEST(CatalogParse, RejectsAnAliasNamingTwoTypesInOneSource) {
  json::object doc = minimal_document();
  type_at(doc, 1)["aliases"].as_array().push_back(json::parse(R"({"name": "invoice_created", "source": "ezypay"})"));
  EXPECT_TRUE(rejected(doc, "alias 'invoice_created' of source ezypay names two event types"));
}

TEST(CatalogParse, RejectsIncompleteEntries) {
  json::object no_description = minimal_document();
  type_at(no_description, 0).erase("description");
  EXPECT_TRUE(rejected(no_description, "event type invoice.created: 'description' must be a non-empty string"));

  json::object no_example = minimal_document();
  type_at(no_example, 1).erase("example");
  EXPECT_TRUE(rejected(no_example, "event type invoice.paid: 'example' is missing"));

  json::object no_version = minimal_document();
  no_version.erase("api_version");
  EXPECT_TRUE(rejected(no_version, "'api_version' must be a non-empty string"));
}

TEST(CatalogParse, RejectsASchemaThatDoesNotCompile) {
  json::object doc = minimal_document();
  type_at(doc, 0)["schema"] = json::parse(R"({"type": "object", "properties": {"total": {"$ref": "#/$defs/nope"}}})");
  EXPECT_TRUE(rejected(doc, "event type invoice.created"));
}

TEST(CatalogParse, RejectsTextThatIsNotACatalogDocument) {
  auto malformed = Catalog::parse("{\"api_version\": ");
  ASSERT_FALSE(malformed.ok());
  EXPECT_EQ(malformed.error().code, "invalid_catalog");
  EXPECT_NE(malformed.error().message.find("catalog.json"), std::string::npos);

  auto array = Catalog::parse("[]");
  ASSERT_FALSE(array.ok());
  EXPECT_NE(array.error().message.find("must be an object"), std::string::npos);
}

}  // namespace
}  // namespace billhook::catalog
