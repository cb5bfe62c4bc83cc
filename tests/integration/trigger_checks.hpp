#pragma once

// `billhook trigger` against a real server, shared by the SQLite and the PostgreSQL runs: every event type
// of the server's catalog is listed as triggerable, and triggering each one (all on one server) adds a new
// event of that type to the log, which the command's JSON output names too.

#include <set>
#include <string>
#include <vector>

#include "integration/integration_helpers.hpp"

namespace billhook::testing {

// The flags a server needs for every scenario: the manual clock and the sandbox payment provider.
inline std::vector<std::string> trigger_server_flags() { return {"--test-clock", "--payment-provider", "sandbox"}; }

inline std::vector<std::string> trigger_args(const ServerProcess& server, std::vector<std::string> args) {
  args.insert(args.begin(), "trigger");
  for (std::string a : {std::string("--server"), server.base_url(), std::string("--api-key"), server.api_key()})
    args.push_back(a);
  return args;
}

inline std::string run_output(const CommandResult& r) {
  return "exit " + std::to_string(r.exit_code) + (r.timed_out ? " (timed out)" : "") + "\n--- stdout ---\n" +
         r.stdout_text + "\n--- stderr ---\n" + r.stderr_text;
}

// The types `trigger --list --output json` calls triggerable, checked to be exactly the server's catalog.
inline std::vector<std::string> triggerable_types(const ServerProcess& server) {
  const auto listed = run_billhook({"trigger", "--list", "--output", "json"}, std::chrono::seconds(20));
  EXPECT_EQ(listed.exit_code, 0) << run_output(listed);
  const auto out = json::parse(listed.stdout_text).as_object();
  std::vector<std::string> types;
  for (const auto& t : out.at("triggerable").as_array()) types.push_back(str(t.at("event_type")));
  EXPECT_TRUE(out.at("not_triggerable").as_array().empty());

  auto client = client_for(server);
  std::set<std::string> catalog;
  const auto answer = client.get("/v1/event-types");
  EXPECT_EQ(answer.status, 200) << describe(answer);
  const auto body = answer.json();
  for (const auto& t : body.at("data").as_array()) catalog.insert(str(t.at("name")));
  EXPECT_EQ(std::set<std::string>(types.begin(), types.end()), catalog)
      << "trigger --list must name every event type of the catalog, once";
  EXPECT_EQ(types.size(), catalog.size());
  return types;
}

// The id of the newest event of `type`, or "".
inline std::string newest_of(HttpClient& client, const std::string& type) {
  auto r = client.get("/v1/events?limit=1&type=" + type);
  if (r.status != 200) throw std::runtime_error(describe(r));
  const auto body = r.json();
  const auto& data = body.at("data").as_array();
  return data.empty() ? std::string() : str(data.front().at("id"));
}

inline void expect_every_type_triggers(const ServerProcess& server) {
  const auto types = triggerable_types(server);
  ASSERT_FALSE(types.empty());
  auto client = client_for(server);
  for (const auto& type : types) {
    SCOPED_TRACE(type);
    const auto before = newest_of(client, type);
    const auto r = run_billhook(trigger_args(server, {type, "--output", "json"}), std::chrono::seconds(120));
    ASSERT_EQ(r.exit_code, 0) << run_output(r);
    const auto after = newest_of(client, type);
    EXPECT_FALSE(after.empty()) << "no " << type << " event in the log";
    EXPECT_GT(after, before) << "the run produced no new " << type << " event";
    const auto out = json::parse(r.stdout_text).as_object();
    EXPECT_FALSE(out.at("created").as_array().empty()) << "the resources it made: " << r.stdout_text;
    bool named = false;
    for (const auto& e : out.at("events").as_array())
      if (str(e.at("type")) == type && str(e.at("id")) > before) named = true;
    EXPECT_TRUE(named) << "the output must list the new " << type << " event: " << r.stdout_text;
  }
}

}  // namespace billhook::testing
