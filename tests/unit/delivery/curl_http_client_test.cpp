// CurlHttpClient against a small HTTP/1.1 server on 127.0.0.1, written here on POSIX sockets so
// that the test controls every byte of the answer and sees every connection.
#include "delivery/curl_http_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "delivery/network_policy.hpp"

namespace billhook::delivery {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;
using Headers = std::vector<std::pair<std::string, std::string>>;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

struct ReceivedRequest {
  std::string method;
  std::string target;
  Headers headers;  // names lower-cased
  std::string body;

  std::optional<std::string> header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return v;
    return std::nullopt;
  }
};

struct Reply {
  int status = 200;
  std::string reason = "OK";
  Headers headers;
  std::string body;
  bool never = false;  // read the request, then keep the connection open without answering
};

// Serves each connection on its own thread, keeping it alive between requests (HTTP/1.1).
class LoopbackServer {
 public:
  using Handler = std::function<Reply(const ReceivedRequest&)>;

  explicit LoopbackServer(Handler handler) : handler_(std::move(handler)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    EXPECT_GE(listen_fd_, 0);
    const int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listen_fd_, 128), 0);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    EXPECT_EQ(::pipe2(stop_pipe_, O_CLOEXEC), 0);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~LoopbackServer() { stop(); }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  void stop() {
    if (stopped_.exchange(true)) return;
    (void)!::write(stop_pipe_[1], "x", 1);
    acceptor_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mutex_);
      for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
      threads.swap(connections_);
    }
    for (auto& t : threads) t.join();
    ::close(listen_fd_);
    ::close(stop_pipe_[0]);
    ::close(stop_pipe_[1]);
  }

  uint16_t port() const { return port_; }
  std::string url(std::string_view path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }

  int accepts() const {
    std::lock_guard lock(mutex_);
    return static_cast<int>(peer_ports_.size());
  }
  // The client-side port of each accepted connection, in accept order.
  std::vector<uint16_t> peer_ports() const {
    std::lock_guard lock(mutex_);
    return peer_ports_;
  }
  std::vector<ReceivedRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

  bool await_accepts(int n, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return static_cast<int>(peer_ports_.size()) >= n; });
  }

 private:
  void accept_loop() {
    for (;;) {
      pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[1].revents) return;
      sockaddr_in peer{};
      socklen_t len = sizeof peer;
      const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
      if (fd < 0) continue;
      std::lock_guard lock(mutex_);
      peer_ports_.push_back(ntohs(peer.sin_port));
      open_fds_.insert(fd);
      connections_.emplace_back([this, fd] { serve(fd); });
      cv_.notify_all();
    }
  }

  void serve(int fd) {
    std::string buffer;
    char chunk[16384];
    for (;;) {
      // Answer every complete request in the buffer.
      for (;;) {
        const size_t end = buffer.find("\r\n\r\n");
        if (end == std::string::npos) break;
        ReceivedRequest request = parse_head(buffer.substr(0, end));
        const size_t length = std::stoul(request.header("content-length").value_or("0"));
        if (buffer.size() < end + 4 + length) break;
        request.body = buffer.substr(end + 4, length);
        buffer.erase(0, end + 4 + length);
        {
          std::lock_guard lock(mutex_);
          requests_.push_back(request);
          cv_.notify_all();
        }
        const Reply reply = handler_(request);
        if (!reply.never) write_all(fd, render(reply));
      }
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) break;
      buffer.append(chunk, static_cast<size_t>(n));
    }
    std::lock_guard lock(mutex_);
    open_fds_.erase(fd);
    ::close(fd);
  }

  static ReceivedRequest parse_head(const std::string& head) {
    ReceivedRequest r;
    size_t line_end = head.find("\r\n");
    const std::string request_line = head.substr(0, line_end);
    const size_t first_space = request_line.find(' ');
    const size_t second_space = request_line.find(' ', first_space + 1);
    r.method = request_line.substr(0, first_space);
    r.target = request_line.substr(first_space + 1, second_space - first_space - 1);
    while (line_end != std::string::npos) {
      const size_t start = line_end + 2;
      line_end = head.find("\r\n", start);
      const std::string line = head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
      const size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      r.headers.emplace_back(lower(line.substr(0, colon)), value);
    }
    return r;
  }

  static std::string render(const Reply& reply) {
    std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " " + reply.reason + "\r\n";
    for (const auto& [k, v] : reply.headers) out += k + ": " + v + "\r\n";
    out += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n\r\n";
    out += reply.body;
    return out;
  }

  static void write_all(int fd, const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
      const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;  // the client went away (it may stop reading a large answer)
      sent += static_cast<size_t>(n);
    }
  }

  Handler handler_;
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  uint16_t port_ = 0;
  std::atomic<bool> stopped_{false};
  std::thread acceptor_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::set<int> open_fds_;
  std::vector<std::thread> connections_;
  std::vector<uint16_t> peer_ports_;
  std::vector<ReceivedRequest> requests_;
};

Reply ok(std::string body = "ok") {
  Reply r;
  r.body = std::move(body);
  return r;
}

NetworkPolicy allow_loopback() {
  auto loopback = parse_cidr("127.0.0.0/8");
  EXPECT_TRUE(loopback.ok());
  return NetworkPolicy({*loopback});
}

OutboundRequest webhook(std::string url) {
  OutboundRequest r;
  r.url = std::move(url);
  r.headers = {{"Content-Type", "application/json"},
               {"webhook-id", "evt_test"},
               {"webhook-timestamp", "1790000000"},
               {"webhook-signature", "v1,abc="}};
  r.body = R"({"hello":"world"})";
  r.connect_timeout = 2s;
  r.total_timeout = 5s;
  return r;
}

// Sends and waits for `done`; a result that never comes fails the test instead of hanging it.
struct Awaited {
  std::optional<OutboundResult> result;
  std::chrono::milliseconds elapsed{0};
};

Awaited send_and_wait(CurlHttpClient& client, OutboundRequest request, std::chrono::milliseconds patience = 5s) {
  auto promise = std::make_shared<std::promise<OutboundResult>>();
  auto future = promise->get_future();
  const auto started = SteadyClock::now();
  client.send(std::move(request), [promise](OutboundResult r) { promise->set_value(std::move(r)); });
  Awaited out;
  if (future.wait_for(patience) != std::future_status::ready) {
    ADD_FAILURE() << "no result within " << patience.count() << " ms";
    return out;
  }
  out.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - started);
  out.result = future.get();
  return out;
}

std::optional<std::string> header(const OutboundResult& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return std::nullopt;
}

TEST(CurlHttpClient, OkAnswerIsDeliveredWithBodyAndHeaders) {
  LoopbackServer server([](const ReceivedRequest&) {
    Reply r = ok("received");
    r.headers = {{"X-Receiver-Id", "r-1"}, {"Content-Type", "text/plain"}};
    return r;
  });
  CurlHttpClient client(allow_loopback());
  const auto got = send_and_wait(client, webhook(server.url()));
  ASSERT_TRUE(got.result);
  const auto& r = *got.result;
  EXPECT_EQ(r.error_class, ErrorClass::none) << r.error_message;
  EXPECT_EQ(r.status_code, 200);
  EXPECT_EQ(r.body, "received");
  EXPECT_EQ(header(r, "x-receiver-id"), "r-1");
  EXPECT_EQ(header(r, "content-type"), "text/plain");
  EXPECT_EQ(header(r, "content-length"), "8");
  for (const auto& [name, value] : r.headers) EXPECT_EQ(name, lower(name)) << "header names are lower-cased";
  EXPECT_EQ(client.in_flight(), 0u);

  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/hook");
  EXPECT_EQ(requests[0].body, R"({"hello":"world"})");
  EXPECT_EQ(requests[0].header("content-type"), "application/json");
  EXPECT_EQ(requests[0].header("webhook-id"), "evt_test");
  EXPECT_EQ(requests[0].header("webhook-timestamp"), "1790000000");
  EXPECT_EQ(requests[0].header("webhook-signature"), "v1,abc=");
  EXPECT_FALSE(requests[0].header("expect")) << "no 100-continue round trip";
  EXPECT_TRUE(requests[0].header("user-agent").value_or("").starts_with("billhook"));
}

TEST(CurlHttpClient, ServerErrorIsAnHttpStatus) {
  LoopbackServer server([](const ReceivedRequest&) {
    Reply r = ok("database on fire");
    r.status = 500;
    r.reason = "Internal Server Error";
    return r;
  });
  CurlHttpClient client(allow_loopback());
  const auto got = send_and_wait(client, webhook(server.url()));
  ASSERT_TRUE(got.result);
  EXPECT_EQ(got.result->error_class, ErrorClass::http_status);
  EXPECT_EQ(got.result->status_code, 500);
  EXPECT_EQ(got.result->body, "database on fire");
  EXPECT_NE(got.result->error_message.find("500"), std::string::npos);
}

TEST(CurlHttpClient, RedirectIsReportedAndNotFollowed) {
  std::string elsewhere;
  LoopbackServer server([&](const ReceivedRequest& request) {
    if (request.target != "/hook") return ok("followed");
    Reply r;
    r.status = 302;
    r.reason = "Found";
    r.headers = {{"Location", elsewhere}};
    return r;
  });
  elsewhere = server.url("/elsewhere");
  CurlHttpClient client(allow_loopback());
  const auto got = send_and_wait(client, webhook(server.url()));
  ASSERT_TRUE(got.result);
  EXPECT_EQ(got.result->error_class, ErrorClass::http_status);
  EXPECT_EQ(got.result->status_code, 302);
  EXPECT_EQ(header(*got.result, "location"), elsewhere);
  EXPECT_NE(got.result->error_message.find("redirect"), std::string::npos) << got.result->error_message;
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/hook");
}

TEST(CurlHttpClient, ClosedPortIsAConnectError) {
  // A port that was free a moment ago and has no listener now.
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const uint16_t port = ntohs(addr.sin_port);
  ::close(fd);

  CurlHttpClient client(allow_loopback());
  const auto got = send_and_wait(client, webhook("http://127.0.0.1:" + std::to_string(port) + "/hook"));
  ASSERT_TRUE(got.result);
  EXPECT_EQ(got.result->error_class, ErrorClass::connect) << got.result->error_message;
  EXPECT_EQ(got.result->status_code, 0);
  EXPECT_FALSE(got.result->error_message.empty());
}

TEST(CurlHttpClient, BlockedAddressIsNeverConnectedTo) {
  LoopbackServer server([](const ReceivedRequest&) { return ok(); });
  CurlHttpClient client(NetworkPolicy{});  // the default policy refuses loopback
  const auto got = send_and_wait(client, webhook(server.url()));
  ASSERT_TRUE(got.result);
  EXPECT_EQ(got.result->error_class, ErrorClass::ssrf_blocked) << got.result->error_message;
  EXPECT_EQ(got.result->status_code, 0);
  EXPECT_NE(got.result->error_message.find("127.0.0.1"), std::string::npos) << got.result->error_message;

  // Connect a probe of our own: had the client connected, its connection would be accepted first.
  const int probe = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(probe, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(server.port());
  ASSERT_EQ(::connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  sockaddr_in local{};
  socklen_t len = sizeof local;
  ::getsockname(probe, reinterpret_cast<sockaddr*>(&local), &len);
  ASSERT_TRUE(server.await_accepts(1));
  EXPECT_EQ(server.peer_ports().front(), ntohs(local.sin_port)) << "the blocked client reached the server";
  ::close(probe);
  EXPECT_TRUE(server.requests().empty());
}

TEST(CurlHttpClient, AllowListedLoopbackIsDelivered) {
  LoopbackServer server([](const ReceivedRequest&) { return ok(); });
  auto network = parse_cidr_list("10.0.0.0/8, 127.0.0.0/8");
  ASSERT_TRUE(network.ok());
  CurlHttpClient client{NetworkPolicy(*network)};
  const auto got = send_and_wait(client, webhook(server.url()));
  ASSERT_TRUE(got.result);
  EXPECT_EQ(got.result->error_class, ErrorClass::none) << got.result->error_message;
  EXPECT_EQ(got.result->status_code, 200);
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(CurlHttpClient, FailureAnswerOverTheLimitIsTooLarge) {
  LoopbackServer server([](const ReceivedRequest&) {
    Reply r = ok(std::string(200'000, 'x'));
    r.status = 500;
    r.reason = "Internal Server Error";
    return r;
  });
  CurlHttpClient client(allow_loopback());
  auto request = webhook(server.url());
  request.max_response_bytes = 1000;
  const auto got = send_and_wait(client, request);
  ASSERT_TRUE(got.result);
  EXPECT_EQ(got.result->error_class, ErrorClass::response_too_large) << got.result->error_message;
  EXPECT_EQ(got.result->status_code, 500);
  EXPECT_EQ(got.result->body.size(), 1000u);
  EXPECT_EQ(got.result->body, std::string(1000, 'x'));
}

// http_client.hpp: a 2xx answer longer than the limit still succeeds; the rest is not read.
TEST(CurlHttpClient, SuccessAnswerOverTheLimitSucceedsWithTheBodyCapped) {
  LoopbackServer server([](const ReceivedRequest&) { return ok(std::string(200'000, 'x')); });
  CurlHttpClient client(allow_loopback());
  auto request = webhook(server.url());
  request.max_response_bytes = 1000;
  const auto got = send_and_wait(client, request);
  ASSERT_TRUE(got.result);
  EXPECT_EQ(got.result->error_class, ErrorClass::none) << got.result->error_message;
  EXPECT_EQ(got.result->status_code, 200);
  EXPECT_EQ(got.result->body.size(), 1000u);
}

TEST(CurlHttpClient, ResponseExactlyAtTheLimitIsWhole) {
  LoopbackServer server([](const ReceivedRequest&) { return ok(std::string(1000, 'y')); });
  CurlHttpClient client(allow_loopback());
  auto request = webhook(server.url());
  request.max_response_bytes = 1000;
  const auto got = send_and_wait(client, request);
  ASSERT_TRUE(got.result);
  EXPECT_EQ(got.result->error_class, ErrorClass::none) << got.result->error_message;
  EXPECT_EQ(got.result->body.size(), 1000u);
}

TEST(CurlHttpClient, ServerThatNeverAnswersTimesOut) {
  LoopbackServer server([](const ReceivedRequest&) {
    Reply r;
    r.never = true;
    return r;
  });
  CurlHttpClient client(allow_loopback());
  auto request = webhook(server.url());
  request.total_timeout = 300ms;
  auto promise = std::make_shared<std::promise<OutboundResult>>();
  auto future = promise->get_future();
  const auto started = SteadyClock::now();
  client.send(request, [promise](OutboundResult r) { promise->set_value(std::move(r)); });
  EXPECT_EQ(client.in_flight(), 1u);
  ASSERT_EQ(future.wait_for(3s), std::future_status::ready);
  const auto elapsed = SteadyClock::now() - started;
  const auto r = future.get();
  EXPECT_EQ(r.error_class, ErrorClass::timeout) << r.error_message;
  EXPECT_EQ(r.status_code, 0);
  EXPECT_GE(elapsed, 290ms);
  EXPECT_LT(elapsed, 1000ms);
  EXPECT_GE(r.duration, 290ms);
  EXPECT_EQ(client.in_flight(), 0u);
  EXPECT_EQ(server.requests().size(), 1u) << "the request itself arrived";
}

TEST(CurlHttpClient, TwentyConcurrentRequestsAllComplete) {
  constexpr int kRequests = 20;
  std::mutex mutex;
  std::condition_variable cv;
  int waiting = 0;
  int peak = 0;
  // Each answer waits until all twenty requests are in (or 3 s have passed), which only
  // concurrent transfers can bring about.
  LoopbackServer server([&](const ReceivedRequest& request) {
    std::unique_lock lock(mutex);
    ++waiting;
    peak = std::max(peak, waiting);
    cv.notify_all();
    cv.wait_for(lock, 3s, [&] { return peak >= kRequests; });
    --waiting;
    return ok("answer to " + request.header("webhook-id").value_or("?"));
  });
  CurlHttpClient client(allow_loopback());

  std::mutex results_mutex;
  std::condition_variable results_cv;
  std::vector<OutboundResult> results;
  for (int i = 0; i < kRequests; ++i) {
    auto request = webhook(server.url());
    request.headers[1].second = "evt_" + std::to_string(i);
    client.send(std::move(request), [&](OutboundResult r) {
      std::lock_guard lock(results_mutex);
      results.push_back(std::move(r));
      results_cv.notify_all();
    });
  }
  {
    std::unique_lock lock(results_mutex);
    ASSERT_TRUE(results_cv.wait_for(lock, 10s, [&] { return results.size() == kRequests; }));
  }
  std::set<std::string> bodies;
  for (const auto& r : results) {
    EXPECT_EQ(r.error_class, ErrorClass::none) << r.error_message;
    bodies.insert(r.body);
  }
  EXPECT_EQ(bodies.size(), static_cast<size_t>(kRequests)) << "each request got its own answer";
  EXPECT_EQ(server.requests().size(), static_cast<size_t>(kRequests));
  std::lock_guard lock(mutex);
  EXPECT_EQ(peak, kRequests) << "the transfers did not run concurrently";
}

TEST(CurlHttpClient, SequentialRequestsReuseOneConnection) {
  LoopbackServer server([](const ReceivedRequest&) { return ok(); });
  CurlHttpClient client(allow_loopback());
  for (int i = 0; i < 5; ++i) {
    const auto got = send_and_wait(client, webhook(server.url()));
    ASSERT_TRUE(got.result);
    EXPECT_EQ(got.result->error_class, ErrorClass::none) << got.result->error_message;
  }
  EXPECT_EQ(server.requests().size(), 5u);
  EXPECT_EQ(server.accepts(), 1) << "keep-alive: one TCP connection for all five";
}

TEST(CurlHttpClient, DestroyingTheClientAbandonsTransfersWithoutCallingDone) {
  LoopbackServer server([](const ReceivedRequest&) {
    Reply r;
    r.never = true;
    return r;
  });
  auto called = std::make_shared<std::atomic<bool>>(false);
  {
    CurlHttpClient client(allow_loopback());
    client.send(webhook(server.url()), [called](OutboundResult) { *called = true; });
    ASSERT_TRUE(server.await_accepts(1));
  }
  EXPECT_FALSE(called->load());
}

}  // namespace
}  // namespace billhook::delivery
