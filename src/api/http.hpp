#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace billhook::api {

// HTTP as the API layer sees it: plain data, so that only http_server.cpp includes Beast.
struct HttpRequest {
  std::string method;  // "GET", "POST", …
  std::string target;  // path and query as sent
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote_address;

  // The first value of header `name` (lower-case), or empty.
  std::string_view header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return v;
    return {};
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Called exactly once per request, from any thread.
using Respond = std::function<void(HttpResponse)>;
using RequestHandler = std::function<void(HttpRequest, Respond)>;

}  // namespace billhook::api
