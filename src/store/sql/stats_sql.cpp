#include "store/sql/stats_sql.hpp"

#include <algorithm>
#include <array>
#include <map>

#include <fmt/format.h>

#include "store/sql/query.hpp"

namespace billhook::store::sql::stats {

using core::Result;
using core::Status;

namespace {

// A minute's attempts of one batch added to its bucket, in one statement: attempts ?3, succeeded ?4,
// and each latency histogram bucket's count, l0 … l15 as ?5 … ?20. Answers the bucket's attempts: equal
// to ?3 when this statement created the row.
const std::string& bucket_upsert() {
  static const std::string sql = [] {
    std::string columns, values, sums;
    for (size_t i = 0; i < kLatencyBuckets; ++i) {
      columns += fmt::format(", l{}", i);
      values += fmt::format(", ?{}", i + 5);
      sums += fmt::format(", l{0} = delivery_stats.l{0} + excluded.l{0}", i);
    }
    return fmt::format(
        "INSERT INTO delivery_stats (minute, shard, attempts, succeeded{}) VALUES (?1, ?2, ?3, ?4{}) "
        "ON CONFLICT (minute, shard) DO UPDATE SET attempts = delivery_stats.attempts + excluded.attempts, "
        "succeeded = delivery_stats.succeeded + excluded.succeeded{} RETURNING attempts",
        columns, values, sums);
  }();
  return sql;
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
  // One upsert per minute (a batch's attempts mostly share one), in minute order.
  for (size_t first = 0; first < attempts.size();) {
    const int64_t minute = attempts[first].started_ms / 60'000;
    int64_t count = 0, succeeded = 0;
    LatencyHistogram latencies{};
    size_t end = first;
    for (; end < attempts.size() && attempts[end].started_ms / 60'000 == minute; ++end) {
      ++count;
      succeeded += attempts[end].succeeded ? 1 : 0;
      ++latencies[latency_bucket(attempts[end].duration_ms)];
    }
    first = end;
    Params params;
    params.add(minute).add(shard).add(count).add(succeeded);
    for (int64_t n : latencies) params.add(n);
    int64_t counted = 0;
    auto upserted = db.run(bucket_upsert(), params, "counting attempts", [&](const Row& row) { counted = row.integer(0); });
    if (!upserted) return std::move(upserted).error();
    // The first attempts of a minute (on this shard) drop what has aged out of every window: once a
    // minute at most, by primary key.
    if (counted == count) {
      if (auto s = execute(db, "DELETE FROM delivery_stats WHERE minute < ?1 AND shard = ?2",
                           Params{}.add(minute - kKeptMinutes).add(shard), "dropping old delivery statistics");
          !s)
        return s;
    }
  }
  // The attempts' endpoints, in one statement.
  TextList delivery_ids;
  for (const auto& a : attempts) delivery_ids.push_back(a.delivery_id);
  std::sort(delivery_ids.begin(), delivery_ids.end());
  delivery_ids.erase(std::unique(delivery_ids.begin(), delivery_ids.end()), delivery_ids.end());
  std::map<std::string, std::string, std::less<>> endpoint_of;
  auto found = db.run(fmt::format("SELECT id, endpoint_id FROM deliveries WHERE {}", db.dialect().in_text_list("id", 1)),
                      Params{}.add_list(delivery_ids), "finding the attempts' endpoints",
                      [&](const Row& row) { endpoint_of.emplace(row.text(0), row.text(1)); });
  if (!found) return std::move(found).error();
  std::vector<std::pair<std::string, const AttemptStat*>> by_endpoint;
  for (const auto& a : attempts)
    if (auto it = endpoint_of.find(a.delivery_id); it != endpoint_of.end()) by_endpoint.emplace_back(it->second, &a);
  std::stable_sort(by_endpoint.begin(), by_endpoint.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  // One upsert per endpoint, its attempts folded in the order they were recorded: the streak restarts at
  // a success, and times only move forward, whatever order attempts are recorded in.
  for (size_t first = 0; first < by_endpoint.size();) {
    const std::string& endpoint_id = by_endpoint[first].first;
    int64_t last_success_ms = 0, last_failure_ms = 0, failures_since_success = 0;
    bool any_success = false;
    size_t end = first;
    for (; end < by_endpoint.size() && by_endpoint[end].first == endpoint_id; ++end) {
      const AttemptStat& a = *by_endpoint[end].second;
      const int64_t ended_ms = a.started_ms + a.duration_ms;
      if (a.succeeded) {
        any_success = true;
        failures_since_success = 0;
        last_success_ms = std::max(last_success_ms, ended_ms);
      } else {
        ++failures_since_success;
        last_failure_ms = std::max(last_failure_ms, ended_ms);
      }
    }
    if (auto s = execute(db,
                         "INSERT INTO endpoint_health (endpoint_id, last_success_ms, last_failure_ms, failure_streak) "
                         "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (endpoint_id) DO UPDATE SET "
                         "last_success_ms = CASE WHEN excluded.last_success_ms > endpoint_health.last_success_ms "
                         "THEN excluded.last_success_ms ELSE endpoint_health.last_success_ms END, "
                         "last_failure_ms = CASE WHEN excluded.last_failure_ms > endpoint_health.last_failure_ms "
                         "THEN excluded.last_failure_ms ELSE endpoint_health.last_failure_ms END, "
                         "failure_streak = CASE WHEN ?5 = 1 THEN excluded.failure_streak "
                         "ELSE endpoint_health.failure_streak + excluded.failure_streak END",
                         Params{}
                             .add(endpoint_id)
                             .add(last_success_ms)
                             .add(last_failure_ms)
                             .add(failures_since_success)
                             .add(int64_t{any_success ? 1 : 0}),
                         "updating an endpoint's health");
        !s)
      return s;
    first = end;
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
