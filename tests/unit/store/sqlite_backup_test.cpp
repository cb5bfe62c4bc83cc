// The SQLite store's backup and the check a restore makes of a copy (store/sqlite/backup).

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "core/clock.hpp"
#include "store/sql/schema.hpp"
#include "store/sqlite/backup.hpp"
#include "store/sqlite/sqlite_db.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace billhook::store::sqlite {
namespace {

namespace fs = std::filesystem;

class SqliteBackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("billhook-backup-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    core::SystemClock clock;
    auto store = SqliteStore::open({.path = (dir_ / "billhook.db").string()}, clock);
    ASSERT_TRUE(store.ok()) << store.error().message;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const char* name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

TEST_F(SqliteBackupTest, CopiesTheStoreIntoAStandaloneFileThatPassesTheCheck) {
  int64_t last_copied = -1;
  int64_t total = 0;
  auto s = backup(path("billhook.db"), path("copy.db"), [&](const BackupProgress& p) {
    EXPECT_GT(p.pages_copied, last_copied);
    last_copied = p.pages_copied;
    total = p.pages_total;
  });
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(last_copied, total) << "the last progress report is the whole store";
  EXPECT_GT(total, 0);
  EXPECT_EQ(fs::status(path("copy.db")).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_FALSE(fs::exists(path("copy.db.partial")));
  auto check = check_backup(path("copy.db"));
  ASSERT_TRUE(check.ok()) << check.error().message;
  EXPECT_EQ(check->schema_version, sql::migrations().back().version);
  EXPECT_FALSE(fs::exists(path("copy.db-wal"))) << "checking a copy creates nothing beside it";
  EXPECT_FALSE(fs::exists(path("copy.db-shm")));
}

TEST_F(SqliteBackupTest, RefusesAnExistingDestinationAndAMissingStore) {
  { std::ofstream(path("taken.db")) << "mine"; }
  auto s = backup(path("billhook.db"), path("taken.db"), nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("exists"), std::string::npos) << s.error().message;
  std::ifstream in(path("taken.db"));
  std::string content;
  in >> content;
  EXPECT_EQ(content, "mine");

  s = backup(path("absent.db"), path("out.db"), nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("no billhook database"), std::string::npos) << s.error().message;
  EXPECT_FALSE(fs::exists(path("out.db")));
  EXPECT_FALSE(fs::exists(path("out.db.partial")));
}

TEST_F(SqliteBackupTest, RefusesACopyFromANewerBillhook) {
  ASSERT_TRUE(backup(path("billhook.db"), path("copy.db"), nullptr).ok());
  {
    auto db = Connection::open(path("copy.db"), false);
    ASSERT_TRUE(db.ok()) << db.error().message;
    ASSERT_TRUE((*db)->exec("INSERT INTO schema_migrations (version, name, applied_ms) VALUES (9999, 'future', 0)").ok());
  }
  auto check = check_backup(path("copy.db"));
  ASSERT_FALSE(check.ok());
  EXPECT_NE(check.error().message.find("schema version 9999, newer than this billhook knows"), std::string::npos)
      << check.error().message;
}

TEST_F(SqliteBackupTest, RefusesAnSqliteDatabaseThatIsNotBillhooks) {
  {
    auto db = Connection::open(path("other.db"), false);
    ASSERT_TRUE(db.ok()) << db.error().message;
    ASSERT_TRUE((*db)->exec("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('hello')").ok());
  }
  auto check = check_backup(path("other.db"));
  ASSERT_FALSE(check.ok());
  EXPECT_NE(check.error().message.find("not billhook's"), std::string::npos) << check.error().message;
}

}  // namespace
}  // namespace billhook::store::sqlite
