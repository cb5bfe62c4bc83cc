#pragma once

#include <string>

#include "core/config.hpp"
#include "core/result.hpp"

namespace billhook::app {

// `billhook backup DEST`: a consistent copy of the SQLite store in config.data_dir, taken while a server may be
// running on it, written to the new file DEST (0600), with progress on stderr for a large store. Answers the
// line to print. With a database URL it refuses, naming pg_dump.
core::Result<std::string> backup(const core::ServeConfig& config, const std::string& destination);

// `billhook restore SRC`: checks SRC (SQLite's integrity check, a schema version this binary knows) and installs
// it as the store of config.data_dir, which no server may be running on (its lock is taken for the whole
// restore). The database it replaces is kept beside it as billhook.db.before-restore-<UTC time>. Changes
// nothing when it fails. Answers the line to print. With a database URL it refuses, naming pg_restore.
core::Result<std::string> restore(const core::ServeConfig& config, const std::string& source);

}  // namespace billhook::app
