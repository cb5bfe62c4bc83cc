#include "cli/ops_commands.hpp"

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <thread>

#include "cli/api_client.hpp"
#include "cli/event_log.hpp"

namespace billhook::cli {

namespace json = boost::json;

namespace {

std::string str(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : std::string(); }

std::string utc(int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

bool usable(const ServerFlags& flags, const char* command) {
  if (flags.output != "text" && flags.output != "json") {
    std::cerr << "billhook " << command << ": --output must be text or json\n";
    return false;
  }
  if (flags.api_key.empty()) {
    std::cerr << "billhook " << command << ": --api-key (or BILLHOOK_API_KEY) is required\n";
    return false;
  }
  return true;
}

// Runs `body` with a client for the server; an API error ends the command with exit code 1.
template <typename Body>
int with_api(const ServerFlags& flags, const char* command, Body body) {
  if (!usable(flags, command)) return 2;
  auto http = make_api_transport();
  ApiClient api(flags.server, flags.api_key, *http);
  try {
    return body(api);
  } catch (const ApiError& e) {
    std::cerr << "billhook " << command << ": " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "billhook " << command << ": unexpected answer: " << e.what() << "\n";
    return 1;
  }
}

void print_event(const ServerFlags& flags, const json::value& e) {
  if (flags.output == "json") {
    std::cout << json::serialize(e) << std::endl;
    return;
  }
  const auto& a = e.at("aggregate");
  std::printf("%s  %-40s %s %s  %s\n", utc(e.at("created").to_number<int64_t>()).c_str(), str(e.at("type")).c_str(),
              str(a.at("type")).c_str(), str(a.at("id")).c_str(), str(e.at("id")).c_str());
  std::fflush(stdout);
}

}  // namespace

int run_events_tail(const ServerFlags& flags, const TailOptions& options) {
  return with_api(flags, "events tail", [&](ApiClient& api) {
    std::string filter;
    if (!options.type.empty()) filter = "type=" + options.type;
    if (!options.aggregate_id.empty()) filter += (filter.empty() ? "" : "&") + ("aggregate_id=" + options.aggregate_id);
    std::string last = options.from_start ? std::string() : newest_event_id(api, filter);
    int64_t printed = 0;
    auto pause = std::chrono::milliseconds(100);
    for (;;) {
      const auto events = events_after(api, last, filter);
      for (const auto& e : events) {
        print_event(flags, e);
        last = str(e.at("id"));
        if (options.count > 0 && ++printed >= options.count) return 0;
      }
      pause = events.empty() ? std::min(pause * 2, std::chrono::milliseconds(1000)) : std::chrono::milliseconds(100);
      std::this_thread::sleep_for(pause);
    }
  });
}

int run_delivery_retry(const ServerFlags& flags, const std::string& delivery_id) {
  return with_api(flags, "deliveries retry", [&](ApiClient& api) {
    const auto delivery = api.post("/v1/deliveries/" + delivery_id + "/retry");
    if (flags.output == "json") std::cout << json::serialize(delivery) << "\n";
    else std::printf("delivery %s is %s\n", delivery_id.c_str(), str(delivery.at("status")).c_str());
    return 0;
  });
}

int run_delivery_recover(const ServerFlags& flags, const std::string& endpoint_id, int64_t since) {
  return with_api(flags, "deliveries recover", [&](ApiClient& api) {
    const auto recovery = api.post("/v1/endpoints/" + endpoint_id + "/recover", {{"since", since}});
    if (flags.output == "json") std::cout << json::serialize(recovery) << "\n";
    else
      std::printf("%lld failed deliveries of %s since %s are retried\n",
                  static_cast<long long>(recovery.at("recovered").to_number<int64_t>()), endpoint_id.c_str(),
                  utc(since).c_str());
    return 0;
  });
}

}  // namespace billhook::cli
