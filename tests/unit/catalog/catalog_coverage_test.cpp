// The built-in catalog covers every event the seed documents name (CATALOG.md §2.1), under the canonical
// name CATALOG.md gives it, plus the canonical events named in no seed and billhook's operational events.

#include "catalog/catalog.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace billhook::catalog {
namespace {

struct SeedEvent {
  std::string_view source;     // seed000, calmony, ezypay, lago, rapyd
  std::string_view name;       // exactly as the seed document writes it
  std::string_view canonical;  // CATALOG.md §2.1
};

// CATALOG.md §2.1, row by row. S0 lists "Invoice paid" in two sections; it is one alias.
constexpr SeedEvent kSeedEvents[] = {
    // S0 – seeds/000: a billing platform's invoice triggers, by their human-readable names.
    {"seed000", "Invoice created", "invoice.created"},
    {"seed000", "Invoice adjusted", "invoice.adjusted"},
    {"seed000", "Invoice paid", "invoice.paid"},
    {"seed000", "Invoice cancelled", "invoice.voided"},
    {"seed000", "Invoice credited", "invoice.credited"},
    {"seed000", "Invoice duplicated", "invoice.duplicated"},
    {"seed000", "Invoice updated due date", "invoice.due_date_updated"},
    {"seed000", "Invoice refreshed", "invoice.refreshed"},
    {"seed000", "Invoice paid with next card", "invoice.paid_with_fallback_method"},
    {"seed000", "Invoice payment failed", "invoice.payment_failed"},
    {"seed000", "Invoice payment missing data", "invoice.payment_missing_data"},
    {"seed000", "Invoice payment swapped", "invoice.payment_method_swapped"},
    {"seed000", "Invoice payment card expired", "invoice.payment_method_expired"},
    {"seed000", "Invoice payment method type resolved", "invoice.payment_method_resolved"},
    {"seed000", "Invoice payment restored", "invoice.payment_method_restored"},
    {"seed000", "Invoice payment 3D required", "invoice.payment_action_required"},
    {"seed000", "Invoice refund requested", "invoice.refund_requested"},
    {"seed000", "Invoice refunded", "invoice.refunded"},
    {"seed000", "Invoice transaction refund failed in pro rata", "invoice.refund_failed"},
    {"seed000", "Invoice refund webhook confirmed", "invoice.refund_confirmed"},
    {"seed000", "Invoice overdue notification", "invoice.overdue_reminder"},
    {"seed000", "Invoice pre due notification", "invoice.will_be_due"},
    {"seed000", "Proforma created", "proforma.created"},
    {"seed000", "Proforma cancelled", "proforma.voided"},
    {"seed000", "Proforma credited", "proforma.credited"},
    {"seed000", "Basket abandoned", "basket.abandoned"},
    {"seed000", "Invoice attempted commission calculation", "commission.calculation_attempted"},
    {"seed000", "Invoice capture failed", "invoice.payment_capture_failed"},
    {"seed000", "Invoice PDF generated", "invoice.pdf_generated"},
    {"seed000", "Invoice PDF regenerated", "invoice.pdf_regenerated"},
    {"seed000", "Invoice shared", "invoice.shared"},

    // S1 – seeds/001: Calmony Pay.
    {"calmony", "invoice.created", "invoice.created"},
    {"calmony", "invoice.paid", "invoice.paid"},
    {"calmony", "invoice.payment_failed", "invoice.payment_failed"},

    // S2 – seeds/002: Ezypay.
    {"ezypay", "customer_create", "customer.created"},
    {"ezypay", "customer_update", "customer.updated"},
    {"ezypay", "invoice_created", "invoice.created"},
    {"ezypay", "invoice_past_due", "invoice.overdue"},
    {"ezypay", "invoice_paid", "invoice.paid"},
    {"ezypay", "invoice_batch_created", "invoice_batch.created"},
    {"ezypay", "invoice_batch_processing", "invoice_batch.processing"},
    {"ezypay", "invoice_batch_success", "invoice_batch.succeeded"},
    {"ezypay", "invoice_batch_invoice_failed", "invoice_batch.failed"},
    {"ezypay", "subscription_create", "subscription.created"},
    {"ezypay", "subscription_cancel", "subscription.canceled"},
    {"ezypay", "subscription_activate", "subscription.activated"},
    {"ezypay", "subscription_completed", "subscription.completed"},
    {"ezypay", "subscription_reactivate", "subscription.reactivated"},
    {"ezypay", "subscription_stopped", "subscription.collection_stopped"},
    {"ezypay", "payment_method_invalid", "payment_method.invalidated"},
    {"ezypay", "payment_method_valid", "payment_method.validated"},
    {"ezypay", "payment_method_linked", "payment_method.attached"},
    {"ezypay", "payment_method_replaced", "payment_method.replaced"},
    {"ezypay", "payment_method_changed", "payment_method.default_changed"},
    {"ezypay", "credit_note_created", "credit_note.created"},
    {"ezypay", "credit_note_paid", "credit_note.paid"},
    {"ezypay", "credit_note_failed", "credit_note.refund_failed"},
    {"ezypay", "partner_invoice_created", "partner_invoice.created"},
    {"ezypay", "partner_invoice_paid", "partner_invoice.paid"},
    {"ezypay", "partner_invoice_past_due", "partner_invoice.overdue"},
    {"ezypay", "transaction_settled", "payment.settled"},

    // S3 – seeds/003: the "Flexprice" list, in Lago's vocabulary. Its invoice.created means finalized.
    {"lago", "billable_metric.created", "billable_metric.created"},
    {"lago", "billable_metric.updated", "billable_metric.updated"},
    {"lago", "billable_metric.archived", "billable_metric.archived"},
    {"lago", "customer.created", "customer.created"},
    {"lago", "customer.updated", "customer.updated"},
    {"lago", "customer.payment_provider_created", "customer.payment_provider_synced"},
    {"lago", "customer.payment_provider_error", "customer.payment_provider_sync_failed"},
    {"lago", "customer.checkout_url_generated", "customer.checkout_url_generated"},
    {"lago", "subscription.started", "subscription.activated"},
    {"lago", "subscription.terminated", "subscription.terminated"},
    {"lago", "subscription.trial_ended", "subscription.trial_ended"},
    {"lago", "subscription.usage_threshold_reached", "subscription.usage_threshold_reached"},
    {"lago", "invoice.drafted", "invoice.created"},
    {"lago", "invoice.created", "invoice.finalized"},
    {"lago", "invoice.one_off_created", "invoice.created"},
    {"lago", "invoice.generated", "invoice.pdf_generated"},
    {"lago", "invoice.payment_status_updated", "invoice.payment_status_updated"},
    {"lago", "invoice.payment_failure", "invoice.payment_failed"},
    {"lago", "invoice.payment_overdue", "invoice.overdue"},
    {"lago", "invoice.voided", "invoice.voided"},
    {"lago", "wallet.created", "wallet.created"},
    {"lago", "wallet.updated", "wallet.updated"},
    {"lago", "wallet.terminated", "wallet.terminated"},
    {"lago", "wallet.depleted_ongoing_balance", "wallet.balance_depleted"},
    {"lago", "wallet_transaction.updated", "wallet_transaction.updated"},
    {"lago", "wallet_transaction.payment_failure", "wallet_transaction.payment_failed"},
    {"lago", "credit_note.created", "credit_note.created"},
    {"lago", "credit_note.generated", "credit_note.pdf_generated"},
    {"lago", "credit_note.refund_failure", "credit_note.refund_failed"},
    {"lago", "fee.created", "fee.created"},
    {"lago", "events.errors", "usage_event.validation_failed"},

    // S4 – seeds/004: Rapyd.
    {"rapyd", "INVOICE_PAYMENT_CREATED", "invoice.payment_created"},
};

// Names the providers use besides the seeds' own, which CATALOG.md records under S2 and S4.
constexpr SeedEvent kDocumentedAlternatives[] = {
    {"ezypay", "subscription_created", "subscription.created"},
    {"ezypay", "SUBSCRIPTION_PAYMENT_STOPPED", "subscription.collection_stopped"},
    {"ezypay", "subscription_payment_reactivated", "subscription.reactivated"},
    {"rapyd", "INVOICE_CREATED", "invoice.created"},
    {"rapyd", "INVOICE_FINALIZED", "invoice.finalized"},
    {"rapyd", "INVOICE_PAYMENT_FAILED", "invoice.payment_failed"},
    {"rapyd", "INVOICE_PAYMENT_SUCCEEDED", "invoice.payment_succeeded"},
    {"rapyd", "INVOICE_UPDATED", "invoice.updated"},
};

struct ExpectedType {
  std::string_view name;
  std::string_view category;
  std::string_view aggregate;
};

// Canonical events CATALOG.md §2.2 needs for completeness although no seed names them.
constexpr ExpectedType kNoSeedEvents[] = {
    {"invoice.upcoming", "lifecycle", "subscription"},  // a preview with no invoice id yet
    {"invoice.updated", "lifecycle", "invoice"},
    {"invoice.finalization_failed", "lifecycle", "invoice"},
    {"invoice.marked_uncollectible", "lifecycle", "invoice"},
    {"invoice.deleted", "lifecycle", "invoice"},
    {"invoice.payment_retry_scheduled", "payment", "invoice"},
    {"invoice.payment_succeeded", "payment", "invoice"},
    {"invoice.partially_paid", "payment", "invoice"},
    {"invoice.overpaid", "payment", "invoice"},
    {"invoice.dispute_opened", "refund", "invoice"},
    {"invoice.dispute_won", "refund", "invoice"},
    {"invoice.dispute_lost", "refund", "invoice"},
    {"proforma.converted", "proforma", "invoice"},
    {"credit_note.voided", "credit_note", "credit_note"},
};

// billhook's own events about its endpoints and deliveries.
constexpr ExpectedType kOperationalEvents[] = {
    {"delivery.exhausted", "operational", "delivery"},
    {"endpoint.disabled", "operational", "endpoint"},
    {"endpoint.enabled", "operational", "endpoint"},
};

// CATALOG.md §2.2: the category of every invoice event a seed names (proforma.* and partner_invoice.*
// take the proforma and partner categories whole).
constexpr ExpectedType kSeedInvoiceEventCategories[] = {
    {"invoice.created", "lifecycle", "invoice"},
    {"invoice.finalized", "lifecycle", "invoice"},
    {"invoice.refreshed", "lifecycle", "invoice"},
    {"invoice.adjusted", "lifecycle", "invoice"},
    {"invoice.due_date_updated", "lifecycle", "invoice"},
    {"invoice.duplicated", "lifecycle", "invoice"},
    {"invoice.voided", "lifecycle", "invoice"},
    {"invoice.credited", "credit", "invoice"},
    {"invoice.paid", "payment", "invoice"},
    {"invoice.payment_created", "payment", "invoice"},
    {"invoice.payment_failed", "payment", "invoice"},
    {"invoice.payment_action_required", "payment", "invoice"},
    {"invoice.paid_with_fallback_method", "payment", "invoice"},
    {"invoice.payment_missing_data", "payment", "invoice"},
    {"invoice.payment_method_swapped", "payment", "invoice"},
    {"invoice.payment_method_expired", "payment", "invoice"},
    {"invoice.payment_method_resolved", "payment", "invoice"},
    {"invoice.payment_method_restored", "payment", "invoice"},
    {"invoice.payment_capture_failed", "payment", "invoice"},
    {"invoice.payment_status_updated", "payment", "invoice"},
    {"invoice.refund_requested", "refund", "invoice"},
    {"invoice.refunded", "refund", "invoice"},
    {"invoice.refund_confirmed", "refund", "invoice"},
    {"invoice.refund_failed", "refund", "invoice"},
    {"invoice.will_be_due", "reminder", "invoice"},
    {"invoice.overdue", "reminder", "invoice"},
    {"invoice.overdue_reminder", "reminder", "invoice"},
    {"invoice.pdf_generated", "document", "invoice"},
    {"invoice.pdf_regenerated", "document", "invoice"},
    {"invoice.shared", "document", "invoice"},
    {"proforma.created", "proforma", "invoice"},
    {"proforma.credited", "proforma", "invoice"},
    {"proforma.voided", "proforma", "invoice"},
    {"partner_invoice.created", "partner", "invoice"},
    {"partner_invoice.paid", "partner", "invoice"},
    {"partner_invoice.overdue", "partner", "invoice"},
};

const std::set<std::string_view> kCategories = {
    // invoice events (CATALOG.md §2.2)
    "lifecycle", "credit", "payment", "refund", "reminder", "document", "proforma", "partner",
    // one per other domain
    "customer", "payment_method", "credit_note", "subscription", "wallet", "invoice_batch", "billable_metric",
    "fee", "usage", "basket", "commission", "settlement",
    // billhook's own
    "operational",
};

bool has_alias(const EventType& type, std::string_view source, std::string_view name) {
  return std::any_of(type.aliases.begin(), type.aliases.end(),
                     [&](const Alias& a) { return a.source == source && a.name == name; });
}

void expect_resolves(const Catalog& catalog, const SeedEvent& seed) {
  const EventType* type = catalog.find_alias(seed.source, seed.name);
  if (type == nullptr) {
    ADD_FAILURE() << seed.source << " event \"" << seed.name << "\" is not an alias of any event type (expected "
                  << seed.canonical << ")";
    return;
  }
  EXPECT_EQ(type->name, seed.canonical)
      << seed.source << " event \"" << seed.name << "\" maps to " << type->name << ", expected " << seed.canonical;
}

void expect_type(const Catalog& catalog, const ExpectedType& expected) {
  const EventType* type = catalog.find(expected.name);
  if (type == nullptr) {
    ADD_FAILURE() << "event type " << expected.name << " is missing from the catalog";
    return;
  }
  EXPECT_EQ(type->category, expected.category) << "category of " << expected.name;
  EXPECT_EQ(type->aggregate, expected.aggregate) << "aggregate of " << expected.name;
  EXPECT_FALSE(type->description.empty()) << expected.name << " has no description";
}

TEST(CatalogCoverage, SeedTableHoldsEveryRowOfCatalogSection2_1) {
  std::map<std::string_view, std::size_t> per_source;
  std::set<std::pair<std::string_view, std::string_view>> distinct;
  for (const SeedEvent& seed : kSeedEvents) {
    ++per_source[seed.source];
    EXPECT_TRUE(distinct.emplace(seed.source, seed.name).second) << "listed twice: " << seed.name;
  }
  EXPECT_EQ(per_source["seed000"], 31u);
  EXPECT_EQ(per_source["calmony"], 3u);
  EXPECT_EQ(per_source["ezypay"], 27u);
  EXPECT_EQ(per_source["lago"], 31u);
  EXPECT_EQ(per_source["rapyd"], 1u);
  EXPECT_EQ(std::size(kSeedEvents), 93u);
}

TEST(CatalogCoverage, EverySeedEventResolvesToItsCanonicalType) {
  const Catalog& catalog = Catalog::builtin();
  for (const SeedEvent& seed : kSeedEvents) expect_resolves(catalog, seed);
}

TEST(CatalogCoverage, EverySeedEventIsRecordedOnItsCanonicalType) {
  const Catalog& catalog = Catalog::builtin();
  for (const SeedEvent& seed : kSeedEvents) {
    const EventType* type = catalog.find(seed.canonical);
    if (type == nullptr) {
      ADD_FAILURE() << "canonical event type " << seed.canonical << " (" << seed.source << " \"" << seed.name
                    << "\") is missing from the catalog";
      continue;
    }
    EXPECT_TRUE(has_alias(*type, seed.source, seed.name))
        << type->name << " does not list the " << seed.source << " alias \"" << seed.name << "\"";
  }
}

TEST(CatalogCoverage, DocumentedAlternativeNamesResolve) {
  const Catalog& catalog = Catalog::builtin();
  for (const SeedEvent& alternative : kDocumentedAlternatives) expect_resolves(catalog, alternative);
}

TEST(CatalogCoverage, AliasesAreScopedBySource) {
  const Catalog& catalog = Catalog::builtin();
  // The same string means different events to different providers.
  const EventType* calmony = catalog.find_alias("calmony", "invoice.created");
  const EventType* lago = catalog.find_alias("lago", "invoice.created");
  ASSERT_NE(calmony, nullptr);
  ASSERT_NE(lago, nullptr);
  EXPECT_EQ(calmony->name, "invoice.created");
  EXPECT_EQ(lago->name, "invoice.finalized");
  // A name is only an alias for the source that uses it.
  EXPECT_EQ(catalog.find_alias("calmony", "invoice_paid"), nullptr);
  EXPECT_EQ(catalog.find_alias("ezypay", "Invoice paid"), nullptr);
  EXPECT_EQ(catalog.find_alias("lago", "no.such_event"), nullptr);
  EXPECT_EQ(catalog.find_alias("no_such_source", "invoice.paid"), nullptr);
  EXPECT_EQ(catalog.find("invoice.payment_failure"), nullptr) << "a Lago name is not a canonical name";
}

TEST(CatalogCoverage, InvoiceEventsNamedBySeedsHaveTheirCategory) {
  const Catalog& catalog = Catalog::builtin();
  for (const ExpectedType& expected : kSeedInvoiceEventCategories) expect_type(catalog, expected);
}

TEST(CatalogCoverage, CanonicalEventsNamedInNoSeedExist) {
  const Catalog& catalog = Catalog::builtin();
  for (const ExpectedType& expected : kNoSeedEvents) expect_type(catalog, expected);
}

TEST(CatalogCoverage, OperationalEventsExist) {
  const Catalog& catalog = Catalog::builtin();
  for (const ExpectedType& expected : kOperationalEvents) expect_type(catalog, expected);
}

TEST(CatalogCoverage, TypesAreUniqueCategorisedAndGroupedByCategory) {
  const Catalog& catalog = Catalog::builtin();
  std::set<std::string> names;
  std::set<std::pair<std::string, std::string>> aliases;
  std::set<std::string> finished_categories;
  std::string current_category;
  for (const EventType& type : catalog.types()) {
    EXPECT_TRUE(names.insert(type.name).second) << "event type listed twice: " << type.name;
    EXPECT_TRUE(kCategories.count(type.category)) << type.name << " has unknown category " << type.category;
    EXPECT_FALSE(type.aggregate.empty()) << type.name << " has no aggregate";
    const EventType* found = catalog.find(type.name);
    EXPECT_TRUE(found != nullptr && found->name == type.name) << "find() does not return " << type.name;
    if (type.category != current_category) {
      EXPECT_FALSE(finished_categories.count(type.category))
          << type.name << ": category " << type.category << " is split across the list";
      if (!current_category.empty()) finished_categories.insert(current_category);
      current_category = type.category;
    }
    for (const Alias& alias : type.aliases) {
      EXPECT_TRUE(aliases.emplace(alias.source, alias.name).second)
          << alias.source << " alias \"" << alias.name << "\" is used by more than one event type";
    }
  }
  std::set<std::string_view> used;
  for (const EventType& type : catalog.types()) used.insert(type.category);
  for (std::string_view category : kCategories) EXPECT_TRUE(used.count(category)) << "no event in " << category;
}

}  // namespace
}  // namespace billhook::catalog
