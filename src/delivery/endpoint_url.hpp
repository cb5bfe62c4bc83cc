#pragma once

// Whether a string may be an endpoint's URL. Pure; where it points is not judged here but at each
// delivery attempt (the SSRF guard, network_policy.hpp), since DNS can change after it is stored.

#include <string_view>

#include "core/result.hpp"

namespace billhook::delivery {

// An absolute http(s) URL with a host and no #fragment. Errors are invalid_request `invalid_url`
// on the parameter `url`, saying what to fix.
core::Status check_endpoint_url(std::string_view url);

}  // namespace billhook::delivery
