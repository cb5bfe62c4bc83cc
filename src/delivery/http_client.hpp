#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace billhook::delivery {

// Why an attempt failed, as recorded in its history. `none` with a status code is an HTTP answer.
enum class ErrorClass { none, dns, connect, tls, timeout, ssrf_blocked, response_too_large, http_status };
std::string_view to_string(ErrorClass error_class);

struct OutboundRequest {
  // "POST" for webhooks; the command line's API calls also send GET, PATCH and DELETE.
  std::string method = "POST";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds total_timeout{15000};
  // Once its answer has begun, a receiver sending slower than this many bytes a second on
  // average, for longer than `low_speed_window`, is cut off (a trickle). Time spent before the
  // first byte of the answer (the receiver working) is bounded by total_timeout only.
  long low_speed_bytes_per_second = 64;
  std::chrono::seconds low_speed_window{5};
  // Read at most this much of an answer. A 2xx answer that is longer still succeeds (the event
  // was accepted; the rest is not read); a longer failure answer is `response_too_large`.
  size_t max_response_bytes = 256 * 1024;
};

struct OutboundResult {
  ErrorClass error_class = ErrorClass::none;
  std::string error_message;  // for the history, e.g. "connection refused", "blocked: loopback 127.0.0.1"
  int status_code = 0;        // 0 when no HTTP answer came
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;           // what was read, at most max_response_bytes
  std::chrono::milliseconds duration{0};
};

// Sends webhook requests. Implementations run transfers concurrently; `done` is called once
// per request, from the client's own thread.
class HttpClient {
 public:
  using Done = std::function<void(OutboundResult)>;
  virtual ~HttpClient() = default;
  virtual void send(OutboundRequest request, Done done) = 0;
  // Requests started but not yet done.
  virtual size_t in_flight() const = 0;
};

}  // namespace billhook::delivery
