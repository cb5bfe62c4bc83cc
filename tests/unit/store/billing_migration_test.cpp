// Migration 6 upgrades a database in place: a store at schema version 5, with customers, payment
// methods, invoices, payments, invoice numbers and notices in their old tables, opens with every one of
// them as a document (or a sequence, or a claimed key), on SQLite and on PostgreSQL.
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/clock.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/postgres/pg_migrations.hpp"
#include "store/postgres/pg_store.hpp"
#include "store/sql/schema.hpp"
#include "store/sqlite/sqlite_db.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/pg_test_database.hpp"

namespace billhook::store {
namespace {

constexpr int64_t kNowMs = 1'793'491'200'000;  // 2026-11-01T00:00:00Z
constexpr int kVersionBefore = 5;

// What a billhook of schema version 5 had stored, in its own tables.
constexpr std::string_view kVersion5Rows = R"sql(
INSERT INTO customers (id, created_ms, body) VALUES ('cus_1', 1000, '{"name":"Ada"}');
INSERT INTO payment_methods (id, customer_id, created_ms, body) VALUES ('pm_1', 'cus_1', 2000, '{"n":1}');
INSERT INTO invoices (id, customer_id, status, number, due_date, next_payment_attempt, created_ms, body, wake_at)
  VALUES ('inv_1', 'cus_1', 'open', 'INV-2026-000007', 5000, NULL, 3000, '{"i":1}', 4000);
INSERT INTO invoices (id, customer_id, status, number, due_date, next_payment_attempt, created_ms, body, wake_at)
  VALUES ('inv_2', 'cus_1', 'paid', 'INV-2026-000008', NULL, NULL, 3500, '{"i":2}', NULL);
INSERT INTO payments (id, invoice_id, created_ms, body) VALUES ('pay_1', 'inv_1', 3600, '{"p":1}');
INSERT INTO invoice_number_sequences (year, last_number) VALUES (2026, 8);
INSERT INTO billing_notices (key, invoice_id, created_ms) VALUES ('inv_1:5000:overdue', 'inv_1', 3700);
)sql";

// Opens the upgraded store and checks that everything came across.
void expect_upgraded(Store& store) {
  auto customer = store.find_document("customer", "cus_1");
  ASSERT_TRUE(customer.ok() && customer->has_value());
  EXPECT_EQ((*customer)->body, R"({"name":"Ada"})");
  EXPECT_EQ((*customer)->created_ms, 1000);

  auto methods = store.find_documents({.kind = "payment_method", .customer_id = "cus_1"});
  ASSERT_TRUE(methods.ok());
  ASSERT_EQ(methods->size(), 1u);
  EXPECT_EQ((*methods)[0].body, R"({"n":1})");

  auto open = store.list_documents({.page = {.limit = 10}, .filter = {.kind = "invoice", .status = "open"}});
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->items.size(), 1u);
  EXPECT_EQ(open->items[0].id, "inv_1");
  EXPECT_EQ(open->items[0].customer_id, "cus_1");
  EXPECT_EQ(open->items[0].wake_at, std::optional<int64_t>(4000));
  auto due = store.documents_needing_time("invoice", 4000, "", 10);
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(*due, std::vector<std::string>{"inv_1"});

  auto payments = store.find_documents({.kind = "payment", .parent_id = "inv_1"});
  ASSERT_TRUE(payments.ok());
  ASSERT_EQ(payments->size(), 1u);
  EXPECT_EQ((*payments)[0].id, "pay_1");

  // The year's numbers go on from where they were; a notice sent before is not sent again.
  int64_t next_number = 0;
  bool claimed_again = true;
  auto s = store.write_and_wait([&](WriteTx& tx) -> core::Status {
    auto n = tx.next_sequence("invoice_number", "2026");
    if (!n) return std::move(n).error();
    next_number = *n;
    auto claimed = tx.claim_once("inv_1:5000:overdue", "inv_1", kNowMs);
    if (!claimed) return std::move(claimed).error();
    claimed_again = *claimed;
    return {};
  });
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(next_number, 9);
  EXPECT_FALSE(claimed_again);
}

TEST(BillingMigration, SqliteDatabaseAtVersion5UpgradesInPlace) {
  static std::atomic<int> counter{0};
  const auto dir = std::filesystem::temp_directory_path() /
                   fmt::format("billhook-migration-{}-{}", ::getpid(), counter++);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "billhook.db").string();
  {
    auto db = sqlite::Connection::open(path, /*read_only=*/false);
    ASSERT_TRUE(db.ok()) << db.error().message;
    auto& c = **db;
    ASSERT_TRUE(c.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                       "applied_ms INTEGER NOT NULL)")
                    .ok());
    for (const auto& m : sql::migrations()) {
      if (m.version > kVersionBefore) break;
      auto s = c.exec(m.sql);
      ASSERT_TRUE(s.ok()) << "migration " << m.version << ": " << s.error().message;
      ASSERT_TRUE(c.exec(fmt::format("INSERT INTO schema_migrations VALUES ({}, 'v', 0)", m.version)).ok());
    }
    auto rows = c.exec(kVersion5Rows);
    ASSERT_TRUE(rows.ok()) << rows.error().message;
  }
  core::ManualClock clock{core::from_unix_ms(kNowMs)};
  {
    auto store = sqlite::SqliteStore::open({.path = path}, clock);
    ASSERT_TRUE(store.ok()) << store.error().message;
    expect_upgraded(**store);
  }
  std::filesystem::remove_all(dir);
}

TEST(BillingMigration, PostgresDatabaseAtVersion5UpgradesInPlace) {
  BILLHOOK_REQUIRE_POSTGRES();
  testing::PgTestDatabase database;
  ASSERT_TRUE(database.available()) << database.error();
  {
    auto db = postgres::Connection::open({.url = database.url()});
    ASSERT_TRUE(db.ok()) << db.error().message;
    auto& c = **db;
    ASSERT_TRUE(c.exec("CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, "
                       "applied_ms BIGINT NOT NULL)",
                       "schema_migrations")
                    .ok());
    for (const auto& m : sql::migrations()) {
      if (m.version > kVersionBefore) break;
      auto s = c.exec(postgres::to_postgres_schema(m.sql), "a migration");
      ASSERT_TRUE(s.ok()) << "migration " << m.version << ": " << s.error().message;
      ASSERT_TRUE(c.exec(fmt::format("INSERT INTO schema_migrations VALUES ({}, 'v', 0)", m.version), "recording").ok());
    }
    auto rows = c.exec(kVersion5Rows, "version 5 rows");
    ASSERT_TRUE(rows.ok()) << rows.error().message;
  }
  core::ManualClock clock{core::from_unix_ms(kNowMs)};
  auto store = postgres::PostgresStore::open({.url = database.url(), .pool_size = 2}, clock);
  ASSERT_TRUE(store.ok()) << store.error().message;
  expect_upgraded(**store);
}

}  // namespace
}  // namespace billhook::store
