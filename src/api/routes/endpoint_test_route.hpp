#pragma once

#include "api/routes/routes.hpp"

namespace billhook::api::routes {

// POST /v1/endpoints/{id}/test: one event of a chosen catalog type (its example as data.object) sent to
// this endpoint alone. Registered by register_endpoint_routes.
void register_endpoint_test_route(Routes& routes);

// How many failed deliveries of `endpoint_id` created since `since_ms` a recover would resend (the dry
// run of POST /v1/endpoints/{id}/recover): read newest first, stopping at the first older one.
core::Result<int64_t> count_recoverable(store::Store& store, const std::string& endpoint_id, int64_t since_ms);

}  // namespace billhook::api::routes
