#include "cli/api_client.hpp"

#include <boost/json.hpp>
#include <future>

#include "delivery/curl_http_client.hpp"

namespace billhook::cli {

namespace json = boost::json;

ApiClient::ApiClient(std::string base_url, std::string api_key, delivery::HttpClient& http)
    : base_url_(std::move(base_url)), api_key_(std::move(api_key)), http_(http) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

ApiAnswer ApiClient::call(std::string_view method, std::string_view path, std::string_view body) {
  delivery::OutboundRequest request;
  request.method = std::string(method);
  request.url = base_url_ + std::string(path);
  request.headers = {{"Authorization", "Bearer " + api_key_}, {"Accept", "application/json"}};
  if (method != "GET") {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = body.empty() ? std::string("{}") : std::string(body);
  }
  request.total_timeout = std::chrono::seconds(60);
  request.max_response_bytes = 64 * 1024 * 1024;
  auto sent = send_and_wait(http_, std::move(request), cancel_);
  if (!sent) return ApiAnswer{0, {}, "cancelled"};
  auto& result = *sent;
  ApiAnswer answer;
  answer.status = result.status_code;
  answer.body = std::move(result.body);
  if (result.error_class != delivery::ErrorClass::none && result.error_class != delivery::ErrorClass::http_status)
    answer.error = result.error_message.empty() ? std::string(delivery::to_string(result.error_class))
                                                : result.error_message;
  return answer;
}

json::object ApiClient::checked(std::string_view method, std::string_view path, std::string_view body, int expected) {
  const auto answer = call(method, path, body);
  const std::string what = std::string(method) + " " + std::string(path);
  if (answer.status == 0) throw ApiError(0, what + ": no answer from " + base_url_ + " (" + answer.error + ")");
  const bool ok = expected ? answer.status == expected : answer.status >= 200 && answer.status < 300;
  if (!ok) throw ApiError(answer.status, what + " -> " + std::to_string(answer.status) + " " + answer.body);
  if (answer.body.empty()) return {};
  boost::system::error_code ec;
  auto parsed = json::parse(answer.body, ec);
  if (ec || !parsed.is_object()) throw ApiError(answer.status, what + ": the answer is not a JSON object");
  return std::move(parsed.as_object());
}

std::optional<delivery::OutboundResult> send_and_wait(delivery::HttpClient& http, delivery::OutboundRequest request,
                                                      const std::atomic<bool>* cancel) {
  // Shared: a request given up on still completes later, into a promise nobody waits for.
  auto promise = std::make_shared<std::promise<delivery::OutboundResult>>();
  auto answered = promise->get_future();
  http.send(std::move(request), [promise](delivery::OutboundResult result) { promise->set_value(std::move(result)); });
  while (answered.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready)
    if (cancel && cancel->load()) return std::nullopt;
  return answered.get();
}

std::unique_ptr<delivery::HttpClient> make_api_transport() {
  std::vector<delivery::Cidr> everywhere;
  for (const char* cidr : {"0.0.0.0/0", "::/0"}) {
    auto parsed = delivery::parse_cidr(cidr);
    if (parsed) everywhere.push_back(*parsed);
  }
  return std::make_unique<delivery::CurlHttpClient>(delivery::NetworkPolicy(std::move(everywhere)));
}

json::object ApiClient::get(std::string_view path) { return checked("GET", path, {}, 0); }

json::object ApiClient::post(std::string_view path, const json::object& body, int expected) {
  return checked("POST", path, json::serialize(body), expected);
}

json::object ApiClient::patch(std::string_view path, const json::object& body) {
  return checked("PATCH", path, json::serialize(body), 0);
}

json::object ApiClient::del(std::string_view path) { return checked("DELETE", path, {}, 0); }

}  // namespace billhook::cli
