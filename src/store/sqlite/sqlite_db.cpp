#include "store/sqlite/sqlite_db.hpp"

#include <sqlite3.h>

#include <mutex>

#include <fmt/format.h>

namespace billhook::store::sqlite {

core::Error to_error(int code, std::string_view context, sqlite3* db) {
  const std::string detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  switch (code & 0xFF) {
    case SQLITE_FULL:
      return core::Error::unavailable(fmt::format("the disk is full ({}): nothing was stored", context));
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_READONLY:
      return core::Error::unavailable(fmt::format("storage is unavailable ({}): {}", context, detail));
    case SQLITE_CONSTRAINT:
      return core::Error::conflict("constraint_violation", fmt::format("{}: {}", context, detail));
    default:
      return core::Error::internal(fmt::format("sqlite error in {}: {}", context, detail));
  }
}

void configure_sqlite() {
  static std::once_flag once;
  std::call_once(once, [] {
    // No memory statistics (sqlite3_memory_used, which billhook never reads): SQLite keeps them under a
    // process-wide mutex, two locks per allocation and free, about 165 per published and delivered event in
    // the writer alone. Refused (SQLITE_MISUSE) only if something initialized SQLite first, which costs speed only.
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  });
}

core::Result<std::unique_ptr<Connection>> Connection::open(const std::string& path, bool read_only) {
  configure_sqlite();
  sqlite3* db = nullptr;
  const int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    auto error = to_error(rc, fmt::format("opening {}", path), db);
    sqlite3_close(db);
    return error;
  }
  sqlite3_extended_result_codes(db, 1);
  // A reader may briefly wait for a checkpoint; the writer never waits for readers in WAL mode.
  sqlite3_busy_timeout(db, 5000);
  return std::unique_ptr<Connection>(new Connection(db));
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

bool Connection::in_transaction() { return sqlite3_get_autocommit(db_) == 0; }

core::Status Connection::exec(std::string_view sql) {
  char* message = nullptr;
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    auto error = to_error(rc, fmt::format("executing '{}'", text.substr(0, 60)), db_);
    sqlite3_free(message);
    return error;
  }
  return {};
}

core::Result<Statement> Connection::prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                      &stmt, nullptr);
    if (rc != SQLITE_OK) return to_error(rc, fmt::format("preparing '{}'", sql.substr(0, 60)), db_);
    it = cache_.emplace(sql, stmt).first;
  }
  return Statement(it->second, db_);
}

Statement::~Statement() {
  if (stmt_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Statement& Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind_borrowed(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
  return *this;
}

Statement& Statement::bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Statement& Statement::bind_optional(int index, const std::optional<int64_t>& value) {
  return value ? bind(index, *value) : bind_null(index);
}

Statement& Statement::bind_text_or_null(int index, std::string_view text) {
  return text.empty() ? bind_null(index) : bind(index, text);
}

core::Result<bool> Statement::step(std::string_view context) {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return to_error(rc, context, db_);
}

core::Status Statement::run(std::string_view context) {
  for (;;) {
    auto row = step(context);
    if (!row) return std::move(row).error();
    if (!*row) break;
  }
  // Ready for new binds, so one statement can run in a loop.
  sqlite3_reset(stmt_);
  return {};
}

void Statement::reset() { sqlite3_reset(stmt_); }

std::string Statement::text(int column) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (!p) return {};
  return std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

int64_t Statement::integer(int column) const { return sqlite3_column_int64(stmt_, column); }

bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

bool Statement::read_only() const { return sqlite3_stmt_readonly(stmt_) != 0; }

}  // namespace billhook::store::sqlite
