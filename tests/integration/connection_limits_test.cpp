// Issue 21 item 1: connection caps, the accept loop out of descriptors, and the deadline for a new
// connection's first request header. The server runs with RLIMIT_NOFILE 256 (soft and hard) so that
// a few hundred connections exhaust it. Every connection is to 127.0.0.1, from 127.0.0.x source
// addresses so that the per-client cap can be told apart from the total.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "integration/integration_helpers.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

constexpr uint64_t kOpenFileLimit = 256;

// An idle TCP connection from `source` (a 127.0.0.0/8 address) to the server.
class RawConnection {
 public:
  RawConnection(const std::string& source, uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    sockaddr_in from{};
    from.sin_family = AF_INET;
    ::inet_pton(AF_INET, source.c_str(), &from.sin_addr);
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&from), sizeof from) != 0)
      throw std::runtime_error(std::string("bind: ") + std::strerror(errno));
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0)
      throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool send_text(std::string_view text) {
    return ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
  }

  // Whether the server closed the connection within `wait` (it then reads as end of file or a reset).
  bool closed_within(std::chrono::milliseconds wait) {
    const auto deadline = SteadyClock::now() + wait;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
      pollfd p{fd_, POLLIN | POLLRDHUP, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(0, left.count())));
      if (ready == 0) return false;
      char byte = 0;
      const ssize_t n = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return true;
      if (n > 0) return false;  // an answer, not a close
    }
  }

  // One request on this connection; answers the status line, or "" if the connection failed.
  std::string request(std::string_view text, std::chrono::milliseconds wait = 5s) {
    if (!send_text(text)) return "";
    std::string got;
    const auto deadline = SteadyClock::now() + wait;
    while (got.find("\r\n") == std::string::npos && SteadyClock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buffer[4096];
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      got.append(buffer, static_cast<size_t>(n));
    }
    return got.substr(0, got.find("\r\n"));
  }

 private:
  int fd_ = -1;
};

constexpr std::string_view kHealth = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

// CPU seconds (user + system) the process has used, from /proc/<pid>/stat.
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
    if (i == 15) break;
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

size_t count_of(const std::string& text, std::string_view needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// How many of `connections` the server has closed so far.
size_t closed_now(std::vector<std::unique_ptr<RawConnection>>& connections) {
  size_t closed = 0;
  for (auto& c : connections) closed += c->closed_within(0ms) ? 1 : 0;
  return closed;
}

bool answers_health(const std::string& source, uint16_t port) {
  return RawConnection(source, port).request(kHealth).find(" 200 ") != std::string::npos;
}

std::vector<std::unique_ptr<RawConnection>> open_many(const std::string& source, uint16_t port, size_t n) {
  std::vector<std::unique_ptr<RawConnection>> out;
  for (size_t i = 0; i < n; ++i) out.push_back(std::make_unique<RawConnection>(source, port));
  return out;
}

TEST(ConnectionLimitsTest, TheDefaultCapsAreSizedFromTheOpenFileLimit) {
  ServerOptions options;
  options.open_file_limit = kOpenFileLimit;
  ServerProcess server(options);
  const std::string log = server.stderr_text();
  // 256 less 64 fixed, 8 for the database pool and 64 (a quarter of the limit) for deliveries.
  EXPECT_NE(log.find("open_file_limit=256"), std::string::npos) << log;
  EXPECT_NE(log.find("max_connections=120"), std::string::npos) << log;
  EXPECT_NE(log.find("max_connections_per_client=30"), std::string::npos) << log;
}

TEST(ConnectionLimitsTest, IdleConnectionsOverTheCapsMakeRoomWhileHealthAndPublishingKeepAnswering) {
  ServerOptions options;
  options.open_file_limit = kOpenFileLimit;
  options.extra_args = {"--max-connections", "100", "--max-connections-per-client", "30", "--header-timeout", "120"};
  ServerProcess server(options);
  const uint16_t port = server.port();

  RawConnection existing("127.0.0.1", port);  // open before the flood, used after it
  ASSERT_NE(existing.request(kHealth).find("200"), std::string::npos);

  // One client: 30 kept, the next 30 closed at once.
  auto first = open_many("127.0.0.2", port, 30);
  auto over_client = open_many("127.0.0.2", port, 30);
  EXPECT_TRUE(wait_until([&] { return closed_now(over_client) == 30; }, 3s, "the 30 over the client's cap to close"));
  EXPECT_EQ(closed_now(first), 0u);

  // /health and publishing from another address answer meanwhile, not after the idle connections'
  // 120 s header timeout. The bound is a margin, not a speed: under ASan in a clean-clone CI on 2 cores
  // these two requests, the server's first publish, took 1.2 s against the 1 s this bound was.
  auto c = client_for(server);
  auto started = SteadyClock::now();
  EXPECT_EQ(c.get("/health").status, 200);
  EXPECT_EQ(c.post("/v1/events", invoice_event("inv_conn_1")).status, 202);
  EXPECT_LT(SteadyClock::now() - started, 10s);

  // More clients past the total (1 + 30 + the client's own + 75 = 107 for 100): each connection over
  // it is let in, and the oldest one that has not sent a request yet is closed to make room — the first
  // client's, in the order they came. Connections that sent a request are never chosen.
  std::vector<std::unique_ptr<RawConnection>> others;
  for (const char* source : {"127.0.0.3", "127.0.0.4", "127.0.0.5"}) {
    auto more = open_many(source, port, 25);
    for (auto& m : more) others.push_back(std::move(m));
  }
  // A new connection at the cap — a monitoring probe — is served.
  RawConnection late("127.0.0.6", port);
  EXPECT_NE(late.request(kHealth).find("200"), std::string::npos) << "a new connection at the cap is served";
  EXPECT_EQ(closed_now(others), 0u) << "newer idle connections were closed before older ones";
  size_t evicted = 0;
  EXPECT_TRUE(wait_until([&] { return (evicted = closed_now(first)) >= 7; }, 3s, "room to be made"));
  // The connections chosen are closed each on its own thread, so the last closes may land in any order:
  // which were chosen shows once no more close (ASan in CI saw the 8th closed before the 5th).
  for (auto settle_until = SteadyClock::now() + 3s; SteadyClock::now() < settle_until;) {
    std::this_thread::sleep_for(300ms);
    const size_t now_closed = closed_now(first);
    if (now_closed == evicted) break;
    evicted = now_closed;
  }
  EXPECT_LE(evicted, 9u) << "more were closed than the cap asked for";
  for (size_t i = 0; i < first.size(); ++i)
    EXPECT_EQ(first[i]->closed_within(0ms), i < evicted) << "connection " << i << ": the oldest go first";

  // The connections that stay are not harmed: each still answers.
  EXPECT_NE(existing.request(kHealth).find("200"), std::string::npos);
  EXPECT_NE(first.back()->request(kHealth).find("200"), std::string::npos);
  EXPECT_NE(others.back()->request(kHealth).find("200"), std::string::npos);

  // Once idle connections go, new ones are served again, quickly.
  others.clear();
  first.clear();
  EXPECT_TRUE(wait_until([&] { return answers_health("127.0.0.7", port); }, 5s, "a new connection to be served"));
  started = SteadyClock::now();
  auto fresh = client_for(server);
  EXPECT_EQ(fresh.post("/v1/events", invoice_event("inv_conn_2")).status, 202);
  EXPECT_LT(SteadyClock::now() - started, 1s);
  EXPECT_NE(server.stderr_text().find("connection refused: --max-connections-per-client reached"), std::string::npos);
  EXPECT_NE(server.stderr_text().find("connection closed to make room: --max-connections reached"), std::string::npos);
}

TEST(ConnectionLimitsTest, OutOfDescriptorsTheAcceptLoopBacksOffAndLogsAtMostOnceASecond) {
  ServerOptions options;
  options.open_file_limit = kOpenFileLimit;
  // Caps above what the descriptors allow, so that only the descriptors themselves stop the accept loop
  // (the reserve it leaves free, or EMFILE).
  options.extra_args = {"--max-connections", "1000", "--max-connections-per-client", "1000", "--header-timeout", "120"};
  ServerProcess server(options);
  const uint16_t port = server.port();

  std::vector<std::unique_ptr<RawConnection>> flood;
  for (int i = 0; i < 300; ++i) flood.push_back(std::make_unique<RawConnection>("127.0.0.2", port));
  // The server takes every descriptor it can give connections, then accepting fails for want of them.
  EXPECT_TRUE(wait_until([&] { return server.stderr_text().find("accept failed") != std::string::npos; }, 5s,
                         "accept to fail for want of descriptors"));

  const size_t lines_before = count_of(server.stderr_text(), "accept failed");
  const double cpu_before = cpu_seconds(server.pid());
  std::this_thread::sleep_for(3s);  // a measuring window, not a wait for a condition
  const double cpu_used = cpu_seconds(server.pid()) - cpu_before;
  const size_t lines = count_of(server.stderr_text(), "accept failed") - lines_before;
  EXPECT_LE(lines, 4u) << "at most one line a second";
  EXPECT_LT(cpu_used, 0.6) << "the accept loop must not spin while descriptors are short";

  // Descriptors freed: the server catches up with the waiting connections and serves new ones.
  flood.resize(100);
  EXPECT_TRUE(wait_until([&] { return answers_health("127.0.0.1", port); }, 10s, "a new connection to be served"));
  auto c = client_for(server);
  EXPECT_EQ(c.post("/v1/events", invoice_event("inv_conn_3")).status, 202);
}

TEST(ConnectionLimitsTest, ANewConnectionThatDoesNotSendItsHeaderInTimeIsDropped) {
  ServerOptions options;
  options.open_file_limit = kOpenFileLimit;
  options.extra_args = {"--header-timeout", "2"};
  ServerProcess server(options);
  const uint16_t port = server.port();

  const auto started = SteadyClock::now();
  RawConnection silent("127.0.0.1", port);
  RawConnection slow("127.0.0.1", port);
  RawConnection prompt("127.0.0.1", port);
  ASSERT_NE(prompt.request(kHealth).find("200"), std::string::npos);
  // A header a few bytes at a time, never finished: the deadline is for the whole header.
  ASSERT_TRUE(slow.send_text("GET /health HTTP/1.1\r\n"));
  bool slow_closed = false;
  for (int i = 0; i < 10 && !slow_closed; ++i) {
    slow_closed = slow.closed_within(500ms);
    if (!slow_closed) slow.send_text("X-Drip: 1\r\n");
  }
  EXPECT_TRUE(slow_closed) << "a header dripped in must not keep the connection";
  EXPECT_TRUE(silent.closed_within(3s));
  const auto elapsed = SteadyClock::now() - started;
  EXPECT_GE(elapsed, 1500ms);
  EXPECT_LT(elapsed, 4500ms);
  // A connection that sent its request in time is a keep-alive connection: it stays past the deadline.
  EXPECT_FALSE(prompt.closed_within(500ms));
  EXPECT_NE(prompt.request(kHealth).find("200"), std::string::npos);
}

TEST(ConnectionLimitsTest, TheHeaderDeadlineIsAFewSecondsByDefault) {
  ServerOptions options;
  ServerProcess server(options);
  const auto started = SteadyClock::now();
  RawConnection silent("127.0.0.1", server.port());
  EXPECT_TRUE(silent.closed_within(10s)) << "an idle new connection used to be kept 60 s";
  const auto elapsed = SteadyClock::now() - started;
  EXPECT_GE(elapsed, 4s);
  EXPECT_LT(elapsed, 7s);
}

TEST(ConnectionLimitsTest, BadLimitsAreRefusedNamingTheFlag) {
  for (const auto& [flag, value] : {std::pair{"--header-timeout", "0"}, std::pair{"--header-timeout", "301"},
                                    std::pair{"--max-connections", "10000001"},
                                    std::pair{"--max-connections-per-client", "10000001"}}) {
    TempDir dir;
    const CommandResult r = run_billhook({"serve", "--listen", "127.0.0.1:0", "--data-dir", (dir.path() / "d").string(),
                                          "--api-key", ServerOptions::kDefaultApiKey, flag, value},
                                         5s);
    EXPECT_FALSE(r.timed_out);
    EXPECT_NE(r.exit_code, 0) << flag << " " << value;
    EXPECT_NE(r.stderr_text.find(flag), std::string::npos) << r.stderr_text;
  }
}

}  // namespace
}  // namespace billhook::testing
