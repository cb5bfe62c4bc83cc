#pragma once

// A webhook receiver for integration tests: an HTTP/1.1 server on 127.0.0.1 (and optionally
// [::1]), port 0, one thread per connection, keep-alive. It records every request (method, path,
// lower-cased headers, body, arrival time, connection) and answers each path as the test told it:
// with success, or with one of the bad behaviours a webhook sender meets (a status, 429/503 with
// Retry-After, 410, a redirect, a hang, one byte a second, a 10 MB body, a connection reset, a
// delay). Tests await what it receives on a condition variable (wait_for_requests, wait_until),
// never by sleeping. The destructor ends every connection, hanging ones included, and joins.
//
// The second half of this header helps tests that drive billhook against a Receiver: checking
// signatures with the Standard Webhooks reference library, and waiting for a delivery's state.

#include <sys/types.h>

#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "support/http_client.hpp"

namespace billhook::testing {

using SteadyTime = std::chrono::steady_clock::time_point;

// One request as the receiver read it.
struct ReceivedRequest {
  std::string method;
  std::string target;                          // as sent, query included
  std::string path;                            // target without the query
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  SteadyTime arrived;  // when the whole request had been read
  int connection = 0;  // 1, 2, … in the order the receiver accepted connections
  int nth = 0;         // 1 for the first request to this path, 2 for the second, …
  int answered = 0;    // the status the receiver chose to answer; 0 for a hang or a reset

  std::string header(std::string_view name) const;  // "" if absent; `name` in any case
  boost::json::value json() const;                  // the body as JSON; throws if it is not
  // The envelope's "type" (billhook's default profile), or "" if the body has none.
  std::string event_type() const;
};

// How the receiver answers one request.
struct Behaviour {
  enum class Kind {
    respond,  // a status (and headers and body), possibly after `delay`
    hang,     // never answer; the connection stays open until the client gives up or the receiver ends
    trickle,  // a 200 answer written one byte per `interval`
    huge,     // an answer (200 unless `status` says otherwise) with a body of `huge_bytes` bytes
    reset,    // close the connection with an RST (SO_LINGER 0) instead of answering
  };

  Kind kind = Kind::respond;
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body = R"({"received":true})";
  std::chrono::milliseconds delay{0};        // before answering (respond, huge, reset)
  std::chrono::milliseconds interval{1000};  // trickle: between two bytes
  bool head_at_once = false;                 // trickle: the status line and headers at once, then the body
  size_t huge_bytes = 10 * 1024 * 1024;

  static Behaviour ok(int status = 200);
  static Behaviour status_code(int status);
  // 429 or 503 with `Retry-After: value`.
  static Behaviour retry_after(int status, std::string value);
  static Behaviour gone() { return status_code(410); }
  // A redirect (302 by default) to `location`.
  static Behaviour redirect(std::string location, int status = 302);
  static Behaviour hang();
  static Behaviour trickle(std::chrono::milliseconds interval = std::chrono::seconds(1));
  static Behaviour huge(size_t bytes = 10 * 1024 * 1024, int status = 200);
  static Behaviour reset();
  // A 200 after `delay`.
  static Behaviour delayed(std::chrono::milliseconds delay);

  Behaviour& with_header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  Behaviour& with_head_at_once() {
    head_at_once = true;
    return *this;
  }
  Behaviour& after(std::chrono::milliseconds d) {
    delay = d;
    return *this;
  }
};

// Answers per request: the nth request to a path (1-based) gets script[n - 1], and the last entry
// repeats, so {status_code(500), status_code(500), ok()} is "fail the first two, then succeed".
using Script = std::vector<Behaviour>;
Script fail_first(int n, int status = 500);

// Decides the answer from the request itself (e.g. by event type); `nth` counts per path.
using Decider = std::function<Behaviour(const ReceivedRequest& request)>;

struct ReceiverOptions {
  bool ipv6 = false;  // also listen on [::1] (the same port if it is free, else another)
  // The answer to a path nobody configured.
  Behaviour default_behaviour = Behaviour::ok();
};

class Receiver {
 public:
  explicit Receiver(ReceiverOptions options = {});
  // Ends every connection (hanging and trickling ones too) and joins all threads.
  ~Receiver();
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  uint16_t port() const { return port_; }
  uint16_t port_v6() const { return port_v6_; }  // 0 unless ReceiverOptions::ipv6
  // "http://127.0.0.1:PORT" + path.
  std::string url(std::string_view path) const;
  // "http://[::1]:PORT6" + path.
  std::string url_v6(std::string_view path) const;

  // How `path` (without query) is answered from now on. Counting (nth) goes on from what the path
  // already received.
  void on(const std::string& path, Behaviour behaviour);
  void on(const std::string& path, Script script);
  void on(const std::string& path, Decider decider);

  std::vector<ReceivedRequest> requests() const;
  std::vector<ReceivedRequest> requests_for(std::string_view path) const;
  size_t count() const;
  size_t count_for(std::string_view path) const;

  // Blocks until at least `n` requests have arrived in all (or to `path`), or `timeout` passes.
  // Answers whether they did.
  bool wait_for_requests(size_t n, std::chrono::milliseconds timeout) const;
  bool wait_for_requests(std::string_view path, size_t n, std::chrono::milliseconds timeout) const;
  // Blocks until `done(requests so far)` holds, re-checked on every arrival, or `timeout` passes.
  bool wait_until(const std::function<bool(const std::vector<ReceivedRequest>&)>& done,
                  std::chrono::milliseconds timeout) const;

  // The most requests to `path` that were being answered at the same moment (read, not yet
  // answered or abandoned).
  int peak_concurrency(std::string_view path) const;
  // Connections accepted so far.
  int connections() const;

 private:
  struct Connection;
  struct PathState {
    Script script;
    Decider decider;
    int seen = 0;
    int active = 0;
    int peak = 0;
  };

  void accept_loop();
  void serve(Connection& connection);
  Behaviour decide(ReceivedRequest& request);
  void finished(const std::string& path);
  // Sleeps for `d` unless the receiver stops or the peer closes first; answers false then.
  bool pause(int fd, std::chrono::milliseconds d) const;

  ReceiverOptions options_;
  int listen_fd_ = -1;
  int listen_fd_v6_ = -1;
  int stop_pipe_[2] = {-1, -1};  // readable once the receiver stops: every poll watches it
  uint16_t port_ = 0;
  uint16_t port_v6_ = 0;

  mutable std::mutex mutex_;
  mutable std::condition_variable arrived_;
  std::vector<ReceivedRequest> requests_;
  std::map<std::string, PathState, std::less<>> paths_;
  std::vector<std::unique_ptr<Connection>> connections_;
  int accepted_ = 0;
  std::thread acceptor_;
};

// ---- Helpers for tests that drive billhook against a Receiver ----

// Checks webhooks with the npm `standardwebhooks` library (tests/support/verify_webhooks.mjs,
// run by node). Answers one line per item, "ok" or "FAIL <why>"; throws if node cannot run it.
struct SignedWebhook {
  std::string secret;  // whsec_…
  std::map<std::string, std::string> headers;
  std::string body;
};
std::vector<std::string> verify_webhooks(const std::vector<SignedWebhook>& items);
// Every request in `requests` checked against `secret`: answers the number that verified, and
// fills `failures` with the rest's messages.
size_t count_verified(const std::vector<ReceivedRequest>& requests, const std::string& secret,
                      std::vector<std::string>* failures = nullptr);

// Polls GET /v1/deliveries/{id} (which includes its attempts), with a short growing pause
// between tries, until `done(delivery)` holds; returns that delivery. Throws std::runtime_error
// with the last state seen if it does not happen within `timeout`.
boost::json::object await_delivery(HttpClient& client, const std::string& delivery_id,
                                   const std::function<bool(const boost::json::object&)>& done,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(20),
                                   const std::string& what = "the awaited state");
// The same, until the status is `status` and `attempt_count` at least `attempts`.
boost::json::object await_status(HttpClient& client, const std::string& delivery_id, std::string_view status,
                                 int attempts = 0, std::chrono::milliseconds timeout = std::chrono::seconds(20));
// Polls `GET path` until `done(json)` holds; throws with the last answer otherwise.
boost::json::value await_resource(HttpClient& client, const std::string& path,
                                  const std::function<bool(const boost::json::value&)>& done,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(20));

// The id of the one delivery of `event_id` to `endpoint_id`; throws unless there is exactly one.
std::string delivery_of(HttpClient& client, const std::string& event_id, const std::string& endpoint_id);

// POST /v1/test/clock {"advance_seconds": n} (the server must run with --test-clock); answers the
// clock's time after it, in unix milliseconds (n = 0 only reads it).
int64_t advance_clock(HttpClient& client, int64_t seconds);

}  // namespace billhook::testing
