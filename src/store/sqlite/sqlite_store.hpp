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
#include "store/store.hpp"

namespace billhook::store::sqlite {

class Connection;

struct SqliteOptions {
  std::string path;           // the database file; its directory must exist
  size_t max_batch = 1024;    // most write jobs committed together
  unsigned max_readers = 8;   // read connections opened on demand
};

// The embedded store: SQLite in WAL mode with synchronous=FULL. One writer thread owns the
// only read-write connection and commits queued jobs in groups; reads use a pool of read-only
// connections and never block the writer.
class SqliteStore final : public Store {
 public:
  static core::Result<std::unique_ptr<SqliteStore>> open(const SqliteOptions& options, const core::Clock& clock);
  // Commits what is queued, then stops the writer.
  ~SqliteStore() override;

  void write(WriteJob job, WriteDone done) override;
  // Committed with synchronous=NORMAL when its whole batch is relaxed: in WAL mode that skips the
  // fsync, and the next durable commit's fsync covers it.
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

  // Transactions committed so far: fewer than the jobs written when group commit is working.
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

  SqliteStore(SqliteOptions options, std::unique_ptr<Connection> writer);
  void writer_loop();
  void commit_batch(std::vector<QueuedWrite>& batch);
  core::Result<ReaderLease> acquire_reader();
  void release_reader(std::unique_ptr<Connection> connection);

  SqliteOptions options_;
  std::unique_ptr<Connection> writer_db_;
  EndpointSnapshot endpoint_cache_;  // touched by the writer thread only

  std::atomic<uint64_t> commits_{0};
  std::mutex listener_mutex_;
  std::function<void()> work_listener_;

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<QueuedWrite> queue_;
  bool stopping_ = false;
  std::thread writer_;

  std::mutex readers_mutex_;
  std::condition_variable readers_cv_;
  std::vector<std::unique_ptr<Connection>> idle_readers_;
  unsigned open_readers_ = 0;
};

}  // namespace billhook::store::sqlite
