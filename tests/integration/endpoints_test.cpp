// /v1/endpoints on the real server: create, read, list, update, delete, the secret, filters
// and validation.

#include <regex>
#include <set>

#include "integration/integration_helpers.hpp"

namespace billhook::testing {
namespace {

// Decodes standard base64 (with padding); std::nullopt if `text` is not base64.
std::optional<std::string> base64_decode(std::string_view text) {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  size_t padding = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '=') {
      if (i + 2 < text.size()) return std::nullopt;
      ++padding;
      continue;
    }
    if (padding) return std::nullopt;
    const auto at = kAlphabet.find(c);
    if (at == std::string_view::npos) return std::nullopt;
    buffer = (buffer << 6) | static_cast<uint32_t>(at);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

std::vector<std::string> strings(const json::value& array) {
  std::vector<std::string> out;
  for (const auto& v : array.as_array()) out.push_back(str(v));
  return out;
}

class EndpointsTest : public SharedServerTest<EndpointsTest> {
 protected:

  // Creates an endpoint and returns its representation (with the secret).
  json::object create(json::object body) {
    auto response = client_->post("/v1/endpoints", body);
    EXPECT_EQ(response.status, 201) << describe(response);
    if (response.status != 201) throw std::runtime_error("create endpoint failed: " + describe(response));
    return response.json().as_object();
  }
};

TEST_F(EndpointsTest, CreateAnswers201WithAWhsecSecret) {
  auto response = client_->post("/v1/endpoints", json::object{{"url", "http://127.0.0.1:9/hook"}});
  ASSERT_EQ(response.status, 201) << describe(response);
  auto ep = response.json().as_object();
  EXPECT_TRUE(std::regex_match(str(ep.at("id")), std::regex("ep_[0-9A-Z]{26}"))) << ep.at("id");
  EXPECT_EQ(ep.at("object").as_string(), "endpoint");
  EXPECT_EQ(ep.at("url").as_string(), "http://127.0.0.1:9/hook");
  EXPECT_EQ(ep.at("enabled"), json::value(true));
  EXPECT_EQ(ep.at("metadata"), json::value(json::object()));
  const std::string secret = str(ep.at("secret"));
  ASSERT_TRUE(secret.starts_with("whsec_")) << secret;
  auto raw = base64_decode(std::string_view(secret).substr(6));
  ASSERT_TRUE(raw) << "not base64 after whsec_: " << secret;
  EXPECT_GE(raw->size(), 24u);
  EXPECT_LE(raw->size(), 64u);

  auto other = create(json::object{{"url", "http://127.0.0.1:9/hook"}});
  EXPECT_NE(str(other.at("secret")), secret) << "each endpoint gets its own secret";
  EXPECT_NE(str(other.at("id")), str(ep.at("id")));
}

TEST_F(EndpointsTest, SecretIsShownOnlyByTheSecretRoute) {
  auto ep = create(json::object{{"url", "https://127.0.0.1:8443/x"}, {"description", "secret test"}});
  const std::string id = str(ep.at("id"));
  const std::string secret = str(ep.at("secret"));

  auto got = client_->get("/v1/endpoints/" + id);
  ASSERT_EQ(got.status, 200) << describe(got);
  EXPECT_FALSE(got.json().as_object().contains("secret"));
  EXPECT_EQ(got.body.find(secret), std::string::npos);
  EXPECT_EQ(got.json().at("description").as_string(), "secret test");

  auto list = client_->get("/v1/endpoints?limit=100");
  ASSERT_EQ(list.status, 200) << describe(list);
  EXPECT_EQ(list.body.find("whsec_"), std::string::npos) << "a list shows no secret";
  bool listed = false;
  const auto listed_body = list.json();
  for (const auto& item : listed_body.at("data").as_array()) listed = listed || item.at("id").as_string() == id;
  EXPECT_TRUE(listed);

  auto shown = client_->get("/v1/endpoints/" + id + "/secret");
  ASSERT_EQ(shown.status, 200) << describe(shown);
  EXPECT_EQ(shown.json().at("secret").as_string(), secret);
}

TEST_F(EndpointsTest, FilterDefaultsToEverything) {
  auto ep = create(json::object{{"url", "http://127.0.0.1:9/"}});
  EXPECT_EQ(strings(ep.at("event_types")), std::vector<std::string>{"*"});
  EXPECT_TRUE(ep.at("categories").as_array().empty());
}

// The limits an endpoint gets when it names none are those the API's own document states, so that a
// default changed in one place cannot leave the other behind.
TEST_F(EndpointsTest, LimitsLeftOutAreTheDefaultsTheOpenApiDocumentStates) {
  auto document = client_->get("/openapi.json");
  ASSERT_EQ(document.status, 200) << describe(document);
  const auto schemas = document.json().at("components").at("schemas");
  const auto& stated = schemas.at("EndpointCreate").at("properties").at("max_in_flight").at("default");
  EXPECT_EQ(schemas.at("Endpoint").at("properties").at("max_in_flight").at("default"), stated);
  EXPECT_EQ(stated, json::value(32));

  auto ep = create(json::object{{"url", "http://127.0.0.1:9/"}});
  EXPECT_EQ(ep.at("max_in_flight"), stated);
  EXPECT_TRUE(ep.at("rate_limit").is_null()) << "no rate limit unless one is asked for";
  auto read_back = client_->get("/v1/endpoints/" + str(ep.at("id")));
  ASSERT_EQ(read_back.status, 200) << describe(read_back);
  EXPECT_EQ(read_back.json().at("max_in_flight"), stated) << "the default is stored, not only answered";
}

TEST_F(EndpointsTest, FilterNamesAreNormalizedToCanonicalNames) {
  auto ep = create(json::object{
      {"url", "http://127.0.0.1:9/"},
      {"event_types", json::array{"invoice_paid", "invoice.*", "customer.created", "INVOICE_PAYMENT_FAILED", "*"}},
      {"categories", json::array{"refund", "wallet"}}});
  EXPECT_EQ(strings(ep.at("event_types")),
            (std::vector<std::string>{"invoice.paid", "invoice.*", "customer.created", "invoice.payment_failed", "*"}));
  EXPECT_EQ(strings(ep.at("categories")), (std::vector<std::string>{"refund", "wallet"}));
  // What GET shows is what was stored.
  auto got = client_->get("/v1/endpoints/" + str(ep.at("id")));
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.json().at("event_types"), ep.at("event_types"));
  EXPECT_EQ(got.json().at("categories"), ep.at("categories"));

  auto only_categories = create(json::object{{"url", "http://127.0.0.1:9/"}, {"categories", json::array{"payment"}}});
  EXPECT_TRUE(only_categories.at("event_types").as_array().empty()) << only_categories.at("event_types");
  EXPECT_EQ(strings(only_categories.at("categories")), std::vector<std::string>{"payment"});
}

TEST_F(EndpointsTest, PatchChangesOnlyTheGivenFields) {
  auto ep = create(json::object{{"url", "http://127.0.0.1:9/a"},
                                {"description", "before"},
                                {"event_types", json::array{"invoice.paid"}},
                                {"metadata", json::object{{"team", "billing"}}}});
  const std::string id = str(ep.at("id"));
  const std::string secret = str(ep.at("secret"));

  auto patched = client_->patch("/v1/endpoints/" + id, json::object{{"description", "after"}});
  ASSERT_EQ(patched.status, 200) << describe(patched);
  auto p = patched.json().as_object();
  EXPECT_EQ(p.at("description").as_string(), "after");
  EXPECT_EQ(p.at("url"), ep.at("url"));
  EXPECT_EQ(p.at("event_types"), ep.at("event_types"));
  EXPECT_EQ(p.at("categories"), ep.at("categories"));
  EXPECT_EQ(p.at("metadata"), ep.at("metadata"));
  EXPECT_EQ(p.at("enabled"), ep.at("enabled"));
  EXPECT_FALSE(p.contains("secret"));

  ASSERT_EQ(client_->patch("/v1/endpoints/" + id, json::object{{"enabled", false}}).status, 200);
  ASSERT_EQ(
      client_
          ->patch("/v1/endpoints/" + id, json::object{{"url", "https://127.0.0.1:9443/b"},
                                                      {"event_types", json::array{"invoice_paid", "invoice.voided"}}})
          .status,
      200);
  auto got = client_->get("/v1/endpoints/" + id);
  ASSERT_EQ(got.status, 200);
  auto g = got.json().as_object();
  EXPECT_EQ(g.at("url").as_string(), "https://127.0.0.1:9443/b");
  EXPECT_EQ(g.at("description").as_string(), "after");
  EXPECT_EQ(g.at("enabled"), json::value(false));
  EXPECT_EQ(strings(g.at("event_types")), (std::vector<std::string>{"invoice.paid", "invoice.voided"}));
  EXPECT_EQ(g.at("metadata"), json::value(json::object{{"team", "billing"}}));
  EXPECT_EQ(client_->get("/v1/endpoints/" + id + "/secret").json().at("secret").as_string(), secret)
      << "an update keeps the secret";
}

TEST_F(EndpointsTest, PatchRejectsBadFieldsAndChangesNothing) {
  auto ep = create(json::object{{"url", "http://127.0.0.1:9/a"}, {"description", "keep"}});
  const std::string path = "/v1/endpoints/" + str(ep.at("id"));
  EXPECT_TRUE(is_error(client_->patch(path, json::object{{"url", "ftp://127.0.0.1/x"}, {"description", "lost"}}), 400,
                       "invalid_url", "url"));
  EXPECT_TRUE(
      is_error(client_->patch(path, json::object{{"secret", "whsec_abc"}}), 400, "unknown_parameter", "secret"));
  EXPECT_TRUE(is_error(client_->patch(path, json::object{{"event_types", json::array{"invoice.paid", "nope"}}}), 400,
                       "unknown_event_type", "event_types[1]"));
  EXPECT_TRUE(is_error(client_->patch(path, json::object{{"enabled", "no"}}), 400, "invalid_type", "enabled"));
  EXPECT_TRUE(is_error(client_->patch(path, std::string_view("[1]")), 400, "invalid_body"));
  auto got = client_->get(path).json().as_object();
  got.erase("updated");
  got.erase("health");  // what GET adds to the representation
  auto expected = ep;
  expected.erase("secret");
  expected.erase("updated");
  EXPECT_EQ(json::value(got), json::value(expected));
  EXPECT_TRUE(is_error(client_->patch("/v1/endpoints/ep_00000000000000000000000000", json::object{{"enabled", true}}),
                       404, "endpoint_not_found"));
}

TEST_F(EndpointsTest, DeleteThenGetIs404) {
  auto ep = create(json::object{{"url", "http://127.0.0.1:9/"}});
  const std::string path = "/v1/endpoints/" + str(ep.at("id"));
  auto deleted = client_->del(path);
  ASSERT_EQ(deleted.status, 200) << describe(deleted);
  EXPECT_EQ(deleted.json().at("deleted"), json::value(true));
  EXPECT_EQ(deleted.json().at("id"), ep.at("id"));
  EXPECT_TRUE(is_error(client_->get(path), 404, "endpoint_not_found"));
  EXPECT_TRUE(is_error(client_->get(path + "/secret"), 404, "endpoint_not_found"));
  EXPECT_TRUE(is_error(client_->del(path), 404, "endpoint_not_found"));
  EXPECT_TRUE(is_error(client_->patch(path, json::object{{"enabled", false}}), 404, "endpoint_not_found"));
  for (const auto& item : list_all(*client_, "/v1/endpoints")) EXPECT_NE(item.at("id"), ep.at("id"));
}

TEST_F(EndpointsTest, MalformedIdsAre404) {
  EXPECT_TRUE(is_error(client_->get("/v1/endpoints/nonsense"), 404, "endpoint_not_found"));
  EXPECT_TRUE(is_error(client_->get("/v1/endpoints/evt_00000000000000000000000000"), 404, "endpoint_not_found"));
  EXPECT_TRUE(is_error(client_->del("/v1/endpoints/ep_0"), 404, "endpoint_not_found"));
}

TEST_F(EndpointsTest, InvalidCreateRequestsAre400AndStoreNothing) {
  const size_t before = count_all(*client_, "/v1/endpoints");
  struct Case {
    json::value body;
    const char* code;
    const char* param;
  };
  const std::vector<Case> cases = {
      {json::object{}, "missing_field", "url"},
      {json::object{{"description", "no url"}}, "missing_field", "url"},
      {json::object{{"url", nullptr}}, "missing_field", "url"},
      {json::object{{"url", 5}}, "invalid_type", "url"},
      {json::object{{"url", "ftp://127.0.0.1/x"}}, "invalid_url", "url"},
      {json::object{{"url", "javascript:alert(1)"}}, "invalid_url", "url"},
      {json::object{{"url", "/relative/hook"}}, "invalid_url", "url"},
      {json::object{{"url", "127.0.0.1:9/hook"}}, "invalid_url", "url"},
      {json::object{{"url", "http:///no-host"}}, "invalid_url", "url"},
      {json::object{{"url", "http://127.0.0.1:9/"}, {"event_types", json::array{"invoice.paid", "invoice.nope"}}},
       "unknown_event_type", "event_types[1]"},
      {json::object{{"url", "http://127.0.0.1:9/"}, {"event_types", json::array{"nothing.*"}}}, "unknown_event_type",
       "event_types[0]"},
      {json::object{{"url", "http://127.0.0.1:9/"}, {"event_types", "invoice.paid"}}, "invalid_type", "event_types"},
      {json::object{{"url", "http://127.0.0.1:9/"}, {"event_types", json::array{7}}}, "invalid_type", "event_types[0]"},
      {json::object{{"url", "http://127.0.0.1:9/"}, {"categories", json::array{"payment", "nonsense"}}},
       "unknown_category", "categories[1]"},
      {json::object{{"url", "http://127.0.0.1:9/"}, {"metadata", json::object{{"ok", "yes"}, {"count", 1}}}},
       "invalid_type", "metadata.count"},
      {json::object{{"url", "http://127.0.0.1:9/"}, {"metadata", json::array{}}}, "invalid_type", "metadata"},
      {json::object{{"url", "http://127.0.0.1:9/"}, {"enabled", "true"}}, "invalid_type", "enabled"},
      {json::object{{"url", "http://127.0.0.1:9/" + std::string(2100, 'a')}}, "too_long", "url"},
      {json::object{{"url", "http://127.0.0.1:9/"}, {"description", std::string(1001, 'd')}}, "too_long",
       "description"},
      {json::object{{"url", "http://127.0.0.1:9/"}, {"colour", "red"}}, "unknown_parameter", "colour"},
      {json::object{{"url", "http://127.0.0.1:9/"}, {"secret", "whsec_AAAA"}}, "unknown_parameter", "secret"},
  };
  for (const auto& c : cases) {
    auto response = client_->post("/v1/endpoints", c.body);
    EXPECT_TRUE(is_error(response, 400, c.code, c.param)) << json::serialize(c.body);
  }
  EXPECT_EQ(count_all(*client_, "/v1/endpoints"), before) << "a refused request must store nothing";
}

TEST_F(EndpointsTest, ListPaginatesNewestFirst) {
  ServerProcess own;
  auto c = client_for(own);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto r = c.post("/v1/endpoints", json::object{{"url", "http://127.0.0.1:9/" + std::to_string(i)}});
    ASSERT_EQ(r.status, 201) << describe(r);
    ids.push_back(str(r.json().at("id")));
  }
  auto first = c.get("/v1/endpoints?limit=2").json().as_object();
  ASSERT_EQ(first.at("data").as_array().size(), 2u);
  EXPECT_TRUE(first.at("has_more").as_bool());
  EXPECT_EQ(first.at("data").at(0).at("id").as_string(), ids[4]);
  EXPECT_EQ(first.at("data").at(1).at("id").as_string(), ids[3]);
  std::vector<std::string> walked;
  for (const auto& item : list_all(c, "/v1/endpoints", 2)) walked.push_back(str(item.at("id")));
  EXPECT_EQ(walked, (std::vector<std::string>{ids.rbegin(), ids.rend()}));
  EXPECT_TRUE(is_error(c.get("/v1/endpoints?limit=0"), 400, "invalid_limit", "limit"));
  EXPECT_TRUE(is_error(c.get("/v1/endpoints?starting_after=evt_00000000000000000000000000"), 400, "invalid_id",
                       "starting_after"));
  EXPECT_TRUE(is_error(c.get("/v1/endpoints?url=x"), 400, "unknown_parameter", "url"));
}

}  // namespace
}  // namespace billhook::testing
