#pragma once

#include <memory>
#include <string>

#include "app/data_dir.hpp"
#include "core/clock.hpp"
#include "core/config.hpp"
#include "store/store.hpp"
#include "store/store_metrics.hpp"

namespace billhook::app {

// The store a configuration names: PostgreSQL when it has a database URL (shared with other
// nodes), else SQLite in its data directory (this process's alone, locked).
struct OpenedStore {
  std::unique_ptr<store::Store> store;
  store::StoreMetrics* metrics = nullptr;  // the same store, as GET /metrics reads it
  DataDirLock data_dir_lock;  // held for SQLite only
  bool shared = false;        // other nodes may use the same database
  std::string description;    // for the start-up log: "sqlite" or "postgres"
};

// `coordinate` starts the PostgreSQL store's LISTEN/lead connection (not wanted by `migrate`). Without
// `lock_sqlite` the SQLite data directory is not locked: for a command that only reads beside a running server.
core::Result<OpenedStore> open_store(const core::ServeConfig& config, const core::Clock& clock, bool coordinate,
                                     bool lock_sqlite = true);

}  // namespace billhook::app
