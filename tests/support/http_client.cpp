#include "support/http_client.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <mutex>
#include <stdexcept>

namespace billhook::testing {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

// Accepts 127.0.0.0/8 and ::1 only: no test may send traffic anywhere else.
bool is_loopback(const std::string& host) {
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::runtime_error("curl_global_init failed");
  });
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  static_cast<Response*>(user)->body.append(data, size * count);
  return size * count;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<Response*>(user);
  const std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    response->headers.clear();  // a new response (e.g. after "100 Continue")
  } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    response->headers[lower(line.substr(0, colon))] = trim(line.substr(colon + 1));
  }
  return size * count;
}

struct SList {
  curl_slist* list = nullptr;
  ~SList() { curl_slist_free_all(list); }
  void add(const std::string& line) {
    auto* next = curl_slist_append(list, line.c_str());
    if (!next) throw std::bad_alloc();
    list = next;
  }
};

}  // namespace

boost::json::value Response::json() const {
  boost::system::error_code ec;
  auto value = boost::json::parse(body, ec);
  if (ec) throw std::runtime_error("response body is not JSON (" + ec.message() + "): " + body.substr(0, 2000));
  return value;
}

std::string Response::header(std::string_view name) const {
  auto it = headers.find(lower(name));
  return it == headers.end() ? std::string() : it->second;
}

bool Response::has_header(std::string_view name) const { return headers.contains(lower(name)); }

std::string describe(const Response& response) {
  std::string out = "HTTP " + std::to_string(response.status);
  if (!response.error.empty()) out += " (transport error: " + response.error + ")";
  out += " " + response.body.substr(0, 2000);
  return out;
}

struct HttpClient::Impl {
  CURL* curl = nullptr;
  char error[CURL_ERROR_SIZE] = {};

  Impl() {
    global_init();
    curl = curl_easy_init();
    if (!curl) throw std::runtime_error("curl_easy_init failed");
  }
  ~Impl() { curl_easy_cleanup(curl); }
};

HttpClient::HttpClient(uint16_t port, std::optional<std::string> api_key, std::string host)
    : impl_(std::make_unique<Impl>()), port_(port), api_key_(std::move(api_key)), host_(std::move(host)) {
  if (!is_loopback(host_)) throw std::invalid_argument("HttpClient talks to loopback addresses only, not " + host_);
}

HttpClient::~HttpClient() = default;
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;

Response HttpClient::post(std::string_view path, const boost::json::value& body, const Headers& headers) {
  return request("POST", path, boost::json::serialize(body), headers);
}

Response HttpClient::patch(std::string_view path, const boost::json::value& body, const Headers& headers) {
  return request("PATCH", path, boost::json::serialize(body), headers);
}

Response HttpClient::request(std::string_view method, std::string_view path, std::string_view body,
                             const Headers& headers) {
  // "/…" only: anything else (e.g. "@host/…") could make curl read another host out of the URL.
  if (path.empty() || path.front() != '/')
    throw std::invalid_argument("HttpClient: the path must start with '/': " + std::string(path));
  CURL* curl = impl_->curl;
  // Forgets the previous request's options but keeps its live connection (keep-alive).
  curl_easy_reset(curl);
  impl_->error[0] = '\0';

  const std::string host = host_.find(':') == std::string::npos ? host_ : "[" + host_ + "]";
  const std::string url = "http://" + host + ":" + std::to_string(port_) + std::string(path);
  const std::string method_text(method);
  Response response;

  SList header_list;
  auto given = [&](std::string_view name) {
    return std::any_of(headers.begin(), headers.end(), [&](const auto& h) { return lower(h.first) == name; });
  };
  if (!given("authorization") && api_key_) header_list.add("Authorization: Bearer " + *api_key_);
  if (!given("content-type")) header_list.add("Content-Type: application/json");
  header_list.add("Expect:");  // no "100-continue" round trip for large bodies
  for (const auto& [name, value] : headers) {
    // "Name:" makes curl leave out a header; "Name;" sends it with an empty value.
    header_list.add(value.empty() ? name + ":" : name + ": " + value);
  }

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http");
  curl_easy_setopt(curl, CURLOPT_PROXY, "");  // ignore http_proxy & co: traffic stays on loopback
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10'000L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list.list);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, impl_->error);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response);

  const bool sends_body = !body.empty() || method == "POST" || method == "PATCH" || method == "PUT";
  if (method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method_text.c_str());
  }
  if (sends_body) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    if (method != "POST") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method_text.c_str());
  }

  const CURLcode rc = curl_easy_perform(curl);
  if (rc != CURLE_OK)
    response.error = impl_->error[0] ? std::string(impl_->error) : std::string(curl_easy_strerror(rc));
  // A status line may have arrived even when the transfer then failed (e.g. the server answered
  // early and closed while the body was still being sent); keep it, with the error beside it.
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  return response;
}

}  // namespace billhook::testing
