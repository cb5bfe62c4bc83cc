// Durability and group commit on the real server: concurrent publishers, then kill -9 and a
// restart on the same data directory. Every event answered 202 must still be there.

#include <atomic>
#include <condition_variable>
#include <latch>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "integration/integration_helpers.hpp"

namespace billhook::testing {
namespace {

constexpr int kThreads = 8;
constexpr int kPerThread = 200;
constexpr int kInvoices = 16;

std::string invoice_name(int i) { return "inv_durable_" + std::to_string(i); }

// Checks the whole event log: exactly `expected` (event id -> invoice) plus, if
// `allow_extra`, events whose answer was lost; sequences per invoice are 1..n without gaps.
void check_event_log(HttpClient& c, const std::map<std::string, std::string>& expected, bool allow_extra) {
  auto events = list_all(c, "/v1/events");
  std::set<std::string> seen;
  std::map<std::string, std::set<int64_t>> sequences;
  for (const auto& e : events) {
    const std::string id = str(e.at("id"));
    EXPECT_TRUE(seen.insert(id).second) << "listed twice: " << id;
    const std::string invoice = str(e.at("aggregate").at("id"));
    EXPECT_TRUE(sequences[invoice].insert(e.at("aggregate").at("sequence").as_int64()).second)
        << "sequence repeated on " << invoice;
    if (auto it = expected.find(id); it != expected.end()) {
      EXPECT_EQ(invoice, it->second) << id;
    }
  }
  size_t missing = 0;
  for (const auto& [id, invoice] : expected) missing += seen.contains(id) ? 0 : 1;
  EXPECT_EQ(missing, 0u) << "events answered 202 are missing";
  if (!allow_extra) {
    EXPECT_EQ(events.size(), expected.size());
  }
  for (const auto& [invoice, seqs] : sequences) {
    ASSERT_FALSE(seqs.empty());
    EXPECT_EQ(*seqs.begin(), 1) << invoice;
    EXPECT_EQ(*seqs.rbegin(), static_cast<int64_t>(seqs.size())) << "gap in the sequence of " << invoice;
  }
}

// One delivery per event to `endpoint_id`, for every expected event.
void check_deliveries(HttpClient& c, const std::string& endpoint_id,
                      const std::map<std::string, std::string>& expected) {
  std::map<std::string, int> per_event;
  for (const auto& d : list_all(c, "/v1/deliveries?endpoint_id=" + endpoint_id)) ++per_event[str(d.at("event_id"))];
  size_t missing = 0;
  for (const auto& [id, invoice] : expected) {
    auto it = per_event.find(id);
    if (it == per_event.end()) {
      ++missing;
      continue;
    }
    EXPECT_EQ(it->second, 1) << id;
  }
  EXPECT_EQ(missing, 0u) << "deliveries of accepted events are missing";
}

TEST(DurabilityTest, ConcurrentPublishesAreAllStoredAndSurviveKill9) {
  ServerProcess server;
  auto c = client_for(server);
  auto ep = c.post("/v1/endpoints", json::object{{"url", "http://127.0.0.1:9/durable"}});
  ASSERT_EQ(ep.status, 201) << describe(ep);
  const std::string endpoint_id = str(ep.json().at("id"));

  // Prepared outside the timed part: one body per invoice.
  std::vector<std::string> bodies;
  for (int i = 0; i < kInvoices; ++i) bodies.push_back(json::serialize(invoice_event(invoice_name(i))));

  std::mutex mutex;
  std::map<std::string, std::string> accepted;  // event id -> invoice
  std::vector<std::string> failures;
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      HttpClient client(server.port(), server.api_key());
      std::vector<std::pair<std::string, std::string>> mine;
      std::vector<std::string> errors;
      start.arrive_and_wait();
      for (int i = 0; i < kPerThread; ++i) {
        const int invoice = (t + i) % kInvoices;
        auto r = client.post("/v1/events", bodies[static_cast<size_t>(invoice)]);
        if (r.status != 202) {
          errors.push_back(describe(r));
          continue;
        }
        mine.emplace_back(str(r.json().at("id")), invoice_name(invoice));
      }
      std::lock_guard lock(mutex);
      for (auto& m : mine) accepted.insert(std::move(m));
      failures.insert(failures.end(), errors.begin(), errors.end());
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(failures.empty()) << failures.size() << " publishes failed, first: " << failures.front();
  ASSERT_EQ(accepted.size(), static_cast<size_t>(kThreads * kPerThread)) << "event ids must be unique";

  {
    SCOPED_TRACE("before the crash");
    check_event_log(c, accepted, false);
    check_deliveries(c, endpoint_id, accepted);
  }

  server.kill9();
  server.restart();
  c.set_port(server.port());
  {
    SCOPED_TRACE("after kill -9 and restart");
    auto health = c.get("/v1/events?limit=1");
    ASSERT_EQ(health.status, 200) << "the same API key works after the restart: " << describe(health);
    check_event_log(c, accepted, false);
    check_deliveries(c, endpoint_id, accepted);
    EXPECT_EQ(count_all(c, "/v1/deliveries?status=pending&endpoint_id=" + endpoint_id) +
                  count_all(c, "/v1/deliveries?status=retrying&endpoint_id=" + endpoint_id) +
                  count_all(c, "/v1/deliveries?status=failed&endpoint_id=" + endpoint_id) +
                  count_all(c, "/v1/deliveries?status=succeeded&endpoint_id=" + endpoint_id),
              accepted.size());
  }
  // The sequence of an invoice goes on after the restart.
  auto next = c.post("/v1/events", bodies[0]);
  ASSERT_EQ(next.status, 202) << describe(next);
  int64_t published_on_first = 0;
  for (const auto& [id, invoice] : accepted) published_on_first += invoice == invoice_name(0) ? 1 : 0;
  EXPECT_EQ(next.json().at("aggregate").at("sequence").as_int64(), published_on_first + 1);
  auto endpoint = c.get("/v1/endpoints/" + endpoint_id);
  EXPECT_EQ(endpoint.status, 200) << "the endpoint survives too";
}

TEST(DurabilityTest, Kill9WhilePublishingLosesNothingAcknowledged) {
  ServerProcess server;
  auto c = client_for(server);
  auto ep = c.post("/v1/endpoints", json::object{{"url", "http://127.0.0.1:9/crash"}});
  ASSERT_EQ(ep.status, 201) << describe(ep);
  const std::string endpoint_id = str(ep.json().at("id"));
  std::vector<std::string> bodies;
  for (int i = 0; i < kInvoices; ++i) bodies.push_back(json::serialize(invoice_event(invoice_name(i))));

  constexpr size_t kAcksBeforeCrash = 300;
  std::mutex mutex;
  std::condition_variable enough;
  std::map<std::string, std::string> accepted;
  std::vector<std::string> unexpected;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      HttpClient client(server.port(), server.api_key());
      for (int i = 0;; ++i) {
        const int invoice = (t + i) % kInvoices;
        auto r = client.post("/v1/events", bodies[static_cast<size_t>(invoice)]);
        std::lock_guard lock(mutex);
        if (r.status == 0) return;  // the server is gone
        if (r.status != 202) {
          unexpected.push_back(describe(r));
          return;
        }
        accepted.emplace(str(r.json().at("id")), invoice_name(invoice));
        if (accepted.size() >= kAcksBeforeCrash) enough.notify_all();
        if (i > 5000) return;  // a safety stop; the crash comes long before
      }
    });
  }
  {
    std::unique_lock lock(mutex);
    enough.wait(lock, [&] { return accepted.size() >= kAcksBeforeCrash || !unexpected.empty(); });
  }
  server.kill9();  // while the publishers are still sending
  for (auto& th : threads) th.join();
  ASSERT_TRUE(unexpected.empty()) << unexpected.front();
  ASSERT_GE(accepted.size(), kAcksBeforeCrash);

  server.restart();
  c.set_port(server.port());
  check_event_log(c, accepted, true);  // an event whose answer was cut off may or may not be there
  check_deliveries(c, endpoint_id, accepted);
}

TEST(DurabilityTest, GracefulStopExitsZeroAndKeepsData) {
  ServerProcess server;
  auto c = client_for(server);
  auto r = c.post("/v1/events", invoice_event("inv_graceful"));
  ASSERT_EQ(r.status, 202);
  EXPECT_EQ(server.stop(), 0) << server.stderr_text();
  server.restart();
  c.set_port(server.port());
  auto got = c.get("/v1/events/" + str(r.json().at("id")));
  EXPECT_EQ(got.status, 200) << describe(got);
  EXPECT_EQ(got.json(), r.json());
}

}  // namespace
}  // namespace billhook::testing
