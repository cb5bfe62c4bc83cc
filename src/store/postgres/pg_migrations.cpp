#include "store/postgres/pg_migrations.hpp"

#include <regex>

#include <fmt/format.h>

#include "core/log.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/sql/schema.hpp"

namespace billhook::store::postgres {

// The shared schema (sql::migrations(), written in SQLite's spelling) in PostgreSQL's types: INTEGER
// columns are BIGINT (they hold milliseconds), text compares byte by byte (COLLATE "C") as in
// SQLite, so that id cursors page the same way whatever the database's locale, and WITHOUT ROWID is
// SQLite's alone.
std::string to_postgres_schema(std::string_view sql) {
  static const std::regex integer(R"(\bINTEGER\b)");
  static const std::regex text(R"(\bTEXT\b)");
  static const std::regex without_rowid(R"(\)\s*WITHOUT ROWID)");
  std::string out = std::regex_replace(std::string(sql), integer, "BIGINT");
  out = std::regex_replace(out, text, R"(TEXT COLLATE "C")");
  return std::regex_replace(out, without_rowid, ")");
}

namespace {

// Taken for the whole migration run, so that nodes starting together do not apply a version twice.
constexpr int64_t kMigrationLock = 0x62696c6c686f6f6b;  // "billhook"

core::Status apply_pending(Connection& db, int64_t now_ms) {
  if (auto s = db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, "
                       "applied_ms BIGINT NOT NULL)",
                       "creating schema_migrations");
      !s)
    return s;
  auto current_rows = db.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", "reading the schema version");
  if (!current_rows) return std::move(current_rows).error();
  const int64_t current = current_rows->integer(0, 0);
  const auto all = sql::migrations();
  const int latest = all.back().version;
  if (current > latest) {
    return core::Error::internal(fmt::format(
        "the database is at schema version {}, newer than this billhook knows ({}); run a newer billhook", current,
        latest));
  }
  for (const auto& m : all) {
    if (m.version <= current) continue;
    if (auto s = db.exec("BEGIN", "starting a migration"); !s) return s;
    auto applied = db.exec(to_postgres_schema(m.sql), fmt::format("migration {}", m.version));
    if (applied) {
      auto recorded = db.query("INSERT INTO schema_migrations (version, name, applied_ms) VALUES ($1, $2, $3)",
                               Params{}.add(int64_t{m.version}).add(m.name).add(now_ms), "recording a migration");
      if (!recorded) applied = std::move(recorded).error();
    }
    if (!applied) {
      (void)db.exec("ROLLBACK", "rolling back a migration");
      return core::Error::internal(
          fmt::format("migration {} ({}) failed: {}", m.version, m.name, applied.error().message));
    }
    if (auto s = db.commit("committing a migration"); !s) return s;
    core::log::info("migration applied", {{"version", m.version}, {"name", m.name}, {"store", "postgres"}});
  }
  return {};
}

}  // namespace

core::Status migrate(Connection& db, int64_t now_ms) {
  if (auto s = db.query("SELECT pg_advisory_lock($1)", Params{}.add(kMigrationLock), "waiting for the migration lock");
      !s)
    return std::move(s).error();
  auto result = apply_pending(db, now_ms);
  (void)db.query("SELECT pg_advisory_unlock($1)", Params{}.add(kMigrationLock), "releasing the migration lock");
  return result;
}

}  // namespace billhook::store::postgres
