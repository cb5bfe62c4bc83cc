// Timeouts, caps and error classes through the real binary: --delivery-timeout against a receiver
// that never answers, the low-speed abort against one that sends a byte a second, the 256 KiB
// read cap against a 10 MB answer, --connect-timeout against a listener that never accepts, a
// connection reset, a refused connection and a TLS handshake with a plain-HTTP peer.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "integration/delivery_fixture.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;

// A loopback socket bound to a port, optionally listening; closed on destruction.
class RawSocket {
 public:
  explicit RawSocket(int backlog = -1) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      throw std::runtime_error("RawSocket: bind failed");
    if (backlog >= 0 && ::listen(fd_, backlog) != 0) throw std::runtime_error("RawSocket: listen failed");
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~RawSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;
  int fd() const { return fd_; }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// A client socket connecting (non-blocking) to a loopback port; closed on destruction.
class Connector {
 public:
  explicit Connector(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);  // EINPROGRESS is expected
  }
  ~Connector() { ::close(fd_); }
  Connector(const Connector&) = delete;
  Connector& operator=(const Connector&) = delete;

 private:
  int fd_ = -1;
};

class LimitsTest : public DeliveryTest {
 protected:
  // Creates an endpoint for `url`, publishes an event to it, and answers the delivery once its
  // first attempt is recorded.
  json::object first_attempt_to(const std::string& url, const char* expected_status = "retrying") {
    auto r = client_->post("/v1/endpoints", json::object{{"url", url}, {"event_types", json::array{"invoice.*"}}});
    if (r.status != 201) throw std::runtime_error("create endpoint: " + describe(r));
    const std::string endpoint_id = str(r.json().at("id"));
    auto e = client_->post("/v1/events", invoice_event(unique_name("inv_limit_")));
    if (e.status != 202) throw std::runtime_error("publish: " + describe(e));
    const auto delivery_id = delivery_of(*client_, str(e.json().at("id")), endpoint_id);
    const auto d = await_delivery(
        *client_, delivery_id, [](const json::object& o) { return o.at("attempt_count").as_int64() >= 1; }, 30s,
        "the first attempt");
    EXPECT_EQ(d.at("status"), json::value(expected_status));
    return d;
  }
  static const json::object& attempt(const json::object& delivery) {
    return delivery.at("attempts").as_array().at(0).as_object();
  }
};

TEST_F(LimitsTest, DeliveryTimeoutEndsAHangingRequest) {
  // --connect-timeout must not exceed --delivery-timeout, and its default is 5 s.
  start({"--delivery-timeout", "2", "--connect-timeout", "1"});
  rx_.on("/hang", Behaviour::hang());
  const auto d = first_attempt_to(rx_.url("/hang"));
  const auto& a = attempt(d);
  EXPECT_EQ(a.at("error_class"), json::value("timeout")) << a;
  EXPECT_TRUE(a.at("status_code").is_null());
  EXPECT_GE(a.at("duration_ms").as_int64(), 1900);
  EXPECT_LT(a.at("duration_ms").as_int64(), 4500) << "--delivery-timeout 2, not the default 15 s";
  EXPECT_EQ(rx_.count_for("/hang"), 1u) << "the request did arrive";
  EXPECT_EQ(d.at("last_error").at("class"), json::value("timeout"));
}

// "64 B/s over 5 s": a receiver that answers one byte a second, from the first byte of its status
// line, is cut off after about 5 s, long before the 15 s total.
TEST_F(LimitsTest, OneByteASecondStatusLineIsCutOffByTheDeliveryTimeout) {
  // Until a first header line is complete the receiver may be working on the event, so only the
  // delivery timeout bounds that wait; the low-speed rule takes over once the answer has begun.
  start({"--delivery-timeout", "3", "--connect-timeout", "1"});
  rx_.on("/trickle", Behaviour::trickle());
  const auto d = first_attempt_to(rx_.url("/trickle"));
  const auto& a = attempt(d);
  EXPECT_EQ(a.at("error_class"), json::value("timeout")) << a;
  EXPECT_GE(a.at("duration_ms").as_int64(), 2900);
  EXPECT_LT(a.at("duration_ms").as_int64(), 6'000) << "cut off by --delivery-timeout 3";
}

// The same with the status line and headers sent at once and only the body trickling.
TEST_F(LimitsTest, OneByteASecondBodyIsCutOffByTheLowSpeedLimit) {
  start();
  rx_.on("/trickle-body", Behaviour::trickle().with_head_at_once());
  const auto d = first_attempt_to(rx_.url("/trickle-body"));
  const auto& a = attempt(d);
  EXPECT_EQ(a.at("error_class"), json::value("timeout")) << a;
  EXPECT_GE(a.at("duration_ms").as_int64(), 4500) << "64 B/s over 5 s, not a shorter window";
  EXPECT_LT(a.at("duration_ms").as_int64(), 10'000) << "cut off by the low-speed rule, not the 15 s total";
}

// At most 256 KiB of an answer is read. A 2xx says the receiver has the event, so the attempt
// succeeds and its answer is stored truncated (DESIGN.md: "read up to a cap and stored truncated");
// a longer failure answer is response_too_large.
TEST_F(LimitsTest, TenMegabyteSuccessAnswerSucceedsAndIsStoredTruncated) {
  start();
  rx_.on("/huge", Behaviour::huge());
  const auto d = first_attempt_to(rx_.url("/huge"), "succeeded");
  const auto& a = attempt(d);
  EXPECT_TRUE(a.at("error_class").is_null()) << a;
  EXPECT_EQ(a.at("status_code"), json::value(200));
  EXPECT_NE(str(a.at("error_message")).find("not read"), std::string::npos) << a.at("error_message");
  const std::string body = str(a.at("response_body"));
  EXPECT_GT(body.size(), 0u);
  EXPECT_LE(body.size(), 256u * 1024) << "stored truncated";
  EXPECT_EQ(body.find_first_not_of('x'), std::string::npos);
  EXPECT_LT(a.at("duration_ms").as_int64(), 10'000) << "it stopped reading at the cap";
  EXPECT_EQ(rx_.count_for("/huge"), 1u) << "a success is not sent again";
}

TEST_F(LimitsTest, TenMegabyteErrorAnswerIsResponseTooLarge) {
  start();
  rx_.on("/huge-error", Behaviour::huge(10 * 1024 * 1024, 500));
  const auto d = first_attempt_to(rx_.url("/huge-error"));
  const auto& a = attempt(d);
  EXPECT_EQ(a.at("error_class"), json::value("response_too_large")) << a.at("error_message");
  EXPECT_EQ(a.at("status_code"), json::value(500));
  const std::string body = str(a.at("response_body"));
  EXPECT_GT(body.size(), 0u);
  EXPECT_LE(body.size(), 256u * 1024) << "stored truncated";
  EXPECT_LT(a.at("duration_ms").as_int64(), 10'000) << "it stopped reading at the cap";
  EXPECT_EQ(rx_.requests_for("/huge-error").at(0).answered, 500);
}

TEST_F(LimitsTest, ConnectionResetIsAConnectError) {
  start();
  rx_.on("/reset", Behaviour::reset());
  const auto d = first_attempt_to(rx_.url("/reset"));
  const auto& a = attempt(d);
  EXPECT_EQ(a.at("error_class"), json::value("connect")) << a;
  EXPECT_TRUE(a.at("status_code").is_null());
  EXPECT_FALSE(str(a.at("error_message")).empty());
  EXPECT_EQ(rx_.count_for("/reset"), 1u);
}

TEST_F(LimitsTest, RefusedConnectionIsAConnectError) {
  start();
  RawSocket bound;  // bound, never listening: connecting to it is refused
  const auto d = first_attempt_to("http://127.0.0.1:" + std::to_string(bound.port()) + "/none");
  const auto& a = attempt(d);
  EXPECT_EQ(a.at("error_class"), json::value("connect")) << a;
  EXPECT_TRUE(a.at("status_code").is_null());
  EXPECT_LT(a.at("duration_ms").as_int64(), 2000);
}

TEST_F(LimitsTest, ConnectTimeoutFlagEndsAConnectThatNeverCompletes) {
  start({"--connect-timeout", "1"});
  // A listener with a full accept queue: further SYNs are dropped, so a connect hangs.
  RawSocket listener(0);
  Connector filler1(listener.port());
  Connector filler2(listener.port());
  Connector filler3(listener.port());
  const auto d = first_attempt_to("http://127.0.0.1:" + std::to_string(listener.port()) + "/blackhole");
  const auto& a = attempt(d);
  EXPECT_EQ(a.at("error_class"), json::value("timeout")) << a;
  EXPECT_GE(a.at("duration_ms").as_int64(), 900);
  EXPECT_LT(a.at("duration_ms").as_int64(), 4000) << "--connect-timeout 1, not the 15 s total";
}

TEST_F(LimitsTest, HttpsToAPlainHttpPeerIsATlsError) {
  start();
  // Answers whatever it is sent with plain HTTP, which is not a TLS handshake.
  RawSocket listener(8);
  std::thread peer([&] {
    pollfd p{listener.fd(), POLLIN, 0};
    if (::poll(&p, 1, 30'000) != 1) return;  // never hangs the test if no connection comes
    const int fd = ::accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    char buffer[4096];
    [[maybe_unused]] auto got = ::recv(fd, buffer, sizeof buffer, 0);
    constexpr std::string_view kPlain = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    [[maybe_unused]] auto sent = ::send(fd, kPlain.data(), kPlain.size(), MSG_NOSIGNAL);
    ::close(fd);
  });
  json::object d;
  try {
    d = first_attempt_to("https://127.0.0.1:" + std::to_string(listener.port()) + "/tls");
  } catch (...) {
    peer.join();
    throw;
  }
  peer.join();
  EXPECT_EQ(attempt(d).at("error_class"), json::value("tls")) << attempt(d);
}

}  // namespace
}  // namespace billhook::testing
