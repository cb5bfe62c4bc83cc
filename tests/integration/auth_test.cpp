// Authentication of the real server: Bearer API keys, public routes, and the key a server
// mints on its first start without --api-key.

#include <regex>

#include "integration/integration_helpers.hpp"

namespace billhook::testing {
namespace {

class AuthTest : public SharedServerTest<AuthTest> {};

struct Route {
  const char* method;
  const char* path;
};
const std::vector<Route> kProtectedRoutes = {
    {"GET", "/v1/event-types"},
    {"GET", "/v1/event-types/invoice.paid"},
    {"GET", "/v1/endpoints"},
    {"POST", "/v1/endpoints"},
    {"GET", "/v1/endpoints/ep_01M8630E7ME35QMTP8DMYYR6KP"},
    {"PATCH", "/v1/endpoints/ep_01M8630E7ME35QMTP8DMYYR6KP"},
    {"DELETE", "/v1/endpoints/ep_01M8630E7ME35QMTP8DMYYR6KP"},
    {"GET", "/v1/endpoints/ep_01M8630E7ME35QMTP8DMYYR6KP/secret"},
    {"GET", "/v1/events"},
    {"POST", "/v1/events"},
    {"GET", "/v1/events/evt_01M8630E7ME35QMTP8DMYYR6KP"},
    {"GET", "/v1/deliveries"},
    {"GET", "/v1/deliveries/del_01M8630E7ME35QMTP8DMYYR6KP"},
};

TEST_F(AuthTest, MissingAuthorizationIs401OnEveryProtectedRoute) {
  HttpClient anonymous(server_->port(), std::nullopt);
  const std::string body = json::serialize(invoice_event(unique_name("inv_auth_")));
  for (const auto& [method, path] : kProtectedRoutes) {
    auto response = anonymous.request(method, path, std::string_view(method) == "GET" ? "" : body);
    EXPECT_TRUE(is_error(response, 401, "missing_api_key", "")) << method << " " << path;
    EXPECT_EQ(response.json().at("error").at("type").as_string(), "authentication_error");
  }
}

TEST_F(AuthTest, WrongApiKeyIs401) {
  HttpClient wrong(server_->port(), std::string("testkey-0123456789abcdeX"));
  for (const auto& [method, path] : kProtectedRoutes)
    EXPECT_TRUE(is_error(wrong.request(method, path, std::string_view(method) == "GET" ? "" : "{}"), 401,
                         "invalid_api_key", ""))
        << method << " " << path;
  HttpClient empty_key(server_->port(), std::string(""));
  EXPECT_EQ(empty_key.get("/v1/events").status, 401);
}

TEST_F(AuthTest, NonBearerAuthorizationIs401) {
  HttpClient c(server_->port(), std::nullopt);
  EXPECT_TRUE(is_error(c.get("/v1/events", {{"Authorization", "Basic dGVzdDp0ZXN0"}}), 401, "invalid_authorization"));
  EXPECT_TRUE(is_error(c.get("/v1/events", {{"Authorization", std::string(ServerOptions::kDefaultApiKey)}}), 401,
                       "invalid_authorization"));
}

TEST_F(AuthTest, RightApiKeyIsAccepted) {
  auto c = client_for(*server_);
  auto response = c.get("/v1/events");
  EXPECT_EQ(response.status, 200) << describe(response);
}

TEST_F(AuthTest, UnauthenticatedPublishStoresNothing) {
  auto c = client_for(*server_);
  const std::string invoice = unique_name("inv_auth_");
  HttpClient wrong(server_->port(), std::string("testkey-0123456789abcdeX"));
  HttpClient anonymous(server_->port(), std::nullopt);
  EXPECT_EQ(wrong.post("/v1/events", invoice_event(invoice)).status, 401);
  EXPECT_EQ(anonymous.post("/v1/events", invoice_event(invoice)).status, 401);
  EXPECT_EQ(wrong.post("/v1/endpoints", json::object{{"url", "http://127.0.0.1:9/"}}).status, 401);
  EXPECT_EQ(count_all(c, "/v1/events?aggregate_type=invoice&aggregate_id=" + invoice), 0u);
  EXPECT_EQ(count_all(c, "/v1/endpoints"), 0u);
}

TEST_F(AuthTest, PublicRoutesNeedNoKey) {
  HttpClient anonymous(server_->port(), std::nullopt);
  EXPECT_EQ(anonymous.get("/health").status, 200);
  EXPECT_EQ(anonymous.get("/openapi.json").status, 200);
}

const std::regex kGeneratedKey("bhk_[0-9a-f]{48}");

TEST(GeneratedApiKeyTest, PrintedOnFirstStartOnlyAndWorks) {
  ServerOptions options;
  options.api_key = std::nullopt;
  ServerProcess server(options);
  std::smatch match;
  const std::string first = server.startup_output();
  ASSERT_TRUE(std::regex_search(first, match, kGeneratedKey)) << "no generated key on stdout:\n" << first;
  const std::string key = match.str();
  EXPECT_EQ(server.api_key(), key);
  EXPECT_EQ(server.stderr_text().find(key), std::string::npos) << "the key must not be logged";

  HttpClient c(server.port(), key);
  EXPECT_EQ(c.get("/v1/events").status, 200);
  HttpClient other(server.port(), std::string("bhk_000000000000000000000000000000000000000000000000"));
  EXPECT_EQ(other.get("/v1/events").status, 401);

  server.restart();
  EXPECT_EQ(server.startup_output().find("bhk_"), std::string::npos) << "a restart must not print a key:\n"
                                                                     << server.startup_output();
  c.set_port(server.port());
  EXPECT_EQ(c.get("/v1/events").status, 200) << "the generated key must survive a restart";
}

// The usage hint printed with a new key must be a command that works: with --listen
// 127.0.0.1:0 it has to name the port actually bound, not ":0".
TEST(GeneratedApiKeyTest, UsageHintNamesTheBoundPort) {
  ServerOptions options;
  options.api_key = std::nullopt;
  ServerProcess server(options);
  const std::string& out = server.startup_output();
  const size_t hint = out.find("Use it as:");
  ASSERT_NE(hint, std::string::npos) << out;
  const std::string line = out.substr(hint, out.find('\n', hint) - hint);
  EXPECT_NE(line.find("http://127.0.0.1:" + std::to_string(server.port()) + "/"), std::string::npos) << line;
}

TEST(GeneratedApiKeyTest, NoKeyPrintedWhenOneIsGiven) {
  ServerProcess server;
  EXPECT_EQ(server.startup_output().find("bhk_"), std::string::npos) << server.startup_output();
  EXPECT_EQ(server.startup_output().find(ServerOptions::kDefaultApiKey), std::string::npos);
}

TEST(GeneratedApiKeyTest, KeyGivenOnceKeepsWorkingWithoutTheFlag) {
  ServerOptions options;
  options.api_key = std::string("first-key-0123456789abcdef");
  ServerProcess server(options);
  // Restarting on the same data dir without --api-key keeps the stored key and mints none.
  const std::filesystem::path data = server.data_dir();
  EXPECT_EQ(server.stop(), 0);
  ServerOptions reuse;
  reuse.api_key = std::nullopt;
  reuse.data_dir = data;
  ServerProcess again(reuse);
  EXPECT_EQ(again.startup_output().find("bhk_"), std::string::npos) << again.startup_output();
  HttpClient c(again.port(), std::string("first-key-0123456789abcdef"));
  EXPECT_EQ(c.get("/v1/events").status, 200);
}

}  // namespace
}  // namespace billhook::testing
