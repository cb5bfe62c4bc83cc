// `billhook listen` on SQLite: forwarding, resuming after SIGKILL, retries, expiry, and bad input.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <list>

#include "integration/listen_checks.hpp"
#include "support/wait.hpp"

namespace billhook::testing {
namespace {

// A TCP relay on 127.0.0.1, port 0, to a target port that may change: `listen` keeps one --server while the
// server behind it is killed and restarted on another port.
class Relay {
 public:
  explicit Relay(uint16_t target) : target_(target) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(listen_fd_, 16) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      throw std::runtime_error("relay: cannot listen on 127.0.0.1");
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~Relay() {
    stopping_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    acceptor_.join();
    for (auto& t : pipes_) t.join();
    ::close(listen_fd_);
  }
  uint16_t port() const { return port_; }
  void retarget(uint16_t target) { target_ = target; }

 private:
  void accept_loop() {
    for (;;) {
      const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0 || stopping_) {
        if (client >= 0) ::close(client);
        return;
      }
      pipes_.emplace_back([this, client] { shuttle(client); });
    }
  }
  void shuttle(int client) {
    const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(target_.load());
    if (::connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
      char buffer[16384];
      while (!stopping_ && ::poll(fds, 2, 100) >= 0) {
        bool closed = false;
        for (int i = 0; i < 2 && !closed; ++i) {
          if (!fds[i].revents) continue;
          const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
          closed = n <= 0 || ::send(fds[1 - i].fd, buffer, static_cast<size_t>(n), MSG_NOSIGNAL) != n;
        }
        if (closed) break;
      }
    }
    ::close(server);
    ::close(client);
  }

  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<uint16_t> target_;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::list<std::thread> pipes_;  // touched by the acceptor only, then joined
};

TEST(ListenTest, ReconnectsByItselfWhenTheServerRestarts) {
  ServerProcess server;
  auto client = client_for(server);
  Relay relay(server.port());
  Receiver local;
  std::vector<std::string> args = {"listen", "--server", "http://127.0.0.1:" + std::to_string(relay.port()),
                                   "--forward-to", local.url("/hooks"), "--events", "invoice.paid"};
  CommandProcess listen(args, EnvVars{{"BILLHOOK_API_KEY", server.api_key()}});
  const auto started = listen_started(listen);
  const auto first = publish_event(client, "inv_listen_reconnect", "invoice.paid");
  ASSERT_TRUE(received_all(local, {first}, 20s)) << listen.stdout_text() << listen.stderr_text();

  server.kill9();
  EXPECT_TRUE(poll_until([&] { return listen.stderr_text().find("reconnecting") != std::string::npos; }, 20s,
                         std::chrono::milliseconds(100)))
      << listen.stderr_text();
  server.restart();
  relay.retarget(server.port());
  client = client_for(server);
  const auto second = publish_event(client, "inv_listen_reconnect", "invoice.paid");
  ASSERT_TRUE(received_all(local, {first, second}, 30s)) << listen.stdout_text() << listen.stderr_text();
  std::vector<std::string> failures;
  const auto requests = local.requests_for("/hooks");
  EXPECT_EQ(count_verified(requests, started.secret, &failures), requests.size());
  EXPECT_EQ(listen.stop(SIGTERM), 0) << listen.stderr_text();
  EXPECT_TRUE(is_error(client.get("/v1/listen-sessions/" + started.session_id), 404, "listen_session_not_found"));
}

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
