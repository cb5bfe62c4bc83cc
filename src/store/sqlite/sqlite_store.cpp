#include "store/sqlite/sqlite_store.hpp"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

#include "core/log.hpp"
#include "store/sql/query.hpp"
#include "store/sql/records.hpp"
#include "store/sql/sql_tx.hpp"
#include "store/sqlite/migrations.hpp"
#include "store/sqlite/sqlite_db.hpp"
#include "store/sqlite/sqlite_session.hpp"
#include "store/sqlite/wal_sync.hpp"

namespace billhook::store::sqlite {
namespace {

using core::Error;
using core::Result;
using core::Status;

Status run_prepared(Connection& db, const std::string& sql) {
  auto stmt = db.prepare(sql);
  if (!stmt) return std::move(stmt).error();
  return stmt->run(sql);
}

}  // namespace

// The shared WriteTx, and claims as only one writer needs them: no row locks to skip.
class SqliteStore::Tx final : public sql::SqlTx {
 public:
  Tx(SqliteSession& session, EndpointSnapshot& cache) : SqlTx(session, cache) {}

  // One indexed query per enabled endpoint, merged: each walks that endpoint's due deliveries in claim
  // order and stops at the limit, so neither the size of the backlog nor an endpoint that is skipped
  // (its whole backlog) makes a claim slower, and no endpoint's backlog hides another's.
  Result<std::vector<events::Delivery>> claim_due(int64_t now_ms, int64_t lease_until_ms, size_t limit,
                                                  const std::vector<std::string>& skip_endpoints,
                                                  const std::vector<std::string>& skip_deliveries) override {
    auto endpoints = enabled_endpoints();
    if (!endpoints) return std::move(endpoints).error();
    const std::string sql = fmt::format(
        "SELECT {} FROM deliveries d INDEXED BY deliveries_due "
        "WHERE d.endpoint_id = ?1 AND d.status IN ('pending', 'retrying') AND d.next_attempt_ms <= ?2 "
        "AND d.lease_until_ms <= ?2 AND NOT ({}) "
        "AND (?4 = 0 OR d.aggregate_key IS NULL "
        "     OR NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.endpoint_id = ?1 "
        "                    AND p.aggregate_key = d.aggregate_key AND p.status IN ('pending', 'retrying') "
        "                    AND p.sequence < d.sequence)) "
        "ORDER BY d.next_attempt_ms, d.id LIMIT ?5",
        sql::prefixed_columns("d.", sql::kDeliveryColumns), db_.dialect().in_text_list("d.id", 3));
    std::vector<events::Delivery> claimed;
    for (const auto& endpoint : **endpoints) {
      if (std::find(skip_endpoints.begin(), skip_endpoints.end(), endpoint.id) != skip_endpoints.end()) continue;
      auto due = sql::select_all<events::Delivery>(db_, sql,
                                                   sql::Params{}
                                                       .add(endpoint.id)
                                                       .add(now_ms)
                                                       .add_list(skip_deliveries)
                                                       .add(int64_t{endpoint.ordered ? 1 : 0})
                                                       .add(static_cast<int64_t>(limit)),
                                                   "finding due deliveries", sql::delivery_from_row);
      if (!due) return std::move(due).error();
      claimed.insert(claimed.end(), std::make_move_iterator(due->begin()), std::make_move_iterator(due->end()));
    }
    // Earliest due first across endpoints, then the limit.
    std::sort(claimed.begin(), claimed.end(), [](const events::Delivery& a, const events::Delivery& b) {
      return std::tie(a.next_attempt_ms, a.id) < std::tie(b.next_attempt_ms, b.id);
    });
    if (claimed.size() > limit) claimed.resize(limit);
    for (auto& d : claimed) {
      d.lease_until_ms = lease_until_ms;
      if (auto s = sql::execute(db_, "UPDATE deliveries SET lease_until_ms = ?1 WHERE id = ?2",
                                sql::Params{}.add(lease_until_ms).add(d.id), "leasing a delivery");
          !s)
        return std::move(s).error();
    }
    return claimed;
  }
};

core::Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const SqliteOptions& options, const core::Clock& clock) {
  auto db = Connection::open(options.path, /*read_only=*/false);
  if (!db) return std::move(db).error();
  // WAL: readers never block the writer. synchronous=NORMAL: in WAL mode a COMMIT then writes its
  // frames without an fsync, and WalSync makes them durable before any job is answered.
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=OFF",
                             "PRAGMA temp_store=MEMORY"}) {
    if (auto s = (*db)->exec(pragma); !s) return std::move(s).error();
  }
  if (auto s = migrate(**db, core::to_unix_ms(clock.now())); !s) return std::move(s).error();
  std::unique_ptr<SqliteStore> store(new SqliteStore(options, std::move(*db)));
  auto sync = WalSync::open(
      options.path + "-wal", [raw = store.get()](double seconds) { raw->observe_commit(/*durable=*/true, seconds); },
      [raw = store.get()] { raw->wake_writer(0); });
  if (!sync) return std::move(sync).error();
  store->sync_ = std::move(*sync);
  store->start_writers();
  return store;
}

SqliteStore::SqliteStore(SqliteOptions options, std::unique_ptr<Connection> writer)
    : SqlStore(options.max_batch, /*writers=*/1),
      options_(std::move(options)),
      writer_db_(std::move(writer)),
      readers_(options_.max_readers, [path = options_.path] { return Connection::open(path, /*read_only=*/true); }) {}

SqliteStore::~SqliteStore() {
  stop_writers();
  sync_.reset();  // the last batches are synced and answered while the writer's connection keeps the WAL
}

Status SqliteStore::with_reader(const std::function<Status(sql::Session&)>& read) {
  auto db = readers_.acquire();
  if (!db) return std::move(db).error();
  SqliteSession session(**db);
  return read(session);
}

// Savepoints are prepared (and cached) rather than exec'd: exec parses its SQL on every call.
void SqliteStore::commit_batch(std::vector<QueuedWrite>& batch, size_t /*writer*/) {
  std::vector<Status> results(batch.size());
  Status begun = writer_db_->exec("BEGIN IMMEDIATE");
  if (auto failed = sync_->failure()) {
    if (begun) (void)writer_db_->exec("ROLLBACK");
    begun = *failed;
  }
  if (!begun) {
    for (auto& item : batch) item.done(begun);
    return;
  }
  SqliteSession session(*writer_db_);
  Tx tx(session, endpoint_cache_);
  bool batch_has_work = false;
  Status committed;
  // A full disk or an I/O error may roll back the whole transaction: then what the jobs before it
  // succeeded in is gone too, and the jobs after it would each commit on their own.
  const auto still_open = [&] {
    if (!writer_db_->in_transaction())
      committed = Error::unavailable("the transaction was rolled back by an error in one of its jobs");
    return committed.ok();
  };
  // While the last commit is being made durable, the jobs that arrive run into this transaction, which
  // commits once that sync has returned (WalSync::syncing says why).
  const auto more_while_syncing = [&] {
    if (!sync_->syncing() || !take_more(/*writer=*/0, batch, [this] { return sync_->syncing(); })) return false;
    results.resize(batch.size());
    return true;
  };
  for (size_t i = 0; still_open() && (i < batch.size() || more_while_syncing());) {
    // Jobs that may run again share a savepoint; when one fails, each runs again under its own.
    size_t end = i + 1;
    if (batch[i].rerunnable)
      while (end < batch.size() && batch[end].rerunnable) ++end;
    if (end - i > 1 && run_under_savepoint(batch, i, end, tx, batch_has_work).ok()) {
      i = end;
      continue;
    }
    for (; i < end && still_open(); ++i) results[i] = run_under_savepoint(batch, i, i + 1, tx, batch_has_work);
  }
  results.resize(batch.size());  // jobs taken after the transaction was lost fail with it
  const bool durable = std::any_of(batch.begin(), batch.end(), [](const QueuedWrite& w) { return w.durable; });
  if (committed) {
    committed = tx.record_batch_stats();
    // Only the frames' write: a durable batch's time is its sync's, counted by WalSync.
    if (committed) committed = durable ? run_prepared(*writer_db_, "COMMIT")
                                       : timed_commit(false, [&] { return run_prepared(*writer_db_, "COMMIT"); });
  }
  if (!committed) {
    if (writer_db_->in_transaction()) (void)writer_db_->exec("ROLLBACK");
    endpoint_cache_.reset();
  }
  // Answered once durable, in commit order, by WalSync's thread; the writer goes on to the next batch.
  sync_->hand_over(durable && committed.ok(),
                   [this, batch = std::move(batch), results = std::move(results), committed,
                    batch_has_work](const Status& synced) mutable {
                     finish_batch(batch, results, synced.ok() ? committed : synced, batch_has_work);
                   });
  batch.clear();
}

Status SqliteStore::run_under_savepoint(std::vector<QueuedWrite>& batch, size_t from, size_t to, Tx& tx,
                                       bool& made_work) {
  if (auto s = run_prepared(*writer_db_, "SAVEPOINT job"); !s) return s;
  Status result;
  for (size_t i = from; i < to && result.ok(); ++i) result = run_job(batch[i], tx);
  // Their statistics and their wake-up are kept or dropped together, as their changes are.
  tx.end_job(result.ok());
  made_work = made_work || (result.ok() && tx.work_noted);
  tx.work_noted = false;
  if (!result.ok()) {
    endpoint_cache_.reset();  // the jobs may have changed endpoints before one failed
    (void)run_prepared(*writer_db_, "ROLLBACK TO job");
  }
  (void)run_prepared(*writer_db_, "RELEASE job");
  return result;
}

const char* SqliteStore::next_due_query() const {
  // The earliest of each enabled endpoint's first due entry (the due index is per endpoint), rather
  // than a sort of the whole backlog.
  return
      "SELECT MIN((SELECT d.next_attempt_ms FROM deliveries d INDEXED BY deliveries_due WHERE d.endpoint_id = e.id "
      "            AND d.status IN ('pending', 'retrying') ORDER BY d.next_attempt_ms LIMIT 1)) "
      "FROM endpoints e WHERE e.enabled = 1";
}

}  // namespace billhook::store::sqlite
