#include "api/api.hpp"

#include <fmt/format.h>

#include "api/errors.hpp"
#include "api/hosted/html.hpp"
#include "api/routes/routes.hpp"
#include "core/log.hpp"

namespace billhook::api {
namespace {

constexpr size_t kMaxIdempotencyKeyLength = 255;

// The public pages' requests a client may make at once, and then a minute: a person paying an invoice
// needs a handful; guessing tokens needs billions.
constexpr double kHostedBurst = 60;
constexpr double kHostedPerMinute = 30;

bool is_hosted(std::string_view path) { return path.starts_with("/hosted/"); }

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
      hosted_limiter_(services_.clock, kHostedBurst, kHostedPerMinute) {
  routes::register_all(routes_, services_.test_clock != nullptr);
  routes::register_hosted_page_routes(routes_);
}

void Api::handle(HttpRequest request, Respond respond) {
  std::string request_id = services_.ids.next(core::IdKind::request);
  auto query = Query::parse(request.target);
  if (!query) {
    auto response = error_response(query.error(), request_id);
    response.headers.emplace_back("Request-Id", request_id);
    return respond(std::move(response));
  }
  auto match = routes_.match(request.method, query->path());
  const std::string path = query->path();
  auto call = std::make_shared<Call>(services_, std::move(request), std::move(*query), std::move(match.params),
                                     std::move(request_id), std::move(respond));
  if (is_hosted(path) && !hosted_limiter_.allow(call->request.remote_address))
    return call->send(hosted::too_many_requests_page());
  // Authenticate before saying anything about routes, so that no key learns nothing.
  if (!is_public(path)) {
    if (auto s = authenticate(*call); !s) return call->fail(s.error());
  }
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
      if (*record) return call->replay(**record);
    }
  }
  try {
    handler(call);
  } catch (const std::exception& e) {
    call->fail(core::Error::internal(fmt::format("handler threw: {}", e.what())));
  }
}

}  // namespace billhook::api
