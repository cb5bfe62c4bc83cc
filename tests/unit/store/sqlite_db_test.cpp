#include "store/sqlite/sqlite_db.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace billhook::store::sqlite {
namespace {

// SQLite counts every allocation for sqlite3_memory_used() under a process-wide mutex unless told not to
// before it initializes; billhook never reads the count, and the locks cost its writer about 6 % of its
// instructions (README, Performance, round five). Every SQLite open in billhook goes through
// configure_sqlite, so whichever opens first, the count stays at zero.
TEST(SqliteConnection, SqliteKeepsNoMemoryStatisticsOnceAConnectionIsOpen) {
  const auto path =
      std::filesystem::temp_directory_path() / ("billhook-memstatus-" + std::to_string(::getpid()) + ".db");
  std::filesystem::remove(path);
  {
    auto db = Connection::open(path.string(), /*read_only=*/false);
    ASSERT_TRUE(db.ok()) << db.error().message;
    ASSERT_TRUE((*db)->exec("CREATE TABLE t (x BLOB); INSERT INTO t VALUES (randomblob(100000))").ok());
    EXPECT_EQ(sqlite3_memory_used(), 0) << "SQLite counts its allocations (SQLITE_CONFIG_MEMSTATUS is on)";
  }
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace billhook::store::sqlite
