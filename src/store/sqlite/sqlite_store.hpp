#pragma once

#include <memory>
#include <string>

#include "core/clock.hpp"
#include "store/sql/reader_pool.hpp"
#include "store/sql/sql_store.hpp"

namespace billhook::store::sqlite {

class Connection;
class WalSync;

struct SqliteOptions {
  std::string path;           // the database file; its directory must exist
  size_t max_batch = 1024;    // most write jobs committed together
  unsigned max_readers = 8;   // read connections opened on demand
};

// The embedded store: SQLite in WAL mode. One writer thread owns the only read-write connection
// and commits queued jobs in groups; reads use a pool of read-only connections and never block the
// writer. The writer commits with synchronous=NORMAL (a COMMIT writes the WAL, no fsync) and hands
// each batch to WalSync, whose thread syncs the WAL and then answers the batch's jobs, in commit
// order: a job is answered only once durable, and the writer does not wait for the fsync.
class SqliteStore final : public sql::SqlStore {
 public:
  static core::Result<std::unique_ptr<SqliteStore>> open(const SqliteOptions& options, const core::Clock& clock);
  // Commits what is queued, then stops the writer.
  ~SqliteStore() override;


 protected:
  PoolUse reader_pool_use() const override {
    const auto use = readers_.use();
    return {use.open, use.in_use, readers_.limit()};
  }

 private:
  class Tx;

  SqliteStore(SqliteOptions options, std::unique_ptr<Connection> writer);
  // One writer: both lanes are committed as one (SQLite takes one writer at a time).
  void commit_batch(std::vector<QueuedWrite>& batch, size_t writer) override;
  // Runs batch[from, to) under one savepoint (several jobs only if each may run again): the first
  // failure stops the rest and rolls back all of them, and is what it answers.
  core::Status run_under_savepoint(std::vector<QueuedWrite>& batch, size_t from, size_t to, Tx& tx, bool& made_work);
  core::Status with_reader(const std::function<core::Status(sql::Session&)>& read) override;
  const char* next_due_query() const override;

  SqliteOptions options_;
  std::unique_ptr<Connection> writer_db_;
  std::unique_ptr<WalSync> sync_;
  // The only writer is this process's, so the enabled endpoints stay cached across transactions
  // until one changes them (touched by the writer thread only).
  EndpointSnapshot endpoint_cache_;
  sql::ReaderPool<Connection> readers_;
};

}  // namespace billhook::store::sqlite
