// The receiver harness itself (tests/support/receiver.hpp), checked with a plain HTTP client
// before the delivery tests rely on it: each bad behaviour does what it says, requests are
// recorded as sent, waiting is on a condition variable, and shutdown never waits for a hang.

#include <chrono>
#include <thread>

#include "integration/integration_helpers.hpp"
#include "support/receiver.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;
using namespace std::string_view_literals;
using Steady = std::chrono::steady_clock;

int64_t ms_since(Steady::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - t).count();
}

TEST(ReceiverTest, RecordsRequestsAndAnswersOkOnOneKeptAliveConnection) {
  Receiver rx;
  HttpClient c(rx.port(), std::nullopt);
  for (int i = 0; i < 3; ++i) {
    auto r =
        c.post("/hook?x=" + std::to_string(i), std::string(R"({"type":"invoice.paid","n":)") + std::to_string(i) + "}",
               {{"Webhook-Id", "msg_" + std::to_string(i)}});
    ASSERT_EQ(r.status, 200) << describe(r);
    EXPECT_EQ(r.body, R"({"received":true})");
    EXPECT_EQ(r.header("x-receiver"), "billhook-test");
  }
  ASSERT_TRUE(rx.wait_for_requests(3, 1s));
  const auto got = rx.requests_for("/hook");
  ASSERT_EQ(got.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const auto& r = got[static_cast<size_t>(i)];
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/hook?x=" + std::to_string(i));
    EXPECT_EQ(r.nth, i + 1);
    EXPECT_EQ(r.answered, 200);
    EXPECT_EQ(r.header("WEBHOOK-ID"), "msg_" + std::to_string(i)) << "names are looked up in any case";
    EXPECT_TRUE(r.headers.contains("webhook-id")) << "and stored lower-cased";
    EXPECT_EQ(r.event_type(), "invoice.paid");
    EXPECT_EQ(r.json().at("n").as_int64(), i);
  }
  EXPECT_EQ(rx.connections(), 1) << "keep-alive: one connection for three requests";
  EXPECT_TRUE(rx.requests_for("/other").empty());
  EXPECT_FALSE(rx.wait_for_requests(4, 50ms)) << "a wait for what never comes ends with false";
}

TEST(ReceiverTest, ScriptsFailFirstThenSucceed) {
  Receiver rx;
  rx.on("/flaky", fail_first(2, 503));
  rx.on("/limited", Script{Behaviour::retry_after(429, "120"), Behaviour::ok(204)});
  rx.on("/moved", Behaviour::redirect("/elsewhere"));
  rx.on("/gone", Behaviour::gone());
  HttpClient c(rx.port(), std::nullopt);
  std::vector<int> statuses;
  for (int i = 0; i < 4; ++i) statuses.push_back(c.post("/flaky", "{}"sv).status);
  EXPECT_EQ(statuses, (std::vector<int>{503, 503, 200, 200}));

  auto limited = c.post("/limited", "{}"sv);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.header("retry-after"), "120");
  EXPECT_EQ(c.post("/limited", "{}"sv).status, 204);

  auto moved = c.post("/moved", "{}"sv);
  EXPECT_EQ(moved.status, 302);
  EXPECT_EQ(moved.header("location"), "/elsewhere");
  EXPECT_EQ(rx.count_for("/elsewhere"), 0u);
  EXPECT_EQ(c.post("/gone", "{}"sv).status, 410);
}

TEST(ReceiverTest, DeciderChoosesByRequest) {
  Receiver rx;
  rx.on("/by-type", Decider([](const ReceivedRequest& r) {
          return r.event_type() == "invoice.payment_failed" ? Behaviour::status_code(500) : Behaviour::ok();
        }));
  HttpClient c(rx.port(), std::nullopt);
  EXPECT_EQ(c.post("/by-type", R"({"type":"invoice.created"})"sv).status, 200);
  EXPECT_EQ(c.post("/by-type", R"({"type":"invoice.payment_failed"})"sv).status, 500);
}

TEST(ReceiverTest, DelayHugeAndTrickle) {
  Receiver rx;
  rx.on("/slow", Behaviour::delayed(200ms));
  rx.on("/huge", Behaviour::huge());
  Behaviour trickle = Behaviour::trickle(2ms);
  trickle.body = "abc";
  rx.on("/trickle", trickle);
  HttpClient c(rx.port(), std::nullopt);

  auto started = Steady::now();
  EXPECT_EQ(c.post("/slow", "{}"sv).status, 200);
  EXPECT_GE(ms_since(started), 200);

  auto huge = c.post("/huge", "{}"sv);
  EXPECT_EQ(huge.status, 200);
  EXPECT_EQ(huge.body.size(), 10u * 1024 * 1024);

  started = Steady::now();
  auto trickled = c.post("/trickle", "{}"sv);
  EXPECT_EQ(trickled.status, 200) << describe(trickled);
  EXPECT_EQ(trickled.body, "abc");
  EXPECT_GE(ms_since(started), 100) << "about 100 bytes, one every 2 ms";
}

TEST(ReceiverTest, ResetAndHangFailTheClient) {
  Receiver rx;
  rx.on("/reset", Behaviour::reset());
  rx.on("/hang", Behaviour::hang());
  HttpClient c(rx.port(), std::nullopt);
  auto reset = c.post("/reset", "{}"sv);
  EXPECT_EQ(reset.status, 0);
  EXPECT_NE(reset.error.find("reset"), std::string::npos) << reset.error;

  c.set_timeout(300ms);
  const auto started = Steady::now();
  auto hung = c.post("/hang", "{}"sv);
  EXPECT_EQ(hung.status, 0);
  EXPECT_GE(ms_since(started), 290);
  ASSERT_EQ(rx.requests_for("/hang").size(), 1u);
  EXPECT_EQ(rx.requests_for("/hang")[0].answered, 0);
}

TEST(ReceiverTest, ShutdownDoesNotWaitForHangingOrTricklingRequests) {
  std::optional<Receiver> rx(std::in_place);
  rx->on("/hang", Behaviour::hang());
  rx->on("/trickle", Behaviour::trickle());
  const uint16_t port = rx->port();
  // Clients that will never get a whole answer, each on its own thread and connection.
  std::vector<std::thread> clients;
  for (const char* path : {"/hang", "/trickle"}) {
    clients.emplace_back([port, path] {
      HttpClient c(port, std::nullopt);
      c.set_timeout(10s);
      c.post(path, "{}"sv);
    });
  }
  ASSERT_TRUE(rx->wait_for_requests(2, 5s));
  EXPECT_EQ(rx->peak_concurrency("/hang"), 1);
  const auto started = Steady::now();
  rx.reset();
  EXPECT_LT(ms_since(started), 1000) << "the destructor ends hanging connections at once";
  for (auto& t : clients) t.join();
}

TEST(ReceiverTest, ListensOnIpv6LoopbackToo) {
  Receiver rx(ReceiverOptions{.ipv6 = true});
  ASSERT_NE(rx.port_v6(), 0);
  EXPECT_EQ(rx.url_v6("/x"), "http://[::1]:" + std::to_string(rx.port_v6()) + "/x");
  HttpClient c(rx.port_v6(), std::nullopt, "::1");
  EXPECT_EQ(c.post("/v6", "{}"sv).status, 200);
  EXPECT_EQ(rx.count_for("/v6"), 1u);
}

}  // namespace
}  // namespace billhook::testing
