#include "delivery/curl_http_client.hpp"

#include <curl/curl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

namespace billhook::delivery {

std::string_view to_string(ErrorClass error_class) {
  switch (error_class) {
    case ErrorClass::none: return "none";
    case ErrorClass::dns: return "dns";
    case ErrorClass::connect: return "connect";
    case ErrorClass::tls: return "tls";
    case ErrorClass::timeout: return "timeout";
    case ErrorClass::ssrf_blocked: return "ssrf_blocked";
    case ErrorClass::response_too_large: return "response_too_large";
    case ErrorClass::http_status: return "http_status";
  }
  return "none";
}

struct CurlHttpClient::Transfer {
  OutboundRequest request;
  Done done;
  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  const NetworkPolicy* policy = nullptr;
  OutboundResult result;
  std::string blocked_reason;
  bool blocked = false;
  bool too_large = false;
  bool too_slow = false;
  std::optional<std::chrono::steady_clock::time_point> answer_began;
  size_t received = 0;
  std::chrono::steady_clock::time_point started;
  char error_text[CURL_ERROR_SIZE] = {};

  ~Transfer() {
    if (easy) curl_easy_cleanup(easy);
    curl_slist_free_all(header_list);
  }
};

namespace {

// Called by curl for every socket it is about to connect: this is where the SSRF guard sees
// the real address, after DNS, on every connection.
curl_socket_t open_socket(void* data, curlsocktype /*purpose*/, curl_sockaddr* address) {
  auto* transfer = static_cast<CurlHttpClient::Transfer*>(data);
  const auto check = transfer->policy->check(&address->addr);
  if (check.verdict == AddressVerdict::blocked) {
    transfer->blocked = true;
    transfer->blocked_reason = check.reason;
    return CURL_SOCKET_BAD;
  }
  return ::socket(address->family, address->socktype, address->protocol);
}

// Cuts off a receiver that trickles its answer; see OutboundRequest::low_speed_bytes_per_second.
int on_progress(void* user, curl_off_t /*dltotal*/, curl_off_t /*dlnow*/, curl_off_t /*ultotal*/, curl_off_t /*ulnow*/) {
  auto* t = static_cast<CurlHttpClient::Transfer*>(user);
  if (!t->answer_began) return 0;
  const auto elapsed = std::chrono::steady_clock::now() - *t->answer_began;
  if (elapsed < t->request.low_speed_window) return 0;
  const double seconds = std::chrono::duration<double>(elapsed).count();
  if (static_cast<double>(t->received) / seconds >= static_cast<double>(t->request.low_speed_bytes_per_second)) return 0;
  t->too_slow = true;
  return 1;  // aborts the transfer: CURLE_ABORTED_BY_CALLBACK
}

void note_bytes(CurlHttpClient::Transfer& t, size_t n) {
  if (!t.answer_began) t.answer_began = std::chrono::steady_clock::now();
  t.received += n;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<CurlHttpClient::Transfer*>(user);
  const size_t n = size * count;
  note_bytes(*transfer, n);
  auto& body = transfer->result.body;
  if (body.size() + n > transfer->request.max_response_bytes) {
    body.append(data, transfer->request.max_response_bytes - body.size());
    transfer->too_large = true;
    return 0;  // makes curl stop reading: CURLE_WRITE_ERROR
  }
  body.append(data, n);
  return n;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<CurlHttpClient::Transfer*>(user);
  const size_t n = size * count;
  note_bytes(*transfer, n);
  std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {
    transfer->result.headers.clear();  // a new response (after 100 Continue, say)
    return n;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  auto value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
  if (transfer->result.headers.size() < 100) transfer->result.headers.emplace_back(std::move(name), std::string(value));
  return n;
}

ErrorClass classify(CURLcode code, const CurlHttpClient::Transfer& t) {
  switch (code) {
    case CURLE_OK: return t.result.status_code >= 200 && t.result.status_code < 300 ? ErrorClass::none
                                                                                      : ErrorClass::http_status;
    case CURLE_COULDNT_RESOLVE_HOST: return ErrorClass::dns;
    case CURLE_OPERATION_TIMEDOUT: return ErrorClass::timeout;
    case CURLE_WRITE_ERROR:
      if (!t.too_large) return ErrorClass::connect;
      // The receiver said 2xx before we stopped reading: it has the event.
      return t.result.status_code >= 200 && t.result.status_code < 300 ? ErrorClass::none
                                                                          : ErrorClass::response_too_large;
    case CURLE_ABORTED_BY_CALLBACK: return t.too_slow ? ErrorClass::timeout : ErrorClass::connect;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS: return ErrorClass::tls;
    default: return t.blocked ? ErrorClass::ssrf_blocked : ErrorClass::connect;
  }
}

}  // namespace

CurlHttpClient::CurlHttpClient(NetworkPolicy policy) : policy_(std::move(policy)) {
  static const bool initialised = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  if (!initialised) throw std::runtime_error("curl_global_init failed");
  multi_ = curl_multi_init();
  if (!multi_) throw std::runtime_error("curl_multi_init failed");
  thread_ = std::thread([this] { run(); });
}

CurlHttpClient::~CurlHttpClient() {
  stopping_ = true;
  curl_multi_wakeup(static_cast<CURLM*>(multi_));
  thread_.join();
  curl_multi_cleanup(static_cast<CURLM*>(multi_));
}

void CurlHttpClient::send(OutboundRequest request, Done done) {
  auto transfer = std::make_unique<Transfer>();
  transfer->request = std::move(request);
  transfer->done = std::move(done);
  transfer->policy = &policy_;
  ++in_flight_;
  {
    std::lock_guard lock(mutex_);
    queued_.push_back(std::move(transfer));
  }
  curl_multi_wakeup(static_cast<CURLM*>(multi_));
}

void CurlHttpClient::start(std::unique_ptr<Transfer> owned) {
  Transfer* t = owned.release();  // owned by the multi handle until finish()
  CURL* easy = curl_easy_init();
  t->easy = easy;
  const auto& r = t->request;
  for (const auto& [name, value] : r.headers)
    t->header_list = curl_slist_append(t->header_list, fmt::format("{}: {}", name, value).c_str());
  // curl would otherwise send "Expect: 100-continue" for larger bodies and wait for it.
  t->header_list = curl_slist_append(t->header_list, "Expect:");
  curl_easy_setopt(easy, CURLOPT_URL, r.url.c_str());
  if (r.method == "GET") {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, r.body.data());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
    if (r.method != "POST") curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, r.method.c_str());
  }
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t->header_list);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "billhook-webhooks/0.1");
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(r.connect_timeout.count()));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(r.total_timeout.count()));
  curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(easy, CURLOPT_XFERINFODATA, t);
  curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, open_socket);
  curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, t);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, t);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t->error_text);
  curl_easy_setopt(easy, CURLOPT_PRIVATE, t);
  curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
  t->started = std::chrono::steady_clock::now();
  active_.insert(t);
  curl_multi_add_handle(static_cast<CURLM*>(multi_), easy);
}

void CurlHttpClient::finish(Transfer* raw, int curl_code) {
  std::unique_ptr<Transfer> t(raw);
  active_.erase(raw);
  const auto code = static_cast<CURLcode>(curl_code);
  long status = 0;
  curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
  curl_multi_remove_handle(static_cast<CURLM*>(multi_), t->easy);
  auto& result = t->result;
  result.status_code = static_cast<int>(status);
  result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t->started);
  result.error_class = classify(code, *t);
  switch (result.error_class) {
    case ErrorClass::none:
      if (t->too_large)
        result.error_message = fmt::format("answer longer than {} bytes; the rest was not read", t->request.max_response_bytes);
      break;
    case ErrorClass::ssrf_blocked: result.error_message = "blocked by the SSRF guard: " + t->blocked_reason; break;
    case ErrorClass::response_too_large:
      result.error_message = fmt::format("response body larger than {} bytes", t->request.max_response_bytes);
      break;
    case ErrorClass::http_status:
      result.error_message = status >= 300 && status < 400 ? fmt::format("HTTP {}: redirects are not followed", status)
                                                           : fmt::format("HTTP {}", status);
      break;
    case ErrorClass::timeout:
      if (t->too_slow) {
        result.error_message = fmt::format("the receiver sent its answer slower than {} bytes a second",
                                           t->request.low_speed_bytes_per_second);
        break;
      }
      [[fallthrough]];
    default:
      result.error_message = t->error_text[0] ? std::string(t->error_text) : std::string(curl_easy_strerror(code));
  }
  auto done = std::move(t->done);
  --in_flight_;
  done(std::move(result));
}

void CurlHttpClient::run() {
  auto* multi = static_cast<CURLM*>(multi_);
  while (!stopping_) {
    std::deque<std::unique_ptr<Transfer>> starting;
    {
      std::lock_guard lock(mutex_);
      starting.swap(queued_);
    }
    for (auto& t : starting) start(std::move(t));
    int running = 0;
    curl_multi_perform(multi, &running);
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &left)) {
      if (message->msg != CURLMSG_DONE) continue;
      Transfer* t = nullptr;
      curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &t);
      finish(t, message->data.result);
    }
    curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
  }
  // Abandon what is left; see the destructor's comment.
  {
    std::lock_guard lock(mutex_);
    queued_.clear();
  }
  for (Transfer* t : active_) {
    curl_multi_remove_handle(multi, t->easy);
    delete t;
  }
  active_.clear();
}

}  // namespace billhook::delivery
