// The SSRF guard through the real binary, against loopback only: every spelling of a loopback
// address is refused by default (error class ssrf_blocked, nothing reaches the receiver), and
// delivered once --allow-networks names it.

#include <chrono>

#include "integration/integration_helpers.hpp"
#include "support/receiver.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;

struct Target {
  std::string path;
  std::string url;
};

class SsrfTest : public ServerTest {
 protected:
  // The server on the manual clock with `extra` flags: loopback is refused unless they allow it.
  void start(std::vector<std::string> extra) {
    std::vector<std::string> args = {"--test-clock"};
    args.insert(args.end(), extra.begin(), extra.end());
    start_server(std::move(args));
  }

  // The same receiver spelled six ways.
  std::vector<Target> targets() const {
    const std::string port = std::to_string(rx_.port());
    return {
        {"/dotted", "http://127.0.0.1:" + port + "/dotted"},
        {"/localhost", "http://localhost:" + port + "/localhost"},
        {"/decimal", "http://2130706433:" + port + "/decimal"},
        {"/hex", "http://0x7f000001:" + port + "/hex"},
        {"/mapped", "http://[::ffff:127.0.0.1]:" + port + "/mapped"},
        {"/v6", rx_.url_v6("/v6")},
    };
  }

  // One endpoint per target, one event: answers target path -> delivery id.
  std::map<std::string, std::string> publish_to_all(const std::vector<Target>& to) {
    std::map<std::string, std::string> endpoints;
    for (const auto& t : to) {
      auto r = client_->post("/v1/endpoints", json::object{{"url", t.url}, {"event_types", json::array{"invoice.*"}}});
      if (r.status != 201) throw std::runtime_error("create endpoint for " + t.url + ": " + describe(r));
      endpoints[t.path] = str(r.json().at("id"));
    }
    auto e = client_->post("/v1/events", invoice_event(unique_name("inv_ssrf_")));
    if (e.status != 202) throw std::runtime_error("publish: " + describe(e));
    std::map<std::string, std::string> deliveries;
    for (const auto& [path, endpoint_id] : endpoints)
      deliveries[path] = delivery_of(*client_, str(e.json().at("id")), endpoint_id);
    return deliveries;
  }

  void expect_blocked(const std::string& delivery_id, const std::string& what) {
    const auto d = await_status(*client_, delivery_id, "retrying", 1);
    const auto& a = d.at("attempts").as_array().at(0);
    EXPECT_EQ(a.at("error_class"), json::value("ssrf_blocked")) << what << ": " << a;
    EXPECT_TRUE(a.at("status_code").is_null()) << what;
    EXPECT_NE(str(a.at("error_message")).find("blocked"), std::string::npos) << what << ": " << a.at("error_message");
    EXPECT_EQ(d.at("last_error").at("class"), json::value("ssrf_blocked")) << what;
  }

  Receiver rx_{ReceiverOptions{.ipv6 = true}};
};

TEST_F(SsrfTest, LoopbackIsRefusedByDefaultHoweverItIsSpelled) {
  start({});
  const auto deliveries = publish_to_all(targets());
  for (const auto& [path, delivery_id] : deliveries) expect_blocked(delivery_id, path);
  // Every attempt is recorded as blocked, so nothing can still be on its way.
  EXPECT_EQ(rx_.count(), 0u) << "nothing reached the receiver";
  EXPECT_EQ(rx_.connections(), 0) << "not even a connection";
}

TEST_F(SsrfTest, AllowNetworksLetsLoopbackThrough) {
  start({"--allow-networks", "127.0.0.0/8,::1/128"});
  const auto to = targets();
  const auto deliveries = publish_to_all(to);
  for (const auto& [path, delivery_id] : deliveries) {
    const auto d = await_status(*client_, delivery_id, "succeeded", 1);
    EXPECT_EQ(d.at("attempts").as_array().at(0).at("status_code"), json::value(200)) << path;
    EXPECT_EQ(rx_.count_for(path), 1u) << path;
  }
}

TEST_F(SsrfTest, AllowListLetsThroughOnlyWhatItNames) {
  start({"--allow-networks", "::1/128"});
  const auto deliveries = publish_to_all({{"/dotted", rx_.url("/dotted")}, {"/v6", rx_.url_v6("/v6")}});
  await_status(*client_, deliveries.at("/v6"), "succeeded", 1);
  expect_blocked(deliveries.at("/dotted"), "127.0.0.1 with only ::1/128 allowed");
  EXPECT_EQ(rx_.count_for("/v6"), 1u);
  EXPECT_EQ(rx_.count_for("/dotted"), 0u);
}

}  // namespace
}  // namespace billhook::testing
