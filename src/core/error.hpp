#pragma once

#include <string>
#include <utility>

namespace billhook::core {

// What went wrong, in the terms the API answers with. One place (api/errors.cpp)
// maps each kind to an HTTP status.
enum class ErrorKind {
  invalid_request,    // 400: the caller sent something we cannot accept
  unauthorized,       // 401
  not_found,          // 404
  conflict,           // 409: valid request, but not in the current state
  payload_too_large,  // 413
  unavailable,        // 503: a dependency (disk, database) is away; retry later
  internal,           // 500: a bug or an unexpected failure; details go to the log
};

struct Error {
  ErrorKind kind = ErrorKind::internal;
  std::string code;     // stable machine-readable code, e.g. "unknown_event_type"
  std::string message;  // what happened and what to change, for a person
  std::string param;    // the request field at fault, dotted ("data.object.total"), or empty

  static Error invalid(std::string code, std::string message, std::string param = {}) {
    return {ErrorKind::invalid_request, std::move(code), std::move(message), std::move(param)};
  }
  static Error not_found(std::string code, std::string message) {
    return {ErrorKind::not_found, std::move(code), std::move(message), {}};
  }
  static Error conflict(std::string code, std::string message, std::string param = {}) {
    return {ErrorKind::conflict, std::move(code), std::move(message), std::move(param)};
  }
  static Error unavailable(std::string message) {
    return {ErrorKind::unavailable, "service_unavailable", std::move(message), {}};
  }
  static Error internal(std::string message) {
    return {ErrorKind::internal, "internal_error", std::move(message), {}};
  }
};

}  // namespace billhook::core
