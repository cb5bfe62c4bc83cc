#include "store/postgres/pg_store.hpp"

#include <poll.h>

#include <algorithm>
#include <exception>
#include <variant>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <libpq-fe.h>

#include "core/log.hpp"
#include "store/postgres/pg_migrations.hpp"

namespace billhook::store::postgres {
namespace {

using core::Error;
using core::Result;
using core::Status;

// The channel on which a commit that made work due tells every node (this one too).
constexpr const char* kWorkChannel = "billhook_work";
// The advisory lock whose holder runs the time-driven jobs.
constexpr int64_t kTimeLeadLock = 0x62686b74696d65;  // "bhktime"

constexpr const char* kEventColumns =
    "id, type, created_ms, aggregate_type, aggregate_id, sequence, data, request_id, idempotency_key";
constexpr const char* kEndpointColumns =
    "id, url, description, event_types, categories, secret, metadata, enabled, created_ms, updated_ms, ordering, "
    "retry_schedule, rate_limit, max_in_flight, previous_secret, previous_secret_expires_ms, disabled_reason, "
    "disabled_ms, failing_since_ms, profile, profile_settings";
constexpr const char* kDeliveryColumns =
    "id, event_id, endpoint_id, event_type, status, attempt_count, next_attempt_ms, created_ms, updated_ms, "
    "aggregate_key, sequence, lease_until_ms, last_attempt_ms, last_error_class, last_status_code, last_error_message";
constexpr const char* kAttemptColumns =
    "id, delivery_id, number, started_ms, duration_ms, status_code, error_class, error_message, response_headers, "
    "response_body, next_attempt_ms";
constexpr const char* kCustomerColumns = "id, created_ms, body";
constexpr const char* kPaymentMethodColumns = "id, customer_id, created_ms, body";
constexpr const char* kInvoiceColumns =
    "id, customer_id, status, number, due_date, next_payment_attempt, created_ms, body, wake_at";
constexpr const char* kPaymentColumns = "id, invoice_id, created_ms, body";
constexpr const char* kDocumentColumns = "kind, id, customer_id, parent_id, status, created_ms, body, wake_at";

std::string to_json_array(const std::vector<std::string>& items) {
  boost::json::array array;
  for (const auto& item : items) array.emplace_back(item);
  return boost::json::serialize(array);
}

std::string to_json_array(const std::vector<int64_t>& items) {
  boost::json::array array;
  for (auto item : items) array.emplace_back(item);
  return boost::json::serialize(array);
}

std::vector<int64_t> int_array_from_json(const std::string& text) {
  std::vector<int64_t> out;
  boost::system::error_code ec;
  const auto value = boost::json::parse(text, ec);
  if (ec || !value.is_array()) return out;
  for (const auto& item : value.get_array())
    if (item.is_int64()) out.push_back(item.get_int64());
  return out;
}

std::vector<std::string> from_json_array(const std::string& text) {
  std::vector<std::string> out;
  boost::system::error_code ec;
  const auto value = boost::json::parse(text, ec);
  if (ec || !value.is_array()) return out;
  for (const auto& item : value.get_array())
    if (item.is_string()) out.emplace_back(item.get_string());
  return out;
}

events::Event event_from_row(const Rows& r, int i) {
  events::Event e;
  e.id = r.text(i, 0);
  e.type = r.text(i, 1);
  e.created_ms = r.integer(i, 2);
  if (!r.is_null(i, 3)) e.aggregate = events::Aggregate{r.text(i, 3), r.text(i, 4), r.integer(i, 5)};
  e.data_json = r.text(i, 6);
  e.request_id = r.text(i, 7);
  e.idempotency_key = r.text(i, 8);
  return e;
}

events::Endpoint endpoint_from_row(const Rows& r, int i) {
  events::Endpoint ep;
  ep.id = r.text(i, 0);
  ep.url = r.text(i, 1);
  ep.description = r.text(i, 2);
  ep.event_types = from_json_array(r.text(i, 3));
  ep.categories = from_json_array(r.text(i, 4));
  ep.secret = r.text(i, 5);
  ep.metadata_json = r.text(i, 6);
  ep.enabled = r.integer(i, 7) != 0;
  ep.created_ms = r.integer(i, 8);
  ep.updated_ms = r.integer(i, 9);
  ep.ordered = r.text(i, 10) != "none";
  ep.retry_schedule_s = int_array_from_json(r.text(i, 11));
  ep.rate_limit_per_second = static_cast<int>(r.integer(i, 12));
  ep.max_in_flight = static_cast<int>(r.integer(i, 13));
  ep.previous_secret = r.text(i, 14);
  ep.previous_secret_expires_ms = r.integer(i, 15);
  ep.disabled_reason = r.text(i, 16);
  ep.disabled_ms = r.integer(i, 17);
  ep.failing_since_ms = r.integer(i, 18);
  ep.profile = r.text(i, 19);
  ep.profile_settings_json = r.text(i, 20);
  return ep;
}

events::Delivery delivery_from_row(const Rows& r, int i) {
  events::Delivery d;
  d.id = r.text(i, 0);
  d.event_id = r.text(i, 1);
  d.endpoint_id = r.text(i, 2);
  d.event_type = r.text(i, 3);
  d.status = events::parse_delivery_status(r.text(i, 4)).value_or(events::DeliveryStatus::pending);
  d.attempt_count = static_cast<int>(r.integer(i, 5));
  d.next_attempt_ms = r.integer(i, 6);
  d.created_ms = r.integer(i, 7);
  d.updated_ms = r.integer(i, 8);
  d.aggregate_key = r.text(i, 9);
  d.sequence = r.integer(i, 10);
  d.lease_until_ms = r.integer(i, 11);
  d.last_attempt_ms = r.integer(i, 12);
  d.last_error_class = r.text(i, 13);
  d.last_status_code = static_cast<int>(r.integer(i, 14));
  d.last_error_message = r.text(i, 15);
  return d;
}

events::Attempt attempt_from_row(const Rows& r, int i) {
  events::Attempt a;
  a.id = r.text(i, 0);
  a.delivery_id = r.text(i, 1);
  a.number = static_cast<int>(r.integer(i, 2));
  a.started_ms = r.integer(i, 3);
  a.duration_ms = r.integer(i, 4);
  a.status_code = static_cast<int>(r.integer(i, 5));
  a.error_class = r.text(i, 6);
  a.error_message = r.text(i, 7);
  a.response_headers_json = r.text(i, 8);
  a.response_body = r.text(i, 9);
  a.next_attempt_ms = r.integer(i, 10);
  return a;
}

CustomerRecord customer_from_row(const Rows& r, int i) { return {r.text(i, 0), r.integer(i, 1), r.text(i, 2)}; }

PaymentMethodRecord payment_method_from_row(const Rows& r, int i) {
  return {r.text(i, 0), r.text(i, 1), r.integer(i, 2), r.text(i, 3)};
}

InvoiceRecord invoice_from_row(const Rows& r, int i) {
  InvoiceRecord out;
  out.id = r.text(i, 0);
  out.customer_id = r.text(i, 1);
  out.status = r.text(i, 2);
  if (!r.is_null(i, 3)) out.number = r.text(i, 3);
  out.due_date = r.optional_integer(i, 4);
  out.next_payment_attempt = r.optional_integer(i, 5);
  out.created_ms = r.integer(i, 6);
  out.body = r.text(i, 7);
  out.wake_at = r.optional_integer(i, 8);
  return out;
}

PaymentRecordRow payment_from_row(const Rows& r, int i) {
  return {r.text(i, 0), r.text(i, 1), r.integer(i, 2), r.text(i, 3)};
}

DocumentRecord document_from_row(const Rows& r, int i) {
  return {r.text(i, 0), r.text(i, 1), r.text(i, 2),    r.text(i, 3),
          r.text(i, 4), r.integer(i, 5), r.text(i, 6), r.optional_integer(i, 7)};
}

std::string id_of(const Rows& r, int i) { return r.text(i, 0); }

template <class T, class FromRow>
std::vector<T> all_rows(const Rows& rows, FromRow from_row) {
  std::vector<T> out;
  out.reserve(static_cast<size_t>(rows.size()));
  for (int i = 0; i < rows.size(); ++i) out.push_back(from_row(rows, i));
  return out;
}

template <class T, class FromRow>
Result<std::vector<T>> select_all(Connection& db, const std::string& sql, const Params& params,
                                  std::string_view context, FromRow from_row) {
  auto rows = db.query(sql, params, context);
  if (!rows) return std::move(rows).error();
  return all_rows<T>(*rows, from_row);
}

// Reads the row of `table` with this id, if there is one.
template <class T, class FromRow>
Result<std::optional<T>> find_by_id(Connection& db, std::string_view columns, std::string_view table,
                                    std::string_view id, FromRow from_row) {
  auto rows = db.query(fmt::format("SELECT {} FROM {} WHERE id = $1", columns, table), Params{}.add(id),
                       fmt::format("reading from {}", table));
  if (!rows) return std::move(rows).error();
  if (rows->size() == 0) return std::optional<T>{};
  return std::optional<T>{from_row(*rows, 0)};
}

Result<std::optional<DocumentRecord>> find_document_in(Connection& db, std::string_view kind, std::string_view id) {
  auto rows = db.query(fmt::format("SELECT {} FROM documents WHERE kind = $1 AND id = $2", kDocumentColumns),
                       Params{}.add(kind).add(id), fmt::format("reading a {}", kind));
  if (!rows) return std::move(rows).error();
  if (rows->size() == 0) return std::optional<DocumentRecord>{};
  return std::optional<DocumentRecord>{document_from_row(*rows, 0)};
}

// Runs an UPDATE and turns "no row had that id" into not_found.
Status run_update(Connection& db, const std::string& sql, const Params& params, std::string_view what,
                  const std::string& id) {
  auto rows = db.query(sql, params, fmt::format("updating a {}", what));
  if (!rows) return std::move(rows).error();
  if (rows->affected() == 0)
    return Error::not_found(fmt::format("{}_not_found", what), fmt::format("no {} has id {}", what, id));
  return {};
}

Status run(Connection& db, const std::string& sql, const Params& params, std::string_view context) {
  auto rows = db.query(sql, params, context);
  if (!rows) return std::move(rows).error();
  return {};
}

// In kDeliveryColumns order: $1 id … $16 last_error_message.
Params delivery_params(const events::Delivery& d) {
  Params p;
  p.add(d.id).add(d.event_id).add(d.endpoint_id).add(d.event_type).add(events::to_string(d.status));
  p.add(int64_t{d.attempt_count}).add(d.next_attempt_ms).add(d.created_ms).add(d.updated_ms);
  p.add_text_or_null(d.aggregate_key).add(d.sequence).add(d.lease_until_ms).add(d.last_attempt_ms);
  p.add(d.last_error_class).add(int64_t{d.last_status_code}).add(d.last_error_message);
  return p;
}

// In kEndpointColumns order: $1 id … $21 profile_settings.
Params endpoint_params(const events::Endpoint& ep) {
  Params p;
  p.add(ep.id).add(ep.url).add(ep.description).add(to_json_array(ep.event_types)).add(to_json_array(ep.categories));
  p.add(ep.secret).add(ep.metadata_json).add(int64_t{ep.enabled ? 1 : 0}).add(ep.created_ms).add(ep.updated_ms);
  p.add(ep.ordered ? "aggregate" : "none").add(to_json_array(ep.retry_schedule_s));
  p.add(int64_t{ep.rate_limit_per_second}).add(int64_t{ep.max_in_flight}).add(ep.previous_secret);
  p.add(ep.previous_secret_expires_ms).add(ep.disabled_reason).add(ep.disabled_ms).add(ep.failing_since_ms);
  p.add(ep.profile).add(ep.profile_settings_json);
  return p;
}

// In kInvoiceColumns order.
Params invoice_params(const InvoiceRecord& r) {
  Params p;
  p.add(r.id).add(r.customer_id).add(r.status);
  if (r.number) p.add(*r.number);
  else p.add_null();
  p.add_optional(r.due_date).add_optional(r.next_payment_attempt).add(r.created_ms).add(r.body).add_optional(r.wake_at);
  return p;
}

// In kDocumentColumns order.
Params document_params(const DocumentRecord& r) {
  Params p;
  p.add(r.kind).add(r.id).add(r.customer_id).add(r.parent_id).add(r.status).add(r.created_ms).add(r.body);
  p.add_optional(r.wake_at);
  return p;
}

// A filter of a list query: SQL conditions joined by AND, each with one `?` for its parameter,
// numbered $1, $2, … when the query is built.
using SqlParam = std::variant<std::string, int64_t>;
struct Filter {
  std::vector<std::string> conditions;
  std::vector<SqlParam> params;
  void add(std::string condition, SqlParam param) {
    conditions.push_back(std::move(condition));
    params.push_back(std::move(param));
  }

  // " WHERE a = $1 AND b = $2", with the parameters added to `out`.
  std::string where(Params& out) const {
    std::string sql;
    for (size_t i = 0; i < conditions.size(); ++i) {
      sql += i == 0 ? " WHERE " : " AND ";
      std::string condition = conditions[i];
      condition.replace(condition.find('?'), 1, fmt::format("${}", out.values().size() + 1));
      sql += condition;
      std::visit([&](const auto& v) { out.add(v); }, params[i]);
    }
    return sql;
  }
};

Filter document_filter(const DocumentFilter& f) {
  Filter filter;
  filter.add("kind = ?", f.kind);
  if (!f.customer_id.empty()) filter.add("customer_id = ?", f.customer_id);
  if (!f.parent_id.empty()) filter.add("parent_id = ?", f.parent_id);
  if (!f.status.empty()) filter.add("status = ?", f.status);
  return filter;
}

// A cursor-paginated SELECT over `id` order, newest first. Asks for one row more than the limit
// to learn whether there is another page.
template <class T, class FromRow>
Result<Page<T>> select_page(Connection& db, std::string_view columns, std::string_view table, Filter filter,
                            const PageRequest& page, FromRow from_row) {
  bool backwards = false;
  if (!page.starting_after.empty()) {
    filter.add("id < ?", page.starting_after);
  } else if (!page.ending_before.empty()) {
    filter.add("id > ?", page.ending_before);
    backwards = true;
  }
  Params params;
  std::string sql = fmt::format("SELECT {} FROM {}", columns, table) + filter.where(params);
  sql += fmt::format(" ORDER BY id {} LIMIT ${}", backwards ? "ASC" : "DESC", params.values().size() + 1);
  params.add(int64_t{page.limit} + 1);
  auto rows = db.query(sql, params, fmt::format("listing {}", table));
  if (!rows) return std::move(rows).error();
  Page<T> out;
  out.items = all_rows<T>(*rows, from_row);
  if (out.items.size() > static_cast<size_t>(page.limit)) {
    out.items.pop_back();
    out.has_more = true;
  }
  if (backwards) std::reverse(out.items.begin(), out.items.end());
  return out;
}

// "d.a, d.b, …" from "a, b, …".
std::string prefixed_columns(std::string_view prefix, std::string_view columns) {
  std::string out;
  size_t start = 0;
  while (start < columns.size()) {
    size_t comma = columns.find(',', start);
    if (comma == std::string_view::npos) comma = columns.size();
    auto name = columns.substr(start, comma - start);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    if (!out.empty()) out += ", ";
    out.append(prefix).append(name);
    start = comma + 1;
  }
  return out;
}

}  // namespace

// The WriteTx of one job, running inside the writer's open transaction.
class PostgresStore::Tx final : public WriteTx {
 public:
  explicit Tx(Connection& db) : db_(db) {}

  // Whether a job of this batch called notify_work (reset per job).
  bool work_noted = false;
  // The enabled endpoints, read once per batch: other nodes change endpoints too, so nothing is
  // cached across transactions. Reset when a job changes or rolls back endpoint changes.
  EndpointSnapshot cache;

  Result<int64_t> next_sequence(std::string_view aggregate_type, std::string_view aggregate_id) override {
    // The row lock taken here is held until commit, so two nodes never hand out the same number.
    auto rows = db_.query(
        "INSERT INTO aggregate_sequences (type, id, last_sequence) VALUES ($1, $2, 1) "
        "ON CONFLICT (type, id) DO UPDATE SET last_sequence = aggregate_sequences.last_sequence + 1 "
        "RETURNING last_sequence",
        Params{}.add(aggregate_type).add(aggregate_id), "assigning an aggregate sequence");
    if (!rows) return std::move(rows).error();
    return rows->integer(0, 0);
  }

  Status insert_event(const events::Event& e) override {
    Params p;
    p.add(e.id).add(e.type).add(e.created_ms);
    if (e.aggregate) p.add(e.aggregate->type).add(e.aggregate->id).add(e.aggregate->sequence);
    else p.add_null().add_null().add_null();
    p.add(e.data_json).add_text_or_null(e.request_id).add_text_or_null(e.idempotency_key);
    return run(db_, fmt::format("INSERT INTO events ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", kEventColumns),
               p, "storing an event");
  }

  Status insert_delivery(const events::Delivery& d) override {
    return run(db_,
               fmt::format("INSERT INTO deliveries ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
                           "$13, $14, $15, $16)",
                           kDeliveryColumns),
               delivery_params(d), "storing a delivery");
  }

  Result<std::vector<events::Delivery>> claim_due(int64_t now_ms, int64_t lease_until_ms, size_t limit,
                                                  const std::vector<std::string>& skip_endpoints,
                                                  const std::vector<std::string>& skip_deliveries) override {
    // Per enabled endpoint, its due deliveries in claim order through the (endpoint_id, next_attempt_ms,
    // id) index, up to the limit; then the earliest of those across endpoints. A large backlog or a
    // skipped endpoint does not make a claim slower. SKIP LOCKED: rows another node is claiming right
    // now are left to it rather than waited for. The order rule reads committed state, so a later
    // delivery of an aggregate becomes claimable only once the earlier one is settled and committed,
    // by whichever node sent it.
    auto rows = db_.query(
        fmt::format(
            "WITH due AS ("
            " SELECT c.id FROM endpoints e CROSS JOIN LATERAL ("
            "  SELECT d.id, d.next_attempt_ms FROM deliveries d"
            "  WHERE d.endpoint_id = e.id AND d.status IN ('pending', 'retrying') AND d.next_attempt_ms <= $1"
            "  AND d.lease_until_ms <= $1 AND NOT (d.id = ANY($3::text[]))"
            "  AND (e.ordering = 'none' OR d.aggregate_key IS NULL"
            "       OR NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.endpoint_id = e.id"
            "                      AND p.aggregate_key = d.aggregate_key AND p.status IN ('pending', 'retrying')"
            "                      AND p.sequence < d.sequence))"
            "  ORDER BY d.next_attempt_ms, d.id LIMIT $4 FOR UPDATE OF d SKIP LOCKED) c"
            " WHERE e.enabled = 1 AND NOT (e.id = ANY($2::text[]))"
            " ORDER BY c.next_attempt_ms, c.id LIMIT $4)"
            " UPDATE deliveries d SET lease_until_ms = $5 FROM due WHERE d.id = due.id RETURNING {}",
            prefixed_columns("d.", kDeliveryColumns)),
        Params{}
            .add(now_ms)
            .add_text_array(skip_endpoints)
            .add_text_array(skip_deliveries)
            .add(static_cast<int64_t>(limit))
            .add(lease_until_ms),
        "claiming due deliveries");
    if (!rows) return std::move(rows).error();
    auto claimed = all_rows<events::Delivery>(*rows, delivery_from_row);
    // RETURNING keeps no order: earliest due first, as promised.
    std::sort(claimed.begin(), claimed.end(), [](const events::Delivery& a, const events::Delivery& b) {
      return std::tie(a.next_attempt_ms, a.id) < std::tie(b.next_attempt_ms, b.id);
    });
    return claimed;
  }

  Result<std::optional<events::Delivery>> find_delivery(std::string_view id) override {
    return find_by_id<events::Delivery>(db_, kDeliveryColumns, "deliveries", id, delivery_from_row);
  }

  Status update_delivery(const events::Delivery& d) override {
    Params p;
    p.add(d.id).add(events::to_string(d.status)).add(int64_t{d.attempt_count}).add(d.next_attempt_ms);
    p.add(d.updated_ms).add(d.lease_until_ms).add(d.last_attempt_ms).add(d.last_error_class);
    p.add(int64_t{d.last_status_code}).add(d.last_error_message);
    return run_update(db_,
                      "UPDATE deliveries SET status = $2, attempt_count = $3, next_attempt_ms = $4, updated_ms = $5, "
                      "lease_until_ms = $6, last_attempt_ms = $7, last_error_class = $8, last_status_code = $9, "
                      "last_error_message = $10 WHERE id = $1",
                      p, "delivery", d.id);
  }

  Status insert_attempt(const events::Attempt& a) override {
    Params p;
    p.add(a.id).add(a.delivery_id).add(int64_t{a.number}).add(a.started_ms).add(a.duration_ms);
    p.add(int64_t{a.status_code}).add(a.error_class).add(a.error_message).add(a.response_headers_json);
    p.add(a.response_body).add(a.next_attempt_ms);
    return run(db_,
               fmt::format("INSERT INTO attempts ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                           kAttemptColumns),
               p, "storing an attempt");
  }

  Result<int> retry_failed(std::string_view endpoint_id, int64_t since_ms, int64_t now_ms) override {
    auto rows = db_.query(
        "UPDATE deliveries SET status = 'pending', next_attempt_ms = $1, updated_ms = $1, lease_until_ms = 0 "
        "WHERE endpoint_id = $2 AND status = 'failed' AND created_ms >= $3",
        Params{}.add(now_ms).add(endpoint_id).add(since_ms), "retrying failed deliveries");
    if (!rows) return std::move(rows).error();
    return static_cast<int>(rows->affected());
  }

  Status release_leases(const std::vector<std::string>& delivery_ids) override {
    return run(db_, "UPDATE deliveries SET lease_until_ms = 0 WHERE id = ANY($1::text[])",
               Params{}.add_text_array(delivery_ids), "releasing leases");
  }

  Status release_all_leases() override {
    return db_.exec("UPDATE deliveries SET lease_until_ms = 0 WHERE lease_until_ms <> 0", "releasing every lease");
  }

  Status renew_leases(const std::vector<std::string>& delivery_ids, int64_t now_ms, int64_t lease_until_ms) override {
    return run(db_,
               "UPDATE deliveries SET lease_until_ms = $1 WHERE id = ANY($2::text[]) AND lease_until_ms > $3 "
               "AND status IN ('pending', 'retrying')",
               Params{}.add(lease_until_ms).add_text_array(delivery_ids).add(now_ms), "renewing leases");
  }

  void notify_work() override { work_noted = true; }

  Status insert_endpoint(const events::Endpoint& ep) override {
    cache.reset();
    return run(db_,
               fmt::format("INSERT INTO endpoints ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
                           "$14, $15, $16, $17, $18, $19, $20, $21)",
                           kEndpointColumns),
               endpoint_params(ep), "storing an endpoint");
  }

  Status update_endpoint(const events::Endpoint& ep) override {
    cache.reset();
    return run_update(db_,
                      "UPDATE endpoints SET url = $2, description = $3, event_types = $4, categories = $5, "
                      "secret = $6, metadata = $7, enabled = $8, created_ms = $9, updated_ms = $10, ordering = $11, "
                      "retry_schedule = $12, rate_limit = $13, max_in_flight = $14, previous_secret = $15, "
                      "previous_secret_expires_ms = $16, disabled_reason = $17, disabled_ms = $18, "
                      "failing_since_ms = $19, profile = $20, profile_settings = $21 WHERE id = $1",
                      endpoint_params(ep), "endpoint", ep.id);
  }

  Status delete_endpoint(std::string_view id, int64_t now_ms) override {
    cache.reset();
    if (auto s = run_update(db_, "DELETE FROM endpoints WHERE id = $1", Params{}.add(id), "endpoint", std::string(id));
        !s)
      return s;
    return run(db_,
               "UPDATE deliveries SET status = 'cancelled', updated_ms = $1 WHERE endpoint_id = $2 "
               "AND status IN ('pending', 'retrying')",
               Params{}.add(now_ms).add(id), "cancelling the deleted endpoint's deliveries");
  }

  Result<std::optional<events::Endpoint>> find_endpoint(std::string_view id) override {
    return find_by_id<events::Endpoint>(db_, kEndpointColumns, "endpoints", id, endpoint_from_row);
  }

  Result<EndpointSnapshot> enabled_endpoints() override {
    if (cache) return cache;
    auto list = select_all<events::Endpoint>(
        db_, fmt::format("SELECT {} FROM endpoints WHERE enabled = 1 ORDER BY id", kEndpointColumns), Params{},
        "reading endpoints", endpoint_from_row);
    if (!list) return std::move(list).error();
    cache = std::make_shared<const std::vector<events::Endpoint>>(std::move(*list));
    return cache;
  }

  Status insert_idempotency(const IdempotencyRecord& r) override {
    auto s = run(db_,
                 "INSERT INTO idempotency_keys (scope, key, request_hash, status, response_body, created_ms) "
                 "VALUES ($1, $2, $3, $4, $5, $6)",
                 Params{}.add(r.scope).add(r.key).add(r.request_hash).add(int64_t{r.status}).add(r.response_body).add(
                     r.created_ms),
                 "recording an idempotency key");
    if (!s && s.error().kind == core::ErrorKind::conflict)
      return Error::conflict("idempotency_key_in_use", "this Idempotency-Key was used by another request",
                             "Idempotency-Key");
    return s;
  }

  Status insert_api_key(const ApiKeyRecord& r) override {
    return run(db_, "INSERT INTO api_keys (id, hash, label, created_ms) VALUES ($1, $2, $3, $4)",
               Params{}.add(r.id).add(r.hash).add(r.label).add(r.created_ms), "storing an api key");
  }

  Status insert_document(const DocumentRecord& r) override {
    return run(db_,
               fmt::format("INSERT INTO documents ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", kDocumentColumns),
               document_params(r), fmt::format("storing a {}", r.kind));
  }

  Status update_document(const DocumentRecord& r) override {
    Params p;
    p.add(r.kind).add(r.id).add(r.customer_id).add(r.parent_id).add(r.status).add(r.body).add_optional(r.wake_at);
    return run_update(db_,
                      "UPDATE documents SET customer_id = $3, parent_id = $4, status = $5, body = $6, wake_at = $7 "
                      "WHERE kind = $1 AND id = $2",
                      p, r.kind, r.id);
  }

  Result<std::optional<DocumentRecord>> find_document(std::string_view kind, std::string_view id) override {
    return find_document_in(db_, kind, id);
  }

  Result<std::vector<DocumentRecord>> find_documents(const DocumentFilter& f) override {
    Params params;
    const std::string sql =
        fmt::format("SELECT {} FROM documents", kDocumentColumns) + document_filter(f).where(params) + " ORDER BY id";
    return select_all<DocumentRecord>(db_, sql, params, fmt::format("reading {} documents", f.kind),
                                      document_from_row);
  }

  Status insert_customer(const CustomerRecord& r) override {
    return run(db_, "INSERT INTO customers (id, created_ms, body) VALUES ($1, $2, $3)",
               Params{}.add(r.id).add(r.created_ms).add(r.body), "storing a customer");
  }

  Status update_customer(const CustomerRecord& r) override {
    return run_update(db_, "UPDATE customers SET body = $2 WHERE id = $1", Params{}.add(r.id).add(r.body), "customer",
                      r.id);
  }

  Result<std::optional<CustomerRecord>> find_customer(std::string_view id) override {
    return find_by_id<CustomerRecord>(db_, kCustomerColumns, "customers", id, customer_from_row);
  }

  Status insert_payment_method(const PaymentMethodRecord& r) override {
    return run(db_, "INSERT INTO payment_methods (id, customer_id, created_ms, body) VALUES ($1, $2, $3, $4)",
               Params{}.add(r.id).add(r.customer_id).add(r.created_ms).add(r.body), "storing a payment method");
  }

  Status update_payment_method(const PaymentMethodRecord& r) override {
    return run_update(db_, "UPDATE payment_methods SET body = $2 WHERE id = $1", Params{}.add(r.id).add(r.body),
                      "payment_method", r.id);
  }

  Result<std::optional<PaymentMethodRecord>> find_payment_method(std::string_view id) override {
    return find_by_id<PaymentMethodRecord>(db_, kPaymentMethodColumns, "payment_methods", id,
                                           payment_method_from_row);
  }

  Result<std::vector<PaymentMethodRecord>> customer_payment_methods(std::string_view customer_id) override {
    return select_all<PaymentMethodRecord>(
        db_, fmt::format("SELECT {} FROM payment_methods WHERE customer_id = $1 ORDER BY id", kPaymentMethodColumns),
        Params{}.add(customer_id), "reading payment methods", payment_method_from_row);
  }

  Status insert_invoice(const InvoiceRecord& r) override {
    return run(db_, fmt::format("INSERT INTO invoices ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", kInvoiceColumns),
               invoice_params(r), "storing an invoice");
  }

  Status update_invoice(const InvoiceRecord& r) override {
    Params p;
    p.add(r.id).add(r.customer_id).add(r.status);
    if (r.number) p.add(*r.number);
    else p.add_null();
    p.add_optional(r.due_date).add_optional(r.next_payment_attempt).add(r.body).add_optional(r.wake_at);
    return run_update(db_,
                      "UPDATE invoices SET customer_id = $2, status = $3, number = $4, due_date = $5, "
                      "next_payment_attempt = $6, body = $7, wake_at = $8 WHERE id = $1",
                      p, "invoice", r.id);
  }

  Result<std::optional<InvoiceRecord>> find_invoice(std::string_view id) override {
    return find_by_id<InvoiceRecord>(db_, kInvoiceColumns, "invoices", id, invoice_from_row);
  }

  Result<std::vector<InvoiceRecord>> open_invoices_of(std::string_view customer_id) override {
    return select_all<InvoiceRecord>(
        db_,
        fmt::format("SELECT {} FROM invoices WHERE customer_id = $1 AND status IN ('open', 'uncollectible') ORDER BY id",
                    kInvoiceColumns),
        Params{}.add(customer_id), "reading a customer's open invoices", invoice_from_row);
  }

  Status insert_payment(const PaymentRecordRow& r) override {
    return run(db_, "INSERT INTO payments (id, invoice_id, created_ms, body) VALUES ($1, $2, $3, $4)",
               Params{}.add(r.id).add(r.invoice_id).add(r.created_ms).add(r.body), "storing a payment");
  }

  Result<int64_t> next_invoice_number(int year) override {
    // As next_sequence: the row stays locked until this transaction ends, so numbers stay gapless
    // and unique with several writers.
    auto rows = db_.query(
        "INSERT INTO invoice_number_sequences (year, last_number) VALUES ($1, 1) ON CONFLICT (year) DO UPDATE "
        "SET last_number = invoice_number_sequences.last_number + 1 RETURNING last_number",
        Params{}.add(int64_t{year}), "assigning an invoice number");
    if (!rows) return std::move(rows).error();
    return rows->integer(0, 0);
  }

  Result<bool> claim_notice(std::string_view key, std::string_view invoice_id, int64_t now_ms) override {
    auto rows = db_.query(
        "INSERT INTO billing_notices (key, invoice_id, created_ms) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING",
        Params{}.add(key).add(invoice_id).add(now_ms), "recording a notice");
    if (!rows) return std::move(rows).error();
    return rows->affected() > 0;
  }

 private:
  Connection& db_;
};

// A read connection borrowed from the pool for one call; a broken one is closed, not returned.
class PostgresStore::ReaderLease {
 public:
  ReaderLease(PostgresStore& store, std::unique_ptr<Connection> c) : store_(&store), connection_(std::move(c)) {}
  ReaderLease(ReaderLease&& other) noexcept = default;
  ~ReaderLease() {
    if (store_ && connection_) store_->release_reader(std::move(connection_));
  }
  Connection& operator*() { return *connection_; }
  Connection* operator->() { return connection_.get(); }

 private:
  PostgresStore* store_;
  std::unique_ptr<Connection> connection_;
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
    : options_(std::move(options)), writer_db_(std::move(writer)) {
  writer_pid_ = PQbackendPID(writer_db_->handle());
  writer_ = std::thread([this] { writer_loop(); });
  if (options_.coordinate) coordinator_ = std::thread([this] { coordinator_loop(); });
}

PostgresStore::~PostgresStore() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  writer_.join();
  coordinator_stopping_ = true;
  if (coordinator_.joinable()) coordinator_.join();
}

void PostgresStore::write(WriteJob job, WriteDone done) { enqueue({std::move(job), std::move(done), true}); }

void PostgresStore::write_relaxed(WriteJob job, WriteDone done) {
  enqueue({std::move(job), std::move(done), false});
}

void PostgresStore::enqueue(QueuedWrite write) {
  {
    std::lock_guard lock(queue_mutex_);
    if (stopping_) {
      write.done(Error::unavailable("the store is shutting down"));
      return;
    }
    queue_.push_back(std::move(write));
  }
  queue_cv_.notify_one();
}

void PostgresStore::writer_loop() {
  std::vector<QueuedWrite> batch;
  for (;;) {
    {
      std::unique_lock lock(queue_mutex_);
      queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued has been committed
      const size_t n = std::min(queue_.size(), options_.max_batch);
      batch.clear();
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    commit_batch(batch);
  }
}

void PostgresStore::commit_batch(std::vector<QueuedWrite>& batch) {
  // A connection lost with the database comes back here, on the next batch after it returns.
  if (writer_db_ && writer_db_->broken()) writer_db_.reset();
  if (!writer_db_) {
    auto reopened = Connection::open(connect_options());
    if (!reopened) {
      for (auto& item : batch) item.done(reopened.error());
      return;
    }
    core::log::info("the store's writer reconnected to the database");
    writer_db_ = std::move(*reopened);
    writer_pid_ = PQbackendPID(writer_db_->handle());
  }
  Connection& db = *writer_db_;
  std::vector<Status> results(batch.size());
  // A batch of relaxed jobs only (claims, lease renewals) does not wait for the WAL flush: lost in a
  // database crash, a lease only lapses sooner.
  const bool durable = std::any_of(batch.begin(), batch.end(), [](const QueuedWrite& w) { return w.durable; });
  // Each job runs inside its own savepoint, so one job's failure undoes only its own changes. The
  // commands between two jobs go in one round trip: the writer is bound by round trips, not by work.
  Status begun = db.exec(durable ? "BEGIN; SAVEPOINT job" : "BEGIN; SET LOCAL synchronous_commit TO OFF; SAVEPOINT job",
                         "starting a write transaction");
  if (!begun) {
    (void)db.exec("ROLLBACK", "rolling back a batch that did not start");
    for (auto& item : batch) item.done(begun);
    return;
  }
  Tx tx(db);
  bool batch_has_work = false;
  Status savepoint;  // whether the savepoint for the next job is open
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!savepoint) {
      results[i] = savepoint;
    } else {
      try {
        results[i] = batch[i].job(tx);
      } catch (const std::exception& e) {
        results[i] = Error::internal(fmt::format("write job threw: {}", e.what()));
      }
      // A job that went on after a failed statement: in PostgreSQL nothing after it took effect, so the
      // job failed (in SQLite the rest of it would have been kept).
      if (results[i].ok() && db.transaction_failed())
        results[i] = Error::internal("a statement of this write job failed and the job ignored it");
    }
    const bool ran = savepoint.ok();
    std::string between;
    if (ran && !results[i].ok()) {
      tx.cache.reset();  // the job may have changed endpoints before failing
      between = "ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job";
    } else if (ran) {
      batch_has_work = batch_has_work || tx.work_noted;
      between = "RELEASE SAVEPOINT job";
    }
    tx.work_noted = false;
    if (i + 1 < batch.size()) between += between.empty() ? "SAVEPOINT job" : "; SAVEPOINT job";
    if (!between.empty()) savepoint = db.exec(between, "between two jobs");
  }
  // The notification is sent by COMMIT, to every node listening (this one too), or not at all.
  Status committed;
  if (batch_has_work)
    committed = run(db, "SELECT pg_notify($1, '')", Params{}.add(kWorkChannel), "announcing new work");
  if (committed) committed = db.commit("committing");
  if (committed) {
    ++commits_;
  } else {
    batch_has_work = false;
    (void)db.exec("ROLLBACK", "rolling back a failed batch");
    // A COMMIT that failed with the connection may or may not have happened; either way no job is
    // told it succeeded, so nothing is answered 2xx that might not be stored.
    core::log::error("group commit failed", {{"jobs", batch.size()}, {"error", committed.error().message}});
    for (auto& r : results)
      if (r.ok()) r = committed;
  }
  for (size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(results[i]));
  if (batch_has_work) call_work_listener();
}

void PostgresStore::call_work_listener() {
  std::lock_guard lock(listener_mutex_);
  if (work_listener_) work_listener_();
}

void PostgresStore::set_work_listener(std::function<void()> listener) {
  std::lock_guard lock(listener_mutex_);
  work_listener_ = std::move(listener);
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
      if (n->be_pid != writer_pid_.load()) work = true;
      PQfreemem(n);
    }
    if (work) call_work_listener();
  }
}

core::Result<PostgresStore::ReaderLease> PostgresStore::acquire_reader() {
  std::unique_lock lock(readers_mutex_);
  for (;;) {
    if (!idle_readers_.empty()) {
      auto c = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return ReaderLease(*this, std::move(c));
    }
    if (open_readers_ < options_.pool_size) {
      ++open_readers_;
      lock.unlock();
      auto c = Connection::open(connect_options());
      if (!c) {
        {
          std::lock_guard relock(readers_mutex_);
          --open_readers_;
        }
        readers_cv_.notify_one();
        return std::move(c).error();
      }
      return ReaderLease(*this, std::move(*c));
    }
    readers_cv_.wait(lock);
  }
}

void PostgresStore::release_reader(std::unique_ptr<Connection> connection) {
  {
    std::lock_guard lock(readers_mutex_);
    if (connection->broken()) --open_readers_;  // closed as it goes out of scope; a new one opens on demand
    else idle_readers_.push_back(std::move(connection));
  }
  readers_cv_.notify_one();
}

Result<std::vector<events::Attempt>> PostgresStore::list_attempts(std::string_view delivery_id) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  return select_all<events::Attempt>(
      **db, fmt::format("SELECT {} FROM attempts WHERE delivery_id = $1 ORDER BY number", kAttemptColumns),
      Params{}.add(delivery_id), "reading attempts", attempt_from_row);
}

Result<std::optional<int64_t>> PostgresStore::next_due_ms() {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  // The earliest of each enabled endpoint's first due entry (the due index is per endpoint), rather
  // than a sort of the whole backlog.
  auto rows = (*db)->query(
      "SELECT MIN(f.next_attempt_ms) FROM endpoints e CROSS JOIN LATERAL ("
      " SELECT d.next_attempt_ms FROM deliveries d WHERE d.endpoint_id = e.id AND d.status IN ('pending', 'retrying')"
      " ORDER BY d.next_attempt_ms LIMIT 1) f WHERE e.enabled = 1",
      "finding the next due delivery");
  if (!rows) return std::move(rows).error();
  if (rows->size() == 0 || rows->is_null(0, 0)) return std::optional<int64_t>{};
  return std::optional<int64_t>{rows->integer(0, 0)};
}

Result<Page<events::Event>> PostgresStore::list_events(const EventQuery& q) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  Filter filter;
  if (!q.type.empty()) filter.add("type = ?", q.type);
  if (!q.aggregate_type.empty()) filter.add("aggregate_type = ?", q.aggregate_type);
  if (!q.aggregate_id.empty()) filter.add("aggregate_id = ?", q.aggregate_id);
  if (q.created_gte_ms) filter.add("created_ms >= ?", *q.created_gte_ms);
  if (q.created_lt_ms) filter.add("created_ms < ?", *q.created_lt_ms);
  return select_page<events::Event>(**db, kEventColumns, "events", std::move(filter), q.page, event_from_row);
}

Result<std::optional<events::Event>> PostgresStore::find_event(std::string_view id) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  return find_by_id<events::Event>(**db, kEventColumns, "events", id, event_from_row);
}

Result<Page<events::Endpoint>> PostgresStore::list_endpoints(const PageRequest& page) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  return select_page<events::Endpoint>(**db, kEndpointColumns, "endpoints", {}, page, endpoint_from_row);
}

Result<std::optional<events::Endpoint>> PostgresStore::find_endpoint(std::string_view id) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  return find_by_id<events::Endpoint>(**db, kEndpointColumns, "endpoints", id, endpoint_from_row);
}

Result<Page<events::Delivery>> PostgresStore::list_deliveries(const DeliveryQuery& q) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  Filter filter;
  if (!q.endpoint_id.empty()) filter.add("endpoint_id = ?", q.endpoint_id);
  if (!q.event_id.empty()) filter.add("event_id = ?", q.event_id);
  if (q.status) filter.add("status = ?", std::string(events::to_string(*q.status)));
  return select_page<events::Delivery>(**db, kDeliveryColumns, "deliveries", std::move(filter), q.page,
                                       delivery_from_row);
}

Result<std::optional<events::Delivery>> PostgresStore::find_delivery(std::string_view id) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  return find_by_id<events::Delivery>(**db, kDeliveryColumns, "deliveries", id, delivery_from_row);
}

Result<std::optional<IdempotencyRecord>> PostgresStore::find_idempotency(std::string_view scope, std::string_view key) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  auto rows = (*db)->query(
      "SELECT scope, key, request_hash, status, response_body, created_ms FROM idempotency_keys "
      "WHERE scope = $1 AND key = $2",
      Params{}.add(scope).add(key), "reading an idempotency key");
  if (!rows) return std::move(rows).error();
  if (rows->size() == 0) return std::optional<IdempotencyRecord>{};
  const Rows& r = *rows;
  return std::optional<IdempotencyRecord>{IdempotencyRecord{r.text(0, 0), r.text(0, 1), r.text(0, 2),
                                                            static_cast<int>(r.integer(0, 3)), r.text(0, 4),
                                                            r.integer(0, 5)}};
}

Result<std::vector<ApiKeyRecord>> PostgresStore::api_keys() {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  return select_all<ApiKeyRecord>(**db, "SELECT id, hash, label, created_ms FROM api_keys ORDER BY id", Params{},
                                  "reading api keys", [](const Rows& r, int i) {
                                    return ApiKeyRecord{r.text(i, 0), r.text(i, 1), r.text(i, 2), r.integer(i, 3)};
                                  });
}

Result<Page<CustomerRecord>> PostgresStore::list_customers(const PageRequest& page) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  return select_page<CustomerRecord>(**db, kCustomerColumns, "customers", {}, page, customer_from_row);
}

Result<std::optional<CustomerRecord>> PostgresStore::find_customer(std::string_view id) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  return find_by_id<CustomerRecord>(**db, kCustomerColumns, "customers", id, customer_from_row);
}

Result<Page<PaymentMethodRecord>> PostgresStore::list_payment_methods(const PaymentMethodQuery& q) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  Filter filter;
  if (!q.customer_id.empty()) filter.add("customer_id = ?", q.customer_id);
  return select_page<PaymentMethodRecord>(**db, kPaymentMethodColumns, "payment_methods", std::move(filter), q.page,
                                          payment_method_from_row);
}

Result<std::optional<PaymentMethodRecord>> PostgresStore::find_payment_method(std::string_view id) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  return find_by_id<PaymentMethodRecord>(**db, kPaymentMethodColumns, "payment_methods", id, payment_method_from_row);
}

Result<Page<InvoiceRecord>> PostgresStore::list_invoices(const InvoiceQuery& q) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  Filter filter;
  if (!q.customer_id.empty()) filter.add("customer_id = ?", q.customer_id);
  if (!q.status.empty()) filter.add("status = ?", q.status);
  return select_page<InvoiceRecord>(**db, kInvoiceColumns, "invoices", std::move(filter), q.page, invoice_from_row);
}

Result<std::optional<InvoiceRecord>> PostgresStore::find_invoice(std::string_view id) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  return find_by_id<InvoiceRecord>(**db, kInvoiceColumns, "invoices", id, invoice_from_row);
}

Result<std::vector<PaymentRecordRow>> PostgresStore::list_payments(std::string_view invoice_id) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  return select_all<PaymentRecordRow>(
      **db, fmt::format("SELECT {} FROM payments WHERE invoice_id = $1 ORDER BY id", kPaymentColumns),
      Params{}.add(invoice_id), "reading payments", payment_from_row);
}

Result<std::vector<std::string>> PostgresStore::invoices_needing_time(int64_t now_s, std::string_view after_id,
                                                                      int limit) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  return select_all<std::string>(**db,
                                 "SELECT id FROM invoices WHERE wake_at IS NOT NULL AND wake_at <= $1 "
                                 "AND status IN ('open', 'uncollectible') AND id > $2 ORDER BY id LIMIT $3",
                                 Params{}.add(now_s).add(after_id).add(int64_t{limit}),
                                 "finding invoices for the scheduler", id_of);
}

Result<std::optional<DocumentRecord>> PostgresStore::find_document(std::string_view kind, std::string_view id) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  return find_document_in(**db, kind, id);
}

Result<Page<DocumentRecord>> PostgresStore::list_documents(const DocumentQuery& q) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  return select_page<DocumentRecord>(**db, kDocumentColumns, "documents", document_filter(q.filter), q.page,
                                     document_from_row);
}

Result<std::vector<std::string>> PostgresStore::documents_needing_time(std::string_view kind, int64_t now_s,
                                                                       std::string_view after_id, int limit) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  return select_all<std::string>(**db,
                                 "SELECT id FROM documents WHERE kind = $1 AND wake_at IS NOT NULL AND wake_at <= $2 "
                                 "AND id > $3 ORDER BY id LIMIT $4",
                                 Params{}.add(kind).add(now_s).add(after_id).add(int64_t{limit}),
                                 fmt::format("finding {} documents for the scheduler", kind), id_of);
}

Result<int64_t> PostgresStore::count_events() {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  auto rows = (*db)->query("SELECT COUNT(*) FROM events", "counting events");
  if (!rows) return std::move(rows).error();
  return rows->integer(0, 0);
}

}  // namespace billhook::store::postgres
