// Refunds and disputes of an invoice's payments (CATALOG.md §1.5 Region D).
//
// A refund is requested, sent to the processor and, when accepted, counted at once; the processor's
// asynchronous confirmation arrives as POST /v1/refunds/{id}/confirm (what a PSP webhook adapter
// calls), or, for the sandbox, which confirms on its own, from the billing scheduler at the refund's
// confirms_at. Disputes come from the
// processor too: POST /v1/invoices/{id}/disputes opens one, POST /v1/disputes/{id}/close decides it.
// GET /v1/refunds/{id} and GET /v1/disputes/{id} are the generic document routes (document_routes.cpp).

#include <boost/json.hpp>
#include <fmt/format.h>

#include "api/representations.hpp"
#include "api/routes/billing_common.hpp"
#include "api/routes/credit_common.hpp"
#include "api/routes/routes.hpp"
#include "billing/credit_service.hpp"
#include "core/text.hpp"

namespace billhook::api::routes {
namespace {

using core::Error;
namespace json = boost::json;

constexpr size_t kMaxReasonLength = 100;

void create_refund(const std::shared_ptr<Call>& call) {
  const std::string id = call->param("id");
  if (!core::is_valid_id(core::IdKind::invoice, id)) return call->fail(document_not_found("invoice", "invoice_not_found", id));
  auto body = optional_body(*call);
  if (!body) return call->fail(body.error());
  if (auto s = body->allow_only({"amount", "reason"}); !s) return call->fail(s.error());
  billing::RefundCreate request;
  auto amount = body->optional_int("amount", INT64_MIN, INT64_MAX);
  if (!amount) return call->fail(amount.error());
  request.amount = *amount;
  auto reason = body->optional_string("reason", kMaxReasonLength);
  if (!reason) return call->fail(reason.error());
  request.reason = std::move(*reason);
  commit_credit(call, [id, request](billing::CreditService& credit, store::WriteTx& tx,
                                    const billing::Origin& origin) -> core::Result<Reply> {
    auto refund = credit.create_refund(tx, id, request, origin);
    if (!refund) return std::move(refund).error();
    return Reply{201, to_json_text(billing::kRefunds.api_json(*refund))};
  });
}

void confirm_refund(const std::shared_ptr<Call>& call) {
  const std::string id = call->param("id");
  if (!core::is_valid_id(core::IdKind::refund, id)) return call->fail(document_not_found("refund", "refund_not_found", id));
  auto body = optional_body(*call);
  if (!body) return call->fail(body.error());
  if (auto s = body->allow_only({}); !s) return call->fail(s.error());
  commit_credit(call, [id](billing::CreditService& credit, store::WriteTx& tx,
                           const billing::Origin& origin) -> core::Result<Reply> {
    auto refund = credit.confirm_refund(tx, id, origin);
    if (!refund) return std::move(refund).error();
    return Reply{200, to_json_text(billing::kRefunds.api_json(*refund))};
  });
}

// The refunds (or disputes) of one invoice, oldest first, in one page.
template <class T>
void list_of_invoice(const std::shared_ptr<Call>& call, const billing::DocumentKind<T>& kind,
                     const std::string& suffix) {
  const std::string& id = call->param("id");
  if (!core::is_valid_id(core::IdKind::invoice, id)) return call->fail(document_not_found("invoice", "invoice_not_found", id));
  if (auto s = call->query.allow_only({}); !s) return call->fail(s.error());
  auto reads = billing_reads_of(*call);
  if (!reads) return call->fail(reads.error());
  auto invoice = (*reads)->invoice(id);
  if (!invoice) return call->fail(invoice.error());
  if (!*invoice) return call->fail(document_not_found("invoice", "invoice_not_found", id));
  store::DocumentQuery query{.page = {.limit = 100}, .filter = {.kind = std::string(kind.kind), .parent_id = id}};
  json::array data;
  bool has_more = true;
  while (has_more) {
    auto page = call->services.store.list_documents(query);
    if (!page) return call->fail(page.error());
    for (const auto& record : page->items) {
      auto doc = kind.decode(record.body);
      if (!doc) return call->fail(doc.error());
      data.push_back(kind.api_json(*doc));
    }
    has_more = page->has_more && !page->items.empty();
    if (has_more) query.page.starting_after = page->items.back().id;
  }
  std::reverse(data.begin(), data.end());
  call->reply(200, list_json(std::move(data), false, "/v1/invoices/" + id + suffix));
}

void open_dispute(const std::shared_ptr<Call>& call) {
  const std::string id = call->param("id");
  if (!core::is_valid_id(core::IdKind::invoice, id)) return call->fail(document_not_found("invoice", "invoice_not_found", id));
  auto body = optional_body(*call);
  if (!body) return call->fail(body.error());
  if (auto s = body->allow_only({"payment", "amount", "reason"}); !s) return call->fail(s.error());
  billing::DisputeOpen request;
  auto payment = body->optional_string("payment", 64);
  if (!payment) return call->fail(payment.error());
  request.payment_id = std::move(*payment);
  auto amount = body->optional_int("amount", INT64_MIN, INT64_MAX);
  if (!amount) return call->fail(amount.error());
  request.amount = *amount;
  auto reason = body->optional_string("reason", kMaxReasonLength);
  if (!reason) return call->fail(reason.error());
  request.reason = std::move(*reason);
  commit_credit(call, [id, request](billing::CreditService& credit, store::WriteTx& tx,
                                    const billing::Origin& origin) -> core::Result<Reply> {
    auto dispute = credit.open_dispute(tx, id, request, origin);
    if (!dispute) return std::move(dispute).error();
    return Reply{201, to_json_text(billing::kDisputes.api_json(*dispute))};
  });
}

void close_dispute(const std::shared_ptr<Call>& call) {
  const std::string id = call->param("id");
  if (!core::is_valid_id(core::IdKind::dispute, id)) return call->fail(document_not_found("dispute", "dispute_not_found", id));
  auto body = call->body();
  if (!body) return call->fail(body.error());
  if (auto s = body->allow_only({"status"}); !s) return call->fail(s.error());
  auto status = body->required_string("status", 20);
  if (!status) return call->fail(status.error());
  const auto outcome = core::described::parse<billing::DisputeStatus>(*status);
  if (!outcome || (*outcome != billing::DisputeStatus::won && *outcome != billing::DisputeStatus::lost))
    return call->fail(Error::invalid("invalid_value", "'status' must be \"won\" or \"lost\"", "status"));
  commit_credit(call, [id, outcome = *outcome](billing::CreditService& credit, store::WriteTx& tx,
                                               const billing::Origin& origin) -> core::Result<Reply> {
    auto dispute = credit.close_dispute(tx, id, outcome, origin);
    if (!dispute) return std::move(dispute).error();
    return Reply{200, to_json_text(billing::kDisputes.api_json(*dispute))};
  });
}

}  // namespace

void register_refund_routes(Routes& routes) {
  routes.add("POST", "/v1/invoices/{id}/refunds", create_refund);
  routes.add("GET", "/v1/invoices/{id}/refunds",
             [](const auto& call) { list_of_invoice(call, billing::kRefunds, "/refunds"); });
  routes.add("POST", "/v1/refunds/{id}/confirm", confirm_refund);
  routes.add("POST", "/v1/invoices/{id}/disputes", open_dispute);
  routes.add("GET", "/v1/invoices/{id}/disputes",
             [](const auto& call) { list_of_invoice(call, billing::kDisputes, "/disputes"); });
  routes.add("POST", "/v1/disputes/{id}/close", close_dispute);
}

}  // namespace billhook::api::routes
