#include "store/sql/stats_sql.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "store/sql/query.hpp"

namespace billhook::store::sql::stats {

using core::Result;
using core::Status;

namespace {

// One statement per histogram bucket, so the upsert touches only the columns that change.
std::string bucket_upsert(size_t latency_index) {
  return fmt::format(
      "INSERT INTO delivery_stats (minute, shard, attempts, succeeded, l{0}) VALUES (?1, ?2, 1, ?3, 1) "
      "ON CONFLICT (minute, shard) DO UPDATE SET attempts = delivery_stats.attempts + 1, "
      "succeeded = delivery_stats.succeeded + ?3, l{0} = delivery_stats.l{0} + 1 RETURNING attempts",
      latency_index);
}

const std::array<std::string, kLatencyBuckets>& bucket_upserts() {
  static const auto statements = [] {
    std::array<std::string, kLatencyBuckets> out;
    for (size_t i = 0; i < kLatencyBuckets; ++i) out[i] = bucket_upsert(i);
    return out;
  }();
  return statements;
}

std::string latency_sums() {
  std::string out;
  for (size_t i = 0; i < kLatencyBuckets; ++i) out += fmt::format(", SUM(l{})", i);
  return out;
}

constexpr const char* kHealthColumns = "endpoint_id, last_success_ms, last_failure_ms, failure_streak";

EndpointHealth health_from_row(const Row& row) {
  return {row.text(0), row.integer(1), row.integer(2), row.integer(3)};
}

}  // namespace

Status record_attempts(Session& db, std::vector<AttemptStat> attempts, int shard) {
  std::stable_sort(attempts.begin(), attempts.end(),
                   [](const AttemptStat& x, const AttemptStat& y) { return x.started_ms / 60'000 < y.started_ms / 60'000; });
  for (const auto& a : attempts) {
    const int64_t minute = a.started_ms / 60'000;
    int64_t counted = 0;
    auto upserted = db.run(bucket_upserts()[latency_bucket(a.duration_ms)],
                           Params{}.add(minute).add(shard).add(int64_t{a.succeeded ? 1 : 0}), "counting an attempt",
                           [&](const Row& row) { counted = row.integer(0); });
    if (!upserted) return std::move(upserted).error();
    // The first attempt of a minute (on this shard) drops what has aged out of every window: once a minute
    // at most, by primary key.
    if (counted == 1) {
      if (auto s = execute(db, "DELETE FROM delivery_stats WHERE minute < ?1 AND shard = ?2",
                           Params{}.add(minute - kKeptMinutes).add(shard), "dropping old delivery statistics");
          !s)
        return s;
    }
  }
  std::vector<std::pair<std::string, const AttemptStat*>> by_endpoint;
  for (const auto& a : attempts) {
    auto endpoint = select_one<std::string>(db, "SELECT endpoint_id FROM deliveries WHERE id = ?1",
                                            Params{}.add(a.delivery_id), "finding an attempt's endpoint",
                                            [](const Row& row) { return row.text(0); });
    if (!endpoint) return std::move(endpoint).error();
    if (*endpoint) by_endpoint.emplace_back(std::move(**endpoint), &a);
  }
  std::stable_sort(by_endpoint.begin(), by_endpoint.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  for (const auto& [endpoint_id, a] : by_endpoint) {
    // The streak restarts at a success; times only move forward, whatever order attempts are recorded in.
    const int64_t ended_ms = a->started_ms + a->duration_ms;
    if (auto s = execute(db,
                         "INSERT INTO endpoint_health (endpoint_id, last_success_ms, last_failure_ms, failure_streak) "
                         "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (endpoint_id) DO UPDATE SET "
                         "last_success_ms = CASE WHEN excluded.last_success_ms > endpoint_health.last_success_ms "
                         "THEN excluded.last_success_ms ELSE endpoint_health.last_success_ms END, "
                         "last_failure_ms = CASE WHEN excluded.last_failure_ms > endpoint_health.last_failure_ms "
                         "THEN excluded.last_failure_ms ELSE endpoint_health.last_failure_ms END, "
                         "failure_streak = CASE WHEN excluded.failure_streak = 0 THEN 0 "
                         "ELSE endpoint_health.failure_streak + 1 END",
                         Params{}
                             .add(endpoint_id)
                             .add(a->succeeded ? ended_ms : int64_t{0})
                             .add(a->succeeded ? int64_t{0} : ended_ms)
                             .add(int64_t{a->succeeded ? 0 : 1}),
                         "updating an endpoint's health");
        !s)
      return s;
  }
  return {};
}

Status forget_endpoint(Session& db, std::string_view endpoint_id) {
  return execute(db, "DELETE FROM endpoint_health WHERE endpoint_id = ?1", Params{}.add(endpoint_id),
                 "forgetting an endpoint's health");
}

Result<std::vector<StatsBucket>> buckets(Session& db, int64_t from_minute, int64_t to_minute, int64_t step_minutes) {
  static const std::string sql =
      fmt::format("SELECT (minute / ?3) * ?3, SUM(attempts), SUM(succeeded){} FROM delivery_stats "
                  "WHERE minute >= ?1 AND minute < ?2 GROUP BY 1 ORDER BY 1",
                  latency_sums());
  return select_all<StatsBucket>(db, sql, Params{}.add(from_minute).add(to_minute).add(step_minutes),
                                 "reading delivery statistics", [](const Row& row) {
                                   StatsBucket b;
                                   b.minute = row.integer(0);
                                   b.attempts = row.integer(1);
                                   b.succeeded = row.integer(2);
                                   for (size_t i = 0; i < kLatencyBuckets; ++i)
                                     b.latency[i] = row.integer(3 + static_cast<int>(i));
                                   return b;
                                 });
}

Result<std::vector<EndpointHealth>> health(Session& db, const std::vector<std::string>& endpoint_ids) {
  if (endpoint_ids.empty()) return std::vector<EndpointHealth>{};
  return select_all<EndpointHealth>(db,
                                    fmt::format("SELECT {} FROM endpoint_health WHERE {}", kHealthColumns,
                                                db.dialect().in_text_list("endpoint_id", 1)),
                                    Params{}.add_list(endpoint_ids), "reading endpoint health", health_from_row);
}

Result<std::vector<EndpointHealth>> failing(Session& db, int64_t since_ms, int limit) {
  return select_all<EndpointHealth>(
      db,
      fmt::format("SELECT {} FROM endpoint_health WHERE failure_streak > 0 AND last_failure_ms >= ?1 "
                  "ORDER BY failure_streak DESC, endpoint_id LIMIT ?2",
                  kHealthColumns),
      Params{}.add(since_ms).add(int64_t{limit}), "reading failing endpoints", health_from_row);
}

Result<int64_t> queue_depth(Session& db) {
  auto n = select_one<int64_t>(db, "SELECT COUNT(*) FROM deliveries WHERE status IN ('pending', 'retrying')", {},
                               "counting open deliveries", [](const Row& row) { return row.integer(0); });
  if (!n) return std::move(n).error();
  return n->value_or(0);
}

Result<std::vector<EndpointQueue>> deepest_queues(Session& db, int limit) {
  // Grouped over the open deliveries only (the partial index deliveries_due, by endpoint): a scrape
  // reads the backlog, never the delivered history.
  return select_all<EndpointQueue>(
      db,
      "SELECT endpoint_id, COUNT(*), MIN(created_ms) FROM deliveries WHERE status IN ('pending', 'retrying') "
      "GROUP BY endpoint_id ORDER BY COUNT(*) DESC, endpoint_id LIMIT ?1",
      Params{}.add(int64_t{limit}), "reading the deepest endpoint queues", [](const Row& row) {
        return EndpointQueue{row.text(0), row.integer(1), row.integer(2)};
      });
}

}  // namespace billhook::store::sql::stats
