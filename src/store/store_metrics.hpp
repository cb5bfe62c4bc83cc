#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/metrics.hpp"
#include "core/result.hpp"

namespace billhook::store {

// One endpoint's backlog: its open (pending or retrying) deliveries and when the oldest was created.
struct EndpointQueue {
  std::string endpoint_id;
  int64_t depth = 0;
  int64_t oldest_created_ms = 0;
};

// What a store tells GET /metrics beyond the Store interface. Apart from it so that the hot paths'
// interface does not change for an operator's view; the composition root hands it to the scrape.
class StoreMetrics {
 public:
  virtual ~StoreMetrics() = default;
  // The `limit` endpoints with the most open deliveries, deepest first (ties by endpoint id): one
  // query over the open deliveries' partial index, so a scrape costs what GET /v1/stats's depth does.
  virtual core::Result<std::vector<EndpointQueue>> deepest_queues(int limit) = 0;
  // Deliveries pending or retrying now, every endpoint's (Store::queue_depth, which implements it).
  virtual core::Result<int64_t> queue_depth() = 0;
  // The store's own families: group-commit batch sizes, COMMIT durations, the reader pool's use.
  virtual void write_metrics(core::metrics::TextWriter& out) const = 0;
};

}  // namespace billhook::store
