// The listen hub (requests waiting for `billhook listen`'s long poll) and the client that routes listen: URLs
// to it. In memory; answers are awaited on futures, never slept for.
#include "delivery/listen_hub.hpp"

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "delivery/listen_client.hpp"

namespace billhook::delivery {
namespace {

using namespace std::chrono_literals;

OutboundRequest request_for(const std::string& event_id, const std::string& url = "listen:ep_1") {
  OutboundRequest r;
  r.url = url;
  r.headers = {{"Content-Type", "application/json"}, {"webhook-id", event_id}};
  r.body = R"({"id":")" + event_id + R"("})";
  return r;
}

// Takes with `wait` and returns the ids answered (blocking until the answer comes, at most 5 s).
std::vector<std::string> take_ids(ListenHub& hub, const std::string& session, std::chrono::milliseconds wait) {
  auto promise = std::make_shared<std::promise<std::vector<std::string>>>();
  auto answered = promise->get_future();
  hub.take(session, wait, [promise](std::vector<ListenItem> items) {
    std::vector<std::string> ids;
    for (const auto& item : items) ids.push_back(item.id);
    promise->set_value(std::move(ids));
  });
  if (answered.wait_for(5s) != std::future_status::ready) throw std::runtime_error("the take was never answered");
  return answered.get();
}

struct Results {
  std::vector<std::pair<std::string, OutboundResult>> got;
  HttpClient::Done done(std::string id) {
    return [this, id](OutboundResult r) { got.emplace_back(id, std::move(r)); };
  }
};

TEST(ListenHubTest, ATakeGetsWhatWaitsOldestFirstAndAgainUntilReported) {
  ListenHub hub;
  Results results;
  hub.submit("ep_1", request_for("evt_1"), results.done("evt_1"));
  hub.submit("ep_1", request_for("evt_2"), results.done("evt_2"));
  hub.submit("ep_2", request_for("evt_3"), results.done("evt_3"));
  EXPECT_EQ(take_ids(hub, "ep_1", 10s), (std::vector<std::string>{"evt_1", "evt_2"}));
  // Not reported: a restarted CLI gets them again.
  EXPECT_EQ(take_ids(hub, "ep_1", 10s), (std::vector<std::string>{"evt_1", "evt_2"}));

  OutboundResult ok;
  ok.status_code = 200;
  EXPECT_TRUE(hub.report("ep_1", "evt_1", ok));
  EXPECT_FALSE(hub.report("ep_1", "evt_1", ok)) << "reported twice";
  EXPECT_FALSE(hub.report("ep_2", "evt_2", ok)) << "another session's";
  ASSERT_EQ(results.got.size(), 1u);
  EXPECT_EQ(results.got[0].first, "evt_1");
  EXPECT_EQ(results.got[0].second.status_code, 200);
  EXPECT_EQ(take_ids(hub, "ep_1", 10s), (std::vector<std::string>{"evt_2"}));
  EXPECT_EQ(hub.pending(), 2u);
}

TEST(ListenHubTest, AWaitingTakeIsAnsweredByTheNextRequestOrEmptyAfterItsWait) {
  ListenHub hub;
  EXPECT_TRUE(take_ids(hub, "ep_1", 10ms).empty());

  auto promise = std::make_shared<std::promise<std::vector<ListenItem>>>();
  auto answered = promise->get_future();
  hub.take("ep_1", 30s, [promise](std::vector<ListenItem> items) { promise->set_value(std::move(items)); });
  Results results;
  hub.submit("ep_1", request_for("evt_9"), results.done("evt_9"));
  ASSERT_EQ(answered.wait_for(5s), std::future_status::ready) << "the request did not end the wait";
  const auto items = answered.get();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].id, "evt_9");
  EXPECT_EQ(items[0].request.body, R"({"id":"evt_9"})");
}

TEST(ListenHubTest, ANewTakeEndsThePreviousOneEmpty) {
  ListenHub hub;
  auto first = std::make_shared<std::promise<size_t>>();
  auto first_answer = first->get_future();
  hub.take("ep_1", 30s, [first](std::vector<ListenItem> items) { first->set_value(items.size()); });
  Results results;
  auto second = std::make_shared<std::promise<size_t>>();
  auto second_answer = second->get_future();
  hub.take("ep_1", 30s, [second](std::vector<ListenItem> items) { second->set_value(items.size()); });
  ASSERT_EQ(first_answer.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(first_answer.get(), 0u);
  hub.submit("ep_1", request_for("evt_1"), results.done("evt_1"));
  ASSERT_EQ(second_answer.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(second_answer.get(), 1u);
}

TEST(ListenHubTest, ClosingASessionFailsItsRequestsAndEndsItsTake) {
  ListenHub hub;
  Results results;
  hub.submit("ep_1", request_for("evt_1"), results.done("evt_1"));
  auto taken = std::make_shared<std::promise<size_t>>();
  auto answer = taken->get_future();
  // Taken first, so the take below waits.
  EXPECT_EQ(take_ids(hub, "ep_1", 10s).size(), 1u);
  hub.close("ep_1");
  ASSERT_EQ(results.got.size(), 1u);
  EXPECT_EQ(results.got[0].second.error_class, ErrorClass::connect);
  EXPECT_EQ(hub.pending(), 0u);
  EXPECT_FALSE(hub.report("ep_1", "evt_1", OutboundResult{}));
  hub.take("ep_2", 30s, [taken](std::vector<ListenItem> items) { taken->set_value(items.size()); });
  hub.close("ep_2");
  ASSERT_EQ(answer.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(answer.get(), 0u);
}

TEST(ListenHubTest, IdleSessionsAreThoseWithNoTakeForTheIdleTime) {
  ListenHub hub;
  // Met now (as after a restart): a whole idle period from now.
  EXPECT_TRUE(hub.idle_sessions({"ep_new"}, 0ms).empty());
  EXPECT_EQ(hub.idle_sessions({"ep_new"}, 0ms), (std::vector<std::string>{"ep_new"}));
  EXPECT_TRUE(hub.idle_sessions({"ep_new"}, 1h).empty());
  // A take in progress is a connected CLI, however long ago it began.
  hub.take("ep_polled", 30s, [](std::vector<ListenItem>) {});
  EXPECT_TRUE(hub.idle_sessions({"ep_polled"}, 0ms).empty());
}

TEST(ListenHubTest, StopAnswersWaitingTakesAndAbandonsRequests) {
  auto hub = std::make_unique<ListenHub>();
  Results results;
  hub->submit("ep_1", request_for("evt_1"), results.done("evt_1"));
  EXPECT_EQ(take_ids(*hub, "ep_1", 10s).size(), 1u);
  auto taken = std::make_shared<std::promise<size_t>>();
  auto answer = taken->get_future();
  hub->take("ep_2", 30s, [taken](std::vector<ListenItem> items) { taken->set_value(items.size()); });
  hub->stop();
  ASSERT_EQ(answer.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(answer.get(), 0u);
  EXPECT_TRUE(results.got.empty()) << "abandoned, not failed: the delivery stays leased until the next start";
  EXPECT_TRUE(take_ids(*hub, "ep_1", 10s).empty()) << "a take after stop is answered at once";
}

class RecordingClient final : public HttpClient {
 public:
  void send(OutboundRequest request, Done done) override {
    urls.push_back(request.url);
    done(OutboundResult{});
  }
  size_t in_flight() const override { return 0; }
  std::vector<std::string> urls;
};

TEST(ListenRoutingClientTest, ListenUrlsGoToTheHubAndOthersToTheNetwork) {
  EXPECT_EQ(listen_url("ep_1"), "listen:ep_1");
  EXPECT_EQ(listen_session_of("listen:ep_1"), "ep_1");
  EXPECT_FALSE(listen_session_of("listen:"));
  EXPECT_FALSE(listen_session_of("http://127.0.0.1/listen:ep_1"));

  ListenHub hub;
  RecordingClient network;
  ListenRoutingClient client(network, hub);
  int done = 0;
  client.send(request_for("evt_1", "http://127.0.0.1:9/hook"), [&](OutboundResult) { ++done; });
  client.send(request_for("evt_2", "listen:ep_7"), [&](OutboundResult) { ++done; });
  EXPECT_EQ(network.urls, (std::vector<std::string>{"http://127.0.0.1:9/hook"}));
  EXPECT_EQ(done, 1) << "the listen request waits for its CLI";
  EXPECT_EQ(client.in_flight(), 1u);
  EXPECT_EQ(take_ids(hub, "ep_7", 10s), (std::vector<std::string>{"evt_2"}));
  EXPECT_TRUE(hub.report("ep_7", "evt_2", OutboundResult{}));
  EXPECT_EQ(done, 2);
}

}  // namespace
}  // namespace billhook::delivery
