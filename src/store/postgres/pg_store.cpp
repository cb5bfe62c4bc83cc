#include "store/postgres/pg_store.hpp"

#include <poll.h>

#include <algorithm>
#include <exception>
#include <tuple>

#include <fmt/format.h>
#include <libpq-fe.h>

#include "core/log.hpp"
#include "store/postgres/pg_migrations.hpp"
#include "store/postgres/pg_session.hpp"
#include "store/sql/query.hpp"
#include "store/sql/records.hpp"
#include "store/sql/sql_tx.hpp"
#include "store/sql/stats_sql.hpp"

namespace billhook::store::postgres {
namespace {

using core::Error;
using core::Result;
using core::Status;

// The channel on which a commit that made work due tells every node (this one too).
constexpr const char* kWorkChannel = "billhook_work";
// The advisory lock whose holder runs the time-driven jobs.
constexpr int64_t kTimeLeadLock = 0x62686b74696d65;  // "bhktime"

}  // namespace

// The shared WriteTx, and claims that leave rows another node is claiming to that node.
class PostgresStore::Tx final : public sql::SqlTx {
 public:
  Tx(PgSession& session, EndpointSnapshot& cache, int stats_shard) : SqlTx(session, cache, stats_shard) {}

  Result<std::vector<events::Delivery>> claim_due(int64_t now_ms, int64_t lease_until_ms, size_t limit,
                                                  const std::vector<std::string>& skip_endpoints,
                                                  const std::vector<std::string>& skip_deliveries) override {
    // Per enabled endpoint, its due deliveries in claim order through the (endpoint_id, next_attempt_ms,
    // id) index, up to the limit; then the earliest of those across endpoints. A large backlog or a
    // skipped endpoint does not make a claim slower. SKIP LOCKED: rows another node is claiming right
    // now are left to it rather than waited for. The order rule reads committed state, so a later
    // delivery of an aggregate becomes claimable only once the earlier one is settled and committed,
    // by whichever node sent it: a delivery is the first open one of its aggregate, asked as the first
    // in sequence order, which only the (endpoint_id, aggregate_key, sequence) index answers without a
    // sort. Asked as "no open one before it", a planner that thought the table small (no statistics
    // yet: the first minute of a database) read it through the due index, the endpoint's whole
    // backlog for each delivery claimed (256 claimed from 40,000 queued took 150 ms instead of 3).
    auto claimed = sql::select_all<events::Delivery>(
        db_,
        fmt::format(
            "WITH due AS ("
            " SELECT c.id FROM endpoints e CROSS JOIN LATERAL ("
            "  SELECT d.id, d.next_attempt_ms FROM deliveries d"
            "  WHERE d.endpoint_id = e.id AND d.status IN ('pending', 'retrying') AND d.next_attempt_ms <= ?1"
            "  AND d.lease_until_ms <= ?1 AND NOT (d.id = ANY(?3::text[]))"
            "  AND (e.ordering = 'none' OR d.aggregate_key IS NULL"
            "       OR d.sequence = (SELECT p.sequence FROM deliveries p WHERE p.endpoint_id = e.id"
            "                        AND p.aggregate_key = d.aggregate_key AND p.status IN ('pending', 'retrying')"
            "                        ORDER BY p.sequence LIMIT 1))"
            "  ORDER BY d.next_attempt_ms, d.id LIMIT ?4 FOR UPDATE OF d SKIP LOCKED) c"
            " WHERE e.enabled = 1 AND NOT (e.id = ANY(?2::text[]))"
            " ORDER BY c.next_attempt_ms, c.id LIMIT ?4)"
            " UPDATE deliveries d SET lease_until_ms = ?5 FROM due WHERE d.id = due.id RETURNING {}",
            sql::prefixed_columns("d.", sql::kDeliveryColumns)),
        sql::Params{}
            .add(now_ms)
            .add_list(skip_endpoints)
            .add_list(skip_deliveries)
            .add(static_cast<int64_t>(limit))
            .add(lease_until_ms),
        "claiming due deliveries", sql::delivery_from_row);
    if (!claimed) return std::move(claimed).error();
    // RETURNING keeps no order: earliest due first, as promised.
    std::sort(claimed->begin(), claimed->end(), [](const events::Delivery& a, const events::Delivery& b) {
      return std::tie(a.next_attempt_ms, a.id) < std::tie(b.next_attempt_ms, b.id);
    });
    return std::move(*claimed);
  }
};

ConnectOptions PostgresStore::connect_options() const {
  return {.url = options_.url,
          .statement_timeout_ms = options_.statement_timeout_ms,
          .connect_timeout_s = options_.connect_timeout_s};
}

core::Result<std::unique_ptr<PostgresStore>> PostgresStore::open(const PostgresOptions& options,
                                                                 const core::Clock& clock) {
  if (options.pool_size == 0) return Error::invalid("invalid_config", "the database pool size must be at least 1");
  auto db = Connection::open({.url = options.url,
                              .statement_timeout_ms = options.statement_timeout_ms,
                              .connect_timeout_s = options.connect_timeout_s});
  if (!db) return std::move(db).error();
  // Migrations may take longer than a statement timeout meant for requests.
  if (auto s = (*db)->exec("SET statement_timeout = 0", "lifting the statement timeout for migrations"); !s)
    return std::move(s).error();
  if (auto s = migrate(**db, core::to_unix_ms(clock.now())); !s) return std::move(s).error();
  if (auto s = (*db)->exec(fmt::format("SET statement_timeout = {}", options.statement_timeout_ms),
                           "setting the statement timeout");
      !s)
    return std::move(s).error();
  return std::unique_ptr<PostgresStore>(new PostgresStore(options, std::move(*db)));
}

PostgresStore::PostgresStore(PostgresOptions options, std::unique_ptr<Connection> writer)
    : SqlStore(options.max_batch, /*writers=*/std::tuple_size_v<decltype(writer_connections_)>),
      options_(std::move(options)),
      readers_(
          options_.pool_size, [this] { return Connection::open(connect_options()); },
          [](Connection& c) { return !c.broken(); }) {
  // The connection that migrated is the main lane's; the others open with their lane's first batch.
  writer_connections_[0].pid = PQbackendPID(writer->handle());
  writer_connections_[0].db = std::move(writer);
  start_writers();
  if (options_.coordinate) coordinator_ = std::thread([this] { coordinator_loop(); });
}

PostgresStore::~PostgresStore() {
  stop_writers();
  coordinator_stopping_ = true;
  if (coordinator_.joinable()) coordinator_.join();
}

Status PostgresStore::with_reader(const std::function<Status(sql::Session&)>& read) {
  auto db = readers_.acquire();
  if (!db) return std::move(db).error();
  PgSession session(**db);
  return read(session);
}


// A read is a round trip, and a publish's only read was its event's sequence number: a round trip per
// event. Drawn for a whole run of jobs at its start (with the commands held before it), a run of
// publishes takes two round trips however many it holds: this one, and the one that ends the run.
Result<std::vector<std::vector<int64_t>>> PostgresStore::draw_named_sequences(PgSession& session,
                                                                             const std::vector<QueuedWrite>& batch,
                                                                             size_t from, size_t to) {
  std::vector<std::vector<int64_t>> drawn(to - from);
  std::vector<sql::Params> draws;
  std::vector<size_t> job_of_draw;
  for (size_t i = from; i < to; ++i)
    for (const auto& key : batch[i].draws) {
      draws.push_back(sql::Params{}.add(key.type).add(key.id));
      job_of_draw.push_back(i - from);
    }
  if (draws.empty()) return drawn;
  static const std::string next_sequence(sql::kNextSequence);
  auto status = session.run_each(next_sequence, draws, "drawing the sequence numbers the jobs named",
                                 [&](size_t i, const sql::Row& row) { drawn[job_of_draw[i]].push_back(row.integer(0)); });
  if (!status) return std::move(status).error();
  return drawn;
}

void PostgresStore::commit_batch(std::vector<QueuedWrite>& batch, size_t writer) {
  WriterConnection& own = writer_connections_[writer];
  // A connection lost with the database comes back here, on the next batch after it returns.
  if (own.db && own.db->broken()) {
    own.replaced_round_trips += own.db->round_trips();
    own.db.reset();
  }
  if (!own.db) {
    auto opened = Connection::open(connect_options());
    if (!opened) {
      for (auto& item : batch) item.done(opened.error());
      return;
    }
    if (own.pid.load() != 0) core::log::info("the store's writer reconnected to the database", {{"writer", writer}});
    own.db = std::move(*opened);
    own.pid = PQbackendPID(own.db->handle());
  }
  Connection& db = *own.db;
  std::vector<Status> results(batch.size());
  // A batch of relaxed jobs only (claims, lease renewals) does not wait for the WAL flush: lost in a
  // database crash, a lease only lapses sooner.
  const bool durable = std::any_of(batch.begin(), batch.end(), [](const QueuedWrite& w) { return w.durable; });
  // Each job runs inside a savepoint, so one job's failure undoes only its own changes. Neighbouring jobs
  // that may run again (Store::Rerun, as SQLite does) share one: what each sends and does not read goes
  // with the next one's first read instead of in a round trip of its own when it ends (a publish: one
  // round trip instead of two). A failure anywhere in such a run rolls the run back, and its jobs run
  // again, each under its own savepoint, so that the failure is its own job's alone.
  Status begun = db.exec(durable ? "BEGIN; SAVEPOINT job" : "BEGIN; SET LOCAL synchronous_commit TO OFF; SAVEPOINT job",
                         "starting a write transaction");
  if (!begun) {
    (void)db.exec("ROLLBACK", "rolling back a batch that did not start");
    for (auto& item : batch) item.done(begun);
    return;
  }
  // Pipelined: what a job sends and does not read goes with its next read, or with the commands that end
  // the savepoint, in one round trip (PgSession says how).
  PgSession session(db, /*pipelined=*/true);
  EndpointSnapshot endpoint_cache;  // per batch: other nodes change endpoints too
  // Nodes write their statistics to different rows (mostly: by their connection's backend pid).
  Tx tx(session, endpoint_cache, own.pid.load() % sql::stats::kShards);
  bool batch_has_work = false;
  // Runs batch[from, to) in the open savepoint and ends it: released, or rolled back if a job failed;
  // opened again if jobs follow (those after `to`, or the run's own jobs, run again one by one).
  auto run_under_savepoint = [&](size_t from, size_t to) -> Status {
    auto drawn = draw_named_sequences(session, batch, from, to);
    Status result = drawn ? Status{} : drawn.error();
    // Guarded writes need not be read in a run: if one found its row moved, the run fails and its jobs
    // run again one by one, where each reads its own.
    session.hold_expectations(to - from > 1);
    for (size_t i = from; i < to && result.ok(); ++i) {
      result = run_job(batch[i], tx, std::move((*drawn)[i - from]));
      // A job that went on after a failed statement: in PostgreSQL nothing after it took effect, so the
      // job failed (in SQLite the rest of it would have been kept). Statements it still holds would fail
      // when sent, as below.
      if (result.ok() && !session.holds_job_statements() && db.transaction_failed())
        result = Error::internal("a statement of this write job failed and the job ignored it");
    }
    session.hold_expectations(false);
    // The statements that nobody read go now, so that the outcome is known before the next job starts;
    // the commands that end the savepoint go after it, with the next job's first statement (or the
    // batch's last). Not with these: a guarded write that found its row moved is a failure the server
    // does not see, and it would run them, releasing the savepoint that undoes the run.
    if (result.ok() && session.holds_job_statements())
      if (auto sent = session.flush(); !sent) result = std::move(sent);
    if (result.ok()) {
      session.hold_command("RELEASE SAVEPOINT job", "between two jobs");
      if (to < batch.size()) session.hold_command("SAVEPOINT job", "between two jobs");
    }
    if (!result.ok()) {
      endpoint_cache.reset();  // the jobs may have changed endpoints before failing
      // Nothing of the jobs is kept: what they still hold is not sent, and the savepoint is rolled back
      // (after any commands held from before it). The commands ending a savepoint whose jobs were sent
      // whole and failed were skipped by the server.
      session.drop_job_statements();
      session.hold_command("ROLLBACK TO SAVEPOINT job", "between two jobs");
      session.hold_command("RELEASE SAVEPOINT job", "between two jobs");
      if (to < batch.size() || to - from > 1) session.hold_command("SAVEPOINT job", "between two jobs");
    }
    // Their statistics and their wake-up are kept or dropped together, as their changes are.
    tx.end_job(result.ok());
    if (result.ok()) batch_has_work = batch_has_work || tx.work_noted;
    tx.work_noted = false;
    return result;
  };
  for (size_t i = 0; i < batch.size();) {
    size_t end = i + 1;
    if (batch[i].rerunnable)
      while (end < batch.size() && batch[end].rerunnable) ++end;
    if (end - i > 1 && session.fatal() && run_under_savepoint(i, end).ok()) {
      i = end;
      continue;
    }
    for (; i < end; ++i) {
      // Whether the savepoint is open: a failed command between jobs fails the rest.
      if (!session.fatal()) {
        results[i] = session.fatal();
        tx.end_job(false);
        continue;
      }
      results[i] = run_under_savepoint(i, i + 1);
    }
  }
  // The notification is sent by COMMIT, to every node listening (this one too), or not at all.
  Status committed = session.fatal() ? tx.record_batch_stats() : session.fatal();
  if (committed && batch_has_work)
    committed =
        sql::execute(session, "SELECT pg_notify(?1, '')", sql::Params{}.add(kWorkChannel), "announcing new work");
  if (committed) committed = session.flush();
  if (committed) committed = timed_commit(durable, [&] { return db.commit("committing"); });
  // A COMMIT that failed with the connection may or may not have happened; either way no job is told
  // it succeeded, so nothing is answered 2xx that might not be stored.
  if (!committed) (void)db.exec("ROLLBACK", "rolling back a failed batch");
  own.round_trips = own.replaced_round_trips + db.round_trips();
  finish_batch(batch, results, committed, batch_has_work);
}

void PostgresStore::write_metrics(core::metrics::TextWriter& out) const {
  SqlStore::write_metrics(out);
  out.family("billhook_store_writer_round_trips_total", "counter",
             "Round trips to PostgreSQL on the writers' connections (statements sent together count once).");
  uint64_t round_trips = 0;
  for (const auto& writer : writer_connections_) round_trips += writer.round_trips.load();
  out.sample("billhook_store_writer_round_trips_total", {}, round_trips);
}

// One connection of its own: LISTENs for work committed by any node, and holds (or keeps trying to
// take) the advisory lock that makes this node the one running the time-driven jobs. The lock is
// bound to the session, so it passes to another node as soon as this connection ends, including
// when this process is killed.
void PostgresStore::coordinator_loop() {
  std::unique_ptr<Connection> conn;
  bool connected_before = false;
  auto lose = [&](std::string_view why) {
    if (leading_.exchange(false)) core::log::warn("gave up the lead of time-driven jobs", {{"reason", why}});
    conn.reset();
  };
  while (!coordinator_stopping_) {
    if (!conn) {
      auto opened = Connection::open(connect_options());
      if (!opened || !(*opened)->exec(fmt::format("LISTEN {}", kWorkChannel), "listening for new work")) {
        for (int i = 0; i < 10 && !coordinator_stopping_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      conn = std::move(*opened);
      // Other nodes may have committed work while this connection was away.
      if (connected_before) call_work_listener();
      connected_before = true;
    }
    if (!leading_) {
      auto taken = conn->query("SELECT pg_try_advisory_lock($1)", Params{}.add(kTimeLeadLock), "taking the lead");
      if (!taken) {
        lose(taken.error().message);
        continue;
      }
      if (taken->text(0, 0) == "t") {
        leading_ = true;
        core::log::info("this node runs the time-driven jobs");
      }
    }
    pollfd fd{PQsocket(conn->handle()), POLLIN, 0};
    if (fd.fd < 0) {
      lose("no socket");
      continue;
    }
    const int ready = ::poll(&fd, 1, 200);
    if (ready < 0) continue;
    if (ready == 0) continue;
    if (!PQconsumeInput(conn->handle()) || conn->broken()) {
      lose("the connection was lost");
      continue;
    }
    bool work = false;
    while (PGnotify* n = PQnotifies(conn->handle())) {
      // This node's own commits have called the listener already.
      if (!is_own_writer(n->be_pid)) work = true;
      PQfreemem(n);
    }
    if (work) call_work_listener();
  }
}

bool PostgresStore::is_own_writer(int backend_pid) const {
  return std::any_of(writer_connections_.begin(), writer_connections_.end(),
                     [&](const WriterConnection& writer) { return writer.pid.load() == backend_pid; });
}

const char* PostgresStore::next_due_query() const {
  // The earliest of each enabled endpoint's first due entry (the due index is per endpoint), rather
  // than a sort of the whole backlog.
  return
      "SELECT MIN(f.next_attempt_ms) FROM endpoints e CROSS JOIN LATERAL ("
      " SELECT d.next_attempt_ms FROM deliveries d WHERE d.endpoint_id = e.id"
      " AND d.status IN ('pending', 'retrying') ORDER BY d.next_attempt_ms LIMIT 1) f WHERE e.enabled = 1";
}

}  // namespace billhook::store::postgres
