// Several nodes on one PostgreSQL database: two billhook processes share 10,000 events to three
// loopback endpoints, one of them is kill -9'ed while they deliver, and the other takes its
// leased work over. Every (event, endpoint) pair arrives at least once, per-invoice order holds at
// every endpoint (first arrivals go by sequence), and the duplicates are counted and printed.

#include <chrono>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "integration/integration_helpers.hpp"
#include "support/pg_test_database.hpp"
#include "support/receiver.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;

using Pair = std::pair<std::string, std::string>;  // (endpoint path, event id)

ServerOptions node_options(const std::string& database_url) {
  ServerOptions options;
  // A short lease so that the survivor takes over within seconds; it is renewed every second.
  options.extra_args = {"--database-url", database_url, "--allow-networks", "127.0.0.0/8", "--delivery-lease", "3"};
  return options;
}

// Every request's (path, webhook-id) whose event was accepted.
std::set<Pair> delivered_pairs(const std::vector<ReceivedRequest>& requests, const std::set<std::string>& accepted) {
  std::set<Pair> seen;
  for (const auto& r : requests)
    if (accepted.contains(r.header("webhook-id"))) seen.emplace(r.path, r.header("webhook-id"));
  return seen;
}

TEST(PgFailoverTest, Kill9OfOneNodeLosesNothingAndKeepsOrder) {
  BILLHOOK_REQUIRE_POSTGRES();
  PgTestDatabase database;
  ASSERT_TRUE(database.available()) << database.error();

  Receiver rx;
  const std::vector<std::string> paths{"/one", "/two", "/three"};
  ServerProcess node_a(node_options(database.url()));
  ServerProcess node_b(node_options(database.url()));
  auto a = client_for(node_a);
  for (const auto& path : paths) {
    auto r = a.post("/v1/endpoints", json::object{{"url", rx.url(path)}, {"event_types", json::array{"invoice.*"}}});
    ASSERT_EQ(r.status, 201) << describe(r);
  }

  // 10,000 events on 200 invoices, published through both nodes by four clients. Node a is killed
  // while they publish and deliver; its publishers then carry on through node b.
  constexpr int kEvents = 10'000;
  constexpr int kInvoices = 200;
  constexpr int kPublishers = 4;
  const std::string prefix = unique_name("inv_fo");
  std::mutex mutex;
  std::set<std::string> accepted;
  std::vector<std::string> failures;
  std::vector<std::thread> publishers;
  for (int p = 0; p < kPublishers; ++p) {
    publishers.emplace_back([&, p] {
      HttpClient client = client_for(p % 2 ? node_b : node_a);
      // Each publisher owns a set of invoices, so every invoice's events are published in order.
      for (int i = p; i < kEvents; i += kPublishers) {
        const int invoice = (i / kPublishers) % (kInvoices / kPublishers) * kPublishers + p;
        const auto body = invoice_event(prefix + "_" + std::to_string(invoice),
                                        i % 2 ? "invoice.updated" : "invoice.finalized");
        auto r = client.post("/v1/events", body);
        if (r.status == 0 && client.port() != node_b.port()) {
          // Node a is gone. Whether it stored this event is unknown (it was not accepted); node b
          // gets it again, as a real publisher would retry.
          client = client_for(node_b);
          r = client.post("/v1/events", body);
        }
        std::lock_guard lock(mutex);
        if (r.status == 202) accepted.insert(str(r.json().at("id")));
        else if (failures.size() < 5) failures.push_back(describe(r));
      }
    });
  }
  const size_t expected = size_t{kEvents} * paths.size();
  const bool started = rx.wait_for_requests(expected / 3, 120s);
  node_a.kill9();
  const size_t at_kill = rx.count();
  size_t accepted_at_kill = 0;
  {
    std::lock_guard lock(mutex);
    accepted_at_kill = accepted.size();
  }
  for (auto& t : publishers) t.join();
  ASSERT_TRUE(started) << "deliveries did not get going: " << rx.count();
  ASSERT_TRUE(failures.empty()) << failures.front();
  ASSERT_EQ(accepted.size(), size_t{kEvents});
  EXPECT_LT(at_kill, expected) << "the kill came after everything had been delivered";

  // Node b finishes everything, node a's leased deliveries included. Each arrival adds its pair to
  // the ones seen so far.
  std::set<Pair> arrived;
  size_t looked_at = 0;
  rx.wait_until(
      [&](const std::vector<ReceivedRequest>& requests) {
        for (; looked_at < requests.size(); ++looked_at) {
          const auto& r = requests[looked_at];
          if (accepted.contains(r.header("webhook-id"))) arrived.emplace(r.path, r.header("webhook-id"));
        }
        return arrived.size() == expected;
      },
      240s);
  const std::vector<ReceivedRequest> received = rx.requests();
  const std::set<Pair> pairs = delivered_pairs(received, accepted);
  ASSERT_EQ(pairs.size(), expected) << "received " << pairs.size() << " of " << expected
                                    << " (event, endpoint) pairs; node b's log:\n"
                                    << node_b.stderr_text().substr(0, 4000);
  const size_t duplicates = received.size() - pairs.size();
  std::cout << "[ failover ] kill -9 of node a after " << at_kill << " of " << expected << " webhooks ("
            << accepted_at_kill << " of " << kEvents
            << " events published); node b published and delivered the rest; duplicates: " << duplicates << " (" << received.size()
            << " requests in all)" << std::endl;

  // Per endpoint and invoice, the first arrivals go 1, 2, 3, … by sequence.
  std::map<Pair, std::vector<int64_t>> firsts;
  std::set<Pair> seen;
  for (const auto& r : received) {
    if (!seen.emplace(r.path, r.header("webhook-id")).second) continue;
    const auto body = r.json();
    firsts[{r.path, str(body.at("aggregate").at("id"))}].push_back(body.at("aggregate").at("sequence").as_int64());
  }
  EXPECT_EQ(firsts.size(), paths.size() * kInvoices);
  int out_of_order = 0;
  for (const auto& [key, sequences] : firsts) {
    for (size_t i = 0; i < sequences.size(); ++i) {
      if (sequences[i] != static_cast<int64_t>(i + 1)) {
        if (++out_of_order <= 5)
          ADD_FAILURE() << key.first << " " << key.second << ": arrival " << i + 1 << " was sequence " << sequences[i];
        break;
      }
    }
  }
  EXPECT_EQ(out_of_order, 0) << "aggregates whose order broke";
}

}  // namespace
}  // namespace billhook::testing
