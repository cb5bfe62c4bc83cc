#include "store/postgres/pg_migrations.hpp"

#include <array>

#include <fmt/format.h>

#include "core/log.hpp"
#include "store/postgres/pg_connection.hpp"

namespace billhook::store::postgres {
namespace {

// The SQLite schema in PostgreSQL's types: INTEGER columns are BIGINT (they hold milliseconds), and text
// compares byte by byte (COLLATE "C") as in SQLite, so that id cursors page the same way whatever the
// database's locale.
constexpr std::string_view kInitial = R"sql(
CREATE TABLE events (
  id              TEXT COLLATE "C" NOT NULL UNIQUE,
  type            TEXT COLLATE "C" NOT NULL,
  created_ms      BIGINT NOT NULL,
  aggregate_type  TEXT COLLATE "C",
  aggregate_id    TEXT COLLATE "C",
  sequence        BIGINT,
  data            TEXT COLLATE "C" NOT NULL,
  request_id      TEXT COLLATE "C",
  idempotency_key TEXT COLLATE "C"
);
CREATE INDEX events_by_type ON events (type, id);
CREATE INDEX events_by_aggregate ON events (aggregate_type, aggregate_id, sequence);
CREATE INDEX events_by_created ON events (created_ms);

CREATE TABLE aggregate_sequences (
  type          TEXT COLLATE "C" NOT NULL,
  id            TEXT COLLATE "C" NOT NULL,
  last_sequence BIGINT NOT NULL,
  PRIMARY KEY (type, id)
);

CREATE TABLE endpoints (
  id          TEXT COLLATE "C" PRIMARY KEY,
  url         TEXT COLLATE "C" NOT NULL,
  description TEXT COLLATE "C" NOT NULL,
  event_types TEXT COLLATE "C" NOT NULL,
  categories  TEXT COLLATE "C" NOT NULL,
  secret      TEXT COLLATE "C" NOT NULL,
  metadata    TEXT COLLATE "C" NOT NULL,
  enabled     BIGINT NOT NULL,
  created_ms  BIGINT NOT NULL,
  updated_ms  BIGINT NOT NULL,
  ordering                   TEXT COLLATE "C" NOT NULL,
  retry_schedule             TEXT COLLATE "C" NOT NULL,
  rate_limit                 BIGINT NOT NULL,
  max_in_flight              BIGINT NOT NULL,
  previous_secret            TEXT COLLATE "C" NOT NULL,
  previous_secret_expires_ms BIGINT NOT NULL,
  disabled_reason            TEXT COLLATE "C" NOT NULL,
  disabled_ms                BIGINT NOT NULL,
  failing_since_ms           BIGINT NOT NULL
);

CREATE TABLE deliveries (
  id              TEXT COLLATE "C" NOT NULL UNIQUE,
  event_id        TEXT COLLATE "C" NOT NULL,
  endpoint_id     TEXT COLLATE "C" NOT NULL,
  event_type      TEXT COLLATE "C" NOT NULL,
  status          TEXT COLLATE "C" NOT NULL,
  attempt_count   BIGINT NOT NULL,
  next_attempt_ms BIGINT NOT NULL,
  created_ms      BIGINT NOT NULL,
  updated_ms      BIGINT NOT NULL,
  aggregate_key   TEXT COLLATE "C",
  sequence        BIGINT NOT NULL,
  lease_until_ms  BIGINT NOT NULL,
  last_attempt_ms BIGINT NOT NULL,
  last_error_class   TEXT COLLATE "C" NOT NULL,
  last_status_code   BIGINT NOT NULL,
  last_error_message TEXT COLLATE "C" NOT NULL
);
CREATE INDEX deliveries_by_endpoint ON deliveries (endpoint_id, id);
CREATE INDEX deliveries_by_event ON deliveries (event_id);
CREATE INDEX deliveries_by_status ON deliveries (status, id);
-- The dispatcher's two questions: what is due, and is an earlier one of this aggregate still open?
CREATE INDEX deliveries_due ON deliveries (next_attempt_ms) WHERE status IN ('pending', 'retrying');
CREATE INDEX deliveries_open_by_aggregate ON deliveries (endpoint_id, aggregate_key, sequence)
  WHERE status IN ('pending', 'retrying');

CREATE TABLE attempts (
  id               TEXT COLLATE "C" NOT NULL UNIQUE,
  delivery_id      TEXT COLLATE "C" NOT NULL,
  number           BIGINT NOT NULL,
  started_ms       BIGINT NOT NULL,
  duration_ms      BIGINT NOT NULL,
  status_code      BIGINT NOT NULL,
  error_class      TEXT COLLATE "C" NOT NULL,
  error_message    TEXT COLLATE "C" NOT NULL,
  response_headers TEXT COLLATE "C" NOT NULL,
  response_body    TEXT COLLATE "C" NOT NULL,
  next_attempt_ms  BIGINT NOT NULL
);
CREATE INDEX attempts_by_delivery ON attempts (delivery_id, number);

CREATE TABLE idempotency_keys (
  scope         TEXT COLLATE "C" NOT NULL,
  key           TEXT COLLATE "C" NOT NULL,
  request_hash  TEXT COLLATE "C" NOT NULL,
  status        BIGINT NOT NULL,
  response_body TEXT COLLATE "C" NOT NULL,
  created_ms    BIGINT NOT NULL,
  PRIMARY KEY (scope, key)
);

CREATE TABLE api_keys (
  id         TEXT COLLATE "C" PRIMARY KEY,
  hash       TEXT COLLATE "C" NOT NULL UNIQUE,
  label      TEXT COLLATE "C" NOT NULL,
  created_ms BIGINT NOT NULL
);
)sql";

// Billing documents keep their whole state in `body` (the billing layer's JSON); the other columns are
// what they are looked up by.
constexpr std::string_view kBilling = R"sql(
CREATE TABLE customers (
  id         TEXT COLLATE "C" PRIMARY KEY,
  created_ms BIGINT NOT NULL,
  body       TEXT COLLATE "C" NOT NULL
);

CREATE TABLE payment_methods (
  id          TEXT COLLATE "C" PRIMARY KEY,
  customer_id TEXT COLLATE "C" NOT NULL,
  created_ms  BIGINT NOT NULL,
  body        TEXT COLLATE "C" NOT NULL
);
CREATE INDEX payment_methods_by_customer ON payment_methods (customer_id, id);

CREATE TABLE invoices (
  id                   TEXT COLLATE "C" PRIMARY KEY,
  customer_id          TEXT COLLATE "C" NOT NULL,
  status               TEXT COLLATE "C" NOT NULL,
  number               TEXT COLLATE "C" UNIQUE,
  due_date             BIGINT,
  next_payment_attempt BIGINT,
  created_ms           BIGINT NOT NULL,
  body                 TEXT COLLATE "C" NOT NULL,
  wake_at              BIGINT
);
CREATE INDEX invoices_by_customer ON invoices (customer_id, id);
CREATE INDEX invoices_by_status ON invoices (status, id);
-- The scheduler's question: which invoices has time come for? Only the ones with a next moment.
CREATE INDEX invoices_by_wake ON invoices (wake_at) WHERE wake_at IS NOT NULL;

CREATE TABLE payments (
  id         TEXT COLLATE "C" PRIMARY KEY,
  invoice_id TEXT COLLATE "C" NOT NULL,
  created_ms BIGINT NOT NULL,
  body       TEXT COLLATE "C" NOT NULL
);
CREATE INDEX payments_by_invoice ON payments (invoice_id, id);

-- Legal numbers are gapless per year: the counter moves only in the transaction that finalizes.
CREATE TABLE invoice_number_sequences (
  year        BIGINT PRIMARY KEY,
  last_number BIGINT NOT NULL
);

-- Time-driven notices already sent (invoice.overdue once per due date, …), so that no rerun, restart
-- or second node sends one twice.
CREATE TABLE billing_notices (
  key        TEXT COLLATE "C" PRIMARY KEY,
  invoice_id TEXT COLLATE "C" NOT NULL,
  created_ms BIGINT NOT NULL
);
)sql";

// The billing documents added after the first ones, all in one table (store.hpp, DocumentRecord).
constexpr std::string_view kDocuments = R"sql(
CREATE TABLE documents (
  kind        TEXT COLLATE "C" NOT NULL,
  id          TEXT COLLATE "C" NOT NULL,
  customer_id TEXT COLLATE "C" NOT NULL,
  parent_id   TEXT COLLATE "C" NOT NULL,
  status      TEXT COLLATE "C" NOT NULL,
  created_ms  BIGINT NOT NULL,
  body        TEXT COLLATE "C" NOT NULL,
  wake_at     BIGINT,
  PRIMARY KEY (kind, id)
);
CREATE INDEX documents_by_customer ON documents (kind, customer_id, id);
CREATE INDEX documents_by_parent ON documents (kind, parent_id, id);
CREATE INDEX documents_by_wake ON documents (kind, wake_at) WHERE wake_at IS NOT NULL;
)sql";

// Claims walk each endpoint's due deliveries in claim order (next_attempt_ms, id) and stop at their limit.
constexpr std::string_view kDueIndex = R"sql(
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (endpoint_id, next_attempt_ms, id) WHERE status IN ('pending', 'retrying');
)sql";

constexpr std::string_view kProfiles = R"sql(
ALTER TABLE endpoints ADD COLUMN profile TEXT COLLATE "C" NOT NULL DEFAULT 'billhook';
ALTER TABLE endpoints ADD COLUMN profile_settings TEXT COLLATE "C" NOT NULL DEFAULT '{}';
)sql";

constexpr std::array<Migration, 5> kMigrations{{
    {1, "initial: events, aggregate sequences, endpoints, deliveries, attempts, idempotency keys, api keys", kInitial},
    {2, "billing: customers, payment methods, invoices, payments, invoice numbers, notices", kBilling},
    {3, "documents: refunds, credit notes, proformas, batches and the other billing documents", kDocuments},
    {4, "deliveries_due per endpoint in claim order (endpoint_id, next_attempt_ms, id)", kDueIndex},
    {5, "endpoint compatibility profiles: profile name and profile settings", kProfiles},
}};

// Taken for the whole migration run, so that nodes starting together do not apply a version twice.
constexpr int64_t kMigrationLock = 0x62696c6c686f6f6b;  // "billhook"

core::Status apply_pending(Connection& db, int64_t now_ms) {
  if (auto s = db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, "
                       "applied_ms BIGINT NOT NULL)",
                       "creating schema_migrations");
      !s)
    return s;
  auto current_rows = db.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", "reading the schema version");
  if (!current_rows) return std::move(current_rows).error();
  const int64_t current = current_rows->integer(0, 0);
  const int latest = kMigrations.back().version;
  if (current > latest) {
    return core::Error::internal(fmt::format(
        "the database is at schema version {}, newer than this billhook knows ({}); run a newer billhook", current,
        latest));
  }
  for (const auto& m : kMigrations) {
    if (m.version <= current) continue;
    if (auto s = db.exec("BEGIN", "starting a migration"); !s) return s;
    auto applied = db.exec(m.sql, fmt::format("migration {}", m.version));
    if (applied) {
      auto recorded = db.query("INSERT INTO schema_migrations (version, name, applied_ms) VALUES ($1, $2, $3)",
                               Params{}.add(int64_t{m.version}).add(m.name).add(now_ms), "recording a migration");
      if (!recorded) applied = std::move(recorded).error();
    }
    if (!applied) {
      (void)db.exec("ROLLBACK", "rolling back a migration");
      return core::Error::internal(
          fmt::format("migration {} ({}) failed: {}", m.version, m.name, applied.error().message));
    }
    if (auto s = db.commit("committing a migration"); !s) return s;
    core::log::info("migration applied", {{"version", m.version}, {"name", m.name}, {"store", "postgres"}});
  }
  return {};
}

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

core::Status migrate(Connection& db, int64_t now_ms) {
  if (auto s = db.query("SELECT pg_advisory_lock($1)", Params{}.add(kMigrationLock), "waiting for the migration lock");
      !s)
    return std::move(s).error();
  auto result = apply_pending(db, now_ms);
  (void)db.query("SELECT pg_advisory_unlock($1)", Params{}.add(kMigrationLock), "releasing the migration lock");
  return result;
}

}  // namespace billhook::store::postgres
