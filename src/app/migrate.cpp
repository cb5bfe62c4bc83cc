#include "app/migrate.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "app/data_dir.hpp"
#include "core/clock.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace billhook::app {

core::Status migrate(const std::string& data_dir) {
  auto path = prepare_data_dir(data_dir);
  if (!path) return std::move(path).error();
  core::SystemClock clock;
  auto store = store::sqlite::SqliteStore::open({.path = *path}, clock);
  if (!store) return std::move(store).error();
  return {};
}

}  // namespace billhook::app
