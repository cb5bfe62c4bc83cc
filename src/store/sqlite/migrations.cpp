#include "store/sqlite/migrations.hpp"

#include <fmt/format.h>

#include "core/log.hpp"
#include "store/sql/schema.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace billhook::store::sqlite {

core::Status migrate(Connection& db, int64_t now_ms) {
  if (auto s = db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT "
                       "NULL, applied_ms INTEGER NOT NULL)");
      !s)
    return s;
  int64_t current = 0;
  {
    auto stmt = db.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    if (!stmt) return std::move(stmt).error();
    auto row = stmt->step("reading the schema version");
    if (!row) return std::move(row).error();
    current = stmt->integer(0);
  }
  const auto all = sql::migrations();
  const int latest = all.back().version;
  if (current > latest) {
    return core::Error::internal(fmt::format(
        "the database is at schema version {}, newer than this billhook knows ({}); run a newer billhook",
        current, latest));
  }
  for (const auto& m : all) {
    if (m.version <= current) continue;
    if (auto s = db.exec("BEGIN IMMEDIATE"); !s) return s;
    auto applied = db.exec(m.sql);
    if (applied) {
      auto stmt = db.prepare("INSERT INTO schema_migrations (version, name, applied_ms) VALUES (?, ?, ?)");
      if (!stmt) applied = std::move(stmt).error();
      else applied = stmt->bind(1, int64_t{m.version}).bind(2, m.name).bind(3, now_ms).run("recording a migration");
    }
    if (!applied) {
      (void)db.exec("ROLLBACK");
      return core::Error::internal(
          fmt::format("migration {} ({}) failed: {}", m.version, m.name, applied.error().message));
    }
    if (auto s = db.exec("COMMIT"); !s) return s;
    core::log::info("migration applied", {{"version", m.version}, {"name", m.name}});
  }
  return {};
}

}  // namespace billhook::store::sqlite
