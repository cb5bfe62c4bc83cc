#pragma once

// The delivery statistics' statements (store/delivery_stats.hpp), once for both backends: the two
// upserts each attempt adds at the end of its write batch, and the reads behind Store's stats methods.

#include <string>
#include <vector>

#include "core/result.hpp"
#include "events/model.hpp"
#include "store/delivery_stats.hpp"
#include "store/sql/session.hpp"
#include "store/store_metrics.hpp"

namespace billhook::store::sql::stats {

// How many rows a minute may have: a node adds to its own shard's row, so that nodes sharing a database
// do not queue behind each other's lock on one row. SQLite, one writer, always uses shard 0.
inline constexpr int kShards = 8;
// How long buckets are kept: the longest window (a week) and a day more.
inline constexpr int64_t kKeptMinutes = 8 * 24 * 60;

// What the statistics keep of an attempt.
struct AttemptStat {
  std::string delivery_id;
  int64_t started_ms = 0;
  int64_t duration_ms = 0;
  bool succeeded = false;
};

// Counts the attempts of one write batch in their minutes' buckets (shard `shard`) and in their
// endpoints' health: one upsert per minute and one per endpoint, by primary key. Called once per batch, after its jobs: the rows
// are taken in one order in every transaction (buckets by minute, then health by endpoint id), so two
// nodes sharing PostgreSQL wait for each other but never deadlock. In the order they were recorded
// within an endpoint, so its failure streak counts right.
core::Status record_attempts(Session& db, std::vector<AttemptStat> attempts, int shard);
// Forgets an endpoint's health (the endpoint is deleted).
core::Status forget_endpoint(Session& db, std::string_view endpoint_id);

core::Result<std::vector<StatsBucket>> buckets(Session& db, int64_t from_minute, int64_t to_minute,
                                               int64_t step_minutes);
core::Result<std::vector<EndpointHealth>> health(Session& db, const std::vector<std::string>& endpoint_ids);
core::Result<std::vector<EndpointHealth>> failing(Session& db, int64_t since_ms, int limit);
core::Result<int64_t> queue_depth(Session& db);
core::Result<std::vector<EndpointQueue>> deepest_queues(Session& db, int limit);

}  // namespace billhook::store::sql::stats
