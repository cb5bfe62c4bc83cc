#include "store/postgres/pg_connection.hpp"

#include <charconv>

#include <fmt/format.h>
#include <libpq-fe.h>

namespace billhook::store::postgres {
namespace {

// libpq's messages end with a newline; logs and API messages read better without it.
std::string trimmed(const char* message) {
  std::string out = message ? message : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// What pipeline() answers for a statement the server skipped after an earlier one failed.
core::Error skipped_error(std::string_view context) {
  return {core::ErrorKind::internal, "pipeline_skipped",
          fmt::format("{}: not run, an earlier statement of the pipeline failed", context), {}};
}

std::vector<const char*> param_values(const Params& params) {
  std::vector<const char*> values;
  values.reserve(params.values().size());
  for (const auto& v : params.values()) values.push_back(v ? v->c_str() : nullptr);
  return values;
}

}  // namespace

Params& Params::add(std::string_view text) {
  values_.emplace_back(std::string(text));
  return *this;
}

Params& Params::add(int64_t value) {
  values_.emplace_back(std::to_string(value));
  return *this;
}

Params& Params::add_null() {
  values_.emplace_back(std::nullopt);
  return *this;
}

Params& Params::add_optional(const std::optional<int64_t>& value) {
  return value ? add(*value) : add_null();
}

Params& Params::add_text_or_null(std::string_view text) { return text.empty() ? add_null() : add(text); }

Params& Params::add_text_array(const std::vector<std::string>& items) {
  std::string literal = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) literal += ',';
    literal += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') literal += '\\';
      literal += c;
    }
    literal += '"';
  }
  literal += '}';
  return add(literal);
}

Rows::Rows(pg_result* result) : result_(result) {}
Rows::Rows(Rows&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
Rows& Rows::operator=(Rows&& other) noexcept {
  if (this != &other) {
    if (result_) PQclear(result_);
    result_ = other.result_;
    other.result_ = nullptr;
  }
  return *this;
}
Rows::~Rows() {
  if (result_) PQclear(result_);
}

int Rows::size() const { return PQntuples(result_); }
bool Rows::is_null(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }
std::string Rows::text(int row, int column) const {
  return std::string(PQgetvalue(result_, row, column), static_cast<size_t>(PQgetlength(result_, row, column)));
}
int64_t Rows::integer(int row, int column) const {
  const char* value = PQgetvalue(result_, row, column);
  const char* end = value + PQgetlength(result_, row, column);
  int64_t out = 0;
  std::from_chars(value, end, out);
  return out;
}
std::optional<int64_t> Rows::optional_integer(int row, int column) const {
  return is_null(row, column) ? std::nullopt : std::optional<int64_t>(integer(row, column));
}
int64_t Rows::affected() const {
  const char* count = PQcmdTuples(result_);
  int64_t out = 0;
  std::from_chars(count, count + std::char_traits<char>::length(count), out);
  return out;
}

core::Result<std::unique_ptr<Connection>> Connection::open(const ConnectOptions& options) {
  const std::string connect_timeout = std::to_string(options.connect_timeout_s);
  // The URL comes first and is expanded; the keywords after it add to it. Keepalives notice a
  // server that vanished without closing the connection.
  const char* keywords[] = {"dbname", "connect_timeout", "application_name", "keepalives", "keepalives_idle",
                            "keepalives_interval", "keepalives_count", nullptr};
  const char* values[] = {options.url.c_str(), connect_timeout.c_str(), "billhook", "1", "10", "5", "3", nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (!conn) return core::Error::unavailable("cannot reach the database: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    auto error = core::Error::unavailable(fmt::format("cannot reach the database: {}", trimmed(PQerrorMessage(conn))));
    PQfinish(conn);
    return error;
  }
  auto connection = std::unique_ptr<Connection>(new Connection(conn));
  // Warnings and notices (e.g. "relation already exists, skipping") are not for the user's terminal.
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  if (auto s = connection->exec(fmt::format("SET statement_timeout = {}", options.statement_timeout_ms),
                                "setting the statement timeout");
      !s)
    return std::move(s).error();
  return connection;
}

Connection::~Connection() { PQfinish(conn_); }

bool Connection::broken() const { return unusable_ || PQstatus(conn_) != CONNECTION_OK; }

bool Connection::transaction_failed() const { return PQtransactionStatus(conn_) == PQTRANS_INERROR; }

core::Error Connection::error_of(pg_result* result, std::string_view context) const {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string detail = trimmed(result && PQresultErrorMessage(result)[0] ? PQresultErrorMessage(result)
                                                                               : PQerrorMessage(conn_));
  const std::string_view code = state ? state : "";
  if (!state || broken()) return core::Error::unavailable(fmt::format("the database is unreachable ({}): {}", context, detail));
  // 08: connection exceptions; 57P0x: the server is shutting down or starting; 57014: the statement
  // timeout; 53: out of resources; 40: serialization failure or deadlock. All pass with time.
  if (starts_with(code, "08") || starts_with(code, "57P") || code == "57014" || starts_with(code, "53") ||
      starts_with(code, "40"))
    return core::Error::unavailable(fmt::format("the database is unavailable ({}): {}", context, detail));
  if (starts_with(code, "23")) return core::Error::conflict("constraint_violation", fmt::format("{}: {}", context, detail));
  return core::Error::internal(fmt::format("postgres error {} in {}: {}", code, context, detail));
}

core::Result<Rows> Connection::query(const std::string& sql, const Params& params, std::string_view context) {
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = fmt::format("s{}", next_statement_++);
    ++round_trips_;
    PGresult* raw = PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr);
    if (!raw || PQresultStatus(raw) != PGRES_COMMAND_OK) {
      auto error = error_of(raw, context);
      if (raw) PQclear(raw);
      return error;
    }
    PQclear(raw);
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  ++round_trips_;
  const auto values = param_values(params);
  PGresult* result = PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(values.size()), values.data(), nullptr,
                                    nullptr, 0);
  const auto status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    auto error = error_of(result, context);
    if (result) PQclear(result);
    return error;
  }
  return Rows(result);
}

std::vector<core::Result<Rows>> Connection::pipeline(const std::vector<Statement>& statements) {
  std::vector<std::optional<core::Result<Rows>>> results(statements.size());
  auto answer = [&] {
    std::vector<core::Result<Rows>> out;
    out.reserve(results.size());
    for (size_t i = 0; i < results.size(); ++i)
      out.push_back(results[i] ? std::move(*results[i]) : core::Result<Rows>(error_of(nullptr, statements[i].context)));
    return out;
  };
  if (statements.empty()) return {};
  ++round_trips_;
  if (PQenterPipelineMode(conn_) != 1) return answer();  // every one: "the database is unreachable"

  // What was sent, in order: a statement's execution, preceded by its preparation the first time.
  struct Sent {
    size_t statement;
    bool prepares;
  };
  std::vector<Sent> sent;
  std::map<std::string, std::string, std::less<>> preparing;  // SQL text → name, prepared by this pipeline
  bool sending = true;
  for (size_t i = 0; i < statements.size() && sending; ++i) {
    const Statement& st = statements[i];
    const auto values = param_values(st.params);
    const int n = static_cast<int>(values.size());
    if (!st.prepare) {
      sending = PQsendQueryParams(conn_, st.sql.c_str(), n, nullptr, values.data(), nullptr, nullptr, 0) == 1;
      if (sending) sent.push_back({i, false});
      continue;
    }
    const std::string* name = nullptr;
    if (auto it = prepared_.find(st.sql); it != prepared_.end()) {
      name = &it->second;
    } else if (auto p = preparing.find(st.sql); p != preparing.end()) {
      name = &p->second;
    } else {
      auto added = preparing.emplace(st.sql, fmt::format("s{}", next_statement_++)).first;
      name = &added->second;
      sending = PQsendPrepare(conn_, name->c_str(), st.sql.c_str(), 0, nullptr) == 1;
      if (!sending) break;
      sent.push_back({i, true});
    }
    sending = PQsendQueryPrepared(conn_, name->c_str(), n, values.data(), nullptr, nullptr, 0) == 1;
    if (sending) sent.push_back({i, false});
  }
  if (sending) sending = PQpipelineSync(conn_) == 1;
  if (!sending) {
    // libpq could not queue or send a message: the connection is not fit for another statement.
    unusable_ = true;
    return answer();
  }

  // Each one's result, then a NULL; after a failure, PGRES_PIPELINE_ABORTED for each of the rest; then
  // the sync point.
  bool lost = false;
  for (const Sent& item : sent) {
    PGresult* result = PQgetResult(conn_);
    if (!result) {
      lost = true;
      break;
    }
    while (PGresult* extra = PQgetResult(conn_)) PQclear(extra);
    const auto status = PQresultStatus(result);
    auto& slot = results[item.statement];
    const Statement& st = statements[item.statement];
    if (slot) {
      PQclear(result);  // its preparation failed: the execution was skipped
    } else if (status == PGRES_PIPELINE_ABORTED) {
      slot = skipped_error(st.context);
      PQclear(result);
    } else if (item.prepares) {
      if (status == PGRES_COMMAND_OK) prepared_.insert_or_assign(st.sql, preparing.at(st.sql));
      else slot = error_of(result, st.context);
      PQclear(result);
    } else if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
      slot = Rows(result);
    } else {
      slot = error_of(result, st.context);
      PQclear(result);
    }
  }
  if (!lost) {
    PGresult* sync = PQgetResult(conn_);
    lost = !sync || PQresultStatus(sync) != PGRES_PIPELINE_SYNC;
    if (sync) PQclear(sync);
  }
  if (lost || PQexitPipelineMode(conn_) != 1) unusable_ = true;
  return answer();
}

core::Status Connection::exec(std::string_view sql, std::string_view context) {
  ++round_trips_;
  const std::string text(sql);
  PGresult* result = PQexec(conn_, text.c_str());
  const auto status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    auto error = error_of(result, context);
    if (result) PQclear(result);
    return error;
  }
  PQclear(result);
  return {};
}

core::Status Connection::commit(std::string_view context) {
  ++round_trips_;
  PGresult* result = PQexec(conn_, "COMMIT");
  if (!result || PQresultStatus(result) != PGRES_COMMAND_OK) {
    auto error = error_of(result, context);
    if (result) PQclear(result);
    return error;
  }
  const std::string tag = PQcmdStatus(result);
  PQclear(result);
  if (tag != "COMMIT")
    return core::Error::internal(fmt::format("{}: the transaction had failed and was rolled back", context));
  return {};
}

}  // namespace billhook::store::postgres
