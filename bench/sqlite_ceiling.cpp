// SQLite's ceiling on this machine (issue 22): how fast SQLite itself takes the rows a published event and a
// delivered event need, written through the bare C API with nothing of billhook around them — tables with no
// secondary index, statements prepared once, one transaction per group of events, no savepoints, no queue, no
// threads, no JSON. The store's durability settings are kept (WAL, synchronous=FULL: one fsync per group).
// Whatever billhook's store adds to this (the indexes its lists and claims need, a savepoint per job, the
// group-commit queue) only costs more, so the rates printed are upper bounds for figures 1 and 2 on SQLite
// whatever shape the store's rows take, as long as each change is a row.
//
//   sqlite_ceiling --dir DIR [--count N] [--group G] [--data FILE] [--indexes]
//
// Phases, each on a fresh database under DIR (removed after it):
//   "event row"       per event, the event alone (id, type, time, aggregate, its data): the least any durable
//                     publish writes;
//   "publish rows"    the event, its aggregate's sequence (an upsert on the aggregate's key, which per-invoice
//                     order needs) and one delivery: figure 1's rows;
//   "delivered rows"  those, and the delivery's bookkeeping — leased, send noted, outcome (three UPDATEs by
//                     rowid) — and its attempt with the request sent: figure 2's rows.
// G events per transaction (default 32: figure 1's 64 connections make batches of about 32, see
// bench/store_floor.cpp). The event's data is FILE's bytes (bench/run.sh passes figure 1's request body) or
// 1,719 bytes of filler; the attempt keeps a request body as large again. With --indexes the tables also have
// the unique and secondary indexes billhook's schema gives them (the API's lists, the dispatcher's claims and
// per-invoice order need them): what those cost before any of billhook's code runs.
//
// Prints one JSON line per phase: events, group, rows per event, seconds, rate (events/s), rows/s and the CPU
// time per event (getrusage).

#include <sqlite3.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

namespace {

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "sqlite_ceiling: %s\n", what.c_str());
  std::exit(1);
}

void check(sqlite3* db, int rc, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) fail(std::string(what) + ": " + sqlite3_errmsg(db));
}

void exec(sqlite3* db, const char* sql) { check(db, sqlite3_exec(db, sql, nullptr, nullptr, nullptr), sql); }

// One prepared statement, bound and stepped once per row.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    check(db, sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr), sql);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& text(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Statement& integer(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  void run() {
    check(db_, sqlite3_step(stmt_), sqlite3_sql(stmt_));
    sqlite3_reset(stmt_);
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

enum class Phase { event_row, publish_rows, delivered_rows };

const char* name(Phase p) {
  switch (p) {
    case Phase::event_row: return "event row";
    case Phase::publish_rows: return "publish rows";
    case Phase::delivered_rows: return "delivered rows";
  }
  return "";
}

int rows_per_event(Phase p) {
  switch (p) {
    case Phase::event_row: return 1;
    case Phase::publish_rows: return 3;
    case Phase::delivered_rows: return 7;
  }
  return 0;
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// The columns billhook's events, deliveries and attempts hold (src/store/sql/schema.cpp), without their indexes.
constexpr const char* kSchema = R"sql(
CREATE TABLE events (id TEXT NOT NULL, type TEXT NOT NULL, created_ms INTEGER NOT NULL, aggregate_type TEXT,
  aggregate_id TEXT, sequence INTEGER, data TEXT NOT NULL);
CREATE TABLE aggregate_sequences (type TEXT NOT NULL, id TEXT NOT NULL, last_sequence INTEGER NOT NULL,
  PRIMARY KEY (type, id)) WITHOUT ROWID;
CREATE TABLE deliveries (id TEXT NOT NULL, event_id TEXT NOT NULL, endpoint_id TEXT NOT NULL, event_type TEXT NOT NULL,
  status TEXT NOT NULL, attempt_count INTEGER NOT NULL, next_attempt_ms INTEGER NOT NULL, created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL, aggregate_key TEXT, sequence INTEGER NOT NULL, lease_until_ms INTEGER NOT NULL,
  sending_ms INTEGER NOT NULL);
CREATE TABLE attempts (id TEXT NOT NULL, delivery_id TEXT NOT NULL, number INTEGER NOT NULL, started_ms INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL, status_code INTEGER NOT NULL, response_headers TEXT NOT NULL,
  response_body TEXT NOT NULL, request_headers TEXT NOT NULL, request_body TEXT NOT NULL);
)sql";

// The unique and secondary indexes of src/store/sql/schema.cpp on these tables, as its migrations leave them.
constexpr const char* kIndexes = R"sql(
CREATE UNIQUE INDEX events_id ON events (id);
CREATE INDEX events_by_type ON events (type, id);
CREATE INDEX events_by_aggregate ON events (aggregate_type, aggregate_id, sequence);
CREATE INDEX events_by_created ON events (created_ms);
CREATE UNIQUE INDEX deliveries_id ON deliveries (id);
CREATE INDEX deliveries_by_endpoint ON deliveries (endpoint_id, id);
CREATE INDEX deliveries_by_event ON deliveries (event_id);
CREATE INDEX deliveries_by_status ON deliveries (status, id);
CREATE INDEX deliveries_due ON deliveries (endpoint_id, next_attempt_ms, id) WHERE status IN ('pending', 'retrying');
CREATE INDEX deliveries_open_by_aggregate ON deliveries (endpoint_id, aggregate_key, sequence)
  WHERE status IN ('pending', 'retrying');
CREATE UNIQUE INDEX attempts_id ON attempts (id);
CREATE INDEX attempts_by_delivery ON attempts (delivery_id, number);
)sql";

void run_phase(Phase phase, const std::filesystem::path& dir, long count, long group, const std::string& data,
               bool indexes) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  sqlite3* db = nullptr;
  if (sqlite3_open((dir / "ceiling.db").c_str(), &db) != SQLITE_OK) fail("cannot open the database");
  exec(db, "PRAGMA journal_mode=WAL");
  exec(db, "PRAGMA synchronous=FULL");
  exec(db, kSchema);
  if (indexes) exec(db, kIndexes);
  {
    Statement event(db, "INSERT INTO events VALUES (?1, 'invoice.paid', ?2, 'invoice', ?3, ?4, ?5)");
    Statement sequence(db,
                       "INSERT INTO aggregate_sequences VALUES ('invoice', ?1, 1) "
                       "ON CONFLICT (type, id) DO UPDATE SET last_sequence = last_sequence + 1");
    Statement delivery(db,
                       "INSERT INTO deliveries VALUES (?1, ?2, 'ep_ceiling', 'invoice.paid', 'pending', 0, ?3, ?3, ?3, "
                       "?4, 1, 0, 0)");
    Statement leased(db, "UPDATE deliveries SET lease_until_ms = ?2 WHERE rowid = ?1");
    Statement sending(db, "UPDATE deliveries SET sending_ms = ?2 WHERE rowid = ?1");
    Statement outcome(db,
                      "UPDATE deliveries SET status = 'succeeded', attempt_count = 1, updated_ms = ?2, sending_ms = 0 "
                      "WHERE rowid = ?1");
    Statement attempt(db,
                      "INSERT INTO attempts VALUES (?1, ?2, 1, ?3, 1, 204, '{}', '', "
                      "'{\"webhook-id\":\"x\",\"webhook-signature\":\"v1,x\"}', ?4)");
    const double cpu_before = cpu_seconds();
    const auto started = std::chrono::steady_clock::now();
    char id[48], delivery_id[48], aggregate[48];
    for (long n = 0; n < count; n += group) {
      exec(db, "BEGIN IMMEDIATE");
      for (long i = n; i < std::min(count, n + group); ++i) {
        std::snprintf(id, sizeof id, "evt_%020ld", i);
        std::snprintf(delivery_id, sizeof delivery_id, "dlv_%020ld", i);
        std::snprintf(aggregate, sizeof aggregate, "inv_ceiling_%ld", i);
        const int64_t now_ms = 1'800'000'000'000 + i;
        event.text(1, id).integer(2, now_ms).text(3, aggregate).integer(4, 1).text(5, data).run();
        if (phase == Phase::event_row) continue;
        sequence.text(1, aggregate).run();
        delivery.text(1, delivery_id).text(2, id).integer(3, now_ms).text(4, aggregate).run();
        if (phase == Phase::publish_rows) continue;
        // In billhook these come in later transactions (the claim, the send, the answer); here they share the
        // publish's, which only flatters the ceiling.
        const int64_t row = sqlite3_last_insert_rowid(db);
        leased.integer(1, row).integer(2, now_ms + 300'000).run();
        sending.integer(1, row).integer(2, now_ms).run();
        outcome.integer(1, row).integer(2, now_ms + 1).run();
        attempt.text(1, id).text(2, delivery_id).integer(3, now_ms).text(4, data).run();
      }
      exec(db, "COMMIT");
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const double cpu_us = (cpu_seconds() - cpu_before) * 1e6 / static_cast<double>(count);
    std::printf(
        "{\"phase\":\"%s\",\"indexes\":%s,\"events\":%ld,\"group\":%ld,\"rows_per_event\":%d,\"seconds\":%.3f,\"rate\":%.0f,"
        "\"rows_per_s\":%.0f,\"cpu_us_per_event\":%.1f}\n",
        name(phase), indexes ? "true" : "false", count, group, rows_per_event(phase), seconds, static_cast<double>(count) / seconds,
        static_cast<double>(count) * rows_per_event(phase) / seconds, cpu_us);
    std::fflush(stdout);
  }
  sqlite3_close(db);
  std::filesystem::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  constexpr const char* kUsage = "usage: sqlite_ceiling --dir DIR [--count N] [--group G] [--data FILE] [--indexes]";
  std::filesystem::path dir;
  long count = 50'000, group = 32;
  std::string data(1719, 'x');
  bool indexes = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) fail(std::string(arg) + " needs a value");
      return argv[++i];
    };
    if (arg == "--dir") dir = value();
    else if (arg == "--count") count = std::strtol(value().c_str(), nullptr, 10);
    else if (arg == "--indexes") indexes = true;
    else if (arg == "--group") group = std::strtol(value().c_str(), nullptr, 10);
    else if (arg == "--data") {
      const std::string path = value();
      std::ifstream in(path, std::ios::binary);
      if (!in) fail("cannot read " + path);
      data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    } else {
      fail(kUsage);
    }
  }
  if (dir.empty() || count < 1 || group < 1) fail(kUsage);
  for (Phase phase : {Phase::event_row, Phase::publish_rows, Phase::delivered_rows})
    run_phase(phase, dir / "phase", count, group, data, indexes);
  return 0;
}
