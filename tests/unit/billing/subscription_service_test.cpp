// Subscriptions on the store, on both backends: creation, the start and trial on the test clock,
// renewal invoices (one per period, in order, across clock jumps and restarts), bill_cycles,
// cancellation, plan changes with proration, and bad input that changes nothing.

#include "billing/subscription_service.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "billing/registry/document_clock.hpp"
#include "billing_fixture.hpp"
#include "support/wait.hpp"
#include "unit/billing/utc.hpp"

namespace billhook::billing::testing {
namespace {

namespace json = boost::json;

class SubscriptionServiceTest : public BillingFixture {
 protected:
  SubscriptionServiceTest() : BillingFixture(23) {}

  // invoice.upcoming is off unless a test asks for it (upcoming_days_, then reopen()).
  void open_services() override {
    subs_ = std::make_unique<SubscriptionService>(*service_, upcoming_days_, stop_collection_after_days_);
  }
  void close_services() override { subs_.reset(); }

  int64_t now() const { return core::to_unix_ms(clock_.now()) / 1000; }

  // A customer who pays with the sandbox's good card, as subscribers do; cardless() has no card.
  std::string customer() {
    const std::string id = cardless();
    attach_card(id, kGoodCard);
    return id;
  }

  std::string cardless(std::optional<std::string> currency = std::nullopt) {
    CustomerChange fields{.name = std::optional<std::string>("Ada")};
    if (currency) fields.currency = currency;
    auto c = write([&](store::WriteTx& tx) { return service_->create_customer(tx, fields, {}); });
    EXPECT_TRUE(c.ok());
    return c.ok() ? c->id : std::string();
  }

  // A monthly USD plan of `amount`; `extra` fields override.
  std::string plan(std::string code, int64_t amount, json::object extra = {}) {
    json::object body{{"code", code}, {"name", code}, {"interval", "month"}, {"amount", amount}, {"currency", "USD"}};
    for (const auto& field : extra) body[field.key()] = field.value();
    auto p = write([&](store::WriteTx& tx) { return subs_->create_plan(tx, body); });
    EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
    return p.ok() ? p->id : std::string();
  }

  core::Result<SubscriptionResult> subscribe(NewSubscription request) {
    return write([&](store::WriteTx& tx) { return subs_->create(tx, request, {"req_1", ""}); });
  }

  Subscription subscribed(NewSubscription request) {
    auto r = subscribe(std::move(request));
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r->subscription : Subscription{};
  }

  Subscription stored(const std::string& id) {
    auto found = write([&](store::WriteTx& tx) -> core::Result<Subscription> {
      auto doc = kSubscriptions.find(tx, id);
      if (!doc) return std::move(doc).error();
      if (!*doc) return kSubscriptions.not_found(id);
      return **doc;
    });
    EXPECT_TRUE(found.ok());
    return found.ok() ? *found : Subscription{};
  }

  // One pass of the document clock with the subscription's and the invoice's handlers (renewals, the
  // collection gate; collection retries and overdue notices); answers the transactions committed.
  int run_clock() {
    EXPECT_TRUE(billhook::testing::wait_until([&] { return store_->runs_time_jobs(); }, std::chrono::seconds(10),
                                              "this node to lead the time-driven jobs"));
    DocumentClock documents(*store_, clock_);
    documents.on(kSubscriptions.kind, [&](store::WriteTx& tx, const Wake& wake) { return subs_->on_wake(tx, wake); });
    documents.on(stored::kInvoice, [&](store::WriteTx& tx, const Wake& wake) { return service_->on_wake(tx, wake); });
    auto n = documents.run_once();
    EXPECT_TRUE(n.ok()) << (n.ok() ? "" : n.error().message);
    return n.ok() ? *n : -1;
  }

  // The subscription's invoices, oldest period first.
  std::vector<Invoice> invoices_of(const Subscription& sub) {
    auto page = store_->list_documents(
        {.page = {.limit = 100}, .filter = {.kind = std::string(stored::kInvoice), .customer_id = sub.customer}});
    EXPECT_TRUE(page.ok());
    std::vector<Invoice> out;
    if (!page.ok()) return out;
    for (const auto& record : page->items) {
      auto doc = decode_invoice(record.body);
      EXPECT_TRUE(doc.ok());
      if (doc.ok() && doc->subscription_id == sub.id) out.push_back(*doc);
    }
    std::sort(out.begin(), out.end(), [](const Invoice& a, const Invoice& b) {
      return std::pair(a.period_start, a.created) < std::pair(b.period_start, b.created);
    });
    return out;
  }

  // The subscription's event types in order, each checked against the catalog with DOMAINS.md §1's
  // additions and its per-aggregate sequence.
  Strings subscription_events(const std::string& id) {
    auto page = store_->list_events({.page = {.limit = 100}, .aggregate_id = id});
    EXPECT_TRUE(page.ok());
    Strings out;
    if (!page.ok()) return out;
    int64_t sequence = 0;
    for (auto it = page->items.rbegin(); it != page->items.rend(); ++it) {
      const auto* type = catalog::Catalog::builtin().find(it->type);
      EXPECT_NE(type, nullptr) << it->type;
      const json::value data = json::parse(it->data_json);
      if (type && type->schema) {
        auto violation = type->schema->validate(data.at("object"));
        EXPECT_FALSE(violation.has_value()) << it->type << ": " << violation->path << " " << violation->message;
      }
      EXPECT_EQ(it->aggregate->sequence, ++sequence);
      out.push_back(it->type);
    }
    return out;
  }

  // The card becomes the customer's default (the first one is anyway); answers its id.
  std::string attach_card(const std::string& customer_id, const std::string& number) {
    AttachCard card;
    card.customer_id = customer_id;
    card.number = number;
    card.exp_month = 12;
    card.exp_year = 2035;
    card.make_default = true;
    auto pm = write([&](store::WriteTx& tx) { return service_->attach_card(tx, card, {}); });
    EXPECT_TRUE(pm.ok()) << pm.error().message;
    return pm.ok() ? pm->id : std::string();
  }

  // The customer took the card away: collection no longer tries it.
  void remove_card(const std::string& method_id) {
    auto pm = write([&](store::WriteTx& tx) {
      return service_->update_payment_method(tx, method_id, {.valid = false, .invalid_reason = "removed"}, {});
    });
    ASSERT_TRUE(pm.ok()) << pm.error().message;
  }

  // The invoice's payment after `request`, in its own transaction.
  void pay(const std::string& invoice_id, PayRequest request) {
    auto paid = write([&](store::WriteTx& tx) { return service_->pay(tx, invoice_id, request, {"req_pay", ""}); });
    ASSERT_TRUE(paid.ok()) << paid.error().message;
  }

  Invoice invoice(const std::string& id) {
    auto found = write([&](store::WriteTx& tx) { return service_->load_invoice(tx, id); });
    EXPECT_TRUE(found.ok());
    return found.ok() ? *found : Invoice{};
  }

  static constexpr const char* kGoodCard = "4242424242424242";
  static constexpr const char* kDeclinedCard = "4000000000009995";  // insufficient funds

  int64_t upcoming_days_ = 0;
  int64_t stop_collection_after_days_ = 14;
  std::unique_ptr<SubscriptionService> subs_;
};

TEST_P(SubscriptionServiceTest, CreatedToStartNowIsActiveAndBillsItsFirstPeriodInAdvance) {
  const std::string cus = cardless();
  const Subscription sub = subscribed({.customer = cus, .plan = plan("growth", 2500)});
  EXPECT_EQ(sub.status, SubscriptionStatus::active);
  EXPECT_EQ(stored(sub.id), sub);
  const auto invoices = invoices_of(sub);
  ASSERT_EQ(invoices.size(), 1u);
  const Invoice& first = invoices[0];
  EXPECT_EQ(first.billing_reason, BillingReason::subscription_create);
  EXPECT_EQ(first.status, InvoiceStatus::open);
  EXPECT_EQ(first.total, 2500);
  EXPECT_EQ(first.currency, "USD");
  EXPECT_EQ(first.period_start, utc(2026, 11, 1));
  EXPECT_EQ(first.period_end, utc(2026, 12, 1));
  ASSERT_EQ(first.lines.size(), 1u);
  EXPECT_EQ(first.lines[0].period_end, utc(2026, 12, 1));
  EXPECT_EQ(stored(sub.id).latest_invoice, first.id);
  EXPECT_EQ(stored(sub.id).invoices_issued, 1);
  EXPECT_EQ(subscription_events(sub.id), (Strings{"subscription.created", "subscription.activated"}));
  // Collected at once; this customer has no card, so the invoice stays open and says why.
  EXPECT_EQ(types_of(first.id), (Strings{"invoice.created", "invoice.finalized", "invoice.payment_missing_data"}));
  EXPECT_EQ(run_clock(), 0);  // nothing is due before the period ends
}

// invoice.upcoming announces each renewal --upcoming-days before it, once (across passes and
// restarts), with the invoice it will issue; then the period's end renews it as before.
TEST_P(SubscriptionServiceTest, UpcomingInvoiceIsAnnouncedOnceBeforeEachRenewal) {
  upcoming_days_ = 3;
  reopen();
  const Subscription sub = subscribed({.customer = customer(), .plan = plan("growth", 2500)});
  EXPECT_EQ(stored(sub.id).upcoming_at, utc(2026, 11, 28));
  clock_.set(core::from_unix_ms(utc(2026, 11, 27) * 1000));
  EXPECT_EQ(run_clock(), 0) << "not yet";
  clock_.set(core::from_unix_ms(utc(2026, 11, 28, 6) * 1000));
  EXPECT_EQ(run_clock(), 1);
  reopen();
  EXPECT_EQ(run_clock(), 0) << "announced once";
  EXPECT_EQ(subscription_events(sub.id), (Strings{"subscription.created", "subscription.activated", "invoice.upcoming"}));
  auto page = store_->list_events({.page = {.limit = 1}, .type = "invoice.upcoming", .aggregate_id = sub.id});
  ASSERT_TRUE(page.ok() && page->items.size() == 1u);
  const auto object = json::parse(page->items[0].data_json).at("object").as_object();
  EXPECT_EQ(object.at("scheduled_at").as_int64(), utc(2026, 12, 1));
  EXPECT_EQ(object.at("period_start").as_int64(), utc(2026, 12, 1));
  EXPECT_EQ(object.at("period_end").as_int64(), utc(2027, 1, 1));
  EXPECT_EQ(object.at("total").as_int64(), 2500);
  EXPECT_FALSE(object.contains("id")) << "a preview has no id";
  EXPECT_EQ(invoices_of(sub).size(), 1u) << "announced, not issued";

  clock_.set(core::from_unix_ms(utc(2026, 12, 1, 1) * 1000));
  EXPECT_EQ(run_clock(), 1);
  EXPECT_EQ(invoices_of(sub).size(), 2u);
  EXPECT_EQ(stored(sub.id).upcoming_at, utc(2026, 12, 29)) << "the next renewal's notice";
  // A subscription that ends at the period's end announces nothing more.
  ASSERT_TRUE(write([&](store::WriteTx& tx) { return subs_->cancel(tx, sub.id, /*at_period_end=*/true, {}); }).ok());
  EXPECT_FALSE(stored(sub.id).upcoming_at.has_value());
}

// A subscription's invoice is collected like any charge_automatically invoice: paid on a good card; on a
// declined one, invoice.payment_failed ("a subscription billing attempt fails", as Calmony documents it)
// and the collection's retry schedule.
TEST_P(SubscriptionServiceTest, ItsInvoicesAreCollectedFromTheCustomersCard) {
  const std::string good = customer();
  const Subscription paid_sub = subscribed({.customer = good, .plan = plan("growth", 2500)});
  const Invoice paid = invoices_of(paid_sub).at(0);
  EXPECT_EQ(paid.status, InvoiceStatus::paid);
  EXPECT_EQ(types_of(paid.id).back(), "invoice.paid");

  const std::string broke = cardless();
  attach_card(broke, kDeclinedCard);
  const Subscription failed_sub = subscribed({.customer = broke, .plan = plan("basic", 900)});
  const Invoice failed = invoices_of(failed_sub).at(0);
  EXPECT_EQ(failed.status, InvoiceStatus::open);
  const auto types = types_of(failed.id);
  EXPECT_NE(std::find(types.begin(), types.end(), "invoice.payment_failed"), types.end());
  EXPECT_TRUE(failed.next_payment_attempt.has_value()) << "retried on the collection's schedule";
  EXPECT_EQ(stored(failed_sub.id).status, SubscriptionStatus::active);
}

TEST_P(SubscriptionServiceTest, AClockJumpOverSeveralPeriodsBillsEachMissedPeriodOnceInOrder) {
  const Subscription sub = subscribed({.customer = customer(), .plan = plan("growth", 2500)});
  clock_.set(core::from_unix_ms(utc(2027, 2, 15) * 1000));
  EXPECT_EQ(run_clock(), 3);  // Dec, Jan, Feb: one transaction each
  EXPECT_EQ(run_clock(), 0);
  reopen();  // a restart bills nothing twice
  EXPECT_EQ(run_clock(), 0);

  const auto invoices = invoices_of(sub);
  const std::vector<int64_t> starts = {utc(2026, 11, 1), utc(2026, 12, 1), utc(2027, 1, 1), utc(2027, 2, 1)};
  ASSERT_EQ(invoices.size(), starts.size());
  for (size_t i = 0; i < invoices.size(); ++i) {
    EXPECT_EQ(invoices[i].period_start, starts[i]) << i;
    EXPECT_EQ(invoices[i].period_end, i + 1 < starts.size() ? starts[i + 1] : utc(2027, 3, 1)) << i;
    EXPECT_EQ(invoices[i].total, 2500) << i;
    EXPECT_EQ(invoices[i].billing_reason,
              i == 0 ? BillingReason::subscription_create : BillingReason::subscription_cycle)
        << i;
  }
  const Subscription now = stored(sub.id);
  EXPECT_EQ(now.current_period_start, utc(2027, 2, 1));
  EXPECT_EQ(now.current_period_end, utc(2027, 3, 1));
  EXPECT_EQ(now.invoices_issued, 4);
  EXPECT_EQ(now.latest_invoice, invoices.back().id);
  EXPECT_EQ(subscription_events(sub.id), (Strings{"subscription.created", "subscription.activated"}));
}

// Two nodes may, for a moment, both run the time-driven jobs (one lost the lead mid-pass) and read the
// same copy of a subscription: the second to bill its period is refused and bills nothing.
TEST_P(SubscriptionServiceTest, AStaleCopyCannotBillAPeriodTwice) {
  const Subscription sub = subscribed({.customer = customer(), .plan = plan("growth", 2500)});
  const Subscription before_renewal = stored(sub.id);
  clock_.set(core::from_unix_ms(utc(2026, 12, 1, 1) * 1000));
  EXPECT_EQ(run_clock(), 1);
  ASSERT_EQ(invoices_of(sub).size(), 2u);

  // The copy the other node read before this one committed.
  ASSERT_TRUE(write([&](store::WriteTx& tx) { return kSubscriptions.update(tx, before_renewal, sub.id); }).ok());
  const int64_t events = event_count();
  auto again = write([&](store::WriteTx& tx) { return subs_->on_wake(tx, Wake{sub.id, 0}); });
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "period_already_billed") << again.error().message;
  EXPECT_EQ(invoices_of(sub).size(), 2u);
  EXPECT_EQ(event_count(), events);
}

TEST_P(SubscriptionServiceTest, AFutureStartIsPendingUntilItComes) {
  const int64_t start = now() + 5 * kSecondsPerDay;
  const Subscription sub = subscribed({.customer = customer(), .plan = plan("growth", 2500), .start_date = start});
  EXPECT_EQ(sub.status, SubscriptionStatus::pending);
  EXPECT_TRUE(invoices_of(sub).empty());
  advance_days(4);
  EXPECT_EQ(run_clock(), 0);
  advance_days(1);
  EXPECT_EQ(run_clock(), 1);
  EXPECT_EQ(stored(sub.id).status, SubscriptionStatus::active);
  const auto invoices = invoices_of(sub);
  ASSERT_EQ(invoices.size(), 1u);
  EXPECT_EQ(invoices[0].billing_reason, BillingReason::subscription_create);
  EXPECT_EQ(invoices[0].period_start, start);
  EXPECT_EQ(invoices[0].period_end, utc(2026, 12, 6));
  EXPECT_EQ(subscription_events(sub.id), (Strings{"subscription.created", "subscription.activated"}));
}

TEST_P(SubscriptionServiceTest, ATrialComesFirstAndBillingStartsAtItsEnd) {
  const Subscription sub =
      subscribed({.customer = customer(), .plan = plan("growth", 2500, {{"trial_period_days", 14}})});
  EXPECT_EQ(sub.status, SubscriptionStatus::trialing);
  EXPECT_TRUE(invoices_of(sub).empty());
  advance_days(14);
  EXPECT_EQ(run_clock(), 1);
  const Subscription after = stored(sub.id);
  EXPECT_EQ(after.status, SubscriptionStatus::active);
  const auto invoices = invoices_of(sub);
  ASSERT_EQ(invoices.size(), 1u);
  EXPECT_EQ(invoices[0].period_start, utc(2026, 11, 15));
  EXPECT_EQ(invoices[0].period_end, utc(2026, 12, 15));
  EXPECT_EQ(subscription_events(sub.id),
            (Strings{"subscription.created", "subscription.activated", "subscription.trial_ended"}));
}

TEST_P(SubscriptionServiceTest, BillCyclesCompleteTheSubscriptionWithItsLastInvoice) {
  const Subscription sub = subscribed({.customer = customer(), .plan = plan("three", 1000, {{"bill_cycles", 3}})});
  clock_.set(core::from_unix_ms(utc(2027, 6, 1) * 1000));
  EXPECT_EQ(run_clock(), 2);
  EXPECT_EQ(run_clock(), 0);
  EXPECT_EQ(invoices_of(sub).size(), 3u);
  const Subscription after = stored(sub.id);
  EXPECT_EQ(after.status, SubscriptionStatus::completed);
  EXPECT_EQ(after.ended_at, utc(2027, 1, 1));
  EXPECT_EQ(subscription_events(sub.id),
            (Strings{"subscription.created", "subscription.activated", "subscription.completed"}));
}

TEST_P(SubscriptionServiceTest, InArrearsAPeriodIsBilledAtItsEnd) {
  const Subscription sub =
      subscribed({.customer = customer(), .plan = plan("arrears", 1800, {{"pay_in_advance", false}})});
  EXPECT_TRUE(invoices_of(sub).empty());
  advance_days(30);
  EXPECT_EQ(run_clock(), 1);
  const auto invoices = invoices_of(sub);
  ASSERT_EQ(invoices.size(), 1u);
  EXPECT_EQ(invoices[0].period_start, utc(2026, 11, 1));
  EXPECT_EQ(invoices[0].period_end, utc(2026, 12, 1));
  EXPECT_EQ(invoices[0].billing_reason, BillingReason::subscription_cycle);
  EXPECT_EQ(invoices[0].total, 1800);
}

TEST_P(SubscriptionServiceTest, CalendarBillingProratesTheFirstPeriodByDays) {
  advance_days(9);  // 2026-11-10: November's 10th–30th are 21 of its 30 days
  const Subscription sub =
      subscribed({.customer = customer(), .plan = plan("calendar", 3000), .billing_time = BillingTime::calendar});
  advance_days(21);
  EXPECT_EQ(run_clock(), 1);
  const auto invoices = invoices_of(sub);
  ASSERT_EQ(invoices.size(), 2u);
  EXPECT_EQ(invoices[0].total, 2100);
  EXPECT_EQ(invoices[0].period_end, utc(2026, 12, 1));
  EXPECT_EQ(invoices[1].total, 3000);
  EXPECT_EQ(invoices[1].period_start, utc(2026, 12, 1));
  EXPECT_EQ(invoices[1].period_end, utc(2027, 1, 1));
}

TEST_P(SubscriptionServiceTest, CancelAtPeriodEndEndsItThenWithoutAnotherInvoice) {
  const Subscription sub = subscribed({.customer = customer(), .plan = plan("growth", 2500)});
  advance_days(3);
  auto scheduled = write([&](store::WriteTx& tx) { return subs_->cancel(tx, sub.id, true, {}); });
  ASSERT_TRUE(scheduled.ok()) << scheduled.error().message;
  EXPECT_EQ(scheduled->subscription.status, SubscriptionStatus::active);
  EXPECT_EQ(scheduled->subscription.ending_at, utc(2026, 12, 1));
  clock_.set(core::from_unix_ms(utc(2027, 3, 1) * 1000));
  EXPECT_EQ(run_clock(), 1);
  EXPECT_EQ(run_clock(), 0);
  const Subscription after = stored(sub.id);
  EXPECT_EQ(after.status, SubscriptionStatus::canceled);
  EXPECT_EQ(after.ended_at, utc(2026, 12, 1));
  EXPECT_EQ(invoices_of(sub).size(), 1u);
  EXPECT_EQ(subscription_events(sub.id), (Strings{"subscription.created", "subscription.activated",
                                                  "subscription.updated", "subscription.canceled"}));
}

TEST_P(SubscriptionServiceTest, CancelNowBillsTheUsedPartInArrearsAndTerminateEndsIt) {
  const std::string cus = customer();
  const Subscription arrears =
      subscribed({.customer = cus, .plan = plan("arrears", 3000, {{"pay_in_advance", false}})});
  advance_days(12);  // 12 of November's 30 days used: 3000 × 12 / 30 = 1200
  auto canceled = write([&](store::WriteTx& tx) { return subs_->cancel(tx, arrears.id, false, {}); });
  ASSERT_TRUE(canceled.ok()) << canceled.error().message;
  EXPECT_EQ(canceled->subscription.status, SubscriptionStatus::canceled);
  ASSERT_TRUE(canceled->invoice.has_value());
  EXPECT_EQ(canceled->invoice->total, 1200);
  EXPECT_EQ(canceled->invoice->period_end, utc(2026, 11, 13));

  const Subscription other = subscribed({.customer = cus, .plan = plan("growth", 2500)});
  auto terminated = write([&](store::WriteTx& tx) { return subs_->terminate(tx, other.id, {}); });
  ASSERT_TRUE(terminated.ok());
  EXPECT_EQ(terminated->subscription.status, SubscriptionStatus::terminated);
  const int64_t events = event_count();
  auto again = write([&](store::WriteTx& tx) { return subs_->terminate(tx, other.id, {}); });
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, core::ErrorKind::conflict);
  EXPECT_NE(again.error().message.find("terminated"), std::string::npos) << again.error().message;
  EXPECT_EQ(event_count(), events);
  advance_days(60);
  EXPECT_EQ(run_clock(), 0);
  EXPECT_EQ(invoices_of(other).size(), 1u);
}

TEST_P(SubscriptionServiceTest, AnUpgradeBillsTheRestOfThePeriodAndADowngradeWaitsForItsEnd) {
  const std::string basic = plan("basic", 1000);
  const std::string premium = plan("premium", 2500);
  const std::string lite = plan("lite", 400);
  const Subscription sub = subscribed({.customer = customer(), .plan = basic});
  advance_days(20);  // 10 of November's 30 days left: (2500 − 1000) × 10 / 30 = 500
  auto upgraded = write([&](store::WriteTx& tx) { return subs_->change_plan(tx, sub.id, premium, {}); });
  ASSERT_TRUE(upgraded.ok()) << upgraded.error().message;
  ASSERT_TRUE(upgraded->invoice.has_value());
  EXPECT_EQ(upgraded->invoice->total, 500);
  EXPECT_EQ(upgraded->invoice->billing_reason, BillingReason::subscription_update);
  EXPECT_EQ(upgraded->invoice->period_start, utc(2026, 11, 21));
  EXPECT_EQ(upgraded->invoice->period_end, utc(2026, 12, 1));

  auto downgraded = write([&](store::WriteTx& tx) { return subs_->change_plan(tx, sub.id, lite, {}); });
  ASSERT_TRUE(downgraded.ok()) << downgraded.error().message;
  EXPECT_FALSE(downgraded->invoice.has_value());
  EXPECT_EQ(downgraded->subscription.plan, premium);
  advance_days(10);
  EXPECT_EQ(run_clock(), 1);
  const auto invoices = invoices_of(sub);
  ASSERT_EQ(invoices.size(), 3u);
  EXPECT_EQ(invoices[2].period_start, utc(2026, 12, 1));
  EXPECT_EQ(invoices[2].total, 400);
  EXPECT_EQ(stored(sub.id).plan, lite);
  EXPECT_EQ(subscription_events(sub.id),
            (Strings{"subscription.created", "subscription.activated", "subscription.updated", "subscription.updated",
                     "subscription.updated"}));
}

TEST_P(SubscriptionServiceTest, BadInputNamesTheFieldAndChangesNothing) {
  const std::string cus = customer();
  const std::string usd = plan("growth", 2500);
  const std::string eur = plan("euro", 2500, {{"currency", "EUR"}});
  ASSERT_TRUE(subscribe({.customer = cus, .plan = usd, .external_id = "acct-1"}).ok());
  const int64_t events = event_count();
  const auto refused = [&](NewSubscription request, const std::string& param, const std::string& code = "") {
    auto r = subscribe(request);
    ASSERT_FALSE(r.ok()) << param;
    EXPECT_EQ(r.error().param, param) << r.error().message;
    if (!code.empty()) {
      EXPECT_EQ(r.error().code, code) << r.error().message;
    }
  };
  refused({.customer = cus, .plan = "plan_01KGGCS100AAPJXX9DWP7W7209"}, "plan", "resource_missing");
  refused({.customer = "cus_01KGGCS100AAPJXX9DWP7W7209", .plan = usd}, "customer");
  refused({.customer = cus, .plan = eur}, "plan", "currency_mismatch");              // its other subscription is in USD
  refused({.customer = cardless("EUR"), .plan = usd}, "plan", "currency_mismatch");  // its balance is in EUR
  refused({.customer = cus, .plan = usd, .start_date = now() + 100, .ending_at = now() + 50}, "ending_at");
  refused({.customer = cus, .plan = usd, .quantity = 0}, "quantity");
  refused({.customer = cus, .plan = usd, .external_id = "acct-1"}, "external_id", "external_id_taken");
  ASSERT_TRUE(write([&](store::WriteTx& tx) { return subs_->archive_plan(tx, usd); }).ok());
  refused({.customer = cardless(), .plan = usd}, "plan", "plan_archived");

  auto taken = write([&](store::WriteTx& tx) {
    return subs_->create_plan(
        tx,
        json::object{{"code", "growth"}, {"name", "Again"}, {"interval", "month"}, {"amount", 1}, {"currency", "USD"}});
  });
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error().param, "code");
  auto negative = write([&](store::WriteTx& tx) {
    return subs_->create_plan(
        tx, json::object{{"code", "neg"}, {"name", "Neg"}, {"interval", "month"}, {"amount", -1}, {"currency", "USD"}});
  });
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().param, "amount");

  // Two customers were made above (each with its customer.created); nothing else was stored.
  EXPECT_EQ(event_count(), events + 2);
}

TEST_P(SubscriptionServiceTest, AnUpdateKeepsExternalIdsUniquePerCustomer) {
  const std::string cus = customer();
  const std::string usd = plan("growth", 2500);
  const Subscription first = subscribed({.customer = cus, .plan = usd, .external_id = "acct-1"});
  const Subscription second = subscribed({.customer = cus, .plan = usd});
  const auto update = [&](const Subscription& sub, UpdateSubscription change) {
    return write([&](store::WriteTx& tx) { return subs_->update(tx, sub.id, change, {}); });
  };
  auto taken = update(second, {.external_id = std::optional<std::string>("acct-1")});
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error().param, "external_id");
  auto renamed = update(second, {.external_id = std::optional<std::string>("acct-2"),
                                 .metadata = std::map<std::string, std::string>{{"team", "ops"}}});
  ASSERT_TRUE(renamed.ok()) << renamed.error().message;
  EXPECT_EQ(stored(second.id).external_id, "acct-2");
  EXPECT_EQ(stored(second.id).metadata.at("team"), "ops");
  ASSERT_TRUE(update(first, {.external_id = std::optional<std::string>("acct-1")}).ok());  // its own: no change
  EXPECT_EQ(subscription_events(second.id),
            (Strings{"subscription.created", "subscription.activated", "subscription.updated"}));
  EXPECT_EQ(subscription_events(first.id), (Strings{"subscription.created", "subscription.activated"}));
}

// Issue 14's simulation: a monthly plan with a 14-day trial from 2026-11-01; the card declined at the
// month-5 renewal and replaced by a good one two days later (the collection's retry pays the invoice, well
// before collection would stop); an upgrade in month 9; a cancellation at period end in month 20; the
// clock moved a day at a time for 24 months.
TEST_P(SubscriptionServiceTest, TwentyFourMonthsOnTheTestClock) {
  const std::string basic = plan("basic", 2000, {{"trial_period_days", 14}});
  const std::string premium = plan("premium", 3500);
  const std::string cus = cardless();
  const std::string first_card = attach_card(cus, kGoodCard);
  const Subscription sub = subscribed({.customer = cus, .plan = basic});
  const int64_t declined_from = utc(2027, 3, 14);  // the renewal of Mar 15 (the fifth invoice) declines
  const int64_t good_card_at = utc(2027, 3, 17);
  const int64_t upgrade_at = utc(2027, 8, 1);  // in the period Jul 15 – Aug 15 (31 days), 14 days left
  const int64_t cancel_at = utc(2028, 7, 1);   // in the period Jun 15 – Jul 15 2028
  std::optional<Invoice> proration;
  for (int day = 1; day <= 731; ++day) {
    advance_days(1);
    ASSERT_GE(run_clock(), 0);
    if (now() == declined_from) {  // the customer swaps the card for one that will decline
      remove_card(first_card);
      attach_card(cus, kDeclinedCard);
    }
    if (now() == good_card_at) attach_card(cus, kGoodCard);
    if (now() == upgrade_at) {
      auto r = write([&](store::WriteTx& tx) { return subs_->change_plan(tx, sub.id, premium, {}); });
      ASSERT_TRUE(r.ok()) << r.error().message;
      proration = r->invoice;
    }
    if (now() == cancel_at) {
      auto r = write([&](store::WriteTx& tx) { return subs_->cancel(tx, sub.id, true, {}); });
      ASSERT_TRUE(r.ok()) << r.error().message;
    }
  }
  ASSERT_TRUE(proration.has_value());
  EXPECT_EQ(proration->total, 677);  // 1500 × 14 / 31 = 677.4

  // One invoice per period from the trial's end (the 15th of each month) to the last period before the
  // cancellation took effect, 2000 before the upgrade and 3500 after; and the proration.
  std::vector<std::pair<int64_t, int64_t>> expected;  // (period start, total)
  using std::chrono::year;
  for (auto month = year{2026} / std::chrono::November; month <= year{2028} / std::chrono::June;
       month += std::chrono::months{1}) {
    const int64_t start = utc(static_cast<int>(month.year()), static_cast<unsigned>(month.month()), 15);
    expected.emplace_back(start, start < upgrade_at ? 2000 : 3500);
  }
  expected.emplace_back(upgrade_at, 677);
  std::sort(expected.begin(), expected.end());
  std::vector<std::pair<int64_t, int64_t>> actual;
  for (const auto& invoice : invoices_of(sub)) actual.emplace_back(*invoice.period_start, invoice.total);
  EXPECT_EQ(actual.size(), 21u);
  EXPECT_EQ(actual, expected);
  for (const auto& invoice : invoices_of(sub)) EXPECT_EQ(invoice.status, InvoiceStatus::paid) << invoice.id;

  // The declined renewal: failed at once and on the first retry, overdue meanwhile, paid by the retry
  // after the good card came.
  const auto invoices = invoices_of(sub);
  const auto declined = std::find_if(invoices.begin(), invoices.end(),
                                     [&](const Invoice& i) { return i.period_start == utc(2027, 3, 15); });
  ASSERT_NE(declined, invoices.end());
  const Strings types = types_of(declined->id);
  EXPECT_EQ(std::count(types.begin(), types.end(), "invoice.payment_failed"), 2) << ::testing::PrintToString(types);
  EXPECT_EQ(std::count(types.begin(), types.end(), "invoice.overdue"), 1) << ::testing::PrintToString(types);
  EXPECT_EQ(types.back(), "invoice.paid");
  EXPECT_EQ(declined->paid_at, utc(2027, 3, 19)) << "the retry three days after the first one";

  const Subscription after = stored(sub.id);
  EXPECT_EQ(after.status, SubscriptionStatus::canceled);
  EXPECT_EQ(after.ended_at, utc(2028, 7, 15));
  EXPECT_EQ(subscription_events(sub.id),
            (Strings{"subscription.created", "subscription.activated", "subscription.trial_ended",
                     "subscription.updated", "subscription.updated", "subscription.canceled"}));
}

// The collection gate (DOMAINS.md §1): an invoice overdue --stop-collection-after-days stops the
// subscription's collection (past_due); renewals go on being invoiced but are not charged; when every
// overdue invoice is settled (paid, or voided) it is active again, in that transaction, and collected again.
TEST_P(SubscriptionServiceTest, CollectionStopsWhenAnInvoiceStaysOverdueAndResumesWhenAllAreSettled) {
  const std::string cus = cardless();
  attach_card(cus, kDeclinedCard);
  const Subscription sub = subscribed({.customer = cus, .plan = plan("growth", 2500)});
  const Invoice first = invoices_of(sub).at(0);
  EXPECT_EQ(first.status, InvoiceStatus::open);
  EXPECT_EQ(first.due_date, utc(2026, 11, 1)) << "due when issued";

  advance_days(13);
  ASSERT_GE(run_clock(), 0);
  EXPECT_EQ(stored(sub.id).status, SubscriptionStatus::active) << "13 days overdue: still collecting";
  advance_days(1);
  ASSERT_GE(run_clock(), 1);
  Subscription stopped = stored(sub.id);
  EXPECT_EQ(stopped.status, SubscriptionStatus::past_due);
  EXPECT_EQ(stopped.collection_status, CollectionStatus::stopped);
  EXPECT_EQ(stopped.collection_stopped_reason, "invoices_past_due");
  reopen();
  EXPECT_EQ(run_clock(), 0) << "stopped once";

  // The next period is invoiced, not charged (the card would have been tried and declined).
  clock_.set(core::from_unix_ms(utc(2026, 12, 1, 1) * 1000));
  ASSERT_GE(run_clock(), 1);
  const auto invoices = invoices_of(sub);
  ASSERT_EQ(invoices.size(), 2u);
  const Invoice& second = invoices[1];
  EXPECT_EQ(second.status, InvoiceStatus::open);
  EXPECT_EQ(second.attempt_count, 0);
  const Strings second_types = types_of(second.id);
  EXPECT_EQ(std::count(second_types.begin(), second_types.end(), "invoice.payment_failed"), 0);

  // Paying the first invoice leaves the second overdue: still stopped.
  attach_card(cus, kGoodCard);
  advance_days(1);
  pay(first.id, {});
  EXPECT_EQ(invoice(first.id).status, InvoiceStatus::paid);
  EXPECT_EQ(stored(sub.id).status, SubscriptionStatus::past_due);
  // Voiding the second settles the last one: active again, with the void's request.
  auto voided = write([&](store::WriteTx& tx) { return service_->apply(tx, second.id, Void{}, {"req_void", ""}); });
  ASSERT_TRUE(voided.ok()) << voided.error().message;
  const Subscription resumed = stored(sub.id);
  EXPECT_EQ(resumed.status, SubscriptionStatus::active);
  EXPECT_EQ(resumed.collection_status, CollectionStatus::active);
  EXPECT_FALSE(resumed.collection_stopped_reason.has_value());
  EXPECT_EQ(subscription_events(sub.id), (Strings{"subscription.created", "subscription.activated",
                                                  "subscription.collection_stopped", "subscription.reactivated"}));
  auto page = store_->list_events({.page = {.limit = 1}, .type = "subscription.reactivated", .aggregate_id = sub.id});
  ASSERT_TRUE(page.ok() && page->items.size() == 1u);
  EXPECT_EQ(page->items[0].request_id, "req_void");
  auto void_event = store_->list_events({.page = {.limit = 1}, .type = "invoice.voided", .aggregate_id = second.id});
  ASSERT_TRUE(void_event.ok() && void_event->items.size() == 1u);
  EXPECT_LT(void_event->items[0].id, page->items[0].id) << "reactivated in answer to the void: after it";

  // Collected again from the next renewal on.
  clock_.set(core::from_unix_ms(utc(2027, 1, 1, 1) * 1000));
  ASSERT_GE(run_clock(), 1);
  EXPECT_EQ(invoices_of(sub).back().status, InvoiceStatus::paid);
}

// A declined invoice paid within the grace period never stops collection, and a gate of 0 days stops it
// the moment an invoice is overdue.
TEST_P(SubscriptionServiceTest, AnInvoicePaidInTimeNeverStopsCollection) {
  const std::string cus = cardless();
  attach_card(cus, kDeclinedCard);
  const Subscription sub = subscribed({.customer = cus, .plan = plan("growth", 2500)});
  attach_card(cus, kGoodCard);
  advance_days(2);
  pay(invoices_of(sub).at(0).id, {});
  advance_days(20);
  ASSERT_GE(run_clock(), 0);
  EXPECT_EQ(stored(sub.id).status, SubscriptionStatus::active);
  EXPECT_FALSE(stored(sub.id).collection_check_at.has_value()) << "nothing left to watch";

  stop_collection_after_days_ = 0;
  reopen();
  const std::string late = cardless();
  attach_card(late, kDeclinedCard);
  const Subscription other = subscribed({.customer = late, .plan = plan("basic", 900)});
  clock_.set(clock_.now() + std::chrono::seconds(1));
  ASSERT_GE(run_clock(), 1);
  EXPECT_EQ(stored(other.id).status, SubscriptionStatus::past_due);
}

INSTANTIATE_TEST_SUITE_P(Backends, SubscriptionServiceTest, kBackends, backend_name);

}  // namespace
}  // namespace billhook::billing::testing
