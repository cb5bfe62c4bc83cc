#include <boost/json.hpp>
#include <fmt/format.h>

#include "api/representations.hpp"
#include "api/routes/billing_common.hpp"
#include "api/routes/routes.hpp"
#include "core/text.hpp"

namespace billhook::api::routes {
namespace {

using core::Error;

constexpr size_t kMaxCardNumberLength = 32;
constexpr int64_t kMaxFallbackOrder = 1000;

Error method_not_found(const std::string& id) {
  return Error::not_found("payment_method_not_found",
                          fmt::format("no payment method has id '{}'", core::clip(id, 100)));
}

// POST /v1/payment-methods: {"customer", "type": "card", "card": {"number", "exp_month", "exp_year"},
// "default", "fallback_order", "replaces"}.
core::Result<billing::AttachCard> read_attach(const Body& body) {
  if (auto s = body.allow_only({"customer", "type", "card", "default", "fallback_order", "replaces"}); !s)
    return std::move(s).error();
  billing::AttachCard a;
  auto customer = body.required_string("customer", 64);
  if (!customer) return std::move(customer).error();
  if (auto s = core::check_id(core::IdKind::customer, *customer, "customer"); !s) return std::move(s).error();
  a.customer_id = std::move(*customer);
  auto type = body.optional_string("type", 32);
  if (!type) return std::move(type).error();
  if (*type && **type != "card")
    return Error::invalid("unsupported_payment_method_type", "'type' must be \"card\" (the only type so far)", "type");
  const auto* card = body.object().if_contains("card");
  if (!card) return Error::invalid("missing_field", "'card' is required", "card");
  if (!card->is_object())
    return Error::invalid("invalid_type", fmt::format("'card' must be an object, got {}", describe_kind(*card)), "card");
  const auto& c = card->get_object();
  if (auto s = allow_only(c, {"number", "exp_month", "exp_year"}, "card."); !s) return std::move(s).error();
  auto number = string_field(c, "number", "card.number", kMaxCardNumberLength);
  if (!number) return std::move(number).error();
  if (!*number) return Error::invalid("missing_field", "'card.number' is required", "card.number");
  a.number = std::move(**number);
  auto month = int_field(c, "exp_month", "card.exp_month", 1, 12);
  if (!month) return std::move(month).error();
  if (!*month) return Error::invalid("missing_field", "'card.exp_month' is required", "card.exp_month");
  auto year = int_field(c, "exp_year", "card.exp_year", 2000, 2200);
  if (!year) return std::move(year).error();
  if (!*year) return Error::invalid("missing_field", "'card.exp_year' is required", "card.exp_year");
  a.exp_month = static_cast<int>(**month);
  a.exp_year = static_cast<int>(**year);
  auto make_default = body.optional_bool("default");
  if (!make_default) return std::move(make_default).error();
  a.make_default = make_default->value_or(false);
  auto order = body.optional_int("fallback_order", 0, kMaxFallbackOrder);
  if (!order) return std::move(order).error();
  if (*order) a.fallback_order = static_cast<int>(**order);
  auto replaces = body.optional_string("replaces", 64);
  if (!replaces) return std::move(replaces).error();
  a.replaces = std::move(*replaces);
  return a;
}

void attach(const std::shared_ptr<Call>& call) {
  auto billing = billing_of(*call);
  if (!billing) return call->fail(billing.error());
  auto body = call->body();
  if (!body) return call->fail(body.error());
  auto request = read_attach(*body);
  if (!request) return call->fail(request.error());
  call->commit([service = *billing, request = std::move(*request), origin = origin_of(*call)](
                   store::WriteTx& tx) -> core::Result<Reply> {
    auto method = service->attach_card(tx, request, origin);
    if (!method) return std::move(method).error();
    return Reply{201, to_json_text(billing::to_json(*method))};
  });
}

// PATCH: {"default": true, "fallback_order": n | null, "valid": bool, "invalid_reason": "…"}.
void update(const std::shared_ptr<Call>& call) {
  auto billing = billing_of(*call);
  if (!billing) return call->fail(billing.error());
  const std::string id = call->param("id");
  if (!core::is_valid_id(core::IdKind::payment_method, id)) return call->fail(method_not_found(id));
  auto body = call->body();
  if (!body) return call->fail(body.error());
  if (auto s = body->allow_only({"default", "fallback_order", "valid", "invalid_reason"}); !s)
    return call->fail(s.error());
  billing::PaymentMethodChange change;
  auto make_default = body->optional_bool("default");
  if (!make_default) return call->fail(make_default.error());
  if (*make_default && !**make_default)
    return call->fail(Error::invalid("invalid_value",
                                     "'default' can only be set to true; make another method the default instead",
                                     "default"));
  change.make_default = make_default->value_or(false);
  if (body->is_null("fallback_order")) {
    change.fallback_order = std::optional<int>{};
  } else {
    auto order = body->optional_int("fallback_order", 0, kMaxFallbackOrder);
    if (!order) return call->fail(order.error());
    if (*order) change.fallback_order = static_cast<int>(**order);
  }
  auto valid = body->optional_bool("valid");
  if (!valid) return call->fail(valid.error());
  change.valid = *valid;
  auto reason = body->optional_string("invalid_reason", 100);
  if (!reason) return call->fail(reason.error());
  change.invalid_reason = std::move(*reason);
  call->commit([service = *billing, id, change = std::move(change), origin = origin_of(*call)](
                   store::WriteTx& tx) -> core::Result<Reply> {
    auto method = service->update_payment_method(tx, id, change, origin);
    if (!method) return std::move(method).error();
    return Reply{200, to_json_text(billing::to_json(*method))};
  });
}

void list(const std::shared_ptr<Call>& call) {
  if (auto s = call->query.allow_only({"limit", "starting_after", "ending_before", "customer"}); !s)
    return call->fail(s.error());
  billing::PaymentMethodQuery query;
  auto page = call->query.page(core::IdKind::payment_method);
  if (!page) return call->fail(page.error());
  query.page = *page;
  query.customer_id = call->query.get("customer").value_or("");
  auto reads = billing_reads_of(*call);
  if (!reads) return call->fail(reads.error());
  auto result = (*reads)->payment_methods(query);
  if (!result) return call->fail(result.error());
  boost::json::array data;
  for (const auto& m : result->items) data.push_back(billing::to_json(m));
  call->reply(200, list_json(std::move(data), result->has_more, "/v1/payment-methods"));
}

void get(const std::shared_ptr<Call>& call) {
  const std::string& id = call->param("id");
  if (!core::is_valid_id(core::IdKind::payment_method, id)) return call->fail(method_not_found(id));
  auto reads = billing_reads_of(*call);
  if (!reads) return call->fail(reads.error());
  auto found = (*reads)->payment_method(id);
  if (!found) return call->fail(found.error());
  if (!*found) return call->fail(method_not_found(id));
  call->reply(200, billing::to_json(**found));
}

}  // namespace

void register_payment_method_routes(Routes& routes) {
  routes.add("POST", "/v1/payment-methods", attach);
  routes.add("GET", "/v1/payment-methods", list);
  routes.add("GET", "/v1/payment-methods/{id}", get);
  routes.add("PATCH", "/v1/payment-methods/{id}", update);
}

}  // namespace billhook::api::routes
