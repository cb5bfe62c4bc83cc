#include "support/receiver.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "support/wait.hpp"

extern char** environ;

namespace billhook::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr size_t kMaxBodyBytes = 16 * 1024 * 1024;

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 410: return "Gone";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

// Writes all of `data`; false once the peer is gone or `stop_fd` becomes readable (the receiver
// stops), so a peer that stops reading never blocks shutdown. MSG_NOSIGNAL: a closed peer is an
// error, not SIGPIPE.
bool send_all(int fd, std::string_view data, int stop_fd) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd polls[2] = {{stop_fd, POLLIN, 0}, {fd, POLLOUT, 0}};
      if (::poll(polls, 2, -1) < 0 && errno != EINTR) return false;
      if (polls[0].revents) return false;
      continue;
    }
    return false;
  }
  return true;
}

std::string head_of(int status, size_t content_length, const Behaviour& b) {
  std::string head = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
  head += "Content-Type: application/json\r\n";
  head += "Content-Length: " + std::to_string(content_length) + "\r\n";
  head += "X-Receiver: billhook-test\r\n";
  for (const auto& [name, value] : b.headers) head += name + ": " + value + "\r\n";
  head += "\r\n";
  return head;
}

int listen_on(int family, uint16_t port, uint16_t* bound) {
  const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int rc = -1;
  if (family == AF_INET) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rc = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  } else {
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    a.sin6_addr = in6addr_loopback;
    rc = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  if (rc != 0 || ::listen(fd, 128) != 0) {
    ::close(fd);
    return -1;
  }
  sockaddr_storage got{};
  socklen_t len = sizeof got;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&got), &len);
  *bound = family == AF_INET ? ntohs(reinterpret_cast<sockaddr_in*>(&got)->sin_port)
                             : ntohs(reinterpret_cast<sockaddr_in6*>(&got)->sin6_port);
  return fd;
}

}  // namespace

// ---- ReceivedRequest ----

std::string ReceivedRequest::header(std::string_view name) const {
  auto it = headers.find(lower(name));
  return it == headers.end() ? std::string() : it->second;
}

boost::json::value ReceivedRequest::json() const {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec) throw std::runtime_error("the webhook body is not JSON (" + ec.message() + "): " + body.substr(0, 500));
  return v;
}

std::string ReceivedRequest::event_type() const {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return {};
  const auto* type = v.as_object().if_contains("type");
  return type && type->is_string() ? std::string(type->as_string()) : std::string();
}

// ---- Behaviour ----

Behaviour Behaviour::ok(int status) {
  Behaviour b;
  b.status = status;
  if (status == 204) b.body.clear();
  return b;
}

Behaviour Behaviour::status_code(int status) {
  Behaviour b;
  b.status = status;
  b.body = R"({"error":"receiver told to answer )" + std::to_string(status) + R"("})";
  return b;
}

Behaviour Behaviour::retry_after(int status, std::string value) {
  return status_code(status).with_header("Retry-After", std::move(value));
}

Behaviour Behaviour::redirect(std::string location, int status) {
  Behaviour b = status_code(status).with_header("Location", std::move(location));
  b.body.clear();
  return b;
}

Behaviour Behaviour::hang() {
  Behaviour b;
  b.kind = Kind::hang;
  b.status = 0;
  return b;
}

Behaviour Behaviour::trickle(milliseconds interval) {
  Behaviour b;
  b.kind = Kind::trickle;
  b.interval = interval;
  b.body = std::string(4096, 't');  // far longer than any test waits for
  return b;
}

Behaviour Behaviour::huge(size_t bytes, int status) {
  Behaviour b;
  b.kind = Kind::huge;
  b.status = status;
  b.huge_bytes = bytes;
  return b;
}

Behaviour Behaviour::reset() {
  Behaviour b;
  b.kind = Kind::reset;
  b.status = 0;
  return b;
}

Behaviour Behaviour::delayed(milliseconds delay) { return ok().after(delay); }

Script fail_first(int n, int status) {
  Script script(static_cast<size_t>(std::max(n, 0)), Behaviour::status_code(status));
  script.push_back(Behaviour::ok());
  return script;
}

// ---- Receiver ----

struct Receiver::Connection {
  int fd = -1;
  int number = 0;
  std::atomic<bool> finished{false};
  std::thread thread;
};

Receiver::Receiver(ReceiverOptions options) : options_(std::move(options)) {
  if (::pipe2(stop_pipe_, O_CLOEXEC) != 0) throw std::runtime_error(errno_text("pipe2"));
  listen_fd_ = listen_on(AF_INET, 0, &port_);
  if (listen_fd_ < 0) throw std::runtime_error(errno_text("receiver: listen on 127.0.0.1"));
  if (options_.ipv6) {
    listen_fd_v6_ = listen_on(AF_INET6, port_, &port_v6_);
    if (listen_fd_v6_ < 0) listen_fd_v6_ = listen_on(AF_INET6, 0, &port_v6_);
    if (listen_fd_v6_ < 0) {
      const std::string why = errno_text("receiver: listen on [::1]");
      ::close(listen_fd_);
      throw std::runtime_error(why);
    }
  }
  acceptor_ = std::thread([this] { accept_loop(); });
}

Receiver::~Receiver() {
  [[maybe_unused]] auto ignored = ::write(stop_pipe_[1], "x", 1);
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::unique_ptr<Connection>> connections;
  {
    std::lock_guard lock(mutex_);
    connections.swap(connections_);
  }
  for (auto& c : connections)
    if (c->thread.joinable()) c->thread.join();
  for (int fd : {listen_fd_, listen_fd_v6_, stop_pipe_[0], stop_pipe_[1]})
    if (fd >= 0) ::close(fd);
}

std::string Receiver::url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

std::string Receiver::url_v6(std::string_view path) const {
  return "http://[::1]:" + std::to_string(port_v6_) + std::string(path);
}

void Receiver::on(const std::string& path, Behaviour behaviour) { on(path, Script{std::move(behaviour)}); }

void Receiver::on(const std::string& path, Script script) {
  std::lock_guard lock(mutex_);
  auto& state = paths_[path];
  state.script = std::move(script);
  state.decider = nullptr;
}

void Receiver::on(const std::string& path, Decider decider) {
  std::lock_guard lock(mutex_);
  auto& state = paths_[path];
  state.script.clear();
  state.decider = std::move(decider);
}

std::vector<ReceivedRequest> Receiver::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::vector<ReceivedRequest> Receiver::requests_for(std::string_view path) const {
  std::lock_guard lock(mutex_);
  std::vector<ReceivedRequest> out;
  for (const auto& r : requests_)
    if (r.path == path) out.push_back(r);
  return out;
}

size_t Receiver::count() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

size_t Receiver::count_for(std::string_view path) const {
  std::lock_guard lock(mutex_);
  return static_cast<size_t>(
      std::count_if(requests_.begin(), requests_.end(), [&](const ReceivedRequest& r) { return r.path == path; }));
}

bool Receiver::wait_for_requests(size_t n, milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return arrived_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
}

bool Receiver::wait_for_requests(std::string_view path, size_t n, milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return arrived_.wait_for(lock, timeout, [&] {
    return static_cast<size_t>(std::count_if(requests_.begin(), requests_.end(),
                                             [&](const ReceivedRequest& r) { return r.path == path; })) >= n;
  });
}

bool Receiver::wait_until(const std::function<bool(const std::vector<ReceivedRequest>&)>& done,
                          milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return arrived_.wait_for(lock, timeout, [&] { return done(requests_); });
}

int Receiver::peak_concurrency(std::string_view path) const {
  std::lock_guard lock(mutex_);
  auto it = paths_.find(path);
  return it == paths_.end() ? 0 : it->second.peak;
}

int Receiver::connections() const {
  std::lock_guard lock(mutex_);
  return accepted_;
}

void Receiver::accept_loop() {
  for (;;) {
    pollfd polls[3] = {{stop_pipe_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}, {listen_fd_v6_, POLLIN, 0}};
    const nfds_t count = listen_fd_v6_ >= 0 ? 3 : 2;
    if (::poll(polls, count, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (polls[0].revents) return;
    for (nfds_t i = 1; i < count; ++i) {
      if (!(polls[i].revents & POLLIN)) continue;
      const int fd = ::accept4(polls[i].fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::lock_guard lock(mutex_);
      // Reap the threads of connections that have ended.
      for (auto it = connections_.begin(); it != connections_.end();) {
        if ((*it)->finished) {
          (*it)->thread.join();
          it = connections_.erase(it);
        } else {
          ++it;
        }
      }
      auto c = std::make_unique<Connection>();
      c->fd = fd;
      c->number = ++accepted_;
      Connection* raw = c.get();
      c->thread = std::thread([this, raw] {
        serve(*raw);
        if (raw->fd >= 0) ::close(raw->fd);
        raw->fd = -1;
        raw->finished = true;
      });
      connections_.push_back(std::move(c));
    }
  }
}

bool Receiver::pause(int fd, milliseconds d) const {
  const auto deadline = SteadyClock::now() + d;
  for (;;) {
    const auto left = std::chrono::ceil<milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) return true;
    pollfd polls[2] = {{stop_pipe_[0], POLLIN, 0}, {fd, POLLRDHUP, 0}};
    const int r = ::poll(polls, 2, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return false;
    if (r == 0) return true;
    return false;  // stopping, or the peer hung up
  }
}

Behaviour Receiver::decide(ReceivedRequest& request) {
  std::lock_guard lock(mutex_);
  auto& state = paths_[request.path];
  request.nth = ++state.seen;
  Behaviour b = options_.default_behaviour;
  if (state.decider) {
    b = state.decider(request);
  } else if (!state.script.empty()) {
    b = state.script[std::min(static_cast<size_t>(request.nth), state.script.size()) - 1];
  }
  switch (b.kind) {
    case Behaviour::Kind::respond: request.answered = b.status; break;
    case Behaviour::Kind::trickle: request.answered = 200; break;
    case Behaviour::Kind::huge: request.answered = b.status; break;
    case Behaviour::Kind::hang:
    case Behaviour::Kind::reset: request.answered = 0; break;
  }
  ++state.active;
  state.peak = std::max(state.peak, state.active);
  requests_.push_back(request);
  arrived_.notify_all();
  return b;
}

void Receiver::finished(const std::string& path) {
  std::lock_guard lock(mutex_);
  --paths_[path].active;
}

void Receiver::serve(Connection& connection) {
  const int fd = connection.fd;
  std::string buffer;
  // Reads more into `buffer`; false when the peer closed or the receiver stops.
  auto read_more = [&]() -> bool {
    for (;;) {
      pollfd polls[2] = {{stop_pipe_[0], POLLIN, 0}, {fd, POLLIN, 0}};
      if (::poll(polls, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      if (polls[0].revents) return false;
      char chunk[16384];
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buffer.append(chunk, static_cast<size_t>(n));
      return true;
    }
  };

  for (;;) {
    size_t header_end;
    while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (buffer.size() > kMaxHeaderBytes || !read_more()) return;
    }
    ReceivedRequest request;
    request.connection = connection.number;
    std::string_view head(buffer.data(), header_end);
    const size_t line_end = head.find("\r\n");
    std::string_view line = head.substr(0, line_end);
    const size_t sp1 = line.find(' ');
    const size_t sp2 = line.find(' ', sp1 == std::string_view::npos ? 0 : sp1 + 1);
    if (sp1 == std::string_view::npos || sp2 == std::string_view::npos) return;
    request.method = std::string(line.substr(0, sp1));
    request.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
    request.path = request.target.substr(0, request.target.find('?'));
    std::string_view rest = line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 2);
    while (!rest.empty()) {
      const size_t end = rest.find("\r\n");
      std::string_view field = rest.substr(0, end);
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 2);
      const size_t colon = field.find(':');
      if (colon == std::string_view::npos) continue;
      request.headers[lower(trim(field.substr(0, colon)))] = std::string(trim(field.substr(colon + 1)));
    }
    if (request.headers.contains("transfer-encoding")) {
      send_all(fd, "HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", stop_pipe_[0]);
      return;  // the receiver reads Content-Length bodies only, which is what curl sends for a POST
    }
    size_t length = 0;
    if (auto it = request.headers.find("content-length"); it != request.headers.end()) {
      const auto& v = it->second;
      auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), length);
      if (ec != std::errc() || length > kMaxBodyBytes) return;
    }
    const size_t body_start = header_end + 4;
    while (buffer.size() < body_start + length)
      if (!read_more()) return;
    request.body = buffer.substr(body_start, length);
    buffer.erase(0, body_start + length);
    request.arrived = SteadyClock::now();
    const bool client_closes = lower(request.header("connection")) == "close";

    const Behaviour b = decide(request);
    bool keep = true;
    switch (b.kind) {
      case Behaviour::Kind::respond:
        keep = pause(fd, b.delay) && send_all(fd, head_of(b.status, b.body.size(), b) + b.body, stop_pipe_[0]);
        break;
      case Behaviour::Kind::hang:
        pause(fd, milliseconds(std::numeric_limits<int>::max()));
        keep = false;
        break;
      case Behaviour::Kind::trickle: {
        const std::string status_and_headers = head_of(200, b.body.size(), b);
        if (b.head_at_once && !send_all(fd, status_and_headers, stop_pipe_[0])) {
          keep = false;
          break;
        }
        const std::string whole = b.head_at_once ? b.body : status_and_headers + b.body;
        for (char c : whole) {
          if (!send_all(fd, std::string_view(&c, 1), stop_pipe_[0]) || !pause(fd, b.interval)) {
            keep = false;
            break;
          }
        }
        break;
      }
      case Behaviour::Kind::huge: {
        keep = pause(fd, b.delay) && send_all(fd, head_of(b.status, b.huge_bytes, b), stop_pipe_[0]);
        const std::string chunk(64 * 1024, 'x');
        for (size_t sent = 0; keep && sent < b.huge_bytes; sent += chunk.size())
          keep = send_all(fd, std::string_view(chunk).substr(0, std::min(chunk.size(), b.huge_bytes - sent)),
                          stop_pipe_[0]);
        break;
      }
      case Behaviour::Kind::reset: {
        if (pause(fd, b.delay)) {
          const linger hard{1, 0};
          ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
        }
        keep = false;  // serve's caller closes: with linger 0 that sends an RST
        break;
      }
    }
    finished(request.path);
    if (!keep || client_closes) return;
  }
}

// ---- Helpers ----

namespace {

fs::path verify_script() {
  if (const char* path = std::getenv("BILLHOOK_VERIFY_SCRIPT"); path && *path) return path;
  // Not __FILE__: with CCACHE_BASEDIR it is relative to the build directory, not to where tests run.
  return fs::path(BILLHOOK_TEST_SUPPORT_DIR) / "verify_webhooks.mjs";
}

std::string find_in_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string_view dirs(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
  while (!dirs.empty()) {
    const size_t colon = dirs.find(':');
    const fs::path candidate = fs::path(std::string(dirs.substr(0, colon))) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    dirs = colon == std::string_view::npos ? std::string_view() : dirs.substr(colon + 1);
  }
  throw std::runtime_error("verify_webhooks: '" + program + "' is not on PATH");
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

std::vector<std::string> verify_webhooks(const std::vector<SignedWebhook>& items) {
  boost::json::array input;
  for (const auto& item : items) {
    boost::json::object headers;
    for (const auto& [name, value] : item.headers) headers[name] = value;
    input.push_back(boost::json::object{{"secret", item.secret}, {"headers", headers}, {"body", item.body}});
  }
  static std::atomic<int> counter{0};
  const fs::path base =
      fs::temp_directory_path() / ("billhook_verify_" + std::to_string(::getpid()) + "_" + std::to_string(++counter));
  const fs::path in_path = base.string() + ".json";
  const fs::path err_path = base.string() + ".err";
  {
    std::ofstream out(in_path, std::ios::binary);
    out << boost::json::serialize(input);
  }
  const std::string node = find_in_path("node");
  const std::string script = verify_script().string();
  std::vector<char*> argv{const_cast<char*>(node.c_str()), const_cast<char*>(script.c_str()), nullptr};
  const int in_fd = ::open(in_path.c_str(), O_RDONLY | O_CLOEXEC);
  const int err_fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int out_pipe[2];
  if (in_fd < 0 || err_fd < 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error(errno_text("verify_webhooks: setting up node's input and output"));
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);
    if (::dup2(in_fd, 0) < 0 || ::dup2(out_pipe[1], 1) < 0 || ::dup2(err_fd, 2) < 0) ::_exit(126);
    ::execve(argv[0], argv.data(), environ);
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(in_fd);
  ::close(err_fd);
  std::string output;
  char chunk[4096];
  for (;;) {
    const ssize_t n = ::read(out_pipe[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(chunk, static_cast<size_t>(n));
  }
  ::close(out_pipe[0]);
  int status = 0;
  while (pid > 0 && ::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const std::string errors = slurp(err_path);
  std::error_code ignored;
  fs::remove(in_path, ignored);
  fs::remove(err_path, ignored);
  if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) > 1)
    throw std::runtime_error("verify_webhooks: node " + script + " failed (status " + std::to_string(status) +
                             "): " + errors + output);
  std::vector<std::string> lines;
  std::istringstream stream(output);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  if (lines.size() != items.size())
    throw std::runtime_error("verify_webhooks: " + std::to_string(items.size()) + " items but " +
                             std::to_string(lines.size()) + " answers: " + output + errors);
  return lines;
}

size_t count_verified(const std::vector<ReceivedRequest>& requests, const std::string& secret,
                      std::vector<std::string>* failures) {
  std::vector<SignedWebhook> items;
  for (const auto& r : requests) {
    SignedWebhook item{secret, {}, r.body};
    for (const char* name : {"webhook-id", "webhook-timestamp", "webhook-signature"})
      item.headers[name] = r.header(name);
    items.push_back(std::move(item));
  }
  if (items.empty()) return 0;
  const auto lines = verify_webhooks(items);
  size_t ok = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i] == "ok") {
      ++ok;
    } else if (failures) {
      failures->push_back(requests[i].header("webhook-id") + ": " + lines[i]);
    }
  }
  return ok;
}

boost::json::value await_resource(HttpClient& client, const std::string& path,
                                  const std::function<bool(const boost::json::value&)>& done, milliseconds timeout) {
  boost::json::value reached;
  std::string last;
  const bool ok = poll_until(
      [&] {
        auto response = client.get(path);
        if (response.status == 200) {
          auto value = response.json();
          if (done(value)) {
            reached = std::move(value);
            return true;
          }
        }
        last = describe(response);
        return false;
      },
      timeout);
  if (!ok)
    throw std::runtime_error("GET " + path + " did not reach the awaited state within " +
                             std::to_string(timeout.count()) + " ms; last answer: " + last);
  return reached;
}

boost::json::object await_delivery(HttpClient& client, const std::string& delivery_id,
                                   const std::function<bool(const boost::json::object&)>& done, milliseconds timeout,
                                   const std::string& what) {
  try {
    return await_resource(
               client, "/v1/deliveries/" + delivery_id,
               [&](const boost::json::value& v) { return v.is_object() && done(v.as_object()); }, timeout)
        .as_object();
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("waiting for " + what + ": " + e.what());
  }
}

boost::json::object await_status(HttpClient& client, const std::string& delivery_id, std::string_view status,
                                 int attempts, milliseconds timeout) {
  return await_delivery(
      client, delivery_id,
      [&](const boost::json::object& d) {
        return d.at("status").as_string() == status && d.at("attempt_count").as_int64() >= attempts;
      },
      timeout, "status " + std::string(status) + " after at least " + std::to_string(attempts) + " attempts");
}

std::string delivery_of(HttpClient& client, const std::string& event_id, const std::string& endpoint_id) {
  const std::string path = "/v1/deliveries?limit=10&event_id=" + event_id + "&endpoint_id=" + endpoint_id;
  auto response = client.get(path);
  if (response.status != 200) throw std::runtime_error("GET " + path + ": " + describe(response));
  const auto body = response.json();
  const auto& data = body.at("data").as_array();
  if (data.size() != 1)
    throw std::runtime_error("expected one delivery of " + event_id + " to " + endpoint_id + ", found " +
                             std::to_string(data.size()));
  return std::string(data[0].at("id").as_string());
}

int64_t advance_clock(HttpClient& client, int64_t seconds) {
  auto response = client.post("/v1/test/clock", boost::json::object{{"advance_seconds", seconds}});
  if (response.status != 200) throw std::runtime_error("advancing the test clock: " + describe(response));
  return response.json().at("now_ms").as_int64();
}

}  // namespace billhook::testing
