#pragma once

#include <map>

#include "store/postgres/pg_connection.hpp"
#include "store/sql/session.hpp"

namespace billhook::store::postgres {

// A PostgreSQL connection as the shared SQL core sees it: ?1 placeholders become $1, a bare ? the
// next number, and text lists are bound as text[].
class PgSession final : public sql::Session {
 public:
  explicit PgSession(Connection& db) : db_(db) {}
  const sql::Dialect& dialect() const override;
  core::Result<int64_t> run(const std::string& sql, const sql::Params& params, std::string_view context,
                            const std::function<void(const sql::Row&)>& each) override;

 private:
  Connection& db_;
};

// The statement with SQLite's placeholders (?1, ?) in PostgreSQL's ($1). Only for statements with
// no question mark inside a literal or an identifier, as all of ours.
std::string numbered_placeholders(std::string_view sql);

}  // namespace billhook::store::postgres
