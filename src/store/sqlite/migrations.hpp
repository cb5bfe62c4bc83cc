#pragma once

#include <cstdint>

#include "core/result.hpp"

namespace billhook::store::sqlite {

class Connection;

// Applies the migrations (sql::migrations()) the database has not seen yet, each in its own
// transaction, and records them in schema_migrations. Refuses a database written by a newer billhook.
core::Status migrate(Connection& db, int64_t now_ms);

}  // namespace billhook::store::sqlite
