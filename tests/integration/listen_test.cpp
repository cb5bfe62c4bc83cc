// `billhook listen` on SQLite: forwarding, resuming after SIGKILL, retries, expiry, and bad input.

#include "integration/listen_checks.hpp"

namespace billhook::testing {
namespace {

TEST(ListenTest, ForwardsEveryEventSignedInOrderAndResumesAfterKill9) {
  ServerProcess server;
  expect_listen_forwards_and_resumes(server);
}

TEST(ListenTest, AFailedForwardIsRetriedAndAnUnpolledSessionExpires) {
  ServerOptions options;
  options.extra_args = {"--listen-session-expiry", "2s"};
  ServerProcess server(options);
  auto client = client_for(server);
  Receiver local;
  local.on("/hooks", fail_first(1, 500));
  auto listen = start_listen(server, local.url("/hooks"), {"--events", "invoice.paid"});
  const auto started = listen_started(*listen);

  const auto id = publish_event(client, "inv_listen_retry", "invoice.paid");
  // The session's schedule is the default one: the second try comes about 5 s after the first.
  ASSERT_TRUE(local.wait_for_requests("/hooks", 2, 30s)) << listen->stdout_text() << listen->stderr_text();
  const auto delivery = await_status(client, delivery_of(client, id, started.session_id), "succeeded", 2);
  const auto& attempts = delivery.at("attempts").as_array();
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(attempts[0].at("status_code").as_int64(), 500);
  EXPECT_EQ(attempts[1].at("status_code").as_int64(), 200);
  EXPECT_TRUE(listen->wait_for_stdout(
      [](const std::string& out) { return out.find("-> 500") != std::string::npos && out.find("-> 200") != std::string::npos; },
      10s))
      << listen->stdout_text();

  // Killed, it cannot delete its session: the server removes it once no poll has come for 2 s (after the
  // poll the dead listen left open runs out, 20 s at most).
  listen->kill9();
  EXPECT_NO_THROW(await_resource(
      client, "/v1/endpoints?limit=100",
      [&](const json::value& list) { return list.at("data").as_array().empty(); }, 60s));
  EXPECT_TRUE(is_error(client.get("/v1/listen-sessions/" + started.session_id), 404, "listen_session_not_found"));
}

TEST(ListenTest, BadInputIsRefusedAndCreatesNothing) {
  ServerProcess server;
  auto client = client_for(server);
  Receiver local;
  const auto no_endpoints = [&] { return count_all(client, "/v1/endpoints") == 0; };

  for (const std::string url : {"not a url", "ftp://127.0.0.1/hooks", "http:///hooks"}) {
    auto r = run_billhook({"listen", "--server", server.base_url(), "--api-key", server.api_key(), "--forward-to", url});
    EXPECT_EQ(r.exit_code, 2) << run_output(r);
    EXPECT_NE(r.stderr_text.find("--forward-to"), std::string::npos) << run_output(r);
  }
  const std::vector<std::pair<std::vector<std::string>, std::string>> refused = {
      {{"--events", "invoice.paid,invoice.nope"}, "unknown_event_type"},
      {{"--profile", "nosuch"}, "unknown_profile"},
      {{"--profile", "rapyd"}, "profile_needs_settings"},
      {{"--session", "ep_01M6A6FT00XVYV3BGVAXJXAZAK"}, "listen_session_not_found"},
  };
  for (const auto& [flags, code] : refused) {
    std::vector<std::string> args = {"listen", "--server", server.base_url(), "--forward-to", local.url("/hooks")};
    args.insert(args.end(), flags.begin(), flags.end());
    auto r = run_billhook(args, 20s, {{"BILLHOOK_API_KEY", server.api_key()}});
    EXPECT_EQ(r.exit_code, 1) << run_output(r);
    EXPECT_NE(r.stderr_text.find(code), std::string::npos) << run_output(r);
  }
  auto r = run_billhook({"listen", "--server", server.base_url(), "--forward-to", local.url("/hooks")});
  EXPECT_EQ(r.exit_code, 2) << "no API key: " << run_output(r);
  EXPECT_TRUE(no_endpoints());

  // The API itself.
  EXPECT_TRUE(is_error(client.post("/v1/listen-sessions", json::object{{"event_types", json::array{"invoice.nope"}}}),
                       400, "unknown_event_type"));
  EXPECT_TRUE(is_error(client.post("/v1/listen-sessions", json::object{{"profile", "nosuch"}}), 400, "unknown_profile",
                       "profile"));
  EXPECT_TRUE(is_error(client.post("/v1/listen-sessions", json::object{{"url", "http://127.0.0.1:1/"}}), 400,
                       "unknown_parameter"));
  EXPECT_TRUE(is_error(client.post("/v1/listen-sessions", json::object{{"event_types", "invoice.paid"}}), 400, ""));
  EXPECT_TRUE(no_endpoints());

  // An ordinary endpoint is no listen session.
  auto endpoint = client.post("/v1/endpoints", json::object{{"url", local.url("/other")}});
  ASSERT_EQ(endpoint.status, 201) << describe(endpoint);
  const auto endpoint_id = str(endpoint.json().at("id"));
  EXPECT_TRUE(is_error(client.get("/v1/listen-sessions/" + endpoint_id), 404, "listen_session_not_found"));
  EXPECT_TRUE(is_error(client.del("/v1/listen-sessions/" + endpoint_id), 404, "listen_session_not_found"));
  EXPECT_EQ(client.get("/v1/endpoints/" + endpoint_id).status, 200);

  auto session = client.post("/v1/listen-sessions", json::object{});
  ASSERT_EQ(session.status, 201) << describe(session);
  const auto id = str(session.json().at("id"));
  EXPECT_TRUE(str(session.json().at("secret")).starts_with("whsec_"));
  EXPECT_TRUE(is_error(client.get("/v1/listen-sessions/" + id + "/next?wait=51"), 400, "", "wait"));
  EXPECT_TRUE(is_error(client.get("/v1/listen-sessions/" + id + "/next?since=1"), 400, "unknown_parameter"));
  const auto result_path = "/v1/listen-sessions/" + id + "/deliveries/dlv_01M6A6FT00XVYV3BGVAXJXAZAK/result";
  EXPECT_TRUE(is_error(client.post(result_path, json::object{{"status", 200}}), 404, "delivery_not_found"));
  EXPECT_TRUE(is_error(client.post(result_path, json::object{{"status", 700}}), 400, "", "status"));
  EXPECT_TRUE(is_error(client.post(result_path, json::object{}), 400, "missing_field", "status"));
  EXPECT_TRUE(is_error(client.get("/v1/listen-sessions/ep_01M6A6FT00XVYV3BGVAXJXAZAK/next?wait=0"), 404,
                       "listen_session_not_found"));
  // A poll with nothing waiting ends empty.
  auto empty = client.get("/v1/listen-sessions/" + id + "/next?wait=0");
  ASSERT_EQ(empty.status, 200) << describe(empty);
  EXPECT_TRUE(empty.json().at("data").as_array().empty());
  EXPECT_EQ(client.del("/v1/listen-sessions/" + id).status, 200);
  EXPECT_EQ(count_all(client, "/v1/endpoints"), 1u);
}

}  // namespace
}  // namespace billhook::testing
