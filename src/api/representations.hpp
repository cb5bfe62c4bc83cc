#pragma once

#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "catalog/catalog.hpp"
#include "events/model.hpp"

namespace billhook::api {

// How each resource looks in API answers. Times are unix seconds, like Stripe's.
boost::json::object endpoint_json(const events::Endpoint& endpoint);
boost::json::object delivery_json(const events::Delivery& delivery);
boost::json::object event_type_json(const catalog::EventType& type);
// {"object": "list", "url", "data", "has_more"}
boost::json::object list_json(boost::json::array data, bool has_more, std::string url);

}  // namespace billhook::api
