// Retention on every backend (issue 21 item 8): old events whose deliveries all finished go with their
// deliveries and attempts, in batches; events with a pending, retrying or failed delivery stay whatever their
// age; expired idempotency keys go, and an expired key can be recorded again; counting changes nothing.

#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/random.hpp"
#include "store/retention.hpp"
#include "unit/store/store_backends.hpp"

namespace billhook::store {
namespace {

using events::Delivery;
using events::DeliveryStatus;
using events::Endpoint;

constexpr int64_t kDayMs = 24 * 3600 * 1000;

class RetentionTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == PostgresBackend::kName) {
      BILLHOOK_REQUIRE_POSTGRES();
      postgres_.emplace();
      store_ = postgres_->open(clock_);
    } else {
      sqlite_.emplace();
      store_ = sqlite_->open(clock_);
    }
    ASSERT_NE(store_, nullptr);
    endpoint_.id = ids_.next(core::IdKind::endpoint);
    endpoint_.url = "http://127.0.0.1:9/hook";
    endpoint_.event_types = {"invoice.*"};
    endpoint_.secret = "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0";
    endpoint_.metadata_json = "{}";
    endpoint_.enabled = true;
    endpoint_.created_ms = endpoint_.updated_ms = now_ms();
    write_ok([&](WriteTx& tx) { return tx.insert_endpoint(endpoint_); });
  }

  void TearDown() override { store_.reset(); }

  int64_t now_ms() const { return core::to_unix_ms(clock_.now()); }

  void write_ok(Store::WriteJob job) {
    auto s = store_->write_and_wait(std::move(job));
    ASSERT_TRUE(s.ok()) << s.error().message;
  }

  // An event created `age_days` ago with one delivery per status given, each with two attempts.
  std::string add_event(int64_t age_days, std::vector<DeliveryStatus> statuses) {
    events::Event e;
    e.id = ids_.next(core::IdKind::event);
    e.type = "invoice.paid";
    e.created_ms = now_ms() - age_days * kDayMs;
    e.data_json = R"({"object":{}})";
    write_ok([&](WriteTx& tx) -> core::Status {
      if (auto s = tx.insert_event(e); !s) return s;
      for (const auto status : statuses) {
        Delivery d;
        d.id = ids_.next(core::IdKind::delivery);
        d.event_id = e.id;
        d.endpoint_id = endpoint_.id;
        d.event_type = e.type;
        d.status = status;
        d.created_ms = d.updated_ms = e.created_ms;
        d.next_attempt_ms = e.created_ms;
        if (auto s = tx.insert_delivery(d); !s) return s;
        for (int n = 1; n <= 2; ++n) {
          events::Attempt a;
          a.id = ids_.next(core::IdKind::attempt);
          a.delivery_id = d.id;
          a.number = n;
          a.started_ms = e.created_ms;
          a.error_class = "none";
          a.response_headers_json = "{}";
          if (auto s = tx.insert_attempt(a); !s) return s;
        }
      }
      return {};
    });
    return e.id;
  }

  bool event_exists(const std::string& id) {
    auto found = store_->find_event(id);
    EXPECT_TRUE(found.ok());
    return found.ok() && found->has_value();
  }

  size_t deliveries_of(const std::string& event_id) {
    DeliveryQuery q;
    q.event_id = event_id;
    q.page.limit = 100;
    auto page = store_->list_deliveries(q);
    EXPECT_TRUE(page.ok());
    return page.ok() ? page->items.size() : 0;
  }

  IdempotencyRecord key(std::string name, int64_t created_ms, std::string body = "first") {
    return {"key_1 POST /v1/events", std::move(name), "hash", 202, std::move(body), created_ms};
  }

  core::SystemClock clock_;
  core::SecureRandom random_;
  core::IdGenerator ids_{clock_, random_};
  std::optional<SqliteBackend> sqlite_;
  std::optional<PostgresBackend> postgres_;
  std::unique_ptr<Store> store_;
  Endpoint endpoint_;
};

TEST_P(RetentionTest, OldFinishedEventsGoAndEventsWithUnfinishedDeliveriesStay) {
  const std::string delivered = add_event(31, {DeliveryStatus::succeeded, DeliveryStatus::succeeded});
  const std::string cancelled = add_event(31, {DeliveryStatus::succeeded, DeliveryStatus::cancelled});
  const std::string unsent = add_event(31, {});  // no endpoint wanted it
  const std::string failed = add_event(31, {DeliveryStatus::succeeded, DeliveryStatus::failed});
  const std::string retrying = add_event(40, {DeliveryStatus::retrying});
  const std::string pending = add_event(40, {DeliveryStatus::pending});
  const std::string recent = add_event(29, {DeliveryStatus::succeeded});
  std::vector<std::string> delivered_deliveries;
  {
    DeliveryQuery q;
    q.event_id = delivered;
    auto page = store_->list_deliveries(q);
    ASSERT_TRUE(page.ok());
    for (const auto& d : page->items) delivered_deliveries.push_back(d.id);
  }
  const auto cutoffs = retention_cutoffs(now_ms(), 30);

  // Counting changes nothing.
  auto counted = store_->count_prunable(cutoffs.events_before_ms, cutoffs.keys_before_ms);
  ASSERT_TRUE(counted.ok()) << counted.error().message;
  EXPECT_EQ(counted->events, 3);
  EXPECT_EQ(counted->deliveries, 4);
  EXPECT_EQ(counted->attempts, 8);
  EXPECT_EQ(counted->kept_events, 3);
  for (const auto& id : {delivered, cancelled, unsent}) EXPECT_TRUE(event_exists(id));
  EXPECT_EQ(*store_->count_events(), 7);

  auto pruned = prune(*store_, cutoffs, {.batch = 2, .pause = std::chrono::milliseconds(0)});
  ASSERT_TRUE(pruned.ok()) << pruned.error().message;
  EXPECT_EQ(pruned->events, 3);
  EXPECT_EQ(pruned->deliveries, 4);
  EXPECT_EQ(pruned->attempts, 8);
  for (const auto& id : {delivered, cancelled, unsent}) EXPECT_FALSE(event_exists(id)) << id;
  EXPECT_EQ(deliveries_of(delivered), 0u);
  for (const auto& id : delivered_deliveries) EXPECT_TRUE(store_->list_attempts(id)->empty()) << id;
  for (const auto& id : {failed, retrying, pending, recent}) EXPECT_TRUE(event_exists(id)) << id;
  EXPECT_EQ(deliveries_of(failed), 2u) << "a failed delivery keeps its event and the event's other deliveries";

  // Nothing is left for a second pass.
  auto again = prune(*store_, cutoffs);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->events, 0);
}

TEST_P(RetentionTest, ExpiredIdempotencyKeysArePrunedAndMayBeRecordedAgain) {
  const int64_t now = now_ms();
  write_ok([&](WriteTx& tx) { return tx.insert_idempotency(key("old", now - kIdempotencyKeyTtlMs - 1)); });
  write_ok([&](WriteTx& tx) { return tx.insert_idempotency(key("live", now - kIdempotencyKeyTtlMs + 60'000)); });

  // A live key is taken; an expired one is replaced by the new request's record.
  auto taken = store_->write_and_wait([&](WriteTx& tx) { return tx.insert_idempotency(key("live", now, "second")); });
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error().code, "idempotency_key_in_use");
  write_ok([&](WriteTx& tx) { return tx.insert_idempotency(key("old", now, "second")); });
  auto replaced = store_->find_idempotency("key_1 POST /v1/events", "old");
  ASSERT_TRUE(replaced.ok() && replaced->has_value());
  EXPECT_EQ((*replaced)->response_body, "second");
  EXPECT_EQ((*replaced)->created_ms, now);

  // A day on, both have expired and go.
  const auto cutoffs = retention_cutoffs(now + kDayMs + 1, 30);
  auto counted = store_->count_prunable(cutoffs.events_before_ms, cutoffs.keys_before_ms);
  ASSERT_TRUE(counted.ok());
  EXPECT_EQ(counted->idempotency_keys, 2);
  auto pruned = prune(*store_, cutoffs, {.batch = 1, .pause = std::chrono::milliseconds(0)});
  ASSERT_TRUE(pruned.ok()) << pruned.error().message;
  EXPECT_EQ(pruned->idempotency_keys, 2);
  EXPECT_FALSE(store_->find_idempotency("key_1 POST /v1/events", "old")->has_value());
  EXPECT_FALSE(store_->find_idempotency("key_1 POST /v1/events", "live")->has_value());
}

INSTANTIATE_TEST_SUITE_P(Backends, RetentionTest, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& backend) { return backend.param; });

}  // namespace
}  // namespace billhook::store
