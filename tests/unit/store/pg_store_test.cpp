// What only the PostgreSQL store has to do: several nodes (here: several stores) on one database
// taking sequence numbers and due work without collisions, waking each other, sharing the lead of
// the time-driven jobs, and coming back by itself after losing its connections.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/random.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/postgres/pg_session.hpp"
#include "store/postgres/pg_store.hpp"
#include "unit/store/store_backends.hpp"
#include "support/pg_test_database.hpp"
#include "support/wait.hpp"

namespace billhook::store::postgres {
namespace {

using namespace std::chrono_literals;

using testing::wait_until;

class PgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BILLHOOK_REQUIRE_POSTGRES();
    database_.emplace();
    ASSERT_TRUE(database_->available()) << database_->error();
  }

  std::unique_ptr<PostgresStore> open_node() {
    auto store = PostgresStore::open({.url = database_->url(), .pool_size = 2}, clock_);
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
    return store.ok() ? std::move(*store) : nullptr;
  }

  int64_t now_ms() const { return core::to_unix_ms(clock_.now()); }

  // An event with a new id, to store.
  events::Event new_event() {
    events::Event e;
    e.id = ids_.next(core::IdKind::event);
    e.type = "invoice.paid";
    e.data_json = "{}";
    return e;
  }

  // How many nodes listen for work and have tried for the lead: a node's coordinator LISTENs first,
  // then tries for the lead, so its session's last statement, once finished, is that attempt.
  int nodes_competing() {
    auto admin = Connection::open({.url = database_->url()});
    if (!admin) return 0;
    auto rows = (*admin)->query(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND state = 'idle' AND query LIKE '%pg_try_advisory_lock%'",
        "counting the nodes that compete for the lead");
    return rows ? std::stoi(rows->text(0, 0)) : 0;
  }

  std::optional<testing::PgTestDatabase> database_;
  core::ManualClock clock_{core::from_unix_ms(1'790'000'000'000)};
  core::SeededRandom random_{42};
  core::IdGenerator ids_{clock_, random_};
};

TEST_F(PgStoreTest, GroupCommitSharesTransactions) {
  auto store = open_node();
  ASSERT_NE(store, nullptr);
  constexpr int kJobs = 2000;
  std::vector<std::promise<void>> finished(kJobs);
  for (int i = 0; i < kJobs; ++i) {
    const events::Event e = new_event();
    store->write([e](WriteTx& tx) { return tx.insert_event(e); }, [&, i](core::Status) { finished[i].set_value(); });
  }
  for (auto& f : finished) f.get_future().get();
  EXPECT_EQ(*store->count_events(), kJobs);
  EXPECT_LT(store->commit_count(), uint64_t{kJobs / 4}) << "each job got its own transaction: no group commit";
}

TEST_F(PgStoreTest, TwoNodesHandOutEachSequenceNumberOnce) {
  auto a = open_node();
  auto b = open_node();
  ASSERT_TRUE(a && b);
  constexpr int kPerNode = 150;
  std::mutex mutex;
  std::vector<int64_t> taken;
  auto take = [&](PostgresStore& node) {
    for (int i = 0; i < kPerNode; ++i) {
      auto s = node.write_and_wait([&](WriteTx& tx) -> core::Status {
        auto seq = tx.next_sequence("invoice", "inv_shared");
        if (!seq) return std::move(seq).error();
        std::lock_guard lock(mutex);
        taken.push_back(*seq);
        return {};
      });
      EXPECT_TRUE(s.ok()) << s.error().message;
    }
  };
  std::thread ta([&] { take(*a); });
  std::thread tb([&] { take(*b); });
  ta.join();
  tb.join();
  std::sort(taken.begin(), taken.end());
  ASSERT_EQ(taken.size(), size_t{2 * kPerNode});
  for (int i = 0; i < 2 * kPerNode; ++i) EXPECT_EQ(taken[static_cast<size_t>(i)], i + 1);
}

// The round trips the node's writers have made to the server.
uint64_t writer_round_trips(const PostgresStore& store) {
  core::metrics::TextWriter out;
  store.write_metrics(out);
  const std::string_view sample = "\nbillhook_store_writer_round_trips_total ";
  const auto at = out.text().find(sample);
  return at == std::string::npos ? 0 : std::stoull(out.text().substr(at + sample.size()));
}

// A job reading its sequence number waits a round trip for it; named when queued (as a publish names
// its event's aggregate), the numbers of a whole run of jobs come in one round trip, so a batch of
// publishes takes a few round trips instead of one each.
TEST_F(PgStoreTest, TheNamedSequencesOfARunOfJobsAreDrawnInOneRoundTrip) {
  auto store = open_node();
  ASSERT_NE(store, nullptr);
  constexpr size_t kJobs = 64;
  auto round_trips_for_jobs = [&](bool named) {
    const uint64_t before = writer_round_trips(*store);
    std::vector<std::pair<Store::Rerun, Store::WriteJob>> jobs;
    std::vector<std::vector<SequenceKey>> draws;
    for (size_t i = 0; i < kJobs; ++i) {
      const events::Event e = new_event();
      const SequenceKey key{"invoice", "inv_" + e.id};
      jobs.emplace_back(Store::Rerun::allowed, [e, key](WriteTx& tx) -> core::Status {
        auto n = tx.next_sequence(key.type, key.id);
        if (!n) return std::move(n).error();
        if (*n != 1) return core::Error::internal("a new aggregate's first number was not 1");
        return tx.insert_event(e);
      });
      draws.push_back(named ? std::vector<SequenceKey>{key} : std::vector<SequenceKey>{});
    }
    for (const auto& s : write_together(*store, std::move(jobs), std::move(draws)))
      EXPECT_TRUE(s.ok()) << s.error().message;
    return writer_round_trips(*store) - before;
  };
  const uint64_t unnamed = round_trips_for_jobs(false);
  const uint64_t named = round_trips_for_jobs(true);
  EXPECT_GE(unnamed, kJobs) << "each job's read was not a round trip of its own: this test tells nothing";
  EXPECT_LT(named, kJobs / 4) << "named sequences were drawn one job at a time";
  EXPECT_EQ(*store->count_events(), int64_t{2 * kJobs});
}

// Attempts recorded together (the dispatcher's: each a write guarded by what its claim read) do not
// wait for each guarded write's answer: a batch of them takes a few round trips, not one each.
TEST_F(PgStoreTest, GuardedWritesOfARunOfJobsAreNotReadOneByOne) {
  auto store = open_node();
  ASSERT_NE(store, nullptr);
  constexpr size_t kJobs = 64;
  std::vector<events::Delivery> open;
  for (size_t i = 0; i < kJobs; ++i) {
    events::Delivery d;
    d.id = ids_.next(core::IdKind::delivery);
    d.event_id = ids_.next(core::IdKind::event);
    d.endpoint_id = "ep_guarded";
    d.event_type = "invoice.paid";
    d.status = events::DeliveryStatus::pending;
    open.push_back(d);
  }
  ASSERT_TRUE(store->write_and_wait([&](WriteTx& tx) -> core::Status {
    for (const auto& d : open)
      if (auto s = tx.insert_delivery(d); !s) return s;
    return {};
  }).ok());
  const uint64_t before = writer_round_trips(*store);
  std::vector<std::pair<Store::Rerun, Store::WriteJob>> jobs;
  for (const auto& d : open)
    jobs.emplace_back(Store::Rerun::allowed, [d](WriteTx& tx) -> core::Status {
      events::Delivery succeeded = d;
      succeeded.status = events::DeliveryStatus::succeeded;
      succeeded.attempt_count = 1;
      auto written = tx.update_delivery_if_unchanged(succeeded, d);
      if (!written) return std::move(written).error();
      return *written ? core::Status{} : core::Error::internal("an unmoved delivery was not written");
    });
  for (const auto& s : write_together(*store, std::move(jobs))) EXPECT_TRUE(s.ok()) << s.error().message;
  EXPECT_LT(writer_round_trips(*store) - before, kJobs / 4) << "each guarded write was read alone";
  for (const auto& d : open) EXPECT_EQ((*store->find_delivery(d.id))->status, events::DeliveryStatus::succeeded);
}

TEST_F(PgStoreTest, TwoNodesNeverClaimTheSameDelivery) {
  auto a = open_node();
  auto b = open_node();
  ASSERT_TRUE(a && b);
  events::Endpoint ep;
  ep.id = ids_.next(core::IdKind::endpoint);
  ep.url = "http://127.0.0.1:9/hook";
  ep.secret = "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0";
  ep.metadata_json = "{}";
  ep.enabled = true;
  constexpr int kDeliveries = 400;
  ASSERT_TRUE(a->write_and_wait([&](WriteTx& tx) -> core::Status {
                 if (auto s = tx.insert_endpoint(ep); !s) return s;
                 for (int i = 0; i < kDeliveries; ++i) {
                   events::Delivery d;
                   d.id = ids_.next(core::IdKind::delivery);
                   d.event_id = ids_.next(core::IdKind::event);
                   d.endpoint_id = ep.id;
                   d.event_type = "invoice.paid";
                   d.next_attempt_ms = now_ms();
                   if (auto s = tx.insert_delivery(d); !s) return s;
                 }
                 return {};
               }).ok());
  std::mutex mutex;
  std::vector<std::string> claimed;
  auto drain = [&](PostgresStore& node) {
    for (;;) {
      std::vector<events::Delivery> got;
      auto s = node.write_and_wait([&](WriteTx& tx) -> core::Status {
        auto due = tx.claim_due(now_ms(), now_ms() + 60'000, 7, {}, {});
        if (!due) return std::move(due).error();
        got = std::move(*due);
        return {};
      });
      ASSERT_TRUE(s.ok()) << s.error().message;
      if (got.empty()) return;
      std::lock_guard lock(mutex);
      for (const auto& d : got) claimed.push_back(d.id);
    }
  };
  std::thread ta([&] { drain(*a); });
  std::thread tb([&] { drain(*b); });
  ta.join();
  tb.join();
  const std::set<std::string> distinct(claimed.begin(), claimed.end());
  EXPECT_EQ(distinct.size(), claimed.size()) << "a delivery was claimed by both nodes";
  EXPECT_EQ(distinct.size(), size_t{kDeliveries});
}

TEST_F(PgStoreTest, WorkCommittedOnOneNodeWakesTheOther) {
  auto a = open_node();
  auto b = open_node();
  ASSERT_TRUE(a && b);
  std::atomic<int> woken_b{0};
  b->set_work_listener([&] { ++woken_b; });
  // b hears of work only once its coordinator LISTENs.
  ASSERT_TRUE(wait_until([&] { return nodes_competing() >= 2; }, 10s, "both nodes to listen for work"));
  for (const auto lane : {Store::Lane::main, Store::Lane::delivery, Store::Lane::claims}) {
    const int before = woken_b.load();
    ASSERT_TRUE(a->write_and_wait(
                     [](WriteTx& tx) {
                       tx.notify_work();
                       return core::Status{};
                     },
                     Store::Durability::durable, lane)
                    .ok());
    EXPECT_TRUE(wait_until([&] { return woken_b.load() > before; }, 5s, "node b to be told of node a's work"))
        << "lane " << static_cast<int>(lane);
  }
  b->set_work_listener(nullptr);
}

// Each lane has a writer and a connection of its own: one commits while the others wait, here for
// locks other sessions hold (the main lane's job waits on the events, the delivery lane's on the attempts).
TEST_F(PgStoreTest, EachLaneCommitsWhileTheOthersWait) {
  auto store = open_node();
  ASSERT_NE(store, nullptr);
  auto events_lock = Connection::open({.url = database_->url()});
  auto attempts_lock = Connection::open({.url = database_->url()});
  ASSERT_TRUE(events_lock.ok() && attempts_lock.ok());
  ASSERT_TRUE((*events_lock)->exec("BEGIN; LOCK TABLE events IN EXCLUSIVE MODE", "locking the events").ok());
  ASSERT_TRUE((*attempts_lock)->exec("BEGIN; LOCK TABLE attempts IN EXCLUSIVE MODE", "locking the attempts").ok());

  const events::Event e = new_event();
  std::promise<core::Status> main_done;
  auto main_result = main_done.get_future();
  store->write([&](WriteTx& tx) { return tx.insert_event(e); }, [&](core::Status s) { main_done.set_value(s); });
  events::Attempt attempt;
  attempt.id = ids_.next(core::IdKind::attempt);
  attempt.delivery_id = ids_.next(core::IdKind::delivery);
  attempt.number = 1;
  attempt.error_class = "none";
  attempt.response_headers_json = "{}";
  attempt.request_headers_json = "{}";
  std::promise<core::Status> delivery_done;
  auto delivery_result = delivery_done.get_future();
  store->write_in(Store::Lane::delivery, Store::Durability::durable, Store::Rerun::never, {},
                  [&](WriteTx& tx) { return tx.insert_attempt(attempt); },
                  [&](core::Status s) { delivery_done.set_value(s); });

  // Both wait; claims go on.
  for (int i = 0; i < 3; ++i) {
    auto claimed = store->write_and_wait(
        [](WriteTx& tx) -> core::Status {
          auto due = tx.claim_due(1'000, 2'000, 10, {}, {});
          if (!due) return std::move(due).error();
          return {};
        },
        Store::Durability::relaxed, Store::Lane::claims);
    EXPECT_TRUE(claimed.ok()) << claimed.error().message;
  }
  EXPECT_EQ(main_result.wait_for(0s), std::future_status::timeout) << "the event was written through the lock";
  EXPECT_EQ(delivery_result.wait_for(0s), std::future_status::timeout) << "the attempt was written through the lock";

  // The attempt is recorded while the event still waits.
  ASSERT_TRUE((*attempts_lock)->exec("COMMIT", "unlocking the attempts").ok());
  ASSERT_EQ(delivery_result.wait_for(10s), std::future_status::ready);
  auto recorded = delivery_result.get();
  EXPECT_TRUE(recorded.ok()) << recorded.error().message;
  EXPECT_EQ(main_result.wait_for(0s), std::future_status::timeout) << "the event was written through the lock";

  ASSERT_TRUE((*events_lock)->exec("COMMIT", "unlocking the events").ok());
  ASSERT_EQ(main_result.wait_for(10s), std::future_status::ready);
  auto stored = main_result.get();
  EXPECT_TRUE(stored.ok()) << stored.error().message;
  EXPECT_TRUE(store->find_event(e.id)->has_value());
  auto attempts = store->list_attempts(attempt.delivery_id);
  ASSERT_TRUE(attempts.ok()) << attempts.error().message;
  EXPECT_EQ(attempts->size(), 1u);
}

// A plan kept for a connection is made for a list of about ten values in tables as large as they were
// then: statements with a list are planned for their values each time they run instead.
TEST_F(PgStoreTest, StatementsWithAListArePlannedEachTimeTheOthersPreparedOnce) {
  auto db = Connection::open({.url = database_->url()});
  ASSERT_TRUE(db.ok()) << db.error().message;
  PgSession session(**db);
  for (int i = 0; i < 2; ++i) {
    auto single = session.run("SELECT 1 WHERE ?1 = 'single'", sql::Params{}.add("single"), "a statement", {});
    ASSERT_TRUE(single.ok()) << single.error().message;
    auto listed = session.run("SELECT 1 WHERE " + session.dialect().in_text_list("'listed'", 1),
                              sql::Params{}.add_list({"listed", "other"}), "a statement with a list", {});
    ASSERT_TRUE(listed.ok()) << listed.error().message;
  }
  auto prepared = (*db)->query("SELECT statement FROM pg_prepared_statements WHERE statement LIKE 'SELECT 1 WHERE%'",
                               "listing the prepared statements");
  ASSERT_TRUE(prepared.ok()) << prepared.error().message;
  ASSERT_EQ(prepared->size(), 1);
  EXPECT_EQ(prepared->text(0, 0), "SELECT 1 WHERE $1 = 'single'");
}

TEST_F(PgStoreTest, OneNodeLeadsTheTimeJobsAndAnotherTakesOverWhenItGoes) {
  auto a = open_node();
  auto b = open_node();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(wait_until([&] { return (a->runs_time_jobs() || b->runs_time_jobs()) && nodes_competing() >= 2; }, 10s,
                         "a node to lead and both to have tried for the lead"));
  ASSERT_NE(a->runs_time_jobs(), b->runs_time_jobs()) << "exactly one node must lead";
  auto& leader = a->runs_time_jobs() ? a : b;
  auto& follower = a->runs_time_jobs() ? b : a;
  leader.reset();  // the node goes away, and its session's lock with it
  EXPECT_TRUE(wait_until([&] { return follower->runs_time_jobs(); }, 10s, "the other node to take the lead over"));
}

TEST_F(PgStoreTest, LostConnectionsAreUnavailableAndComeBackByThemselves) {
  auto store = open_node();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->count_events().ok());  // opens a reader
  // Opens the other lanes' writers.
  for (const auto lane : {Store::Lane::delivery, Store::Lane::claims})
    ASSERT_TRUE(
        store->write_and_wait([](WriteTx& tx) { return tx.release_all_leases(); }, Store::Durability::durable, lane)
            .ok());
  // Ends every session of the store, as a database restart would.
  auto admin = Connection::open({.url = database_->url()});
  ASSERT_TRUE(admin.ok()) << admin.error().message;
  ASSERT_TRUE((*admin)
                  ->exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                         "AND pid <> pg_backend_pid()",
                         "ending the store's sessions")
                  .ok());
  const events::Event e = new_event();
  auto first = store->write_and_wait([&](WriteTx& tx) { return tx.insert_event(e); });
  if (!first) {
    EXPECT_EQ(first.error().kind, core::ErrorKind::unavailable) << first.error().message;
  }
  auto read = store->count_events();
  if (!read) {
    EXPECT_EQ(read.error().kind, core::ErrorKind::unavailable) << read.error().message;
  }
  // Without reopening the store, the next calls reconnect and the event gets stored.
  EXPECT_TRUE(wait_until(
      [&] {
        if (store->write_and_wait([&](WriteTx& tx) { return tx.insert_event(e); }).ok()) return true;
        auto found = store->find_event(e.id);
        return found.ok() && found->has_value();
      },
      10s, "the store to reconnect and store the event"));
  auto found = store->find_event(e.id);
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_TRUE(found->has_value());
  for (const auto lane : {Store::Lane::delivery, Store::Lane::claims}) {
    EXPECT_TRUE(wait_until(
        [&] {
          return store->write_and_wait([](WriteTx& tx) { return tx.release_all_leases(); }, Store::Durability::durable,
                                       lane)
              .ok();
        },
        10s, "each lane's writer to reconnect"))
        << "lane " << static_cast<int>(lane);
  }
}

TEST_F(PgStoreTest, AJobThatIgnoresAFailedStatementFailsAloneInItsBatch) {
  auto store = open_node();
  ASSERT_NE(store, nullptr);
  const auto first = new_event();
  const auto lost = new_event();
  const auto after = new_event();
  std::promise<core::Status> a, b, c;
  store->write([&](WriteTx& tx) { return tx.insert_event(first); }, [&](core::Status s) { a.set_value(s); });
  store->write(
      [&](WriteTx& tx) {
        (void)tx.insert_event(first);  // a duplicate, its error ignored
        return tx.insert_event(lost);
      },
      [&](core::Status s) { b.set_value(s); });
  store->write([&](WriteTx& tx) { return tx.insert_event(after); }, [&](core::Status s) { c.set_value(s); });
  EXPECT_TRUE(a.get_future().get().ok());
  auto ignored = b.get_future().get();
  ASSERT_FALSE(ignored.ok()) << "a job whose statement failed was reported as committed";
  EXPECT_TRUE(c.get_future().get().ok()) << "the job after it was dragged down with it";
  EXPECT_TRUE(store->find_event(first.id)->has_value());
  EXPECT_FALSE(store->find_event(lost.id)->has_value());
  EXPECT_TRUE(store->find_event(after.id)->has_value());
}

// The writer sends what a job does not read (its INSERTs) with its next read or at its end, not one by
// one: a failure among them is still that job's, with its kind, and only that job is rolled back.
TEST_F(PgStoreTest, AFailureAmongHeldStatementsIsItsOwnJobsAlone) {
  auto store = open_node();
  ASSERT_NE(store, nullptr);
  const auto first = new_event(), at_end = new_event(), before_read = new_event(), last = new_event();
  std::promise<core::Status> a, b, c, d;
  store->write([&](WriteTx& tx) { return tx.insert_event(first); }, [&](core::Status s) { a.set_value(s); });
  // A duplicate nobody reads: found when the job's statements are sent at its end.
  store->write(
      [&](WriteTx& tx) {
        if (auto s = tx.insert_event(at_end); !s) return s;
        return tx.insert_event(first);
      },
      [&](core::Status s) { b.set_value(s); });
  // A duplicate sent with the job's next read: that read answers the duplicate's error.
  store->write(
      [&](WriteTx& tx) -> core::Status {
        if (auto s = tx.insert_event(before_read); !s) return s;
        if (auto s = tx.insert_event(first); !s) return s;
        auto n = tx.next_sequence("invoice", "inv_held");
        if (!n) return std::move(n).error();
        return core::Status{};
      },
      [&](core::Status s) { c.set_value(s); });
  store->write(
      [&](WriteTx& tx) -> core::Status {
        auto n = tx.next_sequence("invoice", "inv_held");
        if (!n) return std::move(n).error();
        if (*n != 1) return core::Error::internal("the failed job's number was not given back");
        return tx.insert_event(last);
      },
      [&](core::Status s) { d.set_value(s); });
  EXPECT_TRUE(a.get_future().get().ok());
  for (auto* failed : {&b, &c}) {
    auto s = failed->get_future().get();
    ASSERT_FALSE(s.ok()) << "a job whose held statement failed was reported as committed";
    EXPECT_EQ(s.error().kind, core::ErrorKind::conflict) << s.error().message;
  }
  auto after = d.get_future().get();
  EXPECT_TRUE(after.ok()) << after.error().message;
  EXPECT_TRUE(store->find_event(first.id)->has_value());
  EXPECT_FALSE(store->find_event(at_end.id)->has_value());
  EXPECT_FALSE(store->find_event(before_read.id)->has_value());
  EXPECT_TRUE(store->find_event(last.id)->has_value());
}

}  // namespace
}  // namespace billhook::store::postgres
