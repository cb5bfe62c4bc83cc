#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/store.hpp"

namespace billhook::store::postgres {

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

// The store for several nodes on one PostgreSQL database. As the SQLite store: one writer thread
// commits queued jobs in groups (one transaction per batch, each job in a savepoint, `done` only
// after COMMIT), and reads use a small pool. What differs is that other nodes write too: sequence
// numbers are taken with INSERT … ON CONFLICT DO UPDATE (a row lock until commit), due deliveries
// are claimed with FOR UPDATE SKIP LOCKED, committed work is announced with NOTIFY, and the
// time-driven jobs run only on the node that holds an advisory lock. A lost connection makes
// calls fail as `unavailable` (503) and is opened again on the next call, so the store recovers
// by itself when the database comes back.
class PostgresStore final : public Store {
 public:
  static core::Result<std::unique_ptr<PostgresStore>> open(const PostgresOptions& options, const core::Clock& clock);
  // Commits what is queued, then stops the writer and the coordinator.
  ~PostgresStore() override;

  void write(WriteJob job, WriteDone done) override;
  // Committed with synchronous_commit off when its whole batch is relaxed: COMMIT does not wait for
  // the WAL flush.
  void write_relaxed(WriteJob job, WriteDone done) override;

  core::Result<Page<events::Event>> list_events(const EventQuery& query) override;
  core::Result<std::optional<events::Event>> find_event(std::string_view id) override;
  core::Result<Page<events::Endpoint>> list_endpoints(const PageRequest& page) override;
  core::Result<std::optional<events::Endpoint>> find_endpoint(std::string_view id) override;
  core::Result<Page<events::Delivery>> list_deliveries(const DeliveryQuery& query) override;
  core::Result<std::optional<events::Delivery>> find_delivery(std::string_view id) override;
  core::Result<std::optional<IdempotencyRecord>> find_idempotency(std::string_view scope,
                                                                 std::string_view key) override;
  core::Result<std::vector<ApiKeyRecord>> api_keys() override;
  core::Result<int64_t> count_events() override;
  core::Result<std::vector<events::Attempt>> list_attempts(std::string_view delivery_id) override;
  core::Result<std::optional<int64_t>> next_due_ms() override;
  core::Result<Page<CustomerRecord>> list_customers(const PageRequest& page) override;
  core::Result<std::optional<CustomerRecord>> find_customer(std::string_view id) override;
  core::Result<Page<PaymentMethodRecord>> list_payment_methods(const PaymentMethodQuery& query) override;
  core::Result<std::optional<PaymentMethodRecord>> find_payment_method(std::string_view id) override;
  core::Result<Page<InvoiceRecord>> list_invoices(const InvoiceQuery& query) override;
  core::Result<std::optional<InvoiceRecord>> find_invoice(std::string_view id) override;
  core::Result<std::vector<PaymentRecordRow>> list_payments(std::string_view invoice_id) override;
  core::Result<std::vector<std::string>> invoices_needing_time(int64_t now_s, std::string_view after_id,
                                                               int limit) override;
  core::Result<std::optional<DocumentRecord>> find_document(std::string_view kind, std::string_view id) override;
  core::Result<Page<DocumentRecord>> list_documents(const DocumentQuery& query) override;
  core::Result<std::vector<std::string>> documents_needing_time(std::string_view kind, int64_t now_s,
                                                                std::string_view after_id, int limit) override;
  void set_work_listener(std::function<void()> listener) override;
  bool runs_time_jobs() override { return leading_.load(); }

  uint64_t commit_count() const { return commits_.load(); }

 private:
  class Tx;
  class ReaderLease;
  struct QueuedWrite {
    WriteJob job;
    WriteDone done;
    bool durable = true;
  };
  void enqueue(QueuedWrite write);

  PostgresStore(PostgresOptions options, std::unique_ptr<Connection> writer);
  ConnectOptions connect_options() const;
  void writer_loop();
  void commit_batch(std::vector<QueuedWrite>& batch);
  void coordinator_loop();
  void call_work_listener();
  core::Result<ReaderLease> acquire_reader();
  void release_reader(std::unique_ptr<Connection> connection);

  PostgresOptions options_;
  std::unique_ptr<Connection> writer_db_;  // null while the database is away; touched by the writer only

  std::atomic<uint64_t> commits_{0};
  std::atomic<bool> leading_{false};
  // The writer connection's server process: its own notifications are not news to this node.
  std::atomic<int> writer_pid_{0};
  std::mutex listener_mutex_;
  std::function<void()> work_listener_;

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<QueuedWrite> queue_;
  bool stopping_ = false;
  std::thread writer_;
  std::atomic<bool> coordinator_stopping_{false};
  std::thread coordinator_;

  std::mutex readers_mutex_;
  std::condition_variable readers_cv_;
  std::vector<std::unique_ptr<Connection>> idle_readers_;
  unsigned open_readers_ = 0;
};

}  // namespace billhook::store::postgres
