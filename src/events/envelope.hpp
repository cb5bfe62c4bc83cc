#pragma once

#include <string>

#include <boost/json/object.hpp>

#include "events/model.hpp"

namespace billhook::events {

// The event as receivers and the API see it, in billhook's default (Stripe-like) envelope:
// {id, object, type, api_version, created, occurred_at, aggregate, data, request}.
boost::json::object render_envelope(const Event& event, const std::string& api_version);

// The same envelope as JSON text, byte for byte what serializing render_envelope gives, built without
// parsing `data_json` again: what the publish answer and every delivery body use.
std::string render_envelope_text(const Event& event, const std::string& api_version);

}  // namespace billhook::events
