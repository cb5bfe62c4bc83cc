// Billable metrics through the real binary, on the registry's generic routes: created, read, updated and
// archived with the API, a Lago receiver getting billable_metric.created as Lago sends it, and bad
// requests answered 4xx naming the field and storing nothing.

#include <chrono>

#include "integration/integration_helpers.hpp"
#include "support/node_receiver.hpp"
#include "support/wait.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;

class BillableMetricApiTest : public BillingServerTest {
 protected:
  static json::object metric_body(const std::string& code) {
    return {{"code", code}, {"name", "API requests"}, {"aggregation_type", "count"},
            {"description", "Successful API calls, per request."}};
  }
};

// Issue 15's metric events for Lago (seed 003): billable_metric.created under its own name, signed.
TEST_F(BillableMetricApiTest, LagoReceiverGetsBillableMetricCreated) {
  NodeReceiver rx("lago.mjs");
  api_->endpoint({{"url", rx.url("/webhooks/lago")}, {"profile", "lago"}});
  rx.configure(lago_jwt_receiver_config(*server_));
  const auto metric = api_->post("/v1/billable-metrics", metric_body("api_requests"), 201);
  const std::string id = str(metric.at("id"));
  EXPECT_EQ(id.rfind("bm_", 0), 0u) << id;

  const auto records = rx.received(1, 10s);
  ASSERT_EQ(records.size(), 1u);
  const auto& r = records[0];
  EXPECT_TRUE(r.at("verified").as_bool()) << json::serialize(r);
  EXPECT_EQ(str(r.at("handler")), "billable_metric.created");
  EXPECT_EQ(str(r.at("object_type")), "billable_metric");
  const auto& object = r.at("object");
  EXPECT_EQ(str(object.at("id")), id);
  EXPECT_EQ(str(object.at("code")), "api_requests");
  EXPECT_EQ(str(object.at("aggregation_type")), "count");
  EXPECT_TRUE(object.at("field_name").is_null());
  EXPECT_EQ(str(object.at("status")), "active");
}

TEST_F(BillableMetricApiTest, CreateReadUpdateArchiveAndBadRequests) {
  const auto metric = api_->post("/v1/billable-metrics", metric_body("calls"), 201);
  const std::string id = str(metric.at("id"));
  EXPECT_EQ(str(api_->get("/v1/billable-metrics/" + id).at("code")), "calls");
  EXPECT_EQ(api_->get("/v1/billable-metrics").at("data").as_array().size(), 1u);

  auto patched = client_->patch("/v1/billable-metrics/" + id,
                                json::object{{"aggregation_type", "sum"}, {"field_name", "units"}});
  ASSERT_EQ(patched.status, 200) << describe(patched);
  EXPECT_EQ(str(patched.json().at("aggregation_type")), "sum");
  const auto archived = api_->post("/v1/billable-metrics/" + id + "/archive", json::object{});
  EXPECT_EQ(str(archived.at("status")), "archived");

  auto duplicate = client_->post("/v1/billable-metrics", metric_body("calls"));
  EXPECT_TRUE(is_error(duplicate, 409, "billable_metric_code_taken")) << describe(duplicate);
  EXPECT_EQ(str(duplicate.json().at("error").at("param")), "code");
  auto bad = metric_body("other");
  bad["aggregation_type"] = "sum";  // without field_name
  auto refused = client_->post("/v1/billable-metrics", bad);
  EXPECT_EQ(refused.status, 400) << describe(refused);
  EXPECT_EQ(str(refused.json().at("error").at("param")), "field_name");
  bad = metric_body("other");
  bad["filters"] = json::object{{"region", "eu"}};
  refused = client_->post("/v1/billable-metrics", bad);
  EXPECT_TRUE(is_error(refused, 400, "invalid_type")) << describe(refused);
  EXPECT_EQ(str(refused.json().at("error").at("param")), "filters.region");
  EXPECT_EQ(api_->get("/v1/billable-metrics").at("data").as_array().size(), 1u) << "nothing was stored";
}

}  // namespace
}  // namespace billhook::testing
