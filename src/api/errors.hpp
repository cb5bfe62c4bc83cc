#pragma once

#include <string>

#include "api/http.hpp"
#include "core/error.hpp"

namespace billhook::api {

// The one mapping from an Error to HTTP: status by kind, body
// {"error": {"type", "code", "message", "param", "request_id"}}. Internal errors are answered
// as a plain 500; their detail belongs in the log, not in the answer.
HttpResponse error_response(const core::Error& error, const std::string& request_id);
int http_status(core::ErrorKind kind);

}  // namespace billhook::api
