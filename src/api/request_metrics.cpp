#include "api/request_metrics.hpp"

#include <algorithm>

namespace billhook::api {

RequestMetrics::RequestMetrics(std::vector<std::pair<std::string, std::string>> routes)
    : routes_(std::move(routes)), counts_(std::make_unique<Counts[]>(routes_.size() + 1)) {
  const auto publish = std::find(routes_.begin(), routes_.end(), std::pair<std::string, std::string>("POST", "/v1/events"));
  publish_route_ = static_cast<size_t>(publish - routes_.begin());
}

size_t RequestMetrics::status_slot(int status) {
  const auto it = std::lower_bound(kStatuses.begin(), kStatuses.end(), status);
  return it != kStatuses.end() && *it == status ? static_cast<size_t>(it - kStatuses.begin()) : kOther;
}

void RequestMetrics::record(size_t route, int status, std::chrono::steady_clock::duration took) {
  route = std::min(route, unmatched());
  counts_[route][status_slot(status)].add();
  // Only answered publications: a refused one (400, 401, 409) says nothing of the publish path's speed.
  if (route == publish_route_ && status >= 200 && status < 300)
    publish_duration_.observe(std::chrono::duration<double>(took).count());
}

void RequestMetrics::write(core::metrics::TextWriter& out) const {
  out.family("billhook_http_requests_total", "counter",
             "API requests answered, by method, route template and status; only series that have counted appear.");
  for (size_t r = 0; r <= routes_.size(); ++r) {
    const bool matched = r < routes_.size();
    const std::string_view method = matched ? std::string_view(routes_[r].first) : "";
    const std::string_view route = matched ? std::string_view(routes_[r].second) : "unmatched";
    for (size_t s = 0; s <= kOther; ++s) {
      const uint64_t n = counts_[r][s].value();
      if (n == 0) continue;
      const std::string status = s < kOther ? std::to_string(kStatuses[s]) : "other";
      out.sample("billhook_http_requests_total", {{"method", method}, {"route", route}, {"status", status}}, n);
    }
  }
  out.family("billhook_publish_duration_seconds", "histogram",
             "Time to answer a successful POST /v1/events, the group commit that makes the event durable included.");
  out.histogram("billhook_publish_duration_seconds", {}, publish_duration_.snapshot());
}

}  // namespace billhook::api
