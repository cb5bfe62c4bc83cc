#pragma once

// Reading a server's event log from the command line: its newest event, and the events after one.

#include <boost/json/array.hpp>
#include <string>
#include <string_view>

#include "cli/api_client.hpp"

namespace billhook::cli {

// The id of the newest event matching `filter` (a query string without '?', e.g. "type=invoice.paid"; empty
// for every event), or "" when there is none.
std::string newest_event_id(ApiClient& api, std::string_view filter = {});

// The events matching `filter` that came after `after_id` (every one when it is ""), oldest first, as the API
// renders them. Event ids grow with time on a server, so "after" is "greater than".
boost::json::array events_after(ApiClient& api, const std::string& after_id, std::string_view filter = {});

}  // namespace billhook::cli
