#include "events/filter.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.hpp"

namespace billhook::events {
namespace {

using Strings = std::vector<std::string>;

const catalog::Catalog& cat() { return catalog::Catalog::builtin(); }

const catalog::EventType& type(std::string_view name) {
  const auto* t = cat().find(name);
  if (!t) throw std::runtime_error("the built-in catalog has no " + std::string(name));
  return *t;
}

core::Result<Subscription> normalize(Strings event_types, Strings categories = {}) {
  return normalize_subscription(cat(), std::move(event_types), std::move(categories));
}

// Seed 000 groups its triggers in eight categories of its own; an endpoint subscribes by one, by name
// or by the seed's title, and receives exactly its triggers.
TEST(NormalizeSubscription, SeedCategoriesExpandToTheirEventTypes) {
  auto by_title = normalize({}, {"Invoice payment processing"});
  ASSERT_TRUE(by_title) << by_title.error().message;
  EXPECT_TRUE(by_title->categories.empty());
  EXPECT_EQ(by_title->event_types.size(), 9u);
  EXPECT_TRUE(subscribes_to(by_title->event_types, by_title->categories, type("invoice.payment_method_expired")));
  EXPECT_TRUE(subscribes_to(by_title->event_types, by_title->categories, type("invoice.paid")));
  EXPECT_FALSE(subscribes_to(by_title->event_types, by_title->categories, type("invoice.refunded")));

  auto by_name = normalize({"invoice.paid"}, {"commission_automation", "file_generation_sharing"});
  ASSERT_TRUE(by_name) << by_name.error().message;
  EXPECT_EQ(by_name->event_types,
            (Strings{"invoice.paid", "commission.calculation_attempted", "invoice.payment_capture_failed",
                     "invoice.pdf_generated", "invoice.pdf_regenerated", "invoice.shared"}));
  // Every seed 000 trigger is in one of its categories.
  size_t covered = 0;
  for (const auto& t : cat().types())
    for (const auto& alias : t.aliases)
      if (alias.source == "seed000") {
        bool found = false;
        for (const auto& sc : cat().seed_categories())
          found = found || std::find(sc.event_types.begin(), sc.event_types.end(), t.name) != sc.event_types.end();
        EXPECT_TRUE(found) << t.name;
        ++covered;
      }
  EXPECT_GE(covered, 30u);
  EXPECT_FALSE(normalize({}, {"Invoice gossip"}));
}

TEST(NormalizeSubscription, KeepsCanonicalNames) {
  auto s = normalize({"invoice.paid", "customer.created"});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->event_types, (Strings{"invoice.paid", "customer.created"}));
  EXPECT_TRUE(s->categories.empty());
}

TEST(NormalizeSubscription, RewritesSeedAliasesToCanonicalNames) {
  auto s = normalize({"invoice_paid", "Invoice payment 3D required", "INVOICE_PAYMENT_FAILED"});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->event_types,
            (Strings{"invoice.paid", "invoice.payment_action_required", "invoice.payment_failed"}));
}

TEST(NormalizeSubscription, ANameThatIsBothCanonicalAndAnotherSourcesAliasMeansTheCanonicalType) {
  // Lago calls invoice.finalized "invoice.created"; the canonical name wins.
  auto s = normalize({"invoice.created"});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->event_types, (Strings{"invoice.created"}));
}

TEST(NormalizeSubscription, KeepsWildcards) {
  auto s = normalize({"invoice.*", "*", "invoice_batch.*"});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->event_types, (Strings{"invoice.*", "*", "invoice_batch.*"}));
}

TEST(NormalizeSubscription, WildcardMatchingNothingNamesItsEntry) {
  auto s = normalize({"invoice.paid", "nosuchthing.*"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, core::ErrorKind::invalid_request);
  EXPECT_EQ(s.error().code, "unknown_event_type");
  EXPECT_EQ(s.error().param, "event_types[1]");
  EXPECT_NE(s.error().message.find("'nosuchthing.*' matches no event type"), std::string::npos) << s.error().message;
}

TEST(NormalizeSubscription, WildcardOnAFullNameMatchesNothing) {
  auto s = normalize({"invoice.paid.*"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().param, "event_types[0]");
  EXPECT_EQ(s.error().code, "unknown_event_type");
}

TEST(NormalizeSubscription, UnknownNameNamesItsEntry) {
  for (const char* bad : {"invoice.pai", "invoice*", ".*", "", "INVOICE.PAID"}) {
    auto s = normalize({"invoice.paid", "invoice.*", bad});
    ASSERT_FALSE(s.ok()) << "'" << bad << "' was accepted";
    EXPECT_EQ(s.error().code, "unknown_event_type") << bad;
    EXPECT_EQ(s.error().param, "event_types[2]") << bad;
    EXPECT_NE(s.error().message.find("'" + std::string(bad) + "' is not an event type"), std::string::npos)
        << s.error().message;
  }
}

TEST(NormalizeSubscription, UnknownCategoryNamesItsEntry) {
  auto s = normalize({}, {"payment", "refunds"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, core::ErrorKind::invalid_request);
  EXPECT_EQ(s.error().code, "unknown_category");
  EXPECT_EQ(s.error().param, "categories[1]");
  EXPECT_NE(s.error().message.find("'refunds' is not an event category"), std::string::npos) << s.error().message;
}

TEST(NormalizeSubscription, KnownCategoriesAreKept) {
  auto s = normalize({}, {"payment", "operational"});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->categories, (Strings{"payment", "operational"}));
}

TEST(NormalizeSubscription, RemovesDuplicatesIncludingAliasesOfTheSameType) {
  auto s = normalize({"invoice.paid", "invoice_paid", "invoice.*", "Invoice paid", "invoice.*"},
                     {"payment", "refund", "payment"});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->event_types, (Strings{"invoice.paid", "invoice.*"}));
  EXPECT_EQ(s->categories, (Strings{"payment", "refund"}));
}

TEST(NormalizeSubscription, EchoesAtMost100CharactersOfAnUnknownName) {
  auto s = normalize({std::string(5000, 'q')});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message.find(std::string(101, 'q')), std::string::npos);
}

TEST(DefaultToEverything, EmptySubscriptionReceivesEverything) {
  Subscription s;
  default_to_everything(s);
  EXPECT_EQ(s.event_types, (Strings{"*"}));
  EXPECT_TRUE(s.categories.empty());
}

TEST(DefaultToEverything, LeavesANonEmptySubscriptionAlone) {
  Subscription only_categories{{}, {"payment"}};
  default_to_everything(only_categories);
  EXPECT_TRUE(only_categories.event_types.empty());
  EXPECT_EQ(only_categories.categories, (Strings{"payment"}));

  Subscription only_types{{"invoice.paid"}, {}};
  default_to_everything(only_types);
  EXPECT_EQ(only_types.event_types, (Strings{"invoice.paid"}));
}

TEST(SubscribesTo, ExactName) {
  EXPECT_TRUE(subscribes_to({"invoice.paid"}, {}, type("invoice.paid")));
  EXPECT_FALSE(subscribes_to({"invoice.paid"}, {}, type("invoice.payment_failed")));
  EXPECT_FALSE(subscribes_to({}, {}, type("invoice.paid")));
}

TEST(SubscribesTo, Wildcards) {
  EXPECT_TRUE(subscribes_to({"invoice.*"}, {}, type("invoice.paid")));
  EXPECT_TRUE(subscribes_to({"invoice.*"}, {}, type("invoice.payment_failed")));
  EXPECT_FALSE(subscribes_to({"invoice.*"}, {}, type("customer.created")));
  EXPECT_TRUE(subscribes_to({"*"}, {}, type("customer.created")));
  EXPECT_TRUE(subscribes_to({"*"}, {}, type("endpoint.disabled")));
}

TEST(SubscribesTo, InvoiceWildcardDoesNotMatchInvoiceBatch) {
  EXPECT_FALSE(subscribes_to({"invoice.*"}, {}, type("invoice_batch.created")));
  EXPECT_TRUE(subscribes_to({"invoice_batch.*"}, {}, type("invoice_batch.created")));
  EXPECT_FALSE(subscribes_to({"invoice_batch.*"}, {}, type("invoice.created")));
}

TEST(SubscribesTo, Category) {
  EXPECT_TRUE(subscribes_to({}, {"payment"}, type("invoice.paid")));
  EXPECT_TRUE(subscribes_to({}, {"customer", "payment"}, type("invoice.payment_failed")));
  EXPECT_FALSE(subscribes_to({}, {"payment"}, type("invoice.created")));
  EXPECT_TRUE(subscribes_to({"customer.created"}, {"payment"}, type("invoice.paid")));
  EXPECT_TRUE(subscribes_to({"customer.created"}, {"payment"}, type("customer.created")));
}

}  // namespace
}  // namespace billhook::events
