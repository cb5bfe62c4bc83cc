#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace billhook::store::postgres {

class Connection;

// A migration of the shared schema (written in SQLite's spelling) in PostgreSQL's types.
std::string to_postgres_schema(std::string_view sql);

// Applies the migrations (sql::migrations()) the database has not seen yet, each in its own
// transaction, and records them in schema_migrations. Several nodes starting at once take turns (an
// advisory lock). Refuses a database written by a newer billhook.
core::Status migrate(Connection& db, int64_t now_ms);

}  // namespace billhook::store::postgres
