// The real server over HTTP: /health, /openapi.json, the catalog routes, routing errors and
// request ids.

#include <regex>
#include <set>

#include "integration/integration_helpers.hpp"

namespace billhook::testing {
namespace {

class MetaApiTest : public SharedServerTest<MetaApiTest> {
 protected:
  HttpClient client() { return client_for(*server_); }
  HttpClient anonymous() { return HttpClient(server_->port(), std::nullopt); }
};

TEST_F(MetaApiTest, HealthNeedsNoApiKey) {
  auto response = anonymous().get("/health");
  ASSERT_EQ(response.status, 200) << describe(response);
  auto body = response.json().as_object();
  EXPECT_EQ(body.at("status").as_string(), "ok");
  EXPECT_EQ(body.at("version").as_string(), BILLHOOK_VERSION);
  EXPECT_EQ(response.header("Content-Type"), "application/json");
}

TEST_F(MetaApiTest, OpenApiDocumentNeedsNoApiKeyAndDescribesTheRoutes) {
  auto response = anonymous().get("/openapi.json");
  ASSERT_EQ(response.status, 200) << describe(response);
  auto doc = response.json().as_object();
  ASSERT_TRUE(doc.at("openapi").is_string());
  EXPECT_TRUE(doc.at("openapi").as_string().starts_with("3.")) << doc.at("openapi");
  const auto& paths = doc.at("paths").as_object();
  for (const char* path :
       {"/health", "/v1/event-types", "/v1/event-types/{name}", "/v1/endpoints", "/v1/endpoints/{id}",
        "/v1/endpoints/{id}/secret", "/v1/events", "/v1/events/{id}", "/v1/deliveries", "/v1/deliveries/{id}"})
    EXPECT_TRUE(paths.contains(path)) << "openapi.json has no path " << path;
}

TEST_F(MetaApiTest, EventTypesListTheWholeCatalog) {
  const auto& catalog = catalog::Catalog::builtin();
  auto c = client();
  auto response = c.get("/v1/event-types");
  ASSERT_EQ(response.status, 200) << describe(response);
  auto body = response.json().as_object();
  EXPECT_EQ(body.at("object").as_string(), "list");
  EXPECT_FALSE(body.at("has_more").as_bool());
  EXPECT_EQ(body.at("api_version").as_string(), catalog.api_version());
  const auto& data = body.at("data").as_array();
  ASSERT_EQ(data.size(), catalog.types().size());
  std::set<std::string> names;
  for (const auto& item : data) {
    const auto& t = item.as_object();
    names.insert(str(t.at("name")));
    EXPECT_EQ(t.at("object").as_string(), "event_type");
    EXPECT_FALSE(t.at("category").as_string().empty());
    EXPECT_FALSE(t.at("description").as_string().empty());
    EXPECT_TRUE(t.at("schema").is_object()) << t.at("name");
    EXPECT_TRUE(t.at("example").is_object()) << t.at("name");
    EXPECT_TRUE(t.at("aliases").is_array());
  }
  EXPECT_EQ(names.size(), catalog.types().size());
  EXPECT_TRUE(names.contains("invoice.paid"));
  EXPECT_TRUE(names.contains("delivery.exhausted"));
  EXPECT_EQ(body.at("categories").as_array().size(), catalog.categories().size());
}

TEST_F(MetaApiTest, EventTypesFilterByCategory) {
  const auto& catalog = catalog::Catalog::builtin();
  size_t expected = 0;
  for (const auto& t : catalog.types()) expected += t.category == "payment" ? 1 : 0;
  ASSERT_GT(expected, 0u);
  auto c = client();
  auto response = c.get("/v1/event-types?category=payment");
  ASSERT_EQ(response.status, 200) << describe(response);
  const auto body = response.json();
  const auto& data = body.at("data").as_array();
  EXPECT_EQ(data.size(), expected);
  bool has_paid = false;
  for (const auto& item : data) {
    EXPECT_EQ(item.at("category").as_string(), "payment") << item.at("name");
    has_paid = has_paid || item.at("name").as_string() == "invoice.paid";
  }
  EXPECT_TRUE(has_paid);
}

TEST_F(MetaApiTest, EventTypesUnknownCategoryIs400) {
  auto c = client();
  EXPECT_TRUE(is_error(c.get("/v1/event-types?category=nonsense"), 400, "unknown_category", "category"));
  EXPECT_TRUE(is_error(c.get("/v1/event-types?categroy=payment"), 400, "unknown_parameter", "categroy"));
}

TEST_F(MetaApiTest, EventTypeByCanonicalName) {
  auto c = client();
  auto response = c.get("/v1/event-types/invoice.paid");
  ASSERT_EQ(response.status, 200) << describe(response);
  auto body = response.json().as_object();
  EXPECT_EQ(body.at("name").as_string(), "invoice.paid");
  EXPECT_EQ(body.at("category").as_string(), "payment");
  EXPECT_EQ(body.at("aggregate").as_string(), "invoice");
  EXPECT_EQ(body.at("example"), catalog::Catalog::builtin().find("invoice.paid")->example);
}

TEST_F(MetaApiTest, EventTypeBySeedAlias) {
  auto c = client();
  for (const char* alias : {"invoice_paid", "invoice.payment_failure", "INVOICE_PAYMENT_FAILED"}) {
    auto response = c.get(std::string("/v1/event-types/") + alias);
    ASSERT_EQ(response.status, 200) << alias << ": " << describe(response);
    const std::string expected = std::string_view(alias) == "invoice_paid" ? "invoice.paid" : "invoice.payment_failed";
    EXPECT_EQ(response.json().at("name").as_string(), expected) << alias;
  }
}

// A seed alias with a space ("Invoice paid", seed000) must be reachable percent-encoded.
TEST_F(MetaApiTest, EventTypeBySeedAliasWithPercentEncodedSpace) {
  auto c = client();
  auto response = c.get("/v1/event-types/Invoice%20paid");
  ASSERT_EQ(response.status, 200) << describe(response);
  EXPECT_EQ(response.json().at("name").as_string(), "invoice.paid");
}

TEST_F(MetaApiTest, UnknownEventTypeIs404) {
  auto c = client();
  EXPECT_TRUE(is_error(c.get("/v1/event-types/invoice.nonsense"), 404, "event_type_not_found"));
}

TEST_F(MetaApiTest, UnknownRouteIs404) {
  auto c = client();
  EXPECT_TRUE(is_error(c.get("/v1/nothing-here"), 404, "route_not_found", ""));
  EXPECT_TRUE(is_error(c.get("/v1/endpoints/ep_x/unknown"), 404, "route_not_found", ""));
  // Without a key nothing is said about which routes exist.
  EXPECT_TRUE(is_error(anonymous().get("/v2/events"), 401, "missing_api_key", ""));
  EXPECT_TRUE(is_error(anonymous().request("PUT", "/v1/events", "{}"), 401, "missing_api_key", ""));
}

TEST_F(MetaApiTest, WrongMethodIs405WithAllowHeader) {
  auto c = client();
  struct Case {
    const char* method;
    const char* path;
    std::set<std::string> allowed;
  };
  for (const auto& [method, path, allowed] : std::vector<Case>{
           {"DELETE", "/v1/events", {"GET", "POST"}},
           {"PUT", "/v1/endpoints/ep_01M8630E7ME35QMTP8DMYYR6KP", {"GET", "PATCH", "DELETE"}},
           {"POST", "/v1/event-types", {"GET"}},
           {"POST", "/health", {"GET"}},
           {"PATCH", "/v1/deliveries", {"GET"}},
       }) {
    auto response = c.request(method, path, "{}");
    ASSERT_TRUE(is_error(response, 405, "method_not_allowed")) << method << " " << path;
    std::set<std::string> got;
    std::string allow = response.header("Allow");
    for (size_t start = 0; start < allow.size();) {
      size_t end = allow.find(',', start);
      if (end == std::string::npos) end = allow.size();
      std::string m = allow.substr(start, end - start);
      m.erase(0, m.find_first_not_of(' '));
      got.insert(m);
      start = end + 1;
    }
    EXPECT_EQ(got, allowed) << method << " " << path << " Allow: " << allow;
  }
}

TEST_F(MetaApiTest, EveryAnswerCarriesAUniqueRequestId) {
  auto c = client();
  auto no_key = anonymous();
  const std::regex request_id("req_[0-9A-HJKMNP-TV-Z]{26}");
  std::vector<Response> responses{
      no_key.get("/health"),
      no_key.get("/openapi.json"),
      c.get("/v1/event-types"),
      c.get("/v1/events?limit=1"),
      c.post("/v1/events", invoice_event(unique_name("inv_rid_"))),
      c.post("/v1/events", std::string_view("{nope")),
      no_key.get("/v1/events"),
      c.get("/v1/nowhere"),
      c.request("PUT", "/v1/events", "{}"),
      c.get("/v1/events/evt_00000000000000000000000000"),
      // Refused by the HTTP layer before the API sees them.
      c.get("/v1/events", {{"X-Padding", std::string(20'000, 'x')}}),
      c.post("/v1/events", std::string((1 << 20) + 1, ' ')),
  };
  const std::vector<int> expected_status{200, 200, 200, 200, 202, 400, 401, 404, 405, 404, 431, 413};
  ASSERT_EQ(responses.size(), expected_status.size());
  std::set<std::string> seen;
  for (size_t i = 0; i < responses.size(); ++i) {
    const auto& r = responses[i];
    EXPECT_EQ(r.status, expected_status[i]) << "request " << i << ": " << describe(r);
    ASSERT_NE(r.status, 0) << r.error;
    const std::string id = r.header("Request-Id");
    EXPECT_TRUE(std::regex_match(id, request_id)) << "status " << r.status << " Request-Id '" << id << "'";
    EXPECT_TRUE(seen.insert(id).second) << "Request-Id repeated: " << id;
    if (r.status >= 400) {
      EXPECT_EQ(r.header("Content-Type"), "application/json");
      ASSERT_TRUE(r.json().as_object().contains("error")) << describe(r);
      EXPECT_EQ(r.json().at("error").at("request_id").as_string(), id);
    }
  }
}

}  // namespace
}  // namespace billhook::testing
