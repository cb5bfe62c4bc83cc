// /v1/api-keys on the real server (one node, SQLite): a created key's secret works at once and is shown
// only then; the list shows its prefix and last use; a revoked key, and the dashboard sessions opened
// with it, are refused from the revocation's answer on; the last key cannot be revoked; a revoked
// --api-key stays revoked across a restart.

#include "integration/dashboard_session.hpp"
#include "integration/integration_helpers.hpp"

namespace billhook::testing {
namespace {

class ApiKeysApiTest : public ServerTest {
 protected:
  void SetUp() override { start_server({}); }

  // A new key: its answer, checked for the shape every create answers with.
  json::object create(const std::string& name) {
    const auto created = client_->post("/v1/api-keys", json::object{{"name", name}});
    EXPECT_EQ(created.status, 201) << describe(created);
    auto key = created.json().as_object();
    EXPECT_EQ(str(key.at("object")), "api_key");
    EXPECT_TRUE(str(key.at("id")).starts_with("key_"));
    EXPECT_EQ(str(key.at("name")), name);
    const std::string secret = str(key.at("secret"));
    EXPECT_TRUE(secret.starts_with("bhk_")) << secret;
    EXPECT_EQ(secret.size(), 52u);
    EXPECT_EQ(str(key.at("prefix")), secret.substr(0, 10));
    EXPECT_TRUE(key.at("created_at").is_int64());
    EXPECT_TRUE(key.at("last_used_at").is_null());
    EXPECT_FALSE(key.contains("hash"));
    return key;
  }

  HttpClient client_with(const std::string& secret) { return HttpClient(server_->port(), secret); }

  std::vector<json::object> listed() { return list_all(*client_, "/v1/api-keys"); }
};

TEST_F(ApiKeysApiTest, CreatedKeyWorksIsListedWithItsLastUseAndStopsWhenRevoked) {
  const auto key = create("deploy bot");
  const std::string id = str(key.at("id"));
  const std::string secret = str(key.at("secret"));
  auto bot = client_with(secret);
  const auto used = bot.get("/v1/events");
  ASSERT_EQ(used.status, 200) << describe(used);

  const auto keys = listed();
  ASSERT_EQ(keys.size(), 2u) << "the --api-key key and the new one";
  EXPECT_EQ(str(keys[0].at("id")), id) << "newest first";
  for (const auto& k : keys) {
    EXPECT_FALSE(k.contains("secret")) << "a list never shows a secret";
    EXPECT_FALSE(k.contains("hash"));
  }
  EXPECT_EQ(str(keys[0].at("prefix")), secret.substr(0, 10));
  ASSERT_TRUE(keys[0].at("last_used_at").is_int64()) << json::serialize(keys[0]);
  EXPECT_GE(keys[0].at("last_used_at").as_int64(), key.at("created_at").as_int64());
  // The --api-key key made at start shows the prefix of what was passed.
  EXPECT_EQ(str(keys[1].at("prefix")), std::string(ServerOptions::kDefaultApiKey).substr(0, 10));

  const auto one = client_->get("/v1/api-keys/" + id);
  ASSERT_EQ(one.status, 200) << describe(one);
  EXPECT_EQ(str(one.json().at("name")), "deploy bot");
  EXPECT_FALSE(one.json().as_object().contains("secret"));

  const auto revoked = client_->del("/v1/api-keys/" + id);
  ASSERT_EQ(revoked.status, 200) << describe(revoked);
  EXPECT_EQ(revoked.json().at("deleted").as_bool(), true);
  EXPECT_TRUE(is_error(bot.get("/v1/events"), 401, "invalid_api_key")) << "revoked on one node: refused at once";
  EXPECT_TRUE(is_error(client_->get("/v1/api-keys/" + id), 404, "api_key_not_found"));
  EXPECT_TRUE(is_error(client_->del("/v1/api-keys/" + id), 404, "api_key_not_found"));
  EXPECT_EQ(listed().size(), 1u);
  EXPECT_EQ(client_->get("/v1/events").status, 200) << "the other key still works";
}

TEST_F(ApiKeysApiTest, TheLastKeyCannotBeRevokedAndAKeyCanBeRotatedWithoutDowntime) {
  const auto keys = listed();
  ASSERT_EQ(keys.size(), 1u);
  const std::string startup_id = str(keys[0].at("id"));
  const auto refused = client_->del("/v1/api-keys/" + startup_id);
  ASSERT_TRUE(is_error(refused, 409, "last_api_key")) << describe(refused);
  EXPECT_NE(str(refused.json().at("error").at("message")).find("create another"), std::string::npos);
  EXPECT_EQ(client_->get("/v1/events").status, 200) << "the refused revocation changed nothing";

  // Rotation: a new key first, then the old one revoked (here with the new key itself).
  const auto next = create("rotated");
  auto rotated = client_with(str(next.at("secret")));
  ASSERT_EQ(rotated.del("/v1/api-keys/" + startup_id).status, 200);
  EXPECT_TRUE(is_error(client_->get("/v1/events"), 401, "invalid_api_key"));
  EXPECT_TRUE(is_error(rotated.del("/v1/api-keys/" + str(next.at("id"))), 409, "last_api_key"));
}

TEST_F(ApiKeysApiTest, BadInputIs400AndCreatesNothing) {
  struct Case {
    std::string body;
    std::string code;
    std::string param;
  };
  const std::vector<Case> cases = {
      {"{}", "missing_field", "name"},
      {R"({"name":""})", "invalid_value", "name"},
      {R"({"name":5})", "invalid_type", "name"},
      {R"({"name":null})", "invalid_type", "name"},
      {R"({"name":")" + std::string(101, 'x') + R"("})", "too_long", "name"},
      {R"({"name":"ok","scopes":["all"]})", "unknown_parameter", "scopes"},
      {R"({"name":"ok","secret":"bhk_mine"})", "unknown_parameter", "secret"},
      {"[]", "invalid_body", ""},
      {"{\"name\":", "malformed_json", ""},
  };
  for (const auto& c : cases)
    EXPECT_TRUE(is_error(client_->post("/v1/api-keys", c.body), 400, c.code,
                         c.param.empty() ? std::nullopt : std::optional<std::string_view>(c.param)))
        << c.body;
  EXPECT_EQ(listed().size(), 1u) << "no bad request created a key";
  EXPECT_EQ(client_->post("/v1/api-keys", json::object{{"name", std::string(100, 'x')}}).status, 201)
      << "100 characters is the limit, not past it";

  EXPECT_TRUE(is_error(client_->get("/v1/api-keys?sort=name"), 400, "unknown_parameter", "sort"));
  EXPECT_TRUE(is_error(client_->get("/v1/api-keys?limit=0"), 400, ""));
  EXPECT_TRUE(is_error(client_->get("/v1/api-keys?starting_after=ep_01M8630E7ME35QMTP8DMYYR6KP"), 400, "invalid_id"));
  EXPECT_TRUE(is_error(client_->get("/v1/api-keys/not-a-key-id"), 404, "api_key_not_found"));
  EXPECT_TRUE(is_error(client_->del("/v1/api-keys/not-a-key-id"), 404, "api_key_not_found"));
  EXPECT_EQ(listed().size(), 2u) << "nothing was revoked";
}

// A retry with the same Idempotency-Key makes no second key, and its answer holds no secret: the answer
// kept for replays is stored, and the secret is stored nowhere.
TEST_F(ApiKeysApiTest, IdempotencyKeyMakesOneKeyAndReplaysItWithoutItsSecret) {
  const Headers once = {{"Idempotency-Key", "create-key-once"}};
  const auto first = client_->post("/v1/api-keys", json::object{{"name", "ci"}}, once);
  ASSERT_EQ(first.status, 201) << describe(first);
  const auto again = client_->post("/v1/api-keys", json::object{{"name", "ci"}}, once);
  ASSERT_EQ(again.status, 201) << describe(again);
  EXPECT_EQ(again.header("Idempotent-Replayed"), "true");
  EXPECT_EQ(again.json().at("id"), first.json().at("id"));
  EXPECT_TRUE(first.json().at("secret").is_string());
  EXPECT_TRUE(again.json().at("secret").is_null());
  EXPECT_EQ(listed().size(), 2u);
  EXPECT_TRUE(is_error(client_->post("/v1/api-keys", json::object{{"name", "other"}}, once), 409,
                       "idempotency_key_reused"));
}

TEST_F(ApiKeysApiTest, ADashboardSessionEndsWithItsKey) {
  const auto key = create("dashboard user");
  HttpClient browser(server_->port(), std::nullopt);
  const auto session = sign_in(browser, str(key.at("secret")));
  const Headers cookie = {{"Cookie", session.cookie}};
  ASSERT_EQ(browser.get("/dashboard/api/v1/events", cookie).status, 200);

  ASSERT_EQ(client_->del("/v1/api-keys/" + str(key.at("id"))).status, 200);
  EXPECT_TRUE(is_error(browser.get("/dashboard/api/v1/events", cookie), 401, "session_required"));
  const auto page = browser.get("/dashboard/", cookie);
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("name=\"sign_in_token\""), std::string::npos) << "the sign-in page, not the dashboard";
  // A session opened with a key that still works is untouched.
  const auto other = sign_in(browser, ServerOptions::kDefaultApiKey);
  EXPECT_EQ(browser.get("/dashboard/api/v1/events", {{"Cookie", other.cookie}}).status, 200);
}

// Last uses are written in the background and at shutdown, so a restart still shows them; a revoked
// --api-key given again at the restart stays revoked.
TEST_F(ApiKeysApiTest, LastUseSurvivesARestartAndARevokedStartupKeyStaysRevoked) {
  const auto used = create("used once");
  const auto reader = create("reader");  // reads after the restart: a request notes a use of its own key
  ASSERT_EQ(client_with(str(used.at("secret"))).get("/v1/events").status, 200);
  auto reading = client_with(str(reader.at("secret")));
  const std::string startup_id = str(listed().back().at("id"));
  ASSERT_EQ(reading.del("/v1/api-keys/" + startup_id).status, 200);

  restart_server();  // still with --api-key testkey-…
  reading.set_port(server_->port());
  EXPECT_TRUE(is_error(client_->get("/v1/events"), 401, "invalid_api_key")) << "the revoked key came back";
  const auto one = reading.get("/v1/api-keys/" + str(used.at("id")));
  ASSERT_EQ(one.status, 200) << describe(one);
  EXPECT_TRUE(one.json().at("last_used_at").is_int64()) << "the last use was not written at shutdown";
  EXPECT_NE(server_->stderr_text().find("was revoked"), std::string::npos) << server_->stderr_text();
}

}  // namespace
}  // namespace billhook::testing
