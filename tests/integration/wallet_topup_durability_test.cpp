// Top-up rules fire once per trigger, whatever happens to the process that runs them (issue 16): the real
// binary on the test clock, on SQLite and on PostgreSQL, kill -9'ed again and again while its document
// clock works and restarted on the same store.
//
// Each customer has a wallet (1 credit = 1.00 EUR, 100 granted) with two rules — every week 5 paid credits
// (interval), and at or below 50 credits a purchase back up to 100 (threshold, target) — and a monthly
// subscription of 100.00 EUR billed in advance, which each renewal draws from the wallet. The numbers make
// every trigger certain: the wallet holds 100 plus at most five weeks' 5 credits before a draw of 100, so
// each draw leaves it at or below 50 and the threshold rule fires, and its top-up to 100 re-arms it; the
// interval top-ups alone never reach the threshold. So a wallet has exactly one interval top-up per week
// boundary crossed and one threshold top-up per subscription invoice.
//
// The clock moves one week boundary at a time. Across the steps the server is killed at a random moment
// just after the clock moved (while the document clock runs the top-ups and renewals due), again during
// the catch-up of the restarted server, right after the first top-up of a step is seen, and when idle.
// After each step: every wallet's transactions, counted through the API, are one interval top-up per week
// boundary (one in each week), one draw and one threshold top-up per subscription invoice, every one
// settled, and the balance is the sum of the settled transactions. At the end a receiver has exactly one
// wallet_transaction.updated event per transaction (retries of one event, which at-least-once delivery
// allows after a crash, count once), none for a transaction the API does not list, and the API's events
// say the same.
//
// The test clock is a ManualClock in the server's memory, not stored: a restarted server's clock starts
// again from the real time and the test moves it back to where the killed one was before going on.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "integration/integration_helpers.hpp"
#include "support/pg_test_database.hpp"
#include "support/receiver.hpp"
#include "support/wait.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;

constexpr int kCustomers = 3;
constexpr int kWeeks = 12;  // about three months: two or three renewals after the first invoice
constexpr int64_t kWeek = 7 * kDay;
constexpr int64_t kHour = 3600;
constexpr int64_t kPlanAmount = 10'000;    // 100.00 EUR a month, drawn from the wallet
constexpr int64_t kIntervalAmount = 500;   // 5 credits a week
constexpr int64_t kTargetAmount = 10'000;  // the threshold rule buys back up to 100 credits
constexpr const char* kEventsPath = "/wallet-transactions";

enum class Backend { sqlite, postgres };

struct Account {
  std::string customer;
  std::string wallet;
  std::string subscription;
  int64_t anchor = 0;  // the wallet's creation: its interval rule's weeks count from there
};

// Moves the server's test clock forward to `target_ms` (unix ms), or not at all if it is there already;
// answers its time then.
int64_t advance_clock_to(HttpClient& client, int64_t target_ms) {
  int64_t now_ms = advance_clock(client, 0);
  while (now_ms < target_ms) now_ms = advance_clock(client, (target_ms - now_ms + 999) / 1000);
  return now_ms;
}

std::vector<json::object> transactions_of(HttpClient& client, const std::string& wallet) {
  return list_all(client, "/v1/wallet-transactions?wallet=" + wallet);
}

size_t count_trigger(const std::vector<json::object>& transactions, std::string_view trigger) {
  return std::count_if(transactions.begin(), transactions.end(),
                       [&](const json::object& t) { return t.at("trigger").as_string() == trigger; });
}

// The invoices of the customer's subscription (not the credit_purchase invoices of its top-ups).
std::vector<json::object> subscription_invoices(HttpClient& client, const Account& a) {
  auto all = list_all(client, "/v1/invoices?customer=" + a.customer);
  std::erase_if(all, [](const json::object& inv) { return str(inv.at("billing_reason")) == "credit_purchase"; });
  return all;
}

class WalletTopUpDurabilityTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    ServerOptions options;
    // The clock moves weeks past --retention-days here, and the test counts the events of every week: keep them.
    options.extra_args = {"--allow-networks", "127.0.0.0/8", "--test-clock", "--retention-days", "0"};
    if (GetParam() == Backend::postgres) {
      BILLHOOK_REQUIRE_POSTGRES();
      database_ = std::make_unique<PgTestDatabase>();
      ASSERT_TRUE(database_->available()) << database_->error();
      options.extra_args.insert(options.extra_args.end(), {"--database-url", database_->url()});
    }
    server_ = std::make_unique<ServerProcess>(std::move(options));
    client_ = std::make_unique<HttpClient>(client_for(*server_));
    api_ = std::make_unique<BillingApi>(*client_);
  }
  void TearDown() override {
    api_.reset();
    client_.reset();
    server_.reset();
    database_.reset();
  }

  // The customers, each with its card, wallet and subscription (whose first invoice, at once, draws the
  // wallet's 100 credits and so fires its threshold rule).
  std::vector<Account> open_accounts() {
    auto plan = plan_body("topup-monthly");
    plan["amount"] = kPlanAmount;
    const auto plan_id = str(api_->post("/v1/plans", plan, 201).at("id"));
    const json::array rules{
        json::object{{"trigger", "interval"}, {"interval", "weekly"}, {"paid_credits", "5"}},
        json::object{{"trigger", "threshold"},
                     {"threshold_credits", "50"},
                     {"method", "target"},
                     {"target_ongoing_balance", "100"}},
    };
    std::vector<Account> out;
    for (int i = 0; i < kCustomers; ++i) {
      Account a;
      a.customer = api_->customer({{"email", "topup" + std::to_string(i) + "@example.com"}});
      api_->card(a.customer, kGoodCard);
      const auto wallet = api_->post("/v1/wallets",
                                     {{"customer", a.customer},
                                      {"currency", "EUR"},
                                      {"rate_amount", "1"},
                                      {"granted_credits", "100"},
                                      {"recurring_transaction_rules", rules}},
                                     201);
      a.wallet = str(wallet.at("id"));
      a.anchor = wallet.at("created").as_int64();
      a.subscription = str(api_->post("/v1/subscriptions", {{"customer", a.customer}, {"plan", plan_id}}, 201).at("id"));
      out.push_back(std::move(a));
    }
    return out;
  }

  // SIGKILL (nothing flushed, nothing stopped cleanly) and a start on the same store. The new server's
  // clock starts from the real time: the caller moves it on.
  void kill9_and_restart() {
    server_->kill9();
    server_->restart();
    client_->set_port(server_->port());
    ++kills_;
  }

  // Whether the document clock has done everything due at `now_ms` (seconds `now`): every wallet has had
  // its interval top-up for each of the `weeks` boundaries, every subscription is renewed up to now, and
  // each of its invoices has its threshold top-up.
  bool settled_up_to(const std::vector<Account>& accounts, int weeks, int64_t now) {
    for (const auto& a : accounts) {
      const auto sub = api_->get("/v1/subscriptions/" + a.subscription);
      if (sub.at("current_period_end").as_int64() <= now) return false;
      const auto transactions = transactions_of(*client_, a.wallet);
      if (count_trigger(transactions, "interval") < static_cast<size_t>(weeks)) return false;
      if (count_trigger(transactions, "threshold") < subscription_invoices(*client_, a).size()) return false;
    }
    return true;
  }

  // Each trigger made exactly one top-up, and the balances are the sums of the settled transactions.
  void expect_each_trigger_once(const std::vector<Account>& accounts, int weeks, int64_t now) {
    for (const auto& a : accounts) {
      SCOPED_TRACE("wallet " + a.wallet + " of " + a.customer + " after " + std::to_string(weeks) + " weeks");
      const auto transactions = transactions_of(*client_, a.wallet);
      const auto invoices = subscription_invoices(*client_, a);
      const auto sub = api_->get("/v1/subscriptions/" + a.subscription);
      EXPECT_GT(sub.at("current_period_end").as_int64(), now) << "a renewal is missing";
      EXPECT_EQ(sub.at("invoices_issued").as_int64(), static_cast<int64_t>(invoices.size()));
      std::set<int64_t> periods;
      for (const auto& inv : invoices) {
        EXPECT_EQ(str(inv.at("status")), "paid") << str(inv.at("id"));
        EXPECT_EQ(str(inv.at("paid_via")), "wallet") << str(inv.at("id"));
        EXPECT_TRUE(periods.insert(inv.at("period_start").as_int64()).second) << "a period billed twice";
      }

      int64_t settled_sum = 0;
      std::vector<int64_t> interval_times;
      size_t threshold = 0, draws = 0, granted = 0;
      std::map<std::string, int> draws_per_invoice;
      for (const auto& t : transactions) {
        const std::string id = str(t.at("id"));
        EXPECT_EQ(str(t.at("status")), "settled") << id;
        if (str(t.at("status")) != "settled") continue;
        const bool inbound = str(t.at("type")) == "inbound";
        const int64_t amount = t.at("amount").as_int64();
        settled_sum += inbound ? amount : -amount;
        const std::string trigger = str(t.at("trigger"));
        const std::string source = str(t.at("source"));
        if (trigger == "interval") {
          EXPECT_EQ(source, "purchased") << id;
          EXPECT_EQ(amount, kIntervalAmount) << id;
          interval_times.push_back(t.at("created").as_int64());
        } else if (trigger == "threshold") {
          ++threshold;
          EXPECT_EQ(source, "purchased") << id;
        } else if (source == "consumed" && !inbound) {
          ++draws;
          EXPECT_EQ(amount, kPlanAmount) << id;
          ++draws_per_invoice[str(t.at("invoice"))];
        } else {
          ++granted;
          EXPECT_EQ(source, "granted") << id;
        }
      }
      EXPECT_EQ(granted, 1u) << "the 100 credits granted at the wallet's creation";
      // One interval top-up per week boundary crossed, each in its own week: one a trigger, none missing.
      ASSERT_EQ(interval_times.size(), static_cast<size_t>(weeks)) << "an interval top-up made twice or never";
      std::sort(interval_times.begin(), interval_times.end());
      for (size_t i = 0; i < interval_times.size(); ++i)
        EXPECT_EQ((interval_times[i] - a.anchor) / kWeek, static_cast<int64_t>(i) + 1)
            << "interval top-up " << i << " is not in week " << i + 1;
      // One draw and one threshold top-up per subscription invoice.
      EXPECT_EQ(draws, invoices.size()) << "an invoice drawn twice or not at all";
      EXPECT_EQ(draws_per_invoice.size(), invoices.size());
      EXPECT_EQ(threshold, invoices.size()) << "a threshold top-up made twice or never";

      const auto wallet = api_->get("/v1/wallets/" + a.wallet);
      EXPECT_EQ(wallet.at("balance").as_int64(), settled_sum);
      EXPECT_EQ(wallet.at("ongoing_balance").as_int64(), settled_sum);
      // At 1.00 EUR a credit the credits are the balance in major units.
      EXPECT_EQ(std::llround(std::stold(str(wallet.at("credits_balance"))) * 100), settled_sum);
      // What the rules promise: the threshold rule left 100 credits after the last draw, and the weeks since
      // only added theirs (so a top-up made twice would also show here).
      EXPECT_GE(settled_sum, kTargetAmount);
    }
  }

  std::unique_ptr<PgTestDatabase> database_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpClient> client_;
  std::unique_ptr<BillingApi> api_;
  Receiver rx_;
  int kills_ = 0;
};

TEST_P(WalletTopUpDurabilityTest, Kill9DuringTheSchedulersWorkTopsUpOncePerTrigger) {
  api_->endpoint({{"url", rx_.url(kEventsPath)}, {"event_types", json::array{"wallet_transaction.updated"}}});
  const auto accounts = open_accounts();
  int64_t anchor = 0;
  for (const auto& a : accounts) anchor = std::max(anchor, a.anchor);
  int64_t now_ms = advance_clock(*client_, 0);
  ASSERT_TRUE(wait_until([&] { return settled_up_to(accounts, 0, now_ms / 1000); }, 30s, "the first invoices"));
  expect_each_trigger_once(accounts, 0, now_ms / 1000);

  const unsigned seed = std::random_device{}();
  std::mt19937 random(seed);
  std::cout << "[ topup    ] kill moments seeded with " << seed << std::endl;
  std::uniform_int_distribution<int> delay_ms(0, 30);
  const auto kill_soon = [&] { std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(random))); };
  const auto first_wallet_intervals = [&] {
    return count_trigger(transactions_of(*client_, accounts.front().wallet), "interval");
  };

  for (int week = 1; week <= kWeeks; ++week) {
    SCOPED_TRACE("week " + std::to_string(week));
    // An hour past the week's boundary (of the latest wallet; the others were created in the same second or
    // just before): one boundary per step, so each step is one interval trigger per wallet.
    const int64_t target_ms = (anchor + week * kWeek + kHour) * 1000;
    now_ms = advance_clock_to(*client_, target_ms);
    switch (week % 4) {
      case 1: {
        // At a random moment while the document clock works, and again during the restarted one's catch-up.
        kill_soon();
        kill9_and_restart();
        now_ms = advance_clock_to(*client_, target_ms);
        kill_soon();
        const size_t seen = first_wallet_intervals();
        kill9_and_restart();
        std::cout << "[ topup    ] week " << week << ": kill -9 at random moments, the second after "
                  << seen << " of " << week << " interval top-ups of the first wallet" << std::endl;
        now_ms = advance_clock_to(*client_, target_ms);
        break;
      }
      case 2: {
        // Right after the first trigger of the step committed: the others may still be due.
        ASSERT_TRUE(poll_until([&] { return first_wallet_intervals() >= static_cast<size_t>(week); }, 30s, 2ms))
            << "the week's first top-up";
        kill9_and_restart();
        now_ms = advance_clock_to(*client_, target_ms);
        break;
      }
      case 3:
        break;  // no kill: the steps around it must leave nothing for it to redo
      default: {
        // Idle: everything due is done; the restart at the same time must make nothing more.
        ASSERT_TRUE(wait_until([&] { return settled_up_to(accounts, week, now_ms / 1000); }, 30s, "the top-ups"));
        kill9_and_restart();
        now_ms = advance_clock_to(*client_, target_ms);
        break;
      }
    }
    ASSERT_TRUE(wait_until([&] { return settled_up_to(accounts, week, now_ms / 1000); }, 30s, "the top-ups"))
        << server_->stderr_text().substr(0, 4000);
    expect_each_trigger_once(accounts, week, now_ms / 1000);
    if (HasFatalFailure()) return;
  }

  // Ten more minutes, past the delivery leases a killed node held on PostgreSQL (it ends no lease at start
  // there), and no boundary: every transaction's event reaches the receiver.
  now_ms = advance_clock(*client_, 600);
  ASSERT_TRUE(wait_until([&] { return settled_up_to(accounts, kWeeks, now_ms / 1000); }, 30s, "the last step"));
  expect_each_trigger_once(accounts, kWeeks, now_ms / 1000);

  std::set<std::string> transaction_ids;
  for (const auto& a : accounts)
    for (const auto& t : transactions_of(*client_, a.wallet)) transaction_ids.insert(str(t.at("id")));
  // The distinct events (by id: a retry of one is the same event) received about each transaction.
  const auto event_ids_by_transaction = [&](const std::vector<ReceivedRequest>& requests) {
    std::map<std::string, std::set<std::string>> out;
    for (const auto& r : requests) {
      if (r.path != kEventsPath) continue;
      const auto body = r.json();
      out[str(body.at("data").at("object").at("id"))].insert(str(body.at("id")));
    }
    return out;
  };
  ASSERT_TRUE(rx_.wait_until(
      [&](const std::vector<ReceivedRequest>& requests) {
        const auto got = event_ids_by_transaction(requests);
        return std::all_of(transaction_ids.begin(), transaction_ids.end(),
                           [&](const std::string& id) { return got.contains(id); });
      },
      30s))
      << "the receiver lacks the event of a transaction";
  const auto got = event_ids_by_transaction(rx_.requests());
  std::cout << "[ topup    ] " << kills_ << " kills; " << transaction_ids.size() << " transactions, "
            << rx_.requests_for(kEventsPath).size() << " deliveries received" << std::endl;
  for (const auto& [transaction, events] : got) {
    EXPECT_TRUE(transaction_ids.contains(transaction)) << "an event about " << transaction << ", which is not listed";
    EXPECT_EQ(events.size(), 1u) << transaction << " has " << events.size() << " wallet_transaction.updated events";
  }
  for (const auto& r : rx_.requests_for(kEventsPath)) {
    const auto body = r.json();
    EXPECT_EQ(str(body.at("type")), "wallet_transaction.updated");
    EXPECT_EQ(str(body.at("data").at("object").at("status")), "settled");
    EXPECT_EQ(r.header("webhook-id"), str(body.at("id")));
  }
  // The store says the same: one event about each transaction.
  for (const auto& id : transaction_ids) EXPECT_EQ(api_->events_about(id), 1u) << id;
}

INSTANTIATE_TEST_SUITE_P(Backends, WalletTopUpDurabilityTest, ::testing::Values(Backend::sqlite, Backend::postgres),
                         [](const ::testing::TestParamInfo<Backend>& param) {
                           return param.param == Backend::sqlite ? std::string("SQLite") : std::string("PostgreSQL");
                         });

}  // namespace
}  // namespace billhook::testing
