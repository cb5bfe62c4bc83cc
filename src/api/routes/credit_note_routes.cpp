// Credit notes (CATALOG.md §1.6) and the customer's credit balance: its ledger, and drawing on it.
//
// The balance is drawn on in two ways: automatically when an invoice is finalized (as Stripe applies
// a customer's balance to the next invoice it finalizes; see invoice_routes.cpp), and on demand with
// POST /v1/invoices/{id}/apply-balance for an invoice that was already open when the credit arrived.
// GET /v1/credit-notes (with its invoice and customer filters) and GET /v1/credit-notes/{id} are the
// generic document routes (document_routes.cpp).

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

constexpr size_t kMaxMemoLength = 1000;

core::Result<billing::CreditNoteCreate> read_credit_note(const Body& body) {
  if (auto s = body.allow_only({"invoice", "amount", "reason", "refund_amount", "credit_amount", "out_of_band_amount",
                                 "memo", "metadata", "draft"});
      !s)
    return std::move(s).error();
  billing::CreditNoteCreate out;
  auto invoice = body.required_string("invoice", 64);
  if (!invoice) return std::move(invoice).error();
  if (auto s = core::check_id(core::IdKind::invoice, *invoice, "invoice"); !s) return std::move(s).error();
  out.invoice_id = std::move(*invoice);
  auto amount = body.optional_int("amount", INT64_MIN, INT64_MAX);
  if (!amount) return std::move(amount).error();
  if (!*amount) return Error::invalid("missing_field", "'amount' is required (minor units of the invoice's currency)",
                                      "amount");
  out.split.total = **amount;
  for (auto [name, field] : {std::pair{"refund_amount", &out.split.refund_amount},
                             std::pair{"credit_amount", &out.split.credit_amount},
                             std::pair{"out_of_band_amount", &out.split.out_of_band_amount}}) {
    auto value = body.optional_int(name, INT64_MIN, INT64_MAX);
    if (!value) return std::move(value).error();
    *field = *value;
  }
  auto reason = body.optional_string("reason", 40);
  if (!reason) return std::move(reason).error();
  if (*reason) {
    auto parsed = core::described::parse<billing::CreditNoteReason>(**reason);
    if (!parsed)
      return Error::invalid("invalid_value",
                            fmt::format("'reason' must be one of duplicated_charge, product_unsatisfactory, "
                                        "order_change, order_cancellation, fraudulent_charge, other; not '{}'",
                                        core::clip(**reason, 40)),
                            "reason");
    out.reason = *parsed;
  }
  auto memo = body.optional_string("memo", kMaxMemoLength);
  if (!memo) return std::move(memo).error();
  out.memo = std::move(*memo);
  auto metadata = read_metadata(body, "metadata");
  if (!metadata) return std::move(metadata).error();
  if (*metadata) out.metadata = std::move(**metadata);
  auto draft = body.optional_bool("draft");
  if (!draft) return std::move(draft).error();
  out.draft = draft->value_or(false);
  return out;
}

void create_credit_note(const std::shared_ptr<Call>& call) {
  auto body = call->body();
  if (!body) return call->fail(body.error());
  auto request = read_credit_note(*body);
  if (!request) return call->fail(request.error());
  commit_credit(call, [request = std::move(*request)](billing::CreditService& credit, store::WriteTx& tx,
                                                      const billing::Origin& origin) -> core::Result<Reply> {
    auto note = credit.create_credit_note(tx, request, origin);
    if (!note) return std::move(note).error();
    return Reply{201, to_json_text(billing::kCreditNotes.api_json(*note))};
  });
}

// POST /v1/credit-notes/{id}/issue and /void: an action with no parameters on one credit note.
template <class Action>
void credit_note_action(const std::shared_ptr<Call>& call, Action action) {
  const std::string id = call->param("id");
  if (!core::is_valid_id(core::IdKind::credit_note, id))
    return call->fail(document_not_found("credit note", "credit_note_not_found", id));
  auto body = optional_body(*call);
  if (!body) return call->fail(body.error());
  if (auto s = body->allow_only({}); !s) return call->fail(s.error());
  commit_credit(call, [id, action](billing::CreditService& credit, store::WriteTx& tx,
                                   const billing::Origin& origin) -> core::Result<Reply> {
    auto note = action(credit, tx, id, origin);
    if (!note) return std::move(note).error();
    return Reply{200, to_json_text(billing::kCreditNotes.api_json(*note))};
  });
}

void apply_balance(const std::shared_ptr<Call>& call) {
  const std::string id = call->param("id");
  if (!core::is_valid_id(core::IdKind::invoice, id)) return call->fail(document_not_found("invoice", "invoice_not_found", id));
  auto body = optional_body(*call);
  if (!body) return call->fail(body.error());
  if (auto s = body->allow_only({}); !s) return call->fail(s.error());
  commit_credit(call, [id](billing::CreditService& credit, store::WriteTx& tx,
                           const billing::Origin& origin) -> core::Result<Reply> {
    auto invoice = credit.apply_balance(tx, id, /*only_if_any=*/false, origin);
    if (!invoice) return std::move(invoice).error();
    return Reply{200, to_json_text(billing::to_json(*invoice))};
  });
}

core::Result<billing::Customer> customer_of(const Call& call, const std::string& id) {
  if (!core::is_valid_id(core::IdKind::customer, id)) return document_not_found("customer", "customer_not_found", id);
  auto reads = billing_reads_of(call);
  if (!reads) return std::move(reads).error();
  auto found = (*reads)->customer(id);
  if (!found) return std::move(found).error();
  if (!*found) return document_not_found("customer", "customer_not_found", id);
  return std::move(**found);
}

void get_balance(const std::shared_ptr<Call>& call) {
  auto customer = customer_of(*call, call->param("id"));
  if (!customer) return call->fail(customer.error());
  call->reply(200, json::object{{"object", "customer_balance"},
                                {"customer", customer->id},
                                {"balance", customer->balance},
                                {"available_credit", std::max<int64_t>(0, -customer->balance)},
                                {"currency", customer->currency ? json::value(*customer->currency) : json::value()}});
}

void list_balance_transactions(const std::shared_ptr<Call>& call) {
  const std::string& id = call->param("id");
  auto customer = customer_of(*call, id);
  if (!customer) return call->fail(customer.error());
  const auto& q = call->query;
  if (auto s = q.allow_only({"limit", "starting_after", "ending_before"}); !s) return call->fail(s.error());
  store::DocumentQuery query;
  auto page = q.page(core::IdKind::balance_transaction);
  if (!page) return call->fail(page.error());
  query.page = *page;
  query.filter = {.kind = std::string(billing::kBalanceTransactions.kind), .customer_id = id};
  auto result = call->services.store.list_documents(query);
  if (!result) return call->fail(result.error());
  json::array data;
  for (const auto& r : result->items) {
    auto entry = billing::kBalanceTransactions.decode(r.body);
    if (!entry) return call->fail(entry.error());
    data.push_back(billing::kBalanceTransactions.api_json(*entry));
  }
  call->reply(200, list_json(std::move(data), result->has_more, "/v1/customers/" + id + "/balance-transactions"));
}

}  // namespace

void register_credit_note_routes(Routes& routes) {
  routes.add("POST", "/v1/credit-notes", create_credit_note);
  routes.add("POST", "/v1/credit-notes/{id}/issue", [](const auto& call) {
    credit_note_action(call, [](billing::CreditService& c, store::WriteTx& tx, const std::string& id,
                                const billing::Origin& o) { return c.issue_credit_note(tx, id, o); });
  });
  routes.add("POST", "/v1/credit-notes/{id}/void", [](const auto& call) {
    credit_note_action(call, [](billing::CreditService& c, store::WriteTx& tx, const std::string& id,
                                const billing::Origin& o) { return c.void_credit_note(tx, id, o); });
  });
  routes.add("POST", "/v1/invoices/{id}/apply-balance", apply_balance);
  routes.add("GET", "/v1/customers/{id}/balance", get_balance);
  routes.add("GET", "/v1/customers/{id}/balance-transactions", list_balance_transactions);
}

}  // namespace billhook::api::routes
