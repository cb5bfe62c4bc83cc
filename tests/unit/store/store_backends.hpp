#pragma once

// The store backends every store test runs against: a fresh SQLite file, or a fresh PostgreSQL
// database on the test server (see support/pg_test_database.hpp for when that one is skipped).

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

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

}  // namespace billhook::store
