#include "store/sqlite/wal_checkpointer.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "store/sqlite/sqlite_db.hpp"

namespace billhook::store::sqlite {
namespace {

namespace fs = std::filesystem;

class WalCheckpointerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("billhook-wal-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto db = Connection::open(path(), /*read_only=*/false);
    ASSERT_TRUE(db.ok()) << db.error().message;
    writer_ = std::move(*db);
    ASSERT_TRUE(writer_->exec("PRAGMA journal_mode=WAL").ok());
    ASSERT_TRUE(writer_->exec("CREATE TABLE t (x BLOB)").ok());
  }
  void TearDown() override {
    writer_.reset();
    fs::remove_all(dir_);
  }
  std::string path() const { return (dir_ / "test.db").string(); }
  uintmax_t wal_bytes() const { return fs::file_size(dir_ / "test.db-wal"); }
  void commit_rows(int n) {
    for (int i = 0; i < n; ++i) ASSERT_TRUE(writer_->exec("INSERT INTO t VALUES (randomblob(4000))").ok());
  }

  fs::path dir_;
  std::unique_ptr<Connection> writer_;
};

// 400 commits of a 4 KB row write about 800 pages to the log. SQLite's default would checkpoint
// only at 1,000 pages (the log would reach ~3 MB); with a 16-page threshold the thread keeps
// copying it back, the writer finishes each pass, and the log restarts from its beginning.
TEST_F(WalCheckpointerTest, KeepsTheLogSmallFromItsOwnThread) {
  auto checkpointer = WalCheckpointer::start(path(), writer_->handle(), /*pages=*/16);
  ASSERT_TRUE(checkpointer.ok()) << checkpointer.error().message;
  for (int round = 0; round < 20; ++round) {
    commit_rows(20);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // let the thread run between bursts
  }
  EXPECT_GE((*checkpointer)->checkpoints(), 1);
  // Measured: about 90 KB. Without the thread's passes the writer's fallback alone lets it reach 1 MB.
  EXPECT_LT(wal_bytes(), uintmax_t{256 * 1024}) << "the write-ahead log kept growing";
}

TEST_F(WalCheckpointerTest, TheWriterCommitsNormallyAfterItStops) {
  {
    auto checkpointer = WalCheckpointer::start(path(), writer_->handle(), /*pages=*/4);
    ASSERT_TRUE(checkpointer.ok());
    commit_rows(10);
  }
  commit_rows(10);  // the hook is detached: a commit must not reach the destroyed checkpointer
  auto count = writer_->prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(count.ok());
  ASSERT_TRUE(*count->step("counting"));
  EXPECT_EQ(count->integer(0), 20);
}

TEST_F(WalCheckpointerTest, ReportsAnUnopenableDatabase) {
  auto checkpointer = WalCheckpointer::start((dir_ / "missing" / "x.db").string(), writer_->handle());
  ASSERT_FALSE(checkpointer.ok());
  EXPECT_NE(checkpointer.error().message.find("missing"), std::string::npos) << checkpointer.error().message;
}

}  // namespace
}  // namespace billhook::store::sqlite
