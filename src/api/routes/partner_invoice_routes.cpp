// Partner invoices (CATALOG.md §1.1, audience=partner): invoices the platform issues to a partner or
// merchant, on the same machine as customer invoices with the roles swapped. The partner is kept as a
// customer record (the recipient); everything after creation (finalize, pay, void, due date) goes
// through /v1/invoices/{id}/…, and the machine names the events partner_invoice.created, .paid and
// (from the scheduler, once per due date) .overdue.

#include <boost/json.hpp>

#include "api/routes/billing_common.hpp"
#include "api/routes/invoice_reading.hpp"
#include "api/routes/routes.hpp"

namespace billhook::api::routes {
namespace {

using core::Error;

void create_partner_invoice(const std::shared_ptr<Call>& call) {
  auto billing = billing_of(*call);
  if (!billing) return call->fail(billing.error());
  auto body = call->body();
  if (!body) return call->fail(body.error());
  if (body->has("kind"))
    return call->fail(Error::invalid("unknown_parameter",
                                     "'kind' is not accepted here: a partner invoice is always a tax invoice", "kind"));
  auto request = read_invoice_request(*body);
  if (!request) return call->fail(request.error());
  request->document.audience = billing::Audience::partner;
  if (auto s = core::check_id(core::IdKind::customer, request->document.customer_id, "customer"); !s)
    return call->fail(s.error());
  call->commit([service = *billing, request = std::move(*request), origin = origin_of(*call)](
                   store::WriteTx& tx) -> core::Result<Reply> {
    auto r = service->create_invoice(tx, request.document, request.auto_finalize, origin);
    if (!r) return std::move(r).error();
    return Reply{201, to_json_text(billing::to_json(r->invoice))};
  });
}

}  // namespace

void register_partner_invoice_routes(Routes& routes) {
  routes.add("POST", "/v1/partner-invoices", create_partner_invoice);
}

}  // namespace billhook::api::routes
