#pragma once

#include <span>
#include <string_view>

namespace billhook::store::sql {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;  // in SQLite's spelling; each backend renders it (Dialect::schema)
};

// Every schema version, oldest first, for both backends. A released migration is never edited;
// changes are new ones.
std::span<const Migration> migrations();

}  // namespace billhook::store::sql
