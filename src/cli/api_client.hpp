#pragma once

// The command line's client for a running billhook's JSON API. It sends through delivery::HttpClient
// (the same curl transport the dispatcher uses), so no command-line file includes curl. Calls block.

#include <atomic>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "delivery/http_client.hpp"

namespace billhook::cli {

// An answer that is not the expected 2xx, or no answer at all; it ends the command that made the call.
class ApiError : public std::runtime_error {
 public:
  ApiError(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

struct ApiAnswer {
  int status = 0;  // 0: no answer (see error)
  std::string body;
  std::string error;
};

class ApiClient {
 public:
  // `base_url` like "http://127.0.0.1:8080"; every call sends `Authorization: Bearer <api_key>`.
  ApiClient(std::string base_url, std::string api_key, delivery::HttpClient& http);

  ApiAnswer call(std::string_view method, std::string_view path, std::string_view body = {});
  // From now on a call gives up (status 0, error "cancelled") as soon as `*cancel` turns true, instead of
  // waiting for its answer: a long poll must not hold up a Ctrl-C.
  void cancel_when(const std::atomic<bool>* cancel) { cancel_ = cancel; }

  // The answer's JSON object; throws ApiError unless the status is 2xx (or `expected`, when given).
  boost::json::object get(std::string_view path);
  boost::json::object post(std::string_view path, const boost::json::object& body = {}, int expected = 0);
  boost::json::object patch(std::string_view path, const boost::json::object& body);
  boost::json::object del(std::string_view path);

  const std::string& base_url() const { return base_url_; }

 private:
  boost::json::object checked(std::string_view method, std::string_view path, std::string_view body, int expected);

  std::string base_url_;
  std::string api_key_;
  delivery::HttpClient& http_;
  const std::atomic<bool>* cancel_ = nullptr;
};

// Sends `request` and waits for its result; nullopt if `cancel` (when given) turned true first.
std::optional<delivery::OutboundResult> send_and_wait(delivery::HttpClient& http, delivery::OutboundRequest request,
                                                      const std::atomic<bool>* cancel = nullptr);

// The transport the commands use: curl, with no SSRF guard (the server is the one the user named).
std::unique_ptr<delivery::HttpClient> make_api_transport();

}  // namespace billhook::cli
