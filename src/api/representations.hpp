#pragma once

#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "catalog/catalog.hpp"
#include "events/model.hpp"
#include "events/representation.hpp"

namespace billhook::api {

// How catalog entries and lists look in API answers (endpoints and deliveries: see
// events/representation.hpp). Times are unix seconds, like Stripe's.
boost::json::object event_type_json(const catalog::EventType& type);
// {"object": "list", "url", "data", "has_more"}
boost::json::object list_json(boost::json::array data, bool has_more, std::string url);

}  // namespace billhook::api
