#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "core/result.hpp"

struct sqlite3;

namespace billhook::store::sqlite {

class Connection;

// Copies the write-ahead log back into the database file on a thread of its own, so the writer
// thread, which every publish waits on, never does it. SQLite's default runs a checkpoint inside
// the commit that takes the log past 1,000 pages: about a tenth of the writer's time under load.
//
// It replaces that default through the writer connection's WAL hook: each commit reports the log's
// size, and past `pages` the thread is woken to run a PASSIVE checkpoint on its own connection
// (one that never waits for readers or blocks the writer). That copies most of the log, but while
// commits keep coming it can never finish it, and SQLite restarts the log from its beginning only
// after a checkpoint that did. So the first commit after the thread's pass checkpoints inline,
// copying only the few pages committed during the pass. Should the thread fall far behind (a slow
// disk), the writer checkpoints inline as SQLite would, so the log cannot grow without bound.
class WalCheckpointer {
 public:
  static constexpr int kDefaultPages = 1000;  // SQLite's own threshold

  static core::Result<std::unique_ptr<WalCheckpointer>> start(const std::string& path, sqlite3* writer,
                                                              int pages = kDefaultPages);
  // Detaches from the writer and stops the thread; closing the last connection checkpoints what is left.
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  int checkpoints() const;  // completed on the thread, for tests

 private:
  WalCheckpointer(std::unique_ptr<Connection> own, sqlite3* writer, int pages);
  static int on_commit(void* self, sqlite3* db, const char* schema, int wal_pages);
  void run();

  std::unique_ptr<Connection> own_;
  sqlite3* writer_;
  const int pages_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  // none → running (woken by a commit past the threshold) → done (the writer's next commit finishes
  // the log inline, copying only what came after the thread's pass) → none.
  enum class Pass { none, running, done };
  Pass pass_ = Pass::none;
  bool stopping_ = false;
  int checkpoints_ = 0;
  std::thread thread_;
};

}  // namespace billhook::store::sqlite
