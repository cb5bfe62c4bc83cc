#pragma once

#include <string>

#include "api/http.hpp"
#include "api/request_metrics.hpp"
#include "core/clock.hpp"
#include "delivery/delivery_metrics.hpp"
#include "store/store_metrics.hpp"

namespace billhook::app {

// Endpoints whose queues a scrape shows one by one (the deepest): the endpoint_id label stays bounded
// however many endpoints there are.
inline constexpr int kQueueTopEndpoints = 10;

// Everything GET /metrics shows, gathered from the parts that count it.
struct MetricsSources {
  const api::RequestMetrics& requests;
  const delivery::DeliveryMetrics& deliveries;
  store::StoreMetrics& store;
  const core::Clock& clock;
};

// Renders the whole scrape in the Prometheus text format, for either listener.
class MetricsExposition {
 public:
  explicit MetricsExposition(MetricsSources sources) : sources_(sources) {}

  // The queues are read from the store now (two queries over the open deliveries); if that read fails,
  // their families are left out and billhook_scrape_errors_total says so.
  std::string render();

 private:
  void write_queues(core::metrics::TextWriter& out);

  MetricsSources sources_;
  core::metrics::Counter scrape_errors_;
};

// The --metrics-listen listener's answer: GET /metrics without a key; 405 for another method on it,
// 404 for any other path (this listener serves nothing else).
api::HttpResponse metrics_listener_answer(const api::HttpRequest& request, MetricsExposition& metrics,
                                          const std::string& request_id);

}  // namespace billhook::app
