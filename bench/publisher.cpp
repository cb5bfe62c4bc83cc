// Publishes events to billhook (POST /v1/events) over keep-alive connections to 127.0.0.1, for the
// benchmark. One thread, epoll.
//
//   publisher --port P --api-key K --template FILE --count N [--connections C]
//             [--rate R] [--id-prefix X] [--progress-every M --rss-pid PID]
//
// The template is a request body in which `__ID__` becomes a unique invoice id (prefix + number, so
// every event is its own aggregate and none waits for another) and `__SENT__` the unix time in ns
// at which the event was due to be sent (the receiver's latency stamp).
//
// Without --rate it is closed-loop: each connection sends its next request as soon as the previous
// one is answered (the fastest this client can publish). With --rate it is open-loop: event i is
// due at start + i/R whatever the answers do; a due event with no idle connection waits for one
// (it is counted as late) but keeps its due time as stamp, so slow answers show up as latency
// instead of hiding it (no coordinated omission).
//
// Prints one JSON line per progress step (with billhook's VmRSS if --rss-pid) and a summary line.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

int64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

long rss_kib(int pid) {
  if (pid <= 0) return -1;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

struct Options {
  int port = 0;
  std::string api_key;
  std::string template_text;
  uint64_t count = 0;
  int connections = 32;
  double rate = 0;
  std::string id_prefix = "inv_bench_";
  uint64_t progress_every = 0;
  int rss_pid = 0;
};

struct Connection {
  int fd = -1;
  bool busy = false;
  uint64_t answers = 0;
  std::string out;
  size_t written = 0;
  std::string in;
};

class Publisher {
 public:
  explicit Publisher(Options options) : o_(std::move(options)) {
    const size_t at = o_.template_text.find("__ID__");
    const size_t st = o_.template_text.find("__SENT__");
    if (at == std::string::npos || st == std::string::npos || st < at) {
      std::fprintf(stderr, "publisher: the template needs __ID__ and then __SENT__\n");
      std::exit(2);
    }
    t_before_id_ = o_.template_text.substr(0, at);
    t_between_ = o_.template_text.substr(at + 6, st - at - 6);
    t_after_ = o_.template_text.substr(st + 8);
  }

  int run() {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    for (int i = 0; i < o_.connections; ++i)
      if (!open_connection()) return 1;
    start_mono_ = monotonic_ns();
    start_real_ = realtime_ns();
    const int64_t interval_ns = o_.rate > 0 ? static_cast<int64_t>(1e9 / o_.rate) : 0;
    std::vector<epoll_event> events(256);
    while (completed_ < o_.count) {
      // Hand due events to idle connections.
      const int64_t now = monotonic_ns();
      if (o_.rate > 0) {
        while (scheduled_ < o_.count && start_mono_ + static_cast<int64_t>(scheduled_) * interval_ns <= now)
          due_.push_back(start_real_ + static_cast<int64_t>(scheduled_++) * interval_ns);
      } else {
        while (scheduled_ < o_.count && due_.size() < static_cast<size_t>(o_.connections)) {
          due_.push_back(0);
          ++scheduled_;
        }
      }
      for (auto& c : connections_) {
        if (due_.empty()) break;
        if (c.busy) continue;
        int64_t stamp = due_.front();
        due_.pop_front();
        if (stamp == 0) stamp = realtime_ns();
        else if (realtime_ns() - stamp > 1'000'000) ++late_;
        send_request(c, stamp);
      }
      max_waiting_ = std::max<uint64_t>(max_waiting_, due_.size());
      int timeout_ms = -1;
      if (o_.rate > 0 && scheduled_ < o_.count) {
        const int64_t next = start_mono_ + static_cast<int64_t>(scheduled_) * interval_ns;
        timeout_ms = static_cast<int>(std::max<int64_t>(0, (next - monotonic_ns()) / 1'000'000));
      }
      const int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), timeout_ms);
      if (n < 0 && errno != EINTR) {
        std::perror("epoll_wait");
        return 1;
      }
      for (int i = 0; i < n; ++i) {
        auto& c = connections_[static_cast<size_t>(events[i].data.u32)];
        if (events[i].events & EPOLLOUT) write_some(c);
        if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
          if (read_some(c)) continue;
          // billhook closes a connection that sends no request within its header timeout (5 s): at a
          // paced rate the connections past those in use wait idle, so one closed with no request in
          // flight is opened again, and so is one closed as its first request went out (sent again).
          // One closed in the middle of any other request is a failure.
          const bool first_request_cut = c.busy && c.answers == 0 && c.in.empty();
          if (c.busy && !first_request_cut) {
            std::fprintf(stderr, "publisher: billhook closed a connection after %llu answers, with a request in flight\n",
                         static_cast<unsigned long long>(completed_));
            return 1;
          }
          if (!reopen(c)) return 1;
          if (first_request_cut) write_some(c);
        }
      }
    }
    const double elapsed = static_cast<double>(monotonic_ns() - start_mono_) / 1e9;
    std::printf(
        "{\"sent\":%llu,\"ok\":%llu,\"errors\":%llu,\"elapsed_s\":%.3f,\"rate\":%.1f,\"first_send_ns\":%lld,"
        "\"late\":%llu,\"max_waiting\":%llu,\"rss_kib\":%ld}\n",
        static_cast<unsigned long long>(completed_), static_cast<unsigned long long>(ok_),
        static_cast<unsigned long long>(errors_), elapsed, static_cast<double>(completed_) / elapsed,
        static_cast<long long>(start_real_), static_cast<unsigned long long>(late_),
        static_cast<unsigned long long>(max_waiting_), rss_kib(o_.rss_pid));
    std::fflush(stdout);
    return 0;
  }

 private:
  bool open_connection() {
    const int fd = connect_socket();
    if (fd < 0) return false;
    Connection c;
    c.fd = fd;
    connections_.push_back(std::move(c));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<uint32_t>(connections_.size() - 1);
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
    return true;
  }

  // A connection closed while idle, in its place: the same slot, a new socket.
  bool reopen(Connection& c) {
    epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
    ::close(c.fd);
    c.fd = connect_socket();
    if (c.fd < 0) return false;
    c.in.clear();
    c.written = 0;  // a request in `out` (busy) is sent again by the caller
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<uint32_t>(&c - connections_.data());
    epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev);
    return true;
  }

  // A non-blocking socket connected to billhook, or -1 (said why).
  int connect_socket() {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(o_.port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      std::fprintf(stderr, "publisher: cannot connect to 127.0.0.1:%d: %s\n", o_.port, std::strerror(errno));
      ::close(fd);
      return -1;
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
  }

  void send_request(Connection& c, int64_t stamp_ns) {
    std::string body;
    body.reserve(t_before_id_.size() + t_between_.size() + t_after_.size() + 48);
    body.append(t_before_id_).append(o_.id_prefix).append(std::to_string(next_id_++));
    body.append(t_between_).append(std::to_string(stamp_ns)).append(t_after_);
    c.out.clear();
    c.out.append("POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1:").append(std::to_string(o_.port));
    c.out.append("\r\nAuthorization: Bearer ").append(o_.api_key);
    c.out.append("\r\nContent-Type: application/json\r\nContent-Length: ").append(std::to_string(body.size()));
    c.out.append("\r\n\r\n").append(body);
    c.written = 0;
    c.busy = true;
    write_some(c);
  }

  void write_some(Connection& c) {
    while (c.written < c.out.size()) {
      const ssize_t n = ::send(c.fd, c.out.data() + c.written, c.out.size() - c.written, MSG_NOSIGNAL);
      if (n < 0) break;
      c.written += static_cast<size_t>(n);
    }
    epoll_event ev{};
    ev.events = EPOLLIN | (c.written < c.out.size() ? static_cast<uint32_t>(EPOLLOUT) : 0u);
    ev.data.u32 = static_cast<uint32_t>(&c - connections_.data());
    epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
  }

  // Reads what has arrived; completes the answer if it is whole. False on a broken connection.
  bool read_some(Connection& c) {
    char chunk[16 * 1024];
    for (;;) {
      const ssize_t n = ::recv(c.fd, chunk, sizeof chunk, 0);
      if (n > 0) {
        c.in.append(chunk, static_cast<size_t>(n));
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return false;
      break;
    }
    for (;;) {
      const size_t head_end = c.in.find("\r\n\r\n");
      if (head_end == std::string::npos) return true;
      size_t length = 0;
      bool chunked = false;
      std::string head = c.in.substr(0, head_end);
      for (auto& ch : head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (const size_t at = head.find("\r\ncontent-length:"); at != std::string::npos)
        length = std::strtoull(head.c_str() + at + 17, nullptr, 10);
      if (head.find("\r\ntransfer-encoding: chunked") != std::string::npos) chunked = true;
      size_t total = head_end + 4 + length;
      if (chunked) {
        const size_t end = c.in.find("\r\n0\r\n\r\n", head_end);
        if (end == std::string::npos) return true;
        total = end + 7;
      } else if (c.in.size() < total) {
        return true;
      }
      const int status = std::atoi(c.in.c_str() + 9);
      if (status >= 200 && status < 300) {
        ++ok_;
      } else {
        if (errors_ < 3)
          std::fprintf(stderr, "publisher: answer %d: %.300s\n", status, c.in.substr(head_end + 4, length).c_str());
        ++errors_;
      }
      c.in.erase(0, total);
      c.busy = false;
      ++c.answers;
      ++completed_;
      if (o_.progress_every && completed_ % o_.progress_every == 0) {
        std::printf("{\"progress\":%llu,\"t_s\":%.3f,\"rss_kib\":%ld}\n", static_cast<unsigned long long>(completed_),
                    static_cast<double>(monotonic_ns() - start_mono_) / 1e9, rss_kib(o_.rss_pid));
        std::fflush(stdout);
      }
      if (o_.rate <= 0) {
        if (scheduled_ < o_.count) {
          ++scheduled_;
          send_request(c, realtime_ns());
        }
      } else if (!due_.empty()) {
        const int64_t stamp = due_.front();
        due_.pop_front();
        if (realtime_ns() - stamp > 1'000'000) ++late_;
        send_request(c, stamp);
      }
    }
  }

  Options o_;
  std::string t_before_id_, t_between_, t_after_;
  int epoll_ = -1;
  std::vector<Connection> connections_;
  std::deque<int64_t> due_;  // due times (realtime ns) of events waiting for a connection; 0: as soon as possible
  uint64_t scheduled_ = 0, completed_ = 0, ok_ = 0, errors_ = 0, late_ = 0, max_waiting_ = 0, next_id_ = 0;
  int64_t start_mono_ = 0, start_real_ = 0;
};

int usage() {
  std::fprintf(stderr,
               "usage: publisher --port P --api-key K --template FILE --count N [--connections C] [--rate R]\n"
               "                 [--id-prefix X] [--progress-every M --rss-pid PID]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::string template_path;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) return usage();
    const char* value = argv[++i];
    if (arg == "--port") o.port = std::atoi(value);
    else if (arg == "--api-key") o.api_key = value;
    else if (arg == "--template") template_path = value;
    else if (arg == "--count") o.count = std::strtoull(value, nullptr, 10);
    else if (arg == "--connections") o.connections = std::max(1, std::atoi(value));
    else if (arg == "--rate") o.rate = std::atof(value);
    else if (arg == "--id-prefix") o.id_prefix = value;
    else if (arg == "--progress-every") o.progress_every = std::strtoull(value, nullptr, 10);
    else if (arg == "--rss-pid") o.rss_pid = std::atoi(value);
    else return usage();
  }
  if (o.port <= 0 || o.api_key.empty() || template_path.empty() || o.count == 0) return usage();
  std::ifstream file(template_path);
  std::stringstream text;
  text << file.rdbuf();
  o.template_text = text.str();
  while (!o.template_text.empty() && (o.template_text.back() == '\n' || o.template_text.back() == '\r'))
    o.template_text.pop_back();
  return Publisher(std::move(o)).run();
}
