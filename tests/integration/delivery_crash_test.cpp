// Crash safety of delivery: kill -9 the server while webhooks are in flight to a slow receiver,
// restart it on the same data, and every accepted event still reaches every matching endpoint
// (at least once: the ones in flight at the crash may come twice, and are counted).

#include <chrono>
#include <iostream>
#include <map>
#include <set>

#include "integration/integration_helpers.hpp"
#include "support/receiver.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;

TEST(DeliveryCrashTest, Kill9WhileDeliveringLosesNothing) {
  Receiver rx;
  rx.on("/a", Behaviour::delayed(200ms));
  rx.on("/b", Behaviour::delayed(200ms));
  ServerOptions options;
  options.extra_args = {"--allow-networks", "127.0.0.0/8"};
  ServerProcess server(options);
  auto c = client_for(server);
  std::map<std::string, std::string> endpoints;  // path -> id
  for (const char* path : {"/a", "/b"}) {
    auto r = c.post("/v1/endpoints", json::object{{"url", rx.url(path)}, {"event_types", json::array{"invoice.*"}}});
    ASSERT_EQ(r.status, 201) << describe(r);
    endpoints[path] = str(r.json().at("id"));
  }
  auto unrelated =
      c.post("/v1/endpoints", json::object{{"url", rx.url("/customers")}, {"event_types", json::array{"customer.*"}}});
  ASSERT_EQ(unrelated.status, 201);

  constexpr int kEvents = 40;
  constexpr int kInvoices = 8;
  std::set<std::string> accepted;
  for (int i = 0; i < kEvents; ++i) {
    auto r = c.post("/v1/events", invoice_event("inv_crash_" + std::to_string(i % kInvoices),
                                                i % 2 ? "invoice.updated" : "invoice.finalized"));
    ASSERT_EQ(r.status, 202) << describe(r);
    accepted.insert(str(r.json().at("id")));
  }
  const size_t expected = accepted.size() * endpoints.size();

  // Crash in the third round: the first two rounds answered and recorded, the third still held
  // open by the receiver (200 ms each; one request per invoice and endpoint at a time: 16).
  ASSERT_TRUE(rx.wait_for_requests(36, 20s));
  server.kill9();
  const size_t before_restart = rx.count();
  ASSERT_LT(before_restart, expected) << "the crash came too late to test anything";
  server.restart();
  c.set_port(server.port());

  // Every (event, endpoint) pair arrives.
  auto pairs = [&](const std::vector<ReceivedRequest>& requests) {
    std::set<std::pair<std::string, std::string>> seen;
    for (const auto& r : requests)
      if (accepted.contains(r.header("webhook-id"))) seen.emplace(r.path, r.header("webhook-id"));
    return seen;
  };
  ASSERT_TRUE(rx.wait_until([&](const auto& requests) { return pairs(requests).size() == expected; }, 60s))
      << "received " << pairs(rx.requests()).size() << " of " << expected << " (event, endpoint) pairs";
  for (const auto& [path, id] : endpoints) {
    await_resource(
        c, "/v1/deliveries?limit=100&status=succeeded&endpoint_id=" + id,
        [&](const json::value& v) { return v.at("data").as_array().size() == accepted.size(); }, 20s);
  }

  const auto received = rx.requests();
  const size_t duplicates = received.size() - pairs(received).size();
  std::cout << "[ crash    ] kill -9 after " << before_restart << " of " << expected
            << " webhooks received; after the restart every one arrived; duplicates: " << duplicates << " ("
            << received.size() << " requests in all)" << std::endl;
  EXPECT_EQ(rx.count_for("/customers"), 0u) << "nothing reaches an endpoint that did not subscribe";
  // Only what was unrecorded at the crash is sent again: at most one request per invoice and endpoint.
  EXPECT_LE(duplicates, endpoints.size() * kInvoices) << "a restart resends only what was in flight";

  // At least once, and still in order: per endpoint and invoice, the first arrivals go by sequence.
  std::map<std::pair<std::string, std::string>, std::vector<int64_t>> firsts;
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& r : received) {
    if (!seen.emplace(r.path, r.header("webhook-id")).second) continue;
    const auto body = r.json();
    firsts[{r.path, str(body.at("aggregate").at("id"))}].push_back(body.at("aggregate").at("sequence").as_int64());
  }
  EXPECT_EQ(firsts.size(), endpoints.size() * kInvoices);
  for (const auto& [key, sequences] : firsts) {
    std::vector<int64_t> in_order(sequences.size());
    for (size_t i = 0; i < in_order.size(); ++i) in_order[i] = static_cast<int64_t>(i + 1);
    EXPECT_EQ(sequences, in_order) << key.first << " " << key.second;
  }
}

// A request cut off by a crash (sent, never answered) is in the delivery's history as an
// `interrupted` attempt before the one that succeeded after the restart: the receiver may have
// acted on it, and the history is where an operator looks.
TEST(DeliveryCrashTest, AnAttemptCutOffByACrashIsInTheHistory) {
  Receiver rx;
  rx.on("/slow", Script{Behaviour::hang(), Behaviour::ok()});
  ServerOptions options;
  options.extra_args = {"--allow-networks", "127.0.0.0/8"};
  ServerProcess server(options);
  auto c = client_for(server);
  auto make_endpoint = [&](const std::string& path, const char* type) {
    auto r = c.post("/v1/endpoints", json::object{{"url", rx.url(path)}, {"event_types", json::array{type}}});
    if (r.status != 201) throw std::runtime_error(describe(r));
    return str(r.json().at("id"));
  };
  const auto slow = make_endpoint("/slow", "invoice.paid");
  const auto fast = make_endpoint("/fast", "invoice.finalized");

  auto cut = c.post("/v1/events", invoice_event("inv_cut", "invoice.paid"));
  ASSERT_EQ(cut.status, 202) << describe(cut);
  ASSERT_TRUE(rx.wait_for_requests("/slow", 1, 20s));
  // A delivery sent after it and recorded: the note that the first request went out was written
  // before (one writer, in order), so the crash cannot come before it.
  auto later = c.post("/v1/events", invoice_event("inv_later", "invoice.finalized"));
  ASSERT_EQ(later.status, 202) << describe(later);
  await_status(c, delivery_of(c, str(later.json().at("id")), fast), "succeeded", 1);

  server.kill9();
  server.restart();
  c.set_port(server.port());
  const auto d = await_status(c, delivery_of(c, str(cut.json().at("id")), slow), "succeeded", 2, 30s);
  EXPECT_EQ(rx.count_for("/slow"), 2u);
  const auto& attempts = d.at("attempts").as_array();
  ASSERT_EQ(attempts.size(), 2u) << json::serialize(d);
  const auto& first = attempts[0].as_object();
  EXPECT_EQ(first.at("number").as_int64(), 1);
  EXPECT_EQ(first.at("error_class"), json::value("interrupted")) << json::serialize(first);
  EXPECT_NE(str(first.at("error_message")).find("may have received it"), std::string::npos);
  const auto& second = attempts[1].as_object();
  EXPECT_EQ(second.at("number").as_int64(), 2);
  EXPECT_TRUE(second.at("error_class").is_null()) << json::serialize(second);
  EXPECT_EQ(second.at("status_code"), json::value(200));
}

}  // namespace
}  // namespace billhook::testing
