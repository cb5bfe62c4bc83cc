// Graceful shutdown, on both backends: SIGTERM lets the deliveries in flight finish and records them (so a
// restart does not send them again), answers every publish it took, refuses the rest, releases the leases of
// what it had claimed but not sent (another PostgreSQL node takes them at once), and exits 0 in time.

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "integration/integration_helpers.hpp"
#include "support/pg_test_database.hpp"
#include "support/receiver.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;

class ShutdownTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres") {
      BILLHOOK_REQUIRE_POSTGRES();
      database_ = std::make_unique<PgTestDatabase>();
      ASSERT_TRUE(database_->available()) << database_->error();
    }
  }

  ServerOptions options(std::vector<std::string> extra = {}, const std::string& shutdown_timeout = "10") const {
    ServerOptions out;
    out.extra_args = {"--allow-networks", "127.0.0.0/8", "--shutdown-timeout", shutdown_timeout};
    if (database_) {
      out.extra_args.push_back("--database-url");
      out.extra_args.push_back(database_->url());
    }
    out.extra_args.insert(out.extra_args.end(), extra.begin(), extra.end());
    return out;
  }

  std::unique_ptr<PgTestDatabase> database_;
};

std::string add_endpoint(HttpClient& c, const std::string& url, int max_in_flight = 10) {
  auto r = c.post("/v1/endpoints", json::object{{"url", url},
                                                {"event_types", json::array{"invoice.*"}},
                                                {"max_in_flight", max_in_flight}});
  if (r.status != 201) throw std::runtime_error(describe(r));
  return str(r.json().at("id"));
}

std::set<std::string> webhook_ids(const std::vector<ReceivedRequest>& requests) {
  std::set<std::string> out;
  for (const auto& r : requests) out.insert(r.header("webhook-id"));
  return out;
}

TEST_P(ShutdownTest, SigtermFinishesAndRecordsTheDeliveriesInFlight) {
  Receiver rx;
  rx.on("/slow", Behaviour::delayed(2s));
  ServerOptions opts = options();
  ServerProcess server(opts);
  auto c = client_for(server);
  const std::string endpoint = add_endpoint(c, rx.url("/slow"));

  constexpr int kInvoices = 6;  // one delivery per invoice, all in flight together
  const std::string prefix = unique_name("inv_term");
  std::set<std::string> first_round;
  for (int i = 0; i < kInvoices; ++i) {
    auto r = c.post("/v1/events", invoice_event(prefix + "_" + std::to_string(i), "invoice.finalized"));
    ASSERT_EQ(r.status, 202) << describe(r);
    first_round.insert(str(r.json().at("id")));
  }
  // Every one has reached the receiver, which holds each for 2 s: SIGTERM comes while all are in flight.
  ASSERT_TRUE(rx.wait_for_requests(kInvoices, 20s));
  const auto signalled = std::chrono::steady_clock::now();
  const int exit_code = server.stop(30s);
  const auto took = std::chrono::steady_clock::now() - signalled;
  EXPECT_EQ(exit_code, 0) << server.stderr_text();
  EXPECT_LT(took, 10s) << "exit within --shutdown-timeout";
  EXPECT_EQ(rx.count(), static_cast<size_t>(kInvoices));

  server.restart();
  c.set_port(server.port());
  // Recorded as delivered, each on its one attempt.
  const auto succeeded = list_all(c, "/v1/deliveries?status=succeeded&endpoint_id=" + endpoint);
  EXPECT_EQ(succeeded.size(), static_cast<size_t>(kInvoices)) << server.stderr_text();
  for (const auto& d : succeeded) EXPECT_EQ(d.at("attempt_count").as_int64(), 1) << json::serialize(d);

  // One more event per invoice: an unrecorded first-round delivery would be sent again before it (per-invoice
  // order), so once every marker has arrived, any re-send would have arrived too.
  std::set<std::string> markers;
  for (int i = 0; i < kInvoices; ++i) {
    auto r = c.post("/v1/events", invoice_event(prefix + "_" + std::to_string(i), "invoice.updated"));
    ASSERT_EQ(r.status, 202) << describe(r);
    markers.insert(str(r.json().at("id")));
  }
  ASSERT_TRUE(rx.wait_until(
      [&](const auto& requests) {
        const auto seen = webhook_ids(requests);
        for (const auto& id : markers)
          if (!seen.contains(id)) return false;
        return true;
      },
      30s));
  const auto received = rx.requests();
  EXPECT_EQ(received.size(), static_cast<size_t>(2 * kInvoices)) << "a delivery finished at shutdown was sent again";
  EXPECT_EQ(webhook_ids(received).size(), received.size());
}

TEST_P(ShutdownTest, PublishesInFlightAreAnsweredAndStoredOrRefused) {
  ServerOptions opts = options();
  ServerProcess server(opts);

  constexpr int kPublishers = 4;
  std::mutex mutex;
  std::vector<std::string> acknowledged;
  std::vector<std::string> unexpected;
  std::atomic<int> accepted{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> publishers;
  const std::string prefix = unique_name("inv_pub");
  for (int p = 0; p < kPublishers; ++p) {
    publishers.emplace_back([&, p, port = server.port(), key = server.api_key()] {
      HttpClient client(port, key);
      client.set_timeout(20s);
      for (int i = 0;; ++i) {
        auto r = client.post("/v1/events", invoice_event(prefix + "_" + std::to_string(p) + "_" + std::to_string(i)));
        std::lock_guard lock(mutex);
        if (r.status == 202) {
          acknowledged.push_back(str(r.json().at("id")));
          ++accepted;
        } else if (r.status == 0) {
          ++refused;  // a refused or closed connection: the event was not taken
          return;
        } else {
          unexpected.push_back(describe(r));
          return;
        }
      }
    });
  }
  // SIGTERM in the middle of the publishing.
  ASSERT_TRUE(poll_until([&] { return accepted.load() >= 200; }, 30s));
  const int exit_code = server.stop(30s);
  for (auto& t : publishers) t.join();
  EXPECT_EQ(exit_code, 0) << server.stderr_text();
  EXPECT_TRUE(unexpected.empty()) << unexpected.front();
  EXPECT_EQ(refused.load(), kPublishers) << "every publisher ends on a refused connection";

  server.restart();
  auto c = client_for(server);
  size_t missing = 0;
  for (const auto& id : acknowledged) {
    auto r = c.get("/v1/events/" + id);
    if (r.status != 200) ++missing;
  }
  EXPECT_EQ(missing, 0u) << "of " << acknowledged.size() << " events answered 202";
}

// A delivery that outlasts --shutdown-timeout is cut off: the process still exits 0 at the deadline, and the
// delivery, its lease released, is sent again after the restart (on PostgreSQL no lease is ended at start, so only
// the release lets it go again before its 60 s lease lapses).
TEST_P(ShutdownTest, SigtermCutsOffWhatOutlastsTheDeadlineAndSendsItAgainLater) {
  Receiver rx;
  rx.on("/hang", Behaviour::hang());
  ServerProcess server(options({"--delivery-lease", "60"}, "2"));
  auto c = client_for(server);
  const std::string endpoint = add_endpoint(c, rx.url("/hang"));
  auto r = c.post("/v1/events", invoice_event(unique_name("inv_cut"), "invoice.finalized"));
  ASSERT_EQ(r.status, 202) << describe(r);
  const std::string event_id = str(r.json().at("id"));
  ASSERT_TRUE(rx.wait_for_requests(1, 20s));
  const auto signalled = std::chrono::steady_clock::now();
  EXPECT_EQ(server.stop(30s), 0) << server.stderr_text();
  const auto took = std::chrono::steady_clock::now() - signalled;
  EXPECT_GE(took, 1500ms) << "it waited for the delivery in flight";
  EXPECT_LT(took, 8s) << "and no longer than the deadline (2 s) allows";
  EXPECT_NE(server.stderr_text().find("shutdown deadline reached with deliveries unanswered"), std::string::npos);

  rx.on("/hang", Behaviour::ok());
  server.restart();
  c.set_port(server.port());
  ASSERT_TRUE(rx.wait_for_requests(2, 20s)) << "the cut-off delivery is sent again";
  for (const auto& request : rx.requests()) EXPECT_EQ(request.header("webhook-id"), event_id);
  await_resource(
      c, "/v1/deliveries?status=succeeded&endpoint_id=" + endpoint,
      [](const json::value& v) { return v.at("data").as_array().size() == 1; }, 20s);
}

// Deliveries claimed but not yet sent are released at SIGTERM: another node sends them at once, not when
// the lease (60 s here) runs out.
TEST_P(ShutdownTest, SigtermReleasesClaimedDeliveriesToAnotherNode) {
  if (GetParam() != "postgres") GTEST_SKIP() << "one SQLite node releases every lease when it starts";
  Receiver rx;
  rx.on("/one", Behaviour::delayed(1s));
  const ServerOptions opts = options({"--delivery-lease", "60"});
  ServerProcess node_a(opts);
  auto a = client_for(node_a);
  add_endpoint(a, rx.url("/one"), /*max_in_flight=*/1);  // one in flight, the others held by node a
  constexpr int kInvoices = 5;
  const std::string prefix = unique_name("inv_rel");
  std::set<std::string> published;
  for (int i = 0; i < kInvoices; ++i) {
    auto r = a.post("/v1/events", invoice_event(prefix + "_" + std::to_string(i), "invoice.finalized"));
    ASSERT_EQ(r.status, 202) << describe(r);
    published.insert(str(r.json().at("id")));
  }
  ASSERT_TRUE(rx.wait_for_requests(1, 20s));
  EXPECT_EQ(node_a.stop(30s), 0) << node_a.stderr_text();
  const size_t sent_by_a = rx.count();
  ASSERT_LT(sent_by_a, static_cast<size_t>(kInvoices)) << "node a sent everything before it stopped";

  ServerProcess node_b(opts);
  ASSERT_TRUE(rx.wait_until([&](const auto& requests) { return webhook_ids(requests) == published; }, 30s))
      << "received " << rx.count() << " of " << kInvoices;
  EXPECT_EQ(rx.count(), static_cast<size_t>(kInvoices)) << "what node a delivered is not sent again";
}

INSTANTIATE_TEST_SUITE_P(Backends, ShutdownTest, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& backend) { return backend.param; });

}  // namespace
}  // namespace billhook::testing
