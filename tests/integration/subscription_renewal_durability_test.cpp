// Renewals are billed exactly once per period, whatever happens to the process that bills them: the
// real binary on the test clock, monthly subscriptions billed in advance, the clock moved period by
// period and in one jump of several periods, and
//  - on SQLite, the server kill -9'ed between two periods and again during a multi-period catch-up,
//    then restarted on the same data directory;
//  - on PostgreSQL, two nodes sharing one database, whose leader (the node holding the advisory lock
//    that runs the document clock) is kill -9'ed during a catch-up, the other node going on alone.
// In the end each subscription has one invoice per period: consecutive, non-overlapping periods from
// its start to the period the clock is in, which is the subscription's current period.
//
// The test clock is a ManualClock in the server's memory (serve --test-clock starts it at the real
// time; POST /v1/test/clock only moves it forward): it is not stored, so a restarted server's clock
// starts again from the real time, and the tests move it back to where the killed one was before going
// on. Two nodes each have their own, so every step moves both to the same time.

#include <algorithm>
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "integration/integration_helpers.hpp"
#include "support/pg_test_database.hpp"
#include "support/receiver.hpp"
#include "support/wait.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;

constexpr int kSubscriptions = 5;
constexpr int64_t kHourMs = 3'600'000;
// Six periods at once: from an hour into a period, 186 days later is 2 to 5 days into the sixth period
// after it (six months are 181 to 184 days, seven at least 212).
constexpr int kJumpPeriods = 6;
constexpr int64_t kJumpSeconds = 186 * kDay;
// The largest step POST /v1/test/clock takes.
constexpr int64_t kMaxClockStep = 400 * kDay;

struct Subscribed {
  std::string id;
  std::string customer;
};

// A monthly plan billed in advance and `kSubscriptions` customers with the good sandbox card, each
// subscribed to it now (which bills their first period at once).
std::vector<Subscribed> subscribe_customers(BillingApi& api) {
  auto plan = plan_body("renewal-monthly");
  plan["pay_in_advance"] = true;
  const auto plan_id = str(api.post("/v1/plans", plan, 201).at("id"));
  std::vector<Subscribed> out;
  for (int i = 0; i < kSubscriptions; ++i) {
    const auto customer = api.customer();
    api.card(customer, kGoodCard);
    const auto created = api.post("/v1/subscriptions", {{"customer", customer}, {"plan", plan_id}}, 201);
    EXPECT_EQ(str(created.at("status")), "active");
    out.push_back({str(created.at("id")), customer});
  }
  return out;
}

// Moves the server's test clock forward to `target_ms` (unix ms), or not at all if it is there already;
// answers its time then.
int64_t advance_clock_to(HttpClient& client, int64_t target_ms) {
  int64_t now_ms = advance_clock(client, 0);
  while (now_ms < target_ms) now_ms = advance_clock(client, std::min((target_ms - now_ms + 999) / 1000, kMaxClockStep));
  return now_ms;
}

json::object subscription(HttpClient& client, const std::string& id) {
  return expect_json(client.get("/v1/subscriptions/" + id), 200, "GET subscription " + id);
}

int64_t period_end_ms(HttpClient& client, const std::string& id) {
  return subscription(client, id).at("current_period_end").as_int64() * 1000;
}

// The time an hour into the period after the current one of every subscription.
int64_t next_period_target(HttpClient& client, const std::vector<Subscribed>& subs) {
  int64_t latest = 0;
  for (const auto& s : subs) latest = std::max(latest, period_end_ms(client, s.id));
  return latest + kHourMs;
}

// Whether every subscription has been renewed up to `now_ms`: its current period has not ended.
bool renewed_up_to(HttpClient& client, const std::vector<Subscribed>& subs, int64_t now_ms) {
  for (const auto& s : subs)
    if (period_end_ms(client, s.id) <= now_ms) return false;
  return true;
}

size_t invoices_of(HttpClient& client, const std::string& customer) {
  return count_all(client, "/v1/invoices?customer=" + customer);
}

size_t all_invoices(HttpClient& client, const std::vector<Subscribed>& subs) {
  size_t n = 0;
  for (const auto& s : subs) n += invoices_of(client, s.customer);
  return n;
}

// Each subscription has exactly `periods` invoices, all paid, one per period: from its start, each
// period beginning where the one before it ended, a month long, the last one the subscription's current
// period, which holds `now_ms`.
void expect_each_period_billed_once(HttpClient& client, const std::vector<Subscribed>& subs, int64_t now_ms,
                                    int periods) {
  for (const auto& s : subs) {
    SCOPED_TRACE("subscription " + s.id + " of " + s.customer);
    const auto sub = subscription(client, s.id);
    EXPECT_EQ(str(sub.at("status")), "active");
    const int64_t current_start = sub.at("current_period_start").as_int64();
    const int64_t current_end = sub.at("current_period_end").as_int64();
    EXPECT_LE(current_start * 1000, now_ms) << "the current period has not begun";
    EXPECT_GT(current_end * 1000, now_ms) << "the current period has ended: a renewal is missing";
    EXPECT_EQ(sub.at("invoices_issued").as_int64(), periods);

    // GET /v1/invoices?customer=…&limit=100, page after page.
    auto invoices = list_all(client, "/v1/invoices?customer=" + s.customer, 100);
    std::sort(invoices.begin(), invoices.end(), [](const json::object& a, const json::object& b) {
      return a.at("period_start").as_int64() < b.at("period_start").as_int64();
    });
    std::string periods_seen;
    for (const auto& inv : invoices)
      periods_seen += " [" + std::to_string(inv.at("period_start").as_int64()) + ", " +
                      std::to_string(inv.at("period_end").as_int64()) + ")";
    SCOPED_TRACE("invoiced periods:" + periods_seen);
    ASSERT_EQ(invoices.size(), static_cast<size_t>(periods)) << "a period was billed twice or skipped";
    EXPECT_EQ(invoices.front().at("period_start").as_int64(), sub.at("start_date").as_int64());
    EXPECT_EQ(invoices.back().at("period_start").as_int64(), current_start);
    EXPECT_EQ(invoices.back().at("period_end").as_int64(), current_end);
    for (size_t i = 0; i < invoices.size(); ++i) {
      const auto& inv = invoices[i];
      const int64_t start = inv.at("period_start").as_int64();
      const int64_t end = inv.at("period_end").as_int64();
      EXPECT_EQ(str(inv.at("subscription")), s.id);
      EXPECT_EQ(str(inv.at("billing_reason")), i == 0 ? "subscription_create" : "subscription_cycle");
      EXPECT_EQ(str(inv.at("status")), "paid") << str(inv.at("id"));
      EXPECT_EQ(inv.at("total").as_int64(), 2500) << str(inv.at("id"));
      EXPECT_GE(end - start, 28 * kDay) << "period " << i << " is shorter than a month";
      EXPECT_LE(end - start, 31 * kDay) << "period " << i << " is longer than a month";
      if (i + 1 < invoices.size()) {
        EXPECT_EQ(invoices[i + 1].at("period_start").as_int64(), end)
            << "period " << i + 1 << " does not begin where period " << i << " ended";
      }
    }
  }
}

// --- SQLite: one server, kill -9 and restart on the same data directory ----------------------------

class SubscriptionRenewalDurabilityTest : public BillingServerTest {
 protected:
  // Kills the server (SIGKILL: nothing is flushed or stopped cleanly) and starts it again on the same
  // data directory. Its clock starts again from the real time: the caller moves it on.
  void kill9_and_restart() {
    server_->kill9();
    restart_server();
  }

  // Moves the clock an hour into the next period of every subscription and waits for their renewals.
  // Answers the clock's time.
  int64_t next_period(const std::vector<Subscribed>& subs) {
    const int64_t now_ms = advance_clock_to(*client_, next_period_target(*client_, subs));
    EXPECT_TRUE(wait_until([&] { return renewed_up_to(*client_, subs, now_ms); }, 30s, "the renewals"));
    return now_ms;
  }
};

TEST_F(SubscriptionRenewalDurabilityTest, Kill9BetweenPeriodsAndDuringACatchUpBillsEachPeriodOnce) {
  const auto subs = subscribe_customers(*api_);
  int periods = 1;
  int64_t now_ms = advance_clock(*client_, 0);
  expect_each_period_billed_once(*client_, subs, now_ms, periods);

  for (int i = 0; i < 2; ++i, ++periods) now_ms = next_period(subs);
  expect_each_period_billed_once(*client_, subs, now_ms, periods);

  // Between two periods: the restart bills nothing, and the next period is billed once. The test clock
  // is not stored (see the top): the restarted server's is moved back to where the killed one's was.
  kill9_and_restart();
  now_ms = advance_clock_to(*client_, now_ms);
  expect_each_period_billed_once(*client_, subs, now_ms, periods);
  now_ms = next_period(subs);
  ++periods;
  expect_each_period_billed_once(*client_, subs, now_ms, periods);

  // Six periods at once: the document clock bills them one transaction per period, subscription after
  // subscription. The kill comes as soon as the first of them is seen, while the rest are still due.
  // (The first subscription created is the first the document clock takes: it goes by id.)
  const size_t before_jump = all_invoices(*client_, subs);
  const size_t first_before_jump = invoices_of(*client_, subs.front().customer);
  now_ms = advance_clock(*client_, kJumpSeconds);
  periods += kJumpPeriods;
  EXPECT_TRUE(wait_until([&] { return invoices_of(*client_, subs.front().customer) > first_before_jump; }, 30s,
                         "the catch-up to begin"));
  kill9_and_restart();
  // Counted before the restarted server's clock reaches the periods still due.
  const size_t at_kill = all_invoices(*client_, subs) - before_jump;
  std::cout << "[ renewal  ] kill -9 during the catch-up of " << kJumpPeriods << " periods, after " << at_kill
            << " of " << kSubscriptions * kJumpPeriods << " renewal invoices" << std::endl;
  now_ms = advance_clock_to(*client_, now_ms);
  ASSERT_TRUE(wait_until([&] { return renewed_up_to(*client_, subs, now_ms); }, 30s, "the rest of the catch-up"));
  expect_each_period_billed_once(*client_, subs, now_ms, periods);

  now_ms = next_period(subs);
  ++periods;
  expect_each_period_billed_once(*client_, subs, now_ms, periods);
}

// --- PostgreSQL: two nodes on one database ----------------------------------------------------------

// The line a node logs when it takes the advisory lock that makes it run the time-driven jobs (the
// document clock among them): one node of several at a time.
constexpr std::string_view kLeads = "this node runs the time-driven jobs";

bool leads(const ServerProcess& node) { return node.stderr_text().find(kLeads) != std::string::npos; }

TEST(SubscriptionRenewalDurabilityPgTest, TwoNodesBillEachPeriodOnceWhenTheLeaderIsKilledDuringACatchUp) {
  BILLHOOK_REQUIRE_POSTGRES();
  PgTestDatabase database;
  ASSERT_TRUE(database.available()) << database.error();

  ServerOptions options;
  options.extra_args = {"--database-url", database.url(), "--test-clock"};
  ServerProcess node_a(options);
  ServerProcess node_b(options);
  HttpClient client_a = client_for(node_a);
  HttpClient client_b = client_for(node_b);
  ASSERT_TRUE(wait_until([&] { return leads(node_a) || leads(node_b); }, 20s, "a node to take the lead"));
  const bool a_leads = leads(node_a);
  ASSERT_NE(a_leads, leads(node_b)) << "both nodes say they lead";
  ServerProcess& leader = a_leads ? node_a : node_b;
  ServerProcess& survivor = a_leads ? node_b : node_a;
  HttpClient& leader_client = a_leads ? client_a : client_b;
  HttpClient& survivor_client = a_leads ? client_b : client_a;

  // Subscribed through the node that does not run the document clock: any node takes requests.
  BillingApi api(survivor_client);
  const auto subs = subscribe_customers(api);
  int periods = 1;
  int64_t now_ms = advance_clock(survivor_client, 0);

  // Each step moves both clocks to the same time (the lead may pass from one node to the other
  // at any moment, so neither may lag behind), the node without the lead first.
  auto move_both_to = [&](int64_t target_ms) {
    const int64_t survivor_ms = advance_clock_to(survivor_client, target_ms);
    const int64_t leader_ms = advance_clock_to(leader_client, target_ms);
    return std::max(survivor_ms, leader_ms);
  };
  for (int i = 0; i < 2; ++i, ++periods) {
    now_ms = move_both_to(next_period_target(survivor_client, subs));
    ASSERT_TRUE(wait_until([&] { return renewed_up_to(survivor_client, subs, now_ms); }, 30s, "the renewals"));
  }
  expect_each_period_billed_once(survivor_client, subs, now_ms, periods);
  EXPECT_FALSE(leads(survivor)) << "the lead moved before the kill";

  // Six periods at once on both nodes; the leader is killed as soon as the first of them is seen, and
  // the survivor, whose clock is there already, takes the lead and bills the rest.
  const size_t before_jump = all_invoices(survivor_client, subs);
  const size_t first_before_jump = invoices_of(survivor_client, subs.front().customer);
  now_ms = move_both_to(now_ms + kJumpSeconds * 1000);
  periods += kJumpPeriods;
  EXPECT_TRUE(wait_until([&] { return invoices_of(survivor_client, subs.front().customer) > first_before_jump; }, 30s,
                         "the catch-up to begin"));
  leader.kill9();
  const size_t at_kill = all_invoices(survivor_client, subs) - before_jump;
  std::cout << "[ renewal  ] kill -9 of the leading node during the catch-up of " << kJumpPeriods << " periods, after "
            << at_kill << " of " << kSubscriptions * kJumpPeriods << " renewal invoices" << std::endl;
  ASSERT_TRUE(wait_until([&] { return leads(survivor); }, 30s, "the surviving node to take the lead"));
  ASSERT_TRUE(wait_until([&] { return renewed_up_to(survivor_client, subs, now_ms); }, 30s, "the rest of the catch-up"))
      << survivor.stderr_text().substr(0, 4000);
  expect_each_period_billed_once(survivor_client, subs, now_ms, periods);

  // The survivor goes on alone.
  for (int i = 0; i < 2; ++i, ++periods) {
    now_ms = advance_clock_to(survivor_client, next_period_target(survivor_client, subs));
    ASSERT_TRUE(wait_until([&] { return renewed_up_to(survivor_client, subs, now_ms); }, 30s, "the renewals"));
  }
  expect_each_period_billed_once(survivor_client, subs, now_ms, periods);
}

}  // namespace
}  // namespace billhook::testing
