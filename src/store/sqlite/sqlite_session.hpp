#pragma once

#include "store/sql/session.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace billhook::store::sqlite {

// An SQLite connection as the shared SQL core sees it. Text lists are bound as JSON arrays.
class SqliteSession final : public sql::Session {
 public:
  explicit SqliteSession(Connection& db) : db_(db) {}
  const sql::Dialect& dialect() const override;
  core::Result<int64_t> run(const std::string& sql, const sql::Params& params, std::string_view context,
                            const std::function<void(const sql::Row&)>& each) override;

 private:
  Connection& db_;
};

}  // namespace billhook::store::sqlite
