#pragma once

#include <string>

#include "core/result.hpp"

namespace billhook::app {

// `billhook migrate`: opens the store in `data_dir` (creating it), applies pending migrations, exits.
core::Status migrate(const std::string& data_dir);

}  // namespace billhook::app
