#include "store/postgres/pg_session.hpp"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <mutex>
#include <utility>

#include <fmt/format.h>

namespace billhook::store::postgres {
namespace {

class RowsRow final : public sql::Row {
 public:
  RowsRow(const Rows& rows, int index) : rows_(rows), index_(index) {}
  bool is_null(int column) const override { return rows_.is_null(index_, column); }
  std::string text(int column) const override { return rows_.text(index_, column); }
  int64_t integer(int column) const override { return rows_.integer(index_, column); }

 private:
  const Rows& rows_;
  int index_;
};

std::string any_of_text_array(std::string_view column, int n) { return fmt::format("{} = ANY(?{}::text[])", column, n); }

const sql::Dialect kDialect{.in_text_list = any_of_text_array, .lock_for_update = " FOR UPDATE"};

Params to_params(const sql::Params& params) {
  Params out;
  for (const auto& value : params.values()) {
    std::visit(
        [&](const auto& v) {
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, std::monostate>) out.add_null();
          else if constexpr (std::is_same_v<V, sql::TextList>) out.add_text_array(v);
          else out.add(v);
        },
        value);
  }
  return out;
}

// Statements are few and fixed: each is translated once.
const std::string& translated(const std::string& sql) {
  static std::mutex mutex;
  static std::map<std::string, std::string, std::less<>> cache;
  std::lock_guard lock(mutex);
  auto it = cache.find(sql);
  if (it == cache.end()) it = cache.emplace(sql, numbered_placeholders(sql)).first;
  return it->second;
}

}  // namespace

std::string numbered_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 8);
  int highest = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    if (sql[i] != '?') {
      out += sql[i];
      continue;
    }
    size_t end = i + 1;
    while (end < sql.size() && std::isdigit(static_cast<unsigned char>(sql[end]))) ++end;
    // As SQLite numbers them: ?N is N, a bare ? is one more than the highest so far.
    const int n = end > i + 1 ? std::stoi(std::string(sql.substr(i + 1, end - i - 1))) : highest + 1;
    highest = std::max(highest, n);
    out += fmt::format("${}", n);
    i = end - 1;
  }
  return out;
}

const sql::Dialect& PgSession::dialect() const { return kDialect; }

// A statement with a list parameter is planned for its values each time it runs (sent unnamed), the
// others once per connection. PostgreSQL's plan kept for a connection (its generic plan) is made
// for a list of about ten values in tables as large as they were then: made on a new database, it
// read every delivery to find the 250 of a list (120 ms instead of 1), and claimed due deliveries by
// reading an endpoint's whole backlog for each one claimed (150 ms instead of 3 with 40,000
// queued). The statements with lists run once per batch, not per job: planning them costs little.
Statement PgSession::statement(const std::string& sql, const sql::Params& params, std::string_view context) {
  const bool has_list = std::any_of(params.values().begin(), params.values().end(), [](const sql::Value& v) {
    return std::holds_alternative<sql::TextList>(v);
  });
  return Statement{translated(sql), to_params(params), std::string(context), /*prepare=*/!has_list};
}

core::Result<int64_t> PgSession::run(const std::string& sql, const sql::Params& params, std::string_view context,
                                     const std::function<void(const sql::Row&)>& each) {
  return run_statement(statement(sql, params, context), each);
}

core::Result<int64_t> PgSession::run_statement(const Statement& statement,
                                               const std::function<void(const sql::Row&)>& each) {
  std::optional<core::Result<Rows>> rows;
  if (held_.empty() && statement.prepare) {
    rows = db_.query(statement.sql, statement.params, statement.context);
  } else {
    std::vector<core::Result<Rows>> results;
    if (auto held = run_held({statement}, &results); !held) return std::move(held).error();
    rows = std::move(results.front());
  }
  if (!*rows) return std::move(*rows).error();
  if (each)
    for (int i = 0; i < (*rows)->size(); ++i) each(RowsRow(**rows, i));
  return (*rows)->affected();
}

core::Status PgSession::send(const std::string& sql, const sql::Params& params, std::string_view context) {
  if (!pipelined_) return Session::send(sql, params, context);
  held_.push_back({statement(sql, params, context), false, std::nullopt});
  return {};
}

core::Result<bool> PgSession::run_expecting(const std::string& sql, const sql::Params& params,
                                            std::string_view context, int64_t expected) {
  if (!hold_expectations_) return Session::run_expecting(sql, params, context, expected);
  held_.push_back({statement(sql, params, context), false, expected});
  return true;
}

void PgSession::hold_command(std::string sql, std::string_view context) {
  held_.push_back({Statement{std::move(sql), Params{}, std::string(context), /*prepare=*/false}, true, std::nullopt});
}

bool PgSession::holds_job_statements() const {
  return std::any_of(held_.begin(), held_.end(), [](const Held& h) { return !h.command; });
}

void PgSession::drop_job_statements() {
  std::erase_if(held_, [](const Held& h) { return !h.command; });
}

core::Status PgSession::flush() { return run_held({}, nullptr); }

core::Status PgSession::run_each(const std::string& sql, const std::vector<sql::Params>& params,
                                 std::string_view context, const std::function<void(size_t, const sql::Row&)>& each) {
  std::vector<Statement> statements;
  statements.reserve(params.size());
  for (const auto& p : params) statements.push_back(statement(sql, p, context));
  std::vector<core::Result<Rows>> results;
  if (auto held = run_held(std::move(statements), &results); !held) return held;
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i]) return std::move(results[i]).error();
    for (int row = 0; row < results[i]->size(); ++row) each(i, RowsRow(*results[i], row));
  }
  return {};
}

core::Status PgSession::run_held(std::vector<Statement> then, std::vector<core::Result<Rows>>* then_results) {
  std::vector<Held> sent = std::exchange(held_, {});
  std::vector<Statement> statements;
  statements.reserve(sent.size() + then.size());
  for (auto& h : sent) statements.push_back(std::move(h.statement));  // what else a Held says stays in `sent`
  const size_t first_then = statements.size();
  std::move(then.begin(), then.end(), std::back_inserter(statements));
  if (statements.empty()) return {};
  auto results = db_.pipeline(statements);
  core::Status failure;
  // The first failure is the cause; the statements after it were skipped (or, with the connection
  // lost, failed the same way). A statement that changed other rows than its job expected is a
  // failure too, though the server ran on.
  for (size_t i = 0; i < sent.size(); ++i) {
    const auto& expected = sent[i].expected_changes;
    if (results[i] && expected && results[i]->affected() != *expected) {
      failure = core::Error::conflict("changed_since_read",
                                      fmt::format("{}: changed {} rows where {} were expected",
                                                  statements[i].context, results[i]->affected(), *expected));
      break;
    }
    if (results[i]) continue;
    failure = results[i].error();
    if (sent[i].command && fatal_) fatal_ = failure;
    break;
  }
  if (then_results)
    then_results->assign(std::make_move_iterator(results.begin() + static_cast<std::ptrdiff_t>(first_then)),
                         std::make_move_iterator(results.end()));
  return failure;
}

}  // namespace billhook::store::postgres
