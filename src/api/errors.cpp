#include "api/errors.hpp"

#include <boost/json.hpp>

namespace billhook::api {
namespace {

std::string_view error_type(const core::Error& error) {
  switch (error.kind) {
    case core::ErrorKind::unauthorized: return "authentication_error";
    case core::ErrorKind::unavailable:
    case core::ErrorKind::internal: return "api_error";
    case core::ErrorKind::conflict:
      // A request that is valid but not in the current state; a reused Idempotency-Key keeps Stripe's type.
      return error.code.starts_with("idempotency") ? "idempotency_error" : "conflict_error";
    default: return "invalid_request_error";
  }
}

}  // namespace

int http_status(core::ErrorKind kind) {
  switch (kind) {
    case core::ErrorKind::invalid_request: return 400;
    case core::ErrorKind::unauthorized: return 401;
    case core::ErrorKind::not_found: return 404;
    case core::ErrorKind::conflict: return 409;
    case core::ErrorKind::payload_too_large: return 413;
    case core::ErrorKind::unavailable: return 503;
    case core::ErrorKind::internal: return 500;
  }
  return 500;
}

HttpResponse error_response(const core::Error& error, const std::string& request_id) {
  const bool internal = error.kind == core::ErrorKind::internal;
  boost::json::object detail;
  detail["type"] = error_type(error);
  detail["code"] = internal ? "internal_error" : error.code;
  detail["message"] = internal ? "an internal error occurred; the server log has the details (request " +
                                     request_id + ")"
                               : error.message;
  detail["param"] = internal || error.param.empty() ? boost::json::value(nullptr) : boost::json::value(error.param);
  detail["request_id"] = request_id;
  HttpResponse response;
  response.status = http_status(error.kind);
  response.body = boost::json::serialize(boost::json::object{{"error", std::move(detail)}});
  if (error.kind == core::ErrorKind::unavailable) response.headers.emplace_back("Retry-After", "1");
  return response;
}

}  // namespace billhook::api
