#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "api/api_keys.hpp"
#include "api/call.hpp"
#include "api/dashboard/front.hpp"
#include "api/dashboard/sessions.hpp"
#include "api/hosted/rate_limiter.hpp"
#include "api/http.hpp"
#include "api/request_metrics.hpp"
#include "api/routes/routes.hpp"

namespace billhook::api {

// The whole HTTP API: request ids, authentication, routing, idempotency replay, and the
// handlers of every resource (api/routes/). Knows nothing of sockets.
class Api {
 public:
  Api(Services services, ApiKeys& keys);

  void handle(HttpRequest request, Respond respond);
  // (method, path pattern) of every route, for the OpenAPI document's test.
  std::vector<std::pair<std::string, std::string>> routes() const { return routes_.list(); }
  // Requests answered by route and status, for GET /metrics.
  const RequestMetrics& request_metrics() const { return *request_metrics_; }

 private:
  // Checks the bearer key and records its id on the call.
  core::Status authenticate(Call& call);
  // Replays an idempotent POST or runs the handler.
  void dispatch(const std::shared_ptr<Call>& call, const Handler& handler);
  // Answers a request to the dashboard's pages (not its API), rate-limiting sign-in attempts.
  void handle_dashboard(const HttpRequest& request, const std::string& path, const std::string& request_id,
                        const Respond& respond);

  Services services_;
  ApiKeys& keys_;
  Routes routes_;
  // The public pages take no key, so each client address gets a budget of requests instead.
  hosted::RateLimiter hosted_limiter_;
  // The dashboard's sign-ins (kept in the store, shared by every node) and its pages.
  dashboard::Sessions sessions_;
  dashboard::Front dashboard_;
  std::unique_ptr<RequestMetrics> request_metrics_;  // made once every route is registered
};

}  // namespace billhook::api
