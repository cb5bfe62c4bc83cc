// GET /v1/webhooks/public_key: the public half of the installation's webhook signing key, answered as Lago's
// GET /api/v1/webhooks/public_key answers (text/plain, base64 of the PEM), so a receiver written from Lago's
// documentation fetches and decodes it unchanged and verifies X-Lago-Signature JWTs with it.

#include "api/routes/routes.hpp"
#include "core/crypto.hpp"

namespace billhook::api::routes {
namespace {

void get_public_key(const std::shared_ptr<Call>& call) {
  if (auto s = call->query.allow_only({}); !s) return call->fail(s.error());
  const std::string& pem = call->services.webhook_public_key_pem;
  if (pem.empty()) return call->fail(core::Error::unavailable("this server signs webhooks with no key pair"));
  call->send(HttpResponse{.status = 200, .content_type = "text/plain", .body = core::base64_encode(pem), .headers = {}});
}

}  // namespace

void register_webhook_key_routes(Routes& routes) { routes.add("GET", "/v1/webhooks/public_key", get_public_key); }

}  // namespace billhook::api::routes
