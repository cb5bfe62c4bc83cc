#include "store/sqlite/backup.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "store/sql/schema.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace billhook::store::sqlite {
namespace {

constexpr int kPagesPerStep = 256;                 // 1 MiB at the default page size
constexpr auto kLockedFor = std::chrono::seconds(10);  // how long a step may keep answering "busy"

// A handle closed when it goes out of scope.
struct Db {
  sqlite3* db = nullptr;
  Db() = default;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db() { sqlite3_close(db); }
};

std::string message_of(sqlite3* db, int rc) { return db ? sqlite3_errmsg(db) : sqlite3_errstr(rc); }

// A "file:" URI that opens `path` read-only and immutable: SQLite then takes no lock and creates no -wal or
// -shm file beside it.
std::string immutable_uri(const std::string& path) {
  std::string out = "file:";
  for (const unsigned char c : std::filesystem::absolute(path).string()) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
    else out += fmt::format("%{:02X}", static_cast<unsigned>(c));
  }
  return out + "?mode=ro&immutable=1";
}

core::Status fsync_path(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return core::Error::unavailable(fmt::format("cannot open '{}': {}", path, std::strerror(errno)));
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (rc != 0) return core::Error::unavailable(fmt::format("cannot sync '{}': {}", path, std::strerror(saved)));
  return {};
}

// The rows of a one-column query, or the error SQLite gave.
core::Result<std::vector<std::string>> column(sqlite3* db, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr);
  std::vector<std::string> rows;
  while (rc == SQLITE_OK || rc == SQLITE_ROW) {
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
      const auto* text = sqlite3_column_text(stmt, 0);
      rows.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
    }
  }
  const std::string message = rc == SQLITE_DONE ? "" : message_of(db, rc);
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) return core::Error::invalid("invalid_backup", message);
  return rows;
}

core::Status copy(sqlite3* source, sqlite3* destination, const std::function<void(const BackupProgress&)>& progress) {
  // One read transaction for the whole copy: every step reads the same snapshot, so the backup never restarts
  // however much the server writes meanwhile, and in WAL mode the server's writer does not wait for it.
  if (sqlite3_exec(source, "BEGIN; SELECT count(*) FROM sqlite_schema;", nullptr, nullptr, nullptr) != SQLITE_OK)
    return core::Error::unavailable(fmt::format("cannot read the store: {}", sqlite3_errmsg(source)));
  sqlite3_backup* backup = sqlite3_backup_init(destination, "main", source, "main");
  if (!backup) {
    (void)sqlite3_exec(source, "ROLLBACK", nullptr, nullptr, nullptr);
    return core::Error::unavailable(fmt::format("cannot start the backup: {}", sqlite3_errmsg(destination)));
  }
  auto locked_since = std::chrono::steady_clock::time_point{};
  int rc = SQLITE_OK;
  for (;;) {
    rc = sqlite3_backup_step(backup, kPagesPerStep);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
      const auto now = std::chrono::steady_clock::now();
      if (locked_since == std::chrono::steady_clock::time_point{}) locked_since = now;
      if (now - locked_since > kLockedFor) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    locked_since = {};
    if (rc != SQLITE_OK && rc != SQLITE_DONE) break;
    const int total = sqlite3_backup_pagecount(backup);
    if (progress) progress({total - sqlite3_backup_remaining(backup), total});
    if (rc == SQLITE_DONE) break;
  }
  const int finished = sqlite3_backup_finish(backup);
  (void)sqlite3_exec(source, "COMMIT", nullptr, nullptr, nullptr);
  if (rc != SQLITE_DONE)
    return core::Error::unavailable(fmt::format("copying failed: {}", sqlite3_errstr(rc)));
  if (finished != SQLITE_OK)
    return core::Error::unavailable(fmt::format("copying failed: {}", message_of(destination, finished)));
  return {};
}

}  // namespace

core::Status backup(const std::string& source, const std::string& destination,
                    const std::function<void(const BackupProgress&)>& progress) {
  struct stat st {};
  if (::stat(source.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
    return core::Error::invalid("no_store", fmt::format("there is no billhook database at '{}'", source));
  if (::access(destination.c_str(), F_OK) == 0)
    return core::Error::invalid("destination_exists",
                                fmt::format("'{}' exists; a backup is always a new file: remove it or name another",
                                            destination));
  const std::string partial = destination + ".partial";
  const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return core::Error::invalid("destination_unwritable",
                                fmt::format("cannot create '{}': {}", partial, std::strerror(errno)));
  const int chmod_rc = ::fchmod(fd, 0600);  // whatever the umask
  ::close(fd);
  const auto discard = [&partial](core::Error error) -> core::Status {
    std::error_code ignored;
    std::filesystem::remove(partial, ignored);
    std::filesystem::remove(partial + "-journal", ignored);
    return error;
  };
  if (chmod_rc != 0)
    return discard(core::Error::unavailable(fmt::format("cannot chmod 600 '{}': {}", partial, std::strerror(errno))));

  {
    Db src;
    Db dst;
    // Read-write without create: the server's -shm is shared with it (a read-only handle could not use it).
    configure_sqlite();
    int rc = sqlite3_open_v2(source.c_str(), &src.db, SQLITE_OPEN_READWRITE, nullptr);
    if (rc != SQLITE_OK)
      return discard(core::Error::unavailable(fmt::format("cannot open '{}': {}", source, message_of(src.db, rc))));
    sqlite3_busy_timeout(src.db, 5000);
    rc = sqlite3_open_v2(partial.c_str(), &dst.db, SQLITE_OPEN_READWRITE, nullptr);
    if (rc != SQLITE_OK)
      return discard(core::Error::unavailable(fmt::format("cannot open '{}': {}", partial, message_of(dst.db, rc))));
    if (auto s = copy(src.db, dst.db, progress); !s) return discard(std::move(s).error());
    // The store is in WAL mode and so is the copy's header; a rollback journal makes it one standalone file.
    if (sqlite3_exec(dst.db, "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr) != SQLITE_OK)
      return discard(core::Error::unavailable(fmt::format("cannot finish '{}': {}", partial, sqlite3_errmsg(dst.db))));
    if (sqlite3_close(dst.db) != SQLITE_OK)
      return discard(core::Error::unavailable(fmt::format("cannot close '{}': {}", partial, sqlite3_errmsg(dst.db))));
    dst.db = nullptr;
  }
  if (auto s = fsync_path(partial); !s) return discard(std::move(s).error());
  if (::rename(partial.c_str(), destination.c_str()) != 0)
    return discard(core::Error::unavailable(
        fmt::format("cannot rename '{}' to '{}': {}", partial, destination, std::strerror(errno))));
  const auto parent = std::filesystem::absolute(destination).parent_path().string();
  return fsync_path(parent);
}

core::Result<BackupCheck> check_backup(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return core::Error::invalid("invalid_backup", fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) return core::Error::invalid("invalid_backup", fmt::format("'{}' is not a file", path));
  if (st.st_size == 0) return core::Error::invalid("invalid_backup", fmt::format("'{}' is empty", path));
  Db db;
  configure_sqlite();
  const int rc = sqlite3_open_v2(immutable_uri(path).c_str(), &db.db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr);
  if (rc != SQLITE_OK)
    return core::Error::invalid("invalid_backup",
                                fmt::format("cannot open '{}' as an SQLite database: {}", path, message_of(db.db, rc)));
  auto integrity = column(db.db, "PRAGMA integrity_check(5)");
  if (!integrity)
    return core::Error::invalid("invalid_backup", fmt::format("'{}' is not a whole SQLite database: {}", path,
                                                              integrity.error().message));
  if (integrity->size() != 1 || integrity->front() != "ok") {
    std::string found;
    for (const auto& line : *integrity) found += (found.empty() ? "" : "; ") + line;
    return core::Error::invalid("invalid_backup",
                                fmt::format("'{}' is damaged; SQLite's integrity check found: {}", path, found));
  }
  auto version = column(db.db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!version || version->empty() || version->front() == "0")
    return core::Error::invalid("invalid_backup",
                                fmt::format("'{}' is an SQLite database but not billhook's (no schema version)", path));
  BackupCheck out;
  out.schema_version = std::stoll(version->front());
  const int latest = sql::migrations().back().version;
  if (out.schema_version > latest)
    return core::Error::invalid("invalid_backup",
                                fmt::format("'{}' is at schema version {}, newer than this billhook knows ({}); "
                                            "restore it with the billhook version that wrote it, or a newer one",
                                            path, out.schema_version, latest));
  if (auto events = column(db.db, "SELECT count(*) FROM events"); events && !events->empty())
    out.events = std::stoll(events->front());
  return out;
}

}  // namespace billhook::store::sqlite
