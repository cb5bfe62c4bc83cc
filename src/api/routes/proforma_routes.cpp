// Proformas: payable pre-invoices without a legal number (CATALOG.md §1.2, kind=proforma). Created and
// credited here; finalized, voided and paid (which converts a proforma into a numbered, paid tax
// invoice) through the invoice actions under /v1/invoices/{id}/…, since a proforma is an invoice
// with kind=proforma.

#include <boost/json.hpp>
#include <fmt/format.h>

#include "api/routes/billing_common.hpp"
#include "api/routes/invoice_reading.hpp"
#include "api/routes/routes.hpp"
#include "billing/proforma_service.hpp"
#include "core/text.hpp"

namespace billhook::api::routes {
namespace {

using core::Error;

constexpr size_t kMaxDescriptionLength = 1000;
constexpr int64_t kMaxAmount = int64_t{1} << 62;

void create_proforma(const std::shared_ptr<Call>& call) {
  auto billing = billing_of(*call);
  if (!billing) return call->fail(billing.error());
  auto body = call->body();
  if (!body) return call->fail(body.error());
  auto request = read_invoice_request(*body);
  if (!request) return call->fail(request.error());
  if (request->document.kind != billing::InvoiceKind::proforma && body->has("kind"))
    return call->fail(Error::invalid("invalid_value",
                                     "'kind' must be \"proforma\" here (or left out); create invoices with "
                                     "POST /v1/invoices",
                                     "kind"));
  request->document.kind = billing::InvoiceKind::proforma;
  if (auto s = core::check_id(core::IdKind::customer, request->document.customer_id, "customer"); !s)
    return call->fail(s.error());
  call->commit([service = *billing, request = std::move(*request), origin = origin_of(*call)](
                   store::WriteTx& tx) -> core::Result<Reply> {
    auto r = service->create_invoice(tx, request.document, request.auto_finalize, origin);
    if (!r) return std::move(r).error();
    return Reply{201, to_json_text(billing::to_json(r->invoice))};
  });
}

// {"amount": n, "reason": "order_change", "description": "…"}: lowers what an open proforma asks for.
void credit_proforma(const std::shared_ptr<Call>& call) {
  auto billing = billing_of(*call);
  if (!billing) return call->fail(billing.error());
  const std::string id = call->param("id");
  if (!core::is_valid_id(core::IdKind::invoice, id))
    return call->fail(Error::not_found("proforma_not_found", fmt::format("no proforma has id '{}'", core::clip(id, 100))));
  auto body = call->body();
  if (!body) return call->fail(body.error());
  if (auto s = body->allow_only({"amount", "reason", "description"}); !s) return call->fail(s.error());
  billing::ProformaCredit credit;
  auto amount = body->optional_int("amount", INT64_MIN, kMaxAmount);
  if (!amount) return call->fail(amount.error());
  if (!*amount)
    return call->fail(Error::invalid("missing_field", "'amount' is required (minor units of the proforma's currency)",
                                     "amount"));
  credit.amount = **amount;
  auto reason = body->optional_string("reason", 40);
  if (!reason) return call->fail(reason.error());
  if (*reason) {
    auto parsed = billing::parse_proforma_credit_reason(**reason);
    if (!parsed)
      return call->fail(Error::invalid("invalid_value",
                                       "'reason' must be one of duplicated_charge, product_unsatisfactory, "
                                       "order_change, order_cancellation, fraudulent_charge, other",
                                       "reason"));
    credit.reason = *parsed;
  }
  auto description = body->optional_string("description", kMaxDescriptionLength);
  if (!description) return call->fail(description.error());
  credit.description = std::move(*description);
  call->commit([service = *billing, id, credit = std::move(credit),
                origin = origin_of(*call)](store::WriteTx& tx) -> core::Result<Reply> {
    auto r = billing::credit_proforma(*service, tx, id, credit, origin);
    if (!r) return std::move(r).error();
    return Reply{200, to_json_text(billing::to_json(r->invoice))};
  });
}

}  // namespace

void register_proforma_routes(Routes& routes) {
  routes.add("POST", "/v1/proformas", create_proforma);
  routes.add("POST", "/v1/proformas/{id}/credit", credit_proforma);
}

}  // namespace billhook::api::routes
