#include "store/sql/sql_tx.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "store/sql/query.hpp"
#include "store/sql/records.hpp"
#include "store/sql/stats_sql.hpp"
#include "store/sql/usage_sql.hpp"

namespace billhook::store::sql {

using core::Error;
using core::Result;
using core::Status;

namespace {

// The next number of a counter row, created at 1: the row stays locked (PostgreSQL) or the database
// is (SQLite) until the transaction ends, so numbers are unique with several writers and gapless,
// since a rollback gives the number back.
Result<int64_t> next_counter(Session& db, const std::string& sql, const Params& params, std::string_view context) {
  auto value = select_one<int64_t>(db, sql, params, context, [](const Row& row) { return row.integer(0); });
  if (!value) return std::move(value).error();
  if (!*value) return Error::internal(fmt::format("{}: no number was returned", context));
  return **value;
}

// That a delivery found by its id is still open (pending or retrying), asked so that no index can answer
// it. Given `status IN ('pending', 'retrying')` beside `id IN (...)`, PostgreSQL ANDs the id lookup with
// a bitmap scan of deliveries_by_status, which reads the entry of every delivery opened since the table's
// last VACUUM, settled ones included (a bitmap scan never learns that an entry is dead): 300 buffers and
// 1.5 ms to mark ten sends after 22,000 deliveries, a quarter of the server's time in a publishing run.
constexpr std::string_view kStillOpen = "status NOT IN ('succeeded', 'failed', 'cancelled')";

}  // namespace

Result<int64_t> SqlTx::next_sequence(std::string_view type, std::string_view id) {
  // A sequence named twice is drawn twice: the first of its names not yet taken answers.
  for (auto& named : named_draws_) {
    if (named.taken || named.key->type != type || named.key->id != id) continue;
    named.taken = true;
    if (named.drawn_ahead) return *named.drawn_ahead;
    break;
  }
  static const std::string sql(kNextSequence);
  return next_counter(db_, sql, Params{}.add(type).add(id), "assigning an aggregate's next sequence number");
}

void SqlTx::begin_named_draws(const std::vector<SequenceKey>& named, std::vector<int64_t> drawn_ahead) {
  named_draws_.clear();
  for (size_t i = 0; i < named.size(); ++i)
    named_draws_.push_back(
        {&named[i], i < drawn_ahead.size() ? std::optional<int64_t>(drawn_ahead[i]) : std::nullopt, false});
}

Status SqlTx::end_named_draws() {
  const auto left = std::find_if(named_draws_.begin(), named_draws_.end(), [](const NamedDraw& d) { return !d.taken; });
  Status result;
  if (left != named_draws_.end())
    result = Error::internal(fmt::format("a write job named the sequence {}/{} when queued and did not draw it",
                                         left->key->type, left->key->id));
  named_draws_.clear();
  return result;
}

Status SqlTx::insert_event(const events::Event& e) {
  static const std::string sql = insert_text("events", kEventColumns);
  return execute(db_, sql, event_params(e), "storing an event");
}

Status SqlTx::insert_delivery(const events::Delivery& d) {
  static const std::string sql = insert_text("deliveries", kDeliveryColumns);
  return execute(db_, sql, delivery_params(d), "storing a delivery");
}

Result<std::optional<events::Delivery>> SqlTx::find_delivery(std::string_view id) {
  static const std::string sql = select_by_id_text("deliveries", kDeliveryColumns);
  return find_by_id<events::Delivery>(db_, sql, id, "reading a delivery", delivery_from_row);
}

namespace {

constexpr std::string_view kDeliveryUpdate =
    "UPDATE deliveries SET status = ?2, attempt_count = ?3, next_attempt_ms = ?4, updated_ms = ?5, "
    "lease_until_ms = ?6, last_attempt_ms = ?7, last_error_class = ?8, last_status_code = ?9, "
    "last_error_message = ?10, sending_ms = ?11 WHERE id = ?1";

Params delivery_update_params(const events::Delivery& d) {
  Params p;
  p.add(d.id).add(events::to_string(d.status)).add(int64_t{d.attempt_count}).add(d.next_attempt_ms);
  p.add(d.updated_ms).add(d.lease_until_ms).add(d.last_attempt_ms).add(d.last_error_class);
  p.add(int64_t{d.last_status_code}).add(d.last_error_message).add(d.sending_ms);
  return p;
}

}  // namespace

Status SqlTx::update_delivery(const events::Delivery& d) {
  static const std::string sql(kDeliveryUpdate);
  return execute_on_one(db_, sql, delivery_update_params(d), "delivery", d.id);
}

Result<bool> SqlTx::update_delivery_if_unchanged(const events::Delivery& d, const events::Delivery& as_claimed) {
  static const std::string sql = fmt::format("{} AND status = ?12 AND attempt_count = ?13", kDeliveryUpdate);
  return db_.run_expecting(sql,
                           delivery_update_params(d).add(events::to_string(as_claimed.status))
                               .add(int64_t{as_claimed.attempt_count}),
                           "recording a delivery's attempt", 1);
}

Status SqlTx::insert_attempt(const events::Attempt& a) {
  static const std::string sql = insert_text("attempts", kAttemptColumns);
  if (auto s = execute(db_, sql, attempt_params(a), "storing an attempt"); !s) return s;
  job_attempts_.push_back({a.delivery_id, a.started_ms, a.duration_ms, a.error_class == "none"});
  return {};
}

Result<bool> SqlTx::attempt_stored(std::string_view attempt_id) {
  // The id alone: the whole row carries the request and response bodies.
  static const std::string sql = select_by_id_text("attempts", "id");
  auto found = find_by_id<std::string>(db_, sql, attempt_id, "reading an attempt",
                                       [](const Row& row) { return row.text(0); });
  if (!found) return std::move(found).error();
  return found->has_value();
}

void SqlTx::end_job(bool kept) {
  if (kept) batch_attempts_.insert(batch_attempts_.end(), job_attempts_.begin(), job_attempts_.end());
  job_attempts_.clear();
}

Status SqlTx::record_batch_stats() {
  auto attempts = std::move(batch_attempts_);
  batch_attempts_.clear();
  if (attempts.empty()) return {};
  return stats::record_attempts(db_, std::move(attempts), stats_shard_);
}

Result<int> SqlTx::retry_failed(std::string_view endpoint_id, int64_t since_ms, int64_t now_ms) {
  auto changed = db_.run(
      "UPDATE deliveries SET status = 'pending', next_attempt_ms = ?1, updated_ms = ?1, lease_until_ms = 0 "
      "WHERE endpoint_id = ?2 AND status = 'failed' AND created_ms >= ?3",
      Params{}.add(now_ms).add(endpoint_id).add(since_ms), "retrying failed deliveries");
  if (!changed) return std::move(changed).error();
  return static_cast<int>(*changed);
}

Status SqlTx::release_leases(const std::vector<std::string>& delivery_ids) {
  return execute(db_,
                 fmt::format("UPDATE deliveries SET lease_until_ms = 0 WHERE {}", db_.dialect().in_text_list("id", 1)),
                 Params{}.add_list(delivery_ids), "releasing leases");
}

// Only deliveries still open whose last recorded attempt is older than the send: written after the
// send's own record (a fast answer), the mark would outlive it.
Status SqlTx::mark_sending(const std::vector<std::string>& delivery_ids, int64_t sent_ms) {
  return execute(db_,
                 fmt::format("UPDATE deliveries SET sending_ms = ?1 WHERE {} AND {} AND last_attempt_ms < ?1",
                             db_.dialect().in_text_list("id", 2), kStillOpen),
                 Params{}.add(sent_ms).add_list(delivery_ids), "marking deliveries sent");
}

Status SqlTx::release_all_leases() {
  return execute(db_, "UPDATE deliveries SET lease_until_ms = 0 WHERE lease_until_ms <> 0", {},
                 "releasing every lease");
}

Status SqlTx::renew_leases(const std::vector<std::string>& delivery_ids, int64_t now_ms, int64_t lease_until_ms) {
  return execute(db_,
                 fmt::format("UPDATE deliveries SET lease_until_ms = ?1 WHERE {} AND lease_until_ms > ?3 AND {}",
                             db_.dialect().in_text_list("id", 2), kStillOpen),
                 Params{}.add(lease_until_ms).add_list(delivery_ids).add(now_ms), "renewing leases");
}

Status SqlTx::insert_endpoint(const events::Endpoint& ep) {
  cache_.reset();
  static const std::string sql = insert_text("endpoints", kEndpointColumns);
  return execute(db_, sql, endpoint_params(ep), "storing an endpoint");
}

Status SqlTx::update_endpoint(const events::Endpoint& ep) {
  cache_.reset();
  return execute_on_one(db_,
                        "UPDATE endpoints SET url = ?2, description = ?3, event_types = ?4, categories = ?5, "
                        "secret = ?6, metadata = ?7, enabled = ?8, created_ms = ?9, updated_ms = ?10, ordering = ?11, "
                        "retry_schedule = ?12, rate_limit = ?13, max_in_flight = ?14, previous_secret = ?15, "
                        "previous_secret_expires_ms = ?16, disabled_reason = ?17, disabled_ms = ?18, "
                        "failing_since_ms = ?19, profile = ?20, profile_settings = ?21 WHERE id = ?1",
                        endpoint_params(ep), "endpoint", ep.id);
}

Status SqlTx::delete_endpoint(std::string_view id, int64_t now_ms) {
  cache_.reset();
  if (auto s = execute_on_one(db_, "DELETE FROM endpoints WHERE id = ?1", Params{}.add(id), "endpoint", id); !s)
    return s;
  if (auto s = stats::forget_endpoint(db_, id); !s) return s;
  return execute(db_,
                 "UPDATE deliveries SET status = 'cancelled', updated_ms = ?1 WHERE endpoint_id = ?2 "
                 "AND status IN ('pending', 'retrying')",
                 Params{}.add(now_ms).add(id), "cancelling the deleted endpoint's deliveries");
}

Result<std::optional<events::Endpoint>> SqlTx::find_endpoint(std::string_view id) {
  // An enabled endpoint comes from the snapshot of them (read once per batch at most, dropped by any
  // change to an endpoint): recording an attempt asks for its endpoint every time, a round trip each on
  // PostgreSQL.
  auto enabled = enabled_endpoints();
  if (!enabled) return std::move(enabled).error();
  const auto& list = **enabled;
  const auto it = std::lower_bound(list.begin(), list.end(), id,
                                   [](const events::Endpoint& ep, std::string_view key) { return ep.id < key; });
  if (it != list.end() && it->id == id) return std::optional<events::Endpoint>(*it);
  static const std::string sql = select_by_id_text("endpoints", kEndpointColumns);
  return find_by_id<events::Endpoint>(db_, sql, id, "reading an endpoint", endpoint_from_row);
}

Result<EndpointSnapshot> SqlTx::enabled_endpoints() {
  if (cache_) return cache_;
  auto list = select_all<events::Endpoint>(
      db_, fmt::format("SELECT {} FROM endpoints WHERE enabled = 1 ORDER BY id", kEndpointColumns), {},
      "reading endpoints", endpoint_from_row);
  if (!list) return std::move(list).error();
  cache_ = std::make_shared<const std::vector<events::Endpoint>>(std::move(*list));
  return cache_;
}

Status SqlTx::insert_idempotency(const IdempotencyRecord& r) {
  // An expired record of the key is replaced; a live one is left alone and nothing changes.
  static const std::string sql = insert_text("idempotency_keys", kIdempotencyColumns) +
                                 " ON CONFLICT (scope, key) DO UPDATE "
                                 "SET request_hash = excluded.request_hash, status = excluded.status, "
                                 "response_body = excluded.response_body, created_ms = excluded.created_ms "
                                 "WHERE idempotency_keys.created_ms <= ?7";
  auto changed = db_.run(sql, idempotency_params(r).add(r.created_ms - kIdempotencyKeyTtlMs),
                         "recording an idempotency key");
  if (!changed) return std::move(changed).error();
  if (*changed == 0)
    return Error::conflict("idempotency_key_in_use", "this Idempotency-Key was used by another request",
                           "Idempotency-Key");
  return {};
}

Result<PruneCounts> SqlTx::prune(int64_t before_ms, int64_t keys_before_ms, int limit) {
  PruneCounts out;
  TextList ids;
  auto found = db_.run(prunable_events_query(), Params{}.add(before_ms).add(int64_t{limit}),
                       "finding events past retention", [&ids](const Row& row) { ids.push_back(row.text(0)); });
  if (!found) return std::move(found).error();
  if (!ids.empty()) {
    const auto& dialect = db_.dialect();
    auto attempts = db_.run(fmt::format("DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE {})",
                                        dialect.in_text_list("event_id", 1)),
                            Params{}.add_list(ids), "pruning attempts");
    if (!attempts) return std::move(attempts).error();
    auto deliveries = db_.run(fmt::format("DELETE FROM deliveries WHERE {}", dialect.in_text_list("event_id", 1)),
                              Params{}.add_list(ids), "pruning deliveries");
    if (!deliveries) return std::move(deliveries).error();
    auto events = db_.run(fmt::format("DELETE FROM events WHERE {}", dialect.in_text_list("id", 1)),
                          Params{}.add_list(ids), "pruning events");
    if (!events) return std::move(events).error();
    out.events = *events;
    out.deliveries = *deliveries;
    out.attempts = *attempts;
  }
  auto keys = db_.run(
      "DELETE FROM idempotency_keys WHERE (scope, key) IN "
      "(SELECT scope, key FROM idempotency_keys WHERE created_ms < ?1 LIMIT ?2)",
      Params{}.add(keys_before_ms).add(int64_t{limit}), "pruning idempotency keys");
  if (!keys) return std::move(keys).error();
  out.idempotency_keys = *keys;
  return out;
}

Status SqlTx::insert_api_key(const ApiKeyRecord& r) { return insert_api_key(r, ""); }

Status SqlTx::insert_api_key(const ApiKeyRecord& r, std::string_view prefix) {
  static const std::string sql = insert_text("api_keys", fmt::format("{}, prefix", kApiKeyColumns));
  return execute(db_, sql, api_key_params(r).add(prefix), "storing an api key");
}

Status SqlTx::revoke_api_key(std::string_view id, int64_t now_ms) {
  // Every live key, locked (PostgreSQL; SQLite has one writer): a second revocation waits for this one
  // and then no longer sees the key it revoked among the live ones.
  auto live = select_all<std::string>(
      db_, fmt::format("SELECT id FROM api_keys WHERE revoked_ms IS NULL{}", db_.dialect().lock_for_update), {},
      "reading the live api keys", first_text);
  if (!live) return std::move(live).error();
  if (std::find(live->begin(), live->end(), id) == live->end())
    return Error::not_found("api_key_not_found", fmt::format("no API key has id '{}'", id));
  if (live->size() == 1)
    return Error::conflict("last_api_key",
                           "this is the only API key left; create another first (POST /v1/api-keys), then revoke this "
                           "one, so that the API always has a key that works");
  return execute(db_, "UPDATE api_keys SET revoked_ms = ?2 WHERE id = ?1", Params{}.add(id).add(now_ms),
                 "revoking an api key");
}

Status SqlTx::note_api_key_used(std::string_view id, int64_t used_ms) {
  return execute(db_,
                 "UPDATE api_keys SET last_used_ms = ?2 WHERE id = ?1 AND (last_used_ms IS NULL OR last_used_ms < ?2)",
                 Params{}.add(id).add(used_ms), "recording an api key's last use");
}

Status SqlTx::insert_dashboard_session(const DashboardSessionRecord& r, size_t max_live) {
  if (auto st = execute(db_, "DELETE FROM dashboard_sessions WHERE expires_ms <= ?1", Params{}.add(r.created_ms),
                        "deleting expired dashboard sessions");
      !st)
    return st;
  auto live = select_one<int64_t>(db_, "SELECT COUNT(*) FROM dashboard_sessions", {}, "counting dashboard sessions",
                                  [](const Row& row) { return row.integer(0); });
  if (!live) return std::move(live).error();
  const int64_t over = live->value_or(0) - static_cast<int64_t>(max_live) + 1;
  if (over > 0) {
    if (auto st = execute(db_,
                          "DELETE FROM dashboard_sessions WHERE token_hash IN "
                          "(SELECT token_hash FROM dashboard_sessions ORDER BY expires_ms, token_hash LIMIT ?1)",
                          Params{}.add(over), "making room for a dashboard session");
        !st)
      return st;
  }
  static const std::string sql = insert_text("dashboard_sessions", kDashboardSessionColumns);
  return execute(db_, sql, dashboard_session_params(r), "storing a dashboard session");
}

Status SqlTx::delete_dashboard_session(std::string_view token_hash) {
  return execute(db_, "DELETE FROM dashboard_sessions WHERE token_hash = ?1", Params{}.add(token_hash),
                 "ending a dashboard session");
}

Status SqlTx::insert_document(const DocumentRecord& r) {
  static const std::string sql = insert_text("documents", kDocumentColumns);
  return execute(db_, sql, document_params(r), fmt::format("storing a {}", r.kind));
}

Status SqlTx::update_document(const DocumentRecord& r) {
  Params p;
  p.add(r.kind).add(r.id).add(r.customer_id).add(r.parent_id).add(r.status).add(r.body).add_optional(r.wake_at);
  return execute_on_one(db_,
                        "UPDATE documents SET customer_id = ?3, parent_id = ?4, status = ?5, body = ?6, wake_at = ?7 "
                        "WHERE kind = ?1 AND id = ?2",
                        p, r.kind, r.id);
}

Result<std::optional<DocumentRecord>> SqlTx::find_document(std::string_view kind, std::string_view id) {
  return sql::find_document(db_, kind, id);
}

Result<std::vector<DocumentRecord>> SqlTx::find_documents(const DocumentFilter& f) {
  return sql::find_documents(db_, f);
}

Result<bool> SqlTx::claim_once(std::string_view key, std::string_view owner_id, int64_t now_ms) {
  auto changed = db_.run(
      "INSERT INTO claimed_keys (key, owner_id, created_ms) VALUES (?1, ?2, ?3) ON CONFLICT (key) DO NOTHING",
      Params{}.add(key).add(owner_id).add(now_ms), "claiming a key");
  if (!changed) return std::move(changed).error();
  return *changed > 0;
}

Result<std::optional<UsageEventRecord>> SqlTx::insert_usage_event(const UsageEventRecord& record) {
  return usage::insert_event(db_, record);
}

Result<std::optional<UsageAggregateRecord>> SqlTx::find_usage_aggregate(std::string_view subscription_id,
                                                                        std::string_view code, int64_t period_start,
                                                                        bool hold) {
  return usage::find_aggregate(db_, subscription_id, code, period_start, hold);
}

Status SqlTx::put_usage_aggregate(const UsageAggregateRecord& record) { return usage::put_aggregate(db_, record); }

Result<std::vector<UsageEventRecord>> SqlTx::list_usage_events(std::string_view subscription_id, std::string_view code,
                                                               int64_t period_start, int64_t period_end) {
  return usage::list_billed_events(db_, subscription_id, code, period_start, period_end);
}

Result<bool> SqlTx::add_usage_value(std::string_view subscription_id, std::string_view code, int64_t scope,
                                    std::string_view value) {
  return usage::add_value(db_, subscription_id, code, scope, value);
}

Result<std::optional<std::string>> SqlTx::find_usage_address(std::string_view external_id) {
  return usage::find_address(db_, external_id);
}

Status SqlTx::set_usage_address(std::string_view external_id, std::string_view subscription_id) {
  return usage::set_address(db_, external_id, subscription_id);
}

Result<std::vector<UsageEventRecord>> SqlTx::take_unreported_usage_errors(int limit) {
  return usage::take_unreported_errors(db_, limit);
}

}  // namespace billhook::store::sql
