#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/sql/reader_pool.hpp"
#include "store/sql/sql_store.hpp"

namespace billhook::store::postgres {

class PgSession;

struct PostgresOptions {
  std::string url;                         // libpq connection string or postgres:// URL
  unsigned pool_size = 8;                  // read connections, opened on demand
  unsigned statement_timeout_ms = 30'000;  // every statement on every connection; 0: none
  unsigned connect_timeout_s = 5;
  size_t max_batch = 1024;                 // most write jobs committed together
  // A connection of its own that LISTENs for other nodes' new work and competes for the lead of
  // the time-driven jobs. Off for tools that only migrate or read.
  bool coordinate = true;
};

// The store for several nodes on one PostgreSQL database. As the SQLite store: a writer thread
// commits queued jobs in groups (one transaction per batch, each job in a savepoint, `done` only
// after COMMIT), and reads use a small pool. Unlike SQLite, PostgreSQL takes several writers at
// once: each Store::Lane has a writer and a connection of its own, so claims, the dispatcher's other
// bookkeeping and the rest are three transactions at a time, as three nodes' are. And other nodes
// write too: sequence numbers are taken with INSERT … ON CONFLICT DO UPDATE (a row lock until
// commit), due deliveries are claimed with FOR UPDATE SKIP LOCKED, committed work is announced with
// NOTIFY, and the time-driven jobs run only on the node that holds an advisory lock. A lost
// connection makes calls fail as `unavailable` (503) and is opened again on the next call, so the
// store recovers by itself when the database comes back.
class PostgresStore final : public sql::SqlStore {
 public:
  static core::Result<std::unique_ptr<PostgresStore>> open(const PostgresOptions& options, const core::Clock& clock);
  // Commits what is queued, then stops the writers and the coordinator.
  ~PostgresStore() override;

  bool runs_time_jobs() override { return leading_.load(); }
  // The shared metrics, and the writer connections' round trips to the server.
  void write_metrics(core::metrics::TextWriter& out) const override;

 protected:
  PoolUse reader_pool_use() const override {
    const auto use = readers_.use();
    return {use.open, use.in_use, readers_.limit()};
  }

 private:
  class Tx;

  PostgresStore(PostgresOptions options, std::unique_ptr<Connection> writer);
  ConnectOptions connect_options() const;
  // Relaxed batches commit with synchronous_commit off: COMMIT does not wait for the WAL flush.
  void commit_batch(std::vector<QueuedWrite>& batch, size_t writer) override;
  // The numbers of the sequences that jobs [from, to) of `batch` named (Store::write_in), drawn in one
  // round trip (with what `session` holds): per job, in the order named.
  static core::Result<std::vector<std::vector<int64_t>>> draw_named_sequences(PgSession& session,
                                                                              const std::vector<QueuedWrite>& batch,
                                                                              size_t from, size_t to);
  core::Status with_reader(const std::function<core::Status(sql::Session&)>& read) override;
  const char* next_due_query() const override;
  void coordinator_loop();
  // Whether a notification from this server process came from one of this node's writers.
  bool is_own_writer(int backend_pid) const;

  // The connection of one writer (one per lane).
  struct WriterConnection {
    std::unique_ptr<Connection> db;  // null until first used and while the database is away; the writer's
    // The server process of its last connection (0 before the first: a new one with a pid is a
    // reconnection); the notifications of this node's own commits are not news to it.
    std::atomic<int> pid{0};
    // Round trips of every connection it has had (counted per connection: those of connections
    // already replaced are kept in `replaced_round_trips`, the writer's).
    std::atomic<uint64_t> round_trips{0};
    uint64_t replaced_round_trips = 0;
  };

  PostgresOptions options_;
  std::array<WriterConnection, 3> writer_connections_;  // one per Store::Lane, in its order
  std::atomic<bool> leading_{false};
  std::atomic<bool> coordinator_stopping_{false};
  std::thread coordinator_;
  sql::ReaderPool<Connection> readers_;
};

}  // namespace billhook::store::postgres
