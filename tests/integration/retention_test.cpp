// Retention on a running server, on both backends (issue 21 item 8): moved past --retention-days by the test
// clock, delivered events go and an event with a failed delivery stays; an Idempotency-Key is replayed within
// 24 h and makes a new request after; `billhook prune --dry-run` says what would go and changes nothing.

#include <chrono>
#include <memory>
#include <string>

#include "integration/integration_helpers.hpp"
#include "support/pg_test_database.hpp"
#include "support/receiver.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kHour = 3600;
constexpr int64_t kDay = 24 * kHour;

class RetentionTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres") {
      BILLHOOK_REQUIRE_POSTGRES();
      database_ = std::make_unique<PgTestDatabase>();
      ASSERT_TRUE(database_->available()) << database_->error();
    }
  }

  ServerOptions options() const {
    ServerOptions out;
    out.extra_args = {"--test-clock", "--allow-networks", "127.0.0.0/8", "--retention-days", "30"};
    if (database_) {
      out.extra_args.push_back("--database-url");
      out.extra_args.push_back(database_->url());
    }
    return out;
  }

  std::vector<std::string> store_args(const ServerProcess& server) const {
    if (database_) return {"--database-url", database_->url()};
    return {"--data-dir", server.data_dir().string()};
  }

  std::unique_ptr<PgTestDatabase> database_;
};

json::object customer_event() {
  auto object = example_object("customer.created");
  return json::object{{"type", "customer.created"}, {"data", json::object{{"object", std::move(object)}}}};
}

TEST_P(RetentionTest, DeliveredEventsGoFailedOnesStayAndIdempotencyKeysExpire) {
  Receiver rx;
  rx.on("/ok", Behaviour::ok());
  rx.on("/gone", Behaviour::gone());
  ServerProcess server(options());
  auto c = client_for(server);
  ASSERT_EQ(c.post("/v1/endpoints", json::object{{"url", rx.url("/ok")}, {"event_types", json::array{"invoice.*"}}}).status,
            201);
  ASSERT_EQ(c.post("/v1/endpoints",
                   json::object{{"url", rx.url("/gone")}, {"event_types", json::array{"invoice.payment_failed"}}})
                .status,
            201);

  const std::string invoice = unique_name("inv_ret");
  auto paid = c.post("/v1/events", invoice_event(invoice, "invoice.paid"));
  ASSERT_EQ(paid.status, 202) << describe(paid);
  const std::string delivered = str(paid.json().at("id"));
  auto failing = c.post("/v1/events", invoice_event(invoice, "invoice.payment_failed"));
  ASSERT_EQ(failing.status, 202) << describe(failing);
  const std::string failed = str(failing.json().at("id"));
  // Both sent to /ok, and the second to /gone, whose 410 fails it for good.
  await_resource(
      c, "/v1/deliveries?event_id=" + failed,
      [](const json::value& v) {
        int settled = 0;
        for (const auto& d : v.at("data").as_array())
          if (str(d.at("status")) == "succeeded" || str(d.at("status")) == "failed") ++settled;
        return settled == 2;
      },
      20s);
  await_resource(
      c, "/v1/deliveries?status=succeeded&event_id=" + delivered,
      [](const json::value& v) { return v.at("data").as_array().size() == 1; }, 20s);

  // Within 24 h an Idempotency-Key answers as it did the first time.
  const Headers key{{"Idempotency-Key", unique_name("key_ret")}};
  auto first = c.post("/v1/events", customer_event(), key);
  ASSERT_EQ(first.status, 202) << describe(first);
  const std::string first_id = str(first.json().at("id"));
  c.post("/v1/test/clock", json::object{{"advance_seconds", 23 * kHour}});
  auto replayed = c.post("/v1/events", customer_event(), key);
  EXPECT_EQ(replayed.status, 202);
  EXPECT_EQ(str(replayed.json().at("id")), first_id);
  EXPECT_EQ(replayed.header("Idempotent-Replayed"), "true");
  // After 24 h the same key makes a new request.
  c.post("/v1/test/clock", json::object{{"advance_seconds", 2 * kHour}});
  auto fresh = c.post("/v1/events", customer_event(), key);
  ASSERT_EQ(fresh.status, 202) << describe(fresh);
  EXPECT_NE(str(fresh.json().at("id")), first_id) << "an expired key is a new request";
  EXPECT_FALSE(fresh.has_header("Idempotent-Replayed"));

  // A dry run beside the running server (on the real clock, where nothing is 30 days old) changes nothing.
  const size_t events_before = list_all(c, "/v1/events").size();
  std::vector<std::string> args{"prune", "--dry-run", "--retention-days", "30"};
  for (auto& a : store_args(server)) args.push_back(a);
  const auto dry = run_billhook(args);
  EXPECT_EQ(dry.exit_code, 0) << dry.stdout_text << dry.stderr_text;
  EXPECT_NE(dry.stdout_text.find("would delete: 0 events"), std::string::npos) << dry.stdout_text;
  EXPECT_NE(dry.stdout_text.find("dry run: nothing was deleted"), std::string::npos) << dry.stdout_text;
  EXPECT_EQ(list_all(c, "/v1/events").size(), events_before);

  // 31 days on (the move wakes the retention worker): the delivered events go, the one with a failed delivery stays.
  c.post("/v1/test/clock", json::object{{"advance_seconds", 31 * kDay}});
  ASSERT_TRUE(poll_until([&] { return c.get("/v1/events/" + delivered).status == 404; }, 20s))
      << server.stderr_text();
  EXPECT_EQ(c.get("/v1/events/" + first_id).status, 404);
  EXPECT_EQ(c.get("/v1/events/" + str(fresh.json().at("id"))).status, 404);
  EXPECT_EQ(c.get("/v1/deliveries?event_id=" + delivered).json().at("data").as_array().size(), 0u);
  EXPECT_EQ(c.get("/v1/events/" + failed).status, 200) << "an event with a failed delivery is kept";
  EXPECT_EQ(c.get("/v1/deliveries?event_id=" + failed).json().at("data").as_array().size(), 2u);
  EXPECT_NE(server.stderr_text().find("retention pruned"), std::string::npos);
}

TEST(RetentionCommandTest, BadRetentionIsRefusedAndChangesNothing) {
  TempDir dir;
  for (const char* days : {"0", "-1", "x", "36501"}) {
    const auto r = run_billhook({"prune", "--retention-days", days, "--data-dir", (dir.path() / "data").string()});
    EXPECT_NE(r.exit_code, 0) << days;
    EXPECT_FALSE(r.stderr_text.empty()) << days;
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "data")) << days;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, RetentionTest, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& backend) { return backend.param; });

}  // namespace
}  // namespace billhook::testing
