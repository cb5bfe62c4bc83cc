#include "api/dashboard/cookies.hpp"

#include <fmt/format.h>

namespace billhook::api::dashboard {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const size_t end = header.find(';');
    const std::string_view pair = trim(header.substr(0, end));
    header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    if (trim(pair.substr(0, eq)) == name) return trim(pair.substr(eq + 1));
  }
  return {};
}

std::string dashboard_cookie(std::string_view name, std::string_view value, std::chrono::seconds max_age,
                             bool secure) {
  return fmt::format("{}={}; Path=/dashboard; Max-Age={}; HttpOnly; SameSite=Strict{}", name, value, max_age.count(),
                     secure ? "; Secure" : "");
}

std::string cleared_cookie(std::string_view name, bool secure) {
  return dashboard_cookie(name, "", std::chrono::seconds(0), secure);
}

}  // namespace billhook::api::dashboard
