// The dashboard's doors over plain HTTP: signing in with an API key opens a server-side session held in
// a strict cookie; its API answers only that session, and changes only with the session's CSRF token;
// signing out ends it for good; the pages run no inline script.

#include "integration/dashboard_session.hpp"
#include "integration/integration_helpers.hpp"

namespace billhook::testing {
namespace {

class DashboardSecurityTest : public ServerTest {
 protected:
  void SetUp() override { start_server({}); }

  // A browser: no API key, only the cookies it is given.
  HttpClient browser() const { return HttpClient(server_->port(), std::nullopt); }

  Response call(const DashboardSession& session, std::string_view method, const std::string& path,
                std::string_view body = {}, std::optional<std::string> csrf = std::nullopt) {
    auto b = browser();
    Headers headers{{"Cookie", session.cookie}};
    if (csrf) headers.emplace_back("X-CSRF-Token", *csrf);
    return b.request(method, "/dashboard/api" + path, body, headers);
  }

  size_t endpoint_count() {
    const auto list = client_->request("GET", "/v1/endpoints?limit=100");
    return list.json().at("data").as_array().size();
  }

  static constexpr std::string_view kEndpoint = R"({"url": "http://127.0.0.1:9/hook"})";
};

TEST_F(DashboardSecurityTest, WithoutASessionEveryDashboardApiCallIs401) {
  auto b = browser();
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/v1/endpoints"}, {"POST", "/v1/endpoints"}, {"GET", "/v1/events"}, {"GET", "/v1/deliveries"},
           {"POST", "/v1/deliveries/dlv_0/retry"}, {"GET", "/v1/nothing-here"}}) {
    for (const std::string cookie : {"", "billhook_session=", "billhook_session=0123456789abcdef"}) {
      Headers headers;
      if (!cookie.empty()) headers.emplace_back("Cookie", cookie);
      const auto r = b.request(method, "/dashboard/api" + path, method == "POST" ? kEndpoint : "", headers);
      EXPECT_EQ(r.status, 401) << method << " " << path << " cookie '" << cookie << "': " << describe(r);
    }
  }
  // The API key is for the JSON API; the dashboard's API answers sessions only.
  HttpClient with_key(server_->port(), server_->api_key());
  EXPECT_EQ(with_key.request("GET", "/dashboard/api/v1/endpoints").status, 401);
  EXPECT_EQ(endpoint_count(), 0u);
}

TEST_F(DashboardSecurityTest, SigningInSetsAStrictHttpOnlySessionCookieAndTheShellRunsNoInlineScript) {
  auto b = browser();
  const auto session = sign_in(b, server_->api_key());
  EXPECT_NE(session.set_cookie.find("; HttpOnly"), std::string::npos) << session.set_cookie;
  EXPECT_NE(session.set_cookie.find("; SameSite=Strict"), std::string::npos) << session.set_cookie;
  EXPECT_NE(session.set_cookie.find("; Path=/dashboard"), std::string::npos) << session.set_cookie;
  EXPECT_EQ(session.set_cookie.find("Secure"), std::string::npos) << "plain HTTP: " << session.set_cookie;

  const auto shell = b.request("GET", "/dashboard/", {}, {{"Cookie", session.cookie}});
  ASSERT_EQ(shell.status, 200);
  const std::string csp = shell.header("content-security-policy");
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe"), std::string::npos) << csp;
  EXPECT_EQ(shell.header("cache-control"), "no-store");
  // Every script is a file of this server: none has a body.
  EXPECT_EQ(find_group(shell.body, "<script([^>]*)>"), " type=\"module\" src=\"assets/app.js\"");
  EXPECT_EQ(shell.body.find("<script>"), std::string::npos);

  const auto app = b.request("GET", "/dashboard/assets/app.js");
  EXPECT_EQ(app.status, 200);
  EXPECT_EQ(app.header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_NE(app.body.find("start()"), std::string::npos);
  EXPECT_EQ(b.request("GET", "/dashboard/assets/nothing.js").status, 404);
}

TEST_F(DashboardSecurityTest, AWrongKeyOrAFormWithoutItsTokenOpensNoSession) {
  auto b = browser();
  const auto form = open_sign_in(b);
  ASSERT_FALSE(form.token.empty());
  const auto wrong = post_sign_in(b, form, "bhk_000000000000000000000000000000000000000000000000");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_NE(wrong.body.find("That API key is not valid."), std::string::npos);
  EXPECT_EQ(wrong.header("set-cookie").find("billhook_session"), std::string::npos);

  const auto forged = post_sign_in(b, {form.token, "billhook_sign_in=ffff"}, server_->api_key());
  EXPECT_EQ(forged.status, 403) << describe(forged);
  EXPECT_EQ(forged.header("set-cookie").find("billhook_session"), std::string::npos);
}

TEST_F(DashboardSecurityTest, ASessionReadsButChangesNothingWithoutItsCsrfToken) {
  auto b = browser();
  const auto session = sign_in(b, server_->api_key());
  EXPECT_EQ(call(session, "GET", "/v1/endpoints").status, 200);

  const auto without = call(session, "POST", "/v1/endpoints", kEndpoint);
  EXPECT_EQ(without.status, 403) << describe(without);
  EXPECT_EQ(without.json().at("error").at("code").as_string(), "csrf_token_invalid");
  std::string wrong = session.csrf;
  wrong[0] = wrong[0] == '0' ? '1' : '0';  // one character off
  EXPECT_EQ(call(session, "POST", "/v1/endpoints", kEndpoint, wrong).status, 403);
  EXPECT_EQ(call(session, "POST", "/v1/endpoints", kEndpoint, "").status, 403);
  EXPECT_EQ(endpoint_count(), 0u);

  const auto created = call(session, "POST", "/v1/endpoints", kEndpoint, session.csrf);
  EXPECT_EQ(created.status, 201) << describe(created);
  EXPECT_EQ(endpoint_count(), 1u);
  const std::string id(created.json().at("id").as_string());
  EXPECT_EQ(call(session, "DELETE", "/v1/endpoints/" + id).status, 403);
  EXPECT_EQ(call(session, "PATCH", "/v1/endpoints/" + id, R"({"enabled": false})").status, 403);
  EXPECT_TRUE(client_->request("GET", "/v1/endpoints/" + id).json().at("enabled").as_bool());
}

TEST_F(DashboardSecurityTest, ACookieFromBeforeSignOutIs401AndSignOutNeedsTheCsrfToken) {
  auto b = browser();
  const auto session = sign_in(b, server_->api_key());
  const auto refused = b.request("POST", "/dashboard/sign-out", "csrf_token=nope",
                                 {{"Cookie", session.cookie}, {"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(call(session, "GET", "/v1/endpoints").status, 200) << "a refused sign-out leaves the session";

  const auto out = b.request("POST", "/dashboard/sign-out", "csrf_token=" + session.csrf,
                             {{"Cookie", session.cookie}, {"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(out.status, 303);
  EXPECT_EQ(out.header("set-cookie").rfind("billhook_session=;", 0), 0u) << out.header("set-cookie");
  EXPECT_EQ(call(session, "GET", "/v1/endpoints").status, 401);
  EXPECT_EQ(call(session, "POST", "/v1/endpoints", kEndpoint, session.csrf).status, 401);
  const auto page = b.request("GET", "/dashboard/", {}, {{"Cookie", session.cookie}});
  EXPECT_NE(page.body.find("id=\"api_key\""), std::string::npos) << "the sign-in page again";
  EXPECT_EQ(page.body.find("csrf-token"), std::string::npos);
  EXPECT_EQ(endpoint_count(), 0u);
}

TEST_F(DashboardSecurityTest, ASessionOutlivesARestartAndItsSignOutToo) {
  auto b = browser();
  const auto kept = sign_in(b, server_->api_key());
  const auto ended = sign_in(b, server_->api_key());
  ASSERT_EQ(b.request("POST", "/dashboard/sign-out", "csrf_token=" + ended.csrf,
                      {{"Cookie", ended.cookie}, {"Content-Type", "application/x-www-form-urlencoded"}})
                .status,
            303);
  restart_server();
  EXPECT_EQ(call(kept, "GET", "/v1/endpoints").status, 200) << "a restart signed the dashboard out";
  EXPECT_EQ(call(kept, "POST", "/v1/endpoints", kEndpoint, kept.csrf).status, 201)
      << "the session's CSRF token changed with the restart";
  EXPECT_EQ(call(ended, "GET", "/v1/endpoints").status, 401) << "a signed-out session came back with the restart";
}

TEST_F(DashboardSecurityTest, OverTlsTheCookiesAreSecure) {
  server_.reset();
  start_server({"--public-url", "https://billing.example.com"});
  auto b = browser();
  const auto form_page = b.request("GET", "/dashboard/");
  EXPECT_NE(form_page.header("set-cookie").find("; Secure"), std::string::npos) << form_page.header("set-cookie");
  const auto session = sign_in(b, server_->api_key());
  EXPECT_NE(session.set_cookie.find("; Secure"), std::string::npos) << session.set_cookie;
}

TEST_F(DashboardSecurityTest, TheDashboardAddressLeadsToItsPage) {
  auto b = browser();
  const auto r = b.request("GET", "/dashboard");
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(r.header("location"), "/dashboard/");
}

}  // namespace
}  // namespace billhook::testing
