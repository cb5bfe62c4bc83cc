#pragma once

#include <span>
#include <string_view>

#include "core/result.hpp"

namespace billhook::store::postgres {

class Connection;

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

// Every schema version, oldest first, mirroring the SQLite migrations version for version. A
// released migration is never edited; changes are new ones.
std::span<const Migration> migrations();

// Applies the migrations the database has not seen yet, each in its own transaction, and records
// them in schema_migrations. Several nodes starting at once take turns (an advisory lock). Refuses
// a database written by a newer billhook.
core::Status migrate(Connection& db, int64_t now_ms);

}  // namespace billhook::store::postgres
