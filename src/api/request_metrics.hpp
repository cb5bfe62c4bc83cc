#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/metrics.hpp"

namespace billhook::api {

// Requests answered, by route and status, and how long publishing took, for GET /metrics. The
// route label is the route's template ("/v1/endpoints/{id}"), never the raw path, and the statuses
// are a fixed list (anything else is "other"), so the series are bounded by the routes and fixed
// when the API is built: recording is two array indexes and a relaxed atomic add.
class RequestMetrics {
 public:
  // The routes' (method, template) in the router's order (Router::list); a request that matched no
  // route counts under route "unmatched".
  explicit RequestMetrics(std::vector<std::pair<std::string, std::string>> routes);

  // The slot of a request that matched no route.
  size_t unmatched() const { return routes_.size(); }
  void record(size_t route, int status, std::chrono::steady_clock::duration took);

  void write(core::metrics::TextWriter& out) const;

  // The statuses counted by their own label; the index of one in a slot's counters, or kOther.
  static constexpr std::array<int, 26> kStatuses = {200, 201, 202, 204, 301, 302, 303, 304, 307,
                                                    308, 400, 401, 403, 404, 405, 409, 410, 412,
                                                    413, 415, 422, 429, 500, 502, 503, 504};
  static constexpr size_t kOther = kStatuses.size();
  static size_t status_slot(int status);

 private:
  using Counts = std::array<core::metrics::Counter, kStatuses.size() + 1>;
  std::vector<std::pair<std::string, std::string>> routes_;
  std::unique_ptr<Counts[]> counts_;  // per route, then unmatched
  size_t publish_route_;              // POST /v1/events, or routes_.size() if absent
  core::metrics::Histogram publish_duration_{core::metrics::kLatencyBounds};
};

}  // namespace billhook::api
