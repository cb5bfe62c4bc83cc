#pragma once

// A customer's place among partners and referrals (issue 18), shown and accepted on the customer itself
// as `role` ("partner" or null) and `referred_by` (the referring partner's id, or null). Nothing of it is
// stored on the customer: it is read from the partner and referral documents (billing/commission.hpp)
// every time, so those stay the one source of truth.

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "core/result.hpp"
#include "store/store.hpp"

namespace billhook::billing {

struct CustomerRoles {
  bool partner = false;  // a partner document with its id that has not ended
  std::optional<std::string> referred_by;
};

// What a request asks: absent leaves it, null clears it.
struct CustomerRolesChange {
  std::optional<std::optional<std::string>> role;  // "partner" or null
  std::optional<std::optional<std::string>> referred_by;
  bool empty() const { return !role && !referred_by; }
};

// Reads role and referred_by from a request body's `role` and `referred_by` (invalid_request naming the
// field for a wrong type or a role other than "partner").
core::Result<CustomerRolesChange> read_customer_roles(const boost::json::object& body);

core::Result<CustomerRoles> roles_of(store::Store& store, std::string_view customer_id);
core::Result<CustomerRoles> roles_of(store::WriteTx& tx, std::string_view customer_id);

// The customer's API JSON with `role` and `referred_by` added.
boost::json::object with_roles(boost::json::object customer, const CustomerRoles& roles);

}  // namespace billhook::billing
