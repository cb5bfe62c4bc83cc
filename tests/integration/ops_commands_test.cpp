// The operator's commands against a real server: `events tail`, `deliveries retry`, `deliveries recover`.

#include <future>
#include <sstream>

#include "integration/trigger_checks.hpp"
#include "support/wait.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> with_server(const ServerProcess& server, std::vector<std::string> args) {
  for (std::string a : {std::string("--server"), server.base_url(), std::string("--api-key"), server.api_key()})
    args.push_back(a);
  return args;
}

std::vector<json::object> json_lines(const std::string& text) {
  std::vector<json::object> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(json::parse(line).as_object());
  return out;
}

std::string publish(HttpClient& client, const std::string& invoice_id, std::string_view type = "invoice.paid") {
  auto r = client.post("/v1/events", invoice_event(invoice_id, type));
  if (r.status != 202) throw std::runtime_error(describe(r));
  return str(r.json().at("id"));
}

TEST(OpsCommandsTest, EventsTailFromStartPrintsTheLogInOrderWithFilters) {
  ServerProcess server;
  auto client = client_for(server);
  const std::vector<std::string> ids = {publish(client, "inv_tail_a"), publish(client, "inv_tail_b"),
                                        publish(client, "inv_tail_a", "invoice.finalized")};
  auto r = run_billhook(with_server(server, {"events", "tail", "--from-start", "--count", "3", "--output", "json"}));
  ASSERT_EQ(r.exit_code, 0) << run_output(r);
  const auto lines = json_lines(r.stdout_text);
  ASSERT_EQ(lines.size(), 3u) << r.stdout_text;
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(str(lines[i].at("id")), ids[i]);

  r = run_billhook(with_server(server, {"events", "tail", "--from-start", "--count", "2", "--aggregate-id",
                                        "inv_tail_a"}));
  ASSERT_EQ(r.exit_code, 0) << run_output(r);
  EXPECT_NE(r.stdout_text.find(ids[0]), std::string::npos) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find(ids[2]), std::string::npos) << r.stdout_text;
  EXPECT_EQ(r.stdout_text.find(ids[1]), std::string::npos) << r.stdout_text;
  EXPECT_LT(r.stdout_text.find(ids[0]), r.stdout_text.find(ids[2])) << r.stdout_text;

  r = run_billhook(with_server(server, {"events", "tail", "--from-start", "--count", "1", "--type",
                                        "invoice.finalized", "--output", "json"}));
  ASSERT_EQ(r.exit_code, 0) << run_output(r);
  ASSERT_EQ(json_lines(r.stdout_text).size(), 1u);
  EXPECT_EQ(str(json_lines(r.stdout_text)[0].at("id")), ids[2]);
}

TEST(OpsCommandsTest, EventsTailFollowsEventsPublishedAfterItStarts) {
  ServerProcess server;
  auto client = client_for(server);
  const auto old = publish(client, "inv_follow_old");
  auto tail = std::async(std::launch::async, [&] {
    return run_billhook(with_server(server, {"events", "tail", "--count", "2", "--output", "json"}), 60s);
  });
  std::vector<std::string> published;
  // The tail starts after the newest event it finds; publish until it has seen two.
  while (tail.wait_for(0ms) != std::future_status::ready && published.size() < 20000)
    published.push_back(publish(client, "inv_follow_" + std::to_string(published.size())));
  const auto r = tail.get();
  ASSERT_EQ(r.exit_code, 0) << run_output(r);
  const auto lines = json_lines(r.stdout_text);
  ASSERT_EQ(lines.size(), 2u) << r.stdout_text;
  const auto first = std::find(published.begin(), published.end(), str(lines[0].at("id")));
  ASSERT_NE(first, published.end()) << "the old event must not be printed: " << r.stdout_text;
  ASSERT_NE(first + 1, published.end());
  EXPECT_EQ(str(lines[1].at("id")), *(first + 1)) << "the next event, none skipped";
  EXPECT_NE(str(lines[0].at("id")), old);
}

TEST(OpsCommandsTest, DeliveriesRetryAndRecoverAFailedDelivery) {
  ServerOptions options;
  options.extra_args = {"--test-clock"};
  ServerProcess server(options);
  auto client = client_for(server);
  auto created = client.post("/v1/endpoints", json::object{{"url", "http://127.0.0.1:9/nobody"},
                                                          {"event_types", json::array{"invoice.paid"}},
                                                          {"retry_schedule", json::array{60}}});
  ASSERT_EQ(created.status, 201) << describe(created);
  const auto endpoint = str(created.json().at("id"));
  publish(client, "inv_ops_retry");
  std::string delivery;
  const auto delivery_is = [&](const std::string& status) {
    const auto all = list_all(client, "/v1/deliveries?endpoint_id=" + endpoint);
    if (all.size() != 1 || str(all[0].at("status")) != status) return false;
    delivery = str(all[0].at("id"));
    return true;
  };
  ASSERT_TRUE(wait_until([&] { return delivery_is("retrying"); }, 20s, "a first try that failed"));
  const auto fail_for_good = [&](size_t tries) {
    // A delivery retried by hand that fails again may be rescheduled: move the clock past any retry.
    const auto tried = [&] {
      const auto d = client.get("/v1/deliveries/" + delivery);
      return d.status == 200 && d.json().at("attempts").as_array().size() == tries;
    };
    EXPECT_TRUE(wait_until(tried, 20s, std::to_string(tries) + " tries"));
    advance_clock(client, 120);
    EXPECT_TRUE(wait_until([&] { return delivery_is("failed"); }, 20s, "the delivery to fail for good"));
  };
  fail_for_good(1);
  const auto tries = client.get("/v1/deliveries/" + delivery).json().at("attempts").as_array().size();
  ASSERT_EQ(tries, 2u);

  auto r = run_billhook(with_server(server, {"deliveries", "recover", endpoint, "--since", "0", "--output", "json"}));
  ASSERT_EQ(r.exit_code, 0) << run_output(r);
  EXPECT_EQ(json::parse(r.stdout_text).at("recovered").as_int64(), 1) << r.stdout_text;
  fail_for_good(3);

  const auto before_retry = client.get("/v1/deliveries/" + delivery).json().at("attempts").as_array().size();
  r = run_billhook(with_server(server, {"deliveries", "retry", delivery, "--output", "json"}));
  ASSERT_EQ(r.exit_code, 0) << run_output(r);
  EXPECT_EQ(str(json::parse(r.stdout_text).at("id")), delivery) << r.stdout_text;
  EXPECT_TRUE(wait_until(
      [&] { return client.get("/v1/deliveries/" + delivery).json().at("attempts").as_array().size() > before_retry; },
      20s,
      "the try the command asked for"));

  r = run_billhook(with_server(server, {"deliveries", "retry", "dlv_01M6A6FT00XVYV3BGVAXJXAZAK"}));
  EXPECT_EQ(r.exit_code, 1) << run_output(r);
  EXPECT_NE(r.stderr_text.find("404"), std::string::npos) << run_output(r);
}

}  // namespace
}  // namespace billhook::testing
