#pragma once

#include <boost/json/object.hpp>

#include "events/model.hpp"
#include "events/profile_rules.hpp"

namespace billhook::events {

// How endpoints and deliveries look, both in API answers and as the `data.object` of the
// operational events about them (endpoint.disabled, delivery.exhausted). Times are unix seconds.
// An endpoint's secrets are never part of it, and of its profile settings only those `profiles`
// shows are written in full (the others by their last four characters).
boost::json::object endpoint_object(const Endpoint& endpoint, const ProfileRules& profiles);
boost::json::object delivery_object(const Delivery& delivery);
boost::json::object attempt_object(const Attempt& attempt);

}  // namespace billhook::events
