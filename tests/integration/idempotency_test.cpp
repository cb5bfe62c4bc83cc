// Idempotency-Key on the real server: replays, conflicts, scope, and racing duplicates.

#include <algorithm>
#include <functional>
#include <latch>
#include <numeric>
#include <set>
#include <thread>

#include "integration/integration_helpers.hpp"

namespace billhook::testing {
namespace {

class IdempotencyTest : public SharedServerTest<IdempotencyTest> {
 protected:
  static void SetUpTestSuite() {
    SharedServerTest::SetUpTestSuite();
    auto c = client_for(*server_);
    auto r = c.post("/v1/endpoints", json::object{{"url", "http://127.0.0.1:9/all"}});
    ASSERT_EQ(r.status, 201) << describe(r);
    endpoint_id_ = str(r.json().at("id"));
  }
  size_t events_of(const std::string& invoice) {
    return count_all(*client_, "/v1/events?aggregate_type=invoice&aggregate_id=" + invoice);
  }
  static Headers key(const std::string& k) { return {{"Idempotency-Key", k}}; }
  // POSTs `body` to /v1/events from `n` connections at once (all connected first), request i with
  // `headers_of(i)`; the answers in request order, or none if a connection could not be made.
  std::vector<Response> publish_at_once(int n, const std::string& body,
                                        const std::function<Headers(int)>& headers_of) {
    std::vector<HttpClient> clients;
    for (int i = 0; i < n; ++i) {
      clients.push_back(client_for(*server_));
      auto health = clients.back().get("/health");  // connect before the race
      if (health.status != 200) {
        ADD_FAILURE() << "connection " << i << ": " << describe(health);
        return {};
      }
    }
    std::vector<Response> responses(static_cast<size_t>(n));
    std::latch start(n);
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        const auto at = static_cast<size_t>(i);
        responses[at] = clients[at].post("/v1/events", body, headers_of(i));
      });
    }
    for (auto& t : threads) t.join();
    return responses;
  }

  static inline std::string endpoint_id_;
};

TEST_F(IdempotencyTest, SameKeySameBodyReplaysTheFirstAnswer) {
  const std::string invoice = unique_name("inv_idem_");
  const std::string k = unique_name("key-");
  const std::string body = json::serialize(invoice_event(invoice));
  auto first = client_->post("/v1/events", body, key(k));
  ASSERT_EQ(first.status, 202) << describe(first);
  EXPECT_FALSE(first.has_header("Idempotent-Replayed"));
  EXPECT_EQ(first.json().at("request").at("idempotency_key").as_string(), k);

  for (int i = 0; i < 3; ++i) {
    auto again = client_->post("/v1/events", body, key(k));
    EXPECT_EQ(again.status, first.status);
    EXPECT_EQ(again.body, first.body);
    EXPECT_EQ(again.header("Idempotent-Replayed"), "true");
    EXPECT_TRUE(again.header("Request-Id").starts_with("req_"));
  }
  EXPECT_EQ(events_of(invoice), 1u);
  const std::string event_id = str(first.json().at("id"));
  EXPECT_EQ(count_all(*client_, "/v1/deliveries?event_id=" + event_id), 1u);

  // A later event on the same invoice without the key is new and continues the sequence.
  auto next = client_->post("/v1/events", body);
  ASSERT_EQ(next.status, 202);
  EXPECT_EQ(next.json().at("aggregate").at("sequence").as_int64(), 2);
}

TEST_F(IdempotencyTest, ReusedKeyWithAnotherBodyIs409AndStoresNothing) {
  const std::string k = unique_name("key-");
  const std::string first_invoice = unique_name("inv_idem_");
  const std::string second_invoice = unique_name("inv_idem_");
  ASSERT_EQ(client_->post("/v1/events", invoice_event(first_invoice), key(k)).status, 202);
  const size_t events = count_all(*client_, "/v1/events");
  const size_t deliveries = count_all(*client_, "/v1/deliveries");

  auto conflict = client_->post("/v1/events", invoice_event(second_invoice), key(k));
  EXPECT_TRUE(is_error(conflict, 409, "idempotency_key_reused", "Idempotency-Key"));
  EXPECT_EQ(conflict.json().at("error").at("type").as_string(), "idempotency_error");
  EXPECT_FALSE(conflict.has_header("Idempotent-Replayed"));
  EXPECT_EQ(events_of(second_invoice), 0u);
  EXPECT_EQ(count_all(*client_, "/v1/events"), events);
  EXPECT_EQ(count_all(*client_, "/v1/deliveries"), deliveries);
}

TEST_F(IdempotencyTest, KeyIsScopedToThePath) {
  const std::string k = unique_name("key-");
  const std::string invoice = unique_name("inv_idem_");
  auto event = client_->post("/v1/events", invoice_event(invoice), key(k));
  ASSERT_EQ(event.status, 202) << describe(event);
  const json::object endpoint_body{{"url", "http://127.0.0.1:9/scoped"}};
  const size_t endpoints = count_all(*client_, "/v1/endpoints");
  auto endpoint = client_->post("/v1/endpoints", endpoint_body, key(k));
  ASSERT_EQ(endpoint.status, 201) << describe(endpoint);
  EXPECT_FALSE(endpoint.has_header("Idempotent-Replayed"));
  EXPECT_EQ(endpoint.json().at("object").as_string(), "endpoint");

  auto endpoint_again = client_->post("/v1/endpoints", endpoint_body, key(k));
  EXPECT_EQ(endpoint_again.status, 201);
  EXPECT_EQ(endpoint_again.body, endpoint.body);
  EXPECT_EQ(endpoint_again.header("Idempotent-Replayed"), "true");
  EXPECT_EQ(count_all(*client_, "/v1/endpoints"), endpoints + 1);

  auto event_again = client_->post("/v1/events", invoice_event(invoice), key(k));
  EXPECT_EQ(event_again.status, 202);
  EXPECT_EQ(event_again.body, event.body);
  EXPECT_EQ(events_of(invoice), 1u);
  ASSERT_EQ(client_->del("/v1/endpoints/" + str(endpoint.json().at("id"))).status, 200);
}

TEST_F(IdempotencyTest, RefusedRequestDoesNotUseUpTheKey) {
  const std::string k = unique_name("key-");
  const std::string invoice = unique_name("inv_idem_");
  auto bad = invoice_event(invoice);
  bad["type"] = "invoice.nonsense";
  EXPECT_EQ(client_->post("/v1/events", bad, key(k)).status, 400);
  auto good = client_->post("/v1/events", invoice_event(invoice), key(k));
  EXPECT_EQ(good.status, 202) << describe(good);
  EXPECT_FALSE(good.has_header("Idempotent-Replayed"));
  EXPECT_EQ(events_of(invoice), 1u);
}

TEST_F(IdempotencyTest, WithoutAKeyEveryRequestIsNew) {
  const std::string invoice = unique_name("inv_idem_");
  const auto body = invoice_event(invoice);
  auto a = client_->post("/v1/events", body);
  auto b = client_->post("/v1/events", body);
  ASSERT_EQ(a.status, 202);
  ASSERT_EQ(b.status, 202);
  EXPECT_NE(a.json().at("id"), b.json().at("id"));
  EXPECT_EQ(events_of(invoice), 2u);
}

TEST_F(IdempotencyTest, ConcurrentDuplicatesStoreOneEvent) {
  constexpr int kThreads = 16;
  const std::string k = unique_name("key-");
  const std::string invoice = unique_name("inv_race_");
  const std::string body = json::serialize(invoice_event(invoice));
  const auto responses = publish_at_once(kThreads, body, [&](int) { return key(k); });
  ASSERT_EQ(responses.size(), size_t{kThreads});

  std::set<std::string> event_ids;
  int replayed = 0;
  for (const auto& r : responses) {
    ASSERT_EQ(r.status, 202) << describe(r);
    event_ids.insert(str(r.json().at("id")));
    replayed += r.header("Idempotent-Replayed") == "true" ? 1 : 0;
    EXPECT_EQ(r.body, responses[0].body);
  }
  EXPECT_EQ(event_ids.size(), 1u);
  EXPECT_EQ(replayed, kThreads - 1) << "all but the first answer are replays";
  EXPECT_EQ(events_of(invoice), 1u);
  EXPECT_EQ(count_all(*client_, "/v1/deliveries?event_id=" + *event_ids.begin()), 1u);
}

// Racing duplicates beside other publishes of the same invoice, all at once so that they share group
// commits: a duplicate's job fails after writing (its key is taken), which in the SQLite store rolls
// back the jobs it shared a savepoint with and runs them again. The invoice's sequence stays 1, 2, …
// with no gap and no number twice, and every answer names the event that is stored.
TEST_F(IdempotencyTest, DuplicatesRacingOtherPublishesOfTheInvoiceLeaveItsSequenceWhole) {
  constexpr int kKeyed = 12, kPlain = 12, kThreads = kKeyed + kPlain;
  const std::string k = unique_name("key-");
  const std::string invoice = unique_name("inv_race_");
  const std::string body = json::serialize(invoice_event(invoice));
  const auto responses = publish_at_once(kThreads, body, [&](int i) { return i < kKeyed ? key(k) : Headers{}; });
  ASSERT_EQ(responses.size(), size_t{kThreads});

  std::set<std::string> answered;
  for (const auto& r : responses) {
    ASSERT_EQ(r.status, 202) << describe(r);
    answered.insert(str(r.json().at("id")));
  }
  EXPECT_EQ(answered.size(), size_t{kPlain + 1}) << "one event for the key, one for each publish without it";
  std::set<std::string> stored;
  std::vector<int64_t> sequences;
  for (const auto& event : list_all(*client_, "/v1/events?aggregate_type=invoice&aggregate_id=" + invoice)) {
    stored.insert(str(event.at("id")));
    sequences.push_back(event.at("aggregate").at("sequence").as_int64());
  }
  EXPECT_EQ(stored, answered);
  std::sort(sequences.begin(), sequences.end());
  std::vector<int64_t> whole(kPlain + 1);
  std::iota(whole.begin(), whole.end(), 1);
  EXPECT_EQ(sequences, whole);
  for (const auto& id : answered) EXPECT_EQ(count_all(*client_, "/v1/deliveries?event_id=" + id), 1u) << id;
}

}  // namespace
}  // namespace billhook::testing
