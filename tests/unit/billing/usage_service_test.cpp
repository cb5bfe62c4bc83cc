// The usage intake on the store, on both backends: events fold into running aggregates priced by the
// plan's charges (DOMAINS.md's graduated worked numbers), a repeated transaction_id counts once —
// also from 8 writers at once —, invalid events are kept but not billed, bad input fails the whole
// batch naming the item and field, and usage finds its subscription by id, external_id or customer.

#include "billing/usage_service.hpp"

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "billing/billable_metric_service.hpp"
#include "billing/fee.hpp"
#include "billing/registry/document_clock.hpp"
#include "billing/subscription_service.hpp"
#include "billing_fixture.hpp"
#include "catalog/catalog.hpp"
#include "support/wait.hpp"

namespace billhook::billing::testing {
namespace {

namespace json = boost::json;

class UsageServiceTest : public BillingFixture {
 protected:
  UsageServiceTest() : BillingFixture(47) {}

  void open_services() override {
    subs_ = std::make_unique<SubscriptionService>(*service_, 0, 14);
    metrics_ = std::make_unique<BillableMetricService>(*service_);
    usage_ = std::make_unique<UsageService>(*service_);
  }
  void close_services() override {
    usage_.reset();
    metrics_.reset();
    subs_.reset();
  }

  int64_t now() const { return core::to_unix_ms(clock_.now()) / 1000; }

  void metric(json::object body) {
    auto request = core::described::from_json<NewBillableMetric>(body);
    ASSERT_TRUE(request.ok()) << request.error().message;
    auto m = write([&](store::WriteTx& tx) { return metrics_->create(tx, *request, {}); });
    ASSERT_TRUE(m.ok()) << m.error().message;
  }

  // A customer with the sandbox's good card on a free monthly USD plan with these charges.
  Subscription subscribed(json::array charges, std::optional<std::string> external_id = std::nullopt,
                          json::array thresholds = {}) {
    auto customer = write([&](store::WriteTx& tx) {
      return service_->create_customer(tx, {.name = std::optional<std::string>("Ada")}, {});
    });
    EXPECT_TRUE(customer.ok());
    AttachCard card{.customer_id = customer->id, .number = "4242424242424242", .exp_month = 12, .exp_year = 2030,
                    .make_default = true};
    EXPECT_TRUE(write([&](store::WriteTx& tx) { return service_->attach_card(tx, card, {}); }).ok());
    const std::string code = "usage_" + std::to_string(++plans_);
    json::object body{{"code", code}, {"name", code},         {"interval", "month"},
                      {"amount", 0},  {"currency", "USD"}, {"charges", std::move(charges)}};
    if (!thresholds.empty()) body["usage_thresholds"] = std::move(thresholds);
    auto plan = write([&](store::WriteTx& tx) { return subs_->create_plan(tx, body); });
    EXPECT_TRUE(plan.ok()) << (plan.ok() ? "" : plan.error().message);
    NewSubscription request{.customer = customer->id, .plan = plan->id, .external_id = external_id};
    auto sub = write([&](store::WriteTx& tx) { return subs_->create(tx, request, {}); });
    EXPECT_TRUE(sub.ok()) << (sub.ok() ? "" : sub.error().message);
    return sub->subscription;
  }

  static UsageEventInput event(std::string subscription, std::string transaction_id, std::string code,
                               UsageProperties properties = {}) {
    json::object props;
    for (const auto& [k, v] : properties) props[k] = v;
    return {.transaction_id = std::move(transaction_id),
            .code = std::move(code),
            .external_subscription_id = std::move(subscription),
            .external_customer_id = {},
            .timestamp = std::nullopt,
            .properties = std::move(properties),
            .properties_json = json::serialize(props)};
  }

  core::Result<std::vector<IngestedUsageEvent>> ingest(std::vector<UsageEventInput> events) {
    return write([&](store::WriteTx& tx) { return usage_->ingest(tx, events, "events"); });
  }

  json::object usage(const std::string& sub) {
    auto u = usage_->current_usage(*store_, sub);
    EXPECT_TRUE(u.ok()) << (u.ok() ? "" : u.error().message);
    return u.ok() ? *u : json::object{};
  }

  static json::array graduated_charge(const char* metric) {
    return json::array{json::object{
        {"billable_metric", metric},
        {"charge_model", "graduated"},
        {"properties",
         {{"graduated_ranges",
           {{{"from_value", 0}, {"to_value", 100}, {"per_unit_amount", "1.00"}, {"flat_amount", "10.00"}},
            {{"from_value", 101}, {"to_value", nullptr}, {"per_unit_amount", "0.50"}, {"flat_amount", "0"}}}}}}}};
  }

  // One pass of the document clock with the usage report's, the subscriptions' and the invoices' handlers.
  void run_clock() {
    ASSERT_TRUE(billhook::testing::wait_until([&] { return store_->runs_time_jobs(); }, std::chrono::seconds(10),
                                              "this node to lead the time-driven jobs"));
    DocumentClock documents(*store_, clock_);
    documents.on(kUsageValidation.kind, [&](store::WriteTx& tx, const Wake& wake) { return usage_->on_wake(tx, wake); });
    documents.on(kSubscriptions.kind, [&](store::WriteTx& tx, const Wake& wake) { return subs_->on_wake(tx, wake); });
    documents.on(stored::kInvoice, [&](store::WriteTx& tx, const Wake& wake) { return service_->on_wake(tx, wake); });
    auto n = documents.run_once();
    ASSERT_TRUE(n.ok()) << n.error().message;
  }

  // The validation reports so far, oldest first, each checked against its catalog schema.
  std::vector<json::object> reports() {
    auto page = store_->list_events({.page = {.limit = 100}, .type = "usage_event.validation_failed"});
    EXPECT_TRUE(page.ok());
    std::vector<json::object> out;
    if (!page.ok()) return out;
    const auto* type = catalog::Catalog::builtin().find("usage_event.validation_failed");
    for (auto it = page->items.rbegin(); it != page->items.rend(); ++it) {
      json::object object = json::parse(it->data_json).at("object").as_object();
      auto violation = type->schema->validate(object);
      EXPECT_FALSE(violation.has_value()) << violation->path << " " << violation->message;
      out.push_back(std::move(object));
    }
    return out;
  }

  // The events of `type` so far, oldest first, each checked against its catalog schema.
  std::vector<json::object> events_of(const std::string& type) {
    auto page = store_->list_events({.page = {.limit = 100}, .type = type});
    EXPECT_TRUE(page.ok());
    std::vector<json::object> out;
    if (!page.ok()) return out;
    const auto* schema = catalog::Catalog::builtin().find(type);
    for (auto it = page->items.rbegin(); it != page->items.rend(); ++it) {
      json::object object = json::parse(it->data_json).at("object").as_object();
      auto violation = schema->schema->validate(object);
      EXPECT_FALSE(violation.has_value()) << violation->path << " " << violation->message;
      out.push_back(std::move(object));
    }
    return out;
  }

  // The subscription's invoices, oldest first.
  std::vector<Invoice> invoices_of(const Subscription& sub) {
    auto records = store_->find_documents({.kind = std::string(stored::kInvoice), .customer_id = sub.customer});
    EXPECT_TRUE(records.ok());
    std::vector<Invoice> out;
    for (const auto& record : *records) {
      auto doc = decode_invoice(record.body);
      EXPECT_TRUE(doc.ok());
      if (doc.ok() && doc->subscription_id == sub.id) out.push_back(*doc);
    }
    return out;
  }

  static std::vector<std::string> ids(const json::value& list) {
    std::vector<std::string> out;
    for (const auto& v : list.as_array()) out.emplace_back(v.as_string());
    return out;
  }

  std::unique_ptr<SubscriptionService> subs_;
  std::unique_ptr<BillableMetricService> metrics_;
  std::unique_ptr<UsageService> usage_;
  int plans_ = 0;
};

TEST_P(UsageServiceTest, UsageIsPricedFromTheRunningAggregate) {
  metric({{"code", "gb"}, {"name", "GB"}, {"aggregation_type", "sum"}, {"field_name", "gb"}});
  const Subscription sub = subscribed(graduated_charge("gb"));
  auto first = ingest({event(sub.id, "t1", "gb", {{"gb", "40"}}), event(sub.id, "t2", "gb", {{"gb", "60.5"}})});
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->size(), 2u);
  EXPECT_FALSE((*first)[0].repeat);
  EXPECT_EQ((*first)[0].record.id.rfind("uev_", 0), 0u);
  ASSERT_TRUE(ingest({event(sub.id, "t3", "gb", {{"gb", "49.5"}})}).ok());

  // DOMAINS.md: 150 units on 0–100 at 1.00 + 10.00 flat, then 0.50 → 100 + 10 + 25 = 135.00.
  const json::object u = usage(sub.id);
  EXPECT_EQ(u.at("amount").as_int64(), 13500);
  EXPECT_EQ(u.at("currency"), "USD");
  EXPECT_EQ(u.at("from_datetime").as_int64(), *sub.current_period_start);
  const auto& charge = u.at("charges_usage").as_array().at(0).as_object();
  EXPECT_EQ(charge.at("units"), "150");
  EXPECT_EQ(charge.at("events_count").as_int64(), 3);
  EXPECT_EQ(charge.at("charge_model"), "graduated");
  EXPECT_EQ(charge.at("billable_metric").at("code"), "gb");
}

// A percentage charge's running fee always equals folding every billed event, in the order it arrived,
// at the charge's current terms: events one by one or in batches, some left out by the metric's filter,
// and the terms changed at random moments mid-period (then folded again from the stored events).
TEST_P(UsageServiceTest, APercentageFeeIsTheFoldOfItsEventsAtTheCurrentTerms) {
  metric({{"code", "pay"},
          {"name", "Payments"},
          {"aggregation_type", "sum"},
          {"field_name", "amount"},
          {"filters", {{"scheme", json::array{"visa", "mc"}}}}});
  const auto charge = [](const std::string& rate) {
    return json::object{{"billable_metric", "pay"},
                        {"charge_model", "percentage"},
                        {"properties",
                         {{"rate", rate},
                          {"fixed_amount", "0.30"},
                          {"free_units_per_events", 2},
                          {"per_transaction_max_amount", "3"}}}};
  };
  const Subscription sub = subscribed(json::array{charge("2.5")});
  std::mt19937 random(7);
  const std::vector<std::string> rates{"2.5", "1", "10", "0.125"};
  std::string rate = "2.5";
  std::vector<std::string> counted;  // the billed events' amounts, in the order they arrived
  int sent = 0;
  for (int round = 0; round < 25; ++round) {
    if (random() % 5 == 0) {
      rate = rates[random() % rates.size()];
      auto change = core::described::from_json<PlanUpdate>(json::object{{"charges", json::array{charge(rate)}}});
      ASSERT_TRUE(change.ok());
      ASSERT_TRUE(write([&](store::WriteTx& tx) { return subs_->update_plan(tx, sub.plan, *change); }).ok());
    }
    std::vector<UsageEventInput> batch;
    const size_t size = 1 + random() % 4;
    for (size_t i = 0; i < size; ++i) {
      const std::string amount = std::to_string(random() % 50000) + "." + std::to_string(random() % 100);
      const bool filtered_out = random() % 4 == 0;
      UsageProperties properties{{"amount", amount}};
      if (!filtered_out) properties["scheme"] = random() % 2 ? "visa" : "mc";
      batch.push_back(event(sub.id, "t" + std::to_string(++sent), "pay", properties));
      if (!filtered_out) counted.push_back(amount);
    }
    auto ingested = ingest(batch);
    ASSERT_TRUE(ingested.ok()) << ingested.error().message;

    auto terms = pricing_of(charge_from(*core::described::from_json<ChargeInput>(charge(rate))), "charges.0");
    ASSERT_TRUE(terms.ok());
    PercentageFee expected(terms->percentage);
    for (const auto& amount : counted) ASSERT_TRUE(expected.add_event(*core::Decimal::parse(amount)).ok());
    const json::object current = usage(sub.id);
    const auto& priced = current.at("charges_usage").as_array().at(0).as_object();
    ASSERT_EQ(priced.at("precise_amount").as_string(), expected.amount().to_string())
        << "round " << round << ", rate " << rate;
    EXPECT_EQ(priced.at("events_count").as_int64(), static_cast<int64_t>(counted.size()));
    EXPECT_EQ(priced.at("units").as_string(), expected.units().to_string());
  }
}

TEST_P(UsageServiceTest, ARepeatedTransactionIdReturnsTheFirstEventAndCountsOnce) {
  metric({{"code", "calls"}, {"name", "Calls"}, {"aggregation_type", "count"}});
  const Subscription sub = subscribed(json::array{
      json::object{{"billable_metric", "calls"}, {"charge_model", "standard"}, {"properties", {{"amount", "0.25"}}}}});
  auto first = ingest({event(sub.id, "same", "calls")});
  ASSERT_TRUE(first.ok());
  auto again = ingest({event(sub.id, "same", "calls"), event(sub.id, "other", "calls")});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE((*again)[0].repeat);
  EXPECT_EQ((*again)[0].record.id, (*first)[0].record.id);
  EXPECT_FALSE((*again)[1].repeat);

  // The same transaction_id from 8 writers at once: stored and counted once.
  std::atomic<int> repeats{0};
  std::vector<std::thread> writers;
  for (int i = 0; i < 8; ++i)
    writers.emplace_back([&] {
      auto r = ingest({event(sub.id, "raced", "calls")});
      if (r.ok() && (*r)[0].repeat) ++repeats;
    });
  for (auto& w : writers) w.join();
  EXPECT_EQ(repeats.load(), 7);
  const json::object u = usage(sub.id);
  EXPECT_EQ(u.at("charges_usage").as_array().at(0).at("events_count").as_int64(), 3);
  EXPECT_EQ(u.at("amount").as_int64(), 75);
}

TEST_P(UsageServiceTest, InvalidEventsAreKeptButNotBilled) {
  metric({{"code", "gb"},
          {"name", "GB"},
          {"aggregation_type", "sum"},
          {"field_name", "gb"},
          {"filters", {{"region", {"eu", "us"}}}}});
  const Subscription sub = subscribed(graduated_charge("gb"));
  auto r = ingest({event(sub.id, "ok", "gb", {{"gb", "5"}, {"region", "eu"}}),
                   event(sub.id, "code", "gbz", {{"gb", "5"}}),
                   event(sub.id, "missing", "gb", {{"region", "eu"}}),
                   event(sub.id, "filter", "gb", {{"gb", "5"}, {"region", "mars"}})});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)[0].record.error, "");
  EXPECT_EQ((*r)[1].record.error, "invalid_code");
  EXPECT_EQ((*r)[2].record.error, "missing_aggregation_property");
  EXPECT_EQ((*r)[3].record.error, "invalid_filter_value");
  const json::object u = usage(sub.id);
  EXPECT_EQ(u.at("charges_usage").as_array().at(0).at("units"), "5");
  EXPECT_EQ(u.at("charges_usage").as_array().at(0).at("events_count").as_int64(), 1);
}

TEST_P(UsageServiceTest, BadInputFailsTheWholeBatchNamingTheItemAndField) {
  metric({{"code", "gb"}, {"name", "GB"}, {"aggregation_type", "sum"}, {"field_name", "gb"}});
  const Subscription sub = subscribed(graduated_charge("gb"));
  auto not_a_number = ingest({event(sub.id, "a", "gb", {{"gb", "1"}}), event(sub.id, "b", "gb", {{"gb", "lots"}})});
  ASSERT_FALSE(not_a_number.ok());
  EXPECT_EQ(not_a_number.error().code, "invalid_property");
  EXPECT_EQ(not_a_number.error().param, "events.1.properties.gb");

  auto late = event(sub.id, "c", "gb", {{"gb", "1"}});
  late.timestamp = *sub.current_period_end;
  auto outside = ingest({late});
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.error().code, "timestamp_outside_period");
  EXPECT_EQ(outside.error().param, "events.0.timestamp");

  auto unknown = ingest({event("nobody", "d", "gb", {{"gb", "1"}})});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, core::ErrorKind::not_found);
  EXPECT_EQ(unknown.error().param, "events.0.external_subscription_id");

  // Nothing of the refused batches was kept: "a" is new now, and nothing was counted.
  auto a = ingest({event(sub.id, "a", "gb", {{"gb", "1"}})});
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE((*a)[0].repeat);
  EXPECT_EQ(usage(sub.id).at("charges_usage").as_array().at(0).at("units"), "1");
}

TEST_P(UsageServiceTest, UsageFindsItsSubscriptionByExternalIdOrCustomer) {
  metric({{"code", "seats"}, {"name", "Seats"}, {"aggregation_type", "unique_count"}, {"field_name", "user"}});
  const Subscription sub = subscribed(
      json::array{json::object{
          {"billable_metric", "seats"}, {"charge_model", "standard"}, {"properties", {{"amount", "10"}}}}},
      "acme-main");
  auto by_external = ingest({event("acme-main", "1", "seats", {{"user", "ada"}})});
  ASSERT_TRUE(by_external.ok()) << by_external.error().message;
  EXPECT_EQ((*by_external)[0].record.subscription_id, sub.id);
  auto by_customer = event("", "2", "seats", {{"user", "ada"}});
  by_customer.external_customer_id = sub.customer;
  auto again = ingest({by_customer, event(sub.id, "3", "seats", {{"user", "bob"}})});
  ASSERT_TRUE(again.ok()) << again.error().message;
  // ada twice and bob: two distinct users, three events.
  const json::object u = usage(sub.id);
  EXPECT_EQ(u.at("charges_usage").as_array().at(0).at("units"), "2");
  EXPECT_EQ(u.at("charges_usage").as_array().at(0).at("events_count").as_int64(), 3);
  EXPECT_EQ(u.at("amount").as_int64(), 2000);
}

TEST_P(UsageServiceTest, InvalidEventsAreReportedAnHourLaterEachOnce) {
  metric({{"code", "gb"}, {"name", "GB"}, {"aggregation_type", "sum"}, {"field_name", "gb"}});
  const Subscription sub = subscribed(graduated_charge("gb"));
  ASSERT_TRUE(ingest({event(sub.id, "bad-code", "gbz", {{"gb", "1"}}), event(sub.id, "no-gb", "gb"),
                      event(sub.id, "fine", "gb", {{"gb", "1"}})})
                  .ok());
  run_clock();
  EXPECT_TRUE(reports().empty()) << "nothing before the hour";
  clock_.advance(std::chrono::minutes(59));
  run_clock();
  EXPECT_TRUE(reports().empty());
  clock_.advance(std::chrono::minutes(1));
  run_clock();
  auto sent = reports();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(ids(sent[0].at("invalid_code")), std::vector<std::string>{"bad-code"});
  EXPECT_EQ(ids(sent[0].at("missing_aggregation_property")), std::vector<std::string>{"no-gb"});
  EXPECT_TRUE(sent[0].at("invalid_filter_value").as_array().empty());
  EXPECT_EQ(sent[0].at("customer"), json::value(sub.customer));
  EXPECT_TRUE(sent[0].at("metric_code").is_null()) << "two codes";
  EXPECT_EQ(sent[0].at("errors").as_array().size(), 2u);

  // Nothing is reported twice: later hours stay quiet, and a report on demand has only what is new.
  clock_.advance(std::chrono::hours(3));
  run_clock();
  EXPECT_EQ(reports().size(), 1u);
  ASSERT_TRUE(ingest({event(sub.id, "late", "gbz")}).ok());
  auto now = write([&](store::WriteTx& tx) { return usage_->report_now(tx, {"req_v", ""}); });
  ASSERT_TRUE(now.ok()) << now.error().message;
  ASSERT_TRUE(now->has_value());
  EXPECT_EQ(ids((*now)->at("invalid_code")), std::vector<std::string>{"late"});
  auto nothing = write([&](store::WriteTx& tx) { return usage_->report_now(tx, {}); });
  ASSERT_TRUE(nothing.ok());
  EXPECT_FALSE(nothing->has_value());
  clock_.advance(std::chrono::hours(2));
  run_clock();
  EXPECT_EQ(reports().size(), 2u);
}

TEST_P(UsageServiceTest, APeriodsUsageIsBilledOnceOnTheInvoiceThatClosesIt) {
  metric({{"code", "gb"}, {"name", "Storage"}, {"aggregation_type", "sum"}, {"field_name", "gb"}});
  json::array charges = graduated_charge("gb");
  charges.push_back(json::object{{"billable_metric", "gb"},
                                 {"charge_model", "package"},
                                 {"min_amount", 500},
                                 {"properties", {{"amount", "2.00"}, {"package_size", 1000}, {"free_units", 1000}}}});
  const Subscription sub = subscribed(charges);
  ASSERT_EQ(invoices_of(sub).size(), 1u);  // the first period's, in advance
  ASSERT_TRUE(ingest({event(sub.id, "a", "gb", {{"gb", "100"}}), event(sub.id, "b", "gb", {{"gb", "50"}})}).ok());

  // The period ends: the renewal invoice bills the next period (0) and this one's usage.
  clock_.advance(std::chrono::seconds(*sub.current_period_end - now()));
  run_clock();
  run_clock();
  auto invoices = invoices_of(sub);
  ASSERT_EQ(invoices.size(), 2u);
  const Invoice& renewal = invoices[1];
  ASSERT_EQ(renewal.lines.size(), 2u) << "the 0 plan line is left out: the graduated fee and the package minimum";
  EXPECT_EQ(renewal.lines[0].amount, 13500);
  ASSERT_TRUE(renewal.lines[0].usage.has_value());
  EXPECT_EQ(renewal.lines[0].usage->units, "150");
  EXPECT_EQ(renewal.lines[0].usage->events_count, 2);
  EXPECT_EQ(renewal.lines[0].usage->charge_model, ChargeModel::graduated);
  EXPECT_EQ(renewal.lines[0].period_start, sub.current_period_start);
  EXPECT_EQ(renewal.lines[1].amount, 500) << "150 units are free: the package charge bills its min_amount";
  EXPECT_EQ(renewal.total, 14000);
  EXPECT_EQ(renewal.status, InvoiceStatus::paid);
  // The new period starts from nothing, and its usage is billed when it is terminated.
  EXPECT_EQ(usage(sub.id).at("amount").as_int64(), 0);
  ASSERT_TRUE(ingest({event(sub.id, "c", "gb", {{"gb", "10"}})}).ok());
  auto ended = write([&](store::WriteTx& tx) { return subs_->terminate(tx, sub.id, {}); });
  ASSERT_TRUE(ended.ok()) << ended.error().message;
  ASSERT_TRUE(ended->invoice.has_value());
  EXPECT_EQ(ended->invoice->total, 2000 + 500);  // 10 × 1.00 + 10.00 flat, and the package minimum
  run_clock();
  EXPECT_EQ(invoices_of(sub).size(), 3u);
}

TEST_P(UsageServiceTest, PassingAThresholdBillsUsageToDateOnceAndThePeriodEndBillsTheRest) {
  metric({{"code", "gb"}, {"name", "Storage"}, {"aggregation_type", "sum"}, {"field_name", "gb"}});
  const Subscription sub = subscribed(
      json::array{json::object{{"billable_metric", "gb"}, {"charge_model", "standard"}, {"properties", {{"amount", "1.00"}}}}},
      std::nullopt,
      json::array{json::object{{"name", "ten"}, {"amount", 1000}},
                  json::object{{"name", "every 25"}, {"amount", 2500}, {"recurring", true}}});
  ASSERT_EQ(invoices_of(sub).size(), 1u);  // the first period's, in advance
  const auto threshold_invoices = [&] {
    std::vector<Invoice> out;
    for (Invoice& i : invoices_of(sub))
      if (i.billing_reason == BillingReason::threshold) out.push_back(std::move(i));
    return out;
  };

  ASSERT_TRUE(ingest({event(sub.id, "t1", "gb", {{"gb", "4"}})}).ok());  // 4.00: below every threshold
  EXPECT_TRUE(threshold_invoices().empty());
  ASSERT_TRUE(ingest({event(sub.id, "t2", "gb", {{"gb", "7"}})}).ok());  // 11.00: "ten" is passed
  auto progressive = threshold_invoices();
  ASSERT_EQ(progressive.size(), 1u);
  ASSERT_EQ(progressive[0].lines.size(), 1u) << "the plan's 0 line is left out";
  EXPECT_EQ(progressive[0].lines[0].amount, 1100);
  EXPECT_EQ(progressive[0].lines[0].usage->units, "11");
  EXPECT_EQ(progressive[0].status, InvoiceStatus::paid) << "collected like the other subscription invoices";
  EXPECT_EQ(progressive[0].period_start, sub.current_period_start);

  // A replayed transaction_id adds nothing and crosses nothing.
  auto replay = ingest({event(sub.id, "t2", "gb", {{"gb", "7"}})});
  ASSERT_TRUE(replay.ok());
  EXPECT_TRUE((*replay)[0].repeat);
  EXPECT_EQ(threshold_invoices().size(), 1u);

  // 26.00 passes the recurring 25.00 once (its first multiple): the invoice bills 26.00 − 11.00.
  ASSERT_TRUE(ingest({event(sub.id, "t3", "gb", {{"gb", "15"}})}).ok());
  ASSERT_TRUE(ingest({event(sub.id, "t4", "gb", {{"gb", "10"}})}).ok());  // 36.00: no new multiple
  // 51.00 passes its second multiple, 50.00: 51.00 − 26.00.
  ASSERT_TRUE(ingest({event(sub.id, "t5", "gb", {{"gb", "15"}})}).ok());
  ASSERT_TRUE(ingest({event(sub.id, "t6", "gb", {{"gb", "2"}})}).ok());  // 53.00
  progressive = threshold_invoices();
  ASSERT_EQ(progressive.size(), 3u);
  EXPECT_EQ(progressive[1].total, 1500);
  EXPECT_EQ(progressive[2].total, 2500);

  const auto reached = events_of("subscription.usage_threshold_reached");
  ASSERT_EQ(reached.size(), 3u);
  EXPECT_EQ(reached[0].at("id"), json::value(sub.id));
  EXPECT_EQ(reached[0].at("usage_threshold").at("name"), "ten");
  EXPECT_EQ(reached[0].at("usage_threshold").at("current_usage_amount").as_int64(), 1100);
  EXPECT_EQ(reached[1].at("usage_threshold").at("amount").as_int64(), 2500);
  EXPECT_EQ(reached[1].at("usage_threshold").at("recurring"), json::value(true));
  EXPECT_EQ(reached[1].at("usage_threshold").at("current_usage_amount").as_int64(), 2600);
  EXPECT_EQ(reached[2].at("usage_threshold").at("current_usage_amount").as_int64(), 5100);

  // The period ends: its closing invoice bills 53.00 less the 51.00 billed progressively.
  clock_.advance(std::chrono::seconds(*sub.current_period_end - now()));
  run_clock();
  run_clock();
  auto invoices = invoices_of(sub);
  ASSERT_EQ(invoices.size(), 5u);
  const Invoice& closing = invoices.back();
  EXPECT_EQ(closing.billing_reason, BillingReason::subscription_cycle);
  ASSERT_EQ(closing.lines.size(), 1u);
  EXPECT_EQ(closing.lines[0].amount, 200);
  EXPECT_EQ(closing.lines[0].usage->units, "53") << "the detail is the period's whole usage";
  EXPECT_EQ(closing.total, 200);

  // The new period's thresholds start again from nothing.
  ASSERT_TRUE(ingest({event(sub.id, "n1", "gb", {{"gb", "12"}})}).ok());
  EXPECT_EQ(threshold_invoices().size(), 4u);
  EXPECT_EQ(threshold_invoices().back().total, 1200);
}

TEST_P(UsageServiceTest, PayInAdvanceChargesOweEachEventsIncreaseAtOnceAndAreNotBilledTwice) {
  metric({{"code", "gb"}, {"name", "Storage"}, {"aggregation_type", "sum"}, {"field_name", "gb"}});
  json::array charges = graduated_charge("gb");  // in arrears
  charges.push_back(json::object{{"billable_metric", "gb"},
                                 {"charge_model", "standard"},
                                 {"pay_in_advance", true},
                                 {"properties", {{"amount", "0.015"}}}});
  charges.push_back(json::object{{"billable_metric", "gb"},
                                 {"charge_model", "package"},
                                 {"pay_in_advance", true},
                                 {"invoiceable", false},
                                 {"properties", {{"amount", "2.00"}, {"package_size", 10}}}});
  const Subscription sub = subscribed(charges);
  ASSERT_EQ(invoices_of(sub).size(), 1u);  // the first period's, in advance

  ASSERT_TRUE(ingest({event(sub.id, "t1", "gb", {{"gb", "3"}}), event(sub.id, "t2", "gb", {{"gb", "7"}})}).ok());
  ASSERT_TRUE(ingest({event(sub.id, "t3", "gb", {{"gb", "1"}})}).ok());
  auto replay = ingest({event(sub.id, "t1", "gb", {{"gb", "3"}})});
  ASSERT_TRUE(replay.ok());
  EXPECT_TRUE((*replay)[0].repeat);

  // standard at 0.015: 3 → 0.045 (4.5¢ → 4), 7 → 0.105 (10.5¢ → 10), 1 → 0.015 (1.5¢ → 2), half-even each.
  // package of 10 at 2.00: 0 → 3 opens the first package (200), 3 → 10 stays in it, 10 → 11 opens the second.
  const auto created = events_of("fee.created");
  ASSERT_EQ(created.size(), 5u);
  std::vector<int64_t> amounts;
  for (const auto& fee : created) amounts.push_back(fee.at("amount").as_int64());
  EXPECT_EQ(amounts, (std::vector<int64_t>{4, 200, 10, 2, 200}));
  EXPECT_EQ(created[0].at("precise_amount"), "4.5");
  EXPECT_EQ(created[0].at("units"), "3");
  EXPECT_EQ(std::string(created[0].at("id").as_string()).rfind("fee_", 0), 0u);
  EXPECT_EQ(created[0].at("pay_in_advance"), json::value(true));
  EXPECT_FALSE(created[0].at("invoice").is_null()) << "invoiceable: invoiced at once";
  EXPECT_TRUE(created[1].at("invoice").is_null()) << "not invoiceable: billed at the period's end";
  auto stored = store_->find_document(kFees.kind, created[2].at("id").as_string());
  ASSERT_TRUE(stored.ok() && stored->has_value());

  auto invoices = invoices_of(sub);
  ASSERT_EQ(invoices.size(), 4u) << "one invoice per invoiceable fee";
  EXPECT_EQ(invoices[1].total, 4);
  EXPECT_EQ(invoices[1].status, InvoiceStatus::paid);
  ASSERT_EQ(invoices[1].lines.size(), 1u);
  EXPECT_EQ(invoices[1].lines[0].usage->precise_amount, "0.045");
  EXPECT_EQ(invoices[2].total, 10);
  EXPECT_EQ(invoices[3].total, 2);

  // The period ends: the graduated charge (11 × 1.00 + 10.00) and the package one (2 packages), not the
  // standard one, whose fees are billed already.
  clock_.advance(std::chrono::seconds(*sub.current_period_end - now()));
  run_clock();
  run_clock();
  invoices = invoices_of(sub);
  ASSERT_EQ(invoices.size(), 5u);
  const Invoice& closing = invoices.back();
  ASSERT_EQ(closing.lines.size(), 2u);
  EXPECT_EQ(closing.lines[0].amount, 2100);
  EXPECT_EQ(closing.lines[1].amount, 400);
  EXPECT_EQ(closing.lines[1].usage->charge_model, ChargeModel::package);
  EXPECT_EQ(closing.total, 2500);
}

INSTANTIATE_TEST_SUITE_P(Backends, UsageServiceTest, kBackends, backend_name);

}  // namespace
}  // namespace billhook::billing::testing
