#include "events/outbox.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "catalog/catalog.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/random.hpp"
#include "profiles/profile.hpp"
#include "store/store.hpp"

namespace billhook::events {
namespace {

using Strings = std::vector<std::string>;

// Records every call in order; each outbox-facing method can be told to fail.
class RecordingTx final : public store::WriteTx {
 public:
  std::vector<std::string> calls;
  std::vector<std::pair<std::string, std::string>> sequence_requests;
  std::vector<Event> events;
  std::vector<Delivery> deliveries;
  std::vector<Endpoint> endpoints;  // all of them; enabled_endpoints() answers the enabled ones

  std::optional<core::Error> fail_next_sequence;
  std::optional<core::Error> fail_insert_event;
  std::optional<core::Error> fail_enabled_endpoints;
  std::optional<core::Error> fail_insert_delivery;

  core::Result<int64_t> next_sequence(std::string_view aggregate_type, std::string_view aggregate_id) override {
    calls.emplace_back("next_sequence");
    if (fail_next_sequence) return *fail_next_sequence;
    sequence_requests.emplace_back(aggregate_type, aggregate_id);
    return ++sequences_[std::string(aggregate_type) + "/" + std::string(aggregate_id)];
  }
  core::Status insert_event(const Event& event) override {
    calls.emplace_back("insert_event");
    if (fail_insert_event) return *fail_insert_event;
    events.push_back(event);
    return {};
  }
  core::Status insert_delivery(const Delivery& delivery) override {
    calls.emplace_back("insert_delivery");
    if (fail_insert_delivery) return *fail_insert_delivery;
    deliveries.push_back(delivery);
    return {};
  }
  core::Result<store::EndpointSnapshot> enabled_endpoints() override {
    calls.emplace_back("enabled_endpoints");
    if (fail_enabled_endpoints) return *fail_enabled_endpoints;
    auto enabled = std::make_shared<std::vector<Endpoint>>();
    for (const auto& e : endpoints)
      if (e.enabled) enabled->push_back(e);
    return store::EndpointSnapshot(std::move(enabled));
  }

  core::Status insert_endpoint(const Endpoint&) override { return unexpected("insert_endpoint"); }
  core::Status update_endpoint(const Endpoint&) override { return unexpected("update_endpoint"); }
  core::Status delete_endpoint(std::string_view, int64_t) override { return unexpected("delete_endpoint"); }
  core::Result<std::optional<Endpoint>> find_endpoint(std::string_view) override {
    return unexpected("find_endpoint");
  }
  core::Status insert_idempotency(const store::IdempotencyRecord&) override { return unexpected("insert_idempotency"); }
  core::Result<store::PruneCounts> prune(int64_t, int64_t, int) override { return unexpected("prune"); }
  core::Status insert_api_key(const store::ApiKeyRecord&) override { return unexpected("insert_api_key"); }
  core::Result<std::vector<Delivery>> claim_due(int64_t, int64_t, size_t, const Strings&, const Strings&) override {
    return unexpected("claim_due");
  }
  core::Result<std::optional<Delivery>> find_delivery(std::string_view) override { return unexpected("find_delivery"); }
  core::Status update_delivery(const Delivery&) override { return unexpected("update_delivery"); }
  core::Result<bool> update_delivery_if_unchanged(const Delivery&, const Delivery&) override {
    return unexpected("update_delivery_if_unchanged");
  }
  core::Status insert_attempt(const events::Attempt&) override { return unexpected("insert_attempt"); }
  core::Result<bool> attempt_stored(std::string_view) override { return unexpected("attempt_stored"); }
  core::Status mark_sending(const Strings&, int64_t) override { return unexpected("mark_sending"); }
  core::Result<int> retry_failed(std::string_view, int64_t, int64_t) override { return unexpected("retry_failed"); }
  core::Status release_leases(const Strings&) override { return unexpected("release_leases"); }
  core::Status release_all_leases() override { return unexpected("release_all_leases"); }
  core::Status renew_leases(const std::vector<std::string>&, int64_t, int64_t) override {
    return unexpected("renew_leases");
  }
  void notify_work() override { calls.emplace_back("notify_work"); }
  core::Result<bool> claim_once(std::string_view, std::string_view, int64_t) override {
    return unexpected("claim_once");
  }
  core::Result<std::optional<store::UsageEventRecord>> insert_usage_event(const store::UsageEventRecord&) override {
    return unexpected("insert_usage_event");
  }
  core::Result<std::optional<store::UsageAggregateRecord>> find_usage_aggregate(std::string_view, std::string_view,
                                                                                int64_t, bool) override {
    return unexpected("find_usage_aggregate");
  }
  core::Result<std::vector<store::UsageEventRecord>> list_usage_events(std::string_view, std::string_view, int64_t,
                                                                       int64_t) override {
    return unexpected("list_usage_events");
  }
  core::Status put_usage_aggregate(const store::UsageAggregateRecord&) override {
    return unexpected("put_usage_aggregate");
  }
  core::Result<bool> add_usage_value(std::string_view, std::string_view, int64_t, std::string_view) override {
    return unexpected("add_usage_value");
  }
  core::Result<std::optional<std::string>> find_usage_address(std::string_view) override {
    return unexpected("find_usage_address");
  }
  core::Status set_usage_address(std::string_view, std::string_view) override {
    return unexpected("set_usage_address");
  }
  core::Result<std::vector<store::UsageEventRecord>> take_unreported_usage_errors(int) override {
    return unexpected("take_unreported_usage_errors");
  }
  core::Status insert_document(const store::DocumentRecord&) override { return unexpected("insert_document"); }
  core::Status update_document(const store::DocumentRecord&) override { return unexpected("update_document"); }
  core::Result<std::optional<store::DocumentRecord>> find_document(std::string_view, std::string_view) override {
    return unexpected("find_document");
  }
  core::Result<std::vector<store::DocumentRecord>> find_documents(const store::DocumentFilter&) override {
    return unexpected("find_documents");
  }

 private:
  core::Error unexpected(std::string name) {
    calls.push_back(name);
    return core::Error::internal("the outbox should not call " + name);
  }

  std::map<std::string, int64_t> sequences_;
};

// A ProfileRules double: refuses the endpoints named in `refused` and records every question.
class FakeProfileRules final : public ProfileRules {
 public:
  std::set<std::string> refused;
  mutable Strings asked;  // "<endpoint id> <event type>"

  bool sends(const Endpoint& endpoint, const catalog::Catalog&, const Event& event) const override {
    asked.push_back(endpoint.id + " " + event.type);
    return !refused.contains(endpoint.id);
  }
  bool shows_setting(const Endpoint&, std::string_view) const override { return false; }
};

Endpoint endpoint(std::string id, Strings event_types, Strings categories = {}, bool enabled = true) {
  Endpoint e;
  e.id = std::move(id);
  e.url = "http://127.0.0.1:9/hook";
  e.event_types = std::move(event_types);
  e.categories = std::move(categories);
  e.enabled = enabled;
  return e;
}

class AppendEventTest : public ::testing::Test {
 protected:
  static constexpr int64_t kCreatedMs = 1763805600123;

  Event invoice_event(std::string type, std::string invoice_id = "inv_01KANG36BVTSV4RRFFQ69G5FAV") {
    Event e;
    e.id = ids_.next(core::IdKind::event);
    e.type = std::move(type);
    e.created_ms = kCreatedMs;
    e.aggregate = Aggregate{"invoice", std::move(invoice_id), 0};
    e.data_json = R"({"object":{}})";
    return e;
  }

  // Through the real profiles, as the server wires them.
  core::Result<int> append(Event& e) {
    return append_event(tx_, catalog::Catalog::builtin(), profiles::Registry::builtin(), ids_, e);
  }

  core::ManualClock clock_{core::from_unix_ms(kCreatedMs)};
  core::SeededRandom random_{17};
  core::IdGenerator ids_{clock_, random_};
  RecordingTx tx_;
};

TEST_F(AppendEventTest, AssignsPerAggregateSequenceBeforeStoringTheEvent) {
  Event first = invoice_event("invoice.created");
  Event second = invoice_event("invoice.finalized");
  Event other = invoice_event("invoice.created", "inv_01KANG36BVTSV4RRFFQ69G5FAW");
  ASSERT_TRUE(append(first).ok());
  ASSERT_TRUE(append(second).ok());
  ASSERT_TRUE(append(other).ok());

  EXPECT_EQ(first.aggregate->sequence, 1);
  EXPECT_EQ(second.aggregate->sequence, 2);
  EXPECT_EQ(other.aggregate->sequence, 1);
  ASSERT_EQ(tx_.sequence_requests.size(), 3u);
  EXPECT_EQ(tx_.sequence_requests[0], (std::pair<std::string, std::string>{"invoice", "inv_01KANG36BVTSV4RRFFQ69G5FAV"}));
  // What was stored carries the sequence.
  ASSERT_EQ(tx_.events.size(), 3u);
  EXPECT_EQ(tx_.events[0].id, first.id);
  ASSERT_TRUE(tx_.events[1].aggregate.has_value());
  EXPECT_EQ(tx_.events[1].aggregate->sequence, 2);
  EXPECT_EQ(tx_.calls.front(), "next_sequence");
  EXPECT_EQ(tx_.calls[1], "insert_event");
}

TEST_F(AppendEventTest, NoSequenceWithoutAnAggregate) {
  Event e = invoice_event("endpoint.disabled");
  e.aggregate.reset();
  auto created = append(e);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_TRUE(tx_.sequence_requests.empty());
  EXPECT_EQ(std::count(tx_.calls.begin(), tx_.calls.end(), "next_sequence"), 0);
  EXPECT_FALSE(e.aggregate.has_value());
  ASSERT_EQ(tx_.events.size(), 1u);
  EXPECT_FALSE(tx_.events[0].aggregate.has_value());
}

// The outbox asks its ProfileRules about each enabled, subscribed endpoint, and creates no delivery
// where the answer is no.
TEST_F(AppendEventTest, AsksTheProfileRulesAboutEachSubscribedEndpoint) {
  FakeProfileRules rules;
  rules.refused = {"ep_refused"};
  tx_.endpoints = {endpoint("ep_a", {"*"}), endpoint("ep_refused", {"*"}), endpoint("ep_customers", {"customer.*"}),
                   endpoint("ep_disabled", {"*"}, {}, false), endpoint("ep_b", {"invoice.*"})};
  Event e = invoice_event("invoice.paid");
  auto created = append_event(tx_, catalog::Catalog::builtin(), rules, ids_, e);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(*created, 2);
  EXPECT_EQ(rules.asked, (Strings{"ep_a invoice.paid", "ep_refused invoice.paid", "ep_b invoice.paid"}))
      << "only enabled endpoints subscribed to the type are asked";
  Strings got;
  for (const auto& d : tx_.deliveries) got.push_back(d.endpoint_id);
  EXPECT_EQ(got, (Strings{"ep_a", "ep_b"}));
}

// End to end through the real profiles: a profile that has no name for an event (Calmony names three;
// a draft's invoice.created is not one) gets no delivery for it; the decision is made here, when the
// event is stored.
TEST_F(AppendEventTest, NoDeliveryForAnEventTheEndpointsProfileDoesNotName) {
  auto calmony = endpoint("ep_calmony", {"*"});
  calmony.profile = "calmony";
  auto lago = endpoint("ep_lago", {"*"});
  lago.profile = "lago";
  tx_.endpoints = {endpoint("ep_billhook", {"*"}), calmony, lago};
  Event draft = invoice_event("invoice.created");
  draft.data_json = R"({"object":{"id":"inv_1","status":"draft"}})";
  ASSERT_TRUE(append(draft).ok());
  Event customer = invoice_event("customer.created");
  customer.aggregate = Aggregate{"customer", "cus_1", 0};
  ASSERT_TRUE(append(customer).ok());
  Strings got;
  for (const auto& d : tx_.deliveries) got.push_back(d.endpoint_id + " " + d.event_type);
  EXPECT_EQ(got, (Strings{"ep_billhook invoice.created", "ep_lago invoice.created", "ep_billhook customer.created",
                          "ep_lago customer.created"}));

  // An event Calmony does name (a finalized invoice) reaches it.
  tx_.deliveries.clear();
  Event finalized = invoice_event("invoice.finalized");
  finalized.data_json = R"({"object":{"id":"inv_1","status":"open"},"previous_attributes":{"status":"draft"}})";
  ASSERT_TRUE(append(finalized).ok());
  got.clear();
  for (const auto& d : tx_.deliveries) got.push_back(d.endpoint_id + " " + d.event_type);
  EXPECT_EQ(got, (Strings{"ep_billhook invoice.finalized", "ep_calmony invoice.finalized", "ep_lago invoice.finalized"}));
}

TEST_F(AppendEventTest, OnePendingDeliveryPerEnabledSubscribedEndpoint) {
  tx_.endpoints = {
      endpoint("ep_exact", {"invoice.paid"}),
      endpoint("ep_wildcard", {"invoice.*"}),
      endpoint("ep_category", {}, {"payment"}),
      endpoint("ep_everything", {"*"}),
      endpoint("ep_other_type", {"invoice.created", "customer.*"}),
      endpoint("ep_other_category", {}, {"refund"}),
      endpoint("ep_batches", {"invoice_batch.*"}),
      endpoint("ep_disabled", {"*"}, {}, false),
  };
  Event e = invoice_event("invoice.paid");
  auto created = append(e);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(*created, 4);

  ASSERT_EQ(tx_.deliveries.size(), 4u);
  Strings endpoint_ids;
  std::set<std::string> delivery_ids;
  for (const auto& d : tx_.deliveries) {
    endpoint_ids.push_back(d.endpoint_id);
    delivery_ids.insert(d.id);
    EXPECT_TRUE(core::is_valid_id(core::IdKind::delivery, d.id)) << d.id;
    EXPECT_EQ(d.event_id, e.id);
    EXPECT_EQ(d.event_type, "invoice.paid");
    EXPECT_EQ(d.status, DeliveryStatus::pending);
    EXPECT_EQ(d.attempt_count, 0);
    EXPECT_EQ(d.next_attempt_ms, kCreatedMs);
    EXPECT_EQ(d.created_ms, kCreatedMs);
    EXPECT_EQ(d.updated_ms, kCreatedMs);
  }
  EXPECT_EQ(endpoint_ids, (Strings{"ep_exact", "ep_wildcard", "ep_category", "ep_everything"}));
  EXPECT_EQ(delivery_ids.size(), 4u) << "each delivery needs its own id";
}

TEST_F(AppendEventTest, TheEventIsStoredBeforeItsDeliveriesAndTheDispatcherIsToldOfThem) {
  tx_.endpoints = {endpoint("ep_a", {"*"}), endpoint("ep_b", {"*"})};
  Event e = invoice_event("invoice.created");
  ASSERT_TRUE(append(e).ok());
  EXPECT_EQ(tx_.calls, (Strings{"next_sequence", "insert_event", "enabled_endpoints", "insert_delivery",
                                "insert_delivery", "notify_work"}));
  for (const auto& d : tx_.deliveries) {
    EXPECT_EQ(d.aggregate_key, "invoice/" + e.aggregate->id);
    EXPECT_EQ(d.sequence, e.aggregate->sequence);
  }
}

TEST_F(AppendEventTest, NoDeliveriesWhenNothingMatches) {
  tx_.endpoints = {endpoint("ep_customers", {"customer.*"}), endpoint("ep_refunds", {}, {"refund"})};
  Event e = invoice_event("invoice.paid");
  auto created = append(e);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(*created, 0);
  EXPECT_TRUE(tx_.deliveries.empty());
  EXPECT_EQ(tx_.events.size(), 1u) << "the event is stored even if nobody listens";
  EXPECT_EQ(std::count(tx_.calls.begin(), tx_.calls.end(), "notify_work"), 0) << "no work, no wake-up";
}

TEST_F(AppendEventTest, AnUnknownTypeIsAnInternalErrorAndWritesNothing) {
  tx_.endpoints = {endpoint("ep_a", {"*"})};
  Event e = invoice_event("invoice_paid");  // an alias: the outbox takes canonical names only
  auto created = append(e);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, core::ErrorKind::internal);
  EXPECT_NE(created.error().message.find("invoice_paid"), std::string::npos);
  EXPECT_TRUE(tx_.calls.empty());
}

TEST_F(AppendEventTest, SequenceErrorPropagatesAndStopsTheAppend) {
  tx_.fail_next_sequence = core::Error::unavailable("database is locked");
  tx_.endpoints = {endpoint("ep_a", {"*"})};
  Event e = invoice_event("invoice.paid");
  auto created = append(e);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, core::ErrorKind::unavailable);
  EXPECT_EQ(created.error().message, "database is locked");
  EXPECT_EQ(tx_.calls, (Strings{"next_sequence"}));
}

TEST_F(AppendEventTest, InsertEventErrorPropagatesAndCreatesNoDeliveries) {
  tx_.fail_insert_event = core::Error::conflict("duplicate_event", "event id already stored");
  tx_.endpoints = {endpoint("ep_a", {"*"})};
  Event e = invoice_event("invoice.paid");
  auto created = append(e);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, core::ErrorKind::conflict);
  EXPECT_EQ(created.error().code, "duplicate_event");
  EXPECT_TRUE(tx_.deliveries.empty());
  EXPECT_EQ(std::count(tx_.calls.begin(), tx_.calls.end(), "insert_delivery"), 0);
}

TEST_F(AppendEventTest, EndpointListErrorPropagates) {
  tx_.fail_enabled_endpoints = core::Error::unavailable("disk I/O error");
  Event e = invoice_event("invoice.paid");
  auto created = append(e);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, core::ErrorKind::unavailable);
  EXPECT_EQ(created.error().message, "disk I/O error");
}

TEST_F(AppendEventTest, InsertDeliveryErrorPropagatesAtTheFirstFailure) {
  tx_.fail_insert_delivery = core::Error::internal("constraint failed");
  tx_.endpoints = {endpoint("ep_a", {"*"}), endpoint("ep_b", {"*"})};
  Event e = invoice_event("invoice.paid");
  auto created = append(e);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, core::ErrorKind::internal);
  EXPECT_EQ(created.error().message, "constraint failed");
  EXPECT_EQ(std::count(tx_.calls.begin(), tx_.calls.end(), "insert_delivery"), 1);
}

}  // namespace
}  // namespace billhook::events
