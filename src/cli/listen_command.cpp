#include "cli/listen_command.hpp"

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <thread>

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include "cli/api_client.hpp"

namespace billhook::cli {

namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

constexpr int kPollWaitS = 20;
constexpr auto kFirstBackoff = 500ms;
constexpr auto kMaxBackoff = 10s;

std::atomic<bool> stop_requested{false};

extern "C" void request_stop(int) { stop_requested.store(true); }

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = request_stop;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

std::string str(const json::value* v) { return v && v->is_string() ? std::string(v->get_string()) : std::string(); }

// Empty if `url` is an absolute http(s) URL with a host; else what is wrong with it.
std::string forward_url_problem(const std::string& url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return "must be an absolute URL such as http://localhost:3000/hooks";
  if (parsed->scheme() != "http" && parsed->scheme() != "https") return "must use http or https";
  if (parsed->encoded_host().empty()) return "must name a host";
  return {};
}

json::array split_list(const std::string& text) {
  json::array out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(',', start), text.size());
    if (end > start) out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// Sleeps `d` in small steps, ending early on a stop request.
void pause_for(std::chrono::milliseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (!stop_requested.load() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(50ms);
}

class Listener {
 public:
  Listener(const ListenOptions& options, ApiClient& api, delivery::HttpClient& http)
      : options_(options), api_(api), http_(http) {}

  // Creates or resumes the session and prints how it is set up.
  void open() {
    json::object session;
    if (options_.session_id.empty()) {
      json::object body;
      if (!options_.events.empty()) body["event_types"] = split_list(options_.events);
      if (!options_.profile.empty()) body["profile"] = options_.profile;
      session = api_.post("/v1/listen-sessions", body);
    } else {
      session = api_.get("/v1/listen-sessions/" + options_.session_id);
    }
    id_ = str(session.if_contains("id"));
    std::string types;
    if (const auto* list = session.if_contains("event_types"); list && list->is_array())
      for (const auto& t : list->get_array()) types += (types.empty() ? "" : ",") + str(&t);
    std::printf("Ready: forwarding %s to %s (session %s, profile %s)\n", types.c_str(), options_.forward_to.c_str(),
                id_.c_str(), str(session.if_contains("profile")).c_str());
    std::printf("Signing secret: %s\n", str(session.if_contains("secret")).c_str());
    std::printf("Ctrl-C ends the session; after a crash, resume it with --session %s\n", id_.c_str());
    std::fflush(stdout);
  }

  // Polls and forwards until a stop request; answers the exit code.
  int forward() {
    auto backoff = std::chrono::milliseconds(kFirstBackoff);
    while (!stop_requested.load()) {
      const auto answer = api_.call("GET", "/v1/listen-sessions/" + id_ + "/next?wait=" + std::to_string(kPollWaitS));
      if (stop_requested.load()) break;
      if (answer.status == 404 || answer.status == 401) {
        std::cerr << "billhook listen: the server refused the session (" << answer.status << " " << answer.body
                  << "); it expired or was deleted: start listen again\n";
        return 1;
      }
      if (answer.status != 200) {
        std::cerr << "billhook listen: lost the server ("
                  << (answer.status ? std::to_string(answer.status) : answer.error) << "); reconnecting in "
                  << backoff.count() << " ms\n";
        pause_for(backoff);
        backoff = std::min<std::chrono::milliseconds>(backoff * 2, kMaxBackoff);
        continue;
      }
      backoff = kFirstBackoff;
      boost::system::error_code ec;
      const auto batch = json::parse(answer.body, ec);
      const auto* data = !ec && batch.is_object() ? batch.get_object().if_contains("data") : nullptr;
      if (!data || !data->is_array()) continue;
      for (const auto& item : data->get_array()) {
        if (stop_requested.load()) break;
        if (item.is_object()) forward_one(item.get_object());
      }
    }
    return 0;
  }

  // Deletes the session (after a stop request).
  void close() {
    api_.cancel_when(nullptr);
    const auto answer = api_.call("DELETE", "/v1/listen-sessions/" + id_);
    if (answer.status == 200) std::printf("Session %s deleted\n", id_.c_str());
    else std::cerr << "billhook listen: deleting session " << id_ << " failed (" << answer.status << " " << answer.error
                   << "); the server removes it once it has gone unpolled long enough\n";
    std::fflush(stdout);
  }

 private:
  void forward_one(const json::object& item) {
    delivery::OutboundRequest request;
    request.url = options_.forward_to;
    if (const auto* headers = item.if_contains("headers"); headers && headers->is_object())
      for (const auto& [name, value] : headers->get_object()) request.headers.emplace_back(name, str(&value));
    request.body = str(item.if_contains("body"));
    request.total_timeout = 30s;
    request.max_response_bytes = 4096;
    auto result = send_and_wait(http_, std::move(request), &stop_requested);
    if (!result) return;  // stopping: the session goes, and its deliveries with it

    const std::string delivery_id = str(item.if_contains("delivery_id"));
    std::string resource = "-";
    if (const auto* a = item.if_contains("aggregate"); a && a->is_object())
      resource = str(a->get_object().if_contains("type")) + "/" + str(a->get_object().if_contains("id"));
    const bool answered = result->status_code != 0;
    const std::string outcome =
        answered ? std::to_string(result->status_code)
                 : "no answer (" + (result->error_message.empty() ? std::string(delivery::to_string(result->error_class))
                                                                  : result->error_message) + ")";
    std::printf("%s  %-36s %-40s -> %s  %lld ms  %s\n", utc_now().c_str(), str(item.if_contains("event_type")).c_str(),
                resource.c_str(), outcome.c_str(), static_cast<long long>(result->duration.count()),
                str(item.if_contains("id")).c_str());
    std::fflush(stdout);

    json::object report{{"status", result->status_code}, {"latency_ms", result->duration.count()}};
    if (!answered) report["error"] = outcome;
    const std::string path = "/v1/listen-sessions/" + id_ + "/deliveries/" + delivery_id + "/result";
    auto pause = std::chrono::milliseconds(kFirstBackoff);
    for (int tries = 0; tries < 5 && !stop_requested.load(); ++tries) {
      const auto answer = api_.call("POST", path, json::serialize(report));
      // 409: the server no longer waits for it (restarted): it hands the delivery out again.
      if ((answer.status >= 200 && answer.status < 300) || answer.status == 409 || answer.status == 404) return;
      pause_for(pause);
      pause *= 2;
    }
    std::cerr << "billhook listen: could not report delivery " << delivery_id
              << "; the server hands it out again\n";
  }

  const ListenOptions& options_;
  ApiClient& api_;
  delivery::HttpClient& http_;
  std::string id_;
};

}  // namespace

int run_listen(const ListenOptions& options) {
  if (options.api_key.empty()) {
    std::cerr << "billhook listen: --api-key (or BILLHOOK_API_KEY) is required\n";
    return 2;
  }
  if (options.forward_to.empty()) {
    std::cerr << "billhook listen: --forward-to is required: the local URL webhooks go to\n";
    return 2;
  }
  if (const auto problem = forward_url_problem(options.forward_to); !problem.empty()) {
    std::cerr << "billhook listen: --forward-to '" << options.forward_to << "' " << problem << "\n";
    return 2;
  }
  install_stop_handlers();
  auto http = make_api_transport();
  ApiClient api(options.server, options.api_key, *http);
  Listener listener(options, api, *http);
  try {
    listener.open();
  } catch (const ApiError& e) {
    std::cerr << "billhook listen: " << e.what() << "\n";
    return 1;
  }
  api.cancel_when(&stop_requested);
  const int code = listener.forward();
  if (stop_requested.load()) listener.close();
  return code;
}

}  // namespace billhook::cli
