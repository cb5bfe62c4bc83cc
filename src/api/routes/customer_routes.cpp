#include <boost/json.hpp>
#include <fmt/format.h>

#include "api/representations.hpp"
#include "api/routes/billing_common.hpp"
#include "api/routes/routes.hpp"
#include "billing/commission_service.hpp"
#include "billing/customer_roles.hpp"
#include "billing/registry/domain.hpp"
#include "core/text.hpp"

namespace billhook::api::routes {
namespace {

using core::Error;

constexpr size_t kMaxTextLength = 500;

core::Status set_nullable(const Body& body, std::string_view name, size_t max_length,
                          std::optional<std::optional<std::string>>& slot) {
  if (body.is_null(name)) {
    slot = std::optional<std::string>{};
    return {};
  }
  auto value = body.optional_string(name, max_length);
  if (!value) return std::move(value).error();
  if (*value) slot = std::move(*value);
  return {};
}

core::Result<billing::CustomerChange> read_customer(const Body& body) {
  if (auto s = body.allow_only(
          {"name", "email", "locale", "currency", "tax_id", "address", "metadata", "role", "referred_by"});
      !s)
    return std::move(s).error();
  billing::CustomerChange c;
  for (auto [name, slot] : {std::pair{"name", &c.name}, std::pair{"email", &c.email}, std::pair{"locale", &c.locale},
                            std::pair{"currency", &c.currency}, std::pair{"tax_id", &c.tax_id}}) {
    if (auto s = set_nullable(body, name, kMaxTextLength, *slot); !s) return std::move(s).error();
  }
  if (c.currency && *c.currency) {
    for (auto& ch : **c.currency) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  if (body.is_null("address")) {
    c.address = billing::Address{};
  } else if (const auto* a = body.object().if_contains("address")) {
    if (!a->is_object())
      return Error::invalid("invalid_type", fmt::format("'address' must be an object, got {}", describe_kind(*a)),
                            "address");
    const auto& o = a->get_object();
    if (auto s = allow_only(o, {"line1", "line2", "city", "state", "postal_code", "country"}, "address."); !s)
      return std::move(s).error();
    billing::Address address;
    for (auto [name, slot] :
         {std::pair{"line1", &address.line1}, std::pair{"line2", &address.line2}, std::pair{"city", &address.city},
          std::pair{"state", &address.state}, std::pair{"postal_code", &address.postal_code},
          std::pair{"country", &address.country}}) {
      auto v = string_field(o, name, fmt::format("address.{}", name), kMaxTextLength);
      if (!v) return std::move(v).error();
      *slot = std::move(*v);
    }
    c.address = std::move(address);
  }
  auto metadata = read_metadata(body, "metadata");
  if (!metadata) return std::move(metadata).error();
  c.metadata = std::move(*metadata);
  return c;
}

// A customer's body with its role and referrer: what POST, PATCH and GET answer.
struct CustomerRequest {
  billing::CustomerChange fields;
  billing::CustomerRolesChange roles;
  billing::CommissionService* commissions = nullptr;  // set when roles change
};

core::Result<CustomerRequest> read_request(const Call& call, const Body& body) {
  auto fields = read_customer(body);
  if (!fields) return std::move(fields).error();
  auto roles = billing::read_customer_roles(body.object());
  if (!roles) return std::move(roles).error();
  CustomerRequest out{.fields = std::move(*fields), .roles = std::move(*roles)};
  if (!out.roles.empty()) {
    out.commissions = call.services.domains ? call.services.domains->find<billing::CommissionService>() : nullptr;
    if (!out.commissions) return Error::unavailable("partners and referrals are not served by this server");
  }
  return out;
}

// Writes the roles the request asks for, inside the service's create or update, before the customer's event.
billing::BillingService::WriteRoles roles_writer(const CustomerRequest& request, const billing::Origin& origin) {
  if (!request.commissions) return {};
  return [&request, &origin](store::WriteTx& tx, const billing::Customer& customer) {
    return request.commissions->assign_roles(tx, customer.id, request.roles, origin);
  };
}

// The customer as it now is, with its role and referrer.
core::Result<Reply> answer_customer(store::WriteTx& tx, const billing::Customer& customer, int status) {
  auto roles = billing::roles_of(tx, customer.id);
  if (!roles) return std::move(roles).error();
  return Reply{status, to_json_text(billing::with_roles(billing::to_json(customer), *roles))};
}

Error customer_not_found(const std::string& id) {
  return Error::not_found("customer_not_found", fmt::format("no customer has id '{}'", core::clip(id, 100)));
}

void create_customer(const std::shared_ptr<Call>& call) {
  auto billing = billing_of(*call);
  if (!billing) return call->fail(billing.error());
  auto body = call->body();
  if (!body) return call->fail(body.error());
  auto request = read_request(*call, *body);
  if (!request) return call->fail(request.error());
  call->commit([service = *billing, request = std::move(*request), origin = origin_of(*call)](
                   store::WriteTx& tx) -> core::Result<Reply> {
    auto customer = service->create_customer(tx, request.fields, origin, roles_writer(request, origin));
    if (!customer) return std::move(customer).error();
    return answer_customer(tx, *customer, 201);
  });
}

void update_customer(const std::shared_ptr<Call>& call) {
  auto billing = billing_of(*call);
  if (!billing) return call->fail(billing.error());
  const std::string id = call->param("id");
  if (!core::is_valid_id(core::IdKind::customer, id)) return call->fail(customer_not_found(id));
  auto body = call->body();
  if (!body) return call->fail(body.error());
  auto request = read_request(*call, *body);
  if (!request) return call->fail(request.error());
  call->commit([service = *billing, id, request = std::move(*request), origin = origin_of(*call)](
                   store::WriteTx& tx) -> core::Result<Reply> {
    auto customer = service->update_customer(tx, id, request.fields, origin, roles_writer(request, origin));
    if (!customer) return std::move(customer).error();
    return answer_customer(tx, *customer, 200);
  });
}

void list_customers(const std::shared_ptr<Call>& call) {
  if (auto s = call->query.allow_only({"limit", "starting_after", "ending_before"}); !s) return call->fail(s.error());
  auto page = call->query.page(core::IdKind::customer);
  if (!page) return call->fail(page.error());
  auto reads = billing_reads_of(*call);
  if (!reads) return call->fail(reads.error());
  auto result = (*reads)->customers(*page);
  if (!result) return call->fail(result.error());
  boost::json::array data;
  for (const auto& c : result->items) {
    auto roles = billing::roles_of(call->services.store, c.id);
    if (!roles) return call->fail(roles.error());
    data.push_back(billing::with_roles(billing::to_json(c), *roles));
  }
  call->reply(200, list_json(std::move(data), result->has_more, "/v1/customers"));
}

void get_customer(const std::shared_ptr<Call>& call) {
  const std::string& id = call->param("id");
  if (!core::is_valid_id(core::IdKind::customer, id)) return call->fail(customer_not_found(id));
  auto reads = billing_reads_of(*call);
  if (!reads) return call->fail(reads.error());
  auto found = (*reads)->customer(id);
  if (!found) return call->fail(found.error());
  if (!*found) return call->fail(customer_not_found(id));
  auto roles = billing::roles_of(call->services.store, id);
  if (!roles) return call->fail(roles.error());
  call->reply(200, billing::with_roles(billing::to_json(**found), *roles));
}

}  // namespace

void register_customer_routes(Routes& routes) {
  routes.add("POST", "/v1/customers", create_customer);
  routes.add("GET", "/v1/customers", list_customers);
  routes.add("GET", "/v1/customers/{id}", get_customer);
  routes.add("PATCH", "/v1/customers/{id}", update_customer);
}

}  // namespace billhook::api::routes
