#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/result.hpp"

namespace billhook::store::sqlite {

struct BackupProgress {
  int64_t pages_copied = 0;
  int64_t pages_total = 0;
};

// Copies the SQLite database at `source`, which a running server may be writing meanwhile, into the new file
// `destination` (created 0600; it must not exist), with SQLite's online backup API. The copy is of one moment:
// the whole copy runs in one read transaction on the source, which in WAL mode holds no writer up. The copy is
// a standalone file (rollback journal, no -wal beside it). `progress` is called after each step of a few
// hundred pages. On failure nothing is left at `destination`.
core::Status backup(const std::string& source, const std::string& destination,
                    const std::function<void(const BackupProgress&)>& progress);

struct BackupCheck {
  int64_t schema_version = 0;
  int64_t events = 0;
};

// Opens `path` read-only, changing nothing next to it, and checks that it is a whole billhook database that
// this binary can run on: SQLite's integrity_check passes and its schema version is not newer than this
// binary's migrations. The error says what is wrong with the file.
core::Result<BackupCheck> check_backup(const std::string& path);

}  // namespace billhook::store::sqlite
