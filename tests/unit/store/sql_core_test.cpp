// The pieces of the shared SQL core that are pure text: how statements are spelled for each backend.
#include <gtest/gtest.h>

#include "store/postgres/pg_migrations.hpp"
#include "store/postgres/pg_session.hpp"
#include "store/sql/query.hpp"
#include "store/sql/records.hpp"

namespace billhook::store {
namespace {

TEST(SqlCore, NumberedPlaceholdersBecomeDollarNumbers) {
  EXPECT_EQ(postgres::numbered_placeholders("UPDATE t SET a = ?2 WHERE id = ?1"), "UPDATE t SET a = $2 WHERE id = $1");
  EXPECT_EQ(postgres::numbered_placeholders("SELECT 1 WHERE a = ?12"), "SELECT 1 WHERE a = $12");
}

TEST(SqlCore, BarePlaceholdersTakeTheNextNumberAsInSqlite) {
  EXPECT_EQ(postgres::numbered_placeholders("a = ? AND b = ? LIMIT ?"), "a = $1 AND b = $2 LIMIT $3");
  // SQLite gives a bare ? one more than the highest number used before it.
  EXPECT_EQ(postgres::numbered_placeholders("a = ?3 AND b = ?"), "a = $3 AND b = $4");
  EXPECT_EQ(postgres::numbered_placeholders("no parameters"), "no parameters");
}

TEST(SqlCore, InsertPlaceholdersOnePerColumn) {
  EXPECT_EQ(sql::placeholders("a"), "?1");
  EXPECT_EQ(sql::placeholders("a, b, c"), "?1, ?2, ?3");
  // Every record's parameters match its column list.
  const auto columns = [](std::string_view list) {
    return static_cast<size_t>(std::count(list.begin(), list.end(), ',') + 1);
  };
  EXPECT_EQ(sql::event_params({}).size(), columns(sql::kEventColumns));
  EXPECT_EQ(sql::endpoint_params({}).size(), columns(sql::kEndpointColumns));
  EXPECT_EQ(sql::delivery_params({}).size(), columns(sql::kDeliveryColumns));
  EXPECT_EQ(sql::attempt_params({}).size(), columns(sql::kAttemptColumns));
  EXPECT_EQ(sql::idempotency_params({}).size(), columns(sql::kIdempotencyColumns));
  EXPECT_EQ(sql::api_key_params({}).size(), columns(sql::kApiKeyColumns));
  EXPECT_EQ(sql::document_params({}).size(), columns(sql::kDocumentColumns));
}

TEST(SqlCore, PrefixedColumns) {
  EXPECT_EQ(sql::prefixed_columns("d.", "id, status,  next"), "d.id, d.status, d.next");
}

TEST(SqlCore, FilterJoinsItsConditionsWithAnd) {
  sql::Filter none;
  EXPECT_EQ(none.where(), "");
  const auto documents = sql::document_filter({.kind = "refund", .customer_id = "cus_1", .status = "succeeded"});
  EXPECT_EQ(documents.where(), " WHERE kind = ? AND customer_id = ? AND status = ?");
  ASSERT_EQ(documents.params.size(), 3u);
  EXPECT_EQ(std::get<std::string>(documents.params.values()[1]), "cus_1");
}

TEST(SqlCore, TheSharedSchemaInPostgresTypes) {
  EXPECT_EQ(postgres::to_postgres_schema("CREATE TABLE t (\n  id TEXT PRIMARY KEY,\n  n INTEGER NOT NULL\n) WITHOUT ROWID;\n"
                                         "CREATE INDEX t_by_n ON t (n) WHERE n IS NOT NULL;"),
            "CREATE TABLE t (\n  id TEXT COLLATE \"C\" PRIMARY KEY,\n  n BIGINT NOT NULL\n);\n"
            "CREATE INDEX t_by_n ON t (n) WHERE n IS NOT NULL;");
  // Words that only contain the type names are left alone.
  EXPECT_EQ(postgres::to_postgres_schema("ALTER TABLE x ADD COLUMN texts TEXT NOT NULL DEFAULT 'INTEGERS'"),
            "ALTER TABLE x ADD COLUMN texts TEXT COLLATE \"C\" NOT NULL DEFAULT 'INTEGERS'");
}

}  // namespace
}  // namespace billhook::store
