#include "store/sqlite/sqlite_store.hpp"

#include <algorithm>
#include <exception>
#include <tuple>
#include <variant>

#include <boost/json.hpp>
#include <sqlite3.h>
#include <fmt/format.h>

#include "core/log.hpp"
#include "store/sqlite/migrations.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace billhook::store::sqlite {
namespace {

using core::Error;
using core::Result;
using core::Status;

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

events::Event event_from_row(const Statement& row) {
  events::Event e;
  e.id = row.text(0);
  e.type = row.text(1);
  e.created_ms = row.integer(2);
  if (!row.is_null(3)) e.aggregate = events::Aggregate{row.text(3), row.text(4), row.integer(5)};
  e.data_json = row.text(6);
  e.request_id = row.text(7);
  e.idempotency_key = row.text(8);
  return e;
}

events::Endpoint endpoint_from_row(const Statement& row) {
  events::Endpoint ep;
  ep.id = row.text(0);
  ep.url = row.text(1);
  ep.description = row.text(2);
  ep.event_types = from_json_array(row.text(3));
  ep.categories = from_json_array(row.text(4));
  ep.secret = row.text(5);
  ep.metadata_json = row.text(6);
  ep.enabled = row.integer(7) != 0;
  ep.created_ms = row.integer(8);
  ep.updated_ms = row.integer(9);
  ep.ordered = row.text(10) != "none";
  ep.retry_schedule_s = int_array_from_json(row.text(11));
  ep.rate_limit_per_second = static_cast<int>(row.integer(12));
  ep.max_in_flight = static_cast<int>(row.integer(13));
  ep.previous_secret = row.text(14);
  ep.previous_secret_expires_ms = row.integer(15);
  ep.disabled_reason = row.text(16);
  ep.disabled_ms = row.integer(17);
  ep.failing_since_ms = row.integer(18);
  ep.profile = row.text(19);
  ep.profile_settings_json = row.text(20);
  return ep;
}

events::Delivery delivery_from_row(const Statement& row) {
  events::Delivery d;
  d.id = row.text(0);
  d.event_id = row.text(1);
  d.endpoint_id = row.text(2);
  d.event_type = row.text(3);
  d.status = events::parse_delivery_status(row.text(4)).value_or(events::DeliveryStatus::pending);
  d.attempt_count = static_cast<int>(row.integer(5));
  d.next_attempt_ms = row.integer(6);
  d.created_ms = row.integer(7);
  d.updated_ms = row.integer(8);
  d.aggregate_key = row.text(9);
  d.sequence = row.integer(10);
  d.lease_until_ms = row.integer(11);
  d.last_attempt_ms = row.integer(12);
  d.last_error_class = row.text(13);
  d.last_status_code = static_cast<int>(row.integer(14));
  d.last_error_message = row.text(15);
  return d;
}

events::Attempt attempt_from_row(const Statement& row) {
  events::Attempt a;
  a.id = row.text(0);
  a.delivery_id = row.text(1);
  a.number = static_cast<int>(row.integer(2));
  a.started_ms = row.integer(3);
  a.duration_ms = row.integer(4);
  a.status_code = static_cast<int>(row.integer(5));
  a.error_class = row.text(6);
  a.error_message = row.text(7);
  a.response_headers_json = row.text(8);
  a.response_body = row.text(9);
  a.next_attempt_ms = row.integer(10);
  return a;
}

constexpr const char* kCustomerColumns = "id, created_ms, body";
constexpr const char* kPaymentMethodColumns = "id, customer_id, created_ms, body";
constexpr const char* kInvoiceColumns =
    "id, customer_id, status, number, due_date, next_payment_attempt, created_ms, body, wake_at";
constexpr const char* kPaymentColumns = "id, invoice_id, created_ms, body";

CustomerRecord customer_from_row(const Statement& row) { return {row.text(0), row.integer(1), row.text(2)}; }

PaymentMethodRecord payment_method_from_row(const Statement& row) {
  return {row.text(0), row.text(1), row.integer(2), row.text(3)};
}

std::optional<int64_t> optional_integer(const Statement& row, int column) {
  return row.is_null(column) ? std::nullopt : std::optional<int64_t>(row.integer(column));
}

InvoiceRecord invoice_from_row(const Statement& row) {
  InvoiceRecord r;
  r.id = row.text(0);
  r.customer_id = row.text(1);
  r.status = row.text(2);
  if (!row.is_null(3)) r.number = row.text(3);
  r.due_date = optional_integer(row, 4);
  r.next_payment_attempt = optional_integer(row, 5);
  r.created_ms = row.integer(6);
  r.body = row.text(7);
  r.wake_at = optional_integer(row, 8);
  return r;
}

PaymentRecordRow payment_from_row(const Statement& row) { return {row.text(0), row.text(1), row.integer(2), row.text(3)}; }

constexpr const char* kDocumentColumns = "kind, id, customer_id, parent_id, status, created_ms, body, wake_at";

DocumentRecord document_from_row(const Statement& row) {
  return {row.text(0), row.text(1),    row.text(2), row.text(3),
          row.text(4), row.integer(5), row.text(6), optional_integer(row, 7)};
}

void bind_invoice(Statement& stmt, const InvoiceRecord& r) {
  stmt.bind(1, r.id).bind(2, r.customer_id).bind(3, r.status);
  if (r.number) stmt.bind(4, *r.number);
  else stmt.bind_null(4);
  stmt.bind_optional(5, r.due_date).bind_optional(6, r.next_payment_attempt).bind(7, r.created_ms).bind(8, r.body);
  stmt.bind_optional(9, r.wake_at);
}

void bind_document(Statement& stmt, const DocumentRecord& r) {
  stmt.bind(1, r.kind).bind(2, r.id).bind(3, r.customer_id).bind(4, r.parent_id).bind(5, r.status);
  stmt.bind(6, r.created_ms).bind(7, r.body).bind_optional(8, r.wake_at);
}

Result<std::optional<DocumentRecord>> find_document_in(Connection& db, std::string_view kind, std::string_view id) {
  auto stmt = db.prepare(fmt::format("SELECT {} FROM documents WHERE kind = ? AND id = ?", kDocumentColumns));
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, kind).bind(2, id);
  auto row = stmt->step(fmt::format("reading a {}", kind));
  if (!row) return std::move(row).error();
  if (!*row) return std::optional<DocumentRecord>{};
  return std::optional<DocumentRecord>{document_from_row(*stmt)};
}

Status run_prepared(Connection& db, const std::string& sql) {
  auto stmt = db.prepare(sql);
  if (!stmt) return std::move(stmt).error();
  return stmt->run(sql);
}

// Runs an UPDATE and turns "no row had that id" into not_found.
Status run_update(Connection& db, Statement& stmt, std::string_view what, const std::string& id) {
  if (auto s = stmt.run(fmt::format("updating a {}", what)); !s) return s;
  if (sqlite3_changes64(db.handle()) == 0)
    return Error::not_found(fmt::format("{}_not_found", what), fmt::format("no {} has id {}", what, id));
  return {};
}

template <class T, class FromRow>
Result<std::vector<T>> select_all(Statement& stmt, std::string_view context, FromRow from_row) {
  std::vector<T> out;
  for (;;) {
    auto row = stmt.step(context);
    if (!row) return std::move(row).error();
    if (!*row) break;
    out.push_back(from_row(stmt));
  }
  return out;
}

void bind_delivery_state(Statement& stmt, const events::Delivery& d) {
  // ?1 id … ?16 last_error_message, in kDeliveryColumns order.
  stmt.bind(1, d.id).bind(2, d.event_id).bind(3, d.endpoint_id).bind(4, d.event_type);
  stmt.bind(5, events::to_string(d.status)).bind(6, int64_t{d.attempt_count}).bind(7, d.next_attempt_ms);
  stmt.bind(8, d.created_ms).bind(9, d.updated_ms).bind_text_or_null(10, d.aggregate_key).bind(11, d.sequence);
  stmt.bind(12, d.lease_until_ms).bind(13, d.last_attempt_ms).bind(14, d.last_error_class);
  stmt.bind(15, int64_t{d.last_status_code}).bind(16, d.last_error_message);
}

// A filter of a list query: SQL conditions joined by AND, with their parameters in order.
using SqlParam = std::variant<std::string, int64_t>;
struct Filter {
  std::vector<std::string> conditions;
  std::vector<SqlParam> params;
  void add(std::string condition, SqlParam param) {
    conditions.push_back(std::move(condition));
    params.push_back(std::move(param));
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

// Runs a cursor-paginated SELECT over `id` order, newest first. Asks for one row more than
// the limit to learn whether there is another page.
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
  std::string sql = fmt::format("SELECT {} FROM {}", columns, table);
  for (size_t i = 0; i < filter.conditions.size(); ++i) sql += (i == 0 ? " WHERE " : " AND ") + filter.conditions[i];
  sql += backwards ? " ORDER BY id ASC LIMIT ?" : " ORDER BY id DESC LIMIT ?";

  auto stmt = db.prepare(sql);
  if (!stmt) return std::move(stmt).error();
  int index = 1;
  for (const auto& p : filter.params) std::visit([&](const auto& v) { stmt->bind(index++, v); }, p);
  stmt->bind(index, int64_t{page.limit} + 1);
  Page<T> out;
  for (;;) {
    auto row = stmt->step("listing");
    if (!row) return std::move(row).error();
    if (!*row) break;
    out.items.push_back(from_row(*stmt));
  }
  if (out.items.size() > static_cast<size_t>(page.limit)) {
    out.items.pop_back();
    out.has_more = true;
  }
  if (backwards) std::reverse(out.items.begin(), out.items.end());
  return out;
}

// Reads the row of `table` with this id, if there is one.
template <class T, class FromRow>
Result<std::optional<T>> find_by_id(Connection& db, std::string_view columns, std::string_view table,
                                    std::string_view id, FromRow from_row) {
  auto stmt = db.prepare(fmt::format("SELECT {} FROM {} WHERE id = ?", columns, table));
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, id);
  auto row = stmt->step(fmt::format("reading from {}", table));
  if (!row) return std::move(row).error();
  if (!*row) return std::optional<T>{};
  return std::optional<T>{from_row(*stmt)};
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
class SqliteStore::Tx final : public WriteTx {
 public:
  Tx(Connection& db, EndpointSnapshot& cache) : db_(db), cache_(cache) {}

  // Whether a job of this batch called notify_work (reset per batch).
  bool work_noted = false;

  Result<int64_t> next_sequence(std::string_view aggregate_type, std::string_view aggregate_id) override {
    auto stmt = db_.prepare(
        "INSERT INTO aggregate_sequences (type, id, last_sequence) VALUES (?, ?, 1) "
        "ON CONFLICT (type, id) DO UPDATE SET last_sequence = last_sequence + 1 RETURNING last_sequence");
    if (!stmt) return std::move(stmt).error();
    stmt->bind(1, aggregate_type).bind(2, aggregate_id);
    auto row = stmt->step("assigning an aggregate sequence");
    if (!row) return std::move(row).error();
    const int64_t sequence = stmt->integer(0);
    if (auto s = stmt->run("assigning an aggregate sequence"); !s) return std::move(s).error();
    return sequence;
  }

  Status insert_event(const events::Event& e) override {
    auto stmt = db_.prepare(fmt::format("INSERT INTO events ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", kEventColumns));
    if (!stmt) return std::move(stmt).error();
    stmt->bind(1, e.id).bind(2, e.type).bind(3, e.created_ms);
    if (e.aggregate) stmt->bind(4, e.aggregate->type).bind(5, e.aggregate->id).bind(6, e.aggregate->sequence);
    else stmt->bind_null(4).bind_null(5).bind_null(6);
    stmt->bind(7, e.data_json).bind_text_or_null(8, e.request_id).bind_text_or_null(9, e.idempotency_key);
    return stmt->run("storing an event");
  }

  Status insert_delivery(const events::Delivery& d) override {
    auto stmt = db_.prepare(fmt::format(
        "INSERT INTO deliveries ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        kDeliveryColumns));
    if (!stmt) return std::move(stmt).error();
    bind_delivery_state(*stmt, d);
    return stmt->run("storing a delivery");
  }

  // One indexed query per enabled endpoint, merged: each walks that endpoint's due deliveries in claim
  // order and stops at the limit, so neither the size of the backlog nor an endpoint that is skipped
  // (its whole backlog) makes a claim slower, and no endpoint's backlog hides another's.
  Result<std::vector<events::Delivery>> claim_due(int64_t now_ms, int64_t lease_until_ms, size_t limit,
                                                  const std::vector<std::string>& skip_endpoints,
                                                  const std::vector<std::string>& skip_deliveries) override {
    auto endpoints = enabled_endpoints();
    if (!endpoints) return std::move(endpoints).error();
    auto stmt = db_.prepare(fmt::format(
        "SELECT {} FROM deliveries d INDEXED BY deliveries_due "
        "WHERE d.endpoint_id = ?1 AND d.status IN ('pending', 'retrying') AND d.next_attempt_ms <= ?2 "
        "AND d.lease_until_ms <= ?2 "
        "AND d.id NOT IN (SELECT value FROM json_each(?3)) "
        "AND (?4 = 0 OR d.aggregate_key IS NULL "
        "     OR NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.endpoint_id = ?1 "
        "                    AND p.aggregate_key = d.aggregate_key AND p.status IN ('pending', 'retrying') "
        "                    AND p.sequence < d.sequence)) "
        "ORDER BY d.next_attempt_ms, d.id LIMIT ?5",
        prefixed_columns("d.", kDeliveryColumns)));
    if (!stmt) return std::move(stmt).error();
    const std::string skipped = to_json_array(skip_deliveries);
    std::vector<events::Delivery> claimed;
    for (const auto& endpoint : **endpoints) {
      if (std::find(skip_endpoints.begin(), skip_endpoints.end(), endpoint.id) != skip_endpoints.end()) continue;
      stmt->bind(1, endpoint.id).bind(2, now_ms).bind(3, skipped).bind(4, int64_t{endpoint.ordered ? 1 : 0});
      stmt->bind(5, static_cast<int64_t>(limit));
      for (;;) {
        auto row = stmt->step("finding due deliveries");
        if (!row) return std::move(row).error();
        if (!*row) break;
        claimed.push_back(delivery_from_row(*stmt));
      }
      stmt->reset();
    }
    // Earliest due first across endpoints, then the limit.
    std::sort(claimed.begin(), claimed.end(), [](const events::Delivery& a, const events::Delivery& b) {
      return std::tie(a.next_attempt_ms, a.id) < std::tie(b.next_attempt_ms, b.id);
    });
    if (claimed.size() > limit) claimed.resize(limit);
    auto lease = db_.prepare("UPDATE deliveries SET lease_until_ms = ? WHERE id = ?");
    if (!lease) return std::move(lease).error();
    for (auto& d : claimed) {
      d.lease_until_ms = lease_until_ms;
      if (auto s = lease->bind(1, lease_until_ms).bind(2, d.id).run("leasing a delivery"); !s)
        return std::move(s).error();
    }
    return claimed;
  }

  Result<std::optional<events::Delivery>> find_delivery(std::string_view id) override {
    return find_by_id<events::Delivery>(db_, kDeliveryColumns, "deliveries", id, delivery_from_row);
  }

  Status update_delivery(const events::Delivery& d) override {
    auto stmt = db_.prepare(
        "UPDATE deliveries SET status = ?5, attempt_count = ?6, next_attempt_ms = ?7, updated_ms = ?9, "
        "lease_until_ms = ?12, last_attempt_ms = ?13, last_error_class = ?14, last_status_code = ?15, "
        "last_error_message = ?16 WHERE id = ?1");  // parameters it does not name are bound and unused
    if (!stmt) return std::move(stmt).error();
    bind_delivery_state(*stmt, d);
    if (auto s = stmt->run("updating a delivery"); !s) return s;
    if (sqlite3_changes64(db_.handle()) == 0)
      return Error::not_found("delivery_not_found", fmt::format("no delivery has id {}", d.id));
    return {};
  }

  Status insert_attempt(const events::Attempt& a) override {
    auto stmt = db_.prepare(
        fmt::format("INSERT INTO attempts ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", kAttemptColumns));
    if (!stmt) return std::move(stmt).error();
    stmt->bind(1, a.id).bind(2, a.delivery_id).bind(3, int64_t{a.number}).bind(4, a.started_ms);
    stmt->bind(5, a.duration_ms).bind(6, int64_t{a.status_code}).bind(7, a.error_class).bind(8, a.error_message);
    stmt->bind(9, a.response_headers_json).bind(10, a.response_body).bind(11, a.next_attempt_ms);
    return stmt->run("storing an attempt");
  }

  Result<int> retry_failed(std::string_view endpoint_id, int64_t since_ms, int64_t now_ms) override {
    auto stmt = db_.prepare(
        "UPDATE deliveries SET status = 'pending', next_attempt_ms = ?1, updated_ms = ?1, lease_until_ms = 0 "
        "WHERE endpoint_id = ?2 AND status = 'failed' AND created_ms >= ?3");
    if (!stmt) return std::move(stmt).error();
    if (auto s = stmt->bind(1, now_ms).bind(2, endpoint_id).bind(3, since_ms).run("retrying failed deliveries"); !s)
      return std::move(s).error();
    return static_cast<int>(sqlite3_changes64(db_.handle()));
  }

  Status release_leases(const std::vector<std::string>& delivery_ids) override {
    auto stmt = db_.prepare("UPDATE deliveries SET lease_until_ms = 0 WHERE id IN (SELECT value FROM json_each(?))");
    if (!stmt) return std::move(stmt).error();
    return stmt->bind(1, to_json_array(delivery_ids)).run("releasing leases");
  }

  Status release_all_leases() override {
    return db_.exec("UPDATE deliveries SET lease_until_ms = 0 WHERE lease_until_ms <> 0");
  }

  Status renew_leases(const std::vector<std::string>& delivery_ids, int64_t now_ms, int64_t lease_until_ms) override {
    auto stmt = db_.prepare(
        "UPDATE deliveries SET lease_until_ms = ?1 WHERE id IN (SELECT value FROM json_each(?2)) "
        "AND lease_until_ms > ?3 AND status IN ('pending', 'retrying')");
    if (!stmt) return std::move(stmt).error();
    return stmt->bind(1, lease_until_ms).bind(2, to_json_array(delivery_ids)).bind(3, now_ms).run("renewing leases");
  }

  void notify_work() override { work_noted = true; }

  Status insert_endpoint(const events::Endpoint& ep) override {
    cache_.reset();
    auto stmt = db_.prepare(
        fmt::format("INSERT INTO endpoints ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    kEndpointColumns));
    if (!stmt) return std::move(stmt).error();
    bind_endpoint(*stmt, ep);
    return stmt->run("storing an endpoint");
  }

  Status update_endpoint(const events::Endpoint& ep) override {
    cache_.reset();
    auto stmt = db_.prepare(
        "UPDATE endpoints SET url = ?2, description = ?3, event_types = ?4, categories = ?5, secret = ?6, "
        "metadata = ?7, enabled = ?8, created_ms = ?9, updated_ms = ?10, ordering = ?11, retry_schedule = ?12, "
        "rate_limit = ?13, max_in_flight = ?14, previous_secret = ?15, previous_secret_expires_ms = ?16, "
        "disabled_reason = ?17, disabled_ms = ?18, failing_since_ms = ?19, profile = ?20, profile_settings = ?21 "
        "WHERE id = ?1");
    if (!stmt) return std::move(stmt).error();
    bind_endpoint(*stmt, ep);
    if (auto s = stmt->run("updating an endpoint"); !s) return s;
    if (sqlite3_changes64(db_.handle()) == 0) return Error::not_found("endpoint_not_found", "no endpoint has id " + ep.id);
    return {};
  }

  Status delete_endpoint(std::string_view id, int64_t now_ms) override {
    cache_.reset();
    auto stmt = db_.prepare("DELETE FROM endpoints WHERE id = ?");
    if (!stmt) return std::move(stmt).error();
    if (auto s = stmt->bind(1, id).run("deleting an endpoint"); !s) return s;
    if (sqlite3_changes64(db_.handle()) == 0)
      return Error::not_found("endpoint_not_found", fmt::format("no endpoint has id {}", id));
    auto cancel = db_.prepare(
        "UPDATE deliveries SET status = 'cancelled', updated_ms = ? WHERE endpoint_id = ? "
        "AND status IN ('pending', 'retrying')");
    if (!cancel) return std::move(cancel).error();
    return cancel->bind(1, now_ms).bind(2, id).run("cancelling the deleted endpoint's deliveries");
  }

  Result<std::optional<events::Endpoint>> find_endpoint(std::string_view id) override {
    return find_by_id<events::Endpoint>(db_, kEndpointColumns, "endpoints", id, endpoint_from_row);
  }

  Result<EndpointSnapshot> enabled_endpoints() override {
    if (cache_) return cache_;
    auto stmt = db_.prepare(fmt::format("SELECT {} FROM endpoints WHERE enabled = 1 ORDER BY id", kEndpointColumns));
    if (!stmt) return std::move(stmt).error();
    auto list = std::make_shared<std::vector<events::Endpoint>>();
    for (;;) {
      auto row = stmt->step("reading endpoints");
      if (!row) return std::move(row).error();
      if (!*row) break;
      list->push_back(endpoint_from_row(*stmt));
    }
    cache_ = std::move(list);
    return cache_;
  }

  Status insert_idempotency(const IdempotencyRecord& r) override {
    auto stmt = db_.prepare(
        "INSERT INTO idempotency_keys (scope, key, request_hash, status, response_body, created_ms) "
        "VALUES (?, ?, ?, ?, ?, ?)");
    if (!stmt) return std::move(stmt).error();
    stmt->bind(1, r.scope).bind(2, r.key).bind(3, r.request_hash).bind(4, int64_t{r.status});
    stmt->bind(5, r.response_body).bind(6, r.created_ms);
    auto s = stmt->run("recording an idempotency key");
    if (!s && s.error().kind == core::ErrorKind::conflict)
      return Error::conflict("idempotency_key_in_use", "this Idempotency-Key was used by another request",
                             "Idempotency-Key");
    return s;
  }

  Status insert_api_key(const ApiKeyRecord& r) override {
    auto stmt = db_.prepare("INSERT INTO api_keys (id, hash, label, created_ms) VALUES (?, ?, ?, ?)");
    if (!stmt) return std::move(stmt).error();
    return stmt->bind(1, r.id).bind(2, r.hash).bind(3, r.label).bind(4, r.created_ms).run("storing an api key");
  }

  Status insert_document(const DocumentRecord& r) override {
    auto stmt = db_.prepare(fmt::format("INSERT INTO documents ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                                        kDocumentColumns));
    if (!stmt) return std::move(stmt).error();
    bind_document(*stmt, r);
    return stmt->run(fmt::format("storing a {}", r.kind));
  }

  Status update_document(const DocumentRecord& r) override {
    auto stmt = db_.prepare(
        "UPDATE documents SET customer_id = ?3, parent_id = ?4, status = ?5, body = ?7, wake_at = ?8 "
        "WHERE kind = ?1 AND id = ?2");  // ?6 (created_ms) is bound and unused
    if (!stmt) return std::move(stmt).error();
    bind_document(*stmt, r);
    return run_update(db_, *stmt, r.kind, r.id);
  }

  Result<std::optional<DocumentRecord>> find_document(std::string_view kind, std::string_view id) override {
    return find_document_in(db_, kind, id);
  }

  Result<std::vector<DocumentRecord>> find_documents(const DocumentFilter& f) override {
    Filter filter = document_filter(f);
    std::string sql = fmt::format("SELECT {} FROM documents", kDocumentColumns);
    for (size_t i = 0; i < filter.conditions.size(); ++i)
      sql += (i == 0 ? " WHERE " : " AND ") + filter.conditions[i];
    sql += " ORDER BY id";
    auto stmt = db_.prepare(sql);
    if (!stmt) return std::move(stmt).error();
    int index = 1;
    for (const auto& p : filter.params) std::visit([&](const auto& v) { stmt->bind(index++, v); }, p);
    return select_all<DocumentRecord>(*stmt, fmt::format("reading {} documents", f.kind), document_from_row);
  }

  Status insert_customer(const CustomerRecord& r) override {
    auto stmt = db_.prepare("INSERT INTO customers (id, created_ms, body) VALUES (?, ?, ?)");
    if (!stmt) return std::move(stmt).error();
    return stmt->bind(1, r.id).bind(2, r.created_ms).bind(3, r.body).run("storing a customer");
  }

  Status update_customer(const CustomerRecord& r) override {
    auto stmt = db_.prepare("UPDATE customers SET body = ?2 WHERE id = ?1");
    if (!stmt) return std::move(stmt).error();
    stmt->bind(1, r.id).bind(2, r.body);
    return run_update(db_, *stmt, "customer", r.id);
  }

  Result<std::optional<CustomerRecord>> find_customer(std::string_view id) override {
    return find_by_id<CustomerRecord>(db_, kCustomerColumns, "customers", id, customer_from_row);
  }

  Status insert_payment_method(const PaymentMethodRecord& r) override {
    auto stmt = db_.prepare("INSERT INTO payment_methods (id, customer_id, created_ms, body) VALUES (?, ?, ?, ?)");
    if (!stmt) return std::move(stmt).error();
    return stmt->bind(1, r.id).bind(2, r.customer_id).bind(3, r.created_ms).bind(4, r.body).run(
        "storing a payment method");
  }

  Status update_payment_method(const PaymentMethodRecord& r) override {
    auto stmt = db_.prepare("UPDATE payment_methods SET body = ?2 WHERE id = ?1");
    if (!stmt) return std::move(stmt).error();
    stmt->bind(1, r.id).bind(2, r.body);
    return run_update(db_, *stmt, "payment_method", r.id);
  }

  Result<std::optional<PaymentMethodRecord>> find_payment_method(std::string_view id) override {
    return find_by_id<PaymentMethodRecord>(db_, kPaymentMethodColumns, "payment_methods", id,
                                           payment_method_from_row);
  }

  Result<std::vector<PaymentMethodRecord>> customer_payment_methods(std::string_view customer_id) override {
    auto stmt = db_.prepare(
        fmt::format("SELECT {} FROM payment_methods WHERE customer_id = ? ORDER BY id", kPaymentMethodColumns));
    if (!stmt) return std::move(stmt).error();
    stmt->bind(1, customer_id);
    return select_all<PaymentMethodRecord>(*stmt, "reading payment methods", payment_method_from_row);
  }

  Status insert_invoice(const InvoiceRecord& r) override {
    auto stmt = db_.prepare(fmt::format("INSERT INTO invoices ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                                        kInvoiceColumns));
    if (!stmt) return std::move(stmt).error();
    bind_invoice(*stmt, r);
    return stmt->run("storing an invoice");
  }

  Status update_invoice(const InvoiceRecord& r) override {
    auto stmt = db_.prepare(
        "UPDATE invoices SET customer_id = ?2, status = ?3, number = ?4, due_date = ?5, next_payment_attempt = ?6, "
        "body = ?8, wake_at = ?9 WHERE id = ?1");  // created_ms (?7) never changes
    if (!stmt) return std::move(stmt).error();
    bind_invoice(*stmt, r);
    return run_update(db_, *stmt, "invoice", r.id);
  }

  Result<std::optional<InvoiceRecord>> find_invoice(std::string_view id) override {
    return find_by_id<InvoiceRecord>(db_, kInvoiceColumns, "invoices", id, invoice_from_row);
  }

  Result<std::vector<InvoiceRecord>> open_invoices_of(std::string_view customer_id) override {
    auto stmt = db_.prepare(fmt::format(
        "SELECT {} FROM invoices WHERE customer_id = ? AND status IN ('open', 'uncollectible') ORDER BY id",
        kInvoiceColumns));
    if (!stmt) return std::move(stmt).error();
    stmt->bind(1, customer_id);
    return select_all<InvoiceRecord>(*stmt, "reading a customer's open invoices", invoice_from_row);
  }

  Status insert_payment(const PaymentRecordRow& r) override {
    auto stmt = db_.prepare("INSERT INTO payments (id, invoice_id, created_ms, body) VALUES (?, ?, ?, ?)");
    if (!stmt) return std::move(stmt).error();
    return stmt->bind(1, r.id).bind(2, r.invoice_id).bind(3, r.created_ms).bind(4, r.body).run("storing a payment");
  }

  Result<int64_t> next_invoice_number(int year) override {
    auto stmt = db_.prepare(
        "INSERT INTO invoice_number_sequences (year, last_number) VALUES (?, 1) "
        "ON CONFLICT (year) DO UPDATE SET last_number = last_number + 1 RETURNING last_number");
    if (!stmt) return std::move(stmt).error();
    stmt->bind(1, int64_t{year});
    auto row = stmt->step("assigning an invoice number");
    if (!row) return std::move(row).error();
    const int64_t number = stmt->integer(0);
    if (auto s = stmt->run("assigning an invoice number"); !s) return std::move(s).error();
    return number;
  }

  Result<bool> claim_notice(std::string_view key, std::string_view invoice_id, int64_t now_ms) override {
    auto stmt = db_.prepare(
        "INSERT INTO billing_notices (key, invoice_id, created_ms) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING");
    if (!stmt) return std::move(stmt).error();
    if (auto s = stmt->bind(1, key).bind(2, invoice_id).bind(3, now_ms).run("recording a notice"); !s)
      return std::move(s).error();
    return sqlite3_changes64(db_.handle()) > 0;
  }

 private:
  static void bind_endpoint(Statement& stmt, const events::Endpoint& ep) {
    stmt.bind(1, ep.id).bind(2, ep.url).bind(3, ep.description).bind(4, to_json_array(ep.event_types));
    stmt.bind(5, to_json_array(ep.categories)).bind(6, ep.secret).bind(7, ep.metadata_json);
    stmt.bind(8, int64_t{ep.enabled ? 1 : 0}).bind(9, ep.created_ms).bind(10, ep.updated_ms);
    stmt.bind(11, ep.ordered ? "aggregate" : "none").bind(12, to_json_array(ep.retry_schedule_s));
    stmt.bind(13, int64_t{ep.rate_limit_per_second}).bind(14, int64_t{ep.max_in_flight});
    stmt.bind(15, ep.previous_secret).bind(16, ep.previous_secret_expires_ms).bind(17, ep.disabled_reason);
    stmt.bind(18, ep.disabled_ms).bind(19, ep.failing_since_ms).bind(20, ep.profile);
    stmt.bind(21, ep.profile_settings_json);
  }

  Connection& db_;
  EndpointSnapshot& cache_;
};

// A read connection borrowed from the pool for one call.
class SqliteStore::ReaderLease {
 public:
  ReaderLease(SqliteStore& store, std::unique_ptr<Connection> c) : store_(&store), connection_(std::move(c)) {}
  ReaderLease(ReaderLease&& other) noexcept = default;
  ~ReaderLease() {
    if (connection_) store_->release_reader(std::move(connection_));
  }
  Connection& operator*() { return *connection_; }
  Connection* operator->() { return connection_.get(); }

 private:
  SqliteStore* store_;
  std::unique_ptr<Connection> connection_;
};


core::Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const SqliteOptions& options, const core::Clock& clock) {
  auto db = Connection::open(options.path, /*read_only=*/false);
  if (!db) return std::move(db).error();
  // WAL lets readers run beside the writer; synchronous=FULL makes every commit durable
  // (an fsync of the WAL) before a job's `done` is called.
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=OFF",
                             "PRAGMA temp_store=MEMORY"}) {
    if (auto s = (*db)->exec(pragma); !s) return std::move(s).error();
  }
  if (auto s = migrate(**db, core::to_unix_ms(clock.now())); !s) return std::move(s).error();
  return std::unique_ptr<SqliteStore>(new SqliteStore(options, std::move(*db)));
}

SqliteStore::SqliteStore(SqliteOptions options, std::unique_ptr<Connection> writer)
    : options_(std::move(options)), writer_db_(std::move(writer)) {
  writer_ = std::thread([this] { writer_loop(); });
}

SqliteStore::~SqliteStore() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  writer_.join();
}

void SqliteStore::write(WriteJob job, WriteDone done) { enqueue({std::move(job), std::move(done), true}); }

void SqliteStore::write_relaxed(WriteJob job, WriteDone done) {
  enqueue({std::move(job), std::move(done), false});
}

void SqliteStore::enqueue(QueuedWrite write) {
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

void SqliteStore::writer_loop() {
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

void SqliteStore::commit_batch(std::vector<QueuedWrite>& batch) {
  std::vector<Status> results(batch.size());
  Status begun = writer_db_->exec("BEGIN IMMEDIATE");
  if (!begun) {
    for (auto& item : batch) item.done(begun);
    return;
  }
  Tx tx(*writer_db_, endpoint_cache_);
  bool batch_has_work = false;
  for (size_t i = 0; i < batch.size(); ++i) {
    // Each job runs inside its own savepoint, so one job's failure undoes only its own changes.
    // Prepared (and cached) rather than exec'd: exec parses its SQL on every call, three times per job.
    if (auto s = run_prepared(*writer_db_, "SAVEPOINT job"); !s) {
      results[i] = s;
      continue;
    }
    try {
      results[i] = batch[i].job(tx);
    } catch (const std::exception& e) {
      results[i] = Error::internal(fmt::format("write job threw: {}", e.what()));
    }
    if (!results[i].ok()) {
      endpoint_cache_.reset();  // the job may have changed endpoints before failing
      (void)run_prepared(*writer_db_, "ROLLBACK TO job");
    } else {
      batch_has_work = batch_has_work || tx.work_noted;
    }
    tx.work_noted = false;
    (void)run_prepared(*writer_db_, "RELEASE job");
  }
  const bool durable = std::any_of(batch.begin(), batch.end(), [](const QueuedWrite& w) { return w.durable; });
  if (!durable) (void)run_prepared(*writer_db_, "PRAGMA synchronous=NORMAL");
  Status committed = run_prepared(*writer_db_, "COMMIT");
  if (!durable) (void)run_prepared(*writer_db_, "PRAGMA synchronous=FULL");
  if (committed) {
    ++commits_;
  } else {
    batch_has_work = false;
    (void)writer_db_->exec("ROLLBACK");
    endpoint_cache_.reset();
    core::log::error("group commit failed", {{"jobs", batch.size()}, {"error", committed.error().message}});
    for (auto& r : results)
      if (r.ok()) r = committed;
  }
  for (size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(results[i]));
  if (batch_has_work) {
    std::lock_guard lock(listener_mutex_);
    if (work_listener_) work_listener_();
  }
}

void SqliteStore::set_work_listener(std::function<void()> listener) {
  std::lock_guard lock(listener_mutex_);
  work_listener_ = std::move(listener);
}

Result<std::vector<events::Attempt>> SqliteStore::list_attempts(std::string_view delivery_id) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  auto stmt = (*db)->prepare(fmt::format("SELECT {} FROM attempts WHERE delivery_id = ? ORDER BY number", kAttemptColumns));
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, delivery_id);
  std::vector<events::Attempt> out;
  for (;;) {
    auto row = stmt->step("reading attempts");
    if (!row) return std::move(row).error();
    if (!*row) break;
    out.push_back(attempt_from_row(*stmt));
  }
  return out;
}

Result<std::optional<int64_t>> SqliteStore::next_due_ms() {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  auto stmt = (*db)->prepare(
      // The earliest of each enabled endpoint's first due entry (the due index is per endpoint), rather
      // than a sort of the whole backlog.
      "SELECT MIN((SELECT d.next_attempt_ms FROM deliveries d INDEXED BY deliveries_due WHERE d.endpoint_id = e.id "
      "            AND d.status IN ('pending', 'retrying') ORDER BY d.next_attempt_ms LIMIT 1)) "
      "FROM endpoints e WHERE e.enabled = 1");
  if (!stmt) return std::move(stmt).error();
  auto row = stmt->step("finding the next due delivery");
  if (!row) return std::move(row).error();
  if (!*row || stmt->is_null(0)) return std::optional<int64_t>{};
  return std::optional<int64_t>{stmt->integer(0)};
}

core::Result<SqliteStore::ReaderLease> SqliteStore::acquire_reader() {
  std::unique_lock lock(readers_mutex_);
  for (;;) {
    if (!idle_readers_.empty()) {
      auto c = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return ReaderLease(*this, std::move(c));
    }
    if (open_readers_ < options_.max_readers) {
      ++open_readers_;
      lock.unlock();
      auto c = Connection::open(options_.path, /*read_only=*/true);
      if (!c) {
        std::lock_guard relock(readers_mutex_);
        --open_readers_;
        return std::move(c).error();
      }
      return ReaderLease(*this, std::move(*c));
    }
    readers_cv_.wait(lock);
  }
}

void SqliteStore::release_reader(std::unique_ptr<Connection> connection) {
  {
    std::lock_guard lock(readers_mutex_);
    idle_readers_.push_back(std::move(connection));
  }
  readers_cv_.notify_one();
}

Result<Page<events::Event>> SqliteStore::list_events(const EventQuery& q) {
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

Result<std::optional<events::Event>> SqliteStore::find_event(std::string_view id) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  return find_by_id<events::Event>(**db, kEventColumns, "events", id, event_from_row);
}

Result<Page<events::Endpoint>> SqliteStore::list_endpoints(const PageRequest& page) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  return select_page<events::Endpoint>(**db, kEndpointColumns, "endpoints", {}, page, endpoint_from_row);
}

Result<std::optional<events::Endpoint>> SqliteStore::find_endpoint(std::string_view id) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  return find_by_id<events::Endpoint>(**db, kEndpointColumns, "endpoints", id, endpoint_from_row);
}

Result<Page<events::Delivery>> SqliteStore::list_deliveries(const DeliveryQuery& q) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  Filter filter;
  if (!q.endpoint_id.empty()) filter.add("endpoint_id = ?", q.endpoint_id);
  if (!q.event_id.empty()) filter.add("event_id = ?", q.event_id);
  if (q.status) filter.add("status = ?", std::string(events::to_string(*q.status)));
  return select_page<events::Delivery>(**db, kDeliveryColumns, "deliveries", std::move(filter), q.page,
                                       delivery_from_row);
}

Result<std::optional<events::Delivery>> SqliteStore::find_delivery(std::string_view id) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  return find_by_id<events::Delivery>(**db, kDeliveryColumns, "deliveries", id, delivery_from_row);
}

Result<std::optional<IdempotencyRecord>> SqliteStore::find_idempotency(std::string_view scope, std::string_view key) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  auto stmt = (*db)->prepare(
      "SELECT scope, key, request_hash, status, response_body, created_ms FROM idempotency_keys "
      "WHERE scope = ? AND key = ?");
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, scope).bind(2, key);
  auto row = stmt->step("reading an idempotency key");
  if (!row) return std::move(row).error();
  if (!*row) return std::optional<IdempotencyRecord>{};
  return std::optional<IdempotencyRecord>{IdempotencyRecord{stmt->text(0), stmt->text(1), stmt->text(2),
                                                            static_cast<int>(stmt->integer(3)), stmt->text(4),
                                                            stmt->integer(5)}};
}

Result<std::vector<ApiKeyRecord>> SqliteStore::api_keys() {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  auto stmt = (*db)->prepare("SELECT id, hash, label, created_ms FROM api_keys ORDER BY id");
  if (!stmt) return std::move(stmt).error();
  std::vector<ApiKeyRecord> out;
  for (;;) {
    auto row = stmt->step("reading api keys");
    if (!row) return std::move(row).error();
    if (!*row) break;
    out.push_back({stmt->text(0), stmt->text(1), stmt->text(2), stmt->integer(3)});
  }
  return out;
}

Result<Page<CustomerRecord>> SqliteStore::list_customers(const PageRequest& page) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  return select_page<CustomerRecord>(**db, kCustomerColumns, "customers", {}, page, customer_from_row);
}

Result<std::optional<CustomerRecord>> SqliteStore::find_customer(std::string_view id) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  return find_by_id<CustomerRecord>(**db, kCustomerColumns, "customers", id, customer_from_row);
}

Result<Page<PaymentMethodRecord>> SqliteStore::list_payment_methods(const PaymentMethodQuery& q) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  Filter filter;
  if (!q.customer_id.empty()) filter.add("customer_id = ?", q.customer_id);
  return select_page<PaymentMethodRecord>(**db, kPaymentMethodColumns, "payment_methods", std::move(filter), q.page,
                                          payment_method_from_row);
}

Result<std::optional<PaymentMethodRecord>> SqliteStore::find_payment_method(std::string_view id) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  return find_by_id<PaymentMethodRecord>(**db, kPaymentMethodColumns, "payment_methods", id, payment_method_from_row);
}

Result<Page<InvoiceRecord>> SqliteStore::list_invoices(const InvoiceQuery& q) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  Filter filter;
  if (!q.customer_id.empty()) filter.add("customer_id = ?", q.customer_id);
  if (!q.status.empty()) filter.add("status = ?", q.status);
  return select_page<InvoiceRecord>(**db, kInvoiceColumns, "invoices", std::move(filter), q.page, invoice_from_row);
}

Result<std::optional<InvoiceRecord>> SqliteStore::find_invoice(std::string_view id) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  return find_by_id<InvoiceRecord>(**db, kInvoiceColumns, "invoices", id, invoice_from_row);
}

Result<std::vector<PaymentRecordRow>> SqliteStore::list_payments(std::string_view invoice_id) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  auto stmt = (*db)->prepare(fmt::format("SELECT {} FROM payments WHERE invoice_id = ? ORDER BY id", kPaymentColumns));
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, invoice_id);
  return select_all<PaymentRecordRow>(*stmt, "reading payments", payment_from_row);
}

Result<std::vector<std::string>> SqliteStore::invoices_needing_time(int64_t now_s, std::string_view after_id,
                                                                    int limit) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  auto stmt = (*db)->prepare(
      "SELECT id FROM invoices WHERE wake_at IS NOT NULL AND wake_at <= ?1 "
      "AND status IN ('open', 'uncollectible') AND id > ?2 ORDER BY id LIMIT ?3");
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, now_s).bind(2, after_id).bind(3, int64_t{limit});
  return select_all<std::string>(*stmt, "finding invoices for the scheduler",
                                 [](const Statement& row) { return row.text(0); });
}

Result<std::optional<DocumentRecord>> SqliteStore::find_document(std::string_view kind, std::string_view id) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  return find_document_in(**db, kind, id);
}

Result<Page<DocumentRecord>> SqliteStore::list_documents(const DocumentQuery& q) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  return select_page<DocumentRecord>(**db, kDocumentColumns, "documents", document_filter(q.filter), q.page,
                                     document_from_row);
}

Result<std::vector<std::string>> SqliteStore::documents_needing_time(std::string_view kind, int64_t now_s,
                                                                     std::string_view after_id, int limit) {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  auto stmt = (*db)->prepare(
      "SELECT id FROM documents WHERE kind = ?1 AND wake_at IS NOT NULL AND wake_at <= ?2 AND id > ?3 "
      "ORDER BY id LIMIT ?4");
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, kind).bind(2, now_s).bind(3, after_id).bind(4, int64_t{limit});
  return select_all<std::string>(*stmt, fmt::format("finding {} documents for the scheduler", kind),
                                 [](const Statement& row) { return row.text(0); });
}

Result<int64_t> SqliteStore::count_events() {
  auto db = acquire_reader();
  if (!db) return std::move(db).error();
  auto stmt = (*db)->prepare("SELECT COUNT(*) FROM events");
  if (!stmt) return std::move(stmt).error();
  auto row = stmt->step("counting events");
  if (!row) return std::move(row).error();
  return stmt->integer(0);
}

}  // namespace billhook::store::sqlite
