#pragma once

#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "catalog/catalog.hpp"
#include "events/model.hpp"
#include "events/representation.hpp"
#include "store/delivery_stats.hpp"

namespace billhook::api {

// How catalog entries and lists look in API answers (endpoints and deliveries: see
// events/representation.hpp). Times are unix seconds, like Stripe's.
boost::json::object event_type_json(const catalog::EventType& type);
// {"object": "list", "url", "data", "has_more"}
boost::json::object list_json(boost::json::array data, bool has_more, std::string url);
// An endpoint's `health` as the API shows it beside the endpoint (GET /v1/endpoints[/{id}]):
// {"last_success_at", "last_failure_at", "failure_streak", "failing_since"}, times null while there
// was none; `health` is null before the endpoint's first attempt.
boost::json::object endpoint_health_json(const events::Endpoint& endpoint, const store::EndpointHealth* health);

}  // namespace billhook::api
