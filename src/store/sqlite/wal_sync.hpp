#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/result.hpp"

namespace billhook::store::sqlite {

// Makes the writer's batches durable off the writer's thread. The writer commits with
// synchronous=NORMAL, so that in WAL mode a COMMIT only writes its frames to the WAL file, and
// hands each batch over here in commit order; one fdatasync of the WAL file makes durable every
// batch committed before it began, and the batches are then finished (their jobs answered) in the
// order they committed. Meanwhile the writer runs the next batch instead of sitting out the fsync,
// and under light load one fsync serves the batches that queued during the one before.
//
// Nothing is answered before it is durable: a batch with durable work waits for a sync that began
// after its COMMIT, and every batch, relaxed ones included, is finished only after the batches
// committed before it. So a claim (relaxed) that leased a delivery of a batch not yet synced is
// answered only once that batch is durable, and nothing is sent for an event that could still be lost.
class WalSync {
 public:
  using Finish = std::function<void(const core::Status& synced)>;

  // Opens `wal_path` (the database's "-wal" file, which must exist: SQLite creates it when a
  // connection first reads the database in WAL mode) for syncing. `observe` gets each sync's seconds;
  // `synced` is called (on the sync thread, holding no lock) as soon as a sync has returned.
  static core::Result<std::unique_ptr<WalSync>> open(const std::string& wal_path, std::function<void(double)> observe,
                                                     std::function<void()> synced);
  // Syncs and finishes everything handed over, then stops.
  ~WalSync();
  WalSync(const WalSync&) = delete;
  WalSync& operator=(const WalSync&) = delete;

  // Called by the writer after each batch, in commit order. `needs_sync`: the batch committed work
  // that must be durable before it is answered. `finish` runs on the sync thread, with the error of
  // a failed sync or ok.
  void hand_over(bool needs_sync, Finish finish);
  // The error of the first sync that failed: once one has, nothing committed after it can be known to
  // be durable (Linux may drop the pages a failed fsync was writing and report the next one clean), so
  // the writer refuses every later batch until billhook is restarted and SQLite recovers the WAL.
  std::optional<core::Error> failure() const;
  // Whether a sync is running or batches wait for one: the writer then runs the jobs that arrive
  // meanwhile into its open transaction, and commits them when this turns false. One commit per sync
  // keeps groups as large as when the writer waited for each fsync itself (every commit writes the
  // pages it changed to the WAL again, so smaller groups cost more per job), while the jobs run during it.
  bool syncing() const;

 private:
  struct Handed {
    bool needs_sync;
    Finish finish;
  };

  WalSync(int fd, std::string path, std::function<void(double)> observe, std::function<void()> synced);
  void run();
  // fdatasync of the WAL, timed; the error (kept as failure()) if it or an earlier one failed.
  core::Status sync();
  // The error of a sync that has failed, or ok: what a batch needing no sync of its own is answered with.
  core::Status failed_so_far() const;

  const int fd_;
  const std::string path_;
  const std::function<void(double)> observe_;
  const std::function<void()> synced_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Handed> handed_;
  bool stopping_ = false;
  bool waiting_for_sync_ = false;  // a batch handed over needs a sync that has not begun
  bool sync_running_ = false;
  std::optional<core::Error> failure_;
  std::thread thread_;
};

}  // namespace billhook::store::sqlite
