#include "store/sql/usage_sql.hpp"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

#include "store/sql/query.hpp"
#include "store/sql/records.hpp"

namespace billhook::store::sql::usage {

using core::Result;
using core::Status;

namespace {

constexpr const char* kEventColumns =
    "subscription_id, transaction_id, id, customer_id, code, occurred_at, properties, created_ms, error";
constexpr const char* kAggregateColumns = "subscription_id, code, period_start, period_end, state, updated_ms";

UsageEventRecord event_from_row(const Row& row) {
  return {row.text(0), row.text(1),    row.text(2),    row.text(3), row.text(4),
          row.integer(5), row.text(6), row.integer(7), row.text(8)};
}

UsageAggregateRecord aggregate_from_row(const Row& row) {
  return {row.text(0), row.text(1), row.integer(2), row.integer(3), row.text(4), row.integer(5)};
}

}  // namespace

Result<std::optional<UsageEventRecord>> insert_event(Session& db, const UsageEventRecord& r) {
  Params p;
  p.add(r.subscription_id).add(r.transaction_id).add(r.id).add(r.customer_id).add(r.code).add(r.timestamp);
  p.add(r.properties).add(r.created_ms).add(r.error).add(int64_t{r.error.empty() ? 1 : 0});
  // A valid event is born reported: the partial index of unreported events holds only the invalid ones.
  auto inserted = db.run(fmt::format("INSERT INTO usage_events ({}, reported) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
                                     "?9, ?10) ON CONFLICT (subscription_id, transaction_id) DO NOTHING",
                                     kEventColumns),
                         p, "storing a usage event");
  if (!inserted) return std::move(inserted).error();
  if (*inserted > 0) return std::optional<UsageEventRecord>{};
  auto first = select_one<UsageEventRecord>(
      db, fmt::format("SELECT {} FROM usage_events WHERE subscription_id = ?1 AND transaction_id = ?2", kEventColumns),
      Params{}.add(r.subscription_id).add(r.transaction_id), "reading a usage event", event_from_row);
  if (!first) return std::move(first).error();
  if (!*first) return core::Error::internal("a usage event that conflicted on insert could not be read back");
  return first;
}

Result<std::optional<UsageAggregateRecord>> find_aggregate(Session& db, std::string_view subscription_id,
                                                           std::string_view code, int64_t period_start, bool hold) {
  // Held: the period's row is taken first (an empty placeholder if it is new, which the caller's
  // put_aggregate fills before the commit), and then locked with the row before it: two nodes adding
  // to one aggregate take turns instead of both writing back what they read.
  if (hold) {
    auto opened = execute(db,
                          fmt::format("INSERT INTO usage_aggregates ({}) VALUES (?1, ?2, ?3, ?3, '', 0) "
                                      "ON CONFLICT (subscription_id, code, period_start) DO NOTHING",
                                      kAggregateColumns),
                          Params{}.add(subscription_id).add(code).add(period_start), "opening a usage aggregate");
    if (!opened) return std::move(opened).error();
  }
  auto rows = select_all<UsageAggregateRecord>(
      db,
      fmt::format("SELECT {} FROM usage_aggregates WHERE subscription_id = ?1 AND code = ?2 AND period_start <= ?3 "
                  "ORDER BY period_start DESC LIMIT 2{}",
                  kAggregateColumns, hold ? db.dialect().lock_for_update : std::string_view()),
      Params{}.add(subscription_id).add(code).add(period_start), "reading a usage aggregate", aggregate_from_row);
  if (!rows) return std::move(rows).error();
  for (auto& row : *rows)
    if (!row.state.empty()) return std::optional<UsageAggregateRecord>{std::move(row)};
  return std::optional<UsageAggregateRecord>{};
}

Status put_aggregate(Session& db, const UsageAggregateRecord& r) {
  Params p;
  p.add(r.subscription_id).add(r.code).add(r.period_start).add(r.period_end).add(r.state).add(r.updated_ms);
  return execute(db,
                 fmt::format("INSERT INTO usage_aggregates ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                             "ON CONFLICT (subscription_id, code, period_start) DO UPDATE SET "
                             "period_end = excluded.period_end, state = excluded.state, updated_ms = excluded.updated_ms",
                             kAggregateColumns),
                 p, "storing a usage aggregate");
}

Result<bool> add_value(Session& db, std::string_view subscription_id, std::string_view code, int64_t scope,
                       std::string_view value) {
  auto inserted = db.run(
      "INSERT INTO usage_values (subscription_id, code, scope, value) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
      Params{}.add(subscription_id).add(code).add(scope).add(value), "storing a distinct usage value");
  if (!inserted) return std::move(inserted).error();
  return *inserted > 0;
}

Result<std::optional<std::string>> find_address(Session& db, std::string_view external_id) {
  return select_one<std::string>(db, "SELECT subscription_id FROM usage_addresses WHERE external_id = ?1",
                                 Params{}.add(external_id), "reading a usage address", first_text);
}

Status set_address(Session& db, std::string_view external_id, std::string_view subscription_id) {
  return execute(db,
                 "INSERT INTO usage_addresses (external_id, subscription_id) VALUES (?1, ?2) "
                 "ON CONFLICT (external_id) DO UPDATE SET subscription_id = excluded.subscription_id",
                 Params{}.add(external_id).add(subscription_id), "storing a usage address");
}

Result<std::vector<UsageEventRecord>> list_billed_events(Session& db, std::string_view subscription_id,
                                                        std::string_view code, int64_t period_start,
                                                        int64_t period_end) {
  // Read through the primary key's subscription prefix: a rare rebuild, not the intake's path.
  return select_all<UsageEventRecord>(
      db,
      fmt::format("SELECT {} FROM usage_events WHERE subscription_id = ?1 AND code = ?2 AND occurred_at >= ?3 "
                  "AND occurred_at < ?4 AND error = '' ORDER BY created_ms, id",
                  kEventColumns),
      Params{}.add(subscription_id).add(code).add(period_start).add(period_end), "reading usage events",
      event_from_row);
}

Result<std::vector<UsageEventRecord>> take_unreported_errors(Session& db, int limit) {
  auto taken = select_all<UsageEventRecord>(
      db,
      fmt::format("UPDATE usage_events SET reported = 1 WHERE (subscription_id, transaction_id) IN ("
                  "SELECT subscription_id, transaction_id FROM usage_events WHERE reported = 0 "
                  "ORDER BY created_ms, subscription_id, transaction_id LIMIT ?1) RETURNING {}",
                  kEventColumns),
      Params{}.add(int64_t{limit}), "taking unreported usage errors", event_from_row);
  if (!taken) return taken;
  // RETURNING gives no order.
  std::sort(taken->begin(), taken->end(), [](const UsageEventRecord& a, const UsageEventRecord& b) {
    return std::tie(a.created_ms, a.subscription_id, a.transaction_id) <
           std::tie(b.created_ms, b.subscription_id, b.transaction_id);
  });
  return taken;
}

Result<std::vector<UsageAggregateRecord>> list_aggregates(Session& db, std::string_view subscription_id) {
  return select_all<UsageAggregateRecord>(
      db,
      fmt::format("SELECT {} FROM usage_aggregates WHERE subscription_id = ?1 AND state <> '' "
                  "ORDER BY period_start, code",
                  kAggregateColumns),
      Params{}.add(subscription_id), "reading usage aggregates", aggregate_from_row);
}

}  // namespace billhook::store::sql::usage
