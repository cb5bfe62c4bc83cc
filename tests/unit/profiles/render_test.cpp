#include "profiles/render.hpp"

#include <regex>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace billhook::profiles {
namespace {

namespace json = boost::json;

const catalog::Catalog& cat() { return catalog::Catalog::builtin(); }
const Profile& profile(std::string_view name) {
  const auto* p = Registry::builtin().find(name);
  EXPECT_NE(p, nullptr) << name;
  return *p;
}

json::object invoice(std::string status, int64_t total = 4999, std::string currency = "GBP") {
  return {{"id", "inv_1"},       {"object", "invoice"},      {"status", status},
          {"customer", "cus_1"}, {"currency", currency},     {"total", total},
          {"amount_due", total}, {"amount_paid", 0},         {"amount_remaining", total},
          {"created", 1700000000}, {"billing_reason", "manual"}};
}

events::Event event(std::string type, json::object object, json::object previous = {}) {
  events::Event e;
  e.id = "evt_1";
  e.type = std::move(type);
  e.created_ms = 1736935200000;  // 2025-01-15T10:00:00Z
  e.aggregate = events::Aggregate{"invoice", "inv_1", 1};
  json::object data{{"object", std::move(object)}};
  if (!previous.empty()) data["previous_attributes"] = std::move(previous);
  e.data_json = json::serialize(data);
  return e;
}

json::value body_of(const Profile& p, const events::Event& e, const json::object& settings = {}) {
  auto rendered = render(p, cat(), e, settings);
  EXPECT_TRUE(rendered.has_value()) << p.name << " does not send " << e.type;
  return rendered ? json::parse(rendered->body) : json::value();
}

TEST(Registry, HasTheSixProfilesAndNamesThemInErrors) {
  for (auto name : {"billhook", "calmony", "rapyd", "ezypay", "lago", "stripe"})
    EXPECT_NE(Registry::builtin().find(name), nullptr) << name;
  EXPECT_EQ(Registry::builtin().names(), "billhook, calmony, stripe, rapyd, lago, ezypay");
}

TEST(Registry, RefusesBrokenData) {
  auto parse = [](std::string text) { return Registry::parse(text, cat()); };
  EXPECT_FALSE(parse(R"({"profiles":[]})"));  // no billhook
  const std::string base = R"({"name":"billhook","native":true})";
  EXPECT_FALSE(parse(R"({"profiles":[)" + base + R"(,{"name":"x","times":"weekly","envelope":{}}]})"));
  EXPECT_FALSE(parse(R"({"profiles":[)" + base + R"(,{"name":"x","envelope":{"a":"=object.id|frobnicate"}}]})"));
  EXPECT_FALSE(parse(R"({"profiles":[)" + base + R"(,{"name":"x","envelope":{"a":"=nowhere.id"}}]})"));
  EXPECT_FALSE(parse(R"({"profiles":[)" + base + R"(,{"name":"x","events":{"invoice.nope":[]},"envelope":{}}]})"));
  EXPECT_FALSE(parse(R"({"profiles":[)" + base + R"(,{"name":"x","signatures":["md5"],"envelope":{}}]})"));
  auto ok = parse(R"({"profiles":[)" + base + R"(,{"name":"x","envelope":{"a":"=object.id ?? 'none'"}}]})");
  ASSERT_TRUE(ok) << ok.error().message;
}

TEST(Templates, TimeAndAmountFormsFiltersAndOmission) {
  const std::string text = R"({"profiles":[{"name":"billhook","native":true},
    {"name":"ms","times":"unix_ms","amounts":"major_string","maps":{"m":{"open":"OPEN"}},"others":"canonical",
     "envelope":{"t":"=event.created_ms|time_ms","o":"=object.created|time","a":"=object.total|amount",
                 "s":"=object.status|map:m","u":"=object.status|upper","gone":"=object.nothing ?? omit",
                 "n":"=object.nothing","lit":"=object.nothing ?? 'fallback'","eq":"==not an expression",
                 "=object.status":"keyed","each":{"$each":"object.lines","do":"=item.amount|amount"}}},
    {"name":"isoms","times":"iso8601_ms","others":"canonical","envelope":{"t":"=event.created_ms|time_ms"}}]})";
  auto registry = Registry::parse(text, cat());
  ASSERT_TRUE(registry) << registry.error().message;
  auto object = invoice("open", 1234, "BHD");
  object["lines"] = json::array{json::object{{"amount", 1000}}, json::object{{"amount", 234}}};
  const auto e = event("invoice.updated", object);
  const auto body = json::parse(render(*registry->find("ms"), cat(), e, {})->body);
  EXPECT_EQ(body, json::parse(R"({"t":1736935200000,"o":1700000000000,"a":"1.234","s":"OPEN","u":"OPEN",
    "n":null,"lit":"fallback","eq":"=not an expression","open":"keyed","each":["1.000","0.234"]})"));
  const auto iso = json::parse(render(*registry->find("isoms"), cat(), e, {})->body);
  EXPECT_EQ(iso.at("t"), "2025-01-15T10:00:00.000Z");
}

TEST(Calmony, InvoiceCreatedInTheSeedsShape) {
  const auto body = body_of(profile("calmony"), event("invoice.created", invoice("open")));
  EXPECT_EQ(body, json::parse(R"({"event":"invoice.created","created_at":"2025-01-15T10:00:00Z",
    "data":{"invoice_id":"inv_1","customer_id":"cus_1","amount":4999,"currency":"GBP","status":"open"}})"));
}

TEST(Calmony, PaymentFailedCarriesItsStatusAndReason) {
  auto object = invoice("open");
  object["payment"] = json::object{{"failure_code", "insufficient_funds"}};
  const auto body = body_of(profile("calmony"), event("invoice.payment_failed", object));
  EXPECT_EQ(body.at("data").at("status"), "payment_failed");
  EXPECT_EQ(body.at("data").at("failure_reason"), "insufficient_funds");
}

TEST(Calmony, DraftsAreAnnouncedWhenFinalizedNotWhenCreated) {
  const auto& p = profile("calmony");
  EXPECT_FALSE(render(p, cat(), event("invoice.created", invoice("draft")), {}));
  const auto finalized = event("invoice.finalized", invoice("open"), {{"status", "draft"}});
  auto naming = render(p, cat(), finalized, {});
  ASSERT_TRUE(naming);
  EXPECT_EQ(naming->name, "invoice.created");
  // Created already issued: invoice.created was sent, so the finalized that follows is not.
  EXPECT_FALSE(render(p, cat(), event("invoice.finalized", invoice("open")), {}));
  EXPECT_FALSE(sends(p, cat(), event("customer.created", {{"id", "cus_1"}})));
  EXPECT_FALSE(sends(p, cat(), event("invoice.voided", invoice("void"))));
}

TEST(Lago, NamesFollowLagosVocabulary) {
  const auto& p = profile("lago");
  auto name = [&](const events::Event& e) {
    auto r = render(p, cat(), e, {});
    return r ? r->name : std::string("(not sent)");
  };
  EXPECT_EQ(name(event("invoice.created", invoice("draft"))), "invoice.drafted");
  EXPECT_EQ(name(event("invoice.created", invoice("open"))), "(not sent)");
  // Lago's invoice.created is a subscription's invoice finalized; an invoice made by hand is what Lago calls
  // one-off (invoice_type "one_off"), announced as invoice.one_off_created instead.
  auto cycle = invoice("open");
  cycle["billing_reason"] = "subscription_cycle";
  EXPECT_EQ(name(event("invoice.finalized", cycle)), "invoice.created");
  EXPECT_EQ(body_of(p, event("invoice.finalized", cycle)).at("invoice").at("invoice_type"), "subscription");
  for (const char* reason : {"manual", "one_off"}) {
    auto one_off = invoice("open");
    one_off["billing_reason"] = reason;
    EXPECT_EQ(name(event("invoice.finalized", one_off)), "invoice.one_off_created") << reason;
    EXPECT_EQ(body_of(p, event("invoice.finalized", one_off)).at("invoice").at("invoice_type"), "one_off") << reason;
  }
  EXPECT_EQ(name(event("invoice.pdf_generated", invoice("open"))), "invoice.generated");
  EXPECT_EQ(name(event("invoice.payment_failed", invoice("open"))), "invoice.payment_failure");
  EXPECT_EQ(name(event("invoice.overdue", invoice("open"))), "invoice.payment_overdue");
  EXPECT_EQ(name(event("invoice.paid", invoice("paid"))), "(not sent)");  // Lago's list has no invoice.paid
}

TEST(Lago, EnvelopeKeysTheObjectByItsTypeAndSendsAUniqueKey) {
  const auto rendered = render(profile("lago"), cat(), event("invoice.created", invoice("draft")), {});
  ASSERT_TRUE(rendered);
  const auto body = json::parse(rendered->body);
  EXPECT_EQ(body.at("webhook_type"), "invoice.drafted");
  EXPECT_EQ(body.at("object_type"), "invoice");
  EXPECT_EQ(body.at("invoice").at("lago_id"), "inv_1");
  EXPECT_EQ(body.at("invoice").at("total_amount_cents"), 4999);
  EXPECT_EQ(body.at("invoice").at("status"), "draft");
  ASSERT_EQ(rendered->headers.size(), 1u);
  EXPECT_EQ(rendered->headers[0], (std::pair<std::string, std::string>{"X-Lago-Unique-Key", "evt_1"}));
}

TEST(Rapyd, AmountsInMajorUnitsWrittenExactlyByTheIso4217Exponent) {
  const auto& p = profile("rapyd");
  auto total_text = [&](int64_t minor, std::string currency) {
    auto r = render(p, cat(), event("invoice.payment_created", invoice("paid", minor, currency)), {});
    EXPECT_TRUE(r);
    const auto at = r->body.find("\"total\":");
    return r->body.substr(at + 8, r->body.find(',', at) - at - 8);
  };
  EXPECT_EQ(total_text(80000, "MXN"), "800.00");
  EXPECT_EQ(total_text(500, "JPY"), "500");
  EXPECT_EQ(total_text(1234, "BHD"), "1.234");
  EXPECT_EQ(total_text(-5, "EUR"), "-0.05");
}

TEST(Rapyd, EnvelopeAsTheSeedShowsWithStableIdsAndNullsForWhatIsNotModelled) {
  const auto e = event("invoice.payment_created", invoice("paid", 80000, "MXN"));
  const auto body = body_of(profile("rapyd"), e);
  EXPECT_EQ(body.at("type"), "INVOICE_PAYMENT_CREATED");
  EXPECT_EQ(body.at("status"), "NEW");
  EXPECT_EQ(body.at("created_at"), 1736935200);
  EXPECT_TRUE(std::regex_match(std::string(body.at("id").as_string()), std::regex("wh_[0-9a-f]{32}")));
  EXPECT_TRUE(std::regex_match(std::string(body.at("trigger_operation_id").as_string()),
                               std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  EXPECT_EQ(body, body_of(profile("rapyd"), e));  // the same on every retry
  const auto& data = body.at("data").as_object();
  EXPECT_EQ(data.at("id"), "inv_1");
  EXPECT_EQ(data.at("customer"), "cus_1");
  EXPECT_EQ(data.at("created_at"), 1700000000);
  EXPECT_TRUE(data.at("payout").is_null());
  EXPECT_TRUE(data.at("payment").is_null());  // this invoice has no payment
  EXPECT_TRUE(data.at("discount").is_null());
  EXPECT_FALSE(sends(profile("rapyd"), cat(), event("customer.created", {{"id", "cus_1"}})));
}

// Seed 004's INVOICE_PAYMENT_CREATED example is a completed card payment: Rapyd's status code for the
// outcome, and payment_method_data filled from the card charged, every key of the example present.
TEST(Rapyd, PaymentCreatedCarriesTheOutcomeAndTheCard) {
  auto paid = invoice("paid", 80000, "MXN");
  paid["payment"] = json::object{
      {"id", "pay_1"},        {"object", "payment"},   {"amount", 80000},          {"currency", "MXN"},
      {"status", "succeeded"}, {"paid", true},         {"captured", true},         {"payment_method", "pm_1"},
      {"payment_method_type", "card"}, {"created", 1700000000}, {"paid_at", 1700000005},
      {"card", json::object{{"brand", "mastercard"}, {"last4", "0060"}, {"exp_month", 1}, {"exp_year", 2025},
                            {"country", "SG"}}}};
  const auto body = body_of(profile("rapyd"), event("invoice.payment_created", paid));
  const auto& payment = body.at("data").at("payment");
  EXPECT_EQ(payment.at("status"), "CLO");
  EXPECT_EQ(payment.at("paid"), true);
  EXPECT_EQ(payment.at("payment_method_type_category"), "card");
  const auto& card = payment.at("payment_method_data").as_object();
  EXPECT_EQ(card.at("id"), "pm_1");
  EXPECT_EQ(card.at("type"), "card");
  EXPECT_EQ(card.at("category"), "card");
  EXPECT_EQ(card.at("last4"), "0060");
  EXPECT_EQ(card.at("expiration_month"), "01");
  EXPECT_EQ(card.at("expiration_year"), "25");
  EXPECT_EQ(card.at("bin_details").at("brand"), "MASTERCARD");
  EXPECT_EQ(card.at("bin_details").at("country"), "SG");
  EXPECT_TRUE(card.at("name").is_null());  // billhook keeps no card holder's name
  for (const char* key : {"id", "name", "type", "image", "last4", "category", "metadata", "acs_check", "cvv_check",
                          "bin_details", "next_action", "webhook_url", "expiration_year", "expiration_month",
                          "fingerprint_token", "supporting_documentation"})
    EXPECT_TRUE(card.contains(key)) << key;
  for (const char* key : {"type", "brand", "level", "issuer", "country", "bin_number"})
    EXPECT_TRUE(card.at("bin_details").as_object().contains(key)) << key;

  auto declined = paid;
  declined["status"] = "open";
  declined["payment"].as_object()["status"] = "failed";
  declined["payment"].as_object()["paid"] = false;
  EXPECT_EQ(body_of(profile("rapyd"), event("invoice.payment_created", declined)).at("data").at("payment").at("status"),
            "ERR");
}

TEST(Ezypay, EnvelopeWithSnakeCaseNamesLocalTimesAndMerchant) {
  const auto body = body_of(profile("ezypay"), event("invoice.paid", invoice("paid", 1990, "AUD")),
                            json::object{{"merchant_id", "m_1"}});
  EXPECT_EQ(body.at("eventType"), "invoice_paid");
  EXPECT_EQ(body.at("merchantId"), "m_1");
  EXPECT_EQ(body.at("createdOn"), "2025-01-15T10:00:00.000");
  EXPECT_EQ(body.at("data").at("customerId"), "cus_1");
  EXPECT_EQ(body.at("data").at("amount"), json::parse(R"({"currency":"AUD","value":19.90})"));
  const auto overdue = body_of(profile("ezypay"), event("invoice.overdue", invoice("open")));
  EXPECT_EQ(overdue.at("eventType"), "invoice_past_due");
  EXPECT_EQ(overdue.at("data").at("status"), "past_due");
}

// Seed 002: credit_note_paid and credit_note_failed mean "credit note status changed to paid / failed";
// the body says so in `status` (billhook's own credit note stays issued, its refund is what moved).
TEST(Ezypay, CreditNotePaidAndFailedCarryThatStatus) {
  const json::object note{{"id", "cn_1"},           {"object", "credit_note"}, {"status", "issued"},
                          {"invoice", "inv_1"},     {"customer", "cus_1"},     {"currency", "EUR"},
                          {"refund_status", "succeeded"}, {"total", 500},      {"refund_amount", 500}};
  auto note_event = [&](std::string type, std::string refund_status) {
    json::object object = note;
    object["refund_status"] = std::move(refund_status);
    auto e = event(std::move(type), std::move(object));
    e.aggregate = events::Aggregate{"credit_note", "cn_1", 2};
    return e;
  };
  const auto paid = body_of(profile("ezypay"), note_event("credit_note.paid", "succeeded"));
  EXPECT_EQ(paid.at("eventType"), "credit_note_paid");
  EXPECT_EQ(paid.at("data").at("status"), "paid");
  EXPECT_EQ(paid.at("data").at("invoice"), "inv_1");
  const auto failed = body_of(profile("ezypay"), note_event("credit_note.refund_failed", "failed"));
  EXPECT_EQ(failed.at("eventType"), "credit_note_failed");
  EXPECT_EQ(failed.at("data").at("status"), "failed");
  const auto created = body_of(profile("ezypay"), note_event("credit_note.created", "pending"));
  EXPECT_EQ(created.at("data").at("status"), "issued");
}

// A profile sends a kind of document only if its provider has it: no seed provider has proformas (only
// billhook's own seed 000 does), so their invoice events about a proforma reach no provider's receiver,
// which never saw the proforma created. The same events about an invoice are sent.
TEST(Profiles, ProformasStayOutOfEveryProvidersStream) {
  auto proforma = invoice("open");
  proforma["kind"] = "proforma";
  proforma["number"] = nullptr;
  auto plain = invoice("open");
  plain["kind"] = "invoice";
  for (const char* type : {"invoice.overdue", "invoice.payment_status_updated", "invoice.updated",
                           "invoice.payment_failed", "invoice.payment_succeeded", "invoice.voided",
                           "invoice.created", "proforma.created", "proforma.credited", "proforma.voided"}) {
    for (const auto& p : Registry::builtin().profiles()) {
      const bool sent = render(p, cat(), event(type, proforma), {}).has_value();
      EXPECT_EQ(sent, p.native) << p.name << " " << type;
    }
  }
  EXPECT_TRUE(render(profile("ezypay"), cat(), event("invoice.overdue", plain), {}).has_value());
  EXPECT_TRUE(render(profile("lago"), cat(), event("invoice.payment_status_updated", plain), {}).has_value());
  EXPECT_TRUE(render(profile("rapyd"), cat(), event("invoice.updated", plain), {}).has_value());
}

// Seed 002: invoice_batch_invoice_failed is "the status of a batch … changes to failed", the batch's end
// (invoice_batch.failed), not each item that failed, which Ezypay has no event for.
TEST(Ezypay, BatchFailedIsTheBatchsEndNotAnItemsFailure) {
  const json::object batch{{"id", "ib_1"}, {"object", "invoice_batch"}, {"status", "failed"},
                           {"total_count", 1}, {"succeeded_count", 0}, {"failed_count", 1}};
  auto batch_event = [&](std::string type) {
    auto e = event(std::move(type), batch);
    e.aggregate = events::Aggregate{"invoice_batch", "ib_1", 3};
    return e;
  };
  const auto failed = render(profile("ezypay"), cat(), batch_event("invoice_batch.failed"), {});
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->name, "invoice_batch_invoice_failed");
  EXPECT_FALSE(render(profile("ezypay"), cat(), batch_event("invoice_batch.invoice_failed"), {}).has_value());
}

TEST(Stripe, EventObjectWithPreviousAttributesOnlyWhenThereAreAny) {
  const auto& p = profile("stripe");
  const auto created = body_of(p, event("invoice.created", invoice("draft")));
  EXPECT_EQ(created.at("object"), "event");
  EXPECT_EQ(created.at("type"), "invoice.created");
  EXPECT_EQ(created.at("created"), 1736935200);
  EXPECT_EQ(created.at("livemode"), false);
  EXPECT_EQ(created.at("data").at("object").at("id"), "inv_1");
  EXPECT_FALSE(created.at("data").as_object().contains("previous_attributes"));
  const auto finalized = body_of(p, event("invoice.finalized", invoice("open"), {{"status", "draft"}}));
  EXPECT_EQ(finalized.at("data").at("previous_attributes").at("status"), "draft");
  auto sub = event("subscription.created", {{"id", "sub_1"}});
  EXPECT_EQ(render(p, cat(), sub, {})->name, "customer.subscription.created");
}

// --- subscription events (DOMAINS.md §1), as the subscription machine emits them -------------------

json::object subscription(std::string status) {
  return {{"id", "sub_1"},
          {"object", "subscription"},
          {"customer", "cus_1"},
          {"plan", "plan_1"},
          {"plan_code", "studio"},
          {"external_id", "acct-7"},
          {"status", status},
          {"collection_status", "active"},
          {"currency", "AUD"},
          {"quantity", 1},
          {"billing_interval", "month"},
          {"billing_time", "calendar"},
          {"ended_at", 1736935200},
          {"created", 1700000000}};
}

// A subscription event as the machine writes it: data.previous_attributes is always present ({} when the
// step created the subscription); steps asked for by a request carry its id, time-driven ones none.
events::Event sub_event(std::string type, std::string status, json::object previous, bool by_request = true) {
  json::object object = subscription(status);
  if (status == "past_due") object["collection_status"] = "stopped";
  events::Event e;
  e.id = "evt_1";
  e.type = std::move(type);
  e.created_ms = 1736935200000;  // 2025-01-15T10:00:00Z
  e.aggregate = events::Aggregate{"subscription", "sub_1", 2};
  e.data_json = json::serialize(json::object{{"object", std::move(object)}, {"previous_attributes", std::move(previous)}});
  if (by_request) e.request_id = "req_1";
  return e;
}

std::string sent_name(std::string_view profile_name, const events::Event& e) {
  auto r = render(profile(profile_name), cat(), e, {});
  return r ? r->name : std::string("(not sent)");
}

// Every subscription step of the machine: created (future start), created+activated (start now),
// activated (start date came), trial_ended, updated, collection_stopped, reactivated, completed,
// canceled, terminated (by request, and at its ending_at).
struct SubscriptionStep {
  events::Event event;
  std::string_view stripe, lago, ezypay;
};

std::vector<SubscriptionStep> subscription_steps() {
  const json::object none;
  return {
      {sub_event("subscription.created", "pending", none), "customer.subscription.created", "(not sent)",
       "subscription_create"},
      {sub_event("subscription.activated", "active", none), "(not sent)", "subscription.started",
       "subscription_activate"},  // with subscription.created, in the commit that created it
      {sub_event("subscription.activated", "trialing", {{"status", "pending"}}, false), "customer.subscription.updated",
       "subscription.started", "subscription_activate"},
      {sub_event("subscription.trial_ended", "active", {{"status", "trialing"}}, false),
       "customer.subscription.updated", "subscription.trial_ended", "(not sent)"},
      {sub_event("subscription.updated", "active", {{"plan", "plan_0"}}), "customer.subscription.updated",
       "(not sent)", "(not sent)"},
      {sub_event("subscription.collection_stopped", "past_due", {{"status", "active"}}, false),
       "customer.subscription.updated", "(not sent)", "subscription_stopped"},
      {sub_event("subscription.reactivated", "active", {{"status", "past_due"}}, false),
       "customer.subscription.updated", "(not sent)", "subscription_reactivate"},
      {sub_event("subscription.completed", "completed", {{"status", "active"}}), "customer.subscription.deleted",
       "subscription.terminated", "subscription_completed"},
      {sub_event("subscription.canceled", "canceled", {{"status", "active"}}), "customer.subscription.deleted",
       "subscription.terminated", "subscription_cancel"},
      {sub_event("subscription.terminated", "terminated", {{"status", "active"}}), "customer.subscription.deleted",
       "subscription.terminated", "subscription_cancel"},
      {sub_event("subscription.terminated", "terminated", {{"status", "active"}}, false),
       "customer.subscription.deleted", "subscription.terminated", "subscription_completed"},  // its ending_at came
  };
}

TEST(Subscriptions, EachProfileNamesEverySubscriptionStepAsItsProviderDocumentsIt) {
  for (const auto& step : subscription_steps()) {
    const std::string where = step.event.type + " " + step.event.data_json;
    EXPECT_EQ(sent_name("stripe", step.event), step.stripe) << where;
    EXPECT_EQ(sent_name("lago", step.event), step.lago) << where;
    EXPECT_EQ(sent_name("ezypay", step.event), step.ezypay) << where;
    EXPECT_EQ(sent_name("calmony", step.event), "(not sent)") << where;  // seed 001 names invoice events only
    EXPECT_EQ(sent_name("rapyd", step.event), "(not sent)") << where;
    EXPECT_EQ(sent_name("billhook", step.event), step.event.type) << where;
  }
  const auto threshold = sub_event("subscription.usage_threshold_reached", "active", {});
  EXPECT_EQ(sent_name("lago", threshold), "subscription.usage_threshold_reached");
  EXPECT_EQ(sent_name("stripe", threshold), "(not sent)");
  EXPECT_EQ(sent_name("ezypay", threshold), "(not sent)");
}

TEST(Subscriptions, StripeSendsWhatChangedAndLagoAndEzypayTheObject) {
  const auto stopped = sub_event("subscription.collection_stopped", "past_due", {{"status", "active"}}, false);
  const auto stripe = body_of(profile("stripe"), stopped);
  EXPECT_EQ(stripe.at("type"), "customer.subscription.updated");
  EXPECT_EQ(stripe.at("data").at("object").at("status"), "past_due");
  EXPECT_EQ(stripe.at("data").at("previous_attributes").at("status"), "active");
  EXPECT_EQ(stripe.at("request").at("id"), nullptr);

  const auto canceled = sub_event("subscription.canceled", "canceled", {{"status", "active"}});
  const auto lago = body_of(profile("lago"), canceled);
  EXPECT_EQ(lago.at("webhook_type"), "subscription.terminated");
  EXPECT_EQ(lago.at("object_type"), "subscription");
  // Lago's subscription object, as Lago's receivers read it: its ids, the plan by code, Lago's status.
  const auto& lago_sub = lago.at("subscription");
  EXPECT_EQ(lago_sub.at("lago_id"), "sub_1");
  EXPECT_EQ(lago_sub.at("external_id"), "acct-7");
  EXPECT_EQ(lago_sub.at("external_customer_id"), "cus_1");
  EXPECT_EQ(lago_sub.at("plan_code"), "studio");
  EXPECT_EQ(lago_sub.at("status"), "terminated");
  EXPECT_EQ(lago_sub.at("billing_time"), "calendar");
  EXPECT_EQ(lago_sub.at("terminated_at"), "2025-01-15T10:00:00Z");

  const auto ezypay = body_of(profile("ezypay"), stopped, {{"merchant_id", "m_1"}});
  EXPECT_EQ(ezypay.at("eventType"), "subscription_stopped");
  EXPECT_EQ(ezypay.at("data").at("collectionStatus"), "stopped");
  EXPECT_EQ(ezypay.at("data").at("billingInterval"), "month");
}

TEST(Billhook, NativeSendsEverything) {
  for (const auto& type : cat().types())
    EXPECT_TRUE(sends(profile("billhook"), cat(), event(type.name, invoice("open")))) << type.name;
}

}  // namespace
}  // namespace billhook::profiles
