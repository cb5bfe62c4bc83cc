// The delivery statistics the store keeps with each attempt (store/delivery_stats.hpp), on every
// backend: per-minute buckets summed per step, percentiles and success rate read from them, endpoint
// health, failing endpoints, queue depth; and, on PostgreSQL, two nodes counting into one database.
#include <future>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/random.hpp"
#include "store/store_metrics.hpp"
#include "unit/store/store_backends.hpp"

namespace billhook::store {
namespace {

using events::Attempt;
using events::Delivery;
using events::DeliveryStatus;
using events::Endpoint;

constexpr int64_t kMinute = 60'000;

class StatsStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == PostgresBackend::kName) {
      BILLHOOK_REQUIRE_POSTGRES();
      postgres_.emplace();
    } else {
      sqlite_.emplace();
    }
    store_ = open();
    ASSERT_NE(store_, nullptr);
  }

  std::unique_ptr<Store> open() { return postgres_ ? postgres_->open(clock_) : sqlite_->open(clock_); }

  int64_t now_ms() const { return core::to_unix_ms(clock_.now()); }
  int64_t now_minute() const { return now_ms() / kMinute; }

  void write_ok(Store& store, const Store::WriteJob& job) {
    auto s = store.write_and_wait(job);
    ASSERT_TRUE(s.ok()) << s.error().message;
  }

  std::string add_endpoint() {
    Endpoint ep;
    ep.id = ids_.next(core::IdKind::endpoint);
    ep.url = "http://127.0.0.1:9/hook";
    ep.secret = "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0";
    ep.metadata_json = "{}";
    ep.created_ms = ep.updated_ms = now_ms();
    write_ok(*store_, [&](WriteTx& tx) { return tx.insert_endpoint(ep); });
    return ep.id;
  }

  // A delivery to `endpoint_id` (of an event that need not be stored), in `status`.
  std::string add_delivery(const std::string& endpoint_id, DeliveryStatus status = DeliveryStatus::pending) {
    Delivery d;
    d.id = ids_.next(core::IdKind::delivery);
    d.event_id = ids_.next(core::IdKind::event);
    d.endpoint_id = endpoint_id;
    d.event_type = "invoice.paid";
    d.status = status;
    d.created_ms = d.updated_ms = d.next_attempt_ms = now_ms();
    write_ok(*store_, [&](WriteTx& tx) { return tx.insert_delivery(d); });
    return d.id;
  }

  // An endpoint and a pending delivery to it: {endpoint id, delivery id}.
  std::pair<std::string, std::string> add_endpoint_with_delivery() {
    auto endpoint_id = add_endpoint();
    auto delivery_id = add_delivery(endpoint_id);
    return {std::move(endpoint_id), std::move(delivery_id)};
  }

  Attempt attempt(const std::string& delivery_id, int64_t started_ms, int64_t duration_ms, bool succeeded) {
    Attempt a;
    a.id = ids_.next(core::IdKind::attempt);
    a.delivery_id = delivery_id;
    a.number = ++numbers_;
    a.started_ms = started_ms;
    a.duration_ms = duration_ms;
    a.status_code = succeeded ? 200 : 500;
    a.error_class = succeeded ? "none" : "http_status";
    a.response_headers_json = "{}";
    return a;
  }

  void record(Store& store, const Attempt& a) {
    write_ok(store, [&](WriteTx& tx) { return tx.insert_attempt(a); });
  }

  std::vector<StatsBucket> buckets(int64_t from_minute, int64_t to_minute, int64_t step) {
    auto got = store_->delivery_stats(from_minute, to_minute, step);
    EXPECT_TRUE(got.ok()) << (got.ok() ? "" : got.error().message);
    return got.ok() ? *got : std::vector<StatsBucket>{};
  }

  std::optional<EndpointHealth> health_of(const std::string& endpoint_id) {
    auto got = store_->endpoint_health({endpoint_id});
    EXPECT_TRUE(got.ok()) << (got.ok() ? "" : got.error().message);
    if (!got.ok() || got->empty()) return std::nullopt;
    return got->front();
  }

  core::ManualClock clock_{core::from_unix_ms(1'790'000'040'000)};  // the start of a minute
  core::SeededRandom random_{7};
  core::IdGenerator ids_{clock_, random_};
  std::optional<SqliteBackend> sqlite_;
  std::optional<PostgresBackend> postgres_;
  std::unique_ptr<Store> store_;
  int numbers_ = 0;
};

TEST_P(StatsStoreTest, EachAttemptIsCountedInItsMinuteWithItsLatency) {
  ASSERT_EQ(now_ms() % kMinute, 0);
  const auto ep = add_endpoint();
  const auto d = add_delivery(ep);
  const int64_t t = now_ms();
  // Minute 0: three attempts, two of them successes. Minute 1: one failure. Minute 20: one success.
  record(*store_, attempt(d, t + 1'000, 3, true));
  record(*store_, attempt(d, t + 2'000, 80, true));
  record(*store_, attempt(d, t + 59'999, 2'000, false));
  record(*store_, attempt(d, t + kMinute, 40, false));
  record(*store_, attempt(d, t + 20 * kMinute, 700, true));

  const int64_t m = now_minute();
  const auto per_minute = buckets(m, m + 60, 1);
  ASSERT_EQ(per_minute.size(), 3u) << "minutes without attempts are left out";
  EXPECT_EQ(per_minute[0].minute, m);
  EXPECT_EQ(per_minute[0].attempts, 3);
  EXPECT_EQ(per_minute[0].succeeded, 2);
  EXPECT_EQ(per_minute[0].latency[latency_bucket(3)], 1);
  EXPECT_EQ(per_minute[0].latency[latency_bucket(80)], 1);
  EXPECT_EQ(per_minute[0].latency[latency_bucket(2'000)], 1);
  EXPECT_EQ(per_minute[1].minute, m + 1);
  EXPECT_EQ(per_minute[1].attempts, 1);
  EXPECT_EQ(per_minute[1].succeeded, 0);
  EXPECT_EQ(per_minute[2].minute, m + 20);

  // The figures of minute 0, read from its bucket.
  EXPECT_NEAR(*success_rate(per_minute[0]), 2.0 / 3.0, 1e-12);
  EXPECT_EQ(latency_percentile(per_minute[0].latency, 0.5), 100);  // the 80 ms one, in (50, 100]
  EXPECT_EQ(latency_percentile(per_minute[0].latency, 0.99), 2'500);  // the 2 s one, in (1 s, 2.5 s]

  // The window's end is exclusive, its start inclusive.
  EXPECT_EQ(buckets(m + 1, m + 20, 1).size(), 1u);
  EXPECT_TRUE(buckets(m + 2, m + 20, 1).empty());
}

TEST_P(StatsStoreTest, StepsSumTheirMinutes) {
  const auto ep = add_endpoint();
  const auto d = add_delivery(ep);
  // Start at a 15-minute boundary so the steps are known.
  const int64_t base_minute = (now_minute() / 15 + 1) * 15;
  const int64_t base = base_minute * kMinute;
  record(*store_, attempt(d, base, 10, true));
  record(*store_, attempt(d, base + 14 * kMinute, 10, false));
  record(*store_, attempt(d, base + 15 * kMinute, 300, true));
  const auto steps = buckets(base_minute, base_minute + 60, 15);
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].minute, base_minute);
  EXPECT_EQ(steps[0].attempts, 2);
  EXPECT_EQ(steps[0].succeeded, 1);
  EXPECT_EQ(steps[0].latency[latency_bucket(10)], 2);
  EXPECT_EQ(steps[1].minute, base_minute + 15);
  EXPECT_EQ(steps[1].attempts, 1);
  EXPECT_DOUBLE_EQ(*success_rate(steps[1]), 1.0);
  EXPECT_EQ(latency_percentile(steps[1].latency, 0.5), 500);
}

TEST_P(StatsStoreTest, HealthKeepsTheLastSuccessAndTheFailureStreak) {
  const auto ep = add_endpoint();
  const auto other = add_endpoint();
  const auto d = add_delivery(ep);
  EXPECT_FALSE(health_of(ep)) << "no health before the first attempt";
  const int64_t t = now_ms();
  record(*store_, attempt(d, t, 50, true));
  record(*store_, attempt(d, t + 1'000, 20, false));
  record(*store_, attempt(d, t + 2'000, 20, false));
  auto h = health_of(ep);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->last_success_ms, t + 50);
  EXPECT_EQ(h->last_failure_ms, t + 2'020);
  EXPECT_EQ(h->failure_streak, 2);
  EXPECT_FALSE(health_of(other));

  // An attempt recorded late (it started earlier) does not move the times back.
  record(*store_, attempt(d, t - 10'000, 5, false));
  h = health_of(ep);
  EXPECT_EQ(h->last_failure_ms, t + 2'020);
  EXPECT_EQ(h->failure_streak, 3);

  auto failing = store_->failing_endpoints(t, 10);
  ASSERT_TRUE(failing.ok());
  ASSERT_EQ(failing->size(), 1u);
  EXPECT_EQ(failing->front().endpoint_id, ep);
  auto failing_later = store_->failing_endpoints(t + 3'000, 10);
  ASSERT_TRUE(failing_later.ok());
  EXPECT_TRUE(failing_later->empty()) << "no failure at or after that time";

  // A success ends the streak; the endpoint is no longer failing.
  record(*store_, attempt(d, t + 5'000, 30, true));
  h = health_of(ep);
  EXPECT_EQ(h->failure_streak, 0);
  EXPECT_EQ(h->last_success_ms, t + 5'030);
  failing = store_->failing_endpoints(t, 10);
  ASSERT_TRUE(failing.ok());
  EXPECT_TRUE(failing->empty());

  // Deleting the endpoint forgets its health.
  write_ok(*store_, [&](WriteTx& tx) { return tx.delete_endpoint(ep, now_ms()); });
  EXPECT_FALSE(health_of(ep));
}

// Attempts recorded in one batch count as they would one by one: a batch's failures add to the streak
// it found, a success in it restarts the streak from the failures after it, the times are the latest.
TEST_P(StatsStoreTest, HealthCountsABatchOfAttemptsAsEachInTurn) {
  const auto [a, da] = add_endpoint_with_delivery();
  const auto [b, db] = add_endpoint_with_delivery();
  const int64_t t = now_ms();
  auto record_together = [&](std::vector<Attempt> attempts) {
    std::vector<std::pair<Store::Rerun, Store::WriteJob>> jobs;
    for (auto& attempt : attempts)
      jobs.emplace_back(Store::Rerun::allowed,
                        [attempt = std::move(attempt)](WriteTx& tx) { return tx.insert_attempt(attempt); });
    for (const auto& s : write_together(*store_, std::move(jobs))) ASSERT_TRUE(s.ok());
  };
  record_together({attempt(da, t, 10, true), attempt(db, t, 5, false), attempt(da, t + 1'000, 20, false),
                   attempt(da, t + 2'000, 20, false)});
  auto ha = health_of(a), hb = health_of(b);
  ASSERT_TRUE(ha && hb);
  EXPECT_EQ(ha->last_success_ms, t + 10);
  EXPECT_EQ(ha->last_failure_ms, t + 2'020);
  EXPECT_EQ(ha->failure_streak, 2);
  EXPECT_EQ(hb->last_success_ms, 0);
  EXPECT_EQ(hb->last_failure_ms, t + 5);
  EXPECT_EQ(hb->failure_streak, 1);

  // Failures only: added to the streak there was. One recorded late does not move the time back.
  record_together({attempt(da, t + 3'000, 20, false), attempt(da, t - 5'000, 20, false)});
  ha = health_of(a);
  EXPECT_EQ(ha->failure_streak, 4);
  EXPECT_EQ(ha->last_failure_ms, t + 3'020);
  EXPECT_EQ(ha->last_success_ms, t + 10);

  // A success among them: the streak is the failures recorded after it.
  record_together({attempt(da, t + 4'000, 20, false), attempt(da, t + 5'000, 30, true),
                   attempt(da, t + 6'000, 20, false), attempt(db, t + 4'000, 7, true)});
  ha = health_of(a), hb = health_of(b);
  EXPECT_EQ(ha->failure_streak, 1);
  EXPECT_EQ(ha->last_success_ms, t + 5'030);
  EXPECT_EQ(ha->last_failure_ms, t + 6'020);
  EXPECT_EQ(hb->failure_streak, 0);
  EXPECT_EQ(hb->last_success_ms, t + 4'007);
}

TEST_P(StatsStoreTest, FailingEndpointsComeLongestStreakFirst) {
  const auto [a, da] = add_endpoint_with_delivery();
  const auto [b, db] = add_endpoint_with_delivery();
  const int64_t t = now_ms();
  record(*store_, attempt(da, t, 5, false));
  for (int i = 0; i < 3; ++i) record(*store_, attempt(db, t + i, 5, false));
  auto failing = store_->failing_endpoints(0, 10);
  ASSERT_TRUE(failing.ok());
  ASSERT_EQ(failing->size(), 2u);
  EXPECT_EQ(failing->at(0).endpoint_id, b);
  EXPECT_EQ(failing->at(0).failure_streak, 3);
  EXPECT_EQ(failing->at(1).endpoint_id, a);
  auto one = store_->failing_endpoints(0, 1);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->size(), 1u);
}

TEST_P(StatsStoreTest, QueueDepthCountsOpenDeliveries) {
  const auto ep = add_endpoint();
  auto depth = store_->queue_depth();
  ASSERT_TRUE(depth.ok());
  EXPECT_EQ(*depth, 0);
  add_delivery(ep, DeliveryStatus::pending);
  add_delivery(ep, DeliveryStatus::retrying);
  add_delivery(ep, DeliveryStatus::succeeded);
  add_delivery(ep, DeliveryStatus::failed);
  depth = store_->queue_depth();
  ASSERT_TRUE(depth.ok());
  EXPECT_EQ(*depth, 2);
}

TEST_P(StatsStoreTest, DeepestQueuesNameTheEndpointsWithTheMostOpenDeliveriesAndTheirOldest) {
  auto* metrics = dynamic_cast<StoreMetrics*>(store_.get());
  ASSERT_NE(metrics, nullptr) << "every backend reports its metrics";
  auto none = metrics->deepest_queues(10);
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_TRUE(none->empty());

  const auto a = add_endpoint(), b = add_endpoint(), c = add_endpoint(), idle = add_endpoint();
  const int64_t b_oldest = now_ms();
  add_delivery(b, DeliveryStatus::retrying);
  clock_.advance(std::chrono::seconds(10));
  const int64_t a_oldest = now_ms();
  add_delivery(a, DeliveryStatus::succeeded);  // delivered: not in the queue, however old
  add_delivery(a, DeliveryStatus::pending);
  clock_.advance(std::chrono::seconds(10));
  add_delivery(a, DeliveryStatus::retrying);
  add_delivery(c, DeliveryStatus::pending);
  add_delivery(c, DeliveryStatus::pending);
  add_delivery(idle, DeliveryStatus::failed);

  auto all = metrics->deepest_queues(10);
  ASSERT_TRUE(all.ok()) << all.error().message;
  ASSERT_EQ(all->size(), 3u) << "the idle endpoint has nothing open";
  // a and c tie at two: by endpoint id (a was created first, and ids sort by creation).
  EXPECT_EQ(all->at(0).endpoint_id, a);
  EXPECT_EQ(all->at(0).depth, 2);
  EXPECT_EQ(all->at(0).oldest_created_ms, a_oldest);
  EXPECT_EQ(all->at(1).endpoint_id, c);
  EXPECT_EQ(all->at(2).endpoint_id, b);
  EXPECT_EQ(all->at(2).depth, 1);
  EXPECT_EQ(all->at(2).oldest_created_ms, b_oldest);

  auto top = metrics->deepest_queues(1);
  ASSERT_TRUE(top.ok());
  ASSERT_EQ(top->size(), 1u);
  EXPECT_EQ(top->at(0).endpoint_id, a);
  auto depth = metrics->queue_depth();
  ASSERT_TRUE(depth.ok());
  EXPECT_EQ(*depth, 5);
}

TEST_P(StatsStoreTest, CountsSurviveAReopen) {
  const auto ep = add_endpoint();
  const auto d = add_delivery(ep);
  record(*store_, attempt(d, now_ms(), 5, true));
  store_ = open();
  ASSERT_NE(store_, nullptr);
  const auto got = buckets(now_minute(), now_minute() + 1, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].attempts, 1);
}

TEST_P(StatsStoreTest, BucketsOlderThanEightDaysAreDroppedAsNewMinutesBegin) {
  const auto ep = add_endpoint();
  const auto d = add_delivery(ep);
  const int64_t t = now_ms();
  record(*store_, attempt(d, t, 5, true));
  record(*store_, attempt(d, t + 7 * 24 * 60 * kMinute, 5, true));
  EXPECT_EQ(buckets(0, now_minute() + 8 * 24 * 60 + 10, 1).size(), 2u) << "a week old is still kept";
  record(*store_, attempt(d, t + 8 * 24 * 60 * kMinute + kMinute, 5, true));
  const auto kept = buckets(0, now_minute() + 8 * 24 * 60 + 10, 1);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].minute, now_minute() + 7 * 24 * 60);
}

// Several nodes on one database count into it together: what one node's stats show is every node's.
// Only PostgreSQL is shared by nodes.
class StatsStoreNodesTest : public StatsStoreTest {};

TEST_P(StatsStoreNodesTest, NodesSharingTheDatabaseCountTogether) {
  auto second = open();
  ASSERT_NE(second, nullptr);
  const auto ep = add_endpoint();
  const auto d = add_delivery(ep);
  const int64_t t = now_ms();
  constexpr int kEach = 40;
  // The attempts are made up front: the id generator belongs to this thread.
  std::vector<Attempt> successes, failures;
  for (int i = 0; i < kEach; ++i) {
    successes.push_back(attempt(d, t + i, 20, true));
    failures.push_back(attempt(d, t + i, 20, false));
  }
  auto node = [](Store& store, const std::vector<Attempt>& attempts) {
    for (const auto& a : attempts) {
      auto s = store.write_and_wait([&a](WriteTx& tx) { return tx.insert_attempt(a); });
      if (!s.ok()) return s;
    }
    return core::Status{};
  };
  auto one = std::async(std::launch::async, [&] { return node(*store_, successes); });
  auto two = std::async(std::launch::async, [&] { return node(*second, failures); });
  ASSERT_TRUE(one.get().ok());
  ASSERT_TRUE(two.get().ok());
  for (Store* store : {store_.get(), second.get()}) {
    auto got = store->delivery_stats(now_minute(), now_minute() + 1, 1);
    ASSERT_TRUE(got.ok());
    ASSERT_EQ(got->size(), 1u);
    EXPECT_EQ(got->at(0).attempts, 2 * kEach);
    EXPECT_EQ(got->at(0).succeeded, kEach);
    EXPECT_EQ(got->at(0).latency[latency_bucket(20)], 2 * kEach);
  }
}

// A job rolled back is not counted, nor is a job that ran twice (SQLite runs again the jobs that may
// run again and shared a savepoint with a failing one): each attempt kept is counted once.
TEST_P(StatsStoreTest, AttemptsOfJobsRolledBackOrRunAgainAreCountedOnce) {
  const auto ep = add_endpoint();
  const auto d = add_delivery(ep);
  const int64_t t = now_ms();
  const std::vector<Attempt> attempts = {attempt(d, t, 20, true), attempt(d, t + 1, 20, false),
                                         attempt(d, t + 2, 20, true)};
  std::vector<std::pair<Store::Rerun, Store::WriteJob>> jobs;
  for (size_t i = 0; i < attempts.size(); ++i)
    jobs.emplace_back(Store::Rerun::allowed, [&attempts, i](WriteTx& tx) -> core::Status {
      if (auto s = tx.insert_attempt(attempts[i]); !s) return s;
      if (i == 1) return core::Error::conflict("test_refusal", "refused after writing");
      return {};
    });
  const auto statuses = write_together(*store_, std::move(jobs));
  EXPECT_TRUE(statuses[0].ok());
  EXPECT_FALSE(statuses[1].ok());
  EXPECT_TRUE(statuses[2].ok());
  const auto got = buckets(now_minute(), now_minute() + 1, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].attempts, 2);
  EXPECT_EQ(got[0].succeeded, 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, StatsStoreTest, ::testing::Values(SqliteBackend::kName, PostgresBackend::kName),
                         [](const ::testing::TestParamInfo<std::string>& backend) { return backend.param; });
INSTANTIATE_TEST_SUITE_P(Backends, StatsStoreNodesTest, ::testing::Values(PostgresBackend::kName),
                         [](const ::testing::TestParamInfo<std::string>& backend) { return backend.param; });

}  // namespace
}  // namespace billhook::store
