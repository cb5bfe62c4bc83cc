#pragma once

#include <string>

#include "core/result.hpp"

namespace billhook::app {

// Creates the data directory if needed and answers the path of the SQLite database in it.
core::Result<std::string> prepare_data_dir(const std::string& data_dir);

}  // namespace billhook::app
