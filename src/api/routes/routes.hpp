#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "api/call.hpp"
#include "api/router.hpp"
#include "billing/registry/registry.hpp"

namespace billhook::api {

using Handler = std::function<void(const std::shared_ptr<Call>&)>;
using Routes = Router<Handler>;

namespace routes {

using RouteList = std::function<std::vector<std::pair<std::string, std::string>>()>;

// GET /health and GET /openapi.json (both without authentication), and GET /metrics.
void register_meta_routes(Routes& routes);
// GET /metrics: the Prometheus text exposition (with the API key, as every /v1 route).
void register_metrics_route(Routes& routes);
// GET /v1/event-types, GET /v1/event-types/{name}
void register_event_type_routes(Routes& routes);
// /v1/endpoints and /v1/endpoints/{id}[/secret]
void register_endpoint_routes(Routes& routes);
// POST/GET /v1/events, GET /v1/events/{id}
void register_event_routes(Routes& routes);
// GET /v1/deliveries, GET /v1/deliveries/{id}
void register_delivery_routes(Routes& routes);
// /v1/listen-sessions: the temporary endpoints of `billhook listen`, their long poll and the CLI's reports.
void register_listen_routes(Routes& routes);
// GET /v1/stats: delivery rates, success, latency, queue depth and failing endpoints over a window.
void register_stats_routes(Routes& routes);

// The billing engine: /v1/customers, /v1/payment-methods, /v1/invoices and the invoice actions.
void register_customer_routes(Routes& routes);
void register_payment_method_routes(Routes& routes);
void register_invoice_routes(Routes& routes);
// Proformas (create, credit), partner invoices (create) and invoice batches (create, progress).
void register_proforma_routes(Routes& routes);
void register_partner_invoice_routes(Routes& routes);
void register_batch_routes(Routes& routes);
// GET /v1/<path> and /v1/<path>/{id} for every registered document kind with an API path, and the
// routes of its commands.
void register_document_routes(Routes& routes);
// Where a kind's command is served: <api_path>, <api_path>/{id} or <api_path>/{id}/<action>.
std::string command_path(const billing::RegisteredKind& kind, const billing::DocumentCommand& command);
// Refunds and disputes: /v1/invoices/{id}/refunds|disputes, /v1/refunds/{id}, /v1/disputes/{id}.
void register_refund_routes(Routes& routes);
// /v1/credit-notes, /v1/invoices/{id}/apply-balance and /v1/customers/{id}/balance[-transactions].
void register_credit_note_routes(Routes& routes);
// GET /v1/invoices/{id}/pdf and /v1/credit-notes/{id}/pdf (`?version=`).
void register_pdf_routes(Routes& routes);
// GET/PATCH /v1/settings: the seller block on PDFs.
void register_settings_routes(Routes& routes);
// GET /v1/webhooks/public_key: the key that verifies Lago-profile JWT signatures, as Lago serves its own.
void register_webhook_key_routes(Routes& routes);

// POST /v1/invoices/{id}/share and POST /v1/customers/{id}/checkout-links: links to the public pages.
void register_hosted_link_routes(Routes& routes);
// The public pages under /hosted/ (no API key): a shared invoice and its card form, a checkout page.
// HTML for people, not the JSON API: Api adds them beside register_all, and /openapi.json does not
// describe them (the share and checkout-link operations say what they serve).
void register_hosted_page_routes(Routes& routes);

// POST /v1/usage-events[/batch] and GET /v1/subscriptions/{id}/usage: the usage intake.
void register_usage_routes(Routes& routes);

// POST /v1/test/clock: only when serve runs with --test-clock.
void register_test_clock_routes(Routes& routes);

// Every route above; the test clock's only if asked. The API and the OpenAPI test both use
// this, so a route added here is one the document must describe.
void register_all(Routes& routes, bool with_test_clock);

}  // namespace routes
}  // namespace billhook::api
