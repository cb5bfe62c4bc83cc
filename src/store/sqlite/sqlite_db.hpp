#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace billhook::store::sqlite {

// Maps an SQLite result code to our error kinds: a full disk or I/O failure is `unavailable`
// (retry later, nothing was accepted), a constraint is `conflict`, the rest `internal`.
core::Error to_error(int code, std::string_view context, sqlite3* db);

// Sets SQLite's process-wide options, once, before any connection is opened (sqlite3_config must run before
// SQLite initializes itself): every sqlite3_open_v2 in billhook calls it first.
void configure_sqlite();

class Statement;

// One connection. Not thread-safe: each thread uses its own (see SqliteStore).
class Connection {
 public:
  static core::Result<std::unique_ptr<Connection>> open(const std::string& path, bool read_only);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  core::Status exec(std::string_view sql);
  // A prepared statement, cached per connection by its SQL text and reset after use.
  core::Result<Statement> prepare(const std::string& sql);
  sqlite3* handle() { return db_; }
  // False once an error (a full disk, an I/O error) has rolled back the open transaction by itself.
  bool in_transaction();

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::map<std::string, sqlite3_stmt*, std::less<>> cache_;
};

// A borrowed cached statement; binds are 1-based like SQLite's. Resets itself when destroyed.
class Statement {
 public:
  Statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  Statement(Statement&& other) noexcept : stmt_(other.stmt_), db_(other.db_) { other.stmt_ = nullptr; }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& bind(int index, std::string_view text);
  // Binds `text` without a copy: it must outlive this Statement (whose end clears its bindings).
  Statement& bind_borrowed(int index, std::string_view text);
  Statement& bind(int index, int64_t value);
  Statement& bind_null(int index);
  Statement& bind_optional(int index, const std::optional<int64_t>& value);
  // Binds NULL for an empty string.
  Statement& bind_text_or_null(int index, std::string_view text);

  // true while a row is available; errors carry `context`.
  core::Result<bool> step(std::string_view context);
  // Ready for new binds after the rows of one run were stepped through.
  void reset();
  core::Status run(std::string_view context);  // step until done, then reset for the next binds

  std::string text(int column) const;
  int64_t integer(int column) const;
  bool is_null(int column) const;
  // Whether the statement changes nothing (a SELECT).
  bool read_only() const;

 private:
  sqlite3_stmt* stmt_;
  sqlite3* db_;
};

}  // namespace billhook::store::sqlite
