// The dispatcher's side of the store, on every backend: claiming due work, leases, per-aggregate
// order, manual retries and the work listener.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/random.hpp"
#include "unit/store/store_backends.hpp"

namespace billhook::events {
// gtest prints a status by name (found by argument-dependent lookup).
[[maybe_unused]] static void PrintTo(DeliveryStatus status, std::ostream* os) { *os << to_string(status); }
}  // namespace billhook::events

namespace billhook::store {
namespace {

using events::Delivery;
using events::DeliveryStatus;
using events::Endpoint;
using Strings = std::vector<std::string>;

constexpr int64_t kLease = 60'000;

// Parameterized by backend name ("sqlite", "postgres").
class ClaimTest : public ::testing::TestWithParam<std::string> {
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
  }

  void TearDown() override {
    if (store_) store_->set_work_listener(nullptr);
    store_.reset();
  }

  int64_t now_ms() const { return core::to_unix_ms(clock_.now()); }

  void write_ok(Store::WriteJob job) {
    auto s = store_->write_and_wait(std::move(job));
    ASSERT_TRUE(s.ok()) << s.error().message;
  }

  Endpoint add_endpoint(bool enabled = true, bool ordered = true) {
    Endpoint ep;
    ep.id = ids_.next(core::IdKind::endpoint);
    ep.url = "http://127.0.0.1:9/hook";
    ep.event_types = {"invoice.*"};
    ep.secret = "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0";
    ep.metadata_json = "{}";
    ep.enabled = enabled;
    ep.ordered = ordered;
    ep.created_ms = ep.updated_ms = now_ms();
    write_ok([&](WriteTx& tx) { return tx.insert_endpoint(ep); });
    return ep;
  }

  // A delivery of a fresh event; `aggregate` is "invoice/<id>" or empty.
  Delivery add_delivery(const Endpoint& ep, int64_t due_ms, DeliveryStatus status = DeliveryStatus::pending,
                        std::string aggregate = "", int64_t sequence = 0) {
    events::Event e;
    e.id = ids_.next(core::IdKind::event);
    e.type = "invoice.paid";
    e.created_ms = now_ms();
    e.data_json = R"({"object":{}})";
    Delivery d;
    d.id = ids_.next(core::IdKind::delivery);
    d.event_id = e.id;
    d.endpoint_id = ep.id;
    d.event_type = e.type;
    d.status = status;
    d.created_ms = d.updated_ms = now_ms();
    d.next_attempt_ms = due_ms;
    d.aggregate_key = std::move(aggregate);
    d.sequence = sequence;
    write_ok([&](WriteTx& tx) {
      if (auto s = tx.insert_event(e); !s) return s;
      return tx.insert_delivery(d);
    });
    return d;
  }

  std::vector<Delivery> claim(size_t limit = 100, const Strings& skip_endpoints = {},
                              const Strings& skip_deliveries = {}) {
    std::vector<Delivery> claimed;
    const int64_t now = now_ms();
    auto s = store_->write_and_wait([&](WriteTx& tx) -> core::Status {
      auto due = tx.claim_due(now, now + kLease, limit, skip_endpoints, skip_deliveries);
      if (!due) return std::move(due).error();
      claimed = std::move(*due);
      return {};
    });
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return claimed;
  }

  static Strings ids_of(const std::vector<Delivery>& ds) {
    Strings out;
    for (const auto& d : ds) out.push_back(d.id);
    return out;
  }

  Delivery reload(const Delivery& d) {
    auto found = store_->find_delivery(d.id);
    EXPECT_TRUE(found.ok() && found->has_value());
    return found.ok() && found->has_value() ? **found : Delivery{};
  }

  // As the dispatcher records a settled attempt: new status, lease ended.
  void settle(const Delivery& d, DeliveryStatus status, int64_t next_attempt_ms = 0) {
    Delivery updated = reload(d);
    updated.status = status;
    updated.attempt_count += 1;
    updated.lease_until_ms = 0;
    if (next_attempt_ms) updated.next_attempt_ms = next_attempt_ms;
    updated.updated_ms = now_ms();
    write_ok([&](WriteTx& tx) { return tx.update_delivery(updated); });
  }

  std::optional<SqliteBackend> sqlite_;
  std::optional<PostgresBackend> postgres_;
  core::ManualClock clock_{core::from_unix_ms(1'790'000'000'000)};
  core::SeededRandom random_{42};
  core::IdGenerator ids_{clock_, random_};
  std::unique_ptr<Store> store_;
};

INSTANTIATE_TEST_SUITE_P(Backends, ClaimTest, ::testing::Values(SqliteBackend::kName, PostgresBackend::kName),
                         [](const ::testing::TestParamInfo<std::string>& backend) { return backend.param; });

TEST_P(ClaimTest, NothingToClaimInAnEmptyStore) { EXPECT_TRUE(claim().empty()); }

TEST_P(ClaimTest, ClaimsOnlyDueOpenDeliveriesOfEnabledEndpoints) {
  const auto ep = add_endpoint();
  const auto disabled = add_endpoint(/*enabled=*/false);
  const int64_t now = now_ms();
  const auto pending = add_delivery(ep, now);
  const auto retrying = add_delivery(ep, now - 5'000, DeliveryStatus::retrying);
  add_delivery(ep, now + 1);  // not yet due
  add_delivery(ep, now - 10'000, DeliveryStatus::succeeded);
  add_delivery(ep, now - 10'000, DeliveryStatus::failed);
  add_delivery(ep, now - 10'000, DeliveryStatus::cancelled);
  add_delivery(disabled, now - 10'000);

  EXPECT_EQ(ids_of(claim()), (Strings{retrying.id, pending.id}));
}

TEST_P(ClaimTest, EarliestDueFirstAndLimited) {
  const auto ep = add_endpoint();
  const int64_t now = now_ms();
  const auto c = add_delivery(ep, now - 1'000);
  const auto a = add_delivery(ep, now - 3'000);
  const auto e = add_delivery(ep, now);
  const auto b = add_delivery(ep, now - 2'000);
  add_delivery(ep, now + 1'000);

  EXPECT_EQ(ids_of(claim(2)), (Strings{a.id, b.id}));
  // Skipping what was claimed keeps this about order and limit (leases: EveryDeliveryOfABatchIsLeased).
  EXPECT_EQ(ids_of(claim(2, {}, {a.id, b.id})), (Strings{c.id, e.id}));
  EXPECT_TRUE(claim(2, {}, {a.id, b.id, c.id, e.id}).empty());
}

TEST_P(ClaimTest, ClaimingLeasesUntilTheLeaseLapses) {
  const auto ep = add_endpoint();
  const auto d = add_delivery(ep, now_ms());
  const int64_t lease_until = now_ms() + kLease;

  const auto first = claim();
  ASSERT_EQ(ids_of(first), Strings{d.id});
  EXPECT_EQ(first[0].lease_until_ms, lease_until);
  EXPECT_EQ(reload(d).lease_until_ms, lease_until);

  EXPECT_TRUE(claim().empty()) << "a leased delivery is not claimed twice";
  clock_.advance(std::chrono::milliseconds(kLease - 1));
  EXPECT_TRUE(claim().empty()) << "the lease still holds 1 ms before it ends";
  clock_.advance(std::chrono::milliseconds(1));
  const auto again = claim();
  ASSERT_EQ(ids_of(again), Strings{d.id}) << "claimable again once the lease has lapsed";
  EXPECT_EQ(again[0].lease_until_ms, now_ms() + kLease);
}

TEST_P(ClaimTest, EveryDeliveryOfABatchIsLeased) {
  const auto ep = add_endpoint();
  const int64_t now = now_ms();
  const auto a = add_delivery(ep, now - 3);
  const auto b = add_delivery(ep, now - 2);
  const auto c = add_delivery(ep, now - 1);
  ASSERT_EQ(ids_of(claim()), (Strings{a.id, b.id, c.id}));
  for (const auto& d : {a, b, c}) EXPECT_EQ(reload(d).lease_until_ms, now + kLease) << d.id << " was not leased";
  EXPECT_TRUE(claim().empty());
}

TEST_P(ClaimTest, SkipsTheEndpointsAndDeliveriesItIsTold) {
  const auto ep1 = add_endpoint();
  const auto ep2 = add_endpoint();
  const int64_t now = now_ms();
  const auto a = add_delivery(ep1, now - 3);
  const auto b = add_delivery(ep2, now - 2);
  const auto c = add_delivery(ep2, now - 1);

  EXPECT_EQ(ids_of(claim(100, {ep2.id}, {a.id})), Strings{});
  EXPECT_EQ(ids_of(claim(100, {ep1.id}, {b.id})), Strings{c.id});
  EXPECT_EQ(ids_of(claim(100, {}, {})), (Strings{a.id, b.id}));
}

TEST_P(ClaimTest, SkippedDeliveriesAreNotLeased) {
  const auto ep = add_endpoint();
  const auto a = add_delivery(ep, now_ms());
  EXPECT_TRUE(claim(100, {ep.id}, {}).empty());
  EXPECT_EQ(reload(a).lease_until_ms, 0);
}

TEST_P(ClaimTest, OnlyTheHeadOfAnAggregateIsClaimable) {
  const auto ep = add_endpoint();
  const int64_t now = now_ms();
  const auto s1 = add_delivery(ep, now, DeliveryStatus::pending, "invoice/in_1", 1);
  const auto s2 = add_delivery(ep, now - 2'000, DeliveryStatus::pending, "invoice/in_1", 2);
  add_delivery(ep, now - 1'000, DeliveryStatus::pending, "invoice/in_1", 3);

  EXPECT_EQ(ids_of(claim()), Strings{s1.id});
  // In flight (leased, still pending) it keeps blocking the rest.
  EXPECT_TRUE(claim().empty());

  settle(s1, DeliveryStatus::succeeded);
  EXPECT_EQ(ids_of(claim()), Strings{s2.id});
  EXPECT_TRUE(claim().empty());
}

TEST_P(ClaimTest, AFailedHeadLetsTheNextGo) {
  const auto ep = add_endpoint();
  const int64_t now = now_ms();
  const auto s1 = add_delivery(ep, now, DeliveryStatus::pending, "invoice/in_1", 1);
  const auto s2 = add_delivery(ep, now, DeliveryStatus::pending, "invoice/in_1", 2);
  ASSERT_EQ(ids_of(claim()), Strings{s1.id});
  settle(s1, DeliveryStatus::failed);
  EXPECT_EQ(ids_of(claim()), Strings{s2.id});
}

TEST_P(ClaimTest, ACancelledHeadLetsTheNextGo) {
  const auto ep = add_endpoint();
  const int64_t now = now_ms();
  add_delivery(ep, now, DeliveryStatus::cancelled, "invoice/in_1", 1);
  const auto s2 = add_delivery(ep, now, DeliveryStatus::pending, "invoice/in_1", 2);
  EXPECT_EQ(ids_of(claim()), Strings{s2.id});
}

TEST_P(ClaimTest, ARetryingHeadBlocksTheRestUntilItSettles) {
  const auto ep = add_endpoint();
  const int64_t now = now_ms();
  const auto s1 = add_delivery(ep, now, DeliveryStatus::pending, "invoice/in_1", 1);
  const auto s2 = add_delivery(ep, now, DeliveryStatus::pending, "invoice/in_1", 2);
  ASSERT_EQ(ids_of(claim()), Strings{s1.id});
  settle(s1, DeliveryStatus::retrying, now + 10'000);
  EXPECT_TRUE(claim().empty()) << "the head waits for its retry and the rest wait behind it";

  clock_.advance(std::chrono::seconds(10));
  EXPECT_EQ(ids_of(claim()), Strings{s1.id});
  settle(s1, DeliveryStatus::succeeded);
  EXPECT_EQ(ids_of(claim()), Strings{s2.id});
}

TEST_P(ClaimTest, AnotherAggregateIsNotBlocked) {
  const auto ep = add_endpoint();
  const int64_t now = now_ms();
  const auto a1 = add_delivery(ep, now, DeliveryStatus::pending, "invoice/in_a", 1);
  add_delivery(ep, now, DeliveryStatus::pending, "invoice/in_a", 2);
  const auto b1 = add_delivery(ep, now, DeliveryStatus::pending, "invoice/in_b", 1);
  const auto c1 = add_delivery(ep, now, DeliveryStatus::pending, "customer/in_a", 1);
  EXPECT_EQ(ids_of(claim()), (Strings{a1.id, b1.id, c1.id}));
}

TEST_P(ClaimTest, OrderIsKeptPerEndpoint) {
  const auto ep1 = add_endpoint();
  const auto ep2 = add_endpoint();
  const int64_t now = now_ms();
  const auto e1s1 = add_delivery(ep1, now, DeliveryStatus::retrying, "invoice/in_1", 1);
  const auto e2s2 = add_delivery(ep2, now, DeliveryStatus::pending, "invoice/in_1", 2);
  // ep1's open head does not hold back ep2's delivery of the same aggregate.
  EXPECT_EQ(ids_of(claim()), (Strings{e1s1.id, e2s2.id}));
}

TEST_P(ClaimTest, UnorderedEndpointLetsAllGo) {
  const auto ep = add_endpoint(/*enabled=*/true, /*ordered=*/false);
  const int64_t now = now_ms();
  const auto s1 = add_delivery(ep, now - 3, DeliveryStatus::pending, "invoice/in_1", 1);
  const auto s2 = add_delivery(ep, now - 2, DeliveryStatus::pending, "invoice/in_1", 2);
  const auto s3 = add_delivery(ep, now - 1, DeliveryStatus::pending, "invoice/in_1", 3);
  EXPECT_EQ(ids_of(claim()), (Strings{s1.id, s2.id, s3.id}));
}

TEST_P(ClaimTest, DeliveriesWithoutAggregateAreNeverBlocked) {
  const auto ep = add_endpoint();
  const int64_t now = now_ms();
  const auto a = add_delivery(ep, now - 2);
  const auto b = add_delivery(ep, now - 1);
  EXPECT_EQ(reload(a).aggregate_key, "");
  EXPECT_EQ(ids_of(claim()), (Strings{a.id, b.id}));
  const auto c = add_delivery(ep, now);
  EXPECT_EQ(ids_of(claim(100, {}, {a.id, b.id})), Strings{c.id}) << "open deliveries without aggregate hold nothing back";
}

TEST_P(ClaimTest, RetryFailedRependsOnlyFailedOnesSinceTheTime) {
  const auto ep = add_endpoint();
  const auto other = add_endpoint();
  const auto old_failed = add_delivery(ep, now_ms(), DeliveryStatus::failed);
  clock_.advance(std::chrono::hours(1));
  const int64_t since = now_ms();
  const auto failed1 = add_delivery(ep, now_ms(), DeliveryStatus::failed);
  const auto succeeded = add_delivery(ep, now_ms(), DeliveryStatus::succeeded);
  const auto cancelled = add_delivery(ep, now_ms(), DeliveryStatus::cancelled);
  clock_.advance(std::chrono::minutes(1));
  const auto failed2 = add_delivery(ep, now_ms(), DeliveryStatus::failed);
  const auto other_failed = add_delivery(other, now_ms(), DeliveryStatus::failed);
  clock_.advance(std::chrono::minutes(1));

  const int64_t now = now_ms();
  int count = -1;
  write_ok([&](WriteTx& tx) -> core::Status {
    auto n = tx.retry_failed(ep.id, since, now);
    if (!n) return std::move(n).error();
    count = *n;
    return {};
  });
  EXPECT_EQ(count, 2);
  for (const auto& d : {failed1, failed2}) {
    const auto got = reload(d);
    EXPECT_EQ(got.status, DeliveryStatus::pending);
    EXPECT_EQ(got.next_attempt_ms, now);
    EXPECT_EQ(got.lease_until_ms, 0);
  }
  EXPECT_EQ(reload(old_failed).status, DeliveryStatus::failed);
  EXPECT_EQ(reload(succeeded).status, DeliveryStatus::succeeded);
  EXPECT_EQ(reload(cancelled).status, DeliveryStatus::cancelled);
  EXPECT_EQ(reload(other_failed).status, DeliveryStatus::failed);
  EXPECT_EQ(ids_of(claim()), (Strings{failed1.id, failed2.id}));
}

TEST_P(ClaimTest, RetryFailedWithNothingFailedCountsZero) {
  const auto ep = add_endpoint();
  add_delivery(ep, now_ms());
  int count = -1;
  write_ok([&](WriteTx& tx) -> core::Status {
    auto n = tx.retry_failed(ep.id, 0, now_ms());
    if (!n) return std::move(n).error();
    count = *n;
    return {};
  });
  EXPECT_EQ(count, 0);
}

TEST_P(ClaimTest, ReleaseAllLeasesMakesLeasedWorkClaimableAtOnce) {
  const auto ep = add_endpoint();
  const auto a = add_delivery(ep, now_ms() - 1);
  const auto b = add_delivery(ep, now_ms());
  // One at a time, so this does not depend on batch leasing (EveryDeliveryOfABatchIsLeased).
  ASSERT_EQ(ids_of(claim(1)), Strings{a.id});
  ASSERT_EQ(ids_of(claim(1)), Strings{b.id});
  ASSERT_TRUE(claim().empty());
  write_ok([](WriteTx& tx) { return tx.release_all_leases(); });
  EXPECT_EQ(reload(a).lease_until_ms, 0);
  EXPECT_EQ(reload(b).lease_until_ms, 0);
  EXPECT_EQ(ids_of(claim()), (Strings{a.id, b.id}));
}

// The dispatcher marks what it sent and renews what it holds; a delivery settled meanwhile (answered and
// recorded, or cancelled with its endpoint) keeps what its settling wrote.
TEST_P(ClaimTest, SendsAreMarkedAndLeasesRenewedOnOpenDeliveriesOnly) {
  const auto ep = add_endpoint();
  const int64_t now = now_ms();
  std::vector<Delivery> all;
  for (auto status : {DeliveryStatus::pending, DeliveryStatus::retrying, DeliveryStatus::succeeded,
                      DeliveryStatus::failed, DeliveryStatus::cancelled}) {
    auto d = add_delivery(ep, now, status);
    // Each one held under a live lease, as a claim leaves it (settling ends it; cancelling does not).
    d.lease_until_ms = now + 1'000;
    write_ok([&](WriteTx& tx) { return tx.update_delivery(d); });
    all.push_back(d);
  }
  // Open, but its answer was recorded before the mark came: the record is the newer news.
  auto answered = add_delivery(ep, now);
  answered.last_attempt_ms = now + 5;
  write_ok([&](WriteTx& tx) { return tx.update_delivery(answered); });

  Strings ids = ids_of(all);
  ids.push_back(answered.id);
  write_ok([&](WriteTx& tx) { return tx.mark_sending(ids, now + 5); });
  write_ok([&](WriteTx& tx) { return tx.renew_leases(ids, now, now + kLease); });

  for (const auto& d : all) {
    const bool open = d.status == DeliveryStatus::pending || d.status == DeliveryStatus::retrying;
    const auto got = reload(d);
    EXPECT_EQ(got.sending_ms, open ? now + 5 : 0) << to_string(d.status);
    EXPECT_EQ(got.lease_until_ms, open ? now + kLease : now + 1'000) << to_string(d.status);
  }
  EXPECT_EQ(reload(answered).sending_ms, 0) << "marked after its answer was recorded";
}

TEST_P(ClaimTest, AClaimedDeliveryIsWrittenOverOnlyIfNothingMovedIt) {
  const auto ep = add_endpoint();
  const auto a = add_delivery(ep, now_ms());
  const auto claimed = claim();
  ASSERT_EQ(ids_of(claimed), Strings{a.id});
  const Delivery as_claimed = claimed[0];
  const auto write_if_unchanged = [&](const Delivery& updated) {
    bool written = false;
    write_ok([&](WriteTx& tx) -> core::Status {
      auto w = tx.update_delivery_if_unchanged(updated, as_claimed);
      if (!w) return std::move(w).error();
      written = *w;
      return {};
    });
    return written;
  };
  Delivery succeeded = as_claimed;
  succeeded.status = DeliveryStatus::succeeded;
  succeeded.attempt_count = 1;
  succeeded.lease_until_ms = 0;

  // Attempted since (another node, its lease having lapsed): left as that attempt made it.
  Delivery elsewhere = as_claimed;
  elsewhere.status = DeliveryStatus::retrying;
  elsewhere.attempt_count = 1;
  write_ok([&](WriteTx& tx) { return tx.update_delivery(elsewhere); });
  EXPECT_FALSE(write_if_unchanged(succeeded));
  EXPECT_EQ(reload(a).status, DeliveryStatus::retrying);
  EXPECT_EQ(reload(a).lease_until_ms, as_claimed.lease_until_ms);

  // Cancelled since, with no attempt made: left cancelled.
  Delivery cancelled = as_claimed;
  cancelled.status = DeliveryStatus::cancelled;
  write_ok([&](WriteTx& tx) { return tx.update_delivery(cancelled); });
  EXPECT_FALSE(write_if_unchanged(succeeded));
  EXPECT_EQ(reload(a).status, DeliveryStatus::cancelled);

  // As claimed again (a lease renewed or a send marked does not count as moving it): written.
  Delivery renewed = as_claimed;
  renewed.lease_until_ms += 1'000;
  renewed.sending_ms = now_ms();
  write_ok([&](WriteTx& tx) { return tx.update_delivery(renewed); });
  EXPECT_TRUE(write_if_unchanged(succeeded));
  const auto got = reload(a);
  EXPECT_EQ(got.status, DeliveryStatus::succeeded);
  EXPECT_EQ(got.attempt_count, 1);
  EXPECT_EQ(got.lease_until_ms, 0);
  EXPECT_EQ(got.sending_ms, 0);
}

// Attempts recorded together, as the dispatcher's are (PostgreSQL's writer then does not read each
// guarded write's answer, and runs the batch's jobs again one by one when one found its delivery
// moved): each job learns whether its own delivery had moved, and only the others are written.
TEST_P(ClaimTest, InABatchOfGuardedWritesEachLearnsWhetherItsOwnDeliveryMoved) {
  const auto ep = add_endpoint();
  constexpr size_t kDeliveries = 5, kMoved = 2;
  for (size_t i = 0; i < kDeliveries; ++i) add_delivery(ep, now_ms());
  const auto claimed = claim();
  ASSERT_EQ(claimed.size(), kDeliveries);
  Delivery cancelled = claimed[kMoved];
  cancelled.status = DeliveryStatus::cancelled;
  write_ok([&](WriteTx& tx) { return tx.update_delivery(cancelled); });

  std::vector<int> written(kDeliveries, -1);  // touched by the writer only
  std::vector<std::pair<Store::Rerun, Store::WriteJob>> jobs;
  for (size_t i = 0; i < kDeliveries; ++i)
    jobs.emplace_back(Store::Rerun::allowed, [&, i](WriteTx& tx) -> core::Status {
      Delivery succeeded = claimed[i];
      succeeded.status = DeliveryStatus::succeeded;
      succeeded.attempt_count = 1;
      auto w = tx.update_delivery_if_unchanged(succeeded, claimed[i]);
      if (!w) return std::move(w).error();
      written[i] = *w ? 1 : 0;
      return {};
    });
  for (const auto& s : write_together(*store_, std::move(jobs))) ASSERT_TRUE(s.ok()) << s.error().message;
  for (size_t i = 0; i < kDeliveries; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(written[i], i == kMoved ? 0 : 1);
    EXPECT_EQ(reload(claimed[i]).status, i == kMoved ? DeliveryStatus::cancelled : DeliveryStatus::succeeded);
  }
}

TEST_P(ClaimTest, NextDueIsTheEarliestOpenDelivery) {
  auto none = store_->next_due_ms();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  const auto ep = add_endpoint();
  const int64_t now = now_ms();
  add_delivery(ep, now - 50'000, DeliveryStatus::succeeded);
  add_delivery(ep, now - 40'000, DeliveryStatus::failed);
  add_delivery(ep, now - 30'000, DeliveryStatus::cancelled);
  add_delivery(ep, now + 20'000, DeliveryStatus::pending);
  add_delivery(ep, now + 10'000, DeliveryStatus::retrying);
  auto next = store_->next_due_ms();
  ASSERT_TRUE(next.ok());
  ASSERT_TRUE(next->has_value());
  EXPECT_EQ(**next, now + 10'000);
}

// Counts listener calls. The listener runs on the writer after a batch's `done`s, so a later
// write_and_wait is the point by which an earlier batch's call has happened.
class ListenerProbe {
 public:
  void attach(Store& store, std::function<void()> also = {}) {
    store.set_work_listener([this, also] {
      if (also) also();
      calls_.fetch_add(1);
    });
  }
  int calls() const { return calls_.load(); }

 private:
  std::atomic<int> calls_{0};
};

TEST_P(ClaimTest, WorkListenerRunsAfterCommitOnlyForTransactionsThatNotified) {
  const auto ep = add_endpoint();
  const auto barrier = [&] { write_ok([](WriteTx&) { return core::Status{}; }); };
  ListenerProbe probe;
  std::string watched_id;
  std::atomic<bool> visible_when_called{false};
  probe.attach(*store_, [&] {
    if (watched_id.empty()) return;
    auto found = store_->find_delivery(watched_id);  // a read connection sees only committed data
    visible_when_called = found.ok() && found->has_value();
  });

  add_delivery(ep, now_ms());  // does not call notify_work
  barrier();
  EXPECT_EQ(probe.calls(), 0);

  Delivery d;
  d.id = ids_.next(core::IdKind::delivery);
  d.event_id = "evt_x";
  d.endpoint_id = ep.id;
  d.event_type = "invoice.paid";
  d.next_attempt_ms = d.created_ms = d.updated_ms = now_ms();
  watched_id = d.id;
  write_ok([&](WriteTx& tx) {
    tx.notify_work();
    return tx.insert_delivery(d);
  });
  barrier();
  EXPECT_EQ(probe.calls(), 1);
  EXPECT_TRUE(visible_when_called.load()) << "the listener must run after the commit";
}

TEST_P(ClaimTest, WorkListenerIsNotCalledForARolledBackJob) {
  const auto ep = add_endpoint();
  ListenerProbe probe;
  probe.attach(*store_);
  Delivery d;
  d.id = ids_.next(core::IdKind::delivery);
  d.event_id = "evt_x";
  d.endpoint_id = ep.id;
  d.event_type = "invoice.paid";
  d.next_attempt_ms = d.created_ms = d.updated_ms = now_ms();
  auto s = store_->write_and_wait([&](WriteTx& tx) -> core::Status {
    tx.notify_work();
    if (auto inserted = tx.insert_delivery(d); !inserted) return inserted;
    return core::Error::internal("changed my mind");
  });
  EXPECT_FALSE(s.ok());
  write_ok([](WriteTx&) { return core::Status{}; });
  EXPECT_EQ(probe.calls(), 0);
  auto found = store_->find_delivery(d.id);
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());
}

TEST_P(ClaimTest, WorkListenerInAGroupCommitFollowsOnlyTheJobsThatKeptTheirChanges) {
  add_endpoint();
  ListenerProbe probe;
  probe.attach(*store_);

  // Hold the writer in one job so that the next ones queue up and commit together.
  std::promise<void> entered;
  std::promise<void> release;
  auto released = release.get_future().share();
  store_->write(
      [&entered, released](WriteTx&) {
        entered.set_value();
        released.wait();
        return core::Status{};
      },
      [](core::Status) {});
  entered.get_future().wait();

  std::atomic<int> done{0};
  std::promise<void> all_done;
  const auto count_done = [&](core::Status) {
    if (done.fetch_add(1) + 1 == 2) all_done.set_value();
  };
  store_->write(
      [](WriteTx& tx) -> core::Status {
        tx.notify_work();
        return core::Error::internal("rolled back");
      },
      count_done);
  store_->write([](WriteTx&) { return core::Status{}; }, count_done);
  release.set_value();
  all_done.get_future().wait();
  write_ok([](WriteTx&) { return core::Status{}; });
  EXPECT_EQ(probe.calls(), 0) << "a rolled-back job's notify_work must not reach the listener";

  // And one job that notifies and commits, beside one that fails, calls it once.
  std::promise<void> entered2;
  std::promise<void> release2;
  auto released2 = release2.get_future().share();
  store_->write(
      [&entered2, released2](WriteTx&) {
        entered2.set_value();
        released2.wait();
        return core::Status{};
      },
      [](core::Status) {});
  entered2.get_future().wait();
  store_->write(
      [](WriteTx& tx) {
        tx.notify_work();
        return core::Status{};
      },
      [](core::Status) {});
  store_->write(
      [](WriteTx& tx) -> core::Status {
        tx.notify_work();
        return core::Error::internal("rolled back");
      },
      [](core::Status) {});
  release2.set_value();
  // The first may share the batch; the second is queued after it and so after its listener call.
  write_ok([](WriteTx&) { return core::Status{}; });
  write_ok([](WriteTx&) { return core::Status{}; });
  EXPECT_EQ(probe.calls(), 1);
}

}  // namespace
}  // namespace billhook::store
