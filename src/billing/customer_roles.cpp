#include "billing/customer_roles.hpp"

#include <fmt/format.h>

#include "billing/commission.hpp"

namespace billhook::billing {
namespace {

using core::Error;

// Store and WriteTx read documents alike but share no base: one body for both.
template <class Reader>
core::Result<CustomerRoles> read_roles(Reader& reader, std::string_view customer_id) {
  CustomerRoles out;
  auto partner = reader.find_document(kPartners.kind, customer_id);
  if (!partner) return std::move(partner).error();
  if (*partner) {
    auto decoded = kPartners.decode((*partner)->body);
    if (!decoded) return std::move(decoded).error();
    out.partner = !decoded->ended;
  }
  auto referral = reader.find_document(kReferrals.kind, customer_id);
  if (!referral) return std::move(referral).error();
  if (*referral) {
    auto decoded = kReferrals.decode((*referral)->body);
    if (!decoded) return std::move(decoded).error();
    out.referred_by = decoded->partner;
  }
  return out;
}

core::Result<std::optional<std::optional<std::string>>> nullable_string(const boost::json::object& body,
                                                                        std::string_view name) {
  const auto* value = body.if_contains(name);
  if (!value) return std::optional<std::optional<std::string>>{};
  if (value->is_null()) return std::optional<std::optional<std::string>>{std::optional<std::string>{}};
  if (!value->is_string() || value->get_string().empty())
    return Error::invalid("invalid_type", fmt::format("'{}' must be a non-empty string or null", name),
                          std::string(name));
  return std::optional<std::optional<std::string>>{std::string(value->get_string())};
}

}  // namespace

core::Result<CustomerRolesChange> read_customer_roles(const boost::json::object& body) {
  CustomerRolesChange out;
  auto role = nullable_string(body, "role");
  if (!role) return std::move(role).error();
  if (*role && **role && ***role != "partner")
    return Error::invalid("invalid_value", "'role' must be \"partner\" or null", "role");
  out.role = std::move(*role);
  auto referred_by = nullable_string(body, "referred_by");
  if (!referred_by) return std::move(referred_by).error();
  out.referred_by = std::move(*referred_by);
  return out;
}

core::Result<CustomerRoles> roles_of(store::Store& store, std::string_view customer_id) {
  return read_roles(store, customer_id);
}

core::Result<CustomerRoles> roles_of(store::WriteTx& tx, std::string_view customer_id) {
  return read_roles(tx, customer_id);
}

boost::json::object with_roles(boost::json::object customer, const CustomerRoles& roles) {
  customer["role"] = roles.partner ? boost::json::value("partner") : boost::json::value(nullptr);
  customer["referred_by"] = roles.referred_by ? boost::json::value(*roles.referred_by) : boost::json::value(nullptr);
  return customer;
}

}  // namespace billhook::billing
