#pragma once

// The dashboard's front door under /dashboard: the sign-in page (an API key opens a server-side
// session, which ends with that key's revocation), sign-out, the page shell and its compiled-in assets,
// and the check that every /dashboard/api/ request comes from a live session — with the session's CSRF
// token when it changes anything. The JSON API itself answers those requests (Api), as the session's
// API key.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "api/api_keys.hpp"
#include "api/dashboard/sessions.hpp"
#include "api/http.hpp"
#include "core/random.hpp"
#include "core/result.hpp"

namespace billhook::api::dashboard {

inline constexpr std::string_view kApiPrefix = "/dashboard/api";
inline constexpr std::string_view kSessionCookie = "billhook_session";
inline constexpr std::string_view kCsrfHeader = "x-csrf-token";
// The code of the error a state-changing request without its session's CSRF token gets (answered 403).
inline constexpr std::string_view kCsrfRefused = "csrf_token_invalid";

class Front {
 public:
  // `secure` says whether the dashboard is reached over TLS (its cookies are then Secure).
  Front(Sessions& sessions, const ApiKeys& keys, core::Random& random, std::function<bool()> secure);

  // Answers a request whose path is /dashboard or below it, except /dashboard/api/.
  HttpResponse handle(const HttpRequest& request, std::string_view path);

  // For a request under /dashboard/api/: the id of the API key its session was opened with.
  // unauthorized without a live session; unavailable when the sessions cannot be read; kCsrfRefused (invalid_request, to answer 403) when a method
  // other than GET/HEAD lacks the session's CSRF token in the X-CSRF-Token header.
  core::Result<std::string> authorize_api(const HttpRequest& request);

 private:
  HttpResponse sign_in_page(int status, std::string_view message);
  HttpResponse sign_in(const HttpRequest& request);
  HttpResponse sign_out(const HttpRequest& request);
  HttpResponse shell(const Session& session);
  // The session of `token` if it is live and the API key it was opened with still works; a session
  // whose key was revoked is ended. An error when the store cannot be read.
  core::Result<std::optional<Session>> live_session(std::string_view token);
  std::string random_hex(size_t bytes);

  Sessions& sessions_;
  const ApiKeys& keys_;
  core::Random& random_;
  std::function<bool()> secure_;
};

// Sets the status of an error answer to a dashboard API request: 403 for kCsrfRefused.
void adjust_refusal_status(const core::Error& error, HttpResponse& response);

}  // namespace billhook::api::dashboard
