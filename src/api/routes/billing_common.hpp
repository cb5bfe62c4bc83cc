#pragma once

// What the billing routes (customers, payment methods, invoices) share: reading the nested fields
// their bodies have, and turning the billing service's answers into replies.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "api/call.hpp"
#include "billing/billing_service.hpp"

namespace billhook::api::routes {

// The service, or an error saying billing is not available in this server.
core::Result<billing::BillingService*> billing_of(const Call& call);
billing::Origin origin_of(const Call& call);
// The billing reads, or the same error.
core::Result<billing::BillingReads*> billing_reads_of(const Call& call);

// The body of an action whose body is optional: an empty body is an empty object.
core::Result<Body> optional_body(const Call& call);

// Readers for values inside nested objects; `param` is the dotted name errors report.
core::Result<std::optional<int64_t>> int_field(const boost::json::object& o, std::string_view key,
                                               const std::string& param, int64_t min, int64_t max);
core::Result<std::optional<std::string>> string_field(const boost::json::object& o, std::string_view key,
                                                      const std::string& param, size_t max_length);
core::Result<std::optional<bool>> bool_field(const boost::json::object& o, std::string_view key,
                                             const std::string& param);
core::Status allow_only(const boost::json::object& o, std::initializer_list<std::string_view> names,
                        const std::string& prefix);

// Body::optional_metadata, as the billing model's map.
core::Result<std::optional<billing::Metadata>> read_metadata(const Body& body, std::string_view name);

// The reply for an error decided inside a write job whose changes are kept (a recorded refusal).
Reply error_reply(const core::Error& error, const std::string& request_id);

}  // namespace billhook::api::routes
