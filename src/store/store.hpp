#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "events/model.hpp"
#include "store/delivery_stats.hpp"
#include "store/usage_records.hpp"

namespace billhook::store {

// Cursor pagination over id order, newest first: `starting_after` continues after an id seen at
// the end of a page, `ending_before` goes back before one seen at its start.
struct PageRequest {
  int limit = 10;
  std::string starting_after;
  std::string ending_before;
};

template <class T>
struct Page {
  std::vector<T> items;
  bool has_more = false;
};

struct EventQuery {
  PageRequest page;
  std::string type;
  std::string aggregate_type;
  std::string aggregate_id;
  std::optional<int64_t> created_gte_ms;
  std::optional<int64_t> created_lt_ms;
};

struct DeliveryQuery {
  PageRequest page;
  std::string endpoint_id;
  std::string event_id;
  std::optional<events::DeliveryStatus> status;
};

// A POST answered once, kept so that a retry with the same Idempotency-Key gets the same answer.
struct IdempotencyRecord {
  std::string scope;         // api key id + method + path
  std::string key;
  std::string request_hash;  // sha256 of the request body
  int status = 0;
  std::string response_body;
  int64_t created_ms = 0;
};

// How long an Idempotency-Key holds: a retry within this gets the first answer again; after it, the key is
// free and the same key makes a new request. Older keys are pruned.
constexpr int64_t kIdempotencyKeyTtlMs = 24 * 3600 * 1000;

// What a retention pass deleted, or (count_prunable) would delete.
struct PruneCounts {
  int64_t events = 0;
  int64_t deliveries = 0;
  int64_t attempts = 0;
  int64_t idempotency_keys = 0;
  // Events past retention that stay because a delivery of theirs is pending, retrying or failed.
  int64_t kept_events = 0;
};

struct ApiKeyRecord {
  std::string id;
  std::string hash;  // sha256 hex of the key; the key itself is never stored
  std::string label;
  int64_t created_ms = 0;
};

using EndpointSnapshot = std::shared_ptr<const std::vector<events::Endpoint>>;

// Every billing document (customers, payment methods, invoices, payments, refunds, credit notes,
// batches, …) lives in one table: `kind` says what it is, `body` holds it (the billing layer's JSON,
// which the store never interprets, so the billing model grows without a migration per field), and the
// other columns are what it is looked up by. A new kind needs no migration.
struct DocumentRecord {
  std::string kind;  // "refund", "credit_note", …: ids are unique per kind
  std::string id;
  std::string customer_id;  // empty when it belongs to no customer
  std::string parent_id;    // the document it belongs to (an invoice, a batch, …), or empty
  std::string status;
  int64_t created_ms = 0;
  std::string body;
  // Unix seconds: the next moment time acts on the document (a notice, a retry, a renewal), decided
  // by the billing layer; null when nothing is planned. What the document clock looks up.
  std::optional<int64_t> wake_at;
};

// Documents of one kind; each non-empty field narrows the match.
struct DocumentFilter {
  std::string kind;
  std::string customer_id;
  std::string parent_id;
  std::string status;
  std::vector<std::string> any_status;  // non-empty: one of these statuses
};

struct DocumentQuery {
  PageRequest page;
  DocumentFilter filter;
};

// One sequence of WriteTx::next_sequence: an aggregate's events (its type and id), a year's invoices.
struct SequenceKey {
  std::string type;
  std::string id;
};

// The mutations available inside one write transaction. Calls run on the store's writer;
// a job that returns an error has all of its changes rolled back, and only its own.
class WriteTx {
 public:
  virtual ~WriteTx() = default;

  // The next number (1, 2, …) of the sequence (type, id): an aggregate's event sequence, a year's
  // invoice numbers. Gapless: reserved by this transaction, and given back if it rolls back.
  virtual core::Result<int64_t> next_sequence(std::string_view type, std::string_view id) = 0;
  virtual core::Status insert_event(const events::Event& event) = 0;
  virtual core::Status insert_delivery(const events::Delivery& delivery) = 0;

  virtual core::Status insert_endpoint(const events::Endpoint& endpoint) = 0;
  // not_found if it does not exist.
  virtual core::Status update_endpoint(const events::Endpoint& endpoint) = 0;
  // Removes the endpoint and cancels its deliveries that were not yet made; not_found if absent.
  virtual core::Status delete_endpoint(std::string_view id, int64_t now_ms) = 0;
  virtual core::Result<std::optional<events::Endpoint>> find_endpoint(std::string_view id) = 0;
  // The enabled endpoints as of this transaction (shared, cached until an endpoint changes).
  virtual core::Result<EndpointSnapshot> enabled_endpoints() = 0;

  // Leases up to `limit` deliveries due at `now_ms` until `lease_until_ms`: open (pending or
  // retrying), lease lapsed, endpoint enabled, not in `skip_endpoints` / `skip_deliveries`, and,
  // for endpoints that keep order, with no earlier open delivery of the same aggregate.
  // Earliest due first.
  virtual core::Result<std::vector<events::Delivery>> claim_due(int64_t now_ms, int64_t lease_until_ms, size_t limit,
                                                                const std::vector<std::string>& skip_endpoints,
                                                                const std::vector<std::string>& skip_deliveries) = 0;
  virtual core::Result<std::optional<events::Delivery>> find_delivery(std::string_view id) = 0;
  // Writes a delivery's state (status, counters, lease, last error); not_found if absent.
  virtual core::Status update_delivery(const events::Delivery& delivery) = 0;
  // The same, only if the delivery still has the status and attempt count it had in `as_claimed` (nothing
  // settled, cancelled or attempted it since): answers whether it did, changing nothing when not. What
  // the dispatcher records an answer with, from the copy its claim returned, without reading it first.
  virtual core::Result<bool> update_delivery_if_unchanged(const events::Delivery& delivery,
                                                          const events::Delivery& as_claimed) = 0;
  virtual core::Status insert_attempt(const events::Attempt& attempt) = 0;
  // Whether the attempt with this id is stored: a write that failed may have committed all the same.
  virtual core::Result<bool> attempt_stored(std::string_view attempt_id) = 0;
  // Notes that requests for these deliveries went out at `sent_ms` (Delivery::sending_ms), on those still
  // open whose last attempt was recorded before then.
  virtual core::Status mark_sending(const std::vector<std::string>& delivery_ids, int64_t sent_ms) = 0;
  // Failed deliveries of `endpoint_id` created at or after `since_ms` go back to pending, due at
  // `now_ms`. Returns how many.
  virtual core::Result<int> retry_failed(std::string_view endpoint_id, int64_t since_ms, int64_t now_ms) = 0;
  // Ends the leases of these deliveries (claimed, then not sent after all).
  virtual core::Status release_leases(const std::vector<std::string>& delivery_ids) = 0;
  // Ends every lease: for a single node starting up, whose previous run can no longer hold any.
  virtual core::Status release_all_leases() = 0;
  // Extends to `lease_until_ms` the leases of these deliveries that are still open and leased
  // (lease beyond `now_ms`): a node keeps what it is still working on, and a lease that already
  // lapsed (another node may have taken the delivery over) is not taken back.
  virtual core::Status renew_leases(const std::vector<std::string>& delivery_ids, int64_t now_ms,
                                    int64_t lease_until_ms) = 0;
  // Tells the store that this transaction made deliveries due (new ones, retries, an enabled
  // endpoint); the store calls its work listener once the transaction has committed.
  virtual void notify_work() = 0;

  // conflict ("idempotency_key_in_use") if (scope, key) is already recorded and less than
  // kIdempotencyKeyTtlMs older than `record`; an expired record is replaced.
  virtual core::Status insert_idempotency(const IdempotencyRecord& record) = 0;
  // Retention, one small batch: deletes up to `limit` events created before `before_ms` whose deliveries are all
  // finished (succeeded or cancelled; an event with none is finished too), with those deliveries and their
  // attempts, and up to `limit` idempotency keys created before `keys_before_ms`. An event with a pending,
  // retrying or failed delivery stays, whatever its age. Answers what went (kept_events is not counted).
  virtual core::Result<PruneCounts> prune(int64_t before_ms, int64_t keys_before_ms, int limit) = 0;
  virtual core::Status insert_api_key(const ApiKeyRecord& record) = 0;

  // insert is conflict if (kind, id) exists; update (every column but kind, id and created_ms) is
  // not_found if it does not.
  virtual core::Status insert_document(const DocumentRecord& record) = 0;
  virtual core::Status update_document(const DocumentRecord& record) = 0;
  virtual core::Result<std::optional<DocumentRecord>> find_document(std::string_view kind, std::string_view id) = 0;
  // Every match, oldest first (for the small sets a transaction works on: an invoice's refunds, a
  // customer's ledger).
  virtual core::Result<std::vector<DocumentRecord>> find_documents(const DocumentFilter& filter) = 0;
  // Takes `key` once and for all (a time-driven notice sent, a period billed): true if it is new, false
  // if it was taken before, by this node or another, in this run or an earlier one. `owner_id` is the
  // document it is about.
  virtual core::Result<bool> claim_once(std::string_view key, std::string_view owner_id, int64_t now_ms) = 0;

  // --- usage intake (usage_records.hpp) ---
  // Stores the event unless one with its (subscription_id, transaction_id) is stored: then nothing is
  // written and that first one is returned.
  virtual core::Result<std::optional<UsageEventRecord>> insert_usage_event(const UsageEventRecord& record) = 0;
  // The aggregate of (subscription, code) for the period starting at `period_start`, or else the latest
  // one before it (what a recurring metric carries over); none if neither exists. With `hold`, the
  // period's row is held until the transaction ends — created empty if it is new, so the caller must then
  // put_usage_aggregate it — so that another node adding to the same aggregate waits its turn.
  virtual core::Result<std::optional<UsageAggregateRecord>> find_usage_aggregate(std::string_view subscription_id,
                                                                                 std::string_view code,
                                                                                 int64_t period_start, bool hold) = 0;
  // Inserts or replaces the aggregate of (subscription, code, period_start).
  virtual core::Status put_usage_aggregate(const UsageAggregateRecord& record) = 0;
  // Adds `value` to the distinct values of (subscription, code, scope): true if it was not there yet
  // (a unique_count aggregate counts it).
  virtual core::Result<bool> add_usage_value(std::string_view subscription_id, std::string_view code, int64_t scope,
                                             std::string_view value) = 0;
  // The subscription that usage events addressed by `external_id` go to (the latest to take it), and
  // taking it.
  virtual core::Result<std::optional<std::string>> find_usage_address(std::string_view external_id) = 0;
  virtual core::Status set_usage_address(std::string_view external_id, std::string_view subscription_id) = 0;
  // The billed events of (subscription, code) with period_start ≤ timestamp < period_end, in the order
  // they arrived: what a running fee is folded again from when it has no stored state (usage_fees.hpp).
  virtual core::Result<std::vector<UsageEventRecord>> list_usage_events(std::string_view subscription_id,
                                                                        std::string_view code, int64_t period_start,
                                                                        int64_t period_end) = 0;
  // Up to `limit` kept-but-invalid events not reported yet, oldest first, marked reported by this
  // transaction (so each is reported once).
  virtual core::Result<std::vector<UsageEventRecord>> take_unreported_usage_errors(int limit) = 0;
};

// The one storage boundary. Reads may run on any thread; writes are queued to one writer
// that commits whatever is queued together (group commit: one transaction, one fsync), and
// calls each job's `done` only after its data is durable (or with the reason it is not).
class Store {
 public:
  using WriteJob = std::function<core::Status(WriteTx&)>;
  using WriteDone = std::function<void(core::Status)>;

  virtual ~Store() = default;

  virtual void write(WriteJob job, WriteDone done) = 0;
  // For changes whose loss in a power cut does no harm, such as a lease that a restart ends anyway:
  // committed like write, but `done` need not wait for the disk. A store that cannot tell the two
  // apart makes it durable.
  virtual void write_relaxed(WriteJob job, WriteDone done) { write(std::move(job), std::move(done)); }
  enum class Durability { durable, relaxed };
  // Which writer commits a job. The dispatcher's own bookkeeping (claims, leases, sends noted,
  // attempts recorded: deliveries that exist already, their attempts and their endpoints' health)
  // may be committed beside every other write, by a writer of its own, so that recording deliveries
  // does not wait behind publishing and the other way round. Claims have a lane of their own beside
  // it: a claim only leases due deliveries nobody holds (rows the other lanes are not changing), and
  // waiting behind a group of attempt records, it would hold back every delivery that is due. Jobs
  // of one lane commit in the order queued; jobs of two lanes are two transactions at once, as two
  // nodes' are. A store with one writer commits every lane as one (the default below, which test
  // doubles observe as write()).
  enum class Lane { main, delivery, claims };
  // Whether a job may run again in the same transaction after the store rolled back what it did:
  // `allowed` for a job that changes nothing but through its WriteTx and only assigns to what it
  // captured, so that its last run is the one that counts (no appending, no logging, no counting).
  // A store may then commit several such jobs under one savepoint rather than one each: SQLite
  // copies every page a job changes into its savepoint's journal, a quarter of the writer's work
  // for a publish. When one of them fails, their savepoint is rolled back and they run again, each
  // in its own. A job that is `never` run twice gets a savepoint of its own.
  enum class Rerun { never, allowed };
  // `draws`: the sequences the job will take with WriteTx::next_sequence, named when it is queued (a
  // publish names its event's aggregate). A store that pays a round trip for each read (PostgreSQL)
  // takes those of a run of jobs together before running them and hands each job its numbers, in the
  // order the jobs were queued; one that reads cheaply (SQLite) takes each when the job asks. Either
  // way a job must draw every sequence it named (one left undrawn fails the job: drawn ahead, it would
  // leave a gap). One it did not name is taken when it asks, after those its run's jobs named.
  virtual void write_in(Lane lane, Durability durability, Rerun rerun, std::vector<SequenceKey> draws, WriteJob job,
                        WriteDone done) {
    (void)lane;
    (void)rerun;
    (void)draws;
    if (durability == Durability::relaxed) write_relaxed(std::move(job), std::move(done));
    else write(std::move(job), std::move(done));
  }
  // Convenience for start-up, the CLI and the dispatcher: write and block until committed.
  core::Status write_and_wait(WriteJob job, Durability durability = Durability::durable, Lane lane = Lane::main);

  virtual core::Result<Page<events::Event>> list_events(const EventQuery& query) = 0;
  virtual core::Result<std::optional<events::Event>> find_event(std::string_view id) = 0;
  // The events of `ids` that exist, in no particular order: what a claim's deliveries send, in one
  // read rather than one per delivery. This default asks find_event for each.
  virtual core::Result<std::vector<events::Event>> find_events(const std::vector<std::string>& ids);
  virtual core::Result<Page<events::Endpoint>> list_endpoints(const PageRequest& page) = 0;
  virtual core::Result<std::optional<events::Endpoint>> find_endpoint(std::string_view id) = 0;
  virtual core::Result<Page<events::Delivery>> list_deliveries(const DeliveryQuery& query) = 0;
  virtual core::Result<std::optional<events::Delivery>> find_delivery(std::string_view id) = 0;
  virtual core::Result<std::optional<IdempotencyRecord>> find_idempotency(std::string_view scope,
                                                                         std::string_view key) = 0;
  virtual core::Result<std::vector<ApiKeyRecord>> api_keys() = 0;
  // Number of rows in the event log (for the health page and tests).
  virtual core::Result<int64_t> count_events() = 0;
  // What WriteTx::prune with these cut-offs would delete if run until done, and the old events it keeps.
  virtual core::Result<PruneCounts> count_prunable(int64_t before_ms, int64_t keys_before_ms) = 0;
  // The attempts of one delivery, first first.
  virtual core::Result<std::vector<events::Attempt>> list_attempts(std::string_view delivery_id) = 0;
  // When the earliest open delivery is due, if any (a hint for sleeping: it may be leased,
  // held back by order, or its endpoint disabled).
  virtual core::Result<std::optional<int64_t>> next_due_ms() = 0;
  virtual core::Result<std::optional<DocumentRecord>> find_document(std::string_view kind, std::string_view id) = 0;
  // Newest first, as the other lists.
  virtual core::Result<Page<DocumentRecord>> list_documents(const DocumentQuery& query) = 0;
  // Every match, oldest first (for small sets: an invoice's payment attempts).
  virtual core::Result<std::vector<DocumentRecord>> find_documents(const DocumentFilter& filter) = 0;
  // Every stored aggregate of a subscription's usage, oldest period first (GET …/usage reads the
  // open period's, and the last one before it for recurring metrics).
  virtual core::Result<std::vector<UsageAggregateRecord>> list_usage_aggregates(std::string_view subscription_id) = 0;
  // WriteTx::list_usage_events, read outside a write.
  virtual core::Result<std::vector<UsageEventRecord>> list_usage_events(std::string_view subscription_id,
                                                                        std::string_view code, int64_t period_start,
                                                                        int64_t period_end) = 0;
  // Ids of documents of `kind` whose wake_at has come by `now_s`, oldest first, after `after_id`, at
  // most `limit`.
  virtual core::Result<std::vector<std::string>> documents_needing_time(std::string_view kind, int64_t now_s,
                                                                        std::string_view after_id, int limit) = 0;
  // --- delivery statistics (delivery_stats.hpp), kept by insert_attempt in the attempt's transaction ---
  // The attempts of minutes from_minute ≤ m < to_minute (unix minutes), summed per `step_minutes`
  // (each bucket's minute is its step's first, steps counted from minute 0), every node's together;
  // steps without attempts are left out. Reads only the buckets, never the attempts.
  virtual core::Result<std::vector<StatsBucket>> delivery_stats(int64_t from_minute, int64_t to_minute,
                                                                int64_t step_minutes) = 0;
  // The health of these endpoints; one without attempts yet is left out.
  virtual core::Result<std::vector<EndpointHealth>> endpoint_health(const std::vector<std::string>& endpoint_ids) = 0;
  // Endpoints whose last attempt failed, with a failure at or after `since_ms`: longest streak first,
  // at most `limit`.
  virtual core::Result<std::vector<EndpointHealth>> failing_endpoints(int64_t since_ms, int limit) = 0;
  // Deliveries pending or retrying now.
  virtual core::Result<int64_t> queue_depth() = 0;

  // Called (on the writer's thread) after each commit of a transaction that called notify_work;
  // with a shared database also when another node committed such a transaction.
  virtual void set_work_listener(std::function<void()> listener) = 0;
  // Whether this node should run the time-driven jobs (the document clock) now: always for a store
  // of its own; with several nodes on one database, only on the one holding the lead.
  virtual bool runs_time_jobs() { return true; }
};

}  // namespace billhook::store
