#pragma once

// `billhook listen` against a real server and a local receiver (a Receiver on 127.0.0.1, port 0), shared by
// the SQLite and the PostgreSQL runs: every event published after listen starts reaches the local app, once,
// in order per resource, signed with the secret listen printed (checked by npm `standardwebhooks`); a listen
// killed with SIGKILL mid-stream and restarted with `--session` loses nothing and breaks no order; and
// stopping listen removes its temporary endpoint.

#include <signal.h>

#include <map>
#include <regex>
#include <set>

#include "integration/integration_helpers.hpp"
#include "integration/trigger_checks.hpp"

namespace billhook::testing {

using namespace std::chrono_literals;

struct ListenStart {
  std::string session_id;
  std::string secret;
};

// The API key goes through BILLHOOK_API_KEY, as the other client commands take it.
inline std::unique_ptr<CommandProcess> start_listen(const ServerProcess& server, const std::string& forward_to,
                                                    std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"listen", "--server", server.base_url(), "--forward-to", forward_to};
  args.insert(args.end(), extra.begin(), extra.end());
  return std::make_unique<CommandProcess>(args, EnvVars{{"BILLHOOK_API_KEY", server.api_key()}});
}

// Waits for listen's start lines and reads the session and its secret from them.
inline ListenStart listen_started(const CommandProcess& listen) {
  const std::regex pattern(R"(session (ep_[0-9A-Z]+)[\s\S]*Signing secret: (whsec_\S+))");
  std::smatch match;
  const bool started = listen.wait_for_stdout(
      [&](const std::string& out) { return std::regex_search(out, match, pattern); }, 20s);
  if (!started)
    throw std::runtime_error("listen did not start:\n" + listen.stdout_text() + "\n" + listen.stderr_text());
  return {match[1].str(), match[2].str()};
}

inline std::string publish_event(HttpClient& client, const std::string& invoice_id, std::string_view type) {
  auto r = client.post("/v1/events", invoice_event(invoice_id, type));
  if (r.status != 202) throw std::runtime_error(describe(r));
  return str(r.json().at("id"));
}

// Publishes a round of events over three invoices, interleaved; records each id under its invoice, in order.
inline std::vector<std::string> publish_round(HttpClient& client,
                                              std::map<std::string, std::vector<std::string>>& by_invoice) {
  std::vector<std::string> ids;
  for (const char* type : {"invoice.created", "invoice.finalized", "invoice.paid", "invoice.voided"})
    for (const char* invoice : {"inv_listen_a", "inv_listen_b", "inv_listen_c"}) {
      ids.push_back(publish_event(client, invoice, type));
      by_invoice[invoice].push_back(ids.back());
    }
  return ids;
}

inline std::set<std::string> distinct_ids(const std::vector<ReceivedRequest>& requests) {
  std::set<std::string> out;
  for (const auto& r : requests) out.insert(r.header("webhook-id"));
  return out;
}

inline bool received_all(const Receiver& local, const std::vector<std::string>& ids, std::chrono::milliseconds timeout) {
  return local.wait_until(
      [&](const std::vector<ReceivedRequest>& requests) {
        const auto got = distinct_ids(requests);
        return std::all_of(ids.begin(), ids.end(), [&](const std::string& id) { return got.contains(id); });
      },
      timeout);
}

inline void expect_listen_forwards_and_resumes(const ServerProcess& server) {
  auto client = client_for(server);
  Receiver local;
  local.on("/hooks", Behaviour::delayed(20ms));
  const auto before = publish_event(client, "inv_listen_a", "invoice.created");
  const std::string types = "invoice.created,invoice.finalized,invoice.paid,invoice.voided";

  auto listen = start_listen(server, local.url("/hooks"), {"--events", types});
  const auto started = listen_started(*listen);
  std::map<std::string, std::vector<std::string>> by_invoice;

  // Round 1: nothing interrupts it, so each event arrives exactly once.
  const auto round1 = publish_round(client, by_invoice);
  publish_event(client, "inv_listen_a", "invoice.payment_failed");  // a type listen did not ask for
  ASSERT_TRUE(received_all(local, round1, 30s)) << listen->stdout_text() << listen->stderr_text();
  for (const auto& id : round1) {
    const auto requests = local.requests_for("/hooks");
    EXPECT_EQ(std::count_if(requests.begin(), requests.end(), [&](const auto& r) { return r.header("webhook-id") == id; }),
              1)
        << id;
  }
  // One line per webhook, naming its event.
  for (const auto& id : round1)
    EXPECT_TRUE(listen->wait_for_stdout([&](const std::string& out) { return out.find(id) != std::string::npos; }, 10s))
        << "no line for " << id << ":\n" << listen->stdout_text();
  EXPECT_NE(listen->stdout_text().find("-> 200"), std::string::npos) << listen->stdout_text();

  // Round 2 is cut by SIGKILL while it flows; round 3 is published while no listen runs.
  const auto round2 = publish_round(client, by_invoice);
  ASSERT_TRUE(local.wait_until(
      [&](const std::vector<ReceivedRequest>& requests) {
        const auto got = distinct_ids(requests);
        return std::count_if(round2.begin(), round2.end(), [&](const std::string& id) { return got.contains(id); }) >= 2;
      },
      30s));
  listen->kill9();
  const size_t received_before_restart = local.count();
  const auto round3 = publish_round(client, by_invoice);

  auto resumed = start_listen(server, local.url("/hooks"), {"--session", started.session_id});
  const auto restarted = listen_started(*resumed);
  EXPECT_EQ(restarted.session_id, started.session_id);
  EXPECT_EQ(restarted.secret, started.secret);
  std::vector<std::string> all = round1;
  all.insert(all.end(), round2.begin(), round2.end());
  all.insert(all.end(), round3.begin(), round3.end());
  ASSERT_TRUE(received_all(local, all, 60s)) << resumed->stdout_text() << resumed->stderr_text();

  const auto requests = local.requests_for("/hooks");
  // Exactly what was published after listen started, of the types it asked for.
  EXPECT_EQ(distinct_ids(requests), std::set<std::string>(all.begin(), all.end()));
  EXPECT_FALSE(distinct_ids(requests).contains(before)) << "an event from before listen started was forwarded";
  // Each resource's events first arrived in the order they were published.
  std::map<std::string, std::vector<std::string>> first_arrivals;
  std::set<std::string> seen;
  std::map<std::string, std::string> invoice_of;
  for (const auto& [invoice, ids] : by_invoice)
    for (const auto& id : ids) invoice_of[id] = invoice;
  for (const auto& r : requests) {
    const auto id = r.header("webhook-id");
    if (seen.insert(id).second) first_arrivals[invoice_of[id]].push_back(id);
  }
  EXPECT_EQ(first_arrivals, by_invoice);
  // Only what the killed listen had forwarded and not yet reported may come twice; what came after the
  // restart came once.
  std::map<std::string, int> times;
  for (const auto& r : requests) ++times[r.header("webhook-id")];
  for (size_t i = received_before_restart; i < requests.size(); ++i) {
    const auto id = requests[i].header("webhook-id");
    const bool seen_before = std::any_of(requests.begin(), requests.begin() + static_cast<long>(received_before_restart),
                                         [&](const auto& r) { return r.header("webhook-id") == id; });
    EXPECT_EQ(times[id], seen_before ? 2 : 1) << id;
  }
  // Signed as an endpoint's, with the secret listen printed, by the reference verifier.
  std::vector<std::string> failures;
  EXPECT_EQ(count_verified(requests, started.secret, &failures), requests.size())
      << (failures.empty() ? "" : failures.front());

  // Stopping listen removes the temporary endpoint.
  EXPECT_EQ(resumed->stop(SIGINT), 0) << resumed->stderr_text();
  EXPECT_NE(resumed->stdout_text().find("deleted"), std::string::npos) << resumed->stdout_text();
  EXPECT_TRUE(is_error(client.get("/v1/listen-sessions/" + started.session_id), 404, "listen_session_not_found"));
  EXPECT_EQ(client.get("/v1/endpoints/" + started.session_id).status, 404);
  EXPECT_EQ(count_all(client, "/v1/endpoints"), 0u);
}

}  // namespace billhook::testing
