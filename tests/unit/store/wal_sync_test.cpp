#include "store/sqlite/wal_sync.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace billhook::store::sqlite {
namespace {

// A file standing in for SQLite's WAL (WalSync only syncs it), removed at the end of the test.
class TempFile {
 public:
  explicit TempFile(const std::string& name)
      : path_(std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()))) {
    std::ofstream(path_) << "frames";
  }
  ~TempFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

struct Finished {
  int index;
  int syncs_when_handed;
  int syncs_when_finished;
  core::Status status;
};

TEST(WalSync, AnswersEveryBatchInCommitOrderAfterASyncBegunOnceItWasHandedOver) {
  TempFile wal("billhook-walsync-order");
  std::atomic<int> syncs{0};
  std::mutex mutex;
  std::vector<Finished> finished;
  {
    auto sync = WalSync::open(wal.path(), [&](double) { ++syncs; }, [] {});
    ASSERT_TRUE(sync.ok()) << sync.error().message;
    for (int i = 0; i < 300; ++i) {
      // Mostly durable batches, and relaxed ones (a claim) among them.
      const bool durable = i % 3 != 2;
      const int handed_at = syncs.load();
      (*sync)->hand_over(durable, [&, i, handed_at](const core::Status& s) {
        std::lock_guard lock(mutex);
        finished.push_back({i, handed_at, syncs.load(), s});
      });
    }
  }  // the destructor answers everything handed over
  ASSERT_EQ(finished.size(), 300u);
  for (int i = 0; i < 300; ++i) {
    const auto& f = finished[static_cast<size_t>(i)];
    EXPECT_EQ(f.index, i) << "answered out of commit order";
    EXPECT_TRUE(f.status.ok()) << f.status.error().message;
    // A durable batch is answered only after a sync that ended after it was handed over; a relaxed one
    // (a claim, which may have leased their deliveries) only after the durable ones before it, by the order.
    if (i % 3 != 2) {
      EXPECT_GT(f.syncs_when_finished, f.syncs_when_handed) << "durable batch " << i << " answered before a sync";
    }
  }
  EXPECT_LE(syncs.load(), 300) << "at most one sync per batch";
  EXPECT_GE(syncs.load(), 1);
}

TEST(WalSync, RelaxedBatchesAloneAreAnsweredWithoutASync) {
  TempFile wal("billhook-walsync-relaxed");
  std::atomic<int> syncs{0};
  std::atomic<int> answered{0};
  {
    auto sync = WalSync::open(wal.path(), [&](double) { ++syncs; }, [] {});
    ASSERT_TRUE(sync.ok());
    for (int i = 0; i < 20; ++i)
      (*sync)->hand_over(false, [&](const core::Status& s) {
        EXPECT_TRUE(s.ok());
        ++answered;
      });
    EXPECT_FALSE((*sync)->syncing());
  }
  EXPECT_EQ(answered.load(), 20);
  EXPECT_EQ(syncs.load(), 0);
}

TEST(WalSync, AFailedSyncFailsItsBatchesAndEveryLaterOneAndSaysToRestart) {
  // fdatasync of a FIFO fails (EINVAL): a stand-in for a disk that reports an I/O error.
  const auto fifo = std::filesystem::temp_directory_path() / ("billhook-walsync-fifo-" + std::to_string(::getpid()));
  std::filesystem::remove(fifo);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::vector<core::Status> answers;
  std::mutex mutex;
  {
    auto sync = WalSync::open(fifo.string(), [](double) {}, [] {});
    ASSERT_TRUE(sync.ok()) << sync.error().message;
    const auto answer = [&](const core::Status& s) {
      std::lock_guard lock(mutex);
      answers.push_back(s);
    };
    (*sync)->hand_over(true, answer);
    (*sync)->hand_over(false, answer);  // a claim committed after it
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!(*sync)->failure() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    (*sync)->hand_over(true, answer);
    // A relaxed batch handed over alone once the sync has failed: no sync of its own, and still failed.
    const auto answered_so_far = [&] {
      std::lock_guard lock(mutex);
      return answers.size();
    };
    while (answered_so_far() < 3 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    (*sync)->hand_over(false, answer);
    const auto failure = (*sync)->failure();
    ASSERT_TRUE(failure.has_value());
    EXPECT_EQ(failure->kind, core::ErrorKind::unavailable);
    EXPECT_NE(failure->message.find("fsync of its WAL failed"), std::string::npos) << failure->message;
    EXPECT_NE(failure->message.find("restart billhook"), std::string::npos) << failure->message;
  }
  std::filesystem::remove(fifo);
  ASSERT_EQ(answers.size(), 4u);
  for (const auto& s : answers) {
    ASSERT_FALSE(s.ok()) << "a batch was answered as durable after the WAL could not be synced";
    EXPECT_EQ(s.error().kind, core::ErrorKind::unavailable);
  }
}

TEST(WalSync, OpeningAWalThatIsNotThereSaysWhichFile) {
  const auto path = std::filesystem::temp_directory_path() / "billhook-walsync-missing" / "store.db-wal";
  auto sync = WalSync::open(path.string(), [](double) {}, [] {});
  ASSERT_FALSE(sync.ok());
  EXPECT_NE(sync.error().message.find(path.string()), std::string::npos) << sync.error().message;
}

}  // namespace
}  // namespace billhook::store::sqlite
