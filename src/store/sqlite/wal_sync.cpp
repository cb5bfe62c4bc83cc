#include "store/sqlite/wal_sync.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "core/log.hpp"

namespace billhook::store::sqlite {

core::Result<std::unique_ptr<WalSync>> WalSync::open(const std::string& wal_path, std::function<void(double)> observe,
                                                     std::function<void()> synced) {
  // Linux syncs a file's data whichever descriptor wrote it, so a descriptor of our own on SQLite's
  // WAL file makes the writer connection's frames durable. SQLite keeps that file (the same inode) while
  // any connection is open: it resets and overwrites it after a checkpoint, never replaces it.
  const int fd = ::open(wal_path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return core::Error::unavailable(
        fmt::format("cannot open the store's WAL file {} to sync it: {}", wal_path, std::strerror(errno)));
  return std::unique_ptr<WalSync>(new WalSync(fd, wal_path, std::move(observe), std::move(synced)));
}

WalSync::WalSync(int fd, std::string path, std::function<void(double)> observe, std::function<void()> synced)
    : fd_(fd),
      path_(std::move(path)),
      observe_(std::move(observe)),
      synced_(std::move(synced)),
      thread_([this] { run(); }) {}

WalSync::~WalSync() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  ::close(fd_);
}

void WalSync::hand_over(bool needs_sync, Finish finish) {
  {
    std::lock_guard lock(mutex_);
    handed_.push_back(Handed{needs_sync, std::move(finish)});
    if (needs_sync) waiting_for_sync_ = true;
  }
  cv_.notify_one();
}

bool WalSync::syncing() const {
  std::lock_guard lock(mutex_);
  return sync_running_ || waiting_for_sync_;
}

std::optional<core::Error> WalSync::failure() const {
  std::lock_guard lock(mutex_);
  return failure_;
}

void WalSync::run() {
  pthread_setname_np(pthread_self(), "store sync");
  std::vector<Handed> taken;
  for (;;) {
    bool needs_sync = false;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || !handed_.empty(); });
      if (handed_.empty()) return;  // stopping, and everything handed over has been finished
      taken.swap(handed_);
      needs_sync = waiting_for_sync_;
      sync_running_ = needs_sync;
      waiting_for_sync_ = false;
    }
    // Each was committed before it was handed over, so one sync begun now covers them all.
    // A relaxed batch after a failed sync fails too: it may have leased deliveries of the batch that was lost.
    const core::Status synced = needs_sync ? sync() : failed_so_far();
    if (needs_sync) {
      {
        std::lock_guard lock(mutex_);
        sync_running_ = false;
      }
      synced_();
    }
    for (auto& h : taken) h.finish(synced);
    taken.clear();
  }
}

core::Status WalSync::failed_so_far() const {
  std::lock_guard lock(mutex_);
  if (failure_) return *failure_;
  return {};
}

core::Status WalSync::sync() {
  if (auto failed = failed_so_far(); !failed.ok()) return failed;
  const auto started = std::chrono::steady_clock::now();
  int rc;
  do rc = ::fdatasync(fd_);
  while (rc != 0 && errno == EINTR);
  if (rc == 0) {
    observe_(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return {};
  }
  const std::string reason = std::strerror(errno);
  core::log::error("syncing the store's WAL failed: writes are refused until billhook is restarted",
                   {{"file", path_}, {"error", reason}});
  std::lock_guard lock(mutex_);
  failure_ = core::Error::unavailable(fmt::format(
      "the store could not make its writes durable (fsync of its WAL failed: {}); restart billhook", reason));
  return *failure_;
}

}  // namespace billhook::store::sqlite
