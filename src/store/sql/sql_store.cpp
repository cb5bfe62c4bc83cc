#include "store/sql/sql_store.hpp"

#include <pthread.h>

#include <algorithm>
#include <exception>
#include <optional>

#include <fmt/format.h>

#include "core/log.hpp"

#include "store/sql/query.hpp"
#include "store/sql/records.hpp"
#include "store/sql/sql_tx.hpp"
#include "store/sql/stats_sql.hpp"
#include "store/sql/usage_sql.hpp"

namespace billhook::store::sql {

using core::Error;
using core::Result;
using core::Status;

SqlStore::SqlStore(size_t max_batch, size_t writers) : max_batch_(max_batch) {
  for (size_t i = 0; i < writers; ++i) writers_.push_back(std::make_unique<Writer>());
}

void SqlStore::start_writers() {
  for (size_t i = 0; i < writers_.size(); ++i)
    writers_[i]->thread = std::thread([this, i] {
      pthread_setname_np(pthread_self(), "store writer");  // as top -H, gdb and bench/store_floor see it
      writer_loop(i);
    });
}

void SqlStore::stop_writers() {
  for (auto& writer : writers_) {
    {
      std::lock_guard lock(writer->mutex);
      writer->stopping = true;
    }
    writer->cv.notify_all();
  }
  for (auto& writer : writers_)
    if (writer->thread.joinable()) writer->thread.join();
}

void SqlStore::enqueue(Lane lane, QueuedWrite write) {
  Writer& writer = *writers_[std::min(static_cast<size_t>(lane), writers_.size() - 1)];
  {
    std::lock_guard lock(writer.mutex);
    if (writer.stopping) {
      write.done(Error::unavailable("the store is shutting down"));
      return;
    }
    writer.queue.push_back(std::move(write));
  }
  writer.cv.notify_one();
}

void SqlStore::writer_loop(size_t index) {
  Writer& writer = *writers_[index];
  std::vector<QueuedWrite> batch;
  for (;;) {
    {
      std::unique_lock lock(writer.mutex);
      writer.cv.wait(lock, [&] { return writer.stopping || !writer.queue.empty(); });
      if (writer.queue.empty()) return;  // stopping, and everything queued has been committed
      batch.clear();
      move_queued(writer, batch);
    }
    commit_batch(batch, index);
  }
}

bool SqlStore::take_more(size_t index, std::vector<QueuedWrite>& batch, const std::function<bool()>& keep_waiting) {
  Writer& writer = *writers_[index];
  std::unique_lock lock(writer.mutex);
  writer.cv.wait(lock, [&] { return writer.stopping || !writer.queue.empty() || !keep_waiting(); });
  const size_t before = batch.size();
  move_queued(writer, batch);
  return batch.size() > before;
}

void SqlStore::move_queued(Writer& writer, std::vector<QueuedWrite>& batch) const {
  while (!writer.queue.empty() && batch.size() < max_batch_) {
    batch.push_back(std::move(writer.queue.front()));
    writer.queue.pop_front();
  }
}

void SqlStore::wake_writer(size_t index) {
  Writer& writer = *writers_[index];
  { std::lock_guard lock(writer.mutex); }  // a writer between its check and its wait gets the notification
  writer.cv.notify_all();
}

Status SqlStore::run_job(const QueuedWrite& write, SqlTx& tx, std::vector<int64_t> drawn_ahead) {
  tx.begin_named_draws(write.draws, std::move(drawn_ahead));
  Status result;
  try {
    result = write.job(tx);
  } catch (const std::exception& e) {
    result = Error::internal(fmt::format("write job threw: {}", e.what()));
  }
  if (auto undrawn = tx.end_named_draws(); result.ok()) result = std::move(undrawn);
  return result;
}

void SqlStore::finish_batch(std::vector<QueuedWrite>& batch, std::vector<Status>& results, const Status& committed,
                            bool made_work) {
  batch_sizes_.observe(static_cast<double>(batch.size()));
  if (committed) {
    ++commits_;
  } else {
    std::optional<uint64_t> failures;
    {
      std::lock_guard lock(failed_commits_mutex_);
      failures = failed_commits_log_.note(std::chrono::steady_clock::now());
    }
    if (failures)
      core::log::error("group commit failed",
                       {{"jobs", batch.size()}, {"failures", *failures}, {"error", committed.error().message}});
    for (auto& r : results)
      if (r.ok()) r = committed;
  }
  for (size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(results[i]));
  if (committed && made_work) call_work_listener();
}

void SqlStore::set_work_listener(std::function<void()> listener) {
  std::lock_guard lock(listener_mutex_);
  work_listener_ = std::move(listener);
}

void SqlStore::call_work_listener() {
  std::lock_guard lock(listener_mutex_);
  if (work_listener_) work_listener_();
}

template <class T, class Read>
Result<T> SqlStore::read(Read read_fn) {
  std::optional<T> out;
  auto s = with_reader([&](Session& db) -> Status {
    auto r = read_fn(db);
    if (!r) return std::move(r).error();
    out.emplace(std::move(*r));
    return {};
  });
  if (!s) return std::move(s).error();
  return std::move(*out);
}

Result<Page<events::Event>> SqlStore::list_events(const EventQuery& q) {
  Filter filter;
  if (!q.type.empty()) filter.add("type = ?", q.type);
  if (!q.aggregate_type.empty()) filter.add("aggregate_type = ?", q.aggregate_type);
  if (!q.aggregate_id.empty()) filter.add("aggregate_id = ?", q.aggregate_id);
  if (q.created_gte_ms) filter.add("created_ms >= ?", *q.created_gte_ms);
  if (q.created_lt_ms) filter.add("created_ms < ?", *q.created_lt_ms);
  return read<Page<events::Event>>([&](Session& db) {
    return select_page<events::Event>(db, kEventColumns, "events", filter, q.page, event_from_row);
  });
}

Result<std::optional<events::Event>> SqlStore::find_event(std::string_view id) {
  return read<std::optional<events::Event>>(
      [&](Session& db) {
        static const std::string sql = select_by_id_text("events", kEventColumns);
        return find_by_id<events::Event>(db, sql, id, "reading an event", event_from_row);
      });
}

Result<std::vector<events::Event>> SqlStore::find_events(const std::vector<std::string>& ids) {
  return read<std::vector<events::Event>>([&](Session& db) {
    return select_all<events::Event>(
        db, fmt::format("SELECT {} FROM events WHERE {}", kEventColumns, db.dialect().in_text_list("id", 1)),
        Params{}.add_list(ids), "reading events", event_from_row);
  });
}

Result<Page<events::Endpoint>> SqlStore::list_endpoints(const PageRequest& page) {
  return read<Page<events::Endpoint>>([&](Session& db) {
    return select_page<events::Endpoint>(db, kEndpointColumns, "endpoints", {}, page, endpoint_from_row);
  });
}

Result<std::optional<events::Endpoint>> SqlStore::find_endpoint(std::string_view id) {
  return read<std::optional<events::Endpoint>>([&](Session& db) {
    static const std::string sql = select_by_id_text("endpoints", kEndpointColumns);
    return find_by_id<events::Endpoint>(db, sql, id, "reading an endpoint", endpoint_from_row);
  });
}

Result<Page<events::Delivery>> SqlStore::list_deliveries(const DeliveryQuery& q) {
  Filter filter;
  if (!q.endpoint_id.empty()) filter.add("endpoint_id = ?", q.endpoint_id);
  if (!q.event_id.empty()) filter.add("event_id = ?", q.event_id);
  if (q.status) filter.add("status = ?", events::to_string(*q.status));
  return read<Page<events::Delivery>>([&](Session& db) {
    return select_page<events::Delivery>(db, kDeliveryColumns, "deliveries", filter, q.page, delivery_from_row);
  });
}

Result<std::optional<events::Delivery>> SqlStore::find_delivery(std::string_view id) {
  return read<std::optional<events::Delivery>>([&](Session& db) {
    static const std::string sql = select_by_id_text("deliveries", kDeliveryColumns);
    return find_by_id<events::Delivery>(db, sql, id, "reading a delivery", delivery_from_row);
  });
}

Result<std::optional<IdempotencyRecord>> SqlStore::find_idempotency(std::string_view scope, std::string_view key) {
  return read<std::optional<IdempotencyRecord>>([&](Session& db) {
    return select_one<IdempotencyRecord>(
        db, fmt::format("SELECT {} FROM idempotency_keys WHERE scope = ?1 AND key = ?2", kIdempotencyColumns),
        Params{}.add(scope).add(key), "reading an idempotency key", idempotency_from_row);
  });
}

Result<std::vector<ApiKeyRecord>> SqlStore::api_keys() {
  return read<std::vector<ApiKeyRecord>>([&](Session& db) {
    return select_all<ApiKeyRecord>(
        db, fmt::format("SELECT {} FROM api_keys WHERE revoked_ms IS NULL ORDER BY id", kApiKeyColumns), {},
        "reading api keys", api_key_from_row);
  });
}

Result<Page<ApiKeyInfo>> SqlStore::list_api_keys(const PageRequest& page) {
  Filter live;
  live.conditions.push_back("revoked_ms IS NULL");  // takes no parameter
  return read<Page<ApiKeyInfo>>([&](Session& db) {
    return select_page<ApiKeyInfo>(db, kApiKeyInfoColumns, "api_keys", live, page, api_key_info_from_row);
  });
}

Result<std::optional<ApiKeyInfo>> SqlStore::find_api_key(std::string_view id) {
  return read<std::optional<ApiKeyInfo>>([&](Session& db) {
    return select_one<ApiKeyInfo>(
        db, fmt::format("SELECT {} FROM api_keys WHERE id = ?1 AND revoked_ms IS NULL", kApiKeyInfoColumns),
        Params{}.add(id), "reading an api key", api_key_info_from_row);
  });
}

Result<std::optional<DashboardSessionRecord>> SqlStore::find_dashboard_session(std::string_view token_hash) {
  return read<std::optional<DashboardSessionRecord>>([&](Session& db) {
    return select_one<DashboardSessionRecord>(
        db, fmt::format("SELECT {} FROM dashboard_sessions WHERE token_hash = ?1", kDashboardSessionColumns),
        Params{}.add(token_hash), "reading a dashboard session", dashboard_session_from_row);
  });
}

Result<int64_t> SqlStore::count_events() {
  return read<int64_t>([&](Session& db) -> Result<int64_t> {
    auto n = select_one<int64_t>(db, "SELECT COUNT(*) FROM events", {}, "counting events",
                                 [](const Row& row) { return row.integer(0); });
    if (!n) return std::move(n).error();
    return n->value_or(0);
  });
}

Result<PruneCounts> SqlStore::count_prunable(int64_t before_ms, int64_t keys_before_ms) {
  return read<PruneCounts>([&](Session& db) -> Result<PruneCounts> {
    PruneCounts out;
    const std::string kept = fmt::format(
        "SELECT COUNT(*) FROM events e WHERE e.created_ms < ?1 AND EXISTS (SELECT 1 FROM deliveries d "
        "WHERE d.event_id = e.id AND d.status NOT IN ('succeeded', 'cancelled'))");
    const std::pair<int64_t*, std::string> counts[] = {
        {&out.events, fmt::format("SELECT COUNT(*) FROM events e WHERE {}", kPrunableEvent)},
        {&out.deliveries,
         fmt::format("SELECT COUNT(*) FROM deliveries dd JOIN events e ON e.id = dd.event_id WHERE {}", kPrunableEvent)},
        {&out.attempts, fmt::format("SELECT COUNT(*) FROM attempts a JOIN deliveries dd ON dd.id = a.delivery_id "
                                    "JOIN events e ON e.id = dd.event_id WHERE {}",
                                    kPrunableEvent)},
        {&out.kept_events, kept},
    };
    for (const auto& [target, sql] : counts) {
      auto n = select_one<int64_t>(db, sql, Params{}.add(before_ms), "counting what retention would prune",
                                   [](const Row& row) { return row.integer(0); });
      if (!n) return std::move(n).error();
      *target = n->value_or(0);
    }
    auto keys = select_one<int64_t>(db, "SELECT COUNT(*) FROM idempotency_keys WHERE created_ms < ?1",
                                    Params{}.add(keys_before_ms), "counting expired idempotency keys",
                                    [](const Row& row) { return row.integer(0); });
    if (!keys) return std::move(keys).error();
    out.idempotency_keys = keys->value_or(0);
    return out;
  });
}

Result<std::optional<int64_t>> SqlStore::next_due_ms() {
  return read<std::optional<int64_t>>([&](Session& db) -> Result<std::optional<int64_t>> {
    auto due = select_one<std::optional<int64_t>>(db, next_due_query(), {}, "finding the next due delivery",
                                                  [](const Row& row) { return row.optional_integer(0); });
    if (!due) return std::move(due).error();
    return due->value_or(std::nullopt);
  });
}

Result<std::vector<events::Attempt>> SqlStore::list_attempts(std::string_view delivery_id) {
  return read<std::vector<events::Attempt>>([&](Session& db) {
    return select_all<events::Attempt>(
        db, fmt::format("SELECT {} FROM attempts WHERE delivery_id = ?1 ORDER BY number", kAttemptColumns),
        Params{}.add(delivery_id), "reading attempts", attempt_from_row);
  });
}

Result<std::optional<DocumentRecord>> SqlStore::find_document(std::string_view kind, std::string_view id) {
  return read<std::optional<DocumentRecord>>([&](Session& db) { return sql::find_document(db, kind, id); });
}

Result<Page<DocumentRecord>> SqlStore::list_documents(const DocumentQuery& q) {
  return read<Page<DocumentRecord>>([&](Session& db) {
    return select_page<DocumentRecord>(db, kDocumentColumns, "documents", document_filter(q.filter), q.page,
                                       document_from_row);
  });
}

Result<std::vector<DocumentRecord>> SqlStore::find_documents(const DocumentFilter& f) {
  return read<std::vector<DocumentRecord>>([&](Session& db) { return sql::find_documents(db, f); });
}

Result<std::vector<UsageAggregateRecord>> SqlStore::list_usage_aggregates(std::string_view subscription_id) {
  return read<std::vector<UsageAggregateRecord>>(
      [&](Session& db) { return usage::list_aggregates(db, subscription_id); });
}

Result<std::vector<UsageEventRecord>> SqlStore::list_usage_events(std::string_view subscription_id,
                                                                  std::string_view code, int64_t period_start,
                                                                  int64_t period_end) {
  return read<std::vector<UsageEventRecord>>([&](Session& db) {
    return usage::list_billed_events(db, subscription_id, code, period_start, period_end);
  });
}

Result<std::vector<std::string>> SqlStore::documents_needing_time(std::string_view kind, int64_t now_s,
                                                                  std::string_view after_id, int limit) {
  return read<std::vector<std::string>>([&](Session& db) {
    return select_all<std::string>(db,
                                   "SELECT id FROM documents WHERE kind = ?1 AND wake_at IS NOT NULL AND wake_at <= ?2 "
                                   "AND id > ?3 ORDER BY id LIMIT ?4",
                                   Params{}.add(kind).add(now_s).add(after_id).add(int64_t{limit}),
                                   fmt::format("finding {} documents for the scheduler", kind), first_text);
  });
}

Result<std::vector<StatsBucket>> SqlStore::delivery_stats(int64_t from_minute, int64_t to_minute,
                                                          int64_t step_minutes) {
  return read<std::vector<StatsBucket>>(
      [&](Session& db) { return stats::buckets(db, from_minute, to_minute, step_minutes); });
}

Result<std::vector<EndpointHealth>> SqlStore::endpoint_health(const std::vector<std::string>& endpoint_ids) {
  return read<std::vector<EndpointHealth>>([&](Session& db) { return stats::health(db, endpoint_ids); });
}

Result<std::vector<EndpointHealth>> SqlStore::failing_endpoints(int64_t since_ms, int limit) {
  return read<std::vector<EndpointHealth>>([&](Session& db) { return stats::failing(db, since_ms, limit); });
}

Result<std::vector<EndpointQueue>> SqlStore::deepest_queues(int limit) {
  return read<std::vector<EndpointQueue>>([&](Session& db) { return stats::deepest_queues(db, limit); });
}

void SqlStore::write_metrics(core::metrics::TextWriter& out) const {
  out.family("billhook_store_group_commit_jobs", "histogram", "Write jobs committed together in one transaction.");
  out.histogram("billhook_store_group_commit_jobs", {}, batch_sizes_.snapshot());
  out.family("billhook_store_commit_duration_seconds", "histogram",
             "Time a group commit's COMMIT took; for durability=\"durable\" that is the fsync (SQLite) or WAL flush "
             "(PostgreSQL).");
  out.histogram("billhook_store_commit_duration_seconds", {{"durability", "durable"}}, durable_commits_.snapshot());
  out.histogram("billhook_store_commit_duration_seconds", {{"durability", "relaxed"}}, relaxed_commits_.snapshot());
  const PoolUse pool = reader_pool_use();
  out.family("billhook_store_reader_connections", "gauge",
             "The store's read connections by state: open (idle or lent), in_use (lent to a read now), max (the limit).");
  out.sample("billhook_store_reader_connections", {{"state", "open"}}, uint64_t{pool.open});
  out.sample("billhook_store_reader_connections", {{"state", "in_use"}}, uint64_t{pool.in_use});
  out.sample("billhook_store_reader_connections", {{"state", "max"}}, uint64_t{pool.limit});
}

Result<int64_t> SqlStore::queue_depth() {
  return read<int64_t>([&](Session& db) { return stats::queue_depth(db); });
}

}  // namespace billhook::store::sql
