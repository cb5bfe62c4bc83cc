#include "api/routes/routes.hpp"
#include "core/metrics.hpp"

namespace billhook::api::routes {

void register_metrics_route(Routes& routes) {
  routes.add("GET", "/metrics", [](const std::shared_ptr<Call>& call) {
    if (!call->services.metrics_text)
      return call->fail(core::Error::not_found("metrics_not_served", "this server does not serve metrics"));
    HttpResponse response;
    response.content_type = std::string(core::metrics::TextWriter::kContentType);
    response.body = call->services.metrics_text();
    call->send(std::move(response));
  });
}

}  // namespace billhook::api::routes
