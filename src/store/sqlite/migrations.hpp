#pragma once

#include <span>
#include <string_view>

#include "core/result.hpp"

namespace billhook::store::sqlite {

class Connection;

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

// Every schema version, oldest first. A released migration is never edited; changes are new ones.
std::span<const Migration> migrations();

// Applies the migrations the database has not seen yet, each in its own transaction, and
// records them in schema_migrations. Refuses a database written by a newer billhook.
core::Status migrate(Connection& db, int64_t now_ms);

}  // namespace billhook::store::sqlite
