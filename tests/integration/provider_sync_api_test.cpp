// The payment-provider sync through the real binary (`--payment-provider sandbox`): each new or
// changed customer is mirrored after the commit by the document clock; a Lago receiver gets
// customer.payment_provider_created / customer.payment_provider_error under Lago's names and shape
// with an HMAC that verifies, a billhook endpoint the canonical names, in order with the customer's
// other events; a refusal is retried on the test clock and cured by a change; the jobs are served by
// GET /v1/provider-syncs. Without the flag nothing of it exists.

#include <chrono>

#include "integration/integration_helpers.hpp"
#include "support/node_receiver.hpp"
#include "support/receiver.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;
using Strings = std::vector<std::string>;

constexpr const char* kSynced = "customer.payment_provider_synced";
constexpr const char* kFailed = "customer.payment_provider_sync_failed";

class ProviderSyncApiTest : public ServerTest {
 protected:
  void start(std::vector<std::string> extra) {
    std::vector<std::string> args{"--allow-networks", "127.0.0.0/8", "--test-clock"};
    args.insert(args.end(), extra.begin(), extra.end());
    start_server(std::move(args));
    api_ = std::make_unique<BillingApi>(*client_);
  }
  void TearDown() override {
    api_.reset();
    ServerTest::TearDown();
  }

  // The customer's job, as GET /v1/provider-syncs?customer= lists it (there is one or none).
  json::array jobs_of(const std::string& customer) {
    return api_->get("/v1/provider-syncs?customer=" + customer).at("data").as_array();
  }

  Receiver rx_;
  std::unique_ptr<BillingApi> api_;
};

TEST_F(ProviderSyncApiTest, LagoAndBillhookReceiversGetTheSyncOutcomesUnderTheirOwnNames) {
  start({"--payment-provider", "sandbox"});
  NodeReceiver lago("lago.mjs");
  api_->endpoint({{"url", lago.url("/webhooks/lago")}, {"profile", "lago"}});
  lago.configure(lago_jwt_receiver_config(*server_));
  api_->endpoint({{"url", rx_.url("/native")}, {"event_types", json::array{"customer.*"}}});

  const auto good = api_->customer();
  const auto bad = api_->customer({{"email", "bob@fail.test"}});

  ASSERT_TRUE(await_received_about(rx_, "/native", good, 2));
  ASSERT_TRUE(await_received_about(rx_, "/native", bad, 2));
  EXPECT_EQ(received_about(rx_, "/native", good), (Strings{"customer.created", kSynced}));
  EXPECT_EQ(received_about(rx_, "/native", bad), (Strings{"customer.created", kFailed}));
  for (const auto& r : rx_.requests_for("/native")) {
    const auto body = r.json();
    if (str(body.at("type")) != kSynced) continue;
    const auto& provider = body.at("data").at("object").at("payment_provider");
    EXPECT_EQ(str(provider.at("name")), "sandbox");
    EXPECT_EQ(str(provider.at("customer_id")), "sbx_" + good);
  }

  // Lago: two customers created, one mirrored, one refused; every request signed as Lago signs.
  const auto records = lago.received(4);
  ASSERT_EQ(records.size(), 4u) << json::serialize(records);
  json::object created, error;
  for (const auto& r : records) {
    EXPECT_TRUE(r.at("verified").as_bool()) << json::serialize(r);
    if (str(r.at("handler")) == "customer.payment_provider_created") created = r.as_object();
    if (str(r.at("handler")) == "customer.payment_provider_error") error = r.as_object();
  }
  ASSERT_FALSE(created.empty()) << json::serialize(records);
  EXPECT_EQ(str(created.at("object_type")), "customer");
  EXPECT_EQ(str(created.at("object").at("id")), good);
  EXPECT_EQ(str(created.at("object").at("payment_provider").at("customer_id")), "sbx_" + good);
  ASSERT_FALSE(error.empty()) << json::serialize(records);
  EXPECT_EQ(str(error.at("object_type")), "payment_provider_customer_error");
  EXPECT_EQ(str(error.at("object").at("lago_customer_id")), bad);
  EXPECT_EQ(str(error.at("object").at("payment_provider")), "sandbox");
  EXPECT_EQ(str(error.at("object").at("provider_error").at("error_code")), "email_rejected");
  EXPECT_NE(str(error.at("object").at("provider_error").at("message")).find("@fail.test"), std::string::npos);

  // The jobs, where a user looks for the provider's id and the last error.
  const auto good_jobs = jobs_of(good);
  ASSERT_EQ(good_jobs.size(), 1u);
  EXPECT_EQ(str(good_jobs[0].at("object")), "provider_sync");
  EXPECT_EQ(str(good_jobs[0].at("status")), "synced");
  EXPECT_EQ(str(good_jobs[0].at("provider_customer_id")), "sbx_" + good);
  EXPECT_FALSE(good_jobs[0].as_object().contains("fingerprint"));
  const auto bad_jobs = jobs_of(bad);
  ASSERT_EQ(bad_jobs.size(), 1u);
  const auto bad_job = str(bad_jobs[0].at("id"));
  EXPECT_EQ(str(api_->get("/v1/provider-syncs/" + bad_job).at("status")), "failed");
  EXPECT_EQ(api_->get("/v1/provider-syncs/" + bad_job).at("attempts"), 1);
  EXPECT_EQ(str(api_->get("/v1/provider-syncs/" + bad_job).at("last_error").at("code")), "email_rejected");

  // A minute later the refusal is retried (and refused again); a fixed email is then mirrored.
  api_->post("/v1/test/clock", {{"advance_seconds", 60}});
  ASSERT_TRUE(await_received_about(rx_, "/native", bad, 3));
  EXPECT_EQ(api_->get("/v1/provider-syncs/" + bad_job).at("attempts"), 2);
  const auto fixed = client_->patch("/v1/customers/" + bad, json::object{{"email", "bob@example.com"}});
  ASSERT_EQ(fixed.status, 200) << describe(fixed);
  ASSERT_TRUE(await_received_about(rx_, "/native", bad, 5));
  EXPECT_EQ(received_about(rx_, "/native", bad),
            (Strings{"customer.created", kFailed, kFailed, "customer.updated", kSynced}));
  EXPECT_EQ(str(api_->get("/v1/provider-syncs/" + bad_job).at("status")), "synced");
  EXPECT_TRUE(is_error(client_->post("/v1/provider-syncs/" + bad_job + "/retry", json::object{}), 409,
                       "provider_sync_not_failed"));
  EXPECT_TRUE(is_error(client_->get("/v1/provider-syncs/psync_01KEQR1700HAGS0WWVQ3GT9HM6"), 404,
                       "provider_sync_not_found"));
}

TEST_F(ProviderSyncApiTest, AFailedSyncCanBeRetriedAtOnce) {
  start({"--payment-provider", "sandbox"});
  api_->endpoint({{"url", rx_.url("/native")}, {"event_types", json::array{"customer.*"}}});
  const auto bad = api_->customer({{"email", "bob@fail.test"}});
  ASSERT_TRUE(await_received_about(rx_, "/native", bad, 2));
  const auto job = str(jobs_of(bad).at(0).at("id"));
  const auto retried = api_->post("/v1/provider-syncs/" + job + "/retry");
  EXPECT_EQ(retried.at("attempts"), 0);
  // Without moving the clock: the retry is due now and the clock is woken for it.
  ASSERT_TRUE(await_received_about(rx_, "/native", bad, 3));
  EXPECT_EQ(received_about(rx_, "/native", bad), (Strings{"customer.created", kFailed, kFailed}));
}

TEST_F(ProviderSyncApiTest, WithoutAProviderNoJobIsWrittenAndTheRetryIsUnavailable) {
  start({});
  const auto customer = api_->customer({{"email", "bob@fail.test"}});
  // The job would have been written in the customer's own transaction: its absence is final.
  EXPECT_TRUE(jobs_of(customer).empty());
  EXPECT_EQ(api_->get("/v1/provider-syncs").at("data").as_array().size(), 0u);
  const auto retry = client_->post("/v1/provider-syncs/psync_01KEQR1700HAGS0WWVQ3GT9HM6/retry", json::object{});
  EXPECT_EQ(retry.status, 503) << describe(retry);
}

TEST_F(ProviderSyncApiTest, AnUnknownProviderIsRefusedAtStartNamingTheFlag) {
  ServerOptions options;
  options.extra_args = {"--payment-provider", "stripe"};
  try {
    ServerProcess server(std::move(options));
    FAIL() << "the server started with --payment-provider stripe";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("--payment-provider"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace billhook::testing
