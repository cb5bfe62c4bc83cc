#pragma once

// A small blocking HTTP/1.1 client for integration tests, on libcurl's easy interface (only
// http_client.cpp includes curl). It talks to 127.0.0.1 or ::1 only, never through a proxy and
// never following redirects. One client keeps its connection alive between requests; use one
// client per thread.

#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace billhook::testing {

// Request headers in the order they are sent. A header named here replaces the client's own
// (Authorization, Content-Type); an empty value leaves that header out of the request.
using Headers = std::vector<std::pair<std::string, std::string>>;

struct Response {
  int status = 0;                              // 0 if no status line came (see `error`)
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string error;  // the transport error, if the exchange failed

  // The body parsed as JSON; throws std::runtime_error (with the body) if it is not JSON.
  boost::json::value json() const;
  // A header's value, or "" if it is absent (`name` in any case).
  std::string header(std::string_view name) const;
  bool has_header(std::string_view name) const;
};

// For failure messages: "POST /v1/events -> 400 {…}".
std::string describe(const Response& response);

class HttpClient {
 public:
  // `host` must be a loopback literal (127.x.x.x or ::1). Authenticates every request with
  // `Authorization: Bearer <api_key>` unless api_key is std::nullopt.
  HttpClient(uint16_t port, std::optional<std::string> api_key, std::string host = "127.0.0.1");
  ~HttpClient();
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;

  void set_port(uint16_t port) { port_ = port; }
  uint16_t port() const { return port_; }
  void set_api_key(std::optional<std::string> api_key) { api_key_ = std::move(api_key); }
  const std::optional<std::string>& api_key() const { return api_key_; }
  void set_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }

  // Sends `method path` (path includes the query string) with `body` (sent if non-empty, or
  // always for POST/PATCH/PUT) as application/json. A transport failure answers status 0.
  Response request(std::string_view method, std::string_view path, std::string_view body = {},
                   const Headers& headers = {});

  Response get(std::string_view path, const Headers& headers = {}) { return request("GET", path, {}, headers); }
  Response post(std::string_view path, std::string_view body, const Headers& headers = {}) {
    return request("POST", path, body, headers);
  }
  Response post(std::string_view path, const boost::json::value& body, const Headers& headers = {});
  Response patch(std::string_view path, std::string_view body, const Headers& headers = {}) {
    return request("PATCH", path, body, headers);
  }
  Response patch(std::string_view path, const boost::json::value& body, const Headers& headers = {});
  Response del(std::string_view path, const Headers& headers = {}) { return request("DELETE", path, {}, headers); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint16_t port_;
  std::optional<std::string> api_key_;
  std::string host_;
  std::chrono::milliseconds timeout_{30'000};
};

}  // namespace billhook::testing
