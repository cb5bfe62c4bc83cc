#include "app/metrics_exposition.hpp"

#include <algorithm>

#include "api/errors.hpp"
#include "core/log.hpp"

namespace billhook::app {

void MetricsExposition::write_queues(core::metrics::TextWriter& out) {
  const auto failed = [this](const core::Error& error) {
    scrape_errors_.add();
    core::log::warn("metrics: reading the delivery queues failed", {{"error", error.message}});
  };
  auto depth = sources_.store.queue_depth();
  if (!depth) return failed(depth.error());
  auto queues = sources_.store.deepest_queues(kQueueTopEndpoints);
  if (!queues) return failed(queues.error());
  const int64_t now_ms = core::to_unix_ms(sources_.clock.now());
  out.family("billhook_queue_depth", "gauge", "Open (pending or retrying) deliveries, every endpoint's.");
  out.sample("billhook_queue_depth", {}, static_cast<uint64_t>(*depth));
  out.family("billhook_endpoint_queue_depth", "gauge",
             "Open deliveries of the endpoints with the most of them (at most 10 endpoints, deepest first).");
  for (const auto& q : *queues)
    out.sample("billhook_endpoint_queue_depth", {{"endpoint_id", q.endpoint_id}}, static_cast<uint64_t>(q.depth));
  out.family("billhook_endpoint_oldest_pending_age_seconds", "gauge",
             "Age of the oldest open delivery of each endpoint in billhook_endpoint_queue_depth.");
  for (const auto& q : *queues)
    out.sample("billhook_endpoint_oldest_pending_age_seconds", {{"endpoint_id", q.endpoint_id}},
               static_cast<double>(std::max<int64_t>(0, now_ms - q.oldest_created_ms)) / 1000.0);
}

std::string MetricsExposition::render() {
  core::metrics::TextWriter out;
  sources_.requests.write(out);
  sources_.deliveries.write(out);
  write_queues(out);
  sources_.store.write_metrics(out);
  out.family("billhook_scrape_errors_total", "counter",
             "Scrapes that could not read the delivery queues from the store (their families were left out).");
  out.sample("billhook_scrape_errors_total", {}, scrape_errors_.value());
  return out.take();
}

api::HttpResponse metrics_listener_answer(const api::HttpRequest& request, MetricsExposition& metrics,
                                          const std::string& request_id) {
  const std::string_view path = std::string_view(request.target).substr(0, request.target.find('?'));
  api::HttpResponse response;
  if (path != "/metrics") {
    response = api::error_response(
        core::Error::not_found("route_not_found", "the metrics listener serves GET /metrics only"), request_id);
  } else if (request.method != "GET") {
    response = api::error_response(core::Error::invalid("method_not_allowed", "/metrics accepts GET only"), request_id);
    response.status = 405;
    response.headers.emplace_back("Allow", "GET");
  } else {
    response.content_type = std::string(core::metrics::TextWriter::kContentType);
    response.body = metrics.render();
  }
  response.headers.emplace_back("Request-Id", request_id);
  return response;
}

}  // namespace billhook::app
