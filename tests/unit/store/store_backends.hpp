#pragma once

// The store backends every store test runs against: a fresh SQLite file, or a fresh PostgreSQL
// database on the test server (see support/pg_test_database.hpp for when that one is skipped).

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "core/clock.hpp"
#include "store/postgres/pg_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/pg_test_database.hpp"

namespace billhook::store {

// A fresh SQLite store in its own temporary directory.
class SqliteBackend {
 public:
  static constexpr const char* kName = "sqlite";
  SqliteBackend() {
    dir_ = std::filesystem::temp_directory_path() /
           ("billhook-store-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ~SqliteBackend() { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Store> open(const core::Clock& clock) {
    auto store = sqlite::SqliteStore::open({.path = (dir_ / "billhook.db").string()}, clock);
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
    return store.ok() ? std::unique_ptr<Store>(std::move(*store)) : nullptr;
  }

 private:
  static inline std::atomic<int> counter_{0};
  std::filesystem::path dir_;
};

// A fresh PostgreSQL database, dropped afterwards.
class PostgresBackend {
 public:
  static constexpr const char* kName = "postgres";

  std::unique_ptr<Store> open(const core::Clock& clock) {
    EXPECT_TRUE(database_.available()) << database_.error();
    if (!database_.available()) return nullptr;
    auto store = postgres::PostgresStore::open({.url = database_.url(), .pool_size = 4}, clock);
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
    return store.ok() ? std::unique_ptr<Store>(std::move(*store)) : nullptr;
  }

 private:
  testing::PgTestDatabase database_;
};

// Writes `jobs` (each with whether it may run again, and `draws[i]` the sequences job i names, if
// given) so that they are committed in one batch of the main lane's writer: a first job holds the
// writer until all of them are queued. They are queued only once it holds the writer, or the writer
// could take the first of them into the holder's batch and the rest into the next (seen under ASan).
// Answers each job's status, in order, once all are done.
inline std::vector<core::Status> write_together(Store& store,
                                                std::vector<std::pair<Store::Rerun, Store::WriteJob>> jobs,
                                                std::vector<std::vector<SequenceKey>> draws = {}) {
  draws.resize(jobs.size());
  std::promise<void> queued;
  auto all_queued = queued.get_future().share();
  std::promise<void> holding;
  auto writer_held = holding.get_future();
  std::promise<void> held_done;
  store.write([all_queued, &holding, signalled = false](WriteTx&) mutable -> core::Status {
    if (!std::exchange(signalled, true)) holding.set_value();
    all_queued.wait();
    return {};
  }, [&held_done](core::Status) { held_done.set_value(); });
  writer_held.wait();
  std::vector<std::promise<core::Status>> done(jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i)
    store.write_in(Store::Lane::main, Store::Durability::durable, jobs[i].first, std::move(draws[i]),
                   std::move(jobs[i].second),
                   [&done, i](core::Status s) { done[i].set_value(std::move(s)); });
  queued.set_value();
  held_done.get_future().wait();
  std::vector<core::Status> statuses;
  for (auto& d : done) statuses.push_back(d.get_future().get());
  return statuses;
}

}  // namespace billhook::store
