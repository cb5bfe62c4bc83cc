#pragma once

// Reading a Cookie header and writing the dashboard's Set-Cookie values. Pure.

#include <chrono>
#include <string>
#include <string_view>

namespace billhook::api::dashboard {

// The value of cookie `name` in a Cookie request header ("a=1; b=2"), or empty.
std::string_view cookie_value(std::string_view cookie_header, std::string_view name);

// A cookie only the dashboard's paths get back, unreadable by scripts and never sent by another site's
// request: `name=value; Path=/dashboard; Max-Age=…; HttpOnly; SameSite=Strict`, and `Secure` when the
// dashboard is reached over TLS.
std::string dashboard_cookie(std::string_view name, std::string_view value, std::chrono::seconds max_age, bool secure);

// The Set-Cookie value that makes the browser forget cookie `name`.
std::string cleared_cookie(std::string_view name, bool secure);

}  // namespace billhook::api::dashboard
