#include "store/sqlite/sqlite_session.hpp"

#include <sqlite3.h>

#include <boost/json.hpp>
#include <fmt/format.h>

namespace billhook::store::sqlite {
namespace {

class StatementRow final : public sql::Row {
 public:
  explicit StatementRow(const Statement& stmt) : stmt_(stmt) {}
  bool is_null(int column) const override { return stmt_.is_null(column); }
  std::string text(int column) const override { return stmt_.text(column); }
  int64_t integer(int column) const override { return stmt_.integer(column); }

 private:
  const Statement& stmt_;
};

std::string in_json_array(std::string_view column, int n) {
  return fmt::format("{} IN (SELECT value FROM json_each(?{}))", column, n);
}

const sql::Dialect kDialect{.in_text_list = in_json_array};

// `value` outlives `stmt` (SqliteSession::run holds both), so its text is bound without a copy.
void bind(Statement& stmt, int index, const sql::Value& value) {
  std::visit(
      [&](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::monostate>) {
          stmt.bind_null(index);
        } else if constexpr (std::is_same_v<V, sql::TextList>) {
          boost::json::array array;
          for (const auto& item : v) array.emplace_back(item);
          stmt.bind(index, boost::json::serialize(array));
        } else if constexpr (std::is_same_v<V, std::string>) {
          stmt.bind_borrowed(index, v);
        } else {
          stmt.bind(index, v);
        }
      },
      value);
}

}  // namespace

const sql::Dialect& SqliteSession::dialect() const { return kDialect; }

core::Result<int64_t> SqliteSession::run(const std::string& sql, const sql::Params& params, std::string_view context,
                                         const std::function<void(const sql::Row&)>& each) {
  auto stmt = db_.prepare(sql);
  if (!stmt) return std::move(stmt).error();
  int index = 1;
  for (const auto& value : params.values()) bind(*stmt, index++, value);
  const StatementRow row(*stmt);
  for (;;) {
    auto stepped = stmt->step(context);
    if (!stepped) return std::move(stepped).error();
    if (!*stepped) break;
    if (each) each(row);
  }
  return stmt->read_only() ? int64_t{0} : static_cast<int64_t>(sqlite3_changes64(db_.handle()));
}

}  // namespace billhook::store::sqlite
