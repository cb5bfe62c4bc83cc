// GET /v1/stats: the dashboard overview's figures, from the buckets and health rows the store keeps
// with each attempt (store/delivery_stats.hpp), never from the attempts themselves.

#include <boost/json.hpp>
#include <fmt/format.h>

#include "api/representations.hpp"
#include "api/routes/routes.hpp"
#include "core/clock.hpp"
#include "core/text.hpp"

namespace billhook::api::routes {
namespace {

using core::Error;

constexpr int kFailingEndpointsShown = 10;

boost::json::value optional_json(const std::optional<int64_t>& v) {
  return v ? boost::json::value(*v) : boost::json::value(nullptr);
}
boost::json::value optional_json(const std::optional<double>& v) {
  return v ? boost::json::value(*v) : boost::json::value(nullptr);
}
boost::json::value seconds_or_null(int64_t ms) { return ms ? boost::json::value(ms / 1000) : boost::json::value(nullptr); }

// The figures of one bucket: counts, success rate and latency percentiles.
boost::json::object figures(const store::StatsBucket& b) {
  return {
      {"attempts", b.attempts},
      {"succeeded", b.succeeded},
      {"failed", b.failed()},
      {"success_rate", optional_json(store::success_rate(b))},
      {"latency_p50_ms", optional_json(store::latency_percentile(b.latency, 0.50))},
      {"latency_p99_ms", optional_json(store::latency_percentile(b.latency, 0.99))},
  };
}

void get_stats(const std::shared_ptr<Call>& call) {
  if (auto s = call->query.allow_only({"window"}); !s) return call->fail(s.error());
  const std::string name = call->query.get("window").value_or("hour");
  const int64_t now_ms = core::to_unix_ms(call->services.clock.now());
  const auto window = store::stats_window(name, now_ms);
  if (!window)
    return call->fail(Error::invalid(
        "invalid_window", fmt::format("'window' must be hour, day or week; got '{}'", core::clip(name)), "window"));
  auto& store = call->services.store;
  auto buckets = store.delivery_stats(window->from_minute, window->to_minute, window->step_minutes);
  if (!buckets) return call->fail(buckets.error());
  auto depth = store.queue_depth();
  if (!depth) return call->fail(depth.error());
  auto failing = store.failing_endpoints(window->from_minute * 60'000, kFailingEndpointsShown);
  if (!failing) return call->fail(failing.error());

  store::StatsBucket total;
  boost::json::array series;
  for (const auto& b : store::stats_series(*window, *buckets)) {
    total += b;
    auto point = figures(b);
    point["at"] = b.minute * 60;
    series.push_back(std::move(point));
  }
  boost::json::array failing_json;
  for (const auto& h : *failing) {
    auto ep = store.find_endpoint(h.endpoint_id);
    if (!ep) return call->fail(ep.error());
    if (!*ep) continue;  // deleted since
    failing_json.push_back(boost::json::object{
        {"endpoint_id", h.endpoint_id},
        {"url", (*ep)->url},
        {"enabled", (*ep)->enabled},
        {"disabled_reason",
         (*ep)->disabled_reason.empty() ? boost::json::value(nullptr) : boost::json::value((*ep)->disabled_reason)},
        {"failure_streak", h.failure_streak},
        {"last_failure_at", seconds_or_null(h.last_failure_ms)},
        {"last_success_at", seconds_or_null(h.last_success_ms)},
    });
  }
  auto totals = figures(total);
  totals["deliveries_per_minute"] = static_cast<double>(total.attempts) / static_cast<double>(window->minutes());
  call->reply(200, boost::json::object{
                       {"object", "stats"},
                       {"window", window->name},
                       {"from", window->from_minute * 60},
                       {"to", window->to_minute * 60},
                       {"step", window->step_minutes * 60},
                       {"totals", std::move(totals)},
                       {"queue_depth", *depth},
                       {"series", std::move(series)},
                       {"failing_endpoints", std::move(failing_json)},
                   });
}

}  // namespace

void register_stats_routes(Routes& routes) { routes.add("GET", "/v1/stats", get_stats); }

}  // namespace billhook::api::routes
