#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "store/api_key_store.hpp"
#include "store/dashboard_session_store.hpp"
#include "core/log_throttle.hpp"
#include "core/metrics.hpp"
#include "store/sql/session.hpp"
#include "store/store.hpp"
#include "store/store_metrics.hpp"

namespace billhook::store::sql {

class SqlTx;

// What both SQL backends share: the reads, in SQL both accept, and group commit — writes queued to
// a writer thread that commits whatever is queued together (one transaction, one fsync), each job
// in a savepoint so that a failing job undoes only its own changes (jobs that may run again can share
// one: Store::Rerun), and no job's `done` called
// before its COMMIT. A backend has one writer per lane it commits apart (Store::Lane; lanes past
// its last go to its last). A backend supplies its connections (with_reader), how a batch is
// committed (commit_batch: savepoints, durability, reconnection) and what its dialect cannot share
// (next_due_query, claiming due deliveries in its WriteTx).
class SqlStore : public Store, public ApiKeyReads, public DashboardSessionReads, public StoreMetrics {
 public:
  // Jobs per group commit, up to the largest batch either backend takes.
  static constexpr double kBatchSizeBounds[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};

  void write(WriteJob job, WriteDone done) final {
    write_in(Lane::main, Durability::durable, Rerun::never, {}, std::move(job), std::move(done));
  }
  void write_relaxed(WriteJob job, WriteDone done) final {
    write_in(Lane::main, Durability::relaxed, Rerun::never, {}, std::move(job), std::move(done));
  }
  void write_in(Lane lane, Durability durability, Rerun rerun, std::vector<SequenceKey> draws, WriteJob job,
                WriteDone done) final {
    enqueue(lane, {std::move(job), std::move(done), durability == Durability::durable, rerun == Rerun::allowed,
                   std::move(draws)});
  }

  core::Result<Page<events::Event>> list_events(const EventQuery& query) override;
  core::Result<std::optional<events::Event>> find_event(std::string_view id) override;
  core::Result<std::vector<events::Event>> find_events(const std::vector<std::string>& ids) override;
  core::Result<Page<events::Endpoint>> list_endpoints(const PageRequest& page) override;
  core::Result<std::optional<events::Endpoint>> find_endpoint(std::string_view id) override;
  core::Result<Page<events::Delivery>> list_deliveries(const DeliveryQuery& query) override;
  core::Result<std::optional<events::Delivery>> find_delivery(std::string_view id) override;
  core::Result<std::optional<IdempotencyRecord>> find_idempotency(std::string_view scope,
                                                                 std::string_view key) override;
  core::Result<std::vector<ApiKeyRecord>> api_keys() override;
  core::Result<Page<ApiKeyInfo>> list_api_keys(const PageRequest& page) override;
  core::Result<std::optional<ApiKeyInfo>> find_api_key(std::string_view id) override;
  core::Result<std::optional<DashboardSessionRecord>> find_dashboard_session(std::string_view token_hash) override;
  core::Result<int64_t> count_events() override;
  core::Result<PruneCounts> count_prunable(int64_t before_ms, int64_t keys_before_ms) override;
  core::Result<std::optional<int64_t>> next_due_ms() override;
  core::Result<std::vector<events::Attempt>> list_attempts(std::string_view delivery_id) override;
  core::Result<std::optional<DocumentRecord>> find_document(std::string_view kind, std::string_view id) override;
  core::Result<Page<DocumentRecord>> list_documents(const DocumentQuery& query) override;
  core::Result<std::vector<DocumentRecord>> find_documents(const DocumentFilter& filter) override;
  core::Result<std::vector<UsageAggregateRecord>> list_usage_aggregates(std::string_view subscription_id) override;
  core::Result<std::vector<UsageEventRecord>> list_usage_events(std::string_view subscription_id, std::string_view code,
                                                                int64_t period_start, int64_t period_end) override;
  core::Result<std::vector<std::string>> documents_needing_time(std::string_view kind, int64_t now_s,
                                                                std::string_view after_id, int limit) override;
  core::Result<std::vector<StatsBucket>> delivery_stats(int64_t from_minute, int64_t to_minute,
                                                        int64_t step_minutes) override;
  core::Result<std::vector<EndpointHealth>> endpoint_health(const std::vector<std::string>& endpoint_ids) override;
  core::Result<std::vector<EndpointHealth>> failing_endpoints(int64_t since_ms, int limit) override;
  core::Result<int64_t> queue_depth() override;
  void set_work_listener(std::function<void()> listener) override;

  // Transactions committed so far: fewer than the jobs written when group commit is working.
  uint64_t commit_count() const { return commits_.load(); }

  core::Result<std::vector<EndpointQueue>> deepest_queues(int limit) override;
  void write_metrics(core::metrics::TextWriter& out) const override;

 protected:
  struct QueuedWrite {
    WriteJob job;
    WriteDone done;
    bool durable = true;
    bool rerunnable = false;  // Store::Rerun::allowed
    std::vector<SequenceKey> draws;  // Store::write_in
  };

  // `writers`: how many lanes the backend commits apart, each by a writer thread of its own (1 or 2).
  SqlStore(size_t max_batch, size_t writers);
  // The writer threads call commit_batch, a virtual of the subclass: the subclass starts them at the
  // end of its constructor and stops them (committing what is queued) at the start of its destructor.
  void start_writers();
  void stop_writers();

  // Commits one batch of writer `writer` (the index of its Store::Lane, when there is one per lane):
  // each job's status goes to its `done`, and, when the batch made deliveries due and committed,
  // call_work_listener(). Several writers call it at once.
  virtual void commit_batch(std::vector<QueuedWrite>& batch, size_t writer) = 0;
  // Runs `read` on a read connection of the backend.
  virtual core::Status with_reader(const std::function<core::Status(Session&)>& read) = 0;
  // The earliest next_attempt_ms of an open delivery of an enabled endpoint, as one value (NULL for
  // none), in the backend's fastest spelling: each walks its per-endpoint due index.
  virtual const char* next_due_query() const = 0;

  // Adds jobs queued for writer `writer` to `batch` (up to the batch limit), waiting for some while
  // `keep_waiting()` holds: for a backend that can run jobs while its last commit is made durable.
  // Returns whether it added any. wake_writer() makes a waiting writer look at keep_waiting() again.
  bool take_more(size_t writer, std::vector<QueuedWrite>& batch, const std::function<bool()>& keep_waiting);
  void wake_writer(size_t writer);
  // One job, with anything it throws turned into an error, and the sequences it named handed to it
  // (`drawn_ahead`: their numbers, if the backend drew them before the job ran; SqlTx::begin_named_draws).
  static core::Status run_job(const QueuedWrite& write, SqlTx& tx, std::vector<int64_t> drawn_ahead = {});
  // The end of every batch, once the backend has committed (or, on failure, rolled back): a failed
  // commit fails every job that had succeeded, since none of it may be stored; then each job's `done`,
  // and the work listener if a committed job made deliveries due.
  void finish_batch(std::vector<QueuedWrite>& batch, std::vector<core::Status>& results,
                    const core::Status& committed, bool made_work);
  void call_work_listener();
  // Runs a batch's COMMIT (`commit`), timing it for the metrics: a durable COMMIT's time is the fsync's.
  template <class Commit>
  core::Status timed_commit(bool durable, Commit&& commit) {
    const auto started = std::chrono::steady_clock::now();
    core::Status status = commit();
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    observe_commit(durable, took.count());
    return status;
  }
  // Counts a commit's seconds: a durable one's is the time its changes took to become durable.
  void observe_commit(bool durable, double seconds) {
    (durable ? durable_commits_ : relaxed_commits_).observe(seconds);
  }
  // The reader pool's connections: open, lent out, and the most it opens.
  struct PoolUse {
    unsigned open = 0;
    unsigned in_use = 0;
    unsigned limit = 0;
  };
  virtual PoolUse reader_pool_use() const = 0;

 private:
  // One writer: its queue and the thread that commits it.
  struct Writer {
    std::mutex mutex;
    std::condition_variable cv;
    std::deque<QueuedWrite> queue;
    bool stopping = false;
    std::thread thread;
  };

  void enqueue(Lane lane, QueuedWrite write);
  // Moves jobs from the front of `writer`'s queue (its mutex held) into `batch`, up to the batch limit.
  void move_queued(Writer& writer, std::vector<QueuedWrite>& batch) const;
  void writer_loop(size_t writer);
  // Runs `read` on a reader and answers what it produced.
  template <class T, class Read>
  core::Result<T> read(Read read_fn);

  const size_t max_batch_;
  std::atomic<uint64_t> commits_{0};
  core::metrics::Histogram batch_sizes_{kBatchSizeBounds};
  // While the disk is full or the database away every batch fails, and each logging its own line
  // filled the log. The writers share it.
  std::mutex failed_commits_mutex_;
  core::LogThrottle failed_commits_log_{std::chrono::seconds(10)};
  core::metrics::Histogram durable_commits_{core::metrics::kLatencyBounds};
  core::metrics::Histogram relaxed_commits_{core::metrics::kLatencyBounds};
  std::mutex listener_mutex_;
  std::function<void()> work_listener_;

  std::vector<std::unique_ptr<Writer>> writers_;
};

}  // namespace billhook::store::sql
