// A fast webhook receiver for the benchmark: one thread, epoll, HTTP/1.1 keep-alive (pipelining
// too), on 127.0.0.1 only. Every POST is answered `204 No Content` and counted. With --secret it
// checks `webhook-signature` (Standard Webhooks: base64 HMAC-SHA256 of "id.timestamp.body" keyed
// with the endpoint's whsec_ secret) and counts the requests that do not verify. A body carrying
// `"sent_ns":"<unix ns>"` (the publisher's stamp) gives one latency sample: arrival − sent, both
// CLOCK_REALTIME on the same machine.
//
//   receiver [--port P] [--secret whsec_…]
//
// Prints `receiver listening on 127.0.0.1:PORT` once it accepts. GET /count and GET /latency answer
// JSON; GET /reset zeroes everything. On SIGTERM or SIGINT it prints the counts and exits 0.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

int64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::string base64_encode(const unsigned char* data, size_t size) {
  std::string out(4 * ((size + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string base64_decode(std::string_view text) {
  std::string out(3 * ((text.size() + 3) / 4), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return {};
  size_t size = static_cast<size_t>(n);
  // EVP_DecodeBlock counts the padding as zero bytes.
  if (!text.empty() && text.back() == '=') --size;
  if (text.size() > 1 && text[text.size() - 2] == '=') --size;
  out.resize(size);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

struct Stats {
  uint64_t count = 0;          // POSTs answered
  uint64_t verified = 0;       // signatures checked and good
  uint64_t bad_signatures = 0; // signatures checked and bad (or missing)
  int64_t first_ns = 0;        // arrival of the first POST since the last reset
  int64_t last_ns = 0;         // arrival of the latest POST
  std::vector<int64_t> latencies_ns;
};

class Verifier {
 public:
  explicit Verifier(const std::string& secret) {
    std::string_view s = secret;
    if (s.rfind("whsec_", 0) == 0) s.remove_prefix(6);
    key_ = base64_decode(s);
  }
  bool enabled() const { return !key_.empty(); }

  bool verify(std::string_view id, std::string_view timestamp, std::string_view body, std::string_view header) {
    if (id.empty() || timestamp.empty() || header.empty()) return false;
    message_.clear();
    message_.append(id).append(".").append(timestamp).append(".").append(body);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_size = 0;
    HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), reinterpret_cast<const unsigned char*>(message_.data()),
         message_.size(), mac, &mac_size);
    const std::string expected = base64_encode(mac, mac_size);
    // Space-separated "v1,<base64>" entries: during a rotation there are two.
    while (!header.empty()) {
      const size_t space = header.find(' ');
      std::string_view entry = header.substr(0, space);
      header = space == std::string_view::npos ? std::string_view{} : header.substr(space + 1);
      if (entry.rfind("v1,", 0) == 0 && entry.substr(3) == expected) return true;
    }
    return false;
  }

 private:
  std::string key_;
  std::string message_;
};

struct Connection {
  int fd = -1;
  std::string in;
  size_t consumed = 0;
  std::string out;
  bool close_after = false;
  bool watching_out = false;  // EPOLLOUT registered
};

double percentile_ms(std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t rank = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return static_cast<double>(sorted[std::min(rank, sorted.size() - 1)]) / 1e6;
}

std::string count_json(const Stats& s) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "{\"count\":%llu,\"verified\":%llu,\"bad_signatures\":%llu,\"first_ns\":%lld,\"last_ns\":%lld,"
                "\"latency_samples\":%zu}",
                static_cast<unsigned long long>(s.count), static_cast<unsigned long long>(s.verified),
                static_cast<unsigned long long>(s.bad_signatures), static_cast<long long>(s.first_ns),
                static_cast<long long>(s.last_ns), s.latencies_ns.size());
  return buf;
}

std::string latency_json(const Stats& s) {
  std::vector<int64_t> sorted = s.latencies_ns;
  std::sort(sorted.begin(), sorted.end());
  double sum = 0;
  for (auto v : sorted) sum += static_cast<double>(v);
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "{\"samples\":%zu,\"min_ms\":%.3f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
                "\"mean_ms\":%.3f}",
                sorted.size(), sorted.empty() ? 0.0 : static_cast<double>(sorted.front()) / 1e6,
                percentile_ms(sorted, 0.50), percentile_ms(sorted, 0.90), percentile_ms(sorted, 0.99),
                sorted.empty() ? 0.0 : static_cast<double>(sorted.back()) / 1e6,
                sorted.empty() ? 0.0 : sum / static_cast<double>(sorted.size()) / 1e6);
  return buf;
}

void respond(Connection& c, int status, std::string_view reason, const std::string& json) {
  char head[160];
  if (json.empty()) {
    std::snprintf(head, sizeof head, "HTTP/1.1 %d %.*s\r\n%s\r\n", status, static_cast<int>(reason.size()),
                  reason.data(), c.close_after ? "Connection: close\r\n" : "");
    c.out.append(head);
    return;
  }
  std::snprintf(head, sizeof head, "HTTP/1.1 %d %.*s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n%s\r\n",
                status, static_cast<int>(reason.size()), reason.data(), json.size(),
                c.close_after ? "Connection: close\r\n" : "");
  c.out.append(head).append(json);
}

// Handles every complete request in c.in. Answers false if the connection must be dropped.
bool handle_requests(Connection& c, Stats& stats, Verifier& verifier) {
  for (;;) {
    std::string_view buffer(c.in);
    buffer.remove_prefix(c.consumed);
    const size_t head_end = buffer.find("\r\n\r\n");
    if (head_end == std::string_view::npos) return buffer.size() < 64 * 1024;
    std::string_view head = buffer.substr(0, head_end);
    const size_t line_end = head.find("\r\n");
    std::string_view request_line = head.substr(0, line_end);
    const size_t sp1 = request_line.find(' ');
    const size_t sp2 = request_line.find(' ', sp1 + 1);
    if (sp1 == std::string_view::npos || sp2 == std::string_view::npos) return false;
    const std::string_view method = request_line.substr(0, sp1);
    const std::string_view target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);

    size_t content_length = 0;
    std::string_view id, timestamp, signature;
    bool close = false;
    std::string_view headers = line_end == std::string_view::npos ? std::string_view{} : head.substr(line_end + 2);
    while (!headers.empty()) {
      const size_t eol = headers.find("\r\n");
      std::string_view line = headers.substr(0, eol);
      headers = eol == std::string_view::npos ? std::string_view{} : headers.substr(eol + 2);
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      const std::string_view name = line.substr(0, colon);
      const std::string_view value = trim(line.substr(colon + 1));
      if (iequals(name, "content-length")) content_length = std::strtoull(std::string(value).c_str(), nullptr, 10);
      else if (iequals(name, "webhook-id")) id = value;
      else if (iequals(name, "webhook-timestamp")) timestamp = value;
      else if (iequals(name, "webhook-signature")) signature = value;
      else if (iequals(name, "connection") && iequals(value, "close")) close = true;
      else if (iequals(name, "transfer-encoding")) return false;  // senders here always give a length
    }
    if (content_length > 64 * 1024 * 1024) return false;
    if (buffer.size() < head_end + 4 + content_length) return true;  // wait for the rest of the body
    const std::string_view body = buffer.substr(head_end + 4, content_length);
    c.close_after = close;

    if (method == "POST") {
      const int64_t now = realtime_ns();
      ++stats.count;
      if (stats.first_ns == 0) stats.first_ns = now;
      stats.last_ns = now;
      if (verifier.enabled()) {
        if (verifier.verify(id, timestamp, body, signature)) ++stats.verified;
        else ++stats.bad_signatures;
      }
      constexpr std::string_view kStamp = "\"sent_ns\":\"";
      if (const size_t at = body.find(kStamp); at != std::string_view::npos) {
        const int64_t sent = std::strtoll(body.data() + at + kStamp.size(), nullptr, 10);
        if (sent > 0) stats.latencies_ns.push_back(now - sent);
      }
      respond(c, 204, "No Content", {});
    } else if (method == "GET" && target == "/count") {
      respond(c, 200, "OK", count_json(stats));
    } else if (method == "GET" && target == "/latency") {
      respond(c, 200, "OK", latency_json(stats));
    } else if (method == "GET" && target == "/reset") {
      stats = Stats{};
      stats.latencies_ns.reserve(1 << 20);
      respond(c, 200, "OK", count_json(stats));
    } else {
      respond(c, 404, "Not Found", "{\"error\":\"not found\"}");
    }
    c.consumed += head_end + 4 + content_length;
    if (c.consumed == c.in.size()) {
      c.in.clear();
      c.consumed = 0;
    }
    if (close) return true;
  }
}

bool flush(Connection& c) {
  while (!c.out.empty()) {
    const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
    c.out.erase(0, static_cast<size_t>(n));
  }
  return true;
}

int usage() {
  std::fprintf(stderr, "usage: receiver [--port P] [--secret whsec_…]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  std::string secret;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--port" && i + 1 < argc) port = std::atoi(argv[++i]);
    else if (arg == "--secret" && i + 1 < argc) secret = argv[++i];
    else return usage();
  }
  Verifier verifier(secret);
  if (!secret.empty() && !verifier.enabled()) {
    std::fprintf(stderr, "receiver: --secret is not a whsec_<base64> secret\n");
    return 2;
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  const int signal_fd = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);

  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || listen(listener, 4096) != 0) {
    std::fprintf(stderr, "receiver: cannot listen on 127.0.0.1:%d: %s\n", port, std::strerror(errno));
    return 1;
  }
  socklen_t length = sizeof address;
  getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  std::printf("receiver listening on 127.0.0.1:%u\n", static_cast<unsigned>(ntohs(address.sin_port)));
  std::fflush(stdout);

  const int epoll = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listener;
  epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &ev);
  ev.data.fd = signal_fd;
  epoll_ctl(epoll, EPOLL_CTL_ADD, signal_fd, &ev);

  Stats stats;
  stats.latencies_ns.reserve(1 << 20);
  std::unordered_map<int, std::unique_ptr<Connection>> connections;
  auto drop = [&](int fd) {
    epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    connections.erase(fd);
  };

  std::vector<epoll_event> events(256);
  char chunk[64 * 1024];
  for (;;) {
    const int n = epoll_wait(epoll, events.data(), static_cast<int>(events.size()), -1);
    if (n < 0 && errno == EINTR) continue;
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == signal_fd) {
        std::printf("receiver: %s\n", count_json(stats).c_str());
        std::fflush(stdout);
        return 0;
      }
      if (fd == listener) {
        for (;;) {
          const int client = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (client < 0) break;
          setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          auto c = std::make_unique<Connection>();
          c->fd = client;
          epoll_event cev{};
          cev.events = EPOLLIN | EPOLLRDHUP;
          cev.data.fd = client;
          epoll_ctl(epoll, EPOLL_CTL_ADD, client, &cev);
          connections.emplace(client, std::move(c));
        }
        continue;
      }
      auto it = connections.find(fd);
      if (it == connections.end()) continue;
      Connection& c = *it->second;
      bool alive = true;
      if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        for (;;) {
          const ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
          if (got > 0) {
            c.in.append(chunk, static_cast<size_t>(got));
            continue;
          }
          if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) alive = false;
          break;
        }
        if (!handle_requests(c, stats, verifier)) alive = false;
      }
      if (!flush(c)) alive = false;
      if (c.out.empty() && c.close_after) alive = false;
      if (!alive) {
        drop(fd);
        continue;
      }
      if (c.watching_out == c.out.empty()) {
        c.watching_out = !c.out.empty();
        epoll_event cev{};
        cev.events = EPOLLIN | EPOLLRDHUP | (c.watching_out ? static_cast<uint32_t>(EPOLLOUT) : 0u);
        cev.data.fd = fd;
        epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &cev);
      }
    }
  }
}
