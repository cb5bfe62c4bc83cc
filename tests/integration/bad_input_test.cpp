// Bad input to the real server: each gets a clear 4xx naming what is wrong, and none changes
// what is stored. The fixture checks the second part after every test: the event count and
// the delivery count (one endpoint subscribes to everything) must be what they were.

#include "integration/integration_helpers.hpp"

namespace billhook::testing {
namespace {

std::string nested_arrays(int depth) {
  return std::string(static_cast<size_t>(depth), '[') + std::string(static_cast<size_t>(depth), ']');
}

// A publish body with `raw` spliced in as the value of data.object.description.
std::string with_description(std::string_view raw) {
  auto body = json::serialize(invoice_event(unique_name("inv_bad_")));
  const std::string marker = "\"description\":null";
  const auto at = body.find(marker);
  if (at == std::string::npos) throw std::runtime_error("the example has no null description");
  return body.replace(at, marker.size(), "\"description\":" + std::string(raw));
}

class BadInputTest : public SharedServerTest<BadInputTest> {
 protected:
  static void SetUpTestSuite() {
    SharedServerTest::SetUpTestSuite();
    auto c = client_for(*server_);
    auto r = c.post("/v1/endpoints", json::object{{"url", "http://127.0.0.1:9/all"}});
    ASSERT_EQ(r.status, 201) << describe(r);
    // One accepted event, so that "no change" is measured against a non-empty store.
    ASSERT_EQ(c.post("/v1/events", invoice_event(unique_name("inv_bad_"))).status, 202);
  }
  void SetUp() override {
    SharedServerTest::SetUp();
    if (HasFatalFailure()) return;
    events_before_ = count_all(*client_, "/v1/events");
    deliveries_before_ = count_all(*client_, "/v1/deliveries");
    ASSERT_GT(deliveries_before_, 0u);
  }
  void TearDown() override {
    if (!server_) return;
    auto c = client_for(*server_);
    EXPECT_EQ(c.get("/health").status, 200) << "the server must survive bad input";
    EXPECT_EQ(count_all(c, "/v1/events"), events_before_) << "bad input stored an event";
    EXPECT_EQ(count_all(c, "/v1/deliveries"), deliveries_before_) << "bad input stored a delivery";
  }

  Response publish(std::string_view raw_body, const Headers& headers = {}) {
    return client_->post("/v1/events", raw_body, headers);
  }
  Response publish(const json::object& body) { return client_->post("/v1/events", body); }

  size_t events_before_ = 0;
  size_t deliveries_before_ = 0;
};

TEST_F(BadInputTest, MalformedJson) {
  EXPECT_TRUE(is_error(publish(R"({"type": "invoice.paid", "data": )"), 400, "malformed_json", ""));
  EXPECT_TRUE(is_error(publish(R"({"type": 'invoice.paid'})"), 400, "malformed_json", ""));
  EXPECT_TRUE(is_error(publish(R"({"type": "invoice.paid",})"), 400, "malformed_json", ""));
  EXPECT_TRUE(is_error(publish(R"({} {})"), 400, "malformed_json", ""));
  EXPECT_TRUE(is_error(publish(""), 400, "malformed_json", ""));
  EXPECT_TRUE(is_error(client_->post("/v1/endpoints", std::string_view("{url: 1}")), 400, "malformed_json", ""));
}

TEST_F(BadInputTest, BodyThatIsNotAnObject) {
  for (const char* body : {"[]", "[{\"type\": \"invoice.paid\"}]", "\"invoice.paid\"", "42", "null", "true"})
    EXPECT_TRUE(is_error(publish(body), 400, "invalid_body", "")) << body;
}

TEST_F(BadInputTest, WrongTypes) {
  auto body = invoice_event(unique_name("inv_bad_"));
  body["type"] = 5;
  EXPECT_TRUE(is_error(publish(body), 400, "invalid_type", "type"));
  body["type"] = json::array{"invoice.paid"};
  EXPECT_TRUE(is_error(publish(body), 400, "invalid_type", "type"));

  body = invoice_event(unique_name("inv_bad_"));
  body["data"] = json::array{};
  EXPECT_TRUE(is_error(publish(body), 400, "invalid_type", "data"));
  body["data"] = "{}";
  EXPECT_TRUE(is_error(publish(body), 400, "invalid_type", "data"));

  body = invoice_event(unique_name("inv_bad_"));
  body["data"].as_object()["object"] = json::array{};
  EXPECT_TRUE(is_error(publish(body), 400, "invalid_type", "data.object"));

  body = invoice_event(unique_name("inv_bad_"));
  body["data"].as_object()["object"].as_object()["total"] = "12";
  EXPECT_TRUE(is_error(publish(body), 400, "schema_violation", "data.object.total"));

  body = invoice_event(unique_name("inv_bad_"));
  body["data"].as_object()["previous_attributes"] = 3;
  EXPECT_TRUE(is_error(publish(body), 400, "invalid_type", "data.previous_attributes"));

  body = invoice_event(unique_name("inv_bad_"));
  body["aggregate"] = "inv_1";
  EXPECT_TRUE(is_error(publish(body), 400, "invalid_type", "aggregate"));
  body["aggregate"] = json::object{{"type", "invoice"}};
  EXPECT_TRUE(is_error(publish(body), 400, "missing_field", "aggregate.id"));
  body["aggregate"] = json::object{{"type", "invoice"}, {"id", 7}};
  EXPECT_TRUE(is_error(publish(body), 400, "invalid_value", "aggregate.id"));
}

TEST_F(BadInputTest, MissingFields) {
  auto body = invoice_event(unique_name("inv_bad_"));
  body.erase("type");
  EXPECT_TRUE(is_error(publish(body), 400, "missing_field", "type"));

  body = invoice_event(unique_name("inv_bad_"));
  body.erase("data");
  EXPECT_TRUE(is_error(publish(body), 400, "missing_field", "data"));

  body = invoice_event(unique_name("inv_bad_"));
  body["data"] = json::object{};
  EXPECT_TRUE(is_error(publish(body), 400, "missing_field", "data.object"));

  body = invoice_event(unique_name("inv_bad_"));
  body["type"] = "";
  EXPECT_EQ(publish(body).status, 400);
}

TEST_F(BadInputTest, UnknownFields) {
  auto body = invoice_event(unique_name("inv_bad_"));
  body["colour"] = "red";
  EXPECT_TRUE(is_error(publish(body), 400, "unknown_parameter", "colour"));

  body = invoice_event(unique_name("inv_bad_"));
  body["data"].as_object()["objekt"] = json::object{};
  EXPECT_TRUE(is_error(publish(body), 400, "unknown_parameter", "data.objekt"));

  body = invoice_event(unique_name("inv_bad_"));
  body["aggregate"] = json::object{{"type", "invoice"}, {"id", "x"}, {"sequence", 3}};
  EXPECT_TRUE(is_error(publish(body), 400, "unknown_parameter", "aggregate.sequence"));
}

TEST_F(BadInputTest, UnknownEventType) {
  auto body = invoice_event(unique_name("inv_bad_"));
  body["type"] = "invoice.teleported";
  EXPECT_TRUE(is_error(publish(body), 400, "unknown_event_type", "type"));
  body["type"] = "Invoice.Paid";  // names are case-sensitive
  EXPECT_TRUE(is_error(publish(body), 400, "unknown_event_type", "type"));
}

TEST_F(BadInputTest, SchemaViolationsNameTheField) {
  auto body = invoice_event(unique_name("inv_bad_"));
  body["data"].as_object()["object"].as_object()["status"] = "open";  // invoice.paid requires "paid"
  EXPECT_TRUE(is_error(publish(body), 400, "schema_violation", "data.object.status"));

  body = invoice_event(unique_name("inv_bad_"));
  body["data"].as_object()["object"].as_object()["currency"] = 978;
  EXPECT_TRUE(is_error(publish(body), 400, "schema_violation", "data.object.currency"));

  body = invoice_event(unique_name("inv_bad_"));
  body["data"].as_object()["object"].as_object().erase("customer");
  auto response = publish(body);
  ASSERT_TRUE(is_error(response, 400, "schema_violation"));
  EXPECT_TRUE(response.json().at("error").at("param").as_string().starts_with("data.object")) << describe(response);
  EXPECT_NE(response.json().at("error").at("message").as_string().find("customer"), std::string::npos)
      << describe(response);

  body = invoice_event(unique_name("inv_bad_"));
  body["data"].as_object()["object"].as_object()["lines"].as_array()[0].as_object()["quantity"] = "twelve";
  response = publish(body);
  ASSERT_TRUE(is_error(response, 400, "schema_violation"));
  EXPECT_TRUE(response.json().at("error").at("param").as_string().starts_with("data.object.lines"))
      << describe(response);
}

TEST_F(BadInputTest, OversizeBodyIs413) {
  // Valid JSON whose size alone is the problem: 1 MiB is the default limit.
  const std::string body = with_description("\"" + std::string((1 << 20) + 100, 'x') + "\"");
  auto response = publish(body);
  EXPECT_TRUE(is_error(response, 413, "body_too_large", "")) << "transport: " << response.error;
}

TEST_F(BadInputTest, DeepNestingIsRefused) {
  // The body object is level 1, data 2, data.object 3, description's arrays from 4 on.
  EXPECT_TRUE(is_error(publish(with_description(nested_arrays(40))), 400, "json_too_deep", ""));
  EXPECT_TRUE(is_error(publish(with_description(nested_arrays(100'000))), 400, "json_too_deep", ""));
  EXPECT_TRUE(is_error(publish(std::string(5000, '{')), 400, {}, ""));
}

TEST_F(BadInputTest, InvalidUtf8IsRefused) {
  EXPECT_TRUE(is_error(publish(with_description("\"caf\xC3\""), {}), 400, "invalid_utf8", ""));
  EXPECT_TRUE(is_error(publish(with_description("\"\xFF\xFE\""), {}), 400, "invalid_utf8", ""));
  EXPECT_TRUE(is_error(publish(with_description("\"\xC0\xAF overlong\""), {}), 400, "invalid_utf8", ""));
  EXPECT_TRUE(is_error(publish(with_description("\"\xED\xA0\x80 surrogate\""), {}), 400, "invalid_utf8", ""));
  // An escaped lone surrogate decodes to no valid character either.
  EXPECT_EQ(publish(with_description(R"("\ud800")")).status, 400);
}

TEST_F(BadInputTest, NumbersOutOfRange) {
  auto raw = json::serialize(invoice_event(unique_name("inv_bad_")));
  const auto at = raw.find("\"total\":27360");
  ASSERT_NE(at, std::string::npos);
  auto with_total = [&](std::string_view total) {
    std::string b = raw;
    return b.replace(at, std::string_view("\"total\":27360").size(), "\"total\":" + std::string(total));
  };
  EXPECT_TRUE(is_error(publish(with_total("1e400")), 400, "number_out_of_range", ""));
  EXPECT_TRUE(is_error(publish(with_total("-1e400")), 400, "number_out_of_range", ""));
  // Where the schema takes any value (data.object allows extra properties) only the parser can
  // refuse it; otherwise it is taken as infinity, which has no JSON form.
  auto extra = raw;
  extra.insert(extra.find("\"total\":"), "\"x_rate\":2.5e999,");
  EXPECT_TRUE(is_error(publish(extra), 400, "number_out_of_range", ""));
  // Too large for an integer: it is no longer an exact amount, so the schema refuses it.
  EXPECT_EQ(publish(with_total("123456789012345678901234567890")).status, 400);
  EXPECT_EQ(publish(with_total("27360.5")).status, 400);
}

TEST_F(BadInputTest, BadIdempotencyKeys) {
  const auto body = invoice_event(unique_name("inv_bad_"));
  EXPECT_TRUE(is_error(client_->post("/v1/events", body, {{"Idempotency-Key", std::string(256, 'k')}}), 400,
                       "invalid_idempotency_key", "Idempotency-Key"));
  EXPECT_TRUE(is_error(client_->post("/v1/events", body, {{"Idempotency-Key", "tab\there"}}), 400,
                       "invalid_idempotency_key", "Idempotency-Key"));
}

TEST_F(BadInputTest, UnknownQueryParameters) {
  EXPECT_TRUE(is_error(client_->get("/v1/events?colour=red"), 400, "unknown_parameter", "colour"));
  EXPECT_TRUE(is_error(client_->get("/v1/events?created[after]=1"), 400, "unknown_parameter", "created[after]"));
  EXPECT_TRUE(is_error(client_->get("/v1/deliveries?endpoint=x"), 400, "unknown_parameter", "endpoint"));
  EXPECT_TRUE(is_error(client_->get("/v1/endpoints?enabled=true"), 400, "unknown_parameter", "enabled"));
}

TEST_F(BadInputTest, BadLimits) {
  for (const char* path : {"/v1/events", "/v1/deliveries", "/v1/endpoints"})
    for (const char* limit : {"0", "101", "x", "-1", "", "10abc", "99999999999999999999"})
      EXPECT_TRUE(is_error(client_->get(std::string(path) + "?limit=" + limit), 400, "invalid_limit", "limit"))
          << path << "?limit=" << limit;
  EXPECT_EQ(client_->get("/v1/events?limit=1").status, 200);
  EXPECT_EQ(client_->get("/v1/events?limit=100").status, 200);
}

TEST_F(BadInputTest, MalformedCursors) {
  for (const char* cursor : {"evt_123", "garbage", "ep_00000000000000000000000000", "evt_0000000000000000000000000!",
                             "evt_ZZZZZZZZZZZZZZZZZZZZZZZZZZ"}) {
    EXPECT_TRUE(
        is_error(client_->get(std::string("/v1/events?starting_after=") + cursor), 400, "invalid_id", "starting_after"))
        << cursor;
    EXPECT_TRUE(
        is_error(client_->get(std::string("/v1/events?ending_before=") + cursor), 400, "invalid_id", "ending_before"))
        << cursor;
  }
  EXPECT_TRUE(is_error(client_->get("/v1/deliveries?starting_after=evt_00000000000000000000000000"), 400, "invalid_id",
                       "starting_after"));
}

TEST_F(BadInputTest, MalformedQueryString) {
  auto response = client_->get("/v1/events?type=%zz");
  EXPECT_TRUE(is_error(response, 400, "invalid_url", ""));
}

TEST_F(BadInputTest, UnknownRouteAndWrongMethodStoreNothing) {
  const auto body = invoice_event(unique_name("inv_bad_"));
  EXPECT_TRUE(is_error(client_->post("/v1/event", body), 404, "route_not_found"));
  EXPECT_TRUE(is_error(client_->post("/v1/events/evt_00000000000000000000000000", body), 405, "method_not_allowed"));
  auto put = client_->request("PUT", "/v1/events", json::serialize(body));
  EXPECT_TRUE(is_error(put, 405, "method_not_allowed"));
  EXPECT_NE(put.header("Allow").find("POST"), std::string::npos) << put.header("Allow");
}

// A server with a small body limit, to see the limit is the configured one.
TEST(BodyLimitTest, ConfiguredLimitIsEnforced) {
  ServerOptions options;
  options.extra_args = {"--max-body-bytes", "4096"};
  ServerProcess server(options);
  auto c = client_for(server);
  std::string big = json::serialize(invoice_event("inv_limit_big"));
  ASSERT_LT(big.size(), 4000u);
  // ,"pad":"ppp…" inside the top-level object: 9 bytes of syntax around the padding.
  big.insert(big.size() - 1, ",\"pad\":\"" + std::string(5000 - big.size() - 9, 'p') + "\"");
  ASSERT_EQ(big.size(), 5000u);
  auto response = c.post("/v1/events", big);
  EXPECT_TRUE(is_error(response, 413, "body_too_large", "")) << "transport: " << response.error;
  EXPECT_NE(response.body.find("4096"), std::string::npos) << "the message names the limit";

  auto small = c.post("/v1/events", invoice_event("inv_limit_small"));
  EXPECT_EQ(small.status, 202) << describe(small);
  auto events = list_all(c, "/v1/events");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].at("aggregate").at("id").as_string(), "inv_limit_small");
}

TEST(BodyLimitTest, ConfiguredDepthLimitIsEnforced) {
  ServerOptions options;
  options.extra_args = {"--max-json-depth", "8"};
  ServerProcess server(options);
  auto c = client_for(server);
  EXPECT_EQ(c.post("/v1/events", with_description(nested_arrays(3))).status, 400) << "a string is expected there";
  EXPECT_TRUE(is_error(c.post("/v1/events", with_description(nested_arrays(8))), 400, "json_too_deep", ""));
  EXPECT_EQ(count_all(c, "/v1/events"), 0u);
}

}  // namespace
}  // namespace billhook::testing
