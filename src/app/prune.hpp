#pragma once

#include <string>

#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/result.hpp"

namespace billhook::app {

// `billhook prune [--dry-run]`: what retention (config.retention_days, at `clock`'s now) removes from the store,
// deleted in the server's small batches, or with `dry_run` only counted, changing nothing (on SQLite that works
// beside a running server; pruning for real there is refused while a server holds the data directory, since the
// server prunes by itself). Answers the report to print.
core::Result<std::string> prune(const core::ServeConfig& config, bool dry_run, const core::Clock& clock);

}  // namespace billhook::app
