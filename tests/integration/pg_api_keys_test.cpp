// API keys with several nodes on one PostgreSQL database: a key created through one node works on the
// others within seconds (each refreshes its keys every second), and a key revoked through one node —
// with the dashboard sessions opened with it — stops working on the others within seconds.

#include "integration/dashboard_session.hpp"
#include "integration/integration_helpers.hpp"
#include "support/pg_test_database.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;

TEST(PgApiKeysTest, AKeyCreatedOrRevokedOnOneNodeTakesEffectOnTheOtherWithinSeconds) {
  BILLHOOK_REQUIRE_POSTGRES();
  PgTestDatabase database;
  ASSERT_TRUE(database.available()) << database.error();

  ServerOptions options;
  options.extra_args = {"--database-url", database.url()};
  ServerProcess a(options);
  ServerProcess b(options);
  auto on_a = client_for(a);

  const auto created = on_a.post("/v1/api-keys", json::object{{"name", "shared"}});
  ASSERT_EQ(created.status, 201) << describe(created);
  const std::string id = str(created.json().at("id"));
  HttpClient new_key_on_b(b.port(), str(created.json().at("secret")));
  ASSERT_TRUE(wait_until([&] { return new_key_on_b.get("/v1/events").status == 200; }, 5s,
                         "node b to accept the key created on node a"));

  HttpClient browser_on_b(b.port(), std::nullopt);
  const auto session = sign_in(browser_on_b, str(created.json().at("secret")));
  const Headers cookie = {{"Cookie", session.cookie}};
  ASSERT_EQ(browser_on_b.get("/dashboard/api/v1/events", cookie).status, 200);

  ASSERT_EQ(on_a.del("/v1/api-keys/" + id).status, 200);
  ASSERT_TRUE(wait_until([&] { return new_key_on_b.get("/v1/events").status == 401; }, 5s,
                         "node b to refuse the key revoked on node a"));
  EXPECT_TRUE(is_error(new_key_on_b.get("/v1/events"), 401, "invalid_api_key"));
  EXPECT_TRUE(is_error(browser_on_b.get("/dashboard/api/v1/events", cookie), 401, "session_required"))
      << "a dashboard session on node b outlived its key's revocation on node a";
  EXPECT_EQ(client_for(b).get("/v1/events").status, 200) << "the other key still works on node b";
}

TEST(PgApiKeysTest, ADashboardSessionOpenedOnOneNodeWorksOnTheOtherUntilSignedOutOnEither) {
  BILLHOOK_REQUIRE_POSTGRES();
  PgTestDatabase database;
  ASSERT_TRUE(database.available()) << database.error();

  ServerOptions options;
  options.extra_args = {"--database-url", database.url()};
  ServerProcess a(options);
  ServerProcess b(options);
  HttpClient browser_on_a(a.port(), std::nullopt);
  HttpClient browser_on_b(b.port(), std::nullopt);

  const auto session = sign_in(browser_on_a, a.api_key());
  const Headers cookie = {{"Cookie", session.cookie}};
  const Headers cookie_and_csrf = {{"Cookie", session.cookie}, {"X-CSRF-Token", session.csrf}};
  // Behind a load balancer the next request may reach the other node: no wait, no second sign-in.
  ASSERT_EQ(browser_on_b.get("/dashboard/api/v1/events", cookie).status, 200);
  const auto created = browser_on_b.request("POST", "/dashboard/api/v1/endpoints",
                                            R"({"url": "http://127.0.0.1:9/hook"})", cookie_and_csrf);
  EXPECT_EQ(created.status, 201) << "the session's CSRF token is not the same on the other node: " << describe(created);

  const auto out = browser_on_b.request(
      "POST", "/dashboard/sign-out", "csrf_token=" + session.csrf,
      {{"Cookie", session.cookie}, {"Content-Type", "application/x-www-form-urlencoded"}});
  ASSERT_EQ(out.status, 303) << describe(out);
  EXPECT_TRUE(is_error(browser_on_a.get("/dashboard/api/v1/events", cookie), 401, "session_required"))
      << "signed out on node b, the session still works on node a";
  EXPECT_TRUE(is_error(browser_on_b.get("/dashboard/api/v1/events", cookie), 401, "session_required"));
}

}  // namespace
}  // namespace billhook::testing
