#include "api/api.hpp"

#include <fmt/format.h>

#include "api/errors.hpp"
#include "api/hosted/html.hpp"
#include "api/routes/api_key_routes.hpp"
#include "api/routes/routes.hpp"
#include "core/log.hpp"

namespace billhook::api {
namespace {

constexpr size_t kMaxIdempotencyKeyLength = 255;

// The public pages' requests a client may make at once, and then a minute: a person paying an invoice
// needs a handful; guessing tokens needs billions.
constexpr double kHostedBurst = 60;
constexpr double kHostedPerMinute = 30;

// How long a dashboard sign-in lasts.
constexpr std::chrono::hours kSessionLifetime{12};

bool is_hosted(std::string_view path) { return path.starts_with("/hosted/"); }

bool is_dashboard(std::string_view path) { return path == "/dashboard" || path.starts_with("/dashboard/"); }

bool is_dashboard_api(std::string_view path) {
  return path.starts_with(dashboard::kApiPrefix) && path.substr(dashboard::kApiPrefix.size()).starts_with("/");
}

bool is_public(std::string_view path) { return path == "/health" || path == "/openapi.json" || is_hosted(path); }

core::Status check_idempotency_key(std::string_view key) {
  if (key.size() > kMaxIdempotencyKeyLength)
    return core::Error::invalid("invalid_idempotency_key",
                                fmt::format("Idempotency-Key must be at most {} characters", kMaxIdempotencyKeyLength),
                                "Idempotency-Key");
  for (char c : key)
    if (c < ' ' || c > '~')
      return core::Error::invalid("invalid_idempotency_key", "Idempotency-Key must be printable ASCII",
                                  "Idempotency-Key");
  return {};
}

}  // namespace

Api::Api(Services services, ApiKeys& keys)
    : services_(std::move(services)),
      keys_(keys),
      routes_([](std::string_view segment) { return percent_decode(segment, /*plus_is_space=*/false); }),
      hosted_limiter_(services_.clock, kHostedBurst, kHostedPerMinute),
      sessions_(services_.store, services_.clock, services_.random, kSessionLifetime),
      dashboard_(sessions_, keys_, services_.random, [this] {
        return services_.public_url && services_.public_url().starts_with("https://");
      }) {
  routes::register_all(routes_, services_.test_clock != nullptr);
  routes::register_api_key_routes(routes_, keys_);
  routes::register_hosted_page_routes(routes_);
  request_metrics_ = std::make_unique<RequestMetrics>(routes_.list());
}

void Api::handle(HttpRequest request, Respond respond) {
  std::string request_id = services_.ids.next(core::IdKind::request);
  auto query = Query::parse(request.target);
  if (!query) {
    request_metrics_->record(request_metrics_->unmatched(), 400, {});
    auto response = error_response(query.error(), request_id);
    response.headers.emplace_back("Request-Id", request_id);
    return respond(std::move(response));
  }
  // The dashboard's pages answer for themselves; its API requests are the JSON API's, made as the
  // session's API key once the session (and, for a change, its CSRF token) is checked.
  std::optional<std::string> session_key_id;
  if (is_dashboard_api(query->path())) {
    auto key_id = dashboard_.authorize_api(request);
    if (!key_id || !query->path().starts_with(std::string(dashboard::kApiPrefix) + "/v1/")) {
      auto response = error_response(
          key_id ? core::Error::not_found("route_not_found", "the dashboard's API serves /dashboard/api/v1/ only")
                 : key_id.error(),
          request_id);
      if (!key_id) dashboard::adjust_refusal_status(key_id.error(), response);
      response.headers.emplace_back("Request-Id", request_id);
      return respond(std::move(response));
    }
    session_key_id = std::move(*key_id);
    request.target.erase(0, dashboard::kApiPrefix.size());
    query = Query::parse(request.target);
    if (!query) return respond(error_response(query.error(), request_id));
  } else if (const auto raw_path = std::string(request.target.substr(0, request.target.find('?')));
             is_dashboard(raw_path)) {
    // The raw path: "/dashboard/" (the page) and "/dashboard" (a redirect to it) differ here.
    return handle_dashboard(request, raw_path, request_id, respond);
  }
  auto match = routes_.match(request.method, query->path());
  const std::string path = query->path();
  // Counted when answered, however the answer comes (now, after a group commit, from a replay).
  respond = [metrics = request_metrics_.get(), route = match.handler ? match.index : request_metrics_->unmatched(),
             started = std::chrono::steady_clock::now(), respond = std::move(respond)](HttpResponse response) {
    metrics->record(route, response.status, std::chrono::steady_clock::now() - started);
    respond(std::move(response));
  };
  auto call = std::make_shared<Call>(services_, std::move(request), std::move(*query), std::move(match.params),
                                     std::move(request_id), std::move(respond));
  if (is_hosted(path) && !hosted_limiter_.allow(call->request.remote_address))
    return call->send(hosted::too_many_requests_page());
  // Authenticate before saying anything about routes, so that no key learns nothing.
  if (session_key_id) {
    call->api_key_id = std::move(*session_key_id);
  } else if (!is_public(path)) {
    if (auto s = authenticate(*call); !s) return call->fail(s.error());
  }
  // In memory only: ApiKeySync writes last uses out in the background.
  if (!call->api_key_id.empty()) keys_.note_use(call->api_key_id, core::to_unix_ms(services_.clock.now()));
  if (!match.handler) {
    if (match.allowed.empty())
      return call->fail(core::Error::not_found("route_not_found", fmt::format("no route for {} {}; see /openapi.json",
                                                                              call->request.method, path)));
    std::string allowed;
    for (const auto& m : match.allowed) allowed += (allowed.empty() ? "" : ", ") + m;
    auto response = error_response(
        core::Error::invalid("method_not_allowed",
                             fmt::format("{} does not accept {}; it accepts {}", path, call->request.method, allowed)),
        call->request_id);
    response.status = 405;
    response.headers.emplace_back("Allow", allowed);
    return call->send(std::move(response));
  }
  dispatch(call, *match.handler);
}

void Api::handle_dashboard(const HttpRequest& request, const std::string& path, const std::string& request_id,
                           const Respond& respond) {
  // A sign-in is the one request that takes a key without a session: each client gets a budget of them.
  if (path == "/dashboard/sign-in" && request.method == "POST" && !hosted_limiter_.allow(request.remote_address)) {
    auto response = hosted::too_many_requests_page();
    response.headers.emplace_back("Request-Id", request_id);
    return respond(std::move(response));
  }
  auto response = dashboard_.handle(request, path);
  response.headers.emplace_back("Request-Id", request_id);
  respond(std::move(response));
}

core::Status Api::authenticate(Call& call) {
  const auto authorization = call.request.header("authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.empty())
    return core::Error{core::ErrorKind::unauthorized, "missing_api_key",
                       "no API key given: send the header 'Authorization: Bearer <api key>'", {}};
  if (!authorization.starts_with(kBearer))
    return core::Error{core::ErrorKind::unauthorized, "invalid_authorization",
                       "the Authorization header must be 'Bearer <api key>'", {}};
  auto key_id = keys_.authenticate(authorization.substr(kBearer.size()));
  if (!key_id) return core::Error{core::ErrorKind::unauthorized, "invalid_api_key", "the API key is not valid", {}};
  call.api_key_id = *key_id;
  return {};
}

void Api::dispatch(const std::shared_ptr<Call>& call, const Handler& handler) {
  if (call->request.method == "POST") {
    if (const auto key = call->request.header("idempotency-key"); !key.empty()) {
      if (auto s = check_idempotency_key(key); !s) return call->fail(s.error());
      call->idempotency_key = std::string(key);
      auto record = services_.store.find_idempotency(call->idempotency_scope(), call->idempotency_key);
      if (!record) return call->fail(record.error());
      // A key older than its time to live is free again: the request is a new one (its record is replaced).
      const int64_t now_ms = core::to_unix_ms(services_.clock.now());
      if (*record && now_ms - (*record)->created_ms < store::kIdempotencyKeyTtlMs) return call->replay(**record);
    }
  }
  try {
    handler(call);
  } catch (const std::exception& e) {
    call->fail(core::Error::internal(fmt::format("handler threw: {}", e.what())));
  }
}

}  // namespace billhook::api
