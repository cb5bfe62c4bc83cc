#include <boost/json.hpp>

#include "api/openapi_document.hpp"
#include "api/routes/routes.hpp"

namespace billhook::api::routes {

void register_meta_routes(Routes& routes) {
  routes.add("GET", "/health", [](const std::shared_ptr<Call>& call) {
    call->reply(200, boost::json::object{{"status", "ok"}, {"version", BILLHOOK_VERSION}});
  });
  routes.add("GET", "/openapi.json", [](const std::shared_ptr<Call>& call) {
    call->reply(Reply{200, openapi_text()});
  });
  register_metrics_route(routes);
}

void register_all(Routes& routes, bool with_test_clock) {
  register_meta_routes(routes);
  register_event_type_routes(routes);
  register_endpoint_routes(routes);
  register_event_routes(routes);
  register_delivery_routes(routes);
  register_listen_routes(routes);
  register_stats_routes(routes);
  register_customer_routes(routes);
  register_payment_method_routes(routes);
  register_invoice_routes(routes);
  register_proforma_routes(routes);
  register_partner_invoice_routes(routes);
  register_batch_routes(routes);
  register_document_routes(routes);
  register_refund_routes(routes);
  register_credit_note_routes(routes);
  register_pdf_routes(routes);
  register_settings_routes(routes);
  register_webhook_key_routes(routes);
  register_hosted_link_routes(routes);
  register_usage_routes(routes);
  if (with_test_clock) register_test_clock_routes(routes);
}

}  // namespace billhook::api::routes
