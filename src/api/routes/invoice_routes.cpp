#include <boost/json.hpp>
#include <fmt/format.h>

#include "api/representations.hpp"
#include "api/routes/billing_common.hpp"
#include "api/routes/invoice_reading.hpp"
#include "api/routes/routes.hpp"
#include "billing/credit_service.hpp"
#include "core/described.hpp"
#include "core/text.hpp"

namespace billhook::api::routes {
namespace {

using core::Error;
namespace json = boost::json;

constexpr size_t kMaxDescriptionLength = 1000;
constexpr int64_t kMaxQuantity = 1'000'000'000;
constexpr int64_t kMaxTimestamp = 253'402'300'799;  // 9999-12-31T23:59:59Z
constexpr int64_t kMinAmount = -(int64_t{1} << 62);
constexpr int64_t kMaxAmount = int64_t{1} << 62;

Error invoice_not_found(const std::string& id) {
  return Error::not_found("invoice_not_found", fmt::format("no invoice has id '{}'", core::clip(id, 100)));
}

std::string upper(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

core::Result<billing::LineItem> read_line(const json::value& value, const std::string& prefix) {
  const std::string name = prefix.substr(0, prefix.size() - 1);
  if (!value.is_object())
    return Error::invalid("invalid_type", fmt::format("'{}' must be an object, got {}", name, describe_kind(value)),
                          name);
  const auto& o = value.get_object();
  if (auto s = allow_only(o, {"description", "quantity", "unit_amount", "tax_rate_bps", "tax_inclusive", "period"},
                          prefix);
      !s)
    return std::move(s).error();
  billing::LineItem line;
  auto description = string_field(o, "description", prefix + "description", kMaxDescriptionLength);
  if (!description) return std::move(description).error();
  line.description = description->value_or("");
  auto quantity = int_field(o, "quantity", prefix + "quantity", 0, kMaxQuantity);
  if (!quantity) return std::move(quantity).error();
  line.quantity_milli = quantity->value_or(1) * 1000;
  auto unit_amount = int_field(o, "unit_amount", prefix + "unit_amount", kMinAmount, kMaxAmount);
  if (!unit_amount) return std::move(unit_amount).error();
  if (!*unit_amount)
    return Error::invalid("missing_field", fmt::format("'{}unit_amount' is required (minor units)", prefix),
                          prefix + "unit_amount");
  line.unit_amount = **unit_amount;
  auto rate = int_field(o, "tax_rate_bps", prefix + "tax_rate_bps", 0, billing::kMaxBasisPoints);
  if (!rate) return std::move(rate).error();
  line.tax_rate_bps = rate->value_or(0);
  auto inclusive = bool_field(o, "tax_inclusive", prefix + "tax_inclusive");
  if (!inclusive) return std::move(inclusive).error();
  line.tax_inclusive = inclusive->value_or(false);
  if (const auto* period = o.if_contains("period"); period && !period->is_null()) {
    if (!period->is_object())
      return Error::invalid("invalid_type", fmt::format("'{}period' must be an object", prefix), prefix + "period");
    const auto& p = period->get_object();
    if (auto s = allow_only(p, {"start", "end"}, prefix + "period."); !s) return std::move(s).error();
    auto start = int_field(p, "start", prefix + "period.start", 0, kMaxTimestamp);
    if (!start) return std::move(start).error();
    auto end = int_field(p, "end", prefix + "period.end", 0, kMaxTimestamp);
    if (!end) return std::move(end).error();
    line.period_start = *start;
    line.period_end = *end;
  }
  return line;
}

core::Result<std::optional<std::vector<billing::LineItem>>> read_lines(const Body& body) {
  const auto* v = body.object().if_contains("lines");
  if (!v) return std::optional<std::vector<billing::LineItem>>{};
  if (!v->is_array())
    return Error::invalid("invalid_type", fmt::format("'lines' must be an array, got {}", describe_kind(*v)), "lines");
  if (v->get_array().size() > billing::kMaxLines)
    return Error::invalid("too_many_items", fmt::format("'lines' may hold at most {} items", billing::kMaxLines),
                          "lines");
  std::vector<billing::LineItem> lines;
  size_t i = 0;
  for (const auto& item : v->get_array()) {
    auto line = read_line(item, fmt::format("lines.{}.", i++));
    if (!line) return std::move(line).error();
    lines.push_back(std::move(*line));
  }
  return std::optional<std::vector<billing::LineItem>>{std::move(lines)};
}

core::Result<std::optional<billing::CollectionMethod>> read_collection_method(const Body& body) {
  auto text = body.optional_string("collection_method", 40);
  if (!text) return std::move(text).error();
  if (!*text) return std::optional<billing::CollectionMethod>{};
  auto method = core::described::parse<billing::CollectionMethod>(**text);
  if (!method)
    return Error::invalid("invalid_value",
                          "'collection_method' must be \"charge_automatically\" or \"send_invoice\"",
                          "collection_method");
  return std::optional<billing::CollectionMethod>{*method};
}

struct NewInvoice {
  billing::Invoice document;
  bool auto_finalize = false;
};

core::Result<NewInvoice> read_new_invoice(const Body& body) {
  if (auto s = body.allow_only({"customer", "currency", "lines", "discount_bps", "collection_method", "days_until_due",
                                 "due_date", "description", "metadata", "auto_finalize", "kind", "billing_reason",
                                 "period_start", "period_end", "subscription", "payment_method"});
      !s)
    return std::move(s).error();
  NewInvoice out;
  auto& doc = out.document;
  auto customer = body.required_string("customer", 64);
  if (!customer) return std::move(customer).error();
  doc.customer_id = std::move(*customer);
  auto currency = body.required_string("currency", 8);
  if (!currency) return std::move(currency).error();
  doc.currency = upper(std::move(*currency));
  auto lines = read_lines(body);
  if (!lines) return std::move(lines).error();
  if (*lines) doc.lines = std::move(**lines);
  auto discount = body.optional_int("discount_bps", 0, billing::kMaxBasisPoints);
  if (!discount) return std::move(discount).error();
  doc.discount_bps = discount->value_or(0);
  auto method = read_collection_method(body);
  if (!method) return std::move(method).error();
  if (*method) doc.collection_method = **method;
  auto days = body.optional_int("days_until_due", 0, billing::kMaxDaysUntilDue);
  if (!days) return std::move(days).error();
  doc.days_until_due = *days;
  auto due = body.optional_int("due_date", 0, kMaxTimestamp);
  if (!due) return std::move(due).error();
  doc.due_date = *due;
  auto description = body.optional_string("description", kMaxDescriptionLength);
  if (!description) return std::move(description).error();
  doc.description = std::move(*description);
  auto metadata = read_metadata(body, "metadata");
  if (!metadata) return std::move(metadata).error();
  if (*metadata) doc.metadata = std::move(**metadata);
  auto auto_finalize = body.optional_bool("auto_finalize");
  if (!auto_finalize) return std::move(auto_finalize).error();
  out.auto_finalize = auto_finalize->value_or(false);
  auto kind = body.optional_string("kind", 20);
  if (!kind) return std::move(kind).error();
  if (*kind) {
    auto parsed = core::described::parse<billing::InvoiceKind>(**kind);
    if (!parsed) return Error::invalid("invalid_value", "'kind' must be \"invoice\" or \"proforma\"", "kind");
    doc.kind = *parsed;
  }
  auto reason = body.optional_string("billing_reason", 40);
  if (!reason) return std::move(reason).error();
  if (*reason) {
    auto parsed = core::described::parse<billing::BillingReason>(**reason);
    if (!parsed)
      return Error::invalid("invalid_value", "'billing_reason' must be one of manual, one_off, subscription_create, …",
                            "billing_reason");
    doc.billing_reason = *parsed;
  }
  auto period_start = body.optional_int("period_start", 0, kMaxTimestamp);
  if (!period_start) return std::move(period_start).error();
  doc.period_start = *period_start;
  auto period_end = body.optional_int("period_end", 0, kMaxTimestamp);
  if (!period_end) return std::move(period_end).error();
  doc.period_end = *period_end;
  auto subscription = body.optional_string("subscription", 64);
  if (!subscription) return std::move(subscription).error();
  doc.subscription_id = std::move(*subscription);
  auto payment_method = body.optional_string("payment_method", 64);
  if (!payment_method) return std::move(payment_method).error();
  doc.payment_method_id = std::move(*payment_method);
  return out;
}

core::Result<billing::UpdateDraft> read_update(const Body& body) {
  if (auto s = body.allow_only({"lines", "discount_bps", "description", "metadata", "collection_method",
                                 "days_until_due", "payment_method"});
      !s)
    return std::move(s).error();
  billing::UpdateDraft u;
  auto lines = read_lines(body);
  if (!lines) return std::move(lines).error();
  u.lines = std::move(*lines);
  auto discount = body.optional_int("discount_bps", 0, billing::kMaxBasisPoints);
  if (!discount) return std::move(discount).error();
  u.discount_bps = *discount;
  if (body.is_null("description")) {
    u.description = std::optional<std::string>{};
  } else {
    auto description = body.optional_string("description", kMaxDescriptionLength);
    if (!description) return std::move(description).error();
    if (*description) u.description = std::move(*description);
  }
  auto metadata = read_metadata(body, "metadata");
  if (!metadata) return std::move(metadata).error();
  u.metadata = std::move(*metadata);
  auto method = read_collection_method(body);
  if (!method) return std::move(method).error();
  u.collection_method = *method;
  if (body.is_null("days_until_due")) {
    u.days_until_due = std::optional<int64_t>{};
  } else {
    auto days = body.optional_int("days_until_due", 0, billing::kMaxDaysUntilDue);
    if (!days) return std::move(days).error();
    if (*days) u.days_until_due = *days;
  }
  if (body.is_null("payment_method")) {
    u.payment_method_id = std::optional<std::string>{};
  } else {
    auto pm = body.optional_string("payment_method", 64);
    if (!pm) return std::move(pm).error();
    if (*pm) u.payment_method_id = std::move(*pm);
  }
  return u;
}

// An invoice just issued draws on its customer's credit balance, as Stripe applies the balance to the
// next invoice it finalizes; in the same transaction, so the finalization and the credit are one change.
core::Result<billing::InvoiceResult> draw_balance(core::Result<billing::InvoiceResult> issued,
                                                  billing::BillingService& service, store::WriteTx& tx,
                                                  const billing::Origin& origin) {
  if (!issued || issued->refusal || issued->invoice.status != billing::InvoiceStatus::open) return issued;
  billing::CreditService credit(service);
  auto drawn = credit.apply_balance(tx, issued->invoice.id, /*only_if_any=*/true, origin);
  if (!drawn) return std::move(drawn).error();
  issued->invoice = std::move(*drawn);
  return issued;
}

// Answers the invoice the action leaves (or `spawned`, the copy duplicate made), or a recorded refusal.
Reply invoice_reply(const billing::InvoiceResult& r, const std::string& request_id, int status = 200,
                    bool answer_spawned = false) {
  if (r.refusal) return error_reply(*r.refusal, request_id);
  const auto& doc = answer_spawned && r.spawned ? *r.spawned : r.invoice;
  return Reply{status, to_json_text(billing::to_json(doc))};
}

void create_invoice(const std::shared_ptr<Call>& call) {
  auto billing = billing_of(*call);
  if (!billing) return call->fail(billing.error());
  auto body = call->body();
  if (!body) return call->fail(body.error());
  auto request = read_new_invoice(*body);
  if (!request) return call->fail(request.error());
  if (auto s = core::check_id(core::IdKind::customer, request->document.customer_id, "customer"); !s)
    return call->fail(s.error());
  call->commit([service = *billing, request = std::move(*request),
                origin = origin_of(*call)](store::WriteTx& tx) -> core::Result<Reply> {
    auto r = draw_balance(service->create_invoice(tx, request.document, request.auto_finalize, origin), *service,
                          tx, origin);
    if (!r) return std::move(r).error();
    return invoice_reply(*r, origin.request_id, 201);
  });
}

using Action = std::function<core::Result<billing::InvoiceResult>(billing::BillingService&, store::WriteTx&,
                                                                   const std::string& id, const billing::Origin&)>;

// Runs one invoice action in a write job and answers the invoice it leaves.
void run_action(const std::shared_ptr<Call>& call, Action action, bool answer_spawned = false) {
  auto billing = billing_of(*call);
  if (!billing) return call->fail(billing.error());
  const std::string id = call->param("id");
  if (!core::is_valid_id(core::IdKind::invoice, id)) return call->fail(invoice_not_found(id));
  call->commit([service = *billing, id, action = std::move(action), origin = origin_of(*call),
                answer_spawned](store::WriteTx& tx) -> core::Result<Reply> {
    auto r = action(*service, tx, id, origin);
    if (!r) return std::move(r).error();
    return invoice_reply(*r, origin.request_id, 200, answer_spawned);
  });
}

// An action whose body carries nothing: anything in it is a mistake worth telling.
void simple_command(const std::shared_ptr<Call>& call, billing::Command command) {
  auto body = optional_body(*call);
  if (!body) return call->fail(body.error());
  if (auto s = body->allow_only({}); !s) return call->fail(s.error());
  run_action(call, [command = std::move(command)](billing::BillingService& s, store::WriteTx& tx,
                                                  const std::string& id, const billing::Origin& o) {
    return s.apply(tx, id, command, o);
  });
}

void update_invoice(const std::shared_ptr<Call>& call) {
  auto body = call->body();
  if (!body) return call->fail(body.error());
  auto update = read_update(*body);
  if (!update) return call->fail(update.error());
  run_action(call, [update = std::move(*update)](billing::BillingService& s, store::WriteTx& tx, const std::string& id,
                                                 const billing::Origin& o) { return s.apply(tx, id, update, o); });
}

// refresh and adjust: {"lines": […]}.
template <class Command>
void lines_command(const std::shared_ptr<Call>& call) {
  auto body = call->body();
  if (!body) return call->fail(body.error());
  if (auto s = body->allow_only({"lines"}); !s) return call->fail(s.error());
  auto lines = read_lines(*body);
  if (!lines) return call->fail(lines.error());
  if (!*lines) return call->fail(Error::invalid("missing_field", "'lines' is required", "lines"));
  run_action(call, [command = Command{std::move(**lines)}](billing::BillingService& s, store::WriteTx& tx,
                                                           const std::string& id, const billing::Origin& o) {
    return s.apply(tx, id, command, o);
  });
}

void update_due_date(const std::shared_ptr<Call>& call) {
  auto body = call->body();
  if (!body) return call->fail(body.error());
  if (auto s = body->allow_only({"due_date"}); !s) return call->fail(s.error());
  auto due = body->optional_int("due_date", 0, kMaxTimestamp);
  if (!due) return call->fail(due.error());
  if (!*due) return call->fail(Error::invalid("missing_field", "'due_date' is required (unix seconds)", "due_date"));
  run_action(call, [command = billing::UpdateDueDate{**due}](billing::BillingService& s, store::WriteTx& tx,
                                                             const std::string& id, const billing::Origin& o) {
    return s.apply(tx, id, command, o);
  });
}

void finalize(const std::shared_ptr<Call>& call) {
  auto body = optional_body(*call);
  if (!body) return call->fail(body.error());
  if (auto s = body->allow_only({}); !s) return call->fail(s.error());
  run_action(call, [](billing::BillingService& s, store::WriteTx& tx, const std::string& id,
                      const billing::Origin& o) { return draw_balance(s.finalize(tx, id, o), s, tx, o); });
}

void duplicate(const std::shared_ptr<Call>& call) {
  auto body = optional_body(*call);
  if (!body) return call->fail(body.error());
  if (auto s = body->allow_only({}); !s) return call->fail(s.error());
  run_action(
      call,
      [](billing::BillingService& s, store::WriteTx& tx, const std::string& id, const billing::Origin& o) {
        return s.duplicate(tx, id, o);
      },
      /*answer_spawned=*/true);
}

// {} charges the customer's methods in order; {"payment_method": id} charges that one;
// {"external": true, "amount": n} records a payment made elsewhere.
void pay(const std::shared_ptr<Call>& call) {
  auto body = optional_body(*call);
  if (!body) return call->fail(body.error());
  if (auto s = body->allow_only({"external", "amount", "currency", "payment_method", "authentication_completed"}); !s)
    return call->fail(s.error());
  billing::PayRequest request;
  auto external = body->optional_bool("external");
  if (!external) return call->fail(external.error());
  request.external = external->value_or(false);
  auto amount = int_field(body->object(), "amount", "amount", INT64_MIN, INT64_MAX);
  if (!amount) return call->fail(amount.error());
  request.amount = *amount;
  auto currency = body->optional_string("currency", 8);
  if (!currency) return call->fail(currency.error());
  if (*currency) request.currency = upper(std::move(**currency));
  auto method = body->optional_string("payment_method", 64);
  if (!method) return call->fail(method.error());
  request.payment_method_id = std::move(*method);
  auto authenticated = body->optional_bool("authentication_completed");
  if (!authenticated) return call->fail(authenticated.error());
  request.authentication_completed = authenticated->value_or(false);
  run_action(call, [request = std::move(request)](billing::BillingService& s, store::WriteTx& tx,
                                                  const std::string& id, const billing::Origin& o) {
    auto paid = s.pay(tx, id, request, o);
    // A collection that found no usable card is a fact it records (invoice.payment_missing_data), not bad
    // input: it is answered as any collection that did not collect, with the invoice it left (still open),
    // so that a 4xx keeps meaning that nothing changed.
    if (paid && paid->refusal && paid->refusal->code == "payment_method_missing") paid->refusal.reset();
    return paid;
  });
}

void list_invoices(const std::shared_ptr<Call>& call) {
  const auto& q = call->query;
  if (auto s = q.allow_only({"limit", "starting_after", "ending_before", "customer", "status"}); !s)
    return call->fail(s.error());
  billing::InvoiceQuery query;
  auto page = q.page(core::IdKind::invoice);
  if (!page) return call->fail(page.error());
  query.page = *page;
  query.customer_id = q.get("customer").value_or("");
  query.status = q.get("status").value_or("");
  if (!query.status.empty()) {
    if (!core::described::parse<billing::InvoiceStatus>(query.status))
      return call->fail(Error::invalid(
          "invalid_value", "'status' must be draft, open, paid, void, uncollectible, deleted or converted", "status"));
  }
  auto reads = billing_reads_of(*call);
  if (!reads) return call->fail(reads.error());
  auto result = (*reads)->invoices(query);
  if (!result) return call->fail(result.error());
  json::array data;
  for (const auto& doc : result->items) data.push_back(billing::to_json(doc));
  call->reply(200, list_json(std::move(data), result->has_more, "/v1/invoices"));
}

void get_invoice(const std::shared_ptr<Call>& call) {
  const std::string& id = call->param("id");
  if (!core::is_valid_id(core::IdKind::invoice, id)) return call->fail(invoice_not_found(id));
  auto reads = billing_reads_of(*call);
  if (!reads) return call->fail(reads.error());
  auto found = (*reads)->invoice(id);
  if (!found) return call->fail(found.error());
  if (!*found) return call->fail(invoice_not_found(id));
  call->reply(200, billing::to_json(**found));
}

void list_payments(const std::shared_ptr<Call>& call) {
  const std::string& id = call->param("id");
  if (!core::is_valid_id(core::IdKind::invoice, id)) return call->fail(invoice_not_found(id));
  auto reads = billing_reads_of(*call);
  if (!reads) return call->fail(reads.error());
  auto payments = (*reads)->payments(id);
  if (!payments) return call->fail(payments.error());
  if (!*payments) return call->fail(invoice_not_found(id));
  call->reply(200, list_json(std::move(**payments), false, "/v1/invoices/" + id + "/payments"));
}

}  // namespace

void register_invoice_routes(Routes& routes) {
  routes.add("POST", "/v1/invoices", create_invoice);
  routes.add("GET", "/v1/invoices", list_invoices);
  routes.add("GET", "/v1/invoices/{id}", get_invoice);
  routes.add("PATCH", "/v1/invoices/{id}", update_invoice);
  routes.add("DELETE", "/v1/invoices/{id}", [](const auto& call) { simple_command(call, billing::DeleteDraft{}); });
  routes.add("POST", "/v1/invoices/{id}/finalize", finalize);
  routes.add("POST", "/v1/invoices/{id}/void", [](const auto& call) { simple_command(call, billing::Void{}); });
  routes.add("POST", "/v1/invoices/{id}/mark-uncollectible",
             [](const auto& call) { simple_command(call, billing::MarkUncollectible{}); });
  routes.add("POST", "/v1/invoices/{id}/duplicate", duplicate);
  routes.add("POST", "/v1/invoices/{id}/refresh", lines_command<billing::RefreshDraft>);
  routes.add("POST", "/v1/invoices/{id}/adjust", lines_command<billing::Adjust>);
  routes.add("POST", "/v1/invoices/{id}/due-date", update_due_date);
  routes.add("POST", "/v1/invoices/{id}/pay", pay);
  routes.add("GET", "/v1/invoices/{id}/payments", list_payments);
}

}  // namespace billhook::api::routes

namespace billhook::api::routes {

core::Result<InvoiceRequest> read_invoice_request(const Body& body) {
  auto request = read_new_invoice(body);
  if (!request) return std::move(request).error();
  return InvoiceRequest{std::move(request->document), request->auto_finalize};
}

}  // namespace billhook::api::routes
