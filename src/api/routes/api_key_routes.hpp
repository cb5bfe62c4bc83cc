#pragma once

#include "api/api_keys.hpp"
#include "api/routes/routes.hpp"

namespace billhook::api::routes {

// POST/GET /v1/api-keys, GET/DELETE /v1/api-keys/{id}: the API keys, created, listed and revoked. A key
// created or revoked here takes effect in `keys` (this node's) at once; ApiKeySync brings it to the other
// nodes. Api registers them beside register_all, with its keys; the OpenAPI test registers them too.
void register_api_key_routes(Routes& routes, ApiKeys& keys);

}  // namespace billhook::api::routes
