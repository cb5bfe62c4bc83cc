// The API the dashboard's endpoint page uses, on its own: POST /v1/endpoints/{id}/test sends one
// catalog example to that endpoint only, and POST /v1/endpoints/{id}/recover?dry_run=true counts what
// a recover would resend without resending it.

#include "integration/delivery_fixture.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;
using namespace std::string_view_literals;

class EndpointTestApiTest : public DeliveryTest {
 protected:
  void SetUp() override { start(); }
};

TEST_F(EndpointTestApiTest, ATestEventGoesToThatEndpointOnlyWithTheCatalogExample) {
  const auto tested = endpoint("/tested", {{"event_types", json::array{"invoice.paid"}}});
  endpoint("/other");  // every type: it must still get nothing

  auto sent = client_->post("/v1/endpoints/" + tested + "/test", json::object{{"event_type", "customer.created"}});
  ASSERT_EQ(sent.status, 202) << describe(sent);
  const auto answer = sent.json().as_object();
  EXPECT_EQ(answer.at("type"), json::value("customer.created")) << "sent though the endpoint does not subscribe to it";
  const std::string delivery_id = str(answer.at("delivery_id"));
  await_status(*client_, delivery_id, "succeeded", 1);
  ASSERT_EQ(rx_.count_for("/tested"), 1u);
  const auto got = rx_.requests_for("/tested").front();
  EXPECT_EQ(got.event_type(), "customer.created");
  EXPECT_EQ(json::value(got.json().at("data").at("object")), json::value(example_object("customer.created")));
  EXPECT_EQ(str(got.json().at("id")), str(answer.at("event_id")));
  // The attempt keeps the request as the receiver got it: signature headers and body.
  const auto attempt = client_->get("/v1/deliveries/" + delivery_id).json().at("attempts").at(0).at("request");
  EXPECT_EQ(str(attempt.at("headers").at("webhook-signature")), got.header("webhook-signature"));
  EXPECT_EQ(str(attempt.at("headers").at("webhook-id")), got.header("webhook-id"));
  EXPECT_EQ(str(attempt.at("body")), got.body.substr(0, 4096));
  EXPECT_EQ(client_->get("/v1/events/" + str(answer.at("event_id"))).status, 200) << "in the event log";
  EXPECT_EQ(count_all(*client_, "/v1/deliveries?event_id=" + str(answer.at("event_id"))), 1u);

  // No type: the first one the endpoint subscribes to.
  sent = client_->post("/v1/endpoints/" + tested + "/test", ""sv);
  ASSERT_EQ(sent.status, 202) << describe(sent);
  EXPECT_EQ(sent.json().at("type"), json::value("invoice.paid"));
  ASSERT_TRUE(rx_.wait_for_requests("/tested", 2, 30s));
  EXPECT_EQ(rx_.requests_for("/tested")[1].event_type(), "invoice.paid");
  EXPECT_EQ(rx_.count_for("/other"), 0u);
}

TEST_F(EndpointTestApiTest, ATestOfAnUnknownTypeOrEndpointOrADisabledOneSendsNothing) {
  const auto id = endpoint("/refused");
  EXPECT_TRUE(is_error(client_->post("/v1/endpoints/" + id + "/test", json::object{{"event_type", "no.such"}}), 400,
                       "unknown_event_type", "event_type"));
  EXPECT_TRUE(is_error(client_->post("/v1/endpoints/" + id + "/test", json::object{{"type", "invoice.paid"}}), 400,
                       "unknown_parameter"));
  EXPECT_TRUE(is_error(client_->post("/v1/endpoints/ep_00000000000000000000000000/test", ""sv), 404,
                       "endpoint_not_found"));
  EXPECT_EQ(count_all(*client_, "/v1/events"), 0u);
  ASSERT_EQ(client_->patch("/v1/endpoints/" + id, json::object{{"enabled", false}}).status, 200);
  const size_t events = count_all(*client_, "/v1/events");  // endpoint.disabled
  EXPECT_TRUE(is_error(client_->post("/v1/endpoints/" + id + "/test", ""sv), 409, "endpoint_disabled"));
  EXPECT_EQ(count_all(*client_, "/v1/events"), events);
  EXPECT_EQ(rx_.count_for("/refused"), 0u);
}

TEST_F(EndpointTestApiTest, ADryRunCountsWhatARecoverWouldResendAndChangesNothing) {
  rx_.on("/dry", Behaviour::status_code(500));
  const auto endpoint_id = endpoint("/dry", {{"retry_schedule", json::array{5}}});
  const auto publish_to = [&] {
    auto r = client_->post("/v1/events", invoice_event(unique_name("inv_dry_")));
    if (r.status != 202) throw std::runtime_error("publish: " + describe(r));
    return delivery_of(*client_, str(r.json().at("id")), endpoint_id);
  };
  const auto older = publish_to();
  await_status(*client_, older, "retrying", 1);
  advance_clock(*client_, 7);
  await_status(*client_, older, "failed", 2);
  advance_clock(*client_, 100);
  const auto newer = publish_to();
  await_status(*client_, newer, "retrying", 1);
  advance_clock(*client_, 7);
  const int64_t newer_created = await_status(*client_, newer, "failed", 2).at("created").as_int64();

  const std::string path = "/v1/endpoints/" + endpoint_id + "/recover";
  for (const auto& [since, expected] : {std::pair<int64_t, int64_t>{newer_created, 1}, {newer_created - 50, 1},
                                        {0, 2}, {newer_created + 1000, 0}}) {
    auto dry = client_->post(path + "?dry_run=true", json::object{{"since", since}});
    ASSERT_EQ(dry.status, 200) << describe(dry);
    EXPECT_EQ(dry.json().at("would_recover"), json::value(expected)) << "since " << since;
    EXPECT_EQ(dry.json().at("dry_run"), json::value(true));
  }
  EXPECT_EQ(client_->get("/v1/deliveries/" + older).json().at("status"), json::value("failed"));
  EXPECT_EQ(client_->get("/v1/deliveries/" + newer).json().at("status"), json::value("failed"));
  EXPECT_EQ(rx_.count_for("/dry"), 4u) << "a dry run sends nothing";

  EXPECT_TRUE(is_error(client_->post(path + "?dry_run=maybe", json::object{{"since", 0}}), 400, "invalid_value",
                       "dry_run"));
  EXPECT_TRUE(is_error(client_->post("/v1/endpoints/ep_00000000000000000000000000/recover?dry_run=true",
                                     json::object{{"since", 0}}),
                       404, "endpoint_not_found"));
  // What the dry run counted is what the recover does.
  auto recovered = client_->post(path, json::object{{"since", 0}});
  ASSERT_EQ(recovered.status, 202) << describe(recovered);
  EXPECT_EQ(recovered.json().at("recovered"), json::value(2));
}

}  // namespace
}  // namespace billhook::testing
