#include "store/sql/schema.hpp"

#include <array>

// The schema, written once in SQLite's spelling. PostgreSQL renders it with its own types
// (postgres::to_postgres_schema): INTEGER is BIGINT, TEXT compares byte by byte (COLLATE "C") as in
// SQLite, and WITHOUT ROWID is SQLite's alone.
namespace billhook::store::sql {
namespace {

constexpr std::string_view kInitial = R"sql(
CREATE TABLE events (
  id              TEXT NOT NULL UNIQUE,
  type            TEXT NOT NULL,
  created_ms      INTEGER NOT NULL,
  aggregate_type  TEXT,
  aggregate_id    TEXT,
  sequence        INTEGER,
  data            TEXT NOT NULL,
  request_id      TEXT,
  idempotency_key TEXT
);
CREATE INDEX events_by_type ON events (type, id);
CREATE INDEX events_by_aggregate ON events (aggregate_type, aggregate_id, sequence);
CREATE INDEX events_by_created ON events (created_ms);

CREATE TABLE aggregate_sequences (
  type          TEXT NOT NULL,
  id            TEXT NOT NULL,
  last_sequence INTEGER NOT NULL,
  PRIMARY KEY (type, id)
) WITHOUT ROWID;

CREATE TABLE endpoints (
  id          TEXT PRIMARY KEY,
  url         TEXT NOT NULL,
  description TEXT NOT NULL,
  event_types TEXT NOT NULL,
  categories  TEXT NOT NULL,
  secret      TEXT NOT NULL,
  metadata    TEXT NOT NULL,
  enabled     INTEGER NOT NULL,
  created_ms  INTEGER NOT NULL,
  updated_ms  INTEGER NOT NULL,
  ordering                   TEXT NOT NULL,
  retry_schedule             TEXT NOT NULL,
  rate_limit                 INTEGER NOT NULL,
  max_in_flight              INTEGER NOT NULL,
  previous_secret            TEXT NOT NULL,
  previous_secret_expires_ms INTEGER NOT NULL,
  disabled_reason            TEXT NOT NULL,
  disabled_ms                INTEGER NOT NULL,
  failing_since_ms           INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE deliveries (
  id              TEXT NOT NULL UNIQUE,
  event_id        TEXT NOT NULL,
  endpoint_id     TEXT NOT NULL,
  event_type      TEXT NOT NULL,
  status          TEXT NOT NULL,
  attempt_count   INTEGER NOT NULL,
  next_attempt_ms INTEGER NOT NULL,
  created_ms      INTEGER NOT NULL,
  updated_ms      INTEGER NOT NULL,
  aggregate_key   TEXT,
  sequence        INTEGER NOT NULL,
  lease_until_ms  INTEGER NOT NULL,
  last_attempt_ms INTEGER NOT NULL,
  last_error_class   TEXT NOT NULL,
  last_status_code   INTEGER NOT NULL,
  last_error_message TEXT NOT NULL
);
CREATE INDEX deliveries_by_endpoint ON deliveries (endpoint_id, id);
CREATE INDEX deliveries_by_event ON deliveries (event_id);
CREATE INDEX deliveries_by_status ON deliveries (status, id);
-- The dispatcher's two questions: what is due, and is an earlier one of this aggregate still open?
CREATE INDEX deliveries_due ON deliveries (next_attempt_ms) WHERE status IN ('pending', 'retrying');
CREATE INDEX deliveries_open_by_aggregate ON deliveries (endpoint_id, aggregate_key, sequence)
  WHERE status IN ('pending', 'retrying');

CREATE TABLE attempts (
  id               TEXT NOT NULL UNIQUE,
  delivery_id      TEXT NOT NULL,
  number           INTEGER NOT NULL,
  started_ms       INTEGER NOT NULL,
  duration_ms      INTEGER NOT NULL,
  status_code      INTEGER NOT NULL,
  error_class      TEXT NOT NULL,
  error_message    TEXT NOT NULL,
  response_headers TEXT NOT NULL,
  response_body    TEXT NOT NULL,
  next_attempt_ms  INTEGER NOT NULL
);
CREATE INDEX attempts_by_delivery ON attempts (delivery_id, number);

CREATE TABLE idempotency_keys (
  scope         TEXT NOT NULL,
  key           TEXT NOT NULL,
  request_hash  TEXT NOT NULL,
  status        INTEGER NOT NULL,
  response_body TEXT NOT NULL,
  created_ms    INTEGER NOT NULL,
  PRIMARY KEY (scope, key)
) WITHOUT ROWID;

CREATE TABLE api_keys (
  id         TEXT PRIMARY KEY,
  hash       TEXT NOT NULL UNIQUE,
  label      TEXT NOT NULL,
  created_ms INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// Billing documents keep their whole state in `body` (the billing layer's JSON); the other columns are
// what they are looked up by.
constexpr std::string_view kBilling = R"sql(
CREATE TABLE customers (
  id         TEXT PRIMARY KEY,
  created_ms INTEGER NOT NULL,
  body       TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE payment_methods (
  id          TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL,
  created_ms  INTEGER NOT NULL,
  body        TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX payment_methods_by_customer ON payment_methods (customer_id, id);

CREATE TABLE invoices (
  id                   TEXT PRIMARY KEY,
  customer_id          TEXT NOT NULL,
  status               TEXT NOT NULL,
  number               TEXT UNIQUE,
  due_date             INTEGER,
  next_payment_attempt INTEGER,
  created_ms           INTEGER NOT NULL,
  body                 TEXT NOT NULL,
  wake_at              INTEGER
) WITHOUT ROWID;
CREATE INDEX invoices_by_customer ON invoices (customer_id, id);
CREATE INDEX invoices_by_status ON invoices (status, id);
-- The scheduler's question: which invoices has time come for? Only the ones with a next moment.
CREATE INDEX invoices_by_wake ON invoices (wake_at) WHERE wake_at IS NOT NULL;

CREATE TABLE payments (
  id         TEXT PRIMARY KEY,
  invoice_id TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  body       TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX payments_by_invoice ON payments (invoice_id, id);

-- Legal numbers are gapless per year: the counter moves only in the transaction that finalizes.
CREATE TABLE invoice_number_sequences (
  year        INTEGER PRIMARY KEY,
  last_number INTEGER NOT NULL
);

-- Time-driven notices already sent (invoice.overdue once per due date, …), so that no rerun, restart
-- or second node sends one twice.
CREATE TABLE billing_notices (
  key        TEXT PRIMARY KEY,
  invoice_id TEXT NOT NULL,
  created_ms INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// The billing documents added after the first ones, all in one table (store.hpp, DocumentRecord).
constexpr std::string_view kDocuments = R"sql(
CREATE TABLE documents (
  kind        TEXT NOT NULL,
  id          TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  parent_id   TEXT NOT NULL,
  status      TEXT NOT NULL,
  created_ms  INTEGER NOT NULL,
  body        TEXT NOT NULL,
  wake_at     INTEGER,
  PRIMARY KEY (kind, id)
) WITHOUT ROWID;
CREATE INDEX documents_by_customer ON documents (kind, customer_id, id);
CREATE INDEX documents_by_parent ON documents (kind, parent_id, id);
CREATE INDEX documents_by_wake ON documents (kind, wake_at) WHERE wake_at IS NOT NULL;
)sql";

// Claims walk each endpoint's due deliveries in claim order (next_attempt_ms, id) and stop at their
// limit. With next_attempt_ms alone in the index SQLite sorted every open delivery on each claim, and
// an endpoint skipped by the claim still had its whole backlog scanned.
constexpr std::string_view kDueIndex = R"sql(
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (endpoint_id, next_attempt_ms, id) WHERE status IN ('pending', 'retrying');
)sql";

constexpr std::string_view kProfiles = R"sql(
ALTER TABLE endpoints ADD COLUMN profile TEXT NOT NULL DEFAULT 'billhook';
ALTER TABLE endpoints ADD COLUMN profile_settings TEXT NOT NULL DEFAULT '{}';
)sql";

// The store knows no billing: customers, payment methods, invoices and payments become documents like
// every other (their lookup columns are the documents' own: an invoice's customer, status and wake_at;
// a payment method's customer; a payment's invoice as its parent); the years' invoice numbers become
// sequences; the notices sent become claimed keys. Everything already stored moves across.
constexpr std::string_view kBillingAsDocuments = R"sql(
INSERT INTO documents (kind, id, customer_id, parent_id, status, created_ms, body, wake_at)
  SELECT 'customer', id, '', '', '', created_ms, body, NULL FROM customers;
INSERT INTO documents (kind, id, customer_id, parent_id, status, created_ms, body, wake_at)
  SELECT 'payment_method', id, customer_id, '', '', created_ms, body, NULL FROM payment_methods;
INSERT INTO documents (kind, id, customer_id, parent_id, status, created_ms, body, wake_at)
  SELECT 'invoice', id, customer_id, '', status, created_ms, body, wake_at FROM invoices;
INSERT INTO documents (kind, id, customer_id, parent_id, status, created_ms, body, wake_at)
  SELECT 'payment', id, '', invoice_id, '', created_ms, body, NULL FROM payments;
INSERT INTO aggregate_sequences (type, id, last_sequence)
  SELECT 'invoice_number', '' || year, last_number FROM invoice_number_sequences;
DROP TABLE customers;
DROP TABLE payment_methods;
DROP TABLE invoices;
DROP TABLE payments;
DROP TABLE invoice_number_sequences;
ALTER TABLE billing_notices RENAME TO claimed_keys;
ALTER TABLE claimed_keys RENAME COLUMN invoice_id TO owner_id;
-- Invoices are listed by status (GET /v1/invoices?status=open).
CREATE INDEX documents_by_status ON documents (kind, status, id);
)sql";

// The usage intake (store/usage_records.hpp). Raw events are keyed by what makes them unique, so a
// repeat is found by the primary key and never counted twice; each aggregate is one row updated in
// place, so current usage is read, never recomputed. Events kept but not billed wait in a partial index
// until the hourly report takes them.
constexpr std::string_view kUsage = R"sql(
CREATE TABLE usage_events (
  subscription_id TEXT NOT NULL,
  transaction_id  TEXT NOT NULL,
  id              TEXT NOT NULL,
  customer_id     TEXT NOT NULL,
  code            TEXT NOT NULL,
  occurred_at     INTEGER NOT NULL,
  properties      TEXT NOT NULL,
  created_ms      INTEGER NOT NULL,
  error           TEXT NOT NULL,
  reported        INTEGER NOT NULL,
  PRIMARY KEY (subscription_id, transaction_id)
) WITHOUT ROWID;
CREATE INDEX usage_events_unreported ON usage_events (created_ms, subscription_id, transaction_id)
  WHERE reported = 0;

CREATE TABLE usage_aggregates (
  subscription_id TEXT NOT NULL,
  code            TEXT NOT NULL,
  period_start    INTEGER NOT NULL,
  period_end      INTEGER NOT NULL,
  state           TEXT NOT NULL,
  updated_ms      INTEGER NOT NULL,
  PRIMARY KEY (subscription_id, code, period_start)
) WITHOUT ROWID;

CREATE TABLE usage_values (
  subscription_id TEXT NOT NULL,
  code            TEXT NOT NULL,
  scope           INTEGER NOT NULL,
  value           TEXT NOT NULL,
  PRIMARY KEY (subscription_id, code, scope, value)
) WITHOUT ROWID;

CREATE TABLE usage_addresses (
  external_id     TEXT PRIMARY KEY,
  subscription_id TEXT NOT NULL
) WITHOUT ROWID;
)sql";

constexpr std::string_view kSentRequests = R"sql(
ALTER TABLE attempts ADD COLUMN request_headers TEXT NOT NULL DEFAULT '{}';
ALTER TABLE attempts ADD COLUMN request_body TEXT NOT NULL DEFAULT '';
)sql";

// The delivery statistics (store/delivery_stats.hpp), written with each attempt so that the overview
// never reads the attempts: one row per minute and writer shard (attempts, successes, and the latency
// histogram's 16 buckets l0…l15), and one row of health per endpoint.
constexpr std::string_view kDeliveryStats = R"sql(
CREATE TABLE delivery_stats (
  minute    INTEGER NOT NULL,
  shard     INTEGER NOT NULL,
  attempts  INTEGER NOT NULL DEFAULT 0,
  succeeded INTEGER NOT NULL DEFAULT 0,
  l0 INTEGER NOT NULL DEFAULT 0, l1 INTEGER NOT NULL DEFAULT 0, l2 INTEGER NOT NULL DEFAULT 0,
  l3 INTEGER NOT NULL DEFAULT 0, l4 INTEGER NOT NULL DEFAULT 0, l5 INTEGER NOT NULL DEFAULT 0,
  l6 INTEGER NOT NULL DEFAULT 0, l7 INTEGER NOT NULL DEFAULT 0, l8 INTEGER NOT NULL DEFAULT 0,
  l9 INTEGER NOT NULL DEFAULT 0, l10 INTEGER NOT NULL DEFAULT 0, l11 INTEGER NOT NULL DEFAULT 0,
  l12 INTEGER NOT NULL DEFAULT 0, l13 INTEGER NOT NULL DEFAULT 0, l14 INTEGER NOT NULL DEFAULT 0,
  l15 INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (minute, shard)
) WITHOUT ROWID;

CREATE TABLE endpoint_health (
  endpoint_id     TEXT PRIMARY KEY,
  last_success_ms INTEGER NOT NULL,
  last_failure_ms INTEGER NOT NULL,
  failure_streak  INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// Retention deletes expired idempotency keys by age (events go by events_by_created).
constexpr std::string_view kRetention = R"sql(
CREATE INDEX idempotency_keys_by_created ON idempotency_keys (created_ms);
)sql";

// API keys managed through the API (POST/GET/DELETE /v1/api-keys): the first characters of each key to
// recognise it by (empty for keys made before this), when it was last used (written at most once a minute
// per key, api/api_key_sync.hpp), and when it was revoked (store/api_key_store.hpp). A revoked key keeps its row, so its hash stays taken: a
// server started again with that key as --api-key finds it revoked and does not bring it back.
constexpr std::string_view kApiKeyManagement = R"sql(
ALTER TABLE api_keys ADD COLUMN prefix TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN last_used_ms INTEGER;
ALTER TABLE api_keys ADD COLUMN revoked_ms INTEGER;
)sql";

// When a request for a delivery went out and its answer is not recorded yet (events::Delivery::sending_ms):
// an attempt cut off by a crash is found by the next claim and kept in the history.
constexpr std::string_view kSendingMarks = R"sql(
ALTER TABLE deliveries ADD COLUMN sending_ms INTEGER NOT NULL DEFAULT 0;
)sql";

// The dashboard's sign-ins (store/dashboard_session_store.hpp), kept where every node sees them: found by the
// SHA-256 of the session's token, and deleted by age when a new one is opened.
constexpr std::string_view kDashboardSessions = R"sql(
CREATE TABLE dashboard_sessions (
  token_hash  TEXT PRIMARY KEY,
  api_key_id  TEXT NOT NULL,
  csrf_token  TEXT NOT NULL,
  created_ms  INTEGER NOT NULL,
  expires_ms  INTEGER NOT NULL
);
CREATE INDEX dashboard_sessions_by_expiry ON dashboard_sessions (expires_ms);
)sql";

constexpr std::array<Migration, 13> kMigrations{{
    {1, "initial: events, aggregate sequences, endpoints, deliveries, attempts, idempotency keys, api keys", kInitial},
    {2, "billing: customers, payment methods, invoices, payments, invoice numbers, notices", kBilling},
    {3, "documents: refunds, credit notes, proformas, batches and the other billing documents", kDocuments},
    {4, "deliveries_due per endpoint in claim order (endpoint_id, next_attempt_ms, id)", kDueIndex},
    {5, "endpoint compatibility profiles: profile name and profile settings", kProfiles},
    {6, "billing records as documents: customers, payment methods, invoices, payments; invoice numbers as "
        "sequences; notices as claimed keys",
     kBillingAsDocuments},
    {7, "usage intake: usage events, aggregates, distinct values, subscription addresses", kUsage},
    {8, "the request each attempt sent: headers and body", kSentRequests},
    {9, "delivery statistics: per-minute attempt buckets with a latency histogram, endpoint health", kDeliveryStats},
    {10, "retention: idempotency keys by age", kRetention},
    {11, "api key management: prefix, last use, revocation", kApiKeyManagement},
    {12, "deliveries: when a request went out whose answer is not recorded yet", kSendingMarks},
    {13, "dashboard sessions, shared by every node", kDashboardSessions},
}};

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

}  // namespace billhook::store::sql
