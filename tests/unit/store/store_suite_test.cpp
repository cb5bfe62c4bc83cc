// The store contract, as one typed suite: every backend must pass all of it. A backend joins
// by adding a fixture type to StoreBackends below.
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <future>
#include <numeric>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/random.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "unit/store/store_backends.hpp"

namespace billhook::store {
namespace {

using events::Delivery;
using events::DeliveryStatus;
using events::Endpoint;
using events::Event;

template <class Backend>
class StoreSuite : public ::testing::Test {
 protected:
  void SetUp() override {
    if constexpr (std::is_same_v<Backend, PostgresBackend>) BILLHOOK_REQUIRE_POSTGRES();
    backend_.emplace();
    store_ = backend_->open(clock_);
    ASSERT_NE(store_, nullptr);
  }

  void reopen() {
    store_.reset();
    store_ = backend_->open(clock_);
    ASSERT_NE(store_, nullptr);
  }

  int64_t now_ms() const { return core::to_unix_ms(clock_.now()); }

  Event make_event(std::string type, std::optional<std::string> aggregate_id = std::nullopt) {
    Event e;
    e.id = ids_.next(core::IdKind::event);
    e.type = std::move(type);
    e.created_ms = now_ms();
    if (aggregate_id) e.aggregate = events::Aggregate{"invoice", *aggregate_id, 0};
    e.data_json = R"({"object":{"id":"inv_1"}})";
    return e;
  }

  Endpoint make_endpoint(bool enabled = true) {
    Endpoint ep;
    ep.id = ids_.next(core::IdKind::endpoint);
    ep.url = "http://127.0.0.1:9/hook";
    ep.event_types = {"invoice.*"};
    ep.secret = "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0";
    ep.metadata_json = "{}";
    ep.enabled = enabled;
    ep.created_ms = ep.updated_ms = now_ms();
    return ep;
  }

  Delivery make_delivery(const Event& e, const Endpoint& ep) {
    Delivery d;
    d.id = ids_.next(core::IdKind::delivery);
    d.event_id = e.id;
    d.endpoint_id = ep.id;
    d.event_type = e.type;
    d.created_ms = d.updated_ms = d.next_attempt_ms = e.created_ms;
    return d;
  }

  void write_ok(Store::WriteJob job) {
    auto s = store_->write_and_wait(std::move(job));
    ASSERT_TRUE(s.ok()) << s.error().message;
  }

  // The next number of each of `keys`, drawn in one job.
  std::vector<int64_t> draw_next(const std::vector<SequenceKey>& keys) {
    std::vector<int64_t> next;
    write_ok([&](WriteTx& tx) -> core::Status {
      for (const auto& key : keys) {
        auto n = tx.next_sequence(key.type, key.id);
        if (!n) return std::move(n).error();
        next.push_back(*n);
      }
      return {};
    });
    return next;
  }

  core::ManualClock clock_{core::from_unix_ms(1'790'000'000'000)};
  core::SeededRandom random_{42};
  core::IdGenerator ids_{clock_, random_};
  std::optional<Backend> backend_;  // made in SetUp, once the backend is known to be available
  std::unique_ptr<Store> store_;
};

// Names the typed instances "sqlite" and "postgres" rather than 0 and 1.
struct BackendNames {
  template <class T>
  static std::string GetName(int) {
    return T::kName;
  }
};
using StoreBackends = ::testing::Types<SqliteBackend, PostgresBackend>;
TYPED_TEST_SUITE(StoreSuite, StoreBackends, BackendNames);

TYPED_TEST(StoreSuite, StoredEventReadsBackWhole) {
  auto e = this->make_event("invoice.paid", "inv_a");
  e.request_id = "req_1";
  e.idempotency_key = "key-1";
  this->write_ok([&](WriteTx& tx) {
    auto seq = tx.next_sequence("invoice", "inv_a");
    if (!seq) return core::Status(seq.error());
    e.aggregate->sequence = *seq;
    return tx.insert_event(e);
  });
  auto found = this->store_->find_event(e.id);
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  const Event& got = **found;
  EXPECT_EQ(got.type, "invoice.paid");
  EXPECT_EQ(got.created_ms, e.created_ms);
  ASSERT_TRUE(got.aggregate);
  EXPECT_EQ(got.aggregate->id, "inv_a");
  EXPECT_EQ(got.aggregate->sequence, 1);
  EXPECT_EQ(got.data_json, e.data_json);
  EXPECT_EQ(got.request_id, "req_1");
  EXPECT_EQ(got.idempotency_key, "key-1");
  auto missing = this->store_->find_event("evt_01M0000000000000000000000X");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

// A claim's events are read at once: those that exist, each whole, and nothing for an unknown id.
TYPED_TEST(StoreSuite, EventsAreReadManyAtOnce) {
  std::vector<Event> stored;
  for (const char* invoice : {"inv_a", "inv_b", "inv_c"}) stored.push_back(this->make_event("invoice.paid", invoice));
  this->write_ok([&](WriteTx& tx) {
    for (const auto& e : stored)
      if (auto s = tx.insert_event(e); !s) return s;
    return core::Status{};
  });
  auto found = this->store_->find_events({stored[2].id, "evt_01M0000000000000000000000X", stored[0].id});
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_EQ(found->size(), 2u);
  std::sort(found->begin(), found->end(), [](const Event& a, const Event& b) { return a.id < b.id; });
  EXPECT_EQ((*found)[0].id, stored[0].id);
  EXPECT_EQ((*found)[0].data_json, stored[0].data_json);
  EXPECT_EQ((*found)[1].id, stored[2].id);
  EXPECT_EQ((*found)[1].data_json, stored[2].data_json);
  auto none = this->store_->find_events({});
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_TRUE(none->empty());
}

TYPED_TEST(StoreSuite, SequencesCountPerAggregateAndSurviveReopen) {
  std::vector<int64_t> a, b;
  for (int i = 0; i < 3; ++i) {
    this->write_ok([&](WriteTx& tx) {
      auto sa = tx.next_sequence("invoice", "inv_a");
      auto sb = tx.next_sequence("invoice", "inv_b");
      if (!sa || !sb) return core::Status(core::Error::internal("sequence"));
      a.push_back(*sa);
      b.push_back(*sb);
      return core::Status{};
    });
  }
  EXPECT_EQ(a, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(b, (std::vector<int64_t>{1, 2, 3}));
  this->reopen();
  int64_t next = 0;
  this->write_ok([&](WriteTx& tx) {
    auto s = tx.next_sequence("invoice", "inv_a");
    next = s.ok() ? *s : -1;
    return core::Status{};
  });
  EXPECT_EQ(next, 4);
}

TYPED_TEST(StoreSuite, FailedJobRollsBackOnlyItself) {
  auto kept = this->make_event("invoice.paid");
  auto dropped = this->make_event("invoice.paid");
  std::promise<core::Status> first, second;
  // Queue both before either commits, so they likely share one transaction.
  this->store_->write([&](WriteTx& tx) { return tx.insert_event(kept); },
                      [&](core::Status s) { first.set_value(std::move(s)); });
  this->store_->write(
      [&](WriteTx& tx) -> core::Status {
        if (auto s = tx.insert_event(dropped); !s) return s;
        return core::Error::conflict("test_refusal", "refused after writing");
      },
      [&](core::Status s) { second.set_value(std::move(s)); });
  EXPECT_TRUE(first.get_future().get().ok());
  auto refused = second.get_future().get();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "test_refusal");
  EXPECT_TRUE(this->store_->find_event(kept.id)->has_value());
  EXPECT_FALSE(this->store_->find_event(dropped.id)->has_value());
}

// Jobs that may run again (Store::Rerun::allowed) committed with one of them failing after it wrote,
// and with one that may not run again: the failing job's write is gone, every other job's is kept and
// answered, and the job that may not run again ran once. Both stores run neighbouring rerunnable jobs
// under one savepoint, so those before the failure ran twice (their savepoint was rolled back with
// it); what is stored is their last run.
TYPED_TEST(StoreSuite, AFailureAmongJobsThatMayRunAgainRollsBackOnlyItself) {
  std::vector<Event> events;
  for (int i = 0; i < 6; ++i) events.push_back(this->make_event("invoice.paid"));
  constexpr size_t kFailing = 2, kOnce = 4;
  std::vector<int> runs(events.size(), 0);  // touched by the writer only, read once all are done
  std::vector<std::pair<Store::Rerun, Store::WriteJob>> jobs;
  for (size_t i = 0; i < events.size(); ++i) {
    const auto rerun = i == kOnce ? Store::Rerun::never : Store::Rerun::allowed;
    jobs.emplace_back(rerun, [&, i](WriteTx& tx) -> core::Status {
      ++runs[i];
      if (auto s = tx.insert_event(events[i]); !s) return s;
      if (i == kFailing) return core::Error::conflict("test_refusal", "refused after writing");
      return {};
    });
  }
  const auto statuses = write_together(*this->store_, std::move(jobs));
  for (size_t i = 0; i < events.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(statuses[i].ok(), i != kFailing);
    EXPECT_EQ(this->store_->find_event(events[i].id)->has_value(), i != kFailing);
  }
  EXPECT_EQ(statuses[kFailing].error().code, "test_refusal");
  EXPECT_EQ(runs[kOnce], 1);
  EXPECT_EQ(runs, (std::vector<int>{2, 2, 2, 1, 1, 1})) << "the jobs before the failure shared its savepoint";
}

// A job whose failing statement is not read by the job itself (an INSERT: PostgreSQL's writer sends it
// with the next job's first read): the failure is that job's alone, the job whose read found it runs
// again and is kept, as are the jobs around them.
TYPED_TEST(StoreSuite, AFailedWriteFoundByTheNextJobsReadIsTheWritersFailureAlone) {
  const auto taken = this->make_event("invoice.paid");
  this->write_ok([&](WriteTx& tx) { return tx.insert_event(taken); });
  std::vector<Event> events;
  for (int i = 0; i < 4; ++i) events.push_back(this->make_event("invoice.paid"));
  constexpr size_t kDuplicate = 1;
  events[kDuplicate].id = taken.id;  // the events' primary key refuses it
  std::vector<int64_t> sequences(events.size(), 0);  // touched by the writer only
  std::vector<std::pair<Store::Rerun, Store::WriteJob>> jobs;
  for (size_t i = 0; i < events.size(); ++i)
    jobs.emplace_back(Store::Rerun::allowed, [&, i](WriteTx& tx) -> core::Status {
      auto sequence = tx.next_sequence("invoice", "inv_found_by_next_" + std::to_string(i));
      if (!sequence) return std::move(sequence).error();
      sequences[i] = *sequence;
      return tx.insert_event(events[i]);
    });
  const auto statuses = write_together(*this->store_, std::move(jobs));
  for (size_t i = 0; i < events.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(statuses[i].ok(), i != kDuplicate);
    if (i == kDuplicate) continue;
    EXPECT_TRUE(this->store_->find_event(events[i].id)->has_value());
    EXPECT_EQ(sequences[i], 1) << "a job run again took its sequence once";
  }
  // The duplicate's sequence was rolled back with it: the next number for its aggregate is 1 again.
  EXPECT_EQ(this->draw_next({{"invoice", "inv_found_by_next_" + std::to_string(kDuplicate)}}),
            std::vector<int64_t>{1});
}

// A job may name the sequences it draws when it is queued (a publish names its event's aggregate):
// PostgreSQL draws those of a run of jobs in one round trip before running them. Each job still gets
// its numbers in the order the jobs were queued, a job naming one sequence twice gets two, and the
// numbers after them are the next ones: nothing is drawn twice or skipped.
TYPED_TEST(StoreSuite, NamedSequencesAreDrawnInTheOrderTheirJobsWereQueued) {
  const SequenceKey a{"invoice", "inv_named_a"}, b{"invoice", "inv_named_b"};
  const std::vector<std::vector<SequenceKey>> named = {{a}, {a}, {b}, {a}, {a, b, a}};
  std::vector<std::vector<int64_t>> drawn(named.size());  // touched by the writer only
  std::vector<std::pair<Store::Rerun, Store::WriteJob>> jobs;
  for (size_t i = 0; i < named.size(); ++i)
    jobs.emplace_back(Store::Rerun::allowed, [&, i](WriteTx& tx) -> core::Status {
      drawn[i].clear();  // a job run again keeps its last run's numbers
      for (const auto& key : named[i]) {
        auto n = tx.next_sequence(key.type, key.id);
        if (!n) return std::move(n).error();
        drawn[i].push_back(*n);
      }
      return {};
    });
  for (const auto& s : write_together(*this->store_, std::move(jobs), named)) ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(drawn, (std::vector<std::vector<int64_t>>{{1}, {2}, {1}, {3}, {4, 2, 5}}));
  EXPECT_EQ(this->draw_next({a, b}), (std::vector<int64_t>{6, 3}));
}

// A job that named a sequence and did not draw it fails (its number, drawn ahead, would be a gap),
// alone: the jobs around it keep their numbers, and the sequence it named goes on from where it was.
// One that failed after drawing gives its number back, and the job after it gets that number.
TYPED_TEST(StoreSuite, ANamedSequenceLeftUndrawnFailsItsJobAlone) {
  const SequenceKey a{"invoice", "inv_undrawn_a"}, b{"invoice", "inv_undrawn_b"};
  const std::vector<std::vector<SequenceKey>> named = {{a}, {b}, {a}, {a}, {a}};
  constexpr size_t kUndrawn = 1, kRefused = 2;
  std::vector<int64_t> drawn(named.size(), 0);  // touched by the writer only
  std::vector<std::pair<Store::Rerun, Store::WriteJob>> jobs;
  for (size_t i = 0; i < named.size(); ++i)
    jobs.emplace_back(Store::Rerun::allowed, [&, i](WriteTx& tx) -> core::Status {
      if (i == kUndrawn) return {};
      auto n = tx.next_sequence(a.type, a.id);
      if (!n) return std::move(n).error();
      drawn[i] = *n;
      if (i == kRefused) return core::Error::conflict("test_refusal", "refused after drawing");
      return {};
    });
  const auto statuses = write_together(*this->store_, std::move(jobs), named);
  ASSERT_FALSE(statuses[kUndrawn].ok());
  EXPECT_EQ(statuses[kUndrawn].error().kind, core::ErrorKind::internal);
  EXPECT_NE(statuses[kUndrawn].error().message.find("inv_undrawn_b"), std::string::npos)
      << statuses[kUndrawn].error().message;
  ASSERT_FALSE(statuses[kRefused].ok());
  EXPECT_EQ(statuses[kRefused].error().code, "test_refusal");
  for (size_t i : {size_t{0}, size_t{3}, size_t{4}}) EXPECT_TRUE(statuses[i].ok()) << i;
  EXPECT_EQ(drawn[0], 1);
  EXPECT_EQ(drawn[3], 2) << "the refused job's number was not given back";
  EXPECT_EQ(drawn[4], 3);
  EXPECT_EQ(this->draw_next({a, b}), (std::vector<int64_t>{4, 1})) << "a number drawn ahead for the failed jobs was kept";
}

// Jobs that may run again and all succeed share a savepoint and run once each.
TYPED_TEST(StoreSuite, JobsThatMayRunAgainRunOnceWhenNoneFails) {
  std::vector<int> runs(8, 0);  // touched by the writer only
  std::vector<std::pair<Store::Rerun, Store::WriteJob>> jobs;
  for (size_t i = 0; i < runs.size(); ++i)
    jobs.emplace_back(Store::Rerun::allowed, [&runs, i](WriteTx&) -> core::Status {
      ++runs[i];
      return {};
    });
  for (const auto& s : write_together(*this->store_, std::move(jobs))) EXPECT_TRUE(s.ok());
  EXPECT_EQ(runs, std::vector<int>(runs.size(), 1));
}

TYPED_TEST(StoreSuite, ThrowingJobIsAnInternalErrorAndLeavesNothing) {
  auto e = this->make_event("invoice.paid");
  auto s = this->store_->write_and_wait([&](WriteTx& tx) -> core::Status {
    (void)tx.insert_event(e);
    throw std::runtime_error("boom");
  });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, core::ErrorKind::internal);
  EXPECT_FALSE(this->store_->find_event(e.id)->has_value());
}

TYPED_TEST(StoreSuite, DoneRunsOnlyOnceDataIsReadable) {
  constexpr int kJobs = 200;
  std::atomic<int> visible{0};
  std::vector<std::promise<void>> finished(kJobs);
  std::vector<Event> written;
  for (int i = 0; i < kJobs; ++i) written.push_back(this->make_event("invoice.paid"));
  for (int i = 0; i < kJobs; ++i) {
    this->store_->write([&, i](WriteTx& tx) { return tx.insert_event(written[i]); },
                        [&, i](core::Status s) {
                          EXPECT_TRUE(s.ok());
                          // A separate read connection must already see it.
                          auto found = this->store_->find_event(written[i].id);
                          if (found.ok() && found->has_value()) ++visible;
                          finished[i].set_value();
                        });
  }
  for (auto& f : finished) f.get_future().get();
  EXPECT_EQ(visible.load(), kJobs);
}

TYPED_TEST(StoreSuite, ConcurrentWritersAllCommit) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 100;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  std::mutex ids_mutex;
  std::set<std::string> ids;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        auto e = this->make_event("invoice.paid", "inv_shared");
        auto s = this->store_->write_and_wait([&](WriteTx& tx) {
          auto seq = tx.next_sequence("invoice", "inv_shared");
          if (!seq) return core::Status(seq.error());
          e.aggregate->sequence = *seq;
          return tx.insert_event(e);
        });
        if (!s) ++failures;
        std::lock_guard lock(ids_mutex);
        ids.insert(e.id);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(ids.size(), size_t{kThreads * kPerThread});
  EXPECT_EQ(*this->store_->count_events(), kThreads * kPerThread);
  // Sequences of the shared aggregate are exactly 1..N, each once.
  std::set<int64_t> sequences;
  PageRequest page{.limit = 100};
  for (;;) {
    EventQuery q;
    q.page = page;
    q.aggregate_id = "inv_shared";
    auto result = this->store_->list_events(q);
    ASSERT_TRUE(result.ok());
    for (const auto& e : result->items) sequences.insert(e.aggregate->sequence);
    if (!result->has_more) break;
    page.starting_after = result->items.back().id;
  }
  ASSERT_EQ(sequences.size(), size_t{kThreads * kPerThread});
  EXPECT_EQ(*sequences.begin(), 1);
  EXPECT_EQ(*sequences.rbegin(), kThreads * kPerThread);
}

TYPED_TEST(StoreSuite, PaginationWalksNewestFirstBothWays) {
  std::vector<std::string> ids;
  for (int i = 0; i < 25; ++i) {
    auto e = this->make_event(i % 2 ? "invoice.paid" : "invoice.created");
    ids.push_back(e.id);
    this->write_ok([&](WriteTx& tx) { return tx.insert_event(e); });
  }
  std::reverse(ids.begin(), ids.end());  // newest first
  std::vector<std::string> seen;
  EventQuery q;
  q.page.limit = 10;
  for (;;) {
    auto page = this->store_->list_events(q);
    ASSERT_TRUE(page.ok());
    for (const auto& e : page->items) seen.push_back(e.id);
    if (!page->has_more) break;
    q.page.starting_after = page->items.back().id;
  }
  EXPECT_EQ(seen, ids);
  // Going back from the 21st item gives the 10 before it, still newest first.
  EventQuery back;
  back.page.limit = 10;
  back.page.ending_before = ids[20];
  auto page = this->store_->list_events(back);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 10u);
  EXPECT_EQ(page->items.front().id, ids[10]);
  EXPECT_EQ(page->items.back().id, ids[19]);
  EXPECT_TRUE(page->has_more);

  EventQuery by_type;
  by_type.page.limit = 100;
  by_type.type = "invoice.paid";
  EXPECT_EQ(this->store_->list_events(by_type)->items.size(), 12u);
}

TYPED_TEST(StoreSuite, EventsFilterByTimeRange) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto e = this->make_event("invoice.paid");
    ids.push_back(e.id);
    this->write_ok([&](WriteTx& tx) { return tx.insert_event(e); });
    this->clock_.advance(std::chrono::seconds(10));
  }
  const int64_t start = 1'790'000'000'000;
  EventQuery q;
  q.page.limit = 100;
  q.created_gte_ms = start + 10'000;
  q.created_lt_ms = start + 40'000;
  auto page = this->store_->list_events(q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 3u);
  EXPECT_EQ(page->items.front().id, ids[3]);
  EXPECT_EQ(page->items.back().id, ids[1]);
}

// Inside a write, an endpoint is found whether enabled (from the snapshot of enabled ones) or not, as it
// is after the job's own changes.
TYPED_TEST(StoreSuite, AWriteFindsItsEndpointAsChangedEnabledOrNot) {
  auto ep = this->make_endpoint();
  this->write_ok([&](WriteTx& tx) { return tx.insert_endpoint(ep); });
  this->write_ok([&](WriteTx& tx) -> core::Status {
    if (auto list = tx.enabled_endpoints(); !list) return list.error();  // the snapshot is taken
    auto found = tx.find_endpoint(ep.id);
    EXPECT_TRUE(found.ok() && found->has_value() && (*found)->enabled);
    ep.enabled = false;
    ep.description = "paused";
    if (auto s = tx.update_endpoint(ep); !s) return s;
    found = tx.find_endpoint(ep.id);
    EXPECT_TRUE(found.ok() && found->has_value());
    if (found.ok() && found->has_value()) {
      EXPECT_FALSE((*found)->enabled);
      EXPECT_EQ((*found)->description, "paused");
    }
    auto missing = tx.find_endpoint("ep_missing");
    EXPECT_TRUE(missing.ok() && !missing->has_value());
    return {};
  });
}

TYPED_TEST(StoreSuite, EndpointsRoundTripAndCacheFollowsChanges) {
  auto ep = this->make_endpoint();
  ep.description = "ERP";
  ep.categories = {"payment"};
  ep.metadata_json = R"({"team":"erp"})";
  this->write_ok([&](WriteTx& tx) { return tx.insert_endpoint(ep); });
  auto found = this->store_->find_endpoint(ep.id);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->event_types, ep.event_types);
  EXPECT_EQ((*found)->categories, ep.categories);
  EXPECT_EQ((*found)->metadata_json, ep.metadata_json);
  EXPECT_EQ((*found)->secret, ep.secret);
  EXPECT_EQ((*found)->profile, "billhook");
  EXPECT_EQ((*found)->profile_settings_json, "{}");

  // The compatibility profile and its settings (migration 5) are stored and updated.
  ep.profile = "rapyd";
  ep.profile_settings_json = R"({"access_key":"rak_1","secret_key":"rsk_2"})";
  this->write_ok([&](WriteTx& tx) { return tx.update_endpoint(ep); });
  found = this->store_->find_endpoint(ep.id);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->profile, "rapyd");
  EXPECT_EQ((*found)->profile_settings_json, ep.profile_settings_json);

  auto enabled_ids = [&] {
    std::vector<std::string> out;
    this->write_ok([&](WriteTx& tx) {
      auto list = tx.enabled_endpoints();
      if (!list) return core::Status(list.error());
      for (const auto& e : **list) out.push_back(e.id);
      return core::Status{};
    });
    return out;
  };
  EXPECT_EQ(enabled_ids(), std::vector<std::string>{ep.id});
  ep.enabled = false;
  this->write_ok([&](WriteTx& tx) { return tx.update_endpoint(ep); });
  EXPECT_TRUE(enabled_ids().empty());
  ep.enabled = true;
  this->write_ok([&](WriteTx& tx) { return tx.update_endpoint(ep); });
  EXPECT_EQ(enabled_ids(), std::vector<std::string>{ep.id});

  auto ghost = this->make_endpoint();
  auto s = this->store_->write_and_wait([&](WriteTx& tx) { return tx.update_endpoint(ghost); });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, core::ErrorKind::not_found);
}

TYPED_TEST(StoreSuite, RolledBackEndpointChangeDoesNotLingerInCache) {
  auto ep = this->make_endpoint();
  auto s = this->store_->write_and_wait([&](WriteTx& tx) -> core::Status {
    if (auto st = tx.insert_endpoint(ep); !st) return st;
    auto list = tx.enabled_endpoints();  // caches the uncommitted endpoint
    if (!list || (*list)->size() != 1) return core::Error::internal("expected the new endpoint");
    return core::Error::conflict("test_refusal", "roll back");
  });
  ASSERT_FALSE(s.ok());
  size_t count = 99;
  this->write_ok([&](WriteTx& tx) {
    auto list = tx.enabled_endpoints();
    count = list.ok() ? (*list)->size() : 99;
    return core::Status{};
  });
  EXPECT_EQ(count, 0u);
}

TYPED_TEST(StoreSuite, DeletingAnEndpointCancelsItsOpenDeliveries) {
  auto ep = this->make_endpoint();
  auto other = this->make_endpoint();
  auto e = this->make_event("invoice.paid");
  auto mine = this->make_delivery(e, ep);
  auto done = this->make_delivery(e, ep);
  done.status = DeliveryStatus::succeeded;
  auto theirs = this->make_delivery(e, other);
  this->write_ok([&](WriteTx& tx) -> core::Status {
    for (const auto& x : {ep, other})
      if (auto s = tx.insert_endpoint(x); !s) return s;
    if (auto s = tx.insert_event(e); !s) return s;
    for (const auto& d : {mine, done, theirs})
      if (auto s = tx.insert_delivery(d); !s) return s;
    return {};
  });
  this->write_ok([&](WriteTx& tx) { return tx.delete_endpoint(ep.id, this->now_ms()); });
  EXPECT_FALSE(this->store_->find_endpoint(ep.id)->has_value());
  EXPECT_EQ((*this->store_->find_delivery(mine.id))->status, DeliveryStatus::cancelled);
  EXPECT_EQ((*this->store_->find_delivery(done.id))->status, DeliveryStatus::succeeded);
  EXPECT_EQ((*this->store_->find_delivery(theirs.id))->status, DeliveryStatus::pending);
  auto again = this->store_->write_and_wait([&](WriteTx& tx) { return tx.delete_endpoint(ep.id, 0); });
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, core::ErrorKind::not_found);
}

TYPED_TEST(StoreSuite, DeliveriesFilterByEndpointEventAndStatus) {
  auto a = this->make_endpoint();
  auto b = this->make_endpoint();
  auto e1 = this->make_event("invoice.paid");
  auto e2 = this->make_event("invoice.created");
  auto d1 = this->make_delivery(e1, a);
  auto d2 = this->make_delivery(e1, b);
  auto d3 = this->make_delivery(e2, a);
  d3.status = DeliveryStatus::failed;
  this->write_ok([&](WriteTx& tx) -> core::Status {
    for (const auto& e : {e1, e2})
      if (auto s = tx.insert_event(e); !s) return s;
    for (const auto& d : {d1, d2, d3})
      if (auto s = tx.insert_delivery(d); !s) return s;
    return {};
  });
  auto ids_of = [&](DeliveryQuery q) {
    q.page.limit = 100;
    std::set<std::string> out;
    auto page = this->store_->list_deliveries(q);
    EXPECT_TRUE(page.ok());
    if (page.ok())
      for (const auto& d : page->items) out.insert(d.id);
    return out;
  };
  EXPECT_EQ(ids_of({.endpoint_id = a.id}), (std::set<std::string>{d1.id, d3.id}));
  EXPECT_EQ(ids_of({.event_id = e1.id}), (std::set<std::string>{d1.id, d2.id}));
  EXPECT_EQ(ids_of({.status = DeliveryStatus::failed}), (std::set<std::string>{d3.id}));
  EXPECT_EQ(ids_of({.endpoint_id = a.id, .status = DeliveryStatus::pending}), (std::set<std::string>{d1.id}));
}

TYPED_TEST(StoreSuite, IdempotencyKeysAreUniquePerScope) {
  IdempotencyRecord r{"key_1 POST /v1/events", "k", "hash", 202, R"({"id":"evt"})", this->now_ms()};
  this->write_ok([&](WriteTx& tx) { return tx.insert_idempotency(r); });
  auto dup = this->store_->write_and_wait([&](WriteTx& tx) { return tx.insert_idempotency(r); });
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, "idempotency_key_in_use");
  auto other_scope = r;
  other_scope.scope = "key_1 POST /v1/endpoints";
  this->write_ok([&](WriteTx& tx) { return tx.insert_idempotency(other_scope); });
  auto found = this->store_->find_idempotency(r.scope, "k");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->status, 202);
  EXPECT_EQ((*found)->response_body, r.response_body);
  EXPECT_FALSE(this->store_->find_idempotency(r.scope, "other")->has_value());
}

TYPED_TEST(StoreSuite, ApiKeysPersist) {
  ApiKeyRecord k{"key_01", "abc123", "test", this->now_ms()};
  this->write_ok([&](WriteTx& tx) { return tx.insert_api_key(k); });
  this->reopen();
  auto keys = this->store_->api_keys();
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].hash, "abc123");
}

TYPED_TEST(StoreSuite, ClosingCommitsWhatIsQueued) {
  constexpr int kJobs = 300;
  std::vector<Event> events;
  for (int i = 0; i < kJobs; ++i) events.push_back(this->make_event("invoice.paid"));
  std::atomic<int> ok{0};
  for (int i = 0; i < kJobs; ++i)
    this->store_->write([&, i](WriteTx& tx) { return tx.insert_event(events[i]); },
                        [&](core::Status s) { ok += s.ok() ? 1 : 0; });
  this->reopen();  // destroys the store with writes still queued
  EXPECT_EQ(ok.load(), kJobs);
  EXPECT_EQ(*this->store_->count_events(), kJobs);
}

TYPED_TEST(StoreSuite, DocumentsRoundTripByKindAndFilter) {
  auto doc = [&](std::string kind, std::string customer, std::string parent, std::string status) {
    return DocumentRecord{std::move(kind), this->ids_.next(core::IdKind::refund), std::move(customer),
                          std::move(parent), std::move(status), this->now_ms(), R"({"v":1})", std::nullopt};
  };
  DocumentRecord r1 = doc("refund", "cus_a", "inv_1", "pending");
  DocumentRecord r2 = doc("refund", "cus_a", "inv_2", "succeeded");
  DocumentRecord r3 = doc("refund", "cus_b", "inv_1", "pending");
  DocumentRecord note = doc("credit_note", "cus_a", "inv_1", "issued");
  note.id = r1.id;  // ids are unique per kind, not across kinds
  this->write_ok([&](WriteTx& tx) -> core::Status {
    for (const auto* d : {&r1, &r2, &r3, &note})
      if (auto s = tx.insert_document(*d); !s) return s;
    return {};
  });
  auto again = this->store_->write_and_wait([&](WriteTx& tx) { return tx.insert_document(r1); });
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, core::ErrorKind::conflict);

  r1.status = "succeeded";
  r1.body = R"({"v":2})";
  r1.wake_at = 1000;
  this->write_ok([&](WriteTx& tx) -> core::Status {
    if (auto s = tx.update_document(r1); !s) return s;
    auto of_invoice = tx.find_documents({.kind = "refund", .parent_id = "inv_1"});
    if (!of_invoice) return std::move(of_invoice).error();
    EXPECT_EQ(of_invoice->size(), 2u);
    EXPECT_EQ((*of_invoice)[0].id, r1.id);  // oldest first
    auto succeeded = tx.find_documents({.kind = "refund", .customer_id = "cus_a", .status = "succeeded"});
    if (!succeeded) return std::move(succeeded).error();
    EXPECT_EQ(succeeded->size(), 2u);
    // One of several statuses (an invoice open or uncollectible).
    auto either = tx.find_documents({.kind = "refund", .any_status = {"pending", "failed"}});
    if (!either) return std::move(either).error();
    EXPECT_EQ(either->size(), 1u);
    if (!either->empty()) {
      EXPECT_EQ((*either)[0].id, r3.id);
    }
    auto both = tx.find_documents({.kind = "refund", .parent_id = "inv_1", .any_status = {"pending", "succeeded"}});
    if (!both) return std::move(both).error();
    EXPECT_EQ(both->size(), 2u);
    return {};
  });
  this->reopen();
  auto found = this->store_->find_document("refund", r1.id);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->body, R"({"v":2})");
  EXPECT_EQ((*found)->status, "succeeded");
  EXPECT_EQ((*found)->wake_at, std::optional<int64_t>(1000));
  auto other_kind = this->store_->find_document("credit_note", r1.id);
  ASSERT_TRUE(other_kind.ok() && other_kind->has_value());
  EXPECT_EQ((*other_kind)->status, "issued");

  auto page = this->store_->list_documents({.page = {.limit = 2}, .filter = {.kind = "refund"}});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_TRUE(page->has_more);
  EXPECT_EQ(page->items[0].id, r3.id);  // newest first
  auto pending = this->store_->list_documents({.page = {.limit = 10}, .filter = {.kind = "refund", .status = "pending"}});
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->items.size(), 1u);
  EXPECT_EQ(pending->items[0].id, r3.id);
  // Outside a transaction too, oldest first.
  auto of_invoice = this->store_->find_documents({.kind = "refund", .parent_id = "inv_1"});
  ASSERT_TRUE(of_invoice.ok());
  ASSERT_EQ(of_invoice->size(), 2u);
  EXPECT_EQ((*of_invoice)[0].id, r1.id);
  auto due = this->store_->documents_needing_time("refund", 1000, "", 10);
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(*due, std::vector<std::string>{r1.id});
  EXPECT_TRUE(this->store_->documents_needing_time("refund", 999, "", 10)->empty());

  auto missing = this->store_->write_and_wait([&](WriteTx& tx) {
    return tx.update_document(doc("refund", "", "", "pending"));
  });
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, core::ErrorKind::not_found);
}

// A sequence other than an aggregate's (a year's legal invoice numbers) is as gapless.
TYPED_TEST(StoreSuite, SequencesAreGaplessPerKeyAndRollBack) {
  std::vector<int64_t> got;
  this->write_ok([&](WriteTx& tx) -> core::Status {
    for (const char* year : {"2026", "2026", "2027"}) {
      auto n = tx.next_sequence("invoice_number", year);
      if (!n) return std::move(n).error();
      got.push_back(*n);
    }
    return {};
  });
  EXPECT_EQ(got, (std::vector<int64_t>{1, 2, 1}));
  // A finalization that fails gives its number back.
  auto failed = this->store_->write_and_wait([&](WriteTx& tx) -> core::Status {
    auto n = tx.next_sequence("invoice_number", "2026");
    if (!n) return std::move(n).error();
    EXPECT_EQ(*n, 3);
    return core::Error::conflict("test", "roll back");
  });
  EXPECT_FALSE(failed.ok());
  this->reopen();
  int64_t next = 0;
  this->write_ok([&](WriteTx& tx) -> core::Status {
    auto n = tx.next_sequence("invoice_number", "2026");
    if (!n) return std::move(n).error();
    next = *n;
    return {};
  });
  EXPECT_EQ(next, 3);
}

TYPED_TEST(StoreSuite, KeysAreClaimedOnceAcrossReopen) {
  std::vector<bool> claims;
  auto claim = [&] {
    this->write_ok([&](WriteTx& tx) -> core::Status {
      auto c = tx.claim_once("inv_1:1700000000:overdue", "inv_1", this->now_ms());
      if (!c) return std::move(c).error();
      claims.push_back(*c);
      return {};
    });
  };
  claim();
  claim();
  this->reopen();
  claim();
  EXPECT_EQ(claims, (std::vector<bool>{true, false, false}));
}

// SQLite-specific: concurrent jobs share transactions (group commit).
TEST(SqliteStore, GroupCommitSharesTransactions) {
  core::ManualClock clock{core::from_unix_ms(1'790'000'000'000)};
  core::SeededRandom random{7};
  core::IdGenerator ids{clock, random};
  auto opened = sqlite::SqliteStore::open(
      {.path = (std::filesystem::temp_directory_path() / ("billhook-gc-" + std::to_string(::getpid()) + ".db")).string()},
      clock);
  ASSERT_TRUE(opened.ok());
  auto& store = **opened;
  constexpr int kJobs = 2000;
  std::vector<std::promise<void>> finished(kJobs);
  for (int i = 0; i < kJobs; ++i) {
    Event e;
    e.id = ids.next(core::IdKind::event);
    e.type = "invoice.paid";
    e.data_json = "{}";
    store.write([e](WriteTx& tx) { return tx.insert_event(e); }, [&, i](core::Status) { finished[i].set_value(); });
  }
  for (auto& f : finished) f.get_future().get();
  EXPECT_EQ(*store.count_events(), kJobs);
  EXPECT_LT(store.commit_count(), uint64_t{kJobs / 4}) << "each job got its own transaction: no group commit";
  std::filesystem::remove((std::filesystem::temp_directory_path() / ("billhook-gc-" + std::to_string(::getpid()) + ".db")));
}

// SQLite-specific: it takes one writer at a time, so both lanes go to one writer thread, which runs
// their jobs in the order queued (PostgreSQL's two writers: pg_store_test).
TEST(SqliteStore, BothLanesAreCommittedByOneWriterInTheOrderQueued) {
  core::ManualClock clock{core::from_unix_ms(1'790'000'000'000)};
  const auto path = std::filesystem::temp_directory_path() / ("billhook-lanes-" + std::to_string(::getpid()) + ".db");
  auto opened = sqlite::SqliteStore::open({.path = path.string()}, clock);
  ASSERT_TRUE(opened.ok());
  auto& store = **opened;
  constexpr int kJobs = 200;
  std::vector<int> ran;  // touched by the writer only, read once every job is done
  std::set<std::thread::id> writers;
  std::vector<std::promise<core::Status>> finished(kJobs);
  for (int i = 0; i < kJobs; ++i) {
    const auto lane = i % 3 == 0 ? Store::Lane::delivery : Store::Lane::main;
    store.write_in(
        lane, Store::Durability::durable, Store::Rerun::never, {},
        [&, i](WriteTx&) -> core::Status {
          ran.push_back(i);
          writers.insert(std::this_thread::get_id());
          return {};
        },
        [&, i](core::Status s) { finished[i].set_value(std::move(s)); });
  }
  for (auto& f : finished) EXPECT_TRUE(f.get_future().get().ok());
  std::vector<int> queued(kJobs);
  std::iota(queued.begin(), queued.end(), 0);
  EXPECT_EQ(ran, queued);
  EXPECT_EQ(writers.size(), size_t{1});
  opened->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
}

}  // namespace
}  // namespace billhook::store
