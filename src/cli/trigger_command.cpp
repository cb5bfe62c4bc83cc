#include "cli/trigger_command.hpp"

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include "cli/api_client.hpp"
#include "cli/event_log.hpp"
#include "cli/trigger_scenarios.hpp"

namespace billhook::cli {

namespace json = boost::json;

namespace {

std::string str(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : std::string(); }

// The events after `marker`, each as its id, type and aggregate.
json::array events_since(ApiClient& api, const std::string& marker) {
  json::array out;
  for (const auto& e : events_after(api, marker)) {
    const auto& aggregate = e.at("aggregate");
    out.push_back(json::object{{"id", e.at("id")},
                               {"type", e.at("type")},
                               {"aggregate", json::object{{"type", aggregate.at("type")}, {"id", aggregate.at("id")}}}});
  }
  return out;
}

void wait_for_new(ApiClient& api, const std::string& type, const std::string& before) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  auto pause = std::chrono::milliseconds(20);
  while (newest_event_id(api, "type=" + type) == before) {
    if (std::chrono::steady_clock::now() > deadline)
      throw ApiError(0, "the scenario ran but no new " + type + " event appeared within 60 s");
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(500));
  }
}

int list(const TriggerOptions& options) {
  if (options.output == "json") {
    json::array out;
    for (const auto& s : trigger_scenarios())
      out.push_back(json::object{{"event_type", s.event_type}, {"scenario", s.how}});
    std::cout << json::serialize(json::object{{"triggerable", std::move(out)}, {"not_triggerable", json::array{}}})
              << "\n";
    return 0;
  }
  for (const auto& s : trigger_scenarios())
    std::printf("%-40.*s %.*s\n", static_cast<int>(s.event_type.size()), s.event_type.data(),
                static_cast<int>(s.how.size()), s.how.data());
  return 0;
}

void print_text(const TriggerScenario& scenario, const TriggerDriver& driver, const json::array& events) {
  std::printf("Triggered %.*s: %.*s\n", static_cast<int>(scenario.event_type.size()), scenario.event_type.data(),
              static_cast<int>(scenario.how.size()), scenario.how.data());
  std::printf("Created:\n");
  for (const auto& r : driver.created()) std::printf("  %-16s %s\n", r.kind.c_str(), r.id.c_str());
  std::printf("Events (%zu):\n", events.size());
  for (const auto& e : events) {
    const auto& a = e.at("aggregate");
    std::printf("  %s  %-40s %s %s\n", str(e.at("id")).c_str(), str(e.at("type")).c_str(),
                str(a.at("type")).c_str(), str(a.at("id")).c_str());
  }
}

}  // namespace

int run_trigger(const TriggerOptions& options) {
  if (options.output != "text" && options.output != "json") {
    std::cerr << "billhook trigger: --output must be text or json\n";
    return 2;
  }
  if (options.list) return list(options);
  const auto* scenario = find_trigger_scenario(options.event_type);
  if (!scenario) {
    std::cerr << "billhook trigger: no scenario produces '" << options.event_type
              << "'; `billhook trigger --list` shows the event types it can produce\n";
    return 2;
  }
  if (options.api_key.empty()) {
    std::cerr << "billhook trigger: --api-key (or BILLHOOK_API_KEY) is required\n";
    return 2;
  }
  auto http = make_api_transport();
  ApiClient api(options.server, options.api_key, *http);
  TriggerDriver driver(api);
  try {
    const auto marker = newest_event_id(api);
    const auto before = newest_event_id(api, "type=" + std::string(scenario->event_type));
    scenario->run(driver);
    wait_for_new(api, std::string(scenario->event_type), before);
    const auto events = events_since(api, marker);
    if (options.output == "json") {
      json::array created;
      for (const auto& r : driver.created()) created.push_back(json::object{{"kind", r.kind}, {"id", r.id}});
      std::cout << json::serialize(json::object{{"event_type", scenario->event_type},
                                                {"scenario", scenario->how},
                                                {"created", std::move(created)},
                                                {"events", events}})
                << "\n";
    } else {
      print_text(*scenario, driver, events);
    }
    return 0;
  } catch (const ApiError& e) {
    std::cerr << "billhook trigger " << scenario->event_type << ": " << e.what() << "\n";
    for (const auto& r : driver.created()) std::cerr << "  created " << r.kind << " " << r.id << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "billhook trigger " << scenario->event_type << ": unexpected answer: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace billhook::cli
