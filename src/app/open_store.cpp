#include "app/open_store.hpp"

#include "store/postgres/pg_store.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace billhook::app {

core::Result<OpenedStore> open_store(const core::ServeConfig& config, const core::Clock& clock, bool coordinate,
                                     bool lock_sqlite) {
  OpenedStore out;
  if (!config.database_url.empty()) {
    auto store = store::postgres::PostgresStore::open({.url = config.database_url,
                                                       .pool_size = config.db_pool_size,
                                                       .statement_timeout_ms = config.db_statement_timeout_s * 1000,
                                                       .coordinate = coordinate},
                                                      clock);
    if (!store) return std::move(store).error();
    out.metrics = store->get();
    out.store = std::move(*store);
    out.shared = true;
    out.description = "postgres";
    return out;
  }
  auto db_path = prepare_data_dir(config.data_dir);
  if (!db_path) return std::move(db_path).error();
  if (lock_sqlite) {
    auto lock = lock_data_dir(config.data_dir);
    if (!lock) return std::move(lock).error();
    out.data_dir_lock = std::move(*lock);
  }
  auto store = store::sqlite::SqliteStore::open({.path = *db_path}, clock);
  if (!store) return std::move(store).error();
  out.metrics = store->get();
  out.store = std::move(*store);
  out.description = "sqlite";
  return out;
}

}  // namespace billhook::app
