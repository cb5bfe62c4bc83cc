#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

struct pg_conn;
struct pg_result;

namespace billhook::store::postgres {

struct ConnectOptions {
  std::string url;                          // postgres://user@host:port/db?… (any libpq connection string)
  unsigned statement_timeout_ms = 30'000;   // 0: none
  unsigned connect_timeout_s = 5;
};

// The parameters of one statement, in $1, $2, … order, sent as text.
class Params {
 public:
  Params& add(std::string_view text);
  Params& add(const char* text) { return add(std::string_view(text)); }
  Params& add(int64_t value);
  Params& add_null();
  Params& add_optional(const std::optional<int64_t>& value);
  // NULL for an empty string.
  Params& add_text_or_null(std::string_view text);
  // A text[] literal ({"a","b"}) for `= ANY($n::text[])`.
  Params& add_text_array(const std::vector<std::string>& items);

  const std::vector<std::optional<std::string>>& values() const { return values_; }

 private:
  std::vector<std::optional<std::string>> values_;
};

// The rows (or the affected-row count) of one statement; frees the libpq result.
class Rows {
 public:
  explicit Rows(pg_result* result);
  Rows(Rows&&) noexcept;
  Rows& operator=(Rows&&) noexcept;
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;
  ~Rows();

  int size() const;
  bool is_null(int row, int column) const;
  std::string text(int row, int column) const;
  int64_t integer(int row, int column) const;
  std::optional<int64_t> optional_integer(int row, int column) const;
  // Rows changed by an INSERT, UPDATE or DELETE.
  int64_t affected() const;

 private:
  pg_result* result_;
};

// One statement of a pipeline (Connection::pipeline).
struct Statement {
  std::string sql;
  Params params;
  std::string context;
  // Prepared once per connection (cached by its text), or, false, sent unnamed each time: for
  // commands without parameters (SAVEPOINT …) that are not worth a prepared statement each.
  bool prepare = true;
};

// One libpq connection. Not thread-safe: each thread uses its own (see PostgresStore). Errors
// are mapped to our kinds: a lost or refused connection, a statement timeout, or a server going
// down is `unavailable` (retry later; nothing was accepted), a constraint is `conflict`, the
// rest `internal`.
class Connection {
 public:
  static core::Result<std::unique_ptr<Connection>> open(const ConnectOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // One statement with parameters, prepared once per connection (cached by its text).
  core::Result<Rows> query(const std::string& sql, const Params& params, std::string_view context);
  core::Result<Rows> query(const std::string& sql, std::string_view context) { return query(sql, Params{}, context); }
  // Sends the statements together and waits once (one round trip, libpq's pipeline mode): each one's
  // rows or error, in order. The server runs them in order and, once one fails, skips the rest:
  // those answer `skipped` (internal, "not run: an earlier statement of the pipeline failed").
  std::vector<core::Result<Rows>> pipeline(const std::vector<Statement>& statements);
  // Runs SQL text that may hold several statements and no parameters (migrations, BEGIN, …).
  core::Status exec(std::string_view sql, std::string_view context);
  // COMMIT, failing unless the server committed: a transaction that an error aborted answers COMMIT
  // with a rollback, not with an error.
  core::Status commit(std::string_view context);
  // A statement of the open transaction failed: until a rollback, every other one fails too.
  bool transaction_failed() const;
  // The connection was lost: it cannot be used again.
  bool broken() const;
  pg_conn* handle() { return conn_; }
  // Round trips made so far: each query, exec, commit and pipeline waits for the server once.
  uint64_t round_trips() const { return round_trips_; }

 private:
  explicit Connection(pg_conn* conn) : conn_(conn) {}
  core::Error error_of(pg_result* result, std::string_view context) const;

  pg_conn* conn_;
  // Set when a pipeline left libpq in a state it could not return from: the connection is then
  // treated as lost (broken), so that the writer opens another.
  bool unusable_ = false;
  uint64_t round_trips_ = 0;
  std::map<std::string, std::string, std::less<>> prepared_;  // SQL text → statement name
  unsigned next_statement_ = 0;  // the number in the next prepared statement's name
};

}  // namespace billhook::store::postgres
