#include "app/backup.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>

#include <fmt/format.h>

#include "app/data_dir.hpp"
#include "store/sqlite/backup.hpp"

namespace billhook::app {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kProgressFromPages = 2560;  // 10 MiB at SQLite's default page size: smaller copies are quick

core::Error on_postgres(const char* command, const char* tool) {
  return core::Error::invalid(
      "postgres_backup",
      fmt::format("billhook {} works on the embedded SQLite store; with --database-url (or BILLHOOK_DATABASE_URL) "
                  "the data is in PostgreSQL: use {} (pg_dump --format=custom --file billhook.dump URL, then "
                  "pg_restore --dbname URL billhook.dump)",
                  command, tool));
}

std::string utc_stamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y%m%dT%H%M%SZ", &tm);
  return out;
}

// Copies `from` into the new file `to` (0600), synced.
core::Status copy_file(const std::string& from, const std::string& to) {
  const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return core::Error::invalid("invalid_backup", fmt::format("cannot read '{}': {}", from, std::strerror(errno)));
  const int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (out < 0) {
    ::close(in);
    return core::Error::unavailable(fmt::format("cannot create '{}': {}", to, std::strerror(errno)));
  }
  core::Status status;
  if (::fchmod(out, 0600) != 0) status = core::Error::unavailable(fmt::format("cannot chmod 600 '{}': {}", to, std::strerror(errno)));
  char buffer[1 << 16];
  while (status) {
    const ssize_t n = ::read(in, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      status = core::Error::unavailable(fmt::format("cannot read '{}': {}", from, std::strerror(errno)));
      break;
    }
    for (ssize_t done = 0; done < n && status;) {
      const ssize_t w = ::write(out, buffer + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) status = core::Error::unavailable(fmt::format("cannot write '{}': {}", to, std::strerror(errno)));
      else done += w;
    }
  }
  if (status && ::fsync(out) != 0) status = core::Error::unavailable(fmt::format("cannot sync '{}': {}", to, std::strerror(errno)));
  ::close(in);
  ::close(out);
  return status;
}

core::Status sync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return core::Error::unavailable(fmt::format("cannot open '{}': {}", dir, std::strerror(errno)));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return core::Error::unavailable(fmt::format("cannot sync '{}'", dir));
  return {};
}

}  // namespace

core::Result<std::string> backup(const core::ServeConfig& config, const std::string& destination) {
  if (!config.database_url.empty()) return on_postgres("backup", "pg_dump");
  const std::string db_path = (fs::path(config.data_dir) / "billhook.db").string();
  const auto started = std::chrono::steady_clock::now();
  auto last_report = started;
  bool reported = false;
  int64_t pages = 0;
  auto status = store::sqlite::backup(db_path, destination, [&](const store::sqlite::BackupProgress& p) {
    pages = p.pages_total;
    const auto now = std::chrono::steady_clock::now();
    const bool done = p.pages_copied == p.pages_total;
    if (p.pages_total < kProgressFromPages) return;
    if (!done && now - last_report < std::chrono::seconds(1) && reported) return;
    last_report = now;
    reported = true;
    std::fprintf(stderr, "backup: %3d%% (%lld of %lld pages)\n",
                 static_cast<int>(p.pages_total ? 100 * p.pages_copied / p.pages_total : 100),
                 static_cast<long long>(p.pages_copied), static_cast<long long>(p.pages_total));
  });
  if (!status) return std::move(status).error();
  struct stat st {};
  const double mib = ::stat(destination.c_str(), &st) == 0 ? static_cast<double>(st.st_size) / (1 << 20) : 0.0;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return fmt::format("billhook: backed up {} to {} ({} pages, {:.1f} MiB, {:.1f} s)", db_path, destination, pages, mib,
                     seconds);
}

core::Result<std::string> restore(const core::ServeConfig& config, const std::string& source) {
  if (!config.database_url.empty()) return on_postgres("restore", "pg_restore");
  // The copy is judged before anything in the data directory is touched.
  auto check = store::sqlite::check_backup(source);
  if (!check) return std::move(check).error();
  if (auto dir = prepare_private_dir(config.data_dir); !dir) return std::move(dir).error();
  // Held until the new file is in place: no server can start on the directory meanwhile.
  auto lock = lock_data_dir(config.data_dir);
  if (!lock) return std::move(lock).error();

  const fs::path dir(config.data_dir);
  const std::string db_path = (dir / "billhook.db").string();
  const std::string incoming = db_path + ".restoring";
  std::error_code ignored;
  fs::remove(incoming, ignored);  // left by a restore that was interrupted
  if (auto copied = copy_file(source, incoming); !copied) {
    fs::remove(incoming, ignored);
    return std::move(copied).error();
  }
  std::string kept;
  if (fs::exists(db_path)) {
    kept = db_path + ".before-restore-" + utc_stamp();
    // The -wal file may hold committed changes not yet in the database: it moves with it, under the name SQLite
    // looks for beside the kept file.
    for (const char* suffix : {"", "-wal", "-shm"}) {
      const std::string from = db_path + suffix;
      if (!fs::exists(from)) continue;
      if (::rename(from.c_str(), (kept + suffix).c_str()) != 0) {
        const std::string why = std::strerror(errno);
        fs::remove(incoming, ignored);
        return core::Error::unavailable(fmt::format("cannot move '{}' aside: {}", from, why));
      }
    }
  }
  if (::rename(incoming.c_str(), db_path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    return core::Error::unavailable(fmt::format("cannot install '{}' as '{}': {} (the previous database is {})",
                                                incoming, db_path, why, kept.empty() ? "none" : kept));
  }
  if (auto s = sync_dir(dir.string()); !s) return std::move(s).error();
  return fmt::format("billhook: restored {} (schema version {}, {} events) into {}{}", source, check->schema_version,
                     check->events, db_path,
                     kept.empty() ? std::string() : fmt::format("; the database it replaced is kept as {}", kept));
}

}  // namespace billhook::app
