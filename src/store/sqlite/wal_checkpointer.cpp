#include "store/sqlite/wal_checkpointer.hpp"

#include <sqlite3.h>

#include <chrono>

#include "core/log.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace billhook::store::sqlite {
namespace {

// Past this many times the threshold the writer stops waiting for the thread and checkpoints itself.
constexpr int kInlineFactor = 16;

}  // namespace

core::Result<std::unique_ptr<WalCheckpointer>> WalCheckpointer::start(const std::string& path, sqlite3* writer,
                                                                       int pages) {
  auto own = Connection::open(path, /*read_only=*/false);
  if (!own) return std::move(own).error();
  return std::unique_ptr<WalCheckpointer>(new WalCheckpointer(std::move(*own), writer, pages));
}

WalCheckpointer::WalCheckpointer(std::unique_ptr<Connection> own, sqlite3* writer, int pages)
    : own_(std::move(own)), writer_(writer), pages_(pages) {
  thread_ = std::thread([this] { run(); });
  sqlite3_wal_hook(writer_, &WalCheckpointer::on_commit, this);
}

WalCheckpointer::~WalCheckpointer() {
  sqlite3_wal_hook(writer_, nullptr, nullptr);
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

int WalCheckpointer::checkpoints() const {
  std::lock_guard lock(mutex_);
  return checkpoints_;
}

int WalCheckpointer::on_commit(void* self, sqlite3* db, const char* schema, int wal_pages) {
  auto& me = *static_cast<WalCheckpointer*>(self);
  if (wal_pages < me.pages_) return SQLITE_OK;
  bool inline_now = wal_pages >= me.pages_ * kInlineFactor;
  {
    std::lock_guard lock(me.mutex_);
    if (me.pass_ == Pass::done) {
      // The thread copied what the log held when it started; only what was committed since is left,
      // and only a checkpoint with no commit running beside it can finish the log so that SQLite
      // starts it again from its beginning.
      inline_now = true;
      me.pass_ = Pass::none;
    } else if (me.pass_ == Pass::none && !inline_now) {
      me.pass_ = Pass::running;
      me.wake_.notify_one();
    }
  }
  // Called after the commit is durable: a failure here loses nothing, a later commit tries again.
  if (inline_now) (void)sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  return SQLITE_OK;
}

void WalCheckpointer::run() {
  auto last_warning = std::chrono::steady_clock::time_point{};
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return pass_ == Pass::running || stopping_; });
      if (stopping_) return;
    }
    const int rc = sqlite3_wal_checkpoint_v2(own_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    {
      std::lock_guard lock(mutex_);
      pass_ = rc == SQLITE_OK ? Pass::done : Pass::none;
      if (rc == SQLITE_OK) ++checkpoints_;
    }
    if (rc == SQLITE_OK) continue;
    // BUSY: another checkpoint is running; it does the same work. Anything else (a full disk) is
    // worth a line, once a minute at most: the log only grows until the next checkpoint succeeds.
    const auto now = std::chrono::steady_clock::now();
    if ((rc & 0xFF) != SQLITE_BUSY && now - last_warning > std::chrono::minutes(1)) {
      last_warning = now;
      core::log::warn("checkpointing the write-ahead log failed", {{"error", sqlite3_errmsg(own_->handle())}});
    }
  }
}

}  // namespace billhook::store::sqlite
