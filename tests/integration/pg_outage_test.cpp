// The database goes away under load: a PostgreSQL cluster of the test's own (scripts/pg.sh) is
// stopped with `pg_ctl stop -m immediate` while events are being published, or while they are
// being delivered. No event is answered 2xx unless it was committed (each one is found afterwards),
// publishing answers 503 while the database is away, and billhook — never restarted — accepts
// events again once it is back. A delivery whose answer came while the database was away is
// recorded once it is back, not sent again. A dashboard session is neither ended nor let through while
// the database is away: its pages answer 503, and it works again once the database is back.

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <thread>

#include "integration/dashboard_session.hpp"
#include "integration/integration_helpers.hpp"
#include "support/pg_test_database.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// Runs scripts/pg.sh with `args`, answering its stdout; throws if it fails.
std::string pg_script(const std::string& args) {
  const std::string command = std::string("bash ") + BILLHOOK_SOURCE_DIR + "/scripts/pg.sh " + args;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run " + command);
  std::string out;
  char buffer[512];
  while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  if (::pclose(pipe) != 0) throw std::runtime_error(command + " failed: " + out);
  return out;
}

// A throwaway cluster for this test alone, so that it can be stopped and started again.
class OwnCluster {
 public:
  OwnCluster() {
    const std::string out = pg_script("start");
    std::smatch m;
    if (!std::regex_search(out, m, std::regex("BILLHOOK_PG_DIR='([^']+)'")))
      throw std::runtime_error("pg.sh start printed no directory: " + out);
    dir_ = m[1];
    if (!std::regex_search(out, m, std::regex("BILLHOOK_TEST_DATABASE_URL='([^']+)'")))
      throw std::runtime_error("pg.sh start printed no URL: " + out);
    url_ = m[1];
  }
  ~OwnCluster() {
    try {
      pg_script("stop " + dir_);
    } catch (const std::exception& e) {
      std::cerr << e.what() << std::endl;
    }
  }
  const std::string& url() const { return url_; }
  void crash() { pg_script("kill " + dir_); }
  void start_again() { pg_script("restart " + dir_); }

 private:
  std::string dir_;
  std::string url_;
};

struct Answer {
  SteadyClock::time_point sent;
  SteadyClock::time_point answered;
  int status = 0;
  std::string event_id;  // for a 2xx
};

TEST(PgOutageTest, PublishingIs503WhileTheDatabaseIsAwayAndRecoversWithoutARestart) {
  BILLHOOK_REQUIRE_POSTGRES();
  OwnCluster cluster;
  ServerOptions options;
  options.extra_args = {"--database-url", cluster.url(), "--db-statement-timeout", "5"};
  ServerProcess server(options);

  std::mutex mutex;
  std::condition_variable answered;  // notified after each answer is recorded
  std::vector<Answer> answers;
  std::atomic<bool> stop{false};
  std::vector<std::thread> publishers;
  for (int p = 0; p < 2; ++p) {
    publishers.emplace_back([&, p] {
      HttpClient client = client_for(server);
      client.set_timeout(30s);
      for (int i = 0; !stop; ++i) {
        Answer answer;
        answer.sent = SteadyClock::now();
        auto r = client.post("/v1/events", invoice_event("inv_outage_" + std::to_string(p) + "_" + std::to_string(i % 20)));
        answer.answered = SteadyClock::now();
        answer.status = r.status;
        if (r.status / 100 == 2) answer.event_id = str(r.json().at("id"));
        {
          std::lock_guard lock(mutex);
          answers.push_back(std::move(answer));
        }
        answered.notify_all();
      }
    });
  }
  // Waits until at least `n` answers match `predicate`, re-counting on each new answer.
  auto wait_for = [&](size_t n, auto predicate, std::chrono::seconds timeout) {
    std::unique_lock lock(mutex);
    return answered.wait_for(lock, timeout, [&] {
      return static_cast<size_t>(std::count_if(answers.begin(), answers.end(), predicate)) >= n;
    });
  };
  auto finish = [&] {
    stop = true;
    for (auto& t : publishers) t.join();
  };

  // Some events are accepted while the database is up.
  if (!wait_for(200, [](const Answer& a) { return a.status == 202; }, 30s)) {
    finish();
    FAIL() << "publishing did not get going";
  }
  cluster.crash();
  const auto crashed = SteadyClock::now();
  // While it is away, publishing answers 503 (requests sent a moment after the crash, so that none
  // of them could have been committed before it).
  const auto away_from = crashed + 500ms;
  const bool saw_503s = wait_for(20, [&](const Answer& a) { return a.sent > away_from && a.status == 503; }, 30s);
  const auto restarted = SteadyClock::now();
  cluster.start_again();
  // Without restarting billhook, events are accepted again.
  const bool recovered = wait_for(50, [&](const Answer& a) { return a.sent > restarted && a.status == 202; }, 60s);
  finish();
  EXPECT_TRUE(saw_503s) << "publishing did not answer 503 while the database was away";
  EXPECT_TRUE(recovered) << "billhook did not accept events again after the database came back; log:\n"
                         << server.stderr_text().substr(0, 4000);

  size_t during = 0;
  size_t other_than_503 = 0;
  size_t neither = 0;  // a lost database is a 503 to retry, never a 500 or a dropped connection
  for (const auto& a : answers) {
    if (a.status != 202 && a.status != 503 && ++neither <= 3) ADD_FAILURE() << "a publish was answered " << a.status;
    if (a.sent > away_from && a.answered < restarted) {
      ++during;
      if (a.status != 503) ++other_than_503;
    }
  }
  EXPECT_GT(during, 0u);
  EXPECT_EQ(other_than_503, 0u) << "while the database was away, every publish must be answered 503";

  // Every event answered 2xx was committed: it is there after the outage.
  HttpClient client = client_for(server);
  size_t accepted = 0;
  size_t missing = 0;
  for (const auto& a : answers) {
    if (a.event_id.empty()) continue;
    ++accepted;
    if (client.get("/v1/events/" + a.event_id).status != 200) ++missing;
  }
  std::cout << "[ outage   ] " << answers.size() << " publishes: " << accepted << " accepted, " << during
            << " answered while the database was away (all 503); after its return every accepted event is stored"
            << std::endl;
  EXPECT_EQ(missing, 0u) << "events answered 2xx but not stored";
}

// 2,000 events to a receiver that takes 100 ms to answer, 50 at a time; the database is stopped
// for 5 s in the middle, with requests in flight whose answers cannot be recorded, and leases
// (5 s here) that cannot be renewed. At most 0.1 % of the events may reach the receiver twice.
TEST(PgOutageTest, DeliveriesAnsweredWhileTheDatabaseIsAwayAreRecordedLaterNotSentAgain) {
  BILLHOOK_REQUIRE_POSTGRES();
  OwnCluster cluster;
  // The requests that come right after the 300th, when the database is stopped, are answered 3 s
  // later: while it is away, however long stopping it takes.
  constexpr int kCrashAt = 300;
  constexpr int kAnsweredDuringOutage = 50;
  Receiver rx;
  rx.on("/hooks", Decider([](const ReceivedRequest& r) {
          return r.nth > kCrashAt && r.nth <= kCrashAt + kAnsweredDuringOutage ? Behaviour::delayed(3s)
                                                                                 : Behaviour::delayed(100ms);
        }));
  ServerOptions options;
  options.extra_args = {"--database-url", cluster.url(), "--db-statement-timeout", "5",
                        "--allow-networks", "127.0.0.0/8", "--delivery-lease", "5"};
  ServerProcess server(options);
  HttpClient client = client_for(server);
  client.set_timeout(30s);
  auto created = client.post("/v1/endpoints", json::object{{"url", rx.url("/hooks")},
                                                          {"event_types", json::array{"invoice.*"}},
                                                          {"max_in_flight", 50}});
  ASSERT_EQ(created.status, 201) << describe(created);

  // Publishing goes on through the outage (a 503 is tried again, as a client honouring Retry-After
  // would), so that deliveries are under way whenever the database goes.
  constexpr int kEvents = 2000;
  std::atomic<int> next{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> publishers;
  for (int p = 0; p < 4; ++p) {
    publishers.emplace_back([&] {
      HttpClient publisher = client_for(server);
      publisher.set_timeout(30s);
      for (int i = next++; i < kEvents; i = next++) {
        while (publisher.post("/v1/events", invoice_event("inv_rec_" + std::to_string(i))).status / 100 != 2) {
          ++refused;
          std::this_thread::sleep_for(100ms);  // Retry-After
        }
      }
    });
  }
  auto join_publishers = [&] {
    for (auto& t : publishers)
      if (t.joinable()) t.join();
  };

  if (!rx.wait_for_requests("/hooks", kCrashAt, 60s)) {
    join_publishers();
    FAIL() << "deliveries did not get going";
  }
  const auto crash_began = SteadyClock::now();
  cluster.crash();
  // The outage lasts 5 s (a lease's time), and until the slow answers have come.
  const bool met = poll_until(
      [&] {
        std::optional<SteadyClock::time_point> last_slow;
        for (const auto& r : rx.requests_for("/hooks"))
          if (r.nth > kCrashAt && r.nth <= kCrashAt + kAnsweredDuringOutage)
            last_slow = std::max(last_slow.value_or(r.arrived), r.arrived);
        const auto now = SteadyClock::now();
        return now - crash_began >= 5s && last_slow && now - *last_slow >= 3500ms;
      },
      30s, 200ms);
  cluster.start_again();
  join_publishers();
  ASSERT_TRUE(met) << "no request went out as the database was stopped; log:\n" << server.stderr_text().substr(0, 4000);

  // Every event stored (kEvents, and any whose 503 came after its COMMIT) has one delivery, and every
  // delivery succeeds: once the store says so, none of them can be claimed and sent again.
  const size_t stored = count_all(client, "/v1/events");
  ASSERT_GE(stored, static_cast<size_t>(kEvents));
  size_t succeeded = 0;
  const bool all_succeeded = poll_until(
      [&] {
        succeeded = count_all(client, "/v1/deliveries?status=succeeded");
        return succeeded == stored;
      },
      180s, 500ms);
  ASSERT_TRUE(all_succeeded) << succeeded << " of " << stored << " deliveries succeeded; log:\n"
                             << server.stderr_text().substr(0, 4000);

  std::set<std::string> ids;
  const auto received = rx.requests_for("/hooks");
  for (const auto& r : received) ids.insert(r.header("webhook-id"));
  const size_t twice = received.size() - ids.size();
  std::cout << "[ outage   ] " << stored << " events delivered, " << twice
            << " of them twice, across a 5 s database outage (" << refused.load() << " publishes answered 503)"
            << std::endl;
  EXPECT_EQ(ids.size(), stored);
  EXPECT_LE(twice * 1000, stored) << "more than 0.1 % of the events were delivered twice";
  const std::string log = server.stderr_text();
  EXPECT_EQ(log.find("event is missing"), std::string::npos) << "a dropped connection was logged as a missing event";
}

TEST(PgOutageTest, ADashboardSessionIs503WhileTheDatabaseIsAwayAndWorksOnceItIsBack) {
  BILLHOOK_REQUIRE_POSTGRES();
  OwnCluster cluster;
  ServerOptions options;
  options.extra_args = {"--database-url", cluster.url(), "--db-statement-timeout", "5"};
  ServerProcess server(options);
  HttpClient browser(server.port(), std::nullopt);
  browser.set_timeout(30s);
  const auto session = sign_in(browser, server.api_key());
  const Headers cookie = {{"Cookie", session.cookie}};
  ASSERT_EQ(browser.get("/dashboard/api/v1/endpoints", cookie).status, 200);

  cluster.crash();
  const auto api = browser.get("/dashboard/api/v1/endpoints", cookie);
  EXPECT_EQ(api.status, 503) << "the session could not be read, so the answer is neither 401 nor 200: "
                             << describe(api);
  const auto page = browser.get("/dashboard/", cookie);
  EXPECT_EQ(page.status, 503) << describe(page);
  EXPECT_EQ(page.body.find("id=\"api_key\""), std::string::npos) << "the database away showed the sign-in page";
  const auto signing_in = post_sign_in(browser, open_sign_in(browser), server.api_key());
  EXPECT_EQ(signing_in.status, 503) << describe(signing_in);
  EXPECT_EQ(signing_in.header("set-cookie").find("billhook_session="), std::string::npos)
      << "a session cookie was handed out for a session that was not stored";

  cluster.start_again();
  const bool back = poll_until([&] { return browser.get("/dashboard/api/v1/endpoints", cookie).status == 200; }, 60s,
                               200ms);
  EXPECT_TRUE(back) << "the session did not work again once the database was back";
}

}  // namespace
}  // namespace billhook::testing
