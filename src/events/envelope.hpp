#pragma once

#include <string>

#include <boost/json/object.hpp>

#include "events/model.hpp"

namespace billhook::events {

// The event as receivers and the API see it, in billhook's default (Stripe-like) envelope:
// {id, object, type, api_version, created, occurred_at, aggregate, data, request}.
boost::json::object render_envelope(const Event& event, const std::string& api_version);

}  // namespace billhook::events
