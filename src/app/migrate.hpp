#pragma once

#include "core/config.hpp"
#include "core/result.hpp"

namespace billhook::app {

// `billhook migrate`: opens the store the configuration names (PostgreSQL with a database URL,
// else SQLite in the data directory, creating it), applies pending migrations, exits.
core::Status migrate(const core::ServeConfig& config);

}  // namespace billhook::app
